"""Property-based tests: invariants that must hold for every input, not only worked examples.

Hypothesis runs with ``derandomize=True`` and no example database, so every run (and CI)
tries the same examples; ``max_examples`` keeps the whole module to a few seconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from neok2.formatting import (
    format_ci,
    format_mean_sd,
    format_median_iqr,
    format_n_percent,
    format_number,
    format_p,
    parse_cell,
    parse_interval,
)
from neok2.stats.baseline import baseline_table
from neok2.stats.contingency import INTERVAL_METHODS, crosstab_2x2, odds_ratio_2x2
from neok2.stats.logistic import logistic_regression
from neok2.study.spec import parse_study
from neok2.synth.generator import synthesize_cohort

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
QUICK = settings(PROPERTY, max_examples=100)
SLOW = settings(PROPERTY, max_examples=12)
# odds_ratio_2x2 takes about 60 ms (scipy's conditional exact interval), so fewer examples.
CONTINGENCY = settings(PROPERTY, max_examples=20)
DESIGNS = ("case-control", "cohort")

# Interval limits are found by root search to 1e-13 on log(OR); 1e-7 relative leaves room
# for the root finder's stopping point while still catching a wrong formula.
RELATIVE = 1e-7

counts = st.integers(min_value=0, max_value=60)


@st.composite
def tables(draw: st.DrawFn, *, allow_zero: bool = True) -> tuple[int, int, int, int]:
    low = 0 if allow_zero else 1
    cells = tuple(draw(st.integers(min_value=low, max_value=60)) for _ in range(4))
    a, b, c, d = cells
    # Every margin must be non-empty, or the odds ratio is undefined (an error, tested elsewhere).
    assume(a + b > 0 and c + d > 0 and a + c > 0 and b + d > 0)
    return a, b, c, d


def _inverse(value: float) -> float:
    if value == 0:
        return math.inf
    if math.isinf(value):
        return 0.0
    return 1.0 / value


def _close(first: float, second: float) -> bool:
    if math.isnan(first) or math.isnan(second):
        return math.isnan(first) and math.isnan(second)
    if math.isinf(first) or math.isinf(second) or first == 0 or second == 0:
        return first == second
    return math.isclose(first, second, rel_tol=RELATIVE)


def _rows(result: Any) -> dict[str, tuple[float, float, float]]:
    return {row.method: (row.odds_ratio, row.ci_low, row.ci_high) for row in result.interval_rows}


# ----------------------------------------------------------------------------- odds_ratio_2x2


class TestOddsRatioSymmetry:
    @CONTINGENCY
    @given(tables())
    def test_swapping_groups_or_exposure_inverts_or_and_ci(self, table):
        a, b, c, d = table
        original = _rows(odds_ratio_2x2(a, b, c, d))
        cases_swapped = _rows(odds_ratio_2x2(c, d, a, b))
        exposure_swapped = _rows(odds_ratio_2x2(b, a, d, c))
        for swapped in (cases_swapped, exposure_swapped):
            for method in INTERVAL_METHODS:
                estimate, low, high = original[method]
                estimate_s, low_s, high_s = swapped[method]
                assert _close(estimate_s, _inverse(estimate)), (method, table)
                assert _close(low_s, _inverse(high)), (method, table)
                assert _close(high_s, _inverse(low)), (method, table)

    @settings(CONTINGENCY, max_examples=12)
    @given(tables())
    def test_transposing_leaves_or_and_ci_unchanged(self, table):
        # The odds ratio is symmetric in exposure and outcome: (a, c, b, d) is the same table.
        a, b, c, d = table
        original = _rows(odds_ratio_2x2(a, b, c, d))
        transposed = _rows(odds_ratio_2x2(a, c, b, d))
        for method in ("woolf", "exact", "midp"):
            for first, second in zip(original[method], transposed[method], strict=True):
                assert _close(first, second), (method, table)


class TestOddsRatioInterval:
    @CONTINGENCY
    @given(tables(), st.sampled_from([0.8, 0.9, 0.95, 0.99]), st.sampled_from(DESIGNS))
    def test_ci_contains_its_estimate_and_p_values_lie_in_unit_interval(
        self, table, conf_level, design
    ):
        result = odds_ratio_2x2(*table, conf_level=conf_level, design=design)
        for method, (estimate, low, high) in _rows(result).items():
            assert 0.0 <= low <= high, (method, table)
            if not math.isnan(estimate):
                # Root finding stops within 1e-13 of the log limit; allow that much.
                assert low * (1 - 1e-9) <= estimate <= high * (1 + 1e-9), (method, table)
        for p_value in (result.p_chisq, result.p_yates, result.p_fisher):
            assert 0.0 <= p_value <= 1.0, table
        assert result.p_chisq <= result.p_yates + 1e-12, table

    @settings(CONTINGENCY, max_examples=15)
    @given(tables(allow_zero=False))
    def test_wider_level_gives_wider_interval(self, table):
        narrow = _rows(odds_ratio_2x2(*table, conf_level=0.9))
        wide = _rows(odds_ratio_2x2(*table, conf_level=0.99))
        for method in INTERVAL_METHODS:
            assert wide[method][1] <= narrow[method][1] * (1 + 1e-9), (method, table)
            assert wide[method][2] >= narrow[method][2] * (1 - 1e-9), (method, table)

    @settings(CONTINGENCY, max_examples=15)
    @given(tables(allow_zero=False))
    def test_woolf_matches_its_formula(self, table):
        # Independent of the code path: Woolf (1955), exp(log(ad/bc) +/- z * se) with
        # z = qnorm(0.975) = 1.959963984540054 (R).
        a, b, c, d = table
        result = odds_ratio_2x2(a, b, c, d, method="woolf")
        log_or = math.log(a * d / (b * c))
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        z = 1.959963984540054
        assert result.odds_ratio == pytest.approx(a * d / (b * c), rel=1e-12)
        assert result.ci_low == pytest.approx(math.exp(log_or - z * se), rel=1e-9)
        assert result.ci_high == pytest.approx(math.exp(log_or + z * se), rel=1e-9)

    @pytest.mark.parametrize(
        "table", [(1, 1, 1, 0), (5, 0, 3, 4), (1, 0, 1, 1), (0, 1, 1, 1), (60, 0, 1, 60)]
    )
    def test_score_interval_exists_for_zero_cell_tables(self, table):
        # Found by the symmetry property: the score search once failed on these tables
        # (cancellation in the constrained-MLE quadratic at extreme odds ratios).
        result = odds_ratio_2x2(*table, method="score")
        estimate = result.odds_ratio
        assert (result.ci_low == 0.0) == (estimate == 0.0)
        assert math.isinf(result.ci_high) == math.isinf(estimate)
        assert result.ci_low <= estimate <= result.ci_high


class TestCrosstab:
    @PROPERTY
    @given(
        st.lists(
            st.tuples(st.sampled_from([0, 1, None]), st.sampled_from([0, 1, None])),
            min_size=1,
            max_size=80,
        )
    )
    def test_counts_and_missing_add_up_to_rows(self, pairs):
        frame = pd.DataFrame(pairs, columns=["exposure", "case"], dtype="Float64")
        counts = crosstab_2x2(frame, "exposure", "case")
        assert counts.a + counts.b + counts.c + counts.d == counts.n_used
        assert counts.n_used + counts.n_missing == len(frame)
        assert counts.n_missing == sum(1 for x, y in pairs if x is None or y is None)
        assert counts.a == sum(1 for x, y in pairs if x == 1 and y == 1)


# ----------------------------------------------------------------------------- formatting

p_values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _p_order_key(printed: str) -> tuple[float, int]:
    """Sort key for a printed p: "<0.001" sorts just below 0.001, ">0.999" just above 0.999."""
    if printed.startswith("<"):
        return float(printed[1:]), -1
    if printed.startswith(">"):
        return float(printed[1:]), 1
    return float(printed), 0


class TestFormatP:
    @QUICK
    @given(p_values, st.integers(min_value=1, max_value=6))
    def test_never_prints_zero(self, p, digits):
        printed = format_p(p, digits)
        assert printed != format_number(0.0, digits)
        assert not (printed[0].isdigit() and float(printed) == 0.0), printed

    @QUICK
    @given(p_values, p_values, st.integers(min_value=1, max_value=5))
    def test_round_trips_order(self, first, second, digits):
        low, high = sorted((first, second))
        assert _p_order_key(format_p(low, digits)) <= _p_order_key(format_p(high, digits))

    @QUICK
    @given(p_values, st.integers(min_value=1, max_value=6))
    def test_printed_value_is_within_half_a_unit(self, p, digits):
        printed = format_p(p, digits)
        unit = 10.0**-digits
        if printed[0] == "<":
            assert p < float(printed[1:])
        elif printed[0] == ">":
            assert p > float(printed[1:])
        else:
            assert abs(float(printed) - p) <= unit / 2 + 1e-12

    @QUICK
    @given(st.floats(allow_nan=False).filter(lambda v: not 0.0 <= v <= 1.0))
    def test_out_of_range_raises(self, p):
        with pytest.raises(ValueError, match="`p` must lie in"):
            format_p(p)


class TestFormatRoundTrips:
    @QUICK
    @given(st.integers(min_value=0, max_value=10_000), st.data())
    def test_n_percent_round_trips_through_parse_cell(self, total, data):
        n = data.draw(st.integers(min_value=0, max_value=total))
        digits = data.draw(st.integers(min_value=0, max_value=3))
        printed = format_n_percent(n, total, digits)
        if total == 0:
            assert printed == "0 (NA)"
            return
        cell = parse_cell(printed, "n_percent")
        assert cell.values[0] == n
        # 100% is always printed as "100", never "100.0" (formatting's journal rule)
        assert cell.decimals[1] == (0 if n == total else digits)
        assert abs(cell.values[1] - 100.0 * n / total) <= 0.5 * 10.0**-digits + 1e-9

    finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)

    @QUICK
    @given(finite, st.floats(min_value=0, max_value=1e6), st.integers(min_value=0, max_value=4))
    def test_mean_sd_round_trips(self, mean, sd, digits):
        cell = parse_cell(format_mean_sd(mean, sd, digits), "mean_sd")
        assert abs(cell.values[0] - mean) <= 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-9
        assert abs(cell.values[1] - sd) <= 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-9

    @QUICK
    @given(st.lists(finite, min_size=3, max_size=3), st.integers(min_value=0, max_value=4))
    def test_median_iqr_round_trips(self, values, digits):
        q1, median, q3 = sorted(values)
        cell = parse_cell(format_median_iqr(median, q1, q3, digits), "median_iqr")
        for parsed, value in zip(cell.values, (median, q1, q3), strict=True):
            assert abs(parsed - value) <= 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-9

    @QUICK
    @given(
        st.floats(min_value=1e-3, max_value=1e4),
        st.floats(min_value=1e-3, max_value=1e4),
        st.integers(min_value=1, max_value=4),
    )
    def test_ci_round_trips_through_parse_interval(self, first, second, digits):
        low, high = sorted((first, second))
        parsed_low, parsed_high = parse_interval(format_ci(low, high, digits))
        assert parsed_low <= parsed_high
        assert abs(parsed_low - low) <= 0.5 * 10.0**-digits + 1e-9

    @QUICK
    @given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 6))
    def test_format_number_shows_exactly_digits_places(self, value, digits):
        text = format_number(value, digits)
        assert text.lstrip("-").replace(".", "", 1).isdigit(), text
        assert (len(text.split(".")[1]) if "." in text else 0) == digits
        assert text not in ("-0", "-0." + "0" * digits)


# ----------------------------------------------------------------------------- baseline


@st.composite
def cohorts(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(min_value=8, max_value=60))
    group = draw(st.lists(st.sampled_from([0.0, 1.0, math.nan]), min_size=size, max_size=size))
    assume(group.count(0.0) >= 2 and group.count(1.0) >= 2)
    binary = draw(st.lists(st.sampled_from([0.0, 1.0, math.nan]), min_size=size, max_size=size))
    level = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=size, max_size=size))
    weight = draw(
        st.lists(
            st.one_of(st.floats(min_value=0.5, max_value=5.0), st.just(math.nan)),
            min_size=size,
            max_size=size,
        )
    )
    frame = pd.DataFrame({"case": group, "flag": binary, "kind": level, "weight": weight})
    for column in ("flag", "kind", "weight"):
        assume(frame.loc[frame["case"].notna(), column].notna().sum() > 0)
    return frame


class TestBaselineCounts:
    @SLOW
    @given(cohorts())
    def test_counts_add_up_to_n_with_missing_counted(self, frame):
        table = baseline_table(frame, "case", tests="none")
        rows = table.tidy()
        n_grouped = int(frame["case"].notna().sum())
        assert table.n_missing_group == len(frame) - n_grouped
        assert sum(table.group_n.values()) == n_grouped
        for (variable, group), block in rows.groupby(["variable", "group"]):
            group_n = table.group_n[group]
            n_missing = int(block["n_missing"].iloc[0])
            if variable == "flag":
                # A 0/1 row counts the 1s; the 0s are the rest of the non-missing values.
                value = 1.0 if group == "1" else 0.0
                in_group = frame[frame["case"] == value]
                assert int(block["n"].iloc[0]) == int((in_group["flag"] == 1).sum())
                assert n_missing == int(in_group["flag"].isna().sum())
            elif variable == "kind" or block["summary"].iloc[0] == "n_percent":
                # a factor, or a numeric column with fewer than 10 values shown as one
                assert int(block["n"].sum()) + n_missing == group_n
            else:
                assert int(block["n"].iloc[0]) + n_missing == group_n
            percents = block["percent"].dropna()
            assert ((percents >= 0) & (percents <= 100)).all()

    @SLOW
    @given(cohorts())
    def test_p_values_in_unit_interval_and_display_never_prints_zero(self, frame):
        table = baseline_table(frame, "case", n_resamples=200, seed=1)
        p_values = table.tidy()["p_value"].dropna()
        assert ((p_values >= 0) & (p_values <= 1)).all()
        assert not table.display()["p_value"].isin(["0.000", "0.00", "0"]).any()


# ----------------------------------------------------------------------------- logistic


@st.composite
def separated_tables(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """A 2x2 table with at least one zero cell: ML diverges, the data are separated."""
    a, b, c, d = (draw(st.integers(min_value=1, max_value=30)) for _ in range(4))
    zero = draw(st.sampled_from("abcd"))
    cells = {"a": a, "b": b, "c": c, "d": d}
    cells[zero] = 0
    return cells["a"], cells["b"], cells["c"], cells["d"]


def _frame_from_table(a: int, b: int, c: int, d: int) -> pd.DataFrame:
    cells = ((1, 1, a), (0, 1, b), (1, 0, c), (0, 0, d))
    exposure = [x for x, _, n in cells for _ in range(n)]
    case = [y for _, y, n in cells for _ in range(n)]
    return pd.DataFrame({"case": case, "exposed": exposure})


class TestLogistic:
    @SLOW
    @given(separated_tables())
    def test_firth_fit_exists_for_every_separated_table(self, table):
        result = logistic_regression(_frame_from_table(*table), "case ~ exposed")
        assert result.separation is not None
        assert result.firth
        tidy = result.tidy()
        assert np.isfinite(tidy["estimate"]).all(), table
        assert np.isfinite(tidy["std_error"]).all(), table
        assert (tidy["odds_ratio"] > 0).all()

    @SLOW
    @given(tables(allow_zero=False))
    def test_single_binary_covariate_matches_woolf(self, table):
        # Logistic regression on one 0/1 covariate reproduces the cross-product ratio and,
        # with Wald intervals, the Woolf interval (both use the same asymptotic variance).
        result = logistic_regression(_frame_from_table(*table), "case ~ exposed")
        row = result.tidy(intercept=False).iloc[0]
        woolf = odds_ratio_2x2(*table, method="woolf")
        assert row["odds_ratio"] == pytest.approx(woolf.odds_ratio, rel=1e-6)
        assert row["ci_low"] == pytest.approx(woolf.ci_low, rel=1e-6)
        assert row["ci_high"] == pytest.approx(woolf.ci_high, rel=1e-6)


# ----------------------------------------------------------------------------- synthesis


@st.composite
def small_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid spec: group sizes, two binary rows and one mean +/- SD row."""
    n_cases = draw(st.integers(min_value=10, max_value=40))
    n_controls = draw(st.integers(min_value=10, max_value=60))
    sizes = {"case": n_cases, "control": n_controls}
    rows: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = [
        {"name": "id", "type": "id"},
        {"name": "deficiency", "type": "binary"},
    ]
    for name in ("exposure_a", "exposure_b"):
        cells = {}
        for group, size in sizes.items():
            count = draw(st.integers(min_value=1, max_value=size - 1))
            cells[group] = f"{count} ({format_number(100 * count / size, 1)})"
        rows.append({"variable": name, "summary": "n_percent", **cells})
        columns.append({"name": name, "type": "binary"})
    means = {
        group: draw(st.integers(min_value=300, max_value=400)) / 10 for group in ("case", "control")
    }
    sds = {group: draw(st.integers(min_value=10, max_value=30)) / 10 for group in means}
    rows.append(
        {
            "variable": "ga_weeks",
            "summary": "mean_sd",
            **{group: f"{means[group]:.1f}±{sds[group]:.1f}" for group in means},
        }
    )
    columns.append({"name": "ga_weeks", "type": "continuous", "min": 22, "max": 44})
    return {
        "id": "random",
        "outcome": {"column": "deficiency"},
        "groups": {
            "case": {"label": "Cases", "n": n_cases},
            "control": {"label": "Controls", "n": n_controls},
        },
        "totals": {"n": n_cases + n_controls},
        "table1": rows,
        "columns": columns,
    }


class TestSynthesis:
    @settings(SLOW, max_examples=6)
    @given(small_specs(), st.integers(min_value=0, max_value=2**31))
    def test_synthetic_cohort_meets_its_margins(self, spec, seed):
        study = parse_study(spec)
        data = synthesize_cohort(study, seed=seed).data
        assert len(data) == study.n
        assert int((data["deficiency"] == 1).sum()) == study.groups["case"]
        for group, value in (("case", 1), ("control", 0)):
            rows = data[data["deficiency"] == value]
            for variable in ("exposure_a", "exposure_b"):
                assert int(rows[variable].sum()) == int(study.cell(variable, group)["n"])
            target = study.cell("ga_weeks", group)
            assert format_number(float(rows["ga_weeks"].mean()), 1) == format_number(
                float(target["mean"]), 1
            )
            assert format_number(float(rows["ga_weeks"].std(ddof=1)), 1) == format_number(
                float(target["sd"]), 1
            )
