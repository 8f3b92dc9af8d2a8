"""2x2 odds ratios: every number is checked against R (tests/reference/contingency.R).

R 4.2.2 with epiR 2.0.57 wrote tests/reference/contingency.csv and contingency_midp.R wrote
contingency_midp.csv (median-unbiased mid-p estimates, large tables); the tests only read them.
Cells: a = exposed cases, b = unexposed cases, c = exposed controls, d = unexposed controls.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.contingency import (
    INTERVAL_METHODS,
    Counts2x2,
    TwoByTwo,
    crosstab_2x2,
    odds_ratio_2x2,
)

REFERENCE = Path(__file__).parent / "reference" / "contingency.csv"
TABLES = (
    "caesarean",
    "sga",
    "gestational_diabetes",
    "prom",
    "antenatal_steroid",
    "placental_abnormality",
    "zero_cell",
)
PAPER_TABLES = TABLES[:-1]
TIGHT = 1e-6  # R re-solved with uniroot(tol = 1e-13): differences are root-finding noise


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, float]]:
    frame = pd.read_csv(REFERENCE)
    return {
        name: dict(zip(block["quantity"], block["value"], strict=True))
        for name, block in frame.groupby("table")
    }


@pytest.fixture(scope="module")
def cells() -> dict[str, tuple[int, int, int, int]]:
    frame = pd.read_csv(REFERENCE).drop_duplicates("table")
    return {row.table: (row.a, row.b, row.c, row.d) for row in frame.itertuples()}


def _row(result: TwoByTwo, method: str) -> pd.Series:
    intervals = result.intervals().set_index("method")
    return intervals.loc[method]


# ------------------------------------------------------------------ the published figure


class TestPublishedSteroidOddsRatio:
    def test_woolf_matches_table_2(self):
        # Paper, Table 2: antenatal steroid OR 5.675 (2.659-12.112) from 25/66 vs 13/134.
        result = odds_ratio_2x2(25, 41, 13, 121)
        assert round(result.odds_ratio, 3) == 5.675
        assert round(result.ci_low, 3) == 2.659
        assert round(result.ci_high, 3) == 12.112

    def test_hand_calculation(self):
        # OR = 25*121 / (41*13) = 3025/533; SE(log OR) = sqrt(1/25 + 1/41 + 1/13 + 1/121).
        odds_ratio = 3025 / 533
        se = math.sqrt(1 / 25 + 1 / 41 + 1 / 13 + 1 / 121)
        result = odds_ratio_2x2(25, 41, 13, 121)
        assert result.odds_ratio == pytest.approx(odds_ratio, rel=1e-12)
        assert result.ci_low == pytest.approx(odds_ratio * math.exp(-1.959963984540054 * se))


# ------------------------------------------------------------------ method


class TestMethodAgainstR:
    @pytest.mark.parametrize("table", PAPER_TABLES)
    def test_woolf_matches_epir(self, reference, cells, table):
        ref = reference[table]
        row = _row(odds_ratio_2x2(*cells[table]), "woolf")
        assert row["odds_ratio"] == pytest.approx(ref["epir_or_wald"], rel=1e-10)
        assert row["ci_low"] == pytest.approx(ref["epir_or_wald_low"], rel=1e-10)
        assert row["ci_high"] == pytest.approx(ref["epir_or_wald_high"], rel=1e-10)
        assert not row["corrected"]

    @pytest.mark.parametrize("table", TABLES)
    def test_score_matches_exact_root_of_epir_equation(self, reference, cells, table):
        ref = reference[table]
        row = _row(odds_ratio_2x2(*cells[table], method="score"), "score")
        assert row["ci_low"] == pytest.approx(ref["score_low_tight"], rel=TIGHT, abs=1e-12)
        assert row["ci_high"] == pytest.approx(ref["score_high_tight"], rel=TIGHT)

    @pytest.mark.parametrize("table", TABLES)
    def test_score_matches_epir_printed_within_its_grid(self, reference, cells, table):
        # epiR:::zlimit steps by 0.1% and returns the first point outside the interval,
        # so its limits sit up to 0.1% (plus one step) from the exact root.
        ref = reference[table]
        row = _row(odds_ratio_2x2(*cells[table]), "score")
        assert row["ci_low"] == pytest.approx(ref["epir_or_score_low"], rel=2.1e-3, abs=1e-12)
        assert row["ci_high"] == pytest.approx(ref["epir_or_score_high"], rel=2.1e-3)

    @pytest.mark.parametrize("table", TABLES)
    def test_exact_matches_fisher_test(self, reference, cells, table):
        ref = reference[table]
        result = odds_ratio_2x2(*cells[table], method="exact")
        assert result.odds_ratio == pytest.approx(ref["exact_mle_tight"], rel=1e-8)
        assert result.ci_low == pytest.approx(ref["exact_low_tight"], rel=TIGHT)
        assert result.ci_high == pytest.approx(ref["exact_high_tight"], rel=TIGHT)
        # fisher.test itself solves with uniroot's default tolerance (~1.2e-4 on a scale
        # where the odds ratio is 1/t), hence the looser comparison with its printout.
        assert result.odds_ratio == pytest.approx(ref["fisher_estimate"], rel=1e-5)
        assert result.ci_low == pytest.approx(ref["fisher_low"], rel=2e-3)
        assert result.ci_high == pytest.approx(ref["fisher_high"], rel=2e-3)

    @pytest.mark.parametrize("table", TABLES)
    def test_midp_matches_r(self, reference, cells, table):
        ref = reference[table]
        result = odds_ratio_2x2(*cells[table], method="midp")
        # the estimate of the mid-p row is the median-unbiased one (contingency_midp.R)
        if 0 < ref["exact_mle_tight"] < math.inf:
            assert result.odds_ratio != pytest.approx(ref["exact_mle_tight"], rel=1e-6)
        assert result.ci_low == pytest.approx(ref["midp_low_tight"], rel=TIGHT)
        assert result.ci_high == pytest.approx(ref["midp_high_tight"], rel=TIGHT)

    def test_intervals_lists_every_method(self):
        intervals = odds_ratio_2x2(25, 41, 13, 121).intervals()
        assert tuple(intervals["method"]) == INTERVAL_METHODS
        assert list(intervals.columns) == [
            "method",
            "odds_ratio",
            "ci_low",
            "ci_high",
            "conf_level",
            "estimate",
            "corrected",
        ]
        # midp is narrower than the exact interval: it counts only half the observed table.
        exact, midp = intervals.iloc[2], intervals.iloc[3]
        assert exact["ci_low"] < midp["ci_low"] < midp["ci_high"] < exact["ci_high"]


MIDP_REFERENCE = Path(__file__).parent / "reference" / "contingency_midp.csv"


def _midp_reference() -> dict[str, tuple[tuple[int, int, int, int], dict[str, float]]]:
    frame = pd.read_csv(MIDP_REFERENCE)
    return {
        str(name): (
            tuple(int(block[cell].iloc[0]) for cell in "abcd"),  # type: ignore[misc]
            dict(zip(block["quantity"], block["value"], strict=True)),
        )
        for name, block in frame.groupby("table", sort=False)
    }


class TestMidpAndLargeTables:
    """The mid-p row against tests/reference/contingency_midp.R; big tables stay fast."""

    @pytest.mark.parametrize("table", list(_midp_reference()))
    def test_midp_row_is_median_unbiased_as_epitools(self, table):
        counts, ref = _midp_reference()[table]
        row = _row(odds_ratio_2x2(*counts), "midp")
        assert row["estimate"] == "median_unbiased"
        assert row["odds_ratio"] == pytest.approx(ref["midp_estimate"], rel=TIGHT, abs=1e-12)
        assert row["ci_low"] == pytest.approx(ref["midp_low"], rel=TIGHT, abs=1e-12)
        assert row["ci_high"] == pytest.approx(ref["midp_high"], rel=TIGHT)

    @pytest.mark.parametrize("table", list(_midp_reference()))
    def test_exact_row_matches_fisher_equations(self, table):
        counts, ref = _midp_reference()[table]
        row = _row(odds_ratio_2x2(*counts), "exact")
        assert row["odds_ratio"] == pytest.approx(ref["conditional_mle"], rel=TIGHT, abs=1e-12)
        assert row["ci_low"] == pytest.approx(ref["exact_low"], rel=TIGHT, abs=1e-12)
        assert row["ci_high"] == pytest.approx(ref["exact_high"], rel=TIGHT)

    def test_median_unbiased_differs_from_the_conditional_mle(self):
        counts, _ = _midp_reference()["small"]
        intervals = odds_ratio_2x2(*counts).intervals().set_index("method")
        # R: 0.27536 (median-unbiased) against 0.26677 (conditional MLE)
        assert intervals.loc["midp", "odds_ratio"] == pytest.approx(0.2753574, rel=1e-6)
        assert intervals.loc["exact", "odds_ratio"] == pytest.approx(0.2667746, rel=1e-6)

    def test_a_million_counts_take_well_under_a_second(self):
        import time

        start = time.perf_counter()
        result = odds_ratio_2x2(10**6, 10**6, 10**6, 2 * 10**6)
        elapsed = time.perf_counter() - start
        assert elapsed < 1.0
        # With 10^6 counts every interval is close to Woolf's: 2 * exp(+/-1.96 * sqrt(3.5e-6))
        woolf = (2 * math.exp(-1.959964 * math.sqrt(3.5e-6)), 2 * math.exp(1.959964 * 3.5e-6**0.5))
        for row in result.intervals().itertuples():
            assert row.ci_low == pytest.approx(woolf[0], rel=1e-5)
            assert row.ci_high == pytest.approx(woolf[1], rel=1e-5)

    @pytest.mark.parametrize("value", [10**12, 10**400, 1e300])
    @pytest.mark.parametrize("argument", ["a", "b", "c", "d"])
    def test_huge_counts_name_the_argument(self, value, argument):
        counts = dict(a=5, b=6, c=7, d=8) | {argument: value}
        with pytest.raises(ValueError, match=rf"`{argument}` is .*beyond the largest count"):
            odds_ratio_2x2(**counts)


class TestTests:
    @pytest.mark.parametrize("table", TABLES)
    def test_chisq_yates_fisher_match_r(self, reference, cells, table):
        ref = reference[table]
        result = odds_ratio_2x2(*cells[table])
        assert result.chisq == pytest.approx(ref["chisq_statistic"], rel=1e-10)
        assert result.p_chisq == pytest.approx(ref["chisq_p"], rel=1e-9)
        assert result.chisq_yates == pytest.approx(ref["yates_statistic"], rel=1e-10)
        assert result.p_yates == pytest.approx(ref["yates_p"], rel=1e-9)
        assert result.p_fisher == pytest.approx(ref["fisher_p"], rel=1e-9)
        # epiR reports the same three p-values.
        assert result.p_chisq == pytest.approx(ref["epir_p_chisq"], rel=1e-9)
        assert result.p_yates == pytest.approx(ref["epir_p_yates"], rel=1e-9)
        assert result.p_fisher == pytest.approx(ref["epir_p_fisher"], rel=1e-9)


# ------------------------------------------------------------------ correction


class TestCorrection:
    def test_auto_corrects_zero_cell(self, reference, cells):
        ref = reference["zero_cell"]
        result = odds_ratio_2x2(*cells["zero_cell"])
        assert result.corrected
        assert result.odds_ratio == pytest.approx(ref["haldane_or"], rel=1e-10)
        assert result.ci_low == pytest.approx(ref["haldane_low"], rel=1e-10)
        assert result.ci_high == pytest.approx(ref["haldane_high"], rel=1e-10)
        assert any("Haldane" in note for note in result.notes)
        assert result.tidy()["corrected"].item() is True

    def test_auto_leaves_complete_table_alone(self, cells):
        assert not odds_ratio_2x2(*cells["sga"]).corrected

    @pytest.mark.parametrize("table", PAPER_TABLES)
    def test_haldane_forced(self, reference, cells, table):
        ref = reference[table]
        result = odds_ratio_2x2(*cells[table], correction="haldane")
        assert result.corrected
        assert result.odds_ratio == pytest.approx(ref["haldane_or"], rel=1e-10)
        assert result.ci_high == pytest.approx(ref["haldane_high"], rel=1e-10)

    def test_none_on_zero_cell(self, cells):
        result = odds_ratio_2x2(*cells["zero_cell"], correction="none")
        assert result.odds_ratio == 0.0
        assert math.isnan(result.ci_low) and math.isnan(result.ci_high)
        assert not result.corrected
        assert any("undefined" in note for note in result.notes)

    def test_exact_methods_never_corrected(self, cells):
        intervals = odds_ratio_2x2(*cells["zero_cell"], correction="haldane").intervals()
        assert intervals["corrected"].tolist() == [True, False, False, False]
        assert intervals.set_index("method").loc["exact", "ci_low"] == 0.0


# ------------------------------------------------------------------ conf_level


class TestConfLevel:
    def test_ninety_percent_woolf_by_hand(self):
        # z(0.95) = 1.6448536269514722; log OR = log(3025/533).
        se = math.sqrt(1 / 25 + 1 / 41 + 1 / 13 + 1 / 121)
        result = odds_ratio_2x2(25, 41, 13, 121, conf_level=0.90)
        assert result.ci_high == pytest.approx(3025 / 533 * math.exp(1.6448536269514722 * se))
        assert result.tidy()["conf_level"].item() == 0.90

    def test_wider_level_wider_interval(self):
        narrow = odds_ratio_2x2(18, 48, 17, 117, method="exact", conf_level=0.9)
        wide = odds_ratio_2x2(18, 48, 17, 117, method="exact", conf_level=0.99)
        assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high


# ------------------------------------------------------------------ design


class TestDesign:
    def test_case_control_has_no_risk_measures(self):
        result = odds_ratio_2x2(25, 41, 13, 121)
        assert math.isnan(result.risk_ratio)
        assert "risk_ratio" not in result.tidy().columns
        assert any("case-control" in note for note in result.notes)

    @pytest.mark.parametrize("table", PAPER_TABLES)
    def test_cohort_matches_epir(self, reference, cells, table):
        ref = reference[table]
        tidy = odds_ratio_2x2(*cells[table], design="cohort").tidy().iloc[0]
        for ours, theirs in (
            ("risk_ratio", "epir_rr"),
            ("risk_ratio_low", "epir_rr_low"),
            ("risk_ratio_high", "epir_rr_high"),
            ("risk_difference", "epir_rd"),
            ("risk_difference_low", "epir_rd_low"),
            ("risk_difference_high", "epir_rd_high"),
        ):
            assert tidy[ours] == pytest.approx(ref[theirs], rel=1e-10), ours

    def test_cohort_zero_cell(self, reference, cells):
        ref = reference["zero_cell"]
        result = odds_ratio_2x2(*cells["zero_cell"], design="cohort")
        # A zero exposed risk: RR = 0 with no interval (epiR gives NA), RD still defined.
        assert result.risk_ratio == 0.0 and math.isnan(result.risk_ratio_low)
        assert math.isnan(ref["epir_rr"])
        assert result.risk_difference == pytest.approx(ref["epir_rd"], rel=1e-10)
        assert result.risk_difference_low == pytest.approx(ref["epir_rd_low"], rel=1e-10)


class TestTidy:
    def test_columns(self):
        tidy = odds_ratio_2x2(25, 41, 13, 121).tidy()
        assert list(tidy.columns[:9]) == [
            "method",
            "odds_ratio",
            "ci_low",
            "ci_high",
            "conf_level",
            "p_chisq",
            "p_yates",
            "p_fisher",
            "corrected",
        ]
        assert len(tidy) == 1

    def test_same_input_same_output(self):
        first = odds_ratio_2x2(6, 60, 5, 129, method="midp").tidy()
        second = odds_ratio_2x2(6, 60, 5, 129, method="midp").tidy()
        assert first.to_csv() == second.to_csv()


# ------------------------------------------------------------------ errors


class TestErrorsProperly:
    @pytest.mark.parametrize("bad", [-1, 2.5, math.nan])
    def test_bad_count_value(self, bad):
        with pytest.raises(ValueError, match="`a`"):
            odds_ratio_2x2(bad, 1, 1, 1)

    @pytest.mark.parametrize("bad", ["3", True, None])
    def test_bad_count_type(self, bad):
        with pytest.raises(TypeError, match="`c`"):
            odds_ratio_2x2(1, 1, bad, 1)

    def test_empty_margin(self):
        with pytest.raises(ValueError, match="no unexposed"):
            odds_ratio_2x2(3, 0, 5, 0)

    @pytest.mark.parametrize(
        ("option", "value"),
        [("method", "wald"), ("correction", "yates"), ("design", "cross-sectional")],
    )
    def test_bad_option(self, option, value):
        with pytest.raises(ValueError, match=f"`{option}`"):
            odds_ratio_2x2(1, 2, 3, 4, **{option: value})

    @pytest.mark.parametrize("level", [0, 1, 1.5, -0.1])
    def test_bad_conf_level(self, level):
        with pytest.raises(ValueError, match="`conf_level`"):
            odds_ratio_2x2(1, 2, 3, 4, conf_level=level)

    def test_conf_level_type(self):
        with pytest.raises(TypeError, match="`conf_level`"):
            odds_ratio_2x2(1, 2, 3, 4, conf_level="0.95")  # type: ignore[arg-type]


# ------------------------------------------------------------------ crosstab_2x2


def _steroid_frame() -> pd.DataFrame:
    # The antenatal-steroid table written out subject by subject, plus 3 incomplete rows.
    exposure = [1] * 25 + [0] * 41 + [1] * 13 + [0] * 121 + [np.nan, 1, np.nan]
    outcome = [1] * 66 + [0] * 134 + [1, np.nan, np.nan]
    return pd.DataFrame({"steroid": exposure, "deficiency": outcome})


class TestCrosstab:
    def test_counts_and_missing(self):
        counts = crosstab_2x2(_steroid_frame(), "steroid", "deficiency")
        assert isinstance(counts, Counts2x2)
        assert (counts.a, counts.b, counts.c, counts.d) == (25, 41, 13, 121)
        assert (counts.n_used, counts.n_missing) == (200, 3)

    def test_odds_ratio_carries_missing(self):
        result = crosstab_2x2(_steroid_frame(), "steroid", "deficiency").odds_ratio()
        assert result.n_missing == 3
        assert result.tidy()["n_missing"].item() == 3
        assert any("3 row(s)" in note for note in result.notes)
        assert round(result.odds_ratio, 3) == 5.675

    def test_boolean_columns(self):
        frame = pd.DataFrame({"x": [True, False, True], "y": [True, True, False]})
        counts = crosstab_2x2(frame, "x", "y")
        assert (counts.a, counts.b, counts.c, counts.d) == (1, 1, 1, 0)

    def test_tidy(self):
        tidy = crosstab_2x2(_steroid_frame(), "steroid", "deficiency").tidy()
        assert tidy["n"].tolist() == [25, 41, 13, 121]
        assert tidy["n_missing"].unique().tolist() == [3]


class TestCrosstabErrorsProperly:
    def test_not_a_frame(self):
        with pytest.raises(TypeError, match="`data`"):
            crosstab_2x2([[1, 0]], "x", "y")  # type: ignore[arg-type]

    def test_unknown_column(self):
        with pytest.raises(ValueError, match="`outcome`: column"):
            crosstab_2x2(_steroid_frame(), "steroid", "case")

    def test_not_zero_one(self):
        frame = pd.DataFrame({"x": [0, 1, 2], "y": [0, 1, 1]})
        with pytest.raises(ValueError, match=r"`exposure`.*only 0 and 1"):
            crosstab_2x2(frame, "x", "y")

    def test_text_values(self):
        frame = pd.DataFrame({"x": [0, 1, 1], "y": ["yes", "no", "yes"]})
        with pytest.raises(ValueError, match=r"`outcome`.*recode"):
            crosstab_2x2(frame, "x", "y")
