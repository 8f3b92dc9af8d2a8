"""The two-group test registry, and that every user reads a printed test name the same way."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.baseline import TESTS as BASELINE_TESTS
from neok2.stats.two_group import TWO_GROUP_TESTS, printed_test, two_group_test
from neok2.study.claims import (
    UnresolvableClaimError,
    claim_on_data,
    claim_on_table1,
    claim_range,
    parse_claim,
)
from neok2.study.spec import load_study
from neok2.synth.implied import table1_test

R_2X2 = pd.read_csv(Path(__file__).parent / "reference" / "audit_2x2.csv").set_index("variable")


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


# ============================================================== the registry against R


@pytest.mark.parametrize("variable", R_2X2.index)
@pytest.mark.parametrize(
    ("test", "column"), [("chisq", "pearson_p"), ("chisq_yates", "yates_p"), ("fisher", "fisher_p")]
)
def test_count_tests_match_r(variable, test, column):
    # R: chisq.test(correct = FALSE / TRUE), fisher.test (tests/reference/audit.R).
    ref = R_2X2.loc[variable]
    a, c = int(ref["exposed_cases"]), int(ref["exposed_controls"])
    for table in ([[a, c], [66 - a, 134 - c]], [[a, 66 - a], [c, 134 - c]]):
        assert TWO_GROUP_TESTS[test].on_table(table).p_value == pytest.approx(ref[column], rel=1e-6)


def test_mann_whitney_with_and_without_continuity_correction_by_hand():
    # Groups 1..50 and 51..100 do not overlap: U = 0, mean n1 n2 / 2 = 1250,
    # variance n1 n2 (n1 + n2 + 1) / 12 = 2500 * 101 / 12, no ties; 50 per group is past
    # R's exact limit, so both entries use the normal approximation.
    first, second = np.arange(1.0, 51.0), np.arange(51.0, 101.0)
    sd = math.sqrt(2500 * 101 / 12)
    normal_sf = 0.5 * math.erfc((1250 / sd) / math.sqrt(2))
    corrected_sf = 0.5 * math.erfc(((1250 - 0.5) / sd) / math.sqrt(2))
    uncorrected = TWO_GROUP_TESTS["mann_whitney_uncorrected"].on_samples(first, second)
    corrected = TWO_GROUP_TESTS["mann_whitney"].on_samples(first, second)
    assert uncorrected.statistic == 0.0
    assert uncorrected.p_value == pytest.approx(2 * normal_sf, rel=1e-9)
    assert corrected.p_value == pytest.approx(2 * corrected_sf, rel=1e-9)
    assert corrected.note == ""


def test_mann_whitney_is_exact_for_small_samples_without_ties_as_r():
    # Groups 1..4 and 5..9: U = 0 is the most extreme of C(9, 4) = 126 equally likely
    # rank splits, so the exact two-sided p is 2 / 126 (R: wilcox.test(1:4, 5:9)$p.value).
    first, second = np.arange(1.0, 5.0), np.arange(5.0, 10.0)
    result = TWO_GROUP_TESTS["mann_whitney"].on_samples(first, second)
    assert result.p_value == pytest.approx(2 / 126, rel=1e-12)
    assert result.note == "exact p"
    # with a tie the normal approximation is used, as R does
    tied = TWO_GROUP_TESTS["mann_whitney"].on_samples(np.array([1.0, 2, 3, 5]), second)
    assert tied.note == ""


def test_t_test_from_summaries_equals_t_test_on_values():
    first, second = np.array([2.0, 4.0, 9.0]), np.array([1.0, 1.5, 2.0, 2.5])
    for name in ("student_t", "welch_t"):
        test = TWO_GROUP_TESTS[name]
        summaries = (first.mean(), first.std(ddof=1), 3, second.mean(), second.std(ddof=1), 4)
        assert test.on_summaries(*summaries) == pytest.approx(
            test.on_samples(first, second).p_value, rel=1e-12
        )


def test_every_baseline_test_is_registered():
    assert set(BASELINE_TESTS) <= set(TWO_GROUP_TESTS)


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="unknown two-group test 'chi2'; choose one of"):
        two_group_test("chi2")
    with pytest.raises(ValueError, match="test of values, not of a table"):
        TWO_GROUP_TESTS["welch_t"].on_table([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="takes the options \\['n_resamples', 'seed'\\]"):
        TWO_GROUP_TESTS["fisher_simulated"].on_table([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="cannot be recomputed from means and SDs"):
        TWO_GROUP_TESTS["mann_whitney"].on_summaries(1, 1, 3, 2, 1, 3)
    with pytest.raises(ValueError, match=r"design.tests\['t-test'\]: unknown two-group test"):
        printed_test("t-test", "mean_sd", declared={"t-test": "student"})
    with pytest.raises(ValueError, match="`summary` must be one of"):
        printed_test("t-test", "mean")


# ============================================================== reading printed test names


@pytest.mark.parametrize(
    ("label", "summary", "expected"),
    [
        ("chi-square", "n_percent", ["chisq", "chisq_yates"]),
        ("Pearson chi-square", "n_percent", ["chisq"]),
        ("Chi-square with Yates's correction", "n_percent", ["chisq_yates"]),
        ("Fisher exact", "n_percent", ["fisher"]),
        ("", "n_percent", ["chisq", "chisq_yates"]),
        ("t-test", "mean_sd", ["student_t", "welch_t"]),
        ("Welch t-test", "mean_sd", ["welch_t"]),
        ("Mann-Whitney", "median_iqr", ["mann_whitney_uncorrected", "mann_whitney"]),
    ],
)
def test_printed_names(label, summary, expected):
    assert [test.name for test in printed_test(label, summary)] == expected


def test_the_k2_spec_declares_pearson_without_correction(study):
    # Only Pearson reproduces the printed p of intrauterine distress (0.483; Yates gives 0.652).
    assert table1_test(study, "intrauterine_distress").name == "chisq"
    assert table1_test(study, "ga_weeks").name == "student_t"
    assert table1_test(study, "maternal_age").name == "mann_whitney_uncorrected"


def test_a_declaration_changes_what_the_audit_accepts(study):
    from neok2.audit.run import audit_study

    declared = dict(study.design)
    declared["tests"] = {"chi-square": "chisq_yates"}
    yates = replace(study, design=declared)
    row = audit_study(yates).checks.set_index("location").loc["Table 1 / PROM / p"]
    # PROM's printed 0.011 is Pearson's 0.0107; Yates (declared) gives 0.0185.
    assert row["severity"] == "note" and "rather than the stated" in row["message"]


# ============================================================== one claim grammar


def test_one_parser_for_audit_and_synth(study):
    claim = parse_claim("females", study.text_claims["females"], study)
    assert (claim.condition.variable, claim.condition.ones, claim.value) == ("male", False, 79.0)
    # Table 1 has 42 + 79 = 121 boys, so 200 - 121 = 79 girls.
    assert claim_on_table1(claim, study) == 79.0
    scoped = parse_claim("x_percent", "ga_weeks < 37 in controls")
    assert (scoped.condition.operator, scoped.condition.group) == ("<", "control")
    with pytest.raises(UnresolvableClaimError, match="cannot read refers_to"):
        parse_claim("x", "ga_weeks between 3 and 4")


def test_claim_range_and_exact_figure(study):
    # Birth before 37 weeks: Table 1's gestational-age bins end at 37, so the count is fixed.
    premature = parse_claim("premature_n", study.text_claims["premature_n"], study)
    low, high = claim_range(study, premature)
    assert low == high == claim_on_table1(premature, study)
    # Undetectable K2 (< 0.05) lies below the case cut-off (0.1) but Table 1 has no bins.
    undetectable = parse_claim("undetectable", study.text_claims["undetectable"], study)
    assert claim_range(study, undetectable) == (0.0, 66.0)
    assert claim_on_table1(undetectable, study) is None


def test_claim_on_data_by_hand(study):
    data = pd.DataFrame(
        {
            "deficiency": [1, 1, 0, 0, 0],
            "male": [1, 0, 0, 0, 1],
            "ga_weeks": [30.0, 38.0, 36.0, 40.0, 41.0],
        }
    )
    females = parse_claim("females", study.text_claims["females"], study)
    share = parse_claim("x_percent", "deficiency among ga_weeks < 37")
    assert claim_on_data(females, data, "deficiency") == 3.0
    assert claim_on_data(share, data, "deficiency") == 50.0  # 1 case of the 2 preterm
    with pytest.raises(UnresolvableClaimError, match="column 'sga' is not in the data"):
        claim_on_data(parse_claim("sga_n", "sga"), data, "deficiency")
