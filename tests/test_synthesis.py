"""Tests for neok2.synthesis: the synthetic cohort calibrated to the published summaries.

Reference numbers are the published ones (the paper's Table 1, Table 2 and results text, as
transcribed in src/neok2/studies/k2_neonates.yaml) and hand calculations written out below;
the statistics on the generated data are recomputed here with pandas, numpy and statsmodels,
independently of the generator.
"""

from __future__ import annotations

import copy
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

from neok2.formatting import format_number
from neok2.growth import birthweight_centile_10
from neok2.study import SpecError, load_study, parse_study
from neok2.synthesis import SynthesisResult, synthesize, synthesize_cohort, write_cohort

SEED = 20200701
SPECS = Path(__file__).parent / "specs"
SHIPPED = Path(__file__).parents[1] / "src" / "neok2" / "studies" / "k2_neonates.yaml"


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


@pytest.fixture(scope="module")
def result(study):
    return synthesize_cohort(study, seed=SEED)


@pytest.fixture(scope="module")
def data(result):
    return result.data


def _groups(data, outcome="deficiency"):
    return {"case": data[data[outcome] == 1], "control": data[data[outcome] == 0]}


def _logit_odds_ratios(data, terms, outcome="deficiency"):
    design = sm.add_constant(data[terms].astype(float))
    fit = sm.Logit(data[outcome].astype(float), design).fit(disp=0)
    return np.exp(fit.params[terms]), fit.pvalues[terms]


def _spec_dict():
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


class TestStudy:
    def test_columns_follow_the_data_dictionary(self, study, data):
        assert list(data.columns) == [column.name for column in study.columns]
        assert len(data) == 200
        assert int(data["deficiency"].sum()) == 66

    def test_every_table1_count_cell_is_exact(self, study, data):
        groups = _groups(data)
        binary = study.table1[
            (study.table1["summary"] == "n_percent") & (study.table1["level"] == "")
        ]
        for _, row in binary.iterrows():
            assert int(groups[row["group"]][row["variable"]].sum()) == row["n"], row["variable"]
        # Published example: 50 of 66 cases delivered by caesarean section.
        assert int(groups["case"]["caesarean"].sum()) == 50

    def test_every_bin_count_is_exact(self, study, data):
        groups = _groups(data)
        bins = study.table1[study.table1["level"] != ""]
        for _, row in bins.iterrows():
            values = groups[row["group"]][row["variable"]]
            low = -np.inf if math.isnan(row["low"]) else row["low"]
            high = np.inf if math.isnan(row["high"]) else row["high"]
            count = int(((values >= low) & (values < high)).sum())
            assert count == row["n"], (row["variable"], row["level"], row["group"])

    def test_means_and_sds_round_to_the_printed_values(self, study, data):
        groups = _groups(data)
        rows = study.table1[(study.table1["summary"] == "mean_sd") & (study.table1["level"] == "")]
        for _, row in rows.iterrows():
            values = groups[row["group"]][row["variable"]]
            mean_printed, sd_printed = row["printed"].split("±")
            mean_digits = len(mean_printed.split(".")[1]) if "." in mean_printed else 0
            sd_digits = len(sd_printed.split(".")[1]) if "." in sd_printed else 0
            assert format_number(values.mean(), mean_digits) == format_number(
                row["mean"], mean_digits
            )
            assert format_number(values.std(ddof=1), sd_digits) == format_number(
                row["sd"], sd_digits
            )

    def test_medians_and_quartiles_match_under_spss_and_r_default(self, study, data):
        groups = _groups(data)
        rows = study.table1[study.table1["summary"] == "median_iqr"]
        for _, row in rows.iterrows():
            values = groups[row["group"]][row["variable"]].to_numpy(float)
            for method in ("weibull", "linear"):  # SPSS (R type 6) and R's default type 7
                q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75], method=method)
                assert (q1, median, q3) == pytest.approx((row["q1"], row["median"], row["q3"]))

    def test_integer_columns_hold_integers(self, study, data):
        for column in study.columns:
            if column.type in ("integer", "binary"):
                assert data[column.name].dtype.kind == "i", column.name
        assert data["apgar_1min"].between(0, 10).all()

    def test_record_precision(self, data):
        def digits(series):
            return series.map(lambda value: len(repr(float(value)).split(".")[1])).max()

        assert digits(data["ga_weeks"]) <= 1
        assert digits(data["birthweight_kg"]) <= 3
        assert digits(data["k2_ng_ml"]) <= 3
        assert digits(data["pt_s"]) <= 2

    def test_outcome_definition_and_normal_range_hold(self, data):
        groups = _groups(data)
        assert (groups["case"]["k2_ng_ml"] < 0.1).all()
        assert groups["control"]["k2_ng_ml"].between(0.1, 0.86).all()

    def test_undetectable_count_from_the_text_claim(self, study, data):
        # The text states 24 neonates below the 0.05 ng/mL detection limit.
        assert study.text_claims["undetectable"]["value"] == 24
        assert int((data["k2_ng_ml"] < 0.05).sum()) == 24
        assert (data["k2_undetectable"] == (data["k2_ng_ml"] < 0.05)).all()

    def test_preterm_is_derived_from_gestational_age(self, data):
        assert (data["preterm"] == (data["ga_weeks"] < 37).astype(int)).all()

    def test_sga_agrees_with_the_growth_reference(self, data):
        cutoff = birthweight_centile_10(data["ga_weeks"], data["male"])
        assert ((data["birthweight_kg"] < cutoff).astype(int) == data["sga"]).all()

    def test_birthweight_is_correlated_with_gestational_age(self, data):
        assert data["ga_weeks"].corr(data["birthweight_kg"]) > 0.7

    def test_adjusted_odds_ratios_within_five_percent(self, study, data):
        odds_ratios, _ = _logit_odds_ratios(data, list(study.multivariable_terms))
        # Published adjusted ORs: steroid 4.728, caesarean 2.529, SGA 3.462.
        for variable, published in (("antenatal_steroid", 4.728), ("caesarean", 2.529),
                                    ("sga", 3.462)):  # fmt: skip
            assert abs(math.log(odds_ratios[variable] / published)) <= 0.05, variable

    def test_screen_selects_the_published_five_plus_the_forced_two(self, study, data):
        selected = set()
        for variable in study.candidates:
            _, p_values = _logit_odds_ratios(data, [variable])
            if p_values[variable] < 0.1:
                selected.add(variable)
        published = {"caesarean", "sga", "antenatal_steroid", "gestational_diabetes", "prom"}
        # PT: printed means 15.18 vs 14.98 differ by at least 0.19 after rounding; the SE is at
        # most sqrt(0.295^2/66 + 0.245^2/134) = 0.0420, so z >= 4.5 and p < 1e-5 whatever the
        # data. APTT: difference >= 0.76, SE <= sqrt(1.415^2/66 + 1.255^2/134) = 0.205, z >= 3.7.
        # Table 1 wins, so both also pass the screen (and are recorded as compromises).
        assert selected == published | {"pt_s", "aptt_s"}

    def test_compromises_record_where_table1_wins(self, result):
        compromises = result.compromises
        assert list(compromises.columns) == [
            "variable", "group", "constraint", "published", "achieved", "gap", "action",
        ]  # fmt: skip
        screened = compromises[compromises["constraint"].str.startswith("univariable screen")]
        assert set(screened["variable"]) == {"pt_s", "aptt_s"}
        percent = compromises[compromises["constraint"].str.startswith("printed percent")]
        assert set(percent["variable"]) == {"intrauterine_distress", "birthweight_kg"}
        caesarean = compromises[compromises["variable"] == "caesarean"]
        # 50 * 66 / (16 * 68) = 3.033, not the printed 3.151
        assert "3.033" in caesarean["action"].iloc[0]
        sga_claim = compromises[compromises["constraint"].str.startswith("text claim sga_n")]
        # the text says 17 SGA; Table 1 says 12 + 6 = 18
        assert sga_claim[["published", "achieved"]].iloc[0].tolist() == [17.0, 18.0]
        assert result.tidy().equals(compromises)

    def test_second_differently_shaped_spec(self):
        spec = load_study(SPECS / "small_study.yaml")
        generated = synthesize_cohort(spec, seed=11)
        frame = generated.data
        groups = _groups(frame, "infected")
        assert len(groups["case"]) == 40 and len(groups["control"]) == 120
        # the rare exposure: 2 of 40 cases, 1 of 120 controls
        assert int(groups["case"]["rare_exposure"].sum()) == 2
        assert int(groups["control"]["rare_exposure"].sum()) == 1
        for group, quartiles in (("case", (6.1, 12.5, 24.8)), ("control", (5.8, 11.9, 22.4))):
            values = groups[group]["crp_mg_l"].to_numpy(float)
            assert tuple(np.quantile(values, [0.25, 0.5, 0.75], method="weibull")) == (
                pytest.approx(quartiles)
            )
        assert (frame["age_under_65"] == (frame["age_years"] < 65).astype(int)).all()
        odds_ratios, _ = _logit_odds_ratios(frame, ["smoker", "diabetes"], "infected")
        assert abs(math.log(odds_ratios["smoker"] / 1.95)) <= 0.05
        assert abs(math.log(odds_ratios["diabetes"] / 2.10)) <= 0.05
        assert generated.compromises.empty

    def test_errors_properly_on_percentage_not_matching_count(self):
        spec = _spec_dict()
        spec["table1"][3]["case"] = "50 (80.1)"  # caesarean: 50/66 = 75.76%
        with pytest.raises(ValueError, match=r"caesarean.*80\.1.*note"):
            synthesize_cohort(parse_study(spec), seed=1)

    def test_noted_percentage_inconsistency_does_not_fail(self, study):
        noted = study.table1[study.table1["variable"] == "intrauterine_distress"]["note"]
        assert noted.str.len().gt(0).all()

    def test_errors_properly_on_negative_sd(self):
        spec = _spec_dict()
        spec["table1"][0]["case"] = "35.1±-3.27"
        with pytest.raises(SpecError):
            parse_study(spec)

    def test_errors_properly_on_min_above_max(self):
        spec = _spec_dict()
        ga = next(column for column in spec["columns"] if column["name"] == "ga_weeks")
        ga["min"], ga["max"] = 44, 22
        with pytest.raises(ValueError, match=r"ga_weeks.*min 44 is above max 22"):
            synthesize_cohort(parse_study(spec), seed=1)

    def test_errors_properly_on_or_for_unknown_variable(self):
        spec = _spec_dict()
        spec["multivariable"]["reported"][0]["variable"] = "smoking"
        with pytest.raises(SpecError, match="smoking"):
            parse_study(spec)

    def test_errors_properly_on_or_outside_the_model(self):
        spec = _spec_dict()
        spec["multivariable"]["reported"].append(
            {"variable": "twins", "or": "1.5", "ci": "0.5-4.5", "p": "0.4"}
        )
        with pytest.raises(ValueError, match=r"twins.*terms_entered"):
            synthesize_cohort(parse_study(spec), seed=1)

    def test_errors_properly_on_undescribed_required_column(self):
        spec = copy.deepcopy(_spec_dict())
        spec["columns"].append({"name": "bilirubin", "type": "continuous"})
        with pytest.raises(ValueError, match=r"bilirubin.*required"):
            synthesize_cohort(parse_study(spec), seed=1)

    def test_errors_properly_on_non_study(self):
        with pytest.raises(TypeError, match="study"):
            synthesize_cohort("k2_neonates", seed=1)


class TestSeed:
    def test_same_seed_gives_identical_files(self, study, result, tmp_path):
        first = write_cohort(result, tmp_path / "a" / "k2.csv")
        second = write_cohort(synthesize_cohort(study, seed=SEED), tmp_path / "b" / "k2.csv")
        for one, two in zip(first, second, strict=True):
            assert (
                hashlib.sha256(one.read_bytes()).digest()
                == hashlib.sha256(two.read_bytes()).digest()
            )

    def test_other_seed_gives_other_records_with_same_margins(self, study, data):
        other = synthesize(study, seed=SEED + 1)
        assert not other.equals(data)
        assert not np.array_equal(other["ga_weeks"].to_numpy(), data["ga_weeks"].to_numpy())
        binary = [c.name for c in study.columns if c.type == "binary"]
        pd.testing.assert_frame_equal(
            other.groupby("deficiency")[binary].sum(), data.groupby("deficiency")[binary].sum()
        )

    @pytest.mark.parametrize("seed", [-1, True, 1.5, "1"])
    def test_errors_properly_on_bad_seed(self, study, seed):
        with pytest.raises(TypeError, match="seed"):
            synthesize_cohort(study, seed=seed)


class TestOut:
    def test_writes_cohort_and_compromises_atomically(self, result, tmp_path):
        written = write_cohort(result, tmp_path / "k2.csv")
        assert [path.name for path in written] == ["k2.csv", "k2_compromises.csv"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["k2.csv", "k2_compromises.csv"]
        back = pd.read_csv(written[0])
        assert back.shape == (200, 28)

    def test_errors_properly_on_protected_input(self, result, tmp_path):
        target = tmp_path / "input.csv"
        target.write_text("original", encoding="utf-8")
        with pytest.raises(ValueError, match="refusing to overwrite"):
            write_cohort(result, target, protect=(target,))
        assert target.read_text(encoding="utf-8") == "original"

    def test_errors_properly_on_non_csv(self, result, tmp_path):
        with pytest.raises(ValueError, match=r"\.csv"):
            write_cohort(result, tmp_path / "k2.xlsx")

    def test_errors_properly_on_non_result(self, tmp_path):
        with pytest.raises(TypeError, match="SynthesisResult"):
            write_cohort(pd.DataFrame(), tmp_path / "k2.csv")

    def test_result_is_frozen(self, result):
        assert isinstance(result, SynthesisResult)
        with pytest.raises(AttributeError):
            result.seed = 3


class TestCommandLine:
    def test_synth_writes_cohort_fidelity_and_compromises(self, tmp_path):
        from click.testing import CliRunner

        from neok2.cli import main

        out = tmp_path / "k2.csv"
        spec = str(SPECS / "small_study.yaml")
        outcome = CliRunner().invoke(
            main, ["synth", "--study", spec, "--seed", str(SEED), "--out", str(out)]
        )
        assert outcome.exit_code == 0, outcome.output
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "k2.csv", "k2_compromises.csv", "k2_fidelity.csv",
        ]  # fmt: skip
        fidelity = pd.read_csv(tmp_path / "k2_fidelity.csv")
        assert not (fidelity["ok"] == False).any()  # noqa: E712 - CSV holds True/False/NaN

    def test_synth_refuses_to_overwrite_its_input(self, tmp_path):
        from click.testing import CliRunner

        from neok2.cli import main

        spec = tmp_path / "study.csv"
        spec.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
        outcome = CliRunner().invoke(
            main, ["synth", "--study", str(spec), "--seed", "1", "--out", str(spec)]
        )
        assert outcome.exit_code == 2
        assert "refusing to overwrite" in outcome.output
        assert spec.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")

    def test_synth_errors_properly_without_seed(self, tmp_path):
        from click.testing import CliRunner

        from neok2.cli import main

        outcome = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "k2.csv")])
        assert outcome.exit_code == 2
        assert "--seed" in outcome.output
