"""Grouped (aggregated) records: frequency weights and case/control count columns.

A grouped data set has one row per covariate pattern with a frequency, or with a number of
cases and a number of controls (R ``glm(cbind(ncases, ncontrols) ~ ...)``). The helpers
here check such columns and turn case/control counts into a frame of frequency-weighted
rows (one row of cases and one of controls per pattern) that every neok2 tool treats as
the expanded one-row-per-subject data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["CBIND", "frequency_column", "grouped_records", "stack_counts"]

# R's grouped-binomial left-hand side: cbind(cases, controls)
CBIND = re.compile(r"^\s*cbind\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)\s*~(.*)$", re.DOTALL)
_WEIGHT = "__frequency__"


def frequency_column(data: pd.DataFrame, column: str, argument: str = "weights") -> np.ndarray:
    """The frequencies of ``column`` as floats, after checking them.

    Parameters
    ----------
    data : pandas.DataFrame
    column : str
        Column of non-negative, finite frequencies (whole or fractional).
    argument : str, default "weights"
        Argument name quoted in errors.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    KeyError, TypeError, ValueError
        Unknown column, non-numeric column, missing, negative or infinite values.

    Examples
    --------
    >>> frequency_column(pd.DataFrame({"n": [3, 0, 2]}), "n").tolist()
    [3.0, 0.0, 2.0]
    """
    if not isinstance(column, str):
        raise TypeError(f"`{argument}` must be a column name, got {type(column).__name__}")
    if column not in data.columns:
        raise KeyError(f"`{argument}`: column {column!r} is not in `data`")
    values = data[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise TypeError(f"`{argument}`: column {column!r} must be numeric (a count per row)")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise ValueError(
            f"`{argument}`: column {column!r} must hold non-negative finite counts; "
            f"row(s) {list(data.index[bad][:5])} do not (fill or drop them first)"
        )
    return array


def stack_counts(
    data: pd.DataFrame, cases: str, controls: str, outcome: str
) -> tuple[pd.DataFrame, str]:
    """One frequency-weighted row of cases and one of controls per row of ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per covariate pattern.
    cases, controls : str
        Count columns.
    outcome : str
        Name of the 0/1 outcome column to create (1 for the cases' row); must be new.

    Returns
    -------
    (pandas.DataFrame, str)
        The stacked frame (cases' rows first, then controls', each in the original order)
        and the name of its frequency column.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": ["young", "old"], "ncases": [1, 4], "ncontrols": [9, 6]})
    >>> stacked, weight = stack_counts(frame, "ncases", "ncontrols", "case")
    >>> stacked[["age", "case", weight]].values.tolist()
    [['young', 1, 1.0], ['old', 1, 4.0], ['young', 0, 9.0], ['old', 0, 6.0]]
    """
    if outcome in data.columns:
        raise ValueError(
            f"the outcome name {outcome!r} is already a column of `data`; choose another name"
        )
    case_counts = frequency_column(data, cases, "cases")
    control_counts = frequency_column(data, controls, "controls")
    rest = data.drop(columns=[cases, controls])
    parts = []
    for value, counts in ((1, case_counts), (0, control_counts)):
        part = rest.copy()
        part[outcome] = value
        part[_WEIGHT] = counts
        parts.append(part)
    stacked = pd.concat(parts, ignore_index=True)
    return stacked, _WEIGHT


def grouped_records(
    data: pd.DataFrame, formula: str | None, weights: str | None
) -> tuple[pd.DataFrame, str | None, np.ndarray | None, int]:
    """Data, formula and frequencies for grouped records (``weights`` or ``cbind``).

    Returns the (possibly stacked) data without its weight-0 rows, the formula with a plain
    ``case`` outcome in place of ``cbind(cases, controls)``, the frequencies (None for
    ungrouped data) and the number of weight-0 rows left out.
    """
    counts = None if formula is None else CBIND.match(formula)
    if counts is None and weights is None:
        return data, formula, None, 0
    if counts is not None:
        if weights is not None:
            raise ValueError("give either `weights` or a cbind(cases, controls) outcome")
        data, weights = stack_counts(data, counts[1], counts[2], "case")
        formula = f"case ~{counts[3]}"
    frequency = frequency_column(data, str(weights))
    positive = frequency > 0
    return data.loc[positive], formula, frequency[positive], int((~positive).sum())
