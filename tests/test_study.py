"""The study spec and its loader.

Reference values are read by hand from the published paper (Table 1, Table 2 and the
results text) and typed here independently of the YAML transcription.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml

from neok2.study.spec import SpecError, available_studies, load_study, parse_study


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


@pytest.fixture()
def raw_spec() -> dict:
    from importlib import resources

    text = (resources.files("neok2") / "studies" / "k2_neonates.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


# ------------------------------------------------------------------ values as printed


class TestPublishedValues:
    def test_groups_and_totals(self, study):
        assert dict(study.groups) == {"case": 66, "control": 134}
        assert study.n == 200
        assert study.totals["male"] == 121
        assert study.totals["female"] == 79

    @pytest.mark.parametrize(
        ("variable", "group", "n", "percent"),
        [
            # Table 1 rows as printed in the paper
            ("caesarean", "case", 50, 75.7),
            ("caesarean", "control", 68, 50.7),
            ("sga", "control", 6, 4.47),
            ("intrauterine_distress", "case", 8, 29.0),  # printed inconsistency kept
            ("antenatal_steroid", "case", 25, 37.9),
            ("preeclampsia", "control", 10, 7.4),
        ],
    )
    def test_table1_counts(self, study, variable, group, n, percent):
        row = study.cell(variable, group)
        assert row["n"] == n
        assert row["percent"] == pytest.approx(percent)

    @pytest.mark.parametrize(
        ("variable", "group", "mean", "sd"),
        [
            ("ga_weeks", "case", 35.1, 3.27),
            ("k2_ng_ml", "case", 0.05, 0.025),
            ("pt_s", "control", 14.98, 0.24),
            ("phosphorus_mmol_l", "control", 1.95, 0.223),
        ],
    )
    def test_table1_means(self, study, variable, group, mean, sd):
        row = study.cell(variable, group)
        assert (row["mean"], row["sd"]) == (pytest.approx(mean), pytest.approx(sd))

    def test_table1_medians(self, study):
        row = study.cell("fibrinogen_g_l", "control")
        assert (row["median"], row["q1"], row["q3"]) == (1.6, 1.25, 2.6)
        cell = study.cell("maternal_age", "case")
        assert [cell["median"], cell["q1"], cell["q3"]] == [31, 27, 33]

    def test_bins(self, study):
        assert study.cell("ga_weeks", "control", "<28 week")["n"] == 5
        assert study.cell("birthweight_kg", "control", "≥2.5kg")["percent"] == 43.4

    def test_p_printed_kept_as_string(self, study):
        row = study.cell("antenatal_steroid", "case")
        assert row["p_printed"] == "0.000"
        assert row["p_value"] == 0.0
        assert study.cell("preeclampsia", "case")["p_printed"] == "0.9"

    def test_every_table1_row_present(self, study):
        # Table 1 prints 23 rows besides the bins (the Apgar "5 min" label twice).
        assert study.table1.query("level == ''")["variable"].nunique() == 23
        assert len(study.table1) == 2 * (23 + 8)

    def test_table2(self, study):
        table2 = study.univariable.set_index("variable")
        assert len(table2) == 8
        assert table2.loc["antenatal_steroid", ["odds_ratio", "ci_low", "ci_high"]].tolist() == [
            5.675,
            2.659,
            12.112,
        ]
        assert table2.loc["prom", "ci_low"] == 1.278
        assert table2.loc["gestational_diabetes", "p_printed"] == "0.01"
        assert table2.loc["ga_weeks", "odds_ratio"] == 0.99

    def test_multivariable(self, study):
        table = study.multivariable.set_index("variable")
        assert table.loc["antenatal_steroid", "odds_ratio"] == 4.728
        assert table.loc["caesarean", ["ci_low", "ci_high"]].tolist() == [1.165, 5.492]
        assert table.loc["sga", "p_value"] == 0.033
        assert set(study.multivariable_terms) == {
            "caesarean",
            "sga",
            "antenatal_steroid",
            "gestational_diabetes",
            "prom",
        }

    def test_not_significant_terms(self, study):
        # the discussion names only steroids, caesarean and SGA as independent risk factors
        assert study.multivariable_not_significant == ("gestational_diabetes", "prom")

    def test_text_claims(self, study):
        claims = {name: claim["value"] for name, claim in study.text_claims.items()}
        assert claims["undetectable"] == 24
        assert claims["deficiency_prevalence_percent"] == 33
        assert claims["premature_n"] == 137
        assert claims["ga_below_28_n"] == 8
        assert claims["sga_n"] == 17
        assert claims["preterm_deficiency_percent"] == 32

    def test_definitions_and_screen(self, study):
        assert study.definitions["deficiency"]["below"] == 0.1
        assert study.definitions["undetectable"]["below"] == 0.05
        assert study.definitions["normal_range"]["high"] == 0.86
        assert study.definitions["preterm"]["below"] == 37
        assert study.screening_threshold == 0.1
        assert study.design["window"] == {"start": "2020-07-01", "end": "2021-01-31"}

    def test_candidates_exclude_the_outcome_measure(self, study):
        assert "k2_ng_ml" not in study.candidates
        assert len(study.candidates) == 22

    def test_frozen(self, study):
        with pytest.raises(AttributeError):
            study.outcome = "other"


# ------------------------------------------------------------------ loading


class TestLoad:
    def test_available(self):
        assert "k2_neonates" in available_studies()

    def test_from_path(self, raw_spec, tmp_path: Path):
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(raw_spec, allow_unicode=True), encoding="utf-8")
        loaded = load_study(path)
        assert loaded.path == path
        assert loaded.cell("sga", "case")["n"] == 12

    def test_missing_file(self):
        with pytest.raises(FileNotFoundError, match="neither a shipped study"):
            load_study("no_such_study.yaml")

    def test_wrong_type(self):
        with pytest.raises(TypeError, match="`study`"):
            load_study(42)  # type: ignore[arg-type]

    def test_invalid_yaml(self, tmp_path: Path):
        path = tmp_path / "broken.yaml"
        path.write_text("id: [unclosed\n", encoding="utf-8")
        with pytest.raises(SpecError, match="not valid YAML"):
            load_study(path)


# ------------------------------------------------------------------ validation errors


class TestSpecErrors:
    def test_unknown_key(self, raw_spec):
        raw_spec["tabel1"] = []
        with pytest.raises(SpecError, match=r"tabel1: unknown key"):
            parse_study(raw_spec)

    def test_wrong_type(self, raw_spec):
        raw_spec["groups"]["case"]["n"] = "many"
        with pytest.raises(SpecError, match=r"groups\.case\.n"):
            parse_study(raw_spec)

    def test_percent_out_of_range(self, raw_spec):
        raw_spec["table1"][2]["case"] = "42 (163.6)"
        with pytest.raises(SpecError, match=r"table1\[2\] \(male\)\.case: percentage 163.6"):
            parse_study(raw_spec)

    def test_count_larger_than_group(self, raw_spec):
        raw_spec["table1"][3]["control"] = "168 (50.7)"
        with pytest.raises(SpecError, match="larger than the group size 134"):
            parse_study(raw_spec)

    def test_groups_do_not_add_up(self, raw_spec):
        raw_spec["totals"]["n"] = 201
        with pytest.raises(SpecError, match=r"does not equal totals\.n \(201\)"):
            parse_study(raw_spec)

    def test_sex_totals(self, raw_spec):
        raw_spec["totals"]["male"] = 120
        with pytest.raises(SpecError, match=r"male .* female"):
            parse_study(raw_spec)

    def test_bins_do_not_add_up(self, raw_spec):
        raw_spec["table1"][0]["bins"][0]["case"] = "1 (1.5)"
        with pytest.raises(SpecError, match="case counts add up to 67"):
            parse_study(raw_spec)

    def test_negative_sd(self, raw_spec):
        raw_spec["table1"][0]["case"] = {"mean": 35.1, "sd": -1}
        with pytest.raises(SpecError, match="standard deviation must be >= 0"):
            parse_study(raw_spec)

    def test_unreadable_cell(self, raw_spec):
        raw_spec["table1"][0]["case"] = "35.1 plus 3"
        with pytest.raises(SpecError, match=r"table1\[0\] \(ga_weeks\)\.case: cannot read"):
            parse_study(raw_spec)

    def test_quartiles_out_of_order(self, raw_spec):
        raw_spec["table1"][8]["case"] = "10 (11, 12)"
        with pytest.raises(SpecError, match="q1 <= median <= q3"):
            parse_study(raw_spec)

    def test_unknown_or_variable(self, raw_spec):
        raw_spec["univariable"][0]["variable"] = "shoe_size"
        with pytest.raises(SpecError, match=r"univariable\[0\]\.variable: 'shoe_size'"):
            parse_study(raw_spec)

    def test_ci_reversed(self, raw_spec):
        raw_spec["univariable"][0]["ci"] = "1.077-0.91"
        with pytest.raises(SpecError, match=r"lower limit 1\.077 is above"):
            parse_study(raw_spec)

    def test_p_out_of_range(self, raw_spec):
        raw_spec["table1"][0]["p"] = "1.8"
        with pytest.raises(SpecError, match="p-value must lie in"):
            parse_study(raw_spec)

    def test_duplicate_row(self, raw_spec):
        raw_spec["table1"].append(copy.deepcopy(raw_spec["table1"][3]))
        with pytest.raises(SpecError, match="appears twice"):
            parse_study(raw_spec)

    def test_not_significant_must_be_entered(self, raw_spec):
        raw_spec["multivariable"]["not_significant"] = ["twins"]
        with pytest.raises(SpecError, match=r"not_significant\[0\]: 'twins' is not among"):
            parse_study(raw_spec)

    def test_not_significant_cannot_be_reported(self, raw_spec):
        raw_spec["multivariable"]["not_significant"] = ["sga"]
        with pytest.raises(SpecError, match=r"also in multivariable\.reported"):
            parse_study(raw_spec)

    def test_not_a_mapping(self):
        with pytest.raises(SpecError, match="mapping at the top level"):
            parse_study(["a", "list"])  # type: ignore[arg-type]

    def test_numeric_cells_accepted(self, raw_spec):
        raw_spec["table1"][3]["case"] = {"n": 50, "percent": 75.7}
        study = parse_study(raw_spec)
        assert study.cell("caesarean", "case")["n"] == 50
        assert math.isclose(study.cell("caesarean", "case")["percent"], 75.7)
        assert study.cell("caesarean", "case")["printed"] == ""


class TestCell:
    def test_cell_is_cached_and_read_only(self, study):
        first = study.cell("caesarean", "case")
        assert study.cell("caesarean", "case") is first
        with pytest.raises(TypeError):
            first["n"] = 0  # type: ignore[index]

    def test_replaced_table_gets_its_own_index(self, study):
        from dataclasses import replace

        table1 = study.table1.copy()
        table1.loc[(table1["variable"] == "caesarean") & (table1["group"] == "case"), "n"] = 7
        assert replace(study, table1=table1).cell("caesarean", "case")["n"] == 7
        assert study.cell("caesarean", "case")["n"] == 50
