"""Tests for neok2.synth.fidelity.

Reference values come from R (tests/reference/fidelity.R run on the fixed cohort
tests/reference/fidelity_data.csv; outputs fidelity_models.csv, fidelity_tests.csv and
fidelity_quantiles.csv) and from hand calculations written out in comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import statsmodels.api as sm

from neok2.study.spec import load_study
from neok2.synth.fidelity import (
    NOT_SIGNIFICANT_STATISTIC,
    REPORT_COLUMNS,
    fidelity_gt,
    fidelity_report,
    write_fidelity,
)

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REFERENCE / "fidelity_data.csv")


@pytest.fixture(scope="module")
def report(study, data):
    return fidelity_report(study, data).tidy()


@pytest.fixture(scope="module")
def damaged_report(study, data):
    """The reference cohort with one case's twins flag flipped (Table 1 count 10 -> 9 or 11)."""
    damaged = data.copy()
    case = damaged.index[damaged["deficiency"] == 1][0]
    damaged.loc[case, "twins"] = 1 - damaged.loc[case, "twins"]
    return fidelity_report(study, damaged).tidy()


def _row(report, source, variable, statistic, group="all"):
    hit = report[
        (report["source"] == source)
        & (report["variable"] == variable)
        & (report["statistic"] == statistic)
        & (report["group"] == group)
    ]
    assert len(hit) == 1, (source, variable, statistic, group)
    return hit.iloc[0]


class TestData:
    def test_columns(self, report):
        assert list(report.columns) == REPORT_COLUMNS
        assert str(report["ok"].dtype) == "boolean"

    def test_every_check_met_on_the_reference_cohort(self, report):
        assert report["ok"].eq(False).sum() == 0
        # rows that cannot be checked are the CIs of printed ORs that contradict Table 1
        unchecked = report[report["ok"].isna()]
        assert set(unchecked["statistic"]) == {"ci_low", "ci_high"}

    @pytest.mark.parametrize("source", ["univariable", "multivariable"])
    def test_odds_ratios_match_r_glm(self, report, source):
        reference = pd.read_csv(REFERENCE / "fidelity_models.csv")
        reference = reference[reference["source"] == source]
        published = set(
            report.loc[
                (report["source"] == source) & (report["statistic"] == "odds_ratio"), "variable"
            ]
        )
        for _, expected in reference[reference["term"].isin(published)].iterrows():
            for statistic in ("odds_ratio", "ci_low", "ci_high", "p_value"):
                row = _row(report, source, expected["term"], statistic)
                if statistic == "p_value" and pd.isna(row["published"]):
                    continue
                assert row["synthetic"] == pytest.approx(expected[statistic], rel=1e-6)

    def test_table1_tests_match_r(self, report):
        reference = pd.read_csv(REFERENCE / "fidelity_tests.csv")
        for _, expected in reference.iterrows():
            row = _row(report, "table1_test", expected["variable"], "p_value")
            assert row["synthetic"] == pytest.approx(expected["p_value"], rel=1e-6)

    def test_quartiles_and_moments_match_r_type_6(self, report):
        reference = pd.read_csv(REFERENCE / "fidelity_quantiles.csv")
        for _, expected in reference.iterrows():
            for statistic in ("q1", "median", "q3"):
                row = _row(report, "table1", expected["variable"], statistic, expected["group"])
                assert row["synthetic"] == pytest.approx(expected[statistic], rel=1e-9)

    def test_counts_are_exact(self, report):
        row = _row(report, "table1", "caesarean", "n", "case")
        assert (row["published"], row["synthetic"], row["ok"]) == (50.0, 50.0, True)

    def test_missing_values_are_counted_not_dropped_silently(self, study, data):
        damaged = data.copy()
        damaged.loc[damaged.index[:3], "pt_s"] = float("nan")
        report = fidelity_report(study, damaged).tidy()
        cases_missing = int(damaged.loc[damaged.index[:3], "deficiency"].sum())
        if cases_missing:
            row = _row(report, "table1", "pt_s", "mean", "case")
            assert f"{cases_missing} missing value(s) excluded" in row["note"]
        row = _row(report, "table1", "pt_s", "mean", "control")
        assert f"{3 - cases_missing} missing value(s) excluded" in row["note"]

    def test_a_wrong_count_fails(self, damaged_report):
        assert not bool(_row(damaged_report, "table1", "twins", "n", "case")["ok"])

    def test_errors_properly_on_non_frame(self, study):
        with pytest.raises(TypeError, match="data"):
            fidelity_report(study, [[1, 2]])

    def test_errors_properly_on_missing_outcome(self, study, data):
        with pytest.raises(ValueError, match="deficiency"):
            fidelity_report(study, data.drop(columns="deficiency"))

    def test_errors_properly_on_non_binary_outcome(self, study, data):
        damaged = data.copy()
        damaged.loc[0, "deficiency"] = 2
        with pytest.raises(ValueError, match="0/1"):
            fidelity_report(study, damaged)


class TestStudy:
    def test_caesarean_table2_or_contradiction_is_noted(self, report):
        row = _row(report, "univariable", "caesarean", "odds_ratio")
        # 50 * (134 - 68) / ((66 - 50) * 68) = 3300 / 1088 = 3.033
        assert "3.033" in row["note"] and "Table 1 wins" in row["note"]
        assert row["synthetic"] == pytest.approx(3300 / 1088, rel=1e-9)
        assert bool(row["ok"])

    def test_intrauterine_distress_percentage_is_noted(self, report):
        row = _row(report, "table1", "intrauterine_distress", "percent", "case")
        # 8 / 66 = 12.12%, printed 29.0
        assert row["synthetic"] == pytest.approx(100 * 8 / 66)
        assert "contradicts its count" in row["note"]

    def test_spreads_read_as_sem_are_explained(self, report):
        # PT and APTT reproduce their printed p only with the spreads read as SEMs, so the SD
        # is compared with spread x sqrt(n): 0.29 x sqrt(66) = 0.29 x 8.12404 = 2.35597,
        # 0.24 x sqrt(134) = 0.24 x 11.57584 = 2.77820, 1.41 x 8.12404 = 11.45489,
        # 1.25 x 11.57584 = 14.46980.
        expected = {
            ("pt_s", "case"): (2.35597, "0.29 x sqrt(66)"),
            ("pt_s", "control"): (2.77820, "0.24 x sqrt(134)"),
            ("aptt_s", "case"): (11.45489, "1.41 x sqrt(66)"),
            ("aptt_s", "control"): (14.46980, "1.25 x sqrt(134)"),
        }
        for (variable, group), (published, shown) in expected.items():
            row = _row(report, "table1", variable, "sd", group)
            assert row["published"] == pytest.approx(published, abs=1e-5)
            assert "printed spread read as SEM (see compromises)" in row["note"]
            assert f"printed {shown}" in row["note"] and bool(row["ok"])
            # half a unit of the printed SEM's last digit, times sqrt(n)
            n = 66 if group == "case" else 134
            assert row["tolerance"] == pytest.approx(0.005 * n**0.5)
        for variable in ("pt_s", "aptt_s"):
            screen = _row(report, "screen", variable, "selected")
            assert screen["published"] == 0.0 and screen["synthetic"] == 0.0
            assert bool(screen["ok"]) and "read as SEM" in screen["note"]
            test = _row(report, "table1_test", variable, "p_value")
            assert bool(test["ok"]) and "read as SEM" in test["note"]

    def test_sd_at_the_printed_spread_fails_a_sem_read_row(self, study, data):
        # Rescaling the cases' PT to SD 0.29 (the spread taken as an SD) must fail the check.
        damaged = data.copy()
        cases = damaged["deficiency"] == 1
        values = damaged.loc[cases, "pt_s"]
        damaged.loc[cases, "pt_s"] = values.mean() + (values - values.mean()) * (
            0.29 / values.std(ddof=1)
        )
        row = _row(fidelity_report(study, damaged).tidy(), "table1", "pt_s", "sd", "case")
        assert row["synthetic"] == pytest.approx(0.29) and not bool(row["ok"])

    def test_sd_read_rows_keep_the_printed_sd(self, report):
        row = _row(report, "table1", "ga_weeks", "sd", "case")
        assert row["published"] == 3.27 and row["note"] == "" and bool(row["ok"])

    def test_text_claims(self, report):
        females = _row(report, "text_claim", "females", "count")
        assert females["synthetic"] == 79.0  # 200 - 121 males
        sga = _row(report, "text_claim", "sga_n", "count")
        assert sga["synthetic"] == 18.0 and "Table 1 gives 18" in sga["note"]

    def test_definitions(self, report):
        definitions = report[report["source"] == "definition"]
        assert set(definitions["variable"]) >= {"preterm", "k2_undetectable", "sga", "k2_ng_ml"}
        assert definitions["ok"].all()

    def test_errors_properly_on_non_study(self, data):
        with pytest.raises(TypeError, match="study"):
            fidelity_report("k2_neonates", data)


MODEL_TERMS = ["caesarean", "sga", "antenatal_steroid", "gestational_diabetes", "prom"]


class TestNotSignificant:
    """Gestational diabetes and PROM entered the model but the text does not call them
    independent risk factors: their adjusted Wald p must be at least alpha = 0.05."""

    def test_one_row_per_term_with_the_published_bound(self, report):
        rows = report[report["statistic"] == NOT_SIGNIFICANT_STATISTIC]
        assert list(rows["variable"]) == ["gestational_diabetes", "prom"]
        assert set(rows["source"]) == {"multivariable"}
        assert (rows["published"] == 0.05).all() and (rows["tolerance"] == 0.05).all()
        assert rows["note"].eq("published ≥ 0.05 (not reported as independent)").all()
        assert rows["criterion"].eq("p >= alpha = 0.05").all()

    def test_p_values_match_r_glm(self, report):
        reference = pd.read_csv(REFERENCE / "fidelity_models.csv")
        reference = reference[reference["source"] == "multivariable"].set_index("term")
        for variable in ("gestational_diabetes", "prom"):
            row = _row(report, "multivariable", variable, NOT_SIGNIFICANT_STATISTIC)
            expected = float(reference.loc[variable, "p_value"])
            assert row["synthetic"] == pytest.approx(expected, rel=1e-6)
            assert expected >= 0.05 and bool(row["ok"])

    def test_a_significant_term_fails(self, study, data):
        # Same counts per group, but gestational diabetes moved onto the cases carrying the
        # fewest other exposures and the controls carrying the most: the confounding that
        # shrank its adjusted OR is undone.
        damaged = data.copy()
        others = ["caesarean", "sga", "antenatal_steroid", "prom"]
        for outcome in (1, 0):
            members = damaged.index[damaged["deficiency"] == outcome]
            count = int(damaged.loc[members, "gestational_diabetes"].sum())
            load = damaged.loc[members, others].sum(axis=1)
            order = load.sort_values(kind="stable", ascending=outcome == 1).index
            damaged.loc[members, "gestational_diabetes"] = 0
            damaged.loc[order[:count], "gestational_diabetes"] = 1
        row = _row(
            fidelity_report(study, damaged).tidy(),
            "multivariable",
            "gestational_diabetes",
            NOT_SIGNIFICANT_STATISTIC,
        )
        design = sm.add_constant(damaged[MODEL_TERMS].astype(float))
        fit = sm.Logit(damaged["deficiency"].astype(float), design).fit(disp=0)
        expected = float(fit.pvalues["gestational_diabetes"])
        assert expected < 0.05
        assert row["synthetic"] == pytest.approx(expected, rel=1e-6)
        assert not bool(row["ok"])

    def test_missing_rows_are_counted(self, study, data):
        damaged = data.copy()
        damaged.loc[damaged.index[:2], "prom"] = float("nan")
        row = _row(
            fidelity_report(study, damaged).tidy(),
            "multivariable",
            "prom",
            NOT_SIGNIFICANT_STATISTIC,
        )
        assert "2 row(s) with missing values excluded" in row["note"]

    def test_missing_model_column_fails_the_check(self, study, data):
        report = fidelity_report(study, data.drop(columns="sga")).tidy()
        row = _row(report, "multivariable", "prom", NOT_SIGNIFICANT_STATISTIC)
        assert not bool(row["ok"]) and "columns missing" in row["note"]

    def test_spec_without_such_terms_has_no_rows(self, data):
        small = load_study(Path(__file__).parent / "specs" / "small_study.yaml")
        frame = pd.DataFrame({"infected": data["deficiency"]})
        report = fidelity_report(small, frame).tidy()
        rows = report[report["statistic"] == NOT_SIGNIFICANT_STATISTIC]
        # the small spec lists hypertension; its column is absent here, so the row fails
        assert list(rows["variable"]) == ["hypertension"] and not rows["ok"].any()


class TestReport:
    def test_gt_renders(self, report):
        html = fidelity_gt(report).as_raw_html()
        assert "Fidelity to the published study" in html

    def test_gt_only_failures(self, damaged_report):
        html = fidelity_gt(damaged_report, only_failures=True).as_raw_html()
        assert "twins" in html and "caesarean" not in html

    def test_gt_errors_properly_on_other_frames(self):
        with pytest.raises(ValueError, match="fidelity_report"):
            fidelity_gt(pd.DataFrame({"a": [1]}))

    def test_write_csv(self, report, tmp_path):
        path = write_fidelity(report, tmp_path / "fidelity.csv")
        back = pd.read_csv(path)
        assert list(back.columns) == REPORT_COLUMNS and len(back) == len(report)

    def test_write_errors_properly_on_non_csv(self, report, tmp_path):
        with pytest.raises(ValueError, match=r"\.csv"):
            write_fidelity(report, tmp_path / "fidelity.txt")
