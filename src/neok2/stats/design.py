"""The complete-case design matrix of a logistic model, checked before any fit.

A formula (through the checked grammar of :mod:`neok2.stats.formula`) or an outcome with a
list of covariates becomes the matrix the fitters take: missing rows counted, text and
non-finite cells refused by name, constant and aliased columns refused, the outcome checked
to be 0/1 with both values present, and grouped records' frequencies carried along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neok2.stats import formula as _formula

__all__ = ["INTERCEPT", "Design", "design_matrix"]

INTERCEPT = "(Intercept)"


@dataclass(frozen=True, eq=False)
class Design:
    """Complete-case design matrix with the formula terms that own each column."""

    X: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    column_variables: tuple[str, ...]
    terms: dict[str, tuple[int, ...]]
    outcome: str
    formula: str
    n_missing: int
    missing: pd.DataFrame
    frequency: np.ndarray | None = None  # frequency weights of the complete rows


def _check_columns(data: pd.DataFrame, names: Sequence[str], argument: str) -> None:
    unknown = [name for name in names if name not in data.columns]
    if unknown:
        available = ", ".join(map(str, data.columns[:30]))
        raise ValueError(f"unknown column(s) {unknown} in `{argument}`; the data have: {available}")


def _check_outcome(data: pd.DataFrame, outcome: str) -> None:
    values = data[outcome]
    if values.isna().all():
        raise ValueError(f"outcome column `{outcome}` is entirely missing")
    observed = _formula.decode_categorical(values.dropna())
    if pd.api.types.is_bool_dtype(observed):
        return
    codes = set(pd.unique(observed)) if pd.api.types.is_numeric_dtype(observed) else None
    if codes is None or not codes <= {0, 1}:
        shown = sorted(map(str, pd.unique(observed)))[:6]
        raise ValueError(
            f"outcome `{outcome}` must be binary, coded 0/1 or True/False; found values "
            f"{shown}; recode it, e.g. (data[{outcome!r}] == 'case').astype(int)"
        )


def _check_covariate_names(outcome: Any, covariates: Any) -> None:
    if not isinstance(outcome, str):
        raise TypeError(f"`outcome` must be a column name (str), got {type(outcome).__name__}")
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise TypeError("`covariates` must be a list of column names, e.g. ['sga', 'prom']")
    if not all(isinstance(name, str) for name in covariates):
        raise TypeError("`covariates` must contain column names (str) only")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"`covariates` lists a column twice: {list(covariates)}")
    if outcome in covariates:
        raise ValueError(f"the outcome `{outcome}` cannot also be a covariate")


def _aliased(X: np.ndarray) -> list[int]:
    """Columns that are linear combinations of earlier ones (a greedy rank check).

    ``X = QR`` with orthonormal ``Q``, so every column subset of ``X`` has the singular values
    of the same subset of ``R``: the checks run on the k-by-k ``R`` with numpy's tolerance for
    the n-by-k subset, and a million rows cost one QR instead of k SVDs of the full matrix.
    """
    n_rows = X.shape[0]
    R: np.ndarray = np.asarray(np.linalg.qr(X, mode="r")) if n_rows > X.shape[1] else X
    kept: list[int] = []
    aliased = []
    for j in range(X.shape[1]):
        singular = np.linalg.svd(R[:, [*kept, j]], compute_uv=False)
        tolerance = singular.max(initial=0.0) * max(n_rows, len(kept) + 1) * np.finfo(float).eps
        if int((singular > tolerance).sum()) > len(kept):
            kept.append(j)
        else:
            aliased.append(j)
    return aliased


def _is_plain_numeric(values: pd.Series) -> bool:
    return not isinstance(values.dtype, pd.CategoricalDtype) and (
        pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    )


def design_matrix(
    data: pd.DataFrame,
    formula: str | None,
    *,
    outcome: str | None = None,
    covariates: Sequence[str] | None = None,
    frequency: np.ndarray | None = None,
    allow_formula_code: bool = False,
) -> Design:
    """The complete-case design; ``formula=None`` takes ``outcome`` and ``covariates``."""
    if formula is None:
        assert outcome is not None and covariates is not None
        _formula.check_unique_columns(data, [outcome, *covariates])
    # Numeric covariates named directly need no formula machinery; the columns and names are
    # those formulaic would build, at a fraction of the cost (this matters for bootstraps).
    direct = formula is None and all(_is_plain_numeric(data[name]) for name in covariates or [])
    rhs: Any = None
    if formula is None:
        parsed = _formula.formula_from_columns(str(outcome), list(covariates or []))
        used = list(parsed.variables)
        formula = parsed.text
    elif allow_formula_code:
        outcome, rhs, required = _formula.parse_trusted(formula)
        _check_columns(data, [outcome], "formula")
        unknown = [
            name
            for name in required
            if name not in data.columns and not re.search(rf"{re.escape(name)}\s*\(", formula)
        ]
        _check_columns(data, unknown, "formula")
        used = [name for name in required if name in data.columns]
    else:
        parsed = _formula.parse_formula(formula)
        outcome, used = parsed.outcome, list(parsed.variables)
        _check_columns(data, [outcome, *used], "formula")
    assert outcome is not None
    _formula.check_unique_columns(data, [outcome])
    if isinstance(data[outcome].dtype, pd.CategoricalDtype):
        # a 0/1 outcome stored as a category (e.g. read from SPSS) is still 0/1
        data = data.copy(deep=False)
        data[outcome] = _formula.decode_categorical(data[outcome])
    if not direct:
        _formula.check_unique_columns(data, [outcome, *used])
        for name in used:
            values = data[name]
            if _is_plain_numeric(values) and not pd.api.types.is_bool_dtype(values):
                _formula.check_finite(
                    values.to_numpy(dtype=float, na_value=np.nan), name, data.index
                )
            elif not isinstance(values.dtype, pd.CategoricalDtype) and (
                pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
            ):
                _formula.check_text_column(values, name)
    columns_used = [outcome, *[name for name in used if name != outcome]]
    if direct:
        # Straight to numpy: for a small model, pandas indexing costs more than the fit. The
        # outcome is converted only once _check_outcome has vouched for it.
        covariate_values = np.empty((len(data), len(used)))
        for j, name in enumerate(used):
            covariate_values[:, j] = data[name].to_numpy(dtype=float, na_value=np.nan)
            _formula.check_finite(covariate_values[:, j], name, data.index)
        missing_cells = np.column_stack(
            [data[outcome].isna().to_numpy(dtype=bool), np.isnan(covariate_values)]
        )
    else:
        subset = data[columns_used]
        missing_cells = np.asarray(subset.isna().to_numpy(), dtype=bool)
    for j, name in enumerate(columns_used[1:], start=1):
        if missing_cells[:, j].all():
            raise ValueError(f"column `{name}` is entirely missing; drop it from the model")
    _check_outcome(data, outcome)

    incomplete = np.asarray(missing_cells.any(axis=1), dtype=bool)
    if incomplete.all():
        raise ValueError(f"no row of the data is complete for {formula!r}")
    if direct:
        y = data[outcome].to_numpy(dtype=float, na_value=np.nan)[~incomplete]
        # column-major, as pandas hands out its blocks: the fits then round exactly as before
        complete_covariates = np.asfortranarray(covariate_values[~incomplete])
    else:
        complete = subset.loc[pd.Series(~incomplete, index=subset.index)]
        y = complete[outcome].to_numpy(dtype=float)
    if frequency is not None:
        frequency = frequency[~incomplete]
    if np.unique(y).size < 2:
        raise ValueError(
            f"outcome `{outcome}` has one value only ({int(y[0])}) in the {y.size} complete "
            "rows; logistic regression needs both cases (1) and controls (0)"
        )
    if direct:
        names = [INTERCEPT, *used]
        X = np.column_stack([np.ones(len(y)), complete_covariates])
        terms: dict[str, tuple[int, ...]] = {name: (j,) for j, name in enumerate(names)}
        column_variables = list(names)
    else:
        names, X, terms, column_variables = (
            _formula.trusted_design_columns(rhs, complete, formula, data.columns)
            if allow_formula_code
            else _formula.design_columns(parsed, complete, formula)
        )
        # The data columns are finite by now, so a non-finite design column comes from a
        # transformation in the formula, such as np.log of a zero.
        non_finite = ~np.isfinite(X)
        if non_finite.any():
            j = int(np.flatnonzero(non_finite.any(axis=0))[0])
            raise ValueError(
                f"`formula` {formula!r}: model column `{names[j]}` is not finite in row(s) "
                f"{_formula.row_labels(complete.index, non_finite[:, j])}; the transformation is "
                "undefined there, so fix the data or the formula"
            )
    for j, name in enumerate(names):
        if name != INTERCEPT and np.ptp(X[:, j]) == 0:
            raise ValueError(
                f"covariate `{name}` is constant (every complete row is {X[0, j]:g}); "
                "remove it from the model"
            )
    aliased = _aliased(X)
    if aliased:
        shown = [names[j] for j in aliased]
        raise ValueError(
            f"covariate(s) {shown} are linear combinations of the other columns (the design "
            "is rank deficient); remove them from the model"
        )
    if X.shape[0] <= X.shape[1]:
        raise ValueError(
            f"{X.shape[0]} complete rows cannot estimate {X.shape[1]} coefficients; "
            "use fewer covariates"
        )
    missing = pd.DataFrame(
        {"variable": [str(name) for name in columns_used], "n_missing": missing_cells.sum(axis=0)}
    )
    return Design(
        X=X,
        y=y,
        columns=tuple(names),
        column_variables=tuple(column_variables),
        terms=terms,
        outcome=outcome,
        formula=" ".join(formula.split()),
        n_missing=int(incomplete.sum()),
        missing=missing,
        frequency=frequency,
    )
