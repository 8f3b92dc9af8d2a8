"""neok2.audit.run: every check family on a clean and a broken spec, the seed paper, the rebuild.

Reference numbers come from tests/reference/audit.R (run with Rscript; CSVs checked in) or
from hand calculations written next to them.
"""

from __future__ import annotations

import copy
import json
import math
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from neok2.audit.run import AuditResult, audit_study, study_from_data
from neok2.cli.app import main
from neok2.stats.contingency import odds_ratio_2x2
from neok2.stats.printed import (
    Interval,
    discriminant_odds_ratio,
    p_interval,
    t_test_p,
    t_test_p_range,
    wald_p_from_ci,
)
from neok2.stats.two_group import TWO_GROUP_TESTS
from neok2.study.spec import load_study, parse_study

REFERENCE = Path(__file__).parent / "reference"
R_2X2 = pd.read_csv(REFERENCE / "audit_2x2.csv").set_index("variable")
R_TTEST = pd.read_csv(REFERENCE / "audit_ttest.csv").set_index("variable")
R_CI_P = pd.read_csv(REFERENCE / "audit_ci_p.csv")
N_CASE, N_CONTROL = 66, 134


@pytest.fixture(scope="module")
def seed() -> AuditResult:
    return audit_study(load_study("k2_neonates"))


def at(result: AuditResult, location: str, check: str | None = None) -> pd.Series:
    hit = result.checks[result.checks["location"] == location]
    if check is not None:
        hit = hit[hit["check"] == check]
    assert len(hit) == 1, f"{location!r}: {len(hit)} rows"
    return hit.iloc[0]


# A small internally consistent spec. Counts are the seed's PROM, gestational diabetes and sex
# rows (R: audit_2x2.csv); the calcium and GA rows are the seed's, whose printed p the
# Welch / Student ranges reproduce. Hand calculations for the made-up numbers:
# - calcium OR 0.551 with CI 0.150-2.024: sqrt(0.150 * 2.024) = 0.551; SE = ln(2.024/0.150)
#   / 3.92 = 0.6638, z = ln(0.551) / SE = -0.898, p = 0.369.
# - adjusted PROM OR 2.300, CI 1.100-4.809: sqrt(1.1 * 4.809) = 2.300; SE = ln(4.809/1.1) /
#   3.92 = 0.37633, z = 0.8329 / 0.37633 = 2.213, p = 0.027.
# - GA bins sum to 66 and 134; below 37 weeks: 0 + 8 + 35 + 5 + 20 + 31 = 99.
CLEAN = {
    "id": "clean",
    "outcome": {"column": "deficiency"},
    "groups": {"case": {"label": "cases", "n": 66}, "control": {"label": "controls", "n": 134}},
    "totals": {"n": 200, "male": 121, "female": 79},
    "screening": {"threshold": 0.1},
    "table1": [
        {
            "variable": "ga_weeks",
            "label": "Gestational age (week)",
            "summary": "mean_sd",
            "test": "t-test",
            "case": "35.1±3.27",
            "control": "35±3.72",
            "p": "0.818",
            "bins": [
                {"level": "<28", "high": 28, "case": "0 (0)", "control": "5 (3.7)"},
                {"level": "<32", "low": 28, "high": 32, "case": "8 (12)", "control": "20 (14.9)"},
                {"level": "<37", "low": 32, "high": 37, "case": "35 (53)", "control": "31 (23)"},
                {"level": ">=37", "low": 37, "case": "23 (34.8)", "control": "78 (58)"},
            ],
        },
        {
            "variable": "male",
            "label": "Male",
            "summary": "n_percent",
            "test": "chi-square",
            "case": "42 (63.6)",
            "control": "79 (59.0)",
            "p": "0.524",
        },
        {
            "variable": "prom",
            "label": "PROM",
            "summary": "n_percent",
            "test": "chi-square",
            "case": "18 (27.3)",
            "control": "17 (12.7)",
            "p": "0.011",
        },
        {
            "variable": "gestational_diabetes",
            "label": "Gestational diabetes",
            "summary": "n_percent",
            "test": "chi-square",
            "case": "17 (25.8)",
            "control": "15 (11.2)",
            "p": "0.008",
        },
        {
            "variable": "calcium_mmol_l",
            "label": "Serum Ca (mmol/L)",
            "summary": "mean_sd",
            "test": "t-test",
            "case": "1.05±0.21",
            "control": "1.09±0.28",
            "p": "0.268",
        },
        {
            "variable": "maternal_age",
            "label": "Maternal age (year)",
            "summary": "median_iqr",
            "test": "Mann-Whitney",
            "case": "31 (27, 33)",
            "control": "30 (26, 34)",
            "p": "0.227",
        },
    ],
    "univariable": [
        {"variable": "prom", "label": "PROM", "or": "2.581", "ci": "1.228-5.426", "p": "0.012"},
        {
            "variable": "gestational_diabetes",
            "label": "Gestational diabetes",
            "or": "2.752",
            "ci": "1.275-5.944",
            "p": "0.010",
        },
        {
            "variable": "calcium_mmol_l",
            "label": "Serum Ca",
            "or": "0.551",
            "ci": "0.150-2.024",
            "p": "0.369",
        },
    ],
    "multivariable": {
        "terms_entered": ["prom", "gestational_diabetes"],
        "reported": [
            {"variable": "prom", "label": "PROM", "or": "2.300", "ci": "1.100-4.809", "p": "0.027"}
        ],
    },
    "text_claims": {
        "premature_n": {"value": 99, "printed": "99", "refers_to": "ga_weeks < 37"},
        "deficiency_prevalence_percent": {"value": 33, "refers_to": "deficiency"},
        "males": {"value": 121, "refers_to": "male"},
        "prom_case_percent": {"value": 27.3, "refers_to": "prom in cases"},
    },
    "columns": [
        {"name": "deficiency", "type": "binary"},
        {"name": "ga_weeks", "type": "continuous", "unit": "week", "min": 22, "max": 44},
        {"name": "male", "type": "binary"},
        {"name": "prom", "type": "binary"},
        {"name": "gestational_diabetes", "type": "binary"},
        {
            "name": "calcium_mmol_l",
            "type": "continuous",
            "unit": "mmol/L",
            "description": "serum calcium",
        },
        {"name": "maternal_age", "type": "integer", "unit": "year"},
    ],
}


def audit_of(edit=None) -> AuditResult:
    spec = copy.deepcopy(CLEAN)
    if edit is not None:
        edit(spec)
    return audit_study(parse_study(spec))


def table1_row(spec: dict, variable: str) -> dict:
    return next(row for row in spec["table1"] if row["variable"] == variable)


def table2_row(spec: dict, variable: str) -> dict:
    return next(row for row in spec["univariable"] if row["variable"] == variable)


@pytest.fixture(scope="module")
def clean() -> AuditResult:
    return audit_of()


# ============================================================== numerical helpers against R


@pytest.mark.parametrize("variable", R_2X2.index)
def test_two_by_two_matches_r(variable):
    ref = R_2X2.loc[variable]
    a, c = int(ref["exposed_cases"]), int(ref["exposed_controls"])
    table = odds_ratio_2x2(a, N_CASE - a, c, N_CONTROL - c, correction="none")
    counts = [[a, c], [N_CASE - a, N_CONTROL - c]]
    for name, value in (
        ("pearson_p", table.p_chisq),
        ("yates_p", table.p_yates),
        ("fisher_p", table.p_fisher),
        ("pearson_p", TWO_GROUP_TESTS["chisq"].on_table(counts).p_value),
        ("yates_p", TWO_GROUP_TESTS["chisq_yates"].on_table(counts).p_value),
        ("fisher_p", TWO_GROUP_TESTS["fisher"].on_table(counts).p_value),
        ("odds_ratio", table.odds_ratio),
        ("ci_low", table.ci_low),
        ("ci_high", table.ci_high),
        ("wald_p", table.wald_p),
    ):
        # glm stops its IRLS iterations at a deviance tolerance, which leaves ~1e-6 in the SE.
        assert value == pytest.approx(ref[name], rel=1e-5 if name == "wald_p" else 1e-6), name


def test_two_by_two_zero_cell_leaves_woolf_interval_and_wald_p_undefined():
    table = odds_ratio_2x2(0, 66, 5, 129, correction="none")
    assert table.odds_ratio == 0.0 and not math.isnan(table.p_fisher)
    assert math.isnan(table.ci_low) and math.isnan(table.wald_p)


@pytest.mark.parametrize("variable", R_TTEST.index)
def test_t_test_from_summaries_matches_r(variable):
    ref = R_TTEST.loc[variable]
    study = load_study("k2_neonates")
    case, control = study.cell(variable, "case"), study.cell(variable, "control")
    args = (case["mean"], case["sd"], N_CASE, control["mean"], control["sd"], N_CONTROL)
    assert t_test_p(*args, equal_var=True) == pytest.approx(ref["student_p"], rel=1e-6)
    assert t_test_p(*args, equal_var=False) == pytest.approx(ref["welch_p"], rel=1e-6)
    sem = (
        case["mean"],
        case["sd"] * math.sqrt(N_CASE),
        N_CASE,
        control["mean"],
        control["sd"] * math.sqrt(N_CONTROL),
        N_CONTROL,
    )
    assert t_test_p(*sem, equal_var=True) == pytest.approx(ref["student_p_sem"], rel=1e-6)
    assert t_test_p(*sem, equal_var=False) == pytest.approx(ref["welch_p_sem"], rel=1e-6)
    assert discriminant_odds_ratio(*args) == pytest.approx(ref["discriminant_or"], rel=1e-9)


def test_t_test_zero_spread_gives_zero_or_one():
    assert t_test_p(1.0, 0.0, 5, 1.0, 0.0, 5, equal_var=True) == 1.0
    assert t_test_p(2.0, 0.0, 5, 1.0, 0.0, 5, equal_var=False) == 0.0


def test_t_test_range_brackets_every_value_in_the_rounding_box():
    # Brute force over a grid of the box of 15.18±0.29 vs 14.98±0.24 read as SEMs.
    mean_case, mean_control = Interval(15.175, 15.185), Interval(14.975, 14.985)
    sd_case = Interval(0.285 * math.sqrt(66), 0.295 * math.sqrt(66))
    sd_control = Interval(0.235 * math.sqrt(134), 0.245 * math.sqrt(134))
    compatible = t_test_p_range(
        mean_case, sd_case, 66, mean_control, sd_control, 134, equal_var=False
    )
    grid = [
        t_test_p(m1, s1, 66, m0, s0, 134, equal_var=False)
        for m1 in np.linspace(mean_case.low, mean_case.high, 4)
        for m0 in np.linspace(mean_control.low, mean_control.high, 4)
        for s1 in np.linspace(sd_case.low, sd_case.high, 4)
        for s0 in np.linspace(sd_control.low, sd_control.high, 4)
    ]
    assert compatible.low <= min(grid) + 1e-12 and max(grid) <= compatible.high + 1e-12
    assert compatible.low == pytest.approx(min(grid), rel=1e-6)
    assert compatible.high == pytest.approx(max(grid), rel=1e-6)


@pytest.mark.parametrize("row", R_CI_P.to_dict(orient="records"), ids=lambda r: r["variable"])
def test_p_from_ci_matches_r(row):
    p = wald_p_from_ci(row["odds_ratio"], row["ci_low"], row["ci_high"])
    assert p == pytest.approx(row["p_from_ci"], rel=1e-9)


@pytest.mark.parametrize(
    ("printed", "low", "high"),
    [
        ("0.012", 0.0115, 0.0125),
        ("0.000", 0.0, 0.0005),
        ("<0.001", 0.0, 0.001),
        (">0.999", 0.999, 1.0),
        ("0.9", 0.85, 0.95),
    ],
)
def test_p_interval_reads_printed_forms(printed, low, high):
    interval = p_interval(printed)
    assert (interval.low, interval.high) == pytest.approx((low, high))


# ============================================================== argument: study


def test_clean_spec_has_no_error_or_warning(clean):
    assert set(clean.checks["severity"]) <= {"ok", "note"}
    assert set(clean.findings["check"]) == {"table1_p"}  # the Mann-Whitney note only


def test_every_family_runs_on_the_clean_spec(clean):
    assert set(clean.summary()["check"]) >= {
        "percent",
        "totals",
        "text_claim",
        "bin_mean",
        "or_from_counts",
        "ci_symmetry",
        "ci_p",
        "table1_p",
        "sd_or_sem",
        "direction",
        "reporting",
        "screening",
    }


def test_percent_error_names_compatible_counts():
    def edit(spec):
        table1_row(spec, "prom")["control"] = "17 (23.1)"

    row = at(audit_of(edit), "Table 1 / PROM / control %")
    # 17 / 134 = 12.687%; 31 / 134 = 23.134% is the only count printing 23.1.
    assert row["severity"] == "error"
    assert row["recomputed_low"] == pytest.approx(100 * 17 / 134)
    assert "a count of 31 would print 23.1%" in row["message"]


def test_percent_truncation_is_a_note():
    def edit(spec):
        table1_row(spec, "prom")["control"] = "17 (12.6)"

    row = at(audit_of(edit), "Table 1 / PROM / control %")
    assert row["severity"] == "note"
    assert row["recomputed"] == "17/134 = 12.687%"


def test_percent_clean_rounding_passes(clean):
    assert at(clean, "Table 1 / PROM / control %")["severity"] == "ok"


def test_totals_caught_when_sex_counts_disagree():
    def edit(spec):
        spec["totals"].update(male=120, female=80)

    result = audit_of(edit)
    row = at(result, "Totals / male")
    assert (row["severity"], row["recomputed"]) == ("error", "121")  # 42 + 79
    assert at(result, "Totals / female")["recomputed"] == "79"  # 200 - 121


def test_text_claim_count_against_bins():
    def edit(spec):
        spec["text_claims"]["premature_n"] = {"value": 137, "refers_to": "ga_weeks < 37"}

    row = at(audit_of(edit), "Text / premature_n")
    assert (row["severity"], row["recomputed"]) == ("error", "99")


def test_text_claim_threshold_between_bin_edges_gives_a_range():
    def edit(spec):
        spec["text_claims"]["below_30_n"] = {"value": 20, "refers_to": "ga_weeks < 30"}

    row = at(audit_of(edit), "Text / below_30_n")
    # Fully below 30: the <28 bins (0 + 5); partly: the 28-32 bins (8 + 20) -> 5 to 33.
    assert (row["recomputed_low"], row["recomputed_high"], row["severity"]) == (5, 33, "ok")


def test_text_claim_percent_in_group_and_unparseable():
    def edit(spec):
        spec["text_claims"]["prom_case_percent"]["value"] = 30.0
        spec["text_claims"]["odd"] = {"value": 1, "refers_to": "whatever this means"}

    result = audit_of(edit)
    row = at(result, "Text / prom_case_percent")
    assert row["severity"] == "error"
    assert row["recomputed_low"] == pytest.approx(100 * 18 / 66)
    assert at(result, "Text / odd")["severity"] == "note"


def test_text_claim_share_among_subset(clean):
    def edit(spec):
        spec["text_claims"]["preterm_case_percent"] = {
            "value": 32,
            "refers_to": "deficiency among ga_weeks < 37",
        }

    row = at(audit_of(edit), "Text / preterm_case_percent")
    # Cases below 37 weeks: 0 + 8 + 35 = 43 of 99 = 43.43%.
    assert row["severity"] == "error"
    assert row["recomputed_low"] == pytest.approx(100 * 43 / 99)


def test_bin_mean_outside_bin_bounds_is_caught(clean):
    assert at(clean, "Table 1 / Gestational age (week) / case mean")["severity"] == "ok"

    def edit(spec):
        table1_row(spec, "ga_weeks")["case"] = "39.5±3.27"

    row = at(audit_of(edit), "Table 1 / Gestational age (week) / case mean")
    # Largest mean the bins allow: (8*32 + 35*37 + 23*44) / 66 = 38.833.
    assert row["severity"] == "error"
    assert row["recomputed_high"] == pytest.approx((8 * 32 + 35 * 37 + 23 * 44) / 66)


def test_or_from_counts_caught_with_woolf_values():
    def edit(spec):
        table2_row(spec, "prom").update({"or": "3.151"})

    row = at(audit_of(edit), "Table 2 / PROM / OR")
    assert row["severity"] == "error"
    assert row["recomputed_low"] == pytest.approx(R_2X2.loc["prom", "odds_ratio"], rel=1e-9)


def test_or_from_counts_other_ci_method_downgrades_to_warning():
    spec = copy.deepcopy(CLEAN)
    table2_row(spec, "prom")["or"] = "3.151"
    result = audit_study(parse_study(spec), ci_method="other")
    assert at(result, "Table 2 / PROM / OR")["severity"] == "warning"


def test_ci_symmetry_caught():
    def edit(spec):
        table2_row(spec, "prom")["ci"] = "1.278-5.426"

    row = at(audit_of(edit), "Table 2 / PROM / OR vs 95% CI")
    assert row["severity"] == "error"
    assert row["recomputed"] == "2.633"  # sqrt(1.278 * 5.426) = 2.6333


def test_ci_p_caught():
    def edit(spec):
        table2_row(spec, "prom")["p"] = "0.001"

    row = at(audit_of(edit), "Table 2 / PROM / p vs 95% CI")
    assert row["severity"] == "error"
    assert row["recomputed"].startswith("0.0124")  # R: p from 2.581 (1.228-5.426)


def test_table1_p_flip_is_error_and_near_miss_is_warning():
    def flipped(spec):
        table1_row(spec, "prom")["p"] = "0.200"

    def near(spec):
        table1_row(spec, "prom")["p"] = "0.013"

    def fisher(spec):
        table1_row(spec, "prom")["p"] = "0.017"

    assert at(audit_of(flipped), "Table 1 / PROM / p", "table1_p")["severity"] == "error"
    row = at(audit_of(near), "Table 1 / PROM / p", "table1_p")
    # R: Pearson 0.01069, Yates 0.01853, Fisher 0.01662; none rounds to 0.013.
    assert row["severity"] == "warning"
    assert row["recomputed_low"] == pytest.approx(R_2X2.loc["prom", "pearson_p"], rel=1e-6)
    assert row["recomputed_high"] == pytest.approx(R_2X2.loc["prom", "yates_p"], rel=1e-6)
    assert at(audit_of(fisher), "Table 1 / PROM / p", "table1_p")["severity"] == "note"


def test_table1_p_median_rows_are_a_note(clean):
    row = at(clean, "Table 1 / Maternal age (year) / p")
    assert (row["severity"], row["recomputed"]) == ("note", "not recomputable")


def test_sd_read_as_sem_is_caught():
    def edit(spec):
        spec["table1"].append(
            {
                "variable": "pt_s",
                "label": "PT (s)",
                "summary": "mean_sd",
                "test": "t-test",
                "case": "15.18±0.29",
                "control": "14.98±0.24",
                "p": "0.621",
            }
        )
        spec["columns"].append({"name": "pt_s", "type": "continuous", "unit": "s"})

    result = audit_of(edit)
    row = at(result, "Table 1 / PT (s) / SD")
    assert row["severity"] == "error"
    # R (audit_ttest.csv): the SEM reading gives Student 0.6159 and Welch 0.5960.
    assert f"Student {R_TTEST.loc['pt_s', 'student_p_sem']:.4f}" in row["recomputed"]
    assert at(result, "Table 1 / PT (s) / p")["severity"] == "error"


def test_sd_reading_passes_on_clean(clean):
    assert at(clean, "Table 1 / Serum Ca (mmol/L) / SD")["severity"] == "ok"


def test_direction_against_means_is_caught():
    def edit(spec):
        table2_row(spec, "calcium_mmol_l").update(or_="1.815", ci="0.494-6.669")
        table2_row(spec, "calcium_mmol_l")["or"] = table2_row(spec, "calcium_mmol_l").pop("or_")

    row = at(audit_of(edit), "Table 2 / Serum Ca / OR direction")
    assert row["severity"] == "error"
    assert row["recomputed_low"] == pytest.approx(R_TTEST.loc["calcium_mmol_l", "discriminant_or"])


def test_direction_against_percentages_is_caught():
    def edit(spec):
        table2_row(spec, "prom").update({"or": "0.387", "ci": "0.184-0.814", "p": "0.012"})

    assert at(audit_of(edit), "Table 2 / PROM / OR direction")["severity"] == "error"


def test_reporting_conventions_are_caught():
    def edit(spec):
        table1_row(spec, "prom")["p"] = "0.000"
        table1_row(spec, "gestational_diabetes")["label"] = "PROM"
        table1_row(spec, "calcium_mmol_l")["label"] = "Serum Ca (mg/dL)"
        table1_row(spec, "male")["p"] = "0.52"

    result = audit_of(edit)
    assert at(result, "Table 1 / PROM / p", "reporting")["recomputed"] == "<0.001"
    reporting = result.findings[result.findings["check"] == "reporting"]
    assert set(reporting["location"]) == {
        "Table 1 / PROM / p",
        "Table 1 / Male / p",
        "Table 1 / PROM / label",
        "Table 1 / Serum Ca (mg/dL) / unit",
    }
    assert (
        reporting.set_index("location").loc["Table 1 / Serum Ca (mg/dL) / unit", "recomputed"]
        == "mmol/L"
    )


def test_reporting_copied_row_is_caught():
    def edit(spec):
        spec["table1"].append({**table1_row(spec, "prom"), "variable": "twins", "label": "Twins"})
        spec["columns"].append({"name": "twins", "type": "binary"})

    assert at(audit_of(edit), "Table 1 / Twins / row")["severity"] == "warning"


def test_screening_rule_is_checked(clean):
    assert at(clean, "Table 2 / Serum Ca / screen")["severity"] == "ok"

    def edit(spec):
        spec["multivariable"]["terms_entered"] = ["prom", "calcium_mmol_l"]

    result = audit_of(edit)
    assert at(result, "Table 2 / Serum Ca / screen")["severity"] == "error"
    assert at(result, "Table 2 / Gestational diabetes / screen")["severity"] == "error"


def test_screening_candidate_without_table2_row_is_a_warning():
    def edit(spec):
        spec["univariable"] = [r for r in spec["univariable"] if r["variable"] != "prom"]
        spec["multivariable"] = {"terms_entered": ["gestational_diabetes"]}

    assert at(audit_of(edit), "Table 1 / PROM / screen")["severity"] == "warning"


def test_study_errors_properly():
    with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
        audit_study("k2_neonates")  # type: ignore[arg-type]


# ============================================================== arguments: options


def test_ci_method_errors_properly():
    with pytest.raises(ValueError, match="`ci_method`"):
        audit_study(load_study("k2_neonates"), ci_method="profile")  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [0, 1, 1.5])
def test_level_errors_properly(level):
    with pytest.raises(ValueError, match="`level`"):
        audit_study(load_study("k2_neonates"), level=level)


def test_alpha_errors_properly():
    with pytest.raises(ValueError, match="`alpha`"):
        audit_study(load_study("k2_neonates"), alpha=2.0)


# ============================================================== the seed paper


def test_seed_prom_interval(seed):
    row = at(seed, "Table 2 / PROM / 95% CI")
    assert (row["reported"], row["recomputed"], row["severity"]) == (
        "1.278-5.426",
        "1.228-5.426",
        "error",
    )
    assert row["recomputed_low"] == pytest.approx(R_2X2.loc["prom", "ci_low"], rel=1e-6)
    assert at(seed, "Table 2 / PROM / OR vs 95% CI")["severity"] == "error"
    message = at(seed, "Table 2 / PROM / p vs 95% CI")["message"]
    assert "upper half of the interval alone gives 0.0124" in message


@pytest.mark.parametrize(
    ("variable", "label", "recomputed"),
    [("caesarean", "Caesarean section", "3.033"), ("sga", "SGA", "4.741")],
)
def test_seed_or_against_table1_counts(seed, variable, label, recomputed):
    row = at(seed, f"Table 2 / {label} / OR")
    assert (row["recomputed"], row["severity"]) == (recomputed, "error")
    assert row["recomputed_low"] == pytest.approx(R_2X2.loc[variable, "odds_ratio"], rel=1e-9)


def test_seed_antenatal_steroid_or_matches(seed):
    assert at(seed, "Table 2 / Antenatal steroid / OR")["severity"] == "ok"


def test_seed_text_claims(seed):
    # Hand sums of Table 1's GA bins and SGA row.
    expected = {
        "premature_n": "99",
        "ga_below_28_n": "5",
        "sga_n": "18",
        "preterm_deficiency_percent": "43.43%",
        "undetectable": "0-66",
    }
    for name, recomputed in expected.items():
        assert at(seed, f"Text / {name}")["recomputed"] == recomputed
    assert at(seed, "Text / undetectable")["severity"] == "ok"
    assert at(seed, "Text / undetectable / vs case mean")["severity"] == "ok"


def test_seed_sd_and_direction(seed):
    assert at(seed, "Table 1 / PT (S) / SD")["severity"] == "error"
    assert at(seed, "Table 2 / Serum Ca / OR direction")["severity"] == "error"
    assert at(seed, "Table 2 / Birthweight / OR direction")["severity"] == "error"
    assert at(seed, "Table 2 / GA / OR direction")["severity"] == "ok"  # 35 has no decimals


def test_seed_reporting(seed):
    reporting = seed.findings[seed.findings["check"] == "reporting"]
    zero = reporting[reporting["reported"] == "0.000"]
    assert len(zero) == 4
    assert "Table 1 / Apgar score at 5 min / label" in set(reporting["location"])
    note = at(seed, "Table 1 / Serum P (mmol/L) / transcription note")
    assert note["recomputed"] == "serum phosphorus (mmol/L)"


def test_seed_every_finding_shows_a_recomputed_value(seed):
    assert (seed.findings["recomputed"].str.len() > 0).all()
    assert not seed.findings.duplicated(["check", "location"]).any()


def test_seed_summary_counts(seed):
    summary = seed.summary().set_index("check")
    assert summary.loc["total", "n_checks"] == seed.n_checks == len(seed.checks)
    assert summary.loc["total", "n_error"] == seed.n_errors > 0
    assert (
        summary.drop(index="total")[["n_ok", "n_note", "n_warning", "n_error"]].sum(axis=1)
        == summary.drop(index="total")["n_checks"]
    ).all()


# ============================================================== outputs


def test_tidy_excludes_passed_unless_asked(seed):
    assert len(seed.tidy()) == len(seed.findings) < len(seed.tidy(include_passed=True))
    assert list(seed.tidy().columns[:8]) == [
        "check",
        "location",
        "reported",
        "recomputed",
        "recomputed_low",
        "recomputed_high",
        "severity",
        "message",
    ]


def test_csv_round_trip_and_file(seed, tmp_path):
    text = seed.to_csv()
    back = pd.read_csv(StringIO(text), keep_default_na=False)
    assert back["location"].tolist() == seed.findings["location"].tolist()
    target = tmp_path / "audit.csv"
    seed.to_csv(target)
    assert target.read_text(encoding="utf-8") == text


def test_json_and_markdown(seed):
    payload = json.loads(seed.to_json())
    assert payload["study"] == "k2_neonates"
    assert len(payload["findings"]) == len(seed.findings)
    assert payload["summary"][-1]["check"] == "total"
    markdown = seed.to_markdown()
    assert markdown.startswith("# Audit of k2_neonates")
    assert "| Table 2 / PROM / 95% CI |" in markdown


def test_to_gt_renders(seed):
    html = seed.to_gt().as_raw_html()
    assert "Audit of k2_neonates" in html and "1.228-5.426" in html


def test_outputs_are_deterministic():
    first = audit_study(load_study("k2_neonates")).to_json(include_passed=True)
    assert audit_study(load_study("k2_neonates")).to_json(include_passed=True) == first


# ============================================================== study_from_data


def simulate(seed: int, n_case: int = 66, n_control: int = 134) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for outcome, size in ((1, n_case), (0, n_control)):
        frame = pd.DataFrame({"deficiency": np.full(size, outcome)})
        frame["ga_weeks"] = np.clip(rng.normal(35.5 - 0.5 * outcome, 3.3, size), 24, 42)
        frame["birthweight_kg"] = np.clip(rng.normal(2.3, 0.7, size), 0.5, 4.5)
        for name, case_risk, control_risk in (
            ("male", 0.6, 0.6),
            ("caesarean", 0.75, 0.5),
            ("twins", 0.15, 0.09),
            ("intrauterine_distress", 0.12, 0.09),
            ("sga", 0.18, 0.05),
            ("prom", 0.27, 0.13),
            ("placental_abnormality", 0.09, 0.04),
            ("antenatal_steroid", 0.38, 0.1),
            ("gestational_diabetes", 0.26, 0.11),
            ("preeclampsia", 0.08, 0.07),
        ):
            frame[name] = rng.binomial(1, case_risk if outcome else control_risk, size)
        frame["k2_ng_ml"] = (
            rng.uniform(0.0, 0.0999, size) if outcome else rng.uniform(0.1, 0.86, size)
        )
        for name in ("apgar_1min", "apgar_5min", "apgar_10min"):
            frame[name] = rng.integers(7, 11, size)
        frame["pt_s"] = rng.normal(15, 2.5, size)
        frame["aptt_s"] = rng.normal(54, 12, size)
        frame["fibrinogen_g_l"] = rng.gamma(8, 0.22, size)
        frame["glucose_mmol_l"] = rng.normal(4.35, 1.2, size)
        frame["calcium_mmol_l"] = rng.normal(1.07, 0.25, size)
        frame["phosphorus_mmol_l"] = rng.normal(1.95, 0.22, size)
        frame["maternal_age"] = rng.integers(20, 42, size)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def rebuilt():
    return study_from_data(simulate(7), load_study("k2_neonates"))


@pytest.mark.parametrize("seed_value", [7, 11])
def test_rebuilt_study_has_no_error_findings(seed_value):
    study = study_from_data(simulate(seed_value), load_study("k2_neonates"))
    result = audit_study(study)
    assert result.n_errors == 0, result.findings.to_string()
    assert set(result.findings["severity"]) <= {"note"}


def test_rebuilt_tables_match_the_data(rebuilt):
    data = simulate(7)
    cases = data[data["deficiency"] == 1]
    # Counts and percentages straight from the data.
    count = int(cases["caesarean"].sum())
    assert rebuilt.cell("caesarean", "case")["n"] == count
    assert rebuilt.cell("caesarean", "case")["percent"] == pytest.approx(round(100 * count / 66, 1))
    table = odds_ratio_2x2(
        count,
        66 - count,
        int(data.loc[data["deficiency"] == 0, "caesarean"].sum()),
        134 - int(data.loc[data["deficiency"] == 0, "caesarean"].sum()),
    )
    row = rebuilt.univariable.set_index("variable").loc["caesarean"]
    assert row["odds_ratio"] == pytest.approx(table.odds_ratio, abs=5e-4)
    assert row["ci_low"] == pytest.approx(table.ci_low, abs=5e-4)
    assert rebuilt.text_claims["premature_n"]["value"] == (data["ga_weeks"] < 37).sum()


def test_rebuilt_screen_and_model(rebuilt):
    entered = set(rebuilt.multivariable_terms)
    assert entered == set(rebuilt.multivariable["variable"])
    p_values = rebuilt.univariable.set_index("variable")["p_value"]
    assert all(p_values[name] <= 0.1 for name in entered)


def test_rebuild_replaces_a_label_printed_twice(rebuilt):
    assert rebuilt.cell("apgar_10min", "case")["label"] == "Apgar score at 10 minutes"


def test_rebuild_is_deterministic():
    first = study_from_data(simulate(3), load_study("k2_neonates"))
    second = study_from_data(simulate(3), load_study("k2_neonates"))
    pd.testing.assert_frame_equal(first.table1, second.table1)
    pd.testing.assert_frame_equal(first.multivariable, second.multivariable)


def test_rebuild_data_errors_properly():
    template = load_study("k2_neonates")
    data = simulate(5)
    with pytest.raises(TypeError, match="`data` must be a pandas DataFrame"):
        study_from_data(data.to_dict(), template)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks the column"):
        study_from_data(data.drop(columns="pt_s"), template)
    holes = data.copy()
    holes.loc[[0, 1], "pt_s"] = np.nan
    with pytest.raises(ValueError, match=r"missing values \(pt_s: 2\)"):
        study_from_data(holes, template)
    wrong = data.assign(deficiency=data["deficiency"] + 1)
    with pytest.raises(ValueError, match="must hold both 0"):
        study_from_data(wrong, template)


def test_rebuild_template_errors_properly():
    with pytest.raises(TypeError, match="`template` must be a neok2 Study"):
        study_from_data(simulate(5), "k2_neonates")  # type: ignore[arg-type]


# ============================================================== command line


def test_cli_writes_each_format(tmp_path):
    runner = CliRunner()
    for output_format in ("csv", "md", "json"):
        result = runner.invoke(main, ["audit", "--format", output_format])
        assert result.exit_code == 0, result.output
        assert "1.228-5.426" in result.output
    target = tmp_path / "audit.json"
    result = runner.invoke(main, ["audit", "--format", "json", "--out", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["study"] == "k2_neonates"


def test_cli_refuses_to_overwrite_the_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(CLEAN), encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", "--study", str(spec), "--out", str(spec)])
    assert result.exit_code == 2
    assert "is the study spec itself" in result.output
    assert json.loads(spec.read_text(encoding="utf-8")) == CLEAN
