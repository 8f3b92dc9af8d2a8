"""Per-variable pieces of the baseline table: summary choice, tests and SMDs.

:func:`neok2.stats.baseline.baseline_table` calls these for each variable: which summary
a column gets (:func:`_choose_summary`), the test behind its p-value
(:func:`_continuous_test`, :func:`_categorical_test`) and its standardised mean difference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from neok2._validation import probability
from neok2.stats.fisher_exact import fisher_exact_rxc
from neok2.stats.two_group import two_group_test

__all__ = ["QUANTILE_TYPES", "SUMMARIES", "TESTS"]

SUMMARIES: tuple[str, ...] = ("mean_sd", "median_iqr", "n_percent")
TESTS: tuple[str, ...] = (
    "student_t",
    "welch_t",
    "mann_whitney",
    "chisq",
    "chisq_yates",
    "fisher",
    "fisher_simulated",
)
# R's quantile(type = k) -> numpy's method name (Hyndman and Fan 1996 numbering).
QUANTILE_TYPES: Mapping[int, str] = MappingProxyType(
    {
        1: "inverted_cdf",
        2: "averaged_inverted_cdf",
        3: "closest_observation",
        4: "interpolated_inverted_cdf",
        5: "hazen",
        6: "weibull",
        7: "linear",
        8: "median_unbiased",
        9: "normal_unbiased",
    }
)


def _level_text(level: Any) -> str:
    if isinstance(level, float | np.floating) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _is_binary(values: pd.Series) -> bool:
    present = values.dropna()
    if pd.api.types.is_bool_dtype(present):
        return True
    if not pd.api.types.is_numeric_dtype(present):
        return False
    return bool(present.isin([0, 1]).all())


def _levels(values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        # Text and numbers mixed in one column (a messy export): the order is undefined and
        # 1 and "1" would show as two levels with the same label.
        kinds = sorted({type(value).__name__ for value in present})
        raise ValueError(
            f"column {values.name!r} mixes values of types {kinds} (e.g. "
            f"{[str(value) for value in present[:4]]}); recode it to one type"
        ) from None


def _quantiles(values: np.ndarray, quantile_type: int) -> tuple[float, float, float]:
    method: Any = QUANTILE_TYPES[quantile_type]
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75], method=method)
    return float(median), float(q1), float(q3)


def _normality(samples: list[np.ndarray], alpha: float) -> tuple[bool, str]:
    """Shapiro-Wilk in each group; normal only if no group rejects at ``alpha``."""
    p_values = []
    for sample in samples:
        if sample.size < 3:
            return False, "fewer than 3 values in a group: Shapiro-Wilk not possible"
        if np.ptp(sample) == 0:
            return False, "a group has no spread: treated as not normal"
        p_values.append(float(stats.shapiro(sample).pvalue))
    smallest = min(p_values)
    rule = f"Shapiro-Wilk smallest group p = {smallest:.3g}"
    return smallest >= alpha, rule


def _continuous_smd(first: np.ndarray, second: np.ndarray) -> float:
    if first.size < 2 or second.size < 2:
        return math.nan
    difference = abs(float(first.mean()) - float(second.mean()))
    pooled = (float(first.var(ddof=1)) + float(second.var(ddof=1))) / 2
    if pooled == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / math.sqrt(pooled)


def _categorical_smd(counts: np.ndarray) -> float:
    """tableone's SMD for a k-level variable: Mahalanobis distance of the level proportions.

    ``counts`` is levels x 2 groups; the first level is the reference.
    """
    totals = counts.sum(axis=0)
    if np.any(totals == 0):
        return math.nan
    proportions = counts[1:, :] / totals
    first, second = proportions[:, 0], proportions[:, 1]

    def covariance(p: np.ndarray) -> np.ndarray:
        matrix = -np.outer(p, p)
        np.fill_diagonal(matrix, p * (1 - p))
        return matrix

    pooled = (covariance(first) + covariance(second)) / 2
    difference = second - first
    if not np.any(pooled):
        return 0.0 if not np.any(difference) else math.inf
    return float(np.sqrt(difference @ np.linalg.pinv(pooled) @ difference))


def _check_option(value: Any, allowed: Sequence[Any], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}, got {value!r}")


def _check_probability(value: Any, name: str) -> float:
    return probability(value, name)


# ----------------------------------------------------------------------------- per variable


@dataclass
class _Choice:
    summary: str
    note: str


def _check_stray_codes(variable: str, values: pd.Series) -> None:
    """Refuse a 0/1 column with a few other codes, which would pass for a continuous one."""
    present = values.dropna()
    if not pd.api.types.is_numeric_dtype(present) or present.empty:
        return
    stray = present[~present.isin([0, 1])]
    distinct = sorted({float(value) for value in present.unique()})
    if distinct == [float(k) for k in range(len(distinct))]:
        return  # 0, 1, 2, ... with no gap: a count (previous preterm births), not stray codes
    if (
        0 < stray.nunique() <= 2
        and len(stray) <= 0.05 * len(present)
        and present.isin([0, 1]).any()
    ):
        shown = sorted({float(value) for value in stray})
        raise ValueError(
            f"`data`: {variable!r} is a 0/1 variable except for {len(stray)} row(s) holding "
            f"{shown} (rows {stray.index[:5].tolist()}); fix or blank those cells, or pass "
            f"summary={{{variable!r}: 'median_iqr'}} if the values are real"
        )


def _choose_summary(
    variable: str,
    values: pd.Series,
    samples: list[pd.Series],
    requested: str | None,
    normality_alpha: float,
    categorical_levels: int = 10,
) -> _Choice:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if requested is not None:
        _check_option(requested, SUMMARIES, f"summary[{variable!r}]")
        if requested != "n_percent" and not numeric:
            raise TypeError(
                f"`summary`: {variable!r} is not numeric, so {requested!r} is impossible; "
                "use 'n_percent'"
            )
        return _Choice(requested, "summary as requested")
    if _is_binary(values):
        return _Choice("n_percent", "0/1 variable: n (%) of 1")
    _check_stray_codes(variable, values)
    if not numeric:
        return _Choice("n_percent", "categorical: n (%) per level")
    distinct = int(values.dropna().nunique())
    if distinct < categorical_levels:
        # gtsummary's rule: a numeric column with few values (a score, a count) is a factor
        return _Choice(
            "n_percent",
            f"numeric with {distinct} distinct values (< {categorical_levels}): n (%) per level",
        )
    normal, rule = _normality(
        [sample.dropna().to_numpy(dtype=float) for sample in samples], normality_alpha
    )
    if normal:
        return _Choice("mean_sd", f"{rule} >= {normality_alpha}: mean (SD)")
    return _Choice("median_iqr", f"{rule}: median (IQR)")


def _continuous_test(
    test: str | None,
    choice: _Choice,
    samples: list[np.ndarray],
    t_test: str,
    levene_alpha: float,
) -> tuple[str, float, float, str]:
    first, second = samples
    if test is None:
        if choice.summary == "median_iqr":
            test = "mann_whitney"
        elif t_test == "auto":
            if min(first.size, second.size) < 2:
                test = "student_t"
            else:
                # Groups without spread make Levene's statistic 0/0; the NaN is handled below.
                with np.errstate(divide="ignore", invalid="ignore"):
                    levene = float(stats.levene(first, second, center="mean").pvalue)
                # Student unless Levene rejects equal variances (SPSS's two-row choice).
                test = "student_t" if math.isnan(levene) or levene >= levene_alpha else "welch_t"
        else:
            test = f"{t_test}_t"
    if min(first.size, second.size) < (1 if test == "mann_whitney" else 2):
        return test, math.nan, math.nan, "too few values in a group for the test"
    pooled = np.concatenate([first, second])
    if np.ptp(pooled) == 0:
        return test, math.nan, math.nan, "all values are equal: no test"
    if test != "mann_whitney" and first.var(ddof=1) == 0 and second.var(ddof=1) == 0:
        return test, math.nan, math.nan, "no spread within either group: no t-test"
    result = two_group_test(test).on_samples(first, second)
    return test, result.statistic, result.p_value, result.note


def _categorical_test(
    test: str | None,
    counts: np.ndarray,
    yates: bool,
    fisher_expected: float,
    n_resamples: int,
    seed: int,
) -> tuple[str, float, float, str]:
    table = counts[counts.sum(axis=1) > 0]
    if table.shape[0] < 2 or np.any(table.sum(axis=0) == 0):
        return test or "chisq", math.nan, math.nan, "a single level or an empty group: no test"
    expected = stats.contingency.expected_freq(table)
    smallest = float(expected.min())
    two_by_two = table.shape == (2, 2)
    reason = ""
    if test is None:
        if smallest < fisher_expected:
            test = "fisher"
            reason = f"smallest expected count {smallest:.2f} < {fisher_expected:g}"
        else:
            test = "chisq_yates" if yates and two_by_two else "chisq"
    if test == "fisher" and not two_by_two:
        exact = fisher_exact_rxc(table)
        if exact is not None:
            return test, math.nan, exact, reason
        # the network is too large to enumerate: Monte Carlo, named as such
        test = "fisher_simulated"
        reason = f"{reason}; " if reason else ""
        reason += "table too large for exact enumeration"
    if test != "fisher_simulated":
        result = two_group_test(test).on_table(table)
        return test, result.statistic, result.p_value, reason
    result = two_group_test(test).on_table(table, n_resamples=n_resamples, seed=seed)
    reason = f"{reason}; " if reason else ""
    return (
        test,
        math.nan,
        result.p_value,
        f"{reason}Monte Carlo p from {n_resamples} tables (seed {seed})",
    )
