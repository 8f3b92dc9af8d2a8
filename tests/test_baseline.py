"""Baseline table: every statistic is checked against R (tests/reference/baseline.R) on
MASS::birthwt grouped by smoke (0 first), or against a hand count written out below.

R 4.2.2 wrote tests/reference/baseline.csv; the tests only read it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from great_tables import GT

from neok2.cli.app import main
from neok2.stats.baseline import QUANTILE_TYPES, BaselineTable, baseline_table

REFERENCE = Path(__file__).parent / "reference"
CONTINUOUS = ("age", "lwt", "bwt", "ftv")
REL = 1e-9


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "birthwt.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE / "baseline.csv", keep_default_na=False, na_values=["NA"])
    frame["group"] = frame["group"].astype(str)
    return frame.set_index(["variable", "quantity", "group"])["value"]


def ref(reference: pd.Series, variable: str, quantity: str, group: str = "") -> float:
    return float(reference.loc[(variable, quantity, group)])


def cell(table: BaselineTable, variable: str, group: str, level: str = "") -> pd.Series:
    rows = table.tidy()
    hit = rows[(rows["variable"] == variable) & (rows["group"] == group) & (rows["level"] == level)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.fixture(scope="module")
def table(birthwt) -> BaselineTable:
    return baseline_table(
        birthwt,
        "smoke",
        variables=["age", "lwt", "bwt", "ftv", "low", "ht", "ui", "race", "ptl"],
        summary={"race": "n_percent", "ptl": "n_percent"},
        overall=True,
        # the R reference treats ftv (0-6 visits) as continuous; by default it would be a
        # factor (fewer than 10 values), which TestFewLevels checks
        categorical_levels=0,
    )


# ------------------------------------------------------------------ summaries


class TestContinuousSummaries:
    @pytest.mark.parametrize("variable", CONTINUOUS)
    @pytest.mark.parametrize("group", ["0", "1"])
    def test_mean_sd_n(self, table, reference, variable, group):
        row = cell(table, variable, group)
        assert row["n"] == ref(reference, variable, "n", group)
        assert row["mean"] == pytest.approx(ref(reference, variable, "mean", group), rel=REL)
        assert row["sd"] == pytest.approx(ref(reference, variable, "sd", group), rel=REL)
        assert row["median"] == pytest.approx(ref(reference, variable, "median_type7", group))

    @pytest.mark.parametrize("variable", CONTINUOUS)
    def test_overall(self, table, reference, variable):
        row = cell(table, variable, "overall")
        assert row["mean"] == pytest.approx(ref(reference, variable, "mean", "overall"), rel=REL)
        assert row["sd"] == pytest.approx(ref(reference, variable, "sd", "overall"), rel=REL)
        assert math.isnan(row["p_value"]) and row["test"] == ""


class TestQuantileMethod:
    @pytest.mark.parametrize("quantile_type", sorted(QUANTILE_TYPES))
    def test_all_r_types(self, birthwt, reference, quantile_type):
        result = baseline_table(
            birthwt,
            "smoke",
            variables=["lwt", "ftv"],
            quantile_method=quantile_type,
            categorical_levels=0,
        )
        for variable in ("lwt", "ftv"):
            for group in ("0", "1"):
                row = cell(result, variable, group)
                for name in ("q1", "median", "q3"):
                    expected = ref(reference, variable, f"{name}_type{quantile_type}", group)
                    assert row[name] == pytest.approx(expected, rel=1e-12), (variable, name)

    def test_spss_type_six_differs_from_r_default(self, birthwt):
        type6 = cell(
            baseline_table(birthwt, "smoke", variables=["lwt"], quantile_method=6), "lwt", "1"
        )
        type7 = cell(baseline_table(birthwt, "smoke", variables=["lwt"]), "lwt", "1")
        assert type6["q1"] != type7["q1"]


class TestSummaryDetection:
    def test_shapiro_rule(self, table, reference):
        # R shapiro.test: bwt p = 0.334 and 0.419 (normal); age, lwt, ftv p < 0.003.
        for variable in CONTINUOUS:
            normal = all(ref(reference, variable, "shapiro_p", g) >= 0.05 for g in ("0", "1"))
            expected = "mean_sd" if normal else "median_iqr"
            assert cell(table, variable, "0")["summary"] == expected, variable
        assert cell(table, "bwt", "0")["summary"] == "mean_sd"

    def test_binary_and_categorical(self, table):
        assert cell(table, "low", "0")["summary"] == "n_percent"
        assert set(table.tidy().query("variable == 'race'")["level"]) == {"1", "2", "3"}

    def test_text_column_is_categorical(self):
        frame = pd.DataFrame({"g": [0, 0, 1, 1], "colour": ["red", "blue", "red", "red"]})
        rows = baseline_table(frame, "g").tidy()
        assert rows["level"].tolist() == ["blue", "red", "blue", "red"]
        assert rows["n"].tolist() == [1, 1, 0, 2]

    def test_summary_override(self, birthwt):
        result = baseline_table(birthwt, "smoke", variables=["age"], summary={"age": "mean_sd"})
        assert cell(result, "age", "0")["summary"] == "mean_sd"


# ------------------------------------------------------------------ tests


class TestContinuousTests:
    @pytest.mark.parametrize("variable", CONTINUOUS)
    def test_student(self, birthwt, reference, variable):
        result = baseline_table(
            birthwt, "smoke", variables=[variable], summary={variable: "mean_sd"}, t_test="student"
        )
        row = cell(result, variable, "0")
        assert row["test"] == "student_t"
        assert row["statistic"] == pytest.approx(ref(reference, variable, "student_t"), rel=REL)
        assert row["p_value"] == pytest.approx(ref(reference, variable, "student_p"), rel=REL)

    @pytest.mark.parametrize("variable", CONTINUOUS)
    def test_welch(self, birthwt, reference, variable):
        row = cell(
            baseline_table(
                birthwt,
                "smoke",
                variables=[variable],
                tests={variable: "welch_t"},
                summary={variable: "mean_sd"},
            ),
            variable,
            "0",
        )
        assert row["statistic"] == pytest.approx(ref(reference, variable, "welch_t"), rel=REL)
        assert row["p_value"] == pytest.approx(ref(reference, variable, "welch_p"), rel=REL)

    @pytest.mark.parametrize("variable", CONTINUOUS)
    def test_mann_whitney(self, birthwt, reference, variable):
        row = cell(
            baseline_table(
                birthwt,
                "smoke",
                variables=[variable],
                tests={variable: "mann_whitney"},
                categorical_levels=0,
            ),
            variable,
            "1",
        )
        assert row["statistic"] == pytest.approx(ref(reference, variable, "mann_whitney_w"))
        assert row["p_value"] == pytest.approx(ref(reference, variable, "mann_whitney_p"), rel=REL)

    def test_auto_student_when_levene_accepts(self, table, reference):
        assert ref(reference, "bwt", "levene_p") > 0.05
        assert cell(table, "bwt", "0")["test"] == "student_t"

    def test_auto_welch_when_levene_rejects(self, birthwt, reference):
        # R: Levene (mean-centred) p = 0.014 for birth weight by low.
        assert ref(reference, "bwt_by_low", "levene_p") < 0.05
        result = baseline_table(birthwt, "low", variables=["bwt"], summary={"bwt": "mean_sd"})
        row = cell(result, "bwt", "0")
        assert row["test"] == "welch_t"
        assert row["statistic"] == pytest.approx(ref(reference, "bwt_by_low", "welch_t"), rel=REL)
        assert row["p_value"] == pytest.approx(ref(reference, "bwt_by_low", "welch_p"), rel=1e-6)

    def test_median_iqr_gets_mann_whitney(self, table, reference):
        row = cell(table, "age", "0")
        assert row["test"] == "mann_whitney"
        assert row["p_value"] == pytest.approx(ref(reference, "age", "mann_whitney_p"), rel=REL)

    def test_none(self, birthwt):
        row = cell(baseline_table(birthwt, "smoke", variables=["age"], tests="none"), "age", "0")
        assert row["test"] == "" and math.isnan(row["p_value"])


class TestCategoricalTests:
    @pytest.mark.parametrize("variable", ["low", "ui"])
    def test_yates_for_two_by_two(self, table, reference, variable):
        row = cell(table, variable, "0")
        assert row["test"] == "chisq_yates"
        assert row["p_value"] == pytest.approx(ref(reference, variable, "chisq_yates_p"), rel=REL)

    def test_without_yates(self, birthwt, reference):
        row = cell(baseline_table(birthwt, "smoke", variables=["low"], yates=False), "low", "0")
        assert row["test"] == "chisq"
        assert row["p_value"] == pytest.approx(ref(reference, "low", "chisq_p"), rel=REL)

    def test_fisher_when_expected_below_five(self, table, reference):
        # R: smallest expected count for ht is 4.70.
        assert ref(reference, "ht", "min_expected") < 5
        row = cell(table, "ht", "0")
        assert row["test"] == "fisher"
        assert row["p_value"] == pytest.approx(ref(reference, "ht", "fisher_p"), rel=REL)
        assert "4.70 < 5" in row["note"]

    def test_fisher_threshold_option(self, birthwt):
        row = cell(baseline_table(birthwt, "smoke", variables=["ht"], fisher_expected=4), "ht", "0")
        assert row["test"] == "chisq_yates"

    def test_chisq_three_levels(self, table, reference):
        row = cell(table, "race", "0", "1")
        assert row["test"] == "chisq"
        assert row["statistic"] == pytest.approx(ref(reference, "race", "chisq_statistic"), rel=REL)
        assert row["p_value"] == pytest.approx(ref(reference, "race", "chisq_p"), rel=REL)

    def test_exact_fisher_for_larger_table(self, table, reference):
        # R fisher.test (exact network algorithm) p = 0.0363, now enumerated exactly
        row = cell(table, "ptl", "0", "0")
        assert row["test"] == "fisher"
        assert row["p_value"] == pytest.approx(ref(reference, "ptl", "fisher_p"), rel=1e-6)

    @pytest.mark.parametrize("level", ["0", "1", "2", "3"])
    def test_counts_and_percent(self, table, reference, level):
        for group, size in (("0", 115), ("1", 74)):
            row = cell(table, "ptl", group, level)
            count = ref(reference, "ptl", f"count_{level}", group)
            assert row["n"] == count
            assert row["percent"] == pytest.approx(100 * count / size)

    def test_binary_counts_the_ones(self, table, reference):
        assert cell(table, "low", "1")["n"] == ref(reference, "low", "count_1", "1")


class TestStandardisedMeanDifference:
    @pytest.mark.parametrize("variable", [*CONTINUOUS, "low", "ht", "ui", "race", "ptl"])
    def test_tableone_formulas(self, table, reference, variable):
        level = {"race": "1", "ptl": "0"}.get(variable, "")
        assert cell(table, variable, "0", level)["smd"] == pytest.approx(
            ref(reference, variable, "smd"), rel=1e-8
        )

    def test_binary_by_hand(self):
        # p1 = 2/4, p2 = 1/4: |0.5 - 0.25| / sqrt((0.25 + 0.1875) / 2) = 0.25 / 0.46771 = 0.53452
        frame = pd.DataFrame({"g": [0] * 4 + [1] * 4, "x": [1, 1, 0, 0, 1, 0, 0, 0]})
        row = cell(baseline_table(frame, "g"), "x", "0")
        assert row["smd"] == pytest.approx(0.25 / math.sqrt((0.25 + 0.1875) / 2))


# ------------------------------------------------------------------ missing values


class TestMissing:
    @pytest.fixture()
    def holey(self, birthwt) -> pd.DataFrame:
        frame = birthwt.copy()
        frame["age"] = frame["age"].astype(float)
        frame["ht"] = frame["ht"].astype(float)
        frame["smoke"] = frame["smoke"].astype(float)
        # birthwt.csv rows 0-1 are non-smokers (smoke = 0), rows 3-4 smokers (smoke = 1);
        # row 3 has ht = 0 (a smoker without hypertension).
        frame.loc[[0, 1], "age"] = np.nan
        frame.loc[[3], "ht"] = np.nan
        frame.loc[[4], "smoke"] = np.nan
        return frame

    def test_counts_per_group(self, holey):
        result = baseline_table(holey, "smoke", variables=["age", "ht"])
        assert cell(result, "age", "0")["n_missing"] == 2
        assert cell(result, "age", "0")["n"] == 115 - 2
        assert cell(result, "age", "1")["n_missing"] == 0
        ht_smokers = cell(result, "ht", "1")
        assert ht_smokers["n_missing"] == 1
        # 73 smokers remain (row 4 lost its group); 5 hypertensive (R count), 72 non-missing.
        assert result.group_n["1"] == 73
        assert ht_smokers["n"] == 5
        assert ht_smokers["percent"] == pytest.approx(100 * 5 / 72)

    def test_missing_group_reported(self, holey):
        result = baseline_table(holey, "smoke", variables=["age"])
        assert result.n_missing_group == 1
        assert sum(result.group_n.values()) == 188
        assert any("missing 'smoke'" in note for note in result.notes)

    def test_missing_row_displayed(self, holey):
        shown = baseline_table(holey, "smoke", variables=["age"]).display()
        assert "Missing" in shown["characteristic"].tolist()


# ------------------------------------------------------------------ grouping and labels


class TestGroups:
    def test_order_and_labels(self, birthwt, reference):
        result = baseline_table(
            birthwt,
            "smoke",
            variables=["bwt"],
            group_order=[1, 0],
            group_labels={1: "smoker", 0: "non-smoker"},
        )
        assert result.groups == ("smoker", "non-smoker")
        assert dict(result.group_n) == {"smoker": 74, "non-smoker": 115}
        # R computed non-smokers minus smokers; smokers first flips the sign.
        assert cell(result, "bwt", "smoker")["statistic"] == pytest.approx(
            -ref(reference, "bwt", "student_t"), rel=REL
        )

    def test_labels(self, birthwt):
        result = baseline_table(birthwt, "smoke", variables=["bwt"], labels={"bwt": "Weight (g)"})
        assert result.display()["characteristic"].tolist() == ["Weight (g)"]


# ------------------------------------------------------------------ output


class TestDisplayAndGt:
    def test_p_never_zero(self, table):
        shown = table.display().set_index("characteristic")
        assert shown.loc["race", "p_value"] == "<0.001"
        assert "0.000" not in shown["p_value"].tolist()

    def test_cells_use_formatting_layer(self, table, reference):
        shown = table.display().set_index("characteristic")
        # bwt non-smokers: mean 3055.6957, sd 752.6566 (R) -> "3055.70 ± 752.66".
        assert shown.loc["bwt", "0"] == "3055.70 ± 752.66"
        assert shown.loc["low", "1"] == "30 (40.5)"

    def test_to_gt_is_stable(self, table):
        first = table.to_gt(title="Table 1").as_raw_html()
        assert isinstance(table.to_gt(), GT)
        assert first == table.to_gt(title="Table 1").as_raw_html()
        assert "(n = 115)" in first and "Table 1" in first


class TestToCsv:
    def test_round_trip(self, table, tmp_path):
        path = table.to_csv(tmp_path / "t1.csv")
        back = pd.read_csv(path, keep_default_na=False, na_values=[""])
        assert back["mean"].dropna().tolist() == table.tidy()["mean"].dropna().tolist()

    def test_refuses_input_file(self, birthwt, tmp_path):
        source = tmp_path / "data.csv"
        birthwt.to_csv(source, index=False)
        before = source.read_bytes()
        result = baseline_table(birthwt, "smoke", variables=["bwt"], source=source)
        with pytest.raises(ValueError, match="input data file"):
            result.to_csv(source, overwrite=True)
        assert source.read_bytes() == before

    def test_existing_file(self, table, tmp_path):
        path = tmp_path / "t.csv"
        path.write_text("keep")
        with pytest.raises(ValueError, match="overwrite=True"):
            table.to_csv(path)
        assert path.read_text() == "keep"
        table.to_csv(path, formatted=True, overwrite=True)
        assert path.read_text().startswith("variable,level,characteristic")


# ------------------------------------------------------------------ errors


class TestErrorsProperly:
    def test_data_type(self):
        with pytest.raises(TypeError, match="`data`"):
            baseline_table({"g": [0, 1]}, "g")  # type: ignore[arg-type]

    def test_unknown_group(self, birthwt):
        with pytest.raises(ValueError, match="`group`: column 'smoker' is not in the data"):
            baseline_table(birthwt, "smoker")

    def test_three_groups(self, birthwt):
        with pytest.raises(ValueError, match="exactly two values"):
            baseline_table(birthwt, "race", variables=["bwt"])

    def test_group_order_mismatch(self, birthwt):
        with pytest.raises(ValueError, match="`group_order`"):
            baseline_table(birthwt, "smoke", variables=["bwt"], group_order=[1, 2])

    def test_unknown_variable(self, birthwt):
        with pytest.raises(ValueError, match=r"`variables`: \['weight'\] not in the data"):
            baseline_table(birthwt, "smoke", variables=["weight"])

    def test_bad_summary(self, birthwt):
        with pytest.raises(ValueError, match="summary"):
            baseline_table(birthwt, "smoke", variables=["bwt"], summary={"bwt": "mean"})

    def test_mean_of_text(self):
        frame = pd.DataFrame({"g": [0, 1], "x": ["a", "b"]})
        with pytest.raises(TypeError, match="not numeric"):
            baseline_table(frame, "g", summary={"x": "mean_sd"})

    def test_test_does_not_fit(self, birthwt):
        with pytest.raises(ValueError, match="does not fit"):
            baseline_table(birthwt, "smoke", variables=["low"], tests={"low": "welch_t"})

    @pytest.mark.parametrize(
        ("option", "value"),
        [("t_test", "pooled"), ("quantile_method", 10), ("tests", "all")],
    )
    def test_bad_option(self, birthwt, option, value):
        with pytest.raises(ValueError, match=f"`{option}`"):
            baseline_table(birthwt, "smoke", variables=["bwt"], **{option: value})

    def test_bad_alpha(self, birthwt):
        with pytest.raises(ValueError, match="`normality_alpha`"):
            baseline_table(birthwt, "smoke", variables=["bwt"], normality_alpha=1.5)

    def test_all_missing_variable(self):
        frame = pd.DataFrame({"g": [0, 1, 0], "x": [np.nan] * 3})
        with pytest.raises(ValueError, match="no non-missing"):
            baseline_table(frame, "g")

    def test_dates(self):
        frame = pd.DataFrame({"g": [0, 1], "when": pd.to_datetime(["2020-07-01", "2020-08-01"])})
        with pytest.raises(TypeError, match=r"'when'.*leave it out"):
            baseline_table(frame, "g")


# ------------------------------------------------------------------ command line


class TestCli:
    @pytest.fixture()
    def data_file(self, tmp_path) -> Path:
        rng = np.random.default_rng(7)
        frame = pd.DataFrame(
            {
                "deficiency": [1] * 30 + [0] * 60,
                "ga_weeks": rng.normal(35, 3, 90).round(1),
                "caesarean": rng.integers(0, 2, 90),
                "maternal_age": rng.integers(20, 40, 90),
            }
        )
        path = tmp_path / "data.csv"
        frame.to_csv(path, index=False)
        return path

    def test_writes_csv_and_html(self, data_file, tmp_path):
        before = data_file.read_bytes()
        prefix = tmp_path / "out" / "table1"
        runner = CliRunner()
        # a partial file on purpose: only some of the study's columns
        args = [
            "table1",
            str(data_file),
            "--study",
            "k2_neonates",
            "--out",
            str(prefix),
            "--no-validate",
        ]
        first = runner.invoke(main, args)
        assert first.exit_code == 0, first.output
        csv_bytes = (tmp_path / "out" / "table1.csv").read_bytes()
        html = (tmp_path / "out" / "table1.html").read_text()
        assert "Vitamin K2 deficiency (n = 30)" in html
        tidy = pd.read_csv(tmp_path / "out" / "table1.csv")
        assert tidy["variable"].unique().tolist() == ["ga_weeks", "caesarean", "maternal_age"]
        assert set(tidy["group"]) == {"case", "control"}
        assert "not in" in first.output  # study rows absent from the data are named
        second = runner.invoke(main, args)
        assert second.exit_code == 0
        assert (tmp_path / "out" / "table1.csv").read_bytes() == csv_bytes
        assert data_file.read_bytes() == before

    def test_refuses_to_overwrite_input(self, data_file):
        prefix = str(data_file.with_suffix(""))
        result = CliRunner().invoke(
            main, ["table1", str(data_file), "--group", "deficiency", "--out", prefix]
        )
        assert result.exit_code == 2
        assert "input data file" in result.output

    def test_needs_a_group(self, data_file):
        result = CliRunner().invoke(main, ["table1", str(data_file)])
        assert result.exit_code == 2
        assert "--group" in result.output
