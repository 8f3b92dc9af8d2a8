"""Numerical helpers of the audit: rounding intervals and tests recomputed from summaries.

Everything here returns unrounded floats; the check families in ``neok2.audit.checks``
compare them with printed values and the formatting layer displays them. Tests of a 2x2
table recomputed from printed counts are those of :class:`neok2.stats.contingency.TwoByTwo`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from neok2.formatting import decimal_places, parse_number

__all__ = [
    "TOLERANCE",
    "Interval",
    "discriminant_odds_ratio",
    "overlaps",
    "p_interval",
    "printed_interval",
    "rounding_interval",
    "t_test_p",
    "t_test_p_range",
    "truncation_interval",
    "wald_p_from_ci",
    "wald_p_range_from_ci",
]

# Printed values are compared with recomputed ones after a relative slack this small, so
# that a value lying exactly on a rounding boundary is not flagged for a binary artefact.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[low, high]`` of values compatible with a printed number."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        slack = TOLERANCE * max(1.0, abs(value))
        return self.low - slack <= value <= self.high + slack


def overlaps(first: Interval, second: Interval) -> bool:
    """Whether two intervals share at least one point (with the comparison slack)."""
    slack = TOLERANCE * max(1.0, abs(first.low), abs(second.low))
    return first.low <= second.high + slack and second.low <= first.high + slack


def rounding_interval(value: float, decimals: int) -> Interval:
    """Values that round to ``value`` at ``decimals`` places (either rounding direction)."""
    half = 0.5 * 10.0**-decimals
    return Interval(value - half, value + half)


def truncation_interval(value: float, decimals: int) -> Interval:
    """Non-negative values that truncate to ``value`` at ``decimals`` places."""
    return Interval(value, value + 10.0**-decimals)


def printed_interval(printed: str, fallback: float) -> Interval:
    """Rounding interval of a printed number, or a point interval when nothing was printed."""
    text = printed.strip()
    if not text:
        return Interval(fallback, fallback)
    return rounding_interval(parse_number(text), decimal_places(text))


def p_interval(printed: str) -> Interval:
    """p-values compatible with a printed p: ``"0.012"``, ``"0.000"``, ``"<0.001"``, ``">0.9"``."""
    text = printed.strip()
    if text.startswith("<"):
        return Interval(0.0, parse_number(text[1:].lstrip("=")))
    if text.startswith(">"):
        return Interval(parse_number(text[1:].lstrip("=")), 1.0)
    value = parse_number(text)
    interval = rounding_interval(value, decimal_places(text))
    return Interval(max(0.0, interval.low), min(1.0, interval.high))


def t_test_p(
    mean_case: float,
    sd_case: float,
    n_case: int,
    mean_control: float,
    sd_control: float,
    n_control: int,
    *,
    equal_var: bool,
) -> float:
    """Two-sided two-sample t-test p from summary statistics (Student or Welch).

    Written out rather than through ``scipy.stats.ttest_ind_from_stats`` so that a zero
    standard error (both SDs printed as 0) gives p = 0 or 1 instead of a division warning.
    """
    var_case, var_control = sd_case**2 / n_case, sd_control**2 / n_control
    if equal_var:
        pooled = ((n_case - 1) * sd_case**2 + (n_control - 1) * sd_control**2) / (
            n_case + n_control - 2
        )
        standard_error = math.sqrt(pooled * (1 / n_case + 1 / n_control))
        df = float(n_case + n_control - 2)
    else:
        standard_error = math.sqrt(var_case + var_control)
        denominator = var_case**2 / (n_case - 1) + var_control**2 / (n_control - 1)
        df = (var_case + var_control) ** 2 / denominator if denominator > 0 else 1.0
    difference = mean_case - mean_control
    if standard_error == 0:
        return 1.0 if difference == 0 else 0.0
    return float(2 * stats.t.sf(abs(difference) / standard_error, df))


def t_test_p_range(
    mean_case: Interval,
    sd_case: Interval,
    n_case: int,
    mean_control: Interval,
    sd_control: Interval,
    n_control: int,
    *,
    equal_var: bool,
) -> Interval:
    """Range of t-test p over every mean and SD inside their rounding intervals.

    p falls as the absolute mean difference grows and rises with the SDs, so the extremes
    sit at corners of the box; for Welch the degrees of freedom also move with the SDs, so
    all four SD corners are evaluated at both extreme differences.
    """
    low_difference = mean_case.low - mean_control.high
    high_difference = mean_case.high - mean_control.low
    smallest = (
        0.0
        if low_difference <= 0 <= high_difference
        else min(abs(low_difference), abs(high_difference))
    )
    largest = max(abs(low_difference), abs(high_difference))
    sd_corners = [
        (max(0.0, first), max(0.0, second))
        for first in (sd_case.low, sd_case.high)
        for second in (sd_control.low, sd_control.high)
    ]
    values = [
        t_test_p(difference, first, n_case, 0.0, second, n_control, equal_var=equal_var)
        for difference in (smallest, largest)
        for first, second in sd_corners
    ]
    return Interval(min(values), max(values))


def wald_p_from_ci(
    odds_ratio: float, ci_low: float, ci_high: float, *, level: float = 0.95
) -> float:
    """Two-sided Wald p recovered from an odds ratio and its Wald interval.

    ``SE = (log(high) - log(low)) / (2 z)`` with ``z`` the normal quantile of ``level``;
    ``p = 2 (1 - Phi(|log OR| / SE))``.
    """
    quantile = float(stats.norm.ppf(0.5 + level / 2))
    standard_error = (math.log(ci_high) - math.log(ci_low)) / (2 * quantile)
    if standard_error <= 0:
        return 1.0 if odds_ratio == 1 else 0.0
    return float(2 * stats.norm.sf(abs(math.log(odds_ratio)) / standard_error))


def wald_p_range_from_ci(
    odds_ratio: Interval, ci_low: Interval, ci_high: Interval, *, level: float = 0.95
) -> Interval:
    """Range of the Wald p over the rounding intervals of the odds ratio and its limits."""
    quantile = float(stats.norm.ppf(0.5 + level / 2))
    tiny = np.finfo(float).tiny
    log_low = [math.log(max(odds_ratio.low, tiny)), math.log(max(odds_ratio.high, tiny))]
    smallest_log = 0.0 if log_low[0] <= 0 <= log_low[1] else min(abs(v) for v in log_low)
    largest_log = max(abs(v) for v in log_low)
    widest = math.log(ci_high.high) - math.log(max(ci_low.low, tiny))
    narrowest = max(math.log(max(ci_high.low, tiny)) - math.log(max(ci_low.high, tiny)), 0.0)
    low_p = (
        0.0 if narrowest == 0 else float(2 * stats.norm.sf(largest_log * 2 * quantile / narrowest))
    )
    high_p = float(2 * stats.norm.sf(smallest_log * 2 * quantile / widest))
    return Interval(low_p, high_p)


def discriminant_odds_ratio(
    mean_case: float,
    sd_case: float,
    n_case: int,
    mean_control: float,
    sd_control: float,
    n_control: int,
) -> float:
    """Per-unit odds ratio implied by two normal groups with a common variance.

    Under normality with equal variances the logistic slope equals
    ``(mean_case - mean_control) / pooled_variance`` (the linear discriminant), which gives
    an approximate univariable odds ratio from Table 1's means and SDs.
    """
    pooled = ((n_case - 1) * sd_case**2 + (n_control - 1) * sd_control**2) / (
        n_case + n_control - 2
    )
    if pooled == 0:
        return math.nan
    return math.exp((mean_case - mean_control) / pooled)
