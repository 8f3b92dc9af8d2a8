"""Utility of a synthetic twin: does it look like, and analyse like, the real records?

* **General utility** (R synthpop ``utility.gen`` with ``method = "logit"``, main effects):
  stack the real and twin records, fit a logistic model of "is a twin record" on every
  variable, and take the propensity-score mean squared error
  ``pMSE = (1/N) sum_i (p_i - c)^2`` with ``c = n_twin / N``. When both sets come from the
  same distribution, ``N pMSE / ((1 - c)^2 c)`` is approximately chi-square on ``k - 1``
  degrees of freedom (``k`` identified coefficients, intercept included), so
  ``E[pMSE] = (k - 1)(1 - c)^2 c / N`` and ``SD[pMSE] = sqrt(2 (k - 1)) (1 - c)^2 c / N``
  (Snoke et al. 2018). The pMSE ratio ``pMSE / E[pMSE]`` is what synthpop prints as
  ``S_pMSE`` for the logit method (near 1 is good); the standardised pMSE
  ``(pMSE - E[pMSE]) / SD[pMSE]`` is Snoke et al.'s z-like form (near 0 is good).
* **Table utility** (synthpop ``utility.tab``): the same pMSE for a saturated model of each
  one-way and two-way table (numeric variables cut at real-data quintiles), with the total
  variation distance of the two distributions.
* **Specific utility** for a case-control study: the Table 1 tests, the univariable screen and
  the adjusted odds ratios computed on the twin beside the real records, with the
  confidence-interval overlap of Karr et al. (2006), as synthpop's ``compare.fit.synds``.

References
----------
Snoke J, Raab GM, Nowok B, Dibben C, Slavkovic A (2018). General and specific utility measures
for synthetic data. J R Stat Soc A 181:663-688. Karr AF, Kohnen CN, Oganian A, Reiter JP,
Sanil AP (2006). A framework for evaluating the utility of data altered to protect
confidentiality. Am Stat 60:224-232.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neok2.stats.baseline import baseline_table
from neok2.stats.firth import fit_logistic
from neok2.stats.logistic import logistic_regression
from neok2.stats.selection import screen_and_fit

__all__ = [
    "CaseControlComparison",
    "PropensityUtility",
    "ci_overlap",
    "compare_case_control",
    "propensity_utility",
    "table_utility",
]

_NUMERIC_TYPES = ("binary", "integer", "continuous", "date")
_SIGNIFICANCE = 0.05


# ----------------------------------------------------------------------------- pMSE


@dataclass(frozen=True)
class PropensityUtility:
    """Propensity-score utility of a twin (synthpop ``utility.gen``, logit, main effects).

    Attributes
    ----------
    pmse : float
        ``(1/N) sum (p_i - c)^2``.
    expected : float
        Null expectation ``(k - 1)(1 - c)^2 c / N``.
    sd : float
        Null standard deviation ``sqrt(2 (k - 1)) (1 - c)^2 c / N``.
    ratio : float
        ``pmse / expected`` (synthpop's ``S_pMSE`` for the logit method).
    standardised : float
        ``(pmse - expected) / sd``.
    k : int
        Identified coefficients of the propensity model, intercept included.
    n_real, n_twin : int
    c : float
        ``n_twin / (n_real + n_twin)``.
    terms : tuple of str
        Design columns of the propensity model (intercept left out).
    """

    pmse: float
    expected: float
    sd: float
    ratio: float
    standardised: float
    k: int
    n_real: int
    n_twin: int
    c: float
    terms: tuple[str, ...] = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """``measure, value`` rows: pmse, expected, sd, ratio, standardised, k, c."""
        return pd.DataFrame(
            {
                "measure": [
                    "pmse",
                    "pmse_expected",
                    "pmse_sd",
                    "pmse_ratio",
                    "s_pmse_z",
                    "k",
                    "c",
                    "n_real",
                    "n_twin",
                ],
                "value": [
                    self.pmse,
                    self.expected,
                    self.sd,
                    self.ratio,
                    self.standardised,
                    float(self.k),
                    self.c,
                    float(self.n_real),
                    float(self.n_twin),
                ],
            }
        )


def _propensity_design(
    stacked: pd.DataFrame, types: Mapping[str, str]
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Main-effects design (intercept first): numeric values with missing-value indicators
    (missing set to 0, as synthpop), categorical dummies with missing as a level."""
    columns: list[npt.NDArray[np.float64]] = [np.ones(len(stacked))]
    names = ["(Intercept)"]
    for name, kind in types.items():
        if kind in _NUMERIC_TYPES:
            values = pd.to_numeric(stacked[name], errors="coerce").to_numpy(dtype=float)
            missing = np.isnan(values)
            columns.append(np.where(missing, 0.0, values))
            names.append(name)
            if missing.any():
                columns.append(missing.astype(float))
                names.append(f"{name}_NA")
        else:
            text = stacked[name].map(lambda v: "<missing>" if pd.isna(v) else str(v))
            levels = sorted(set(text))
            for level in levels[1:]:
                columns.append((text == level).to_numpy(dtype=float))
                names.append(f"{name}[{level}]")
    return np.column_stack(columns), names


def _identified(X: npt.NDArray[np.float64]) -> list[int]:
    """Columns kept after dropping constant and aliased ones (R's NA coefficients)."""
    kept: list[int] = []
    for j in range(X.shape[1]):
        if j > 0 and np.ptp(X[:, j]) == 0:
            continue
        if np.linalg.matrix_rank(X[:, [*kept, j]]) > len(kept):
            kept.append(j)
    return kept


def propensity_utility(
    real: pd.DataFrame, twin: pd.DataFrame, types: Mapping[str, str]
) -> PropensityUtility:
    """pMSE of a logistic propensity model on main effects, with its null expectation.

    Parameters
    ----------
    real, twin : pandas.DataFrame
    types : Mapping[str, str]
        Variables to compare and their types (``binary, integer, continuous, date`` enter
        as numbers; anything else as categories). Identifiers must be left out.

    Returns
    -------
    PropensityUtility

    Notes
    -----
    Fitted by maximum likelihood (R ``glm(t ~ ., family = binomial)``); constant and
    aliased design columns are dropped and not counted in ``k``.

    Examples
    --------
    One binary variable; the real records hold x = 0, 0, 1, 1 and the twin 0, 1, 1, 1. The
    model is saturated, so p = 1/3 where x = 0 (1 twin of 3) and 3/5 where x = 1; c = 1/2:

    >>> real = pd.DataFrame({"x": [0, 0, 1, 1]}); twin = pd.DataFrame({"x": [0, 1, 1, 1]})
    >>> result = propensity_utility(real, twin, {"x": "binary"})
    >>> round(result.pmse, 10), round(1 / 60, 10)   # (3 (1/6)^2 + 5 (1/10)^2) / 8
    (0.0166666667, 0.0166666667)
    >>> result.expected, round(result.ratio, 6)     # 1 * (1/2)^2 * (1/2) / 8 = 1/64
    (0.015625, 1.066667)
    """
    names = list(types)
    for label, frame in (("real", real), ("twin", twin)):
        absent = [n for n in names if n not in frame.columns]
        if absent:
            raise ValueError(f"`types`: {absent} are not columns of the {label} data")
    if not len(real) or not len(twin):
        raise ValueError("`real` and `twin` must both hold records")
    stacked = pd.concat([twin[names], real[names]], ignore_index=True)
    X, design_names = _propensity_design(stacked, types)
    kept = _identified(X)
    X = X[:, kept]
    y = np.r_[np.ones(len(twin)), np.zeros(len(real))]
    fit = fit_logistic(X, y, firth=False)
    eta = X @ fit.coefficients
    score = 1.0 / (1.0 + np.exp(-eta))
    N = len(y)
    c = len(twin) / N
    pmse = float(np.mean((score - c) ** 2))
    k = X.shape[1]
    scale = (1 - c) ** 2 * c / N
    expected = (k - 1) * scale
    sd = math.sqrt(2 * (k - 1)) * scale
    return PropensityUtility(
        pmse=pmse,
        expected=expected,
        sd=sd,
        ratio=pmse / expected if expected > 0 else math.nan,
        standardised=(pmse - expected) / sd if sd > 0 else math.nan,
        k=k,
        n_real=len(real),
        n_twin=len(twin),
        c=c,
        terms=tuple(design_names[j] for j in kept[1:]),
    )


# ----------------------------------------------------------------------------- tables


def _codes(
    real: pd.Series, twin: pd.Series, kind: str, ngroups: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Cell codes of one variable; numeric variables with many values cut at real quantiles."""
    if kind in _NUMERIC_TYPES:
        a = pd.to_numeric(real, errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(twin, errors="coerce").to_numpy(dtype=float)
        observed = a[~np.isnan(a)]
        if len(np.unique(observed)) > ngroups:
            edges = np.unique(np.quantile(observed, np.linspace(0, 1, ngroups + 1))[1:-1])
            coded_a = np.searchsorted(edges, a, side="right").astype(float)
            coded_b = np.searchsorted(edges, b, side="right").astype(float)
            a = np.where(np.isnan(a), np.nan, coded_a)
            b = np.where(np.isnan(b), np.nan, coded_b)
        keys_a = [("<missing>" if np.isnan(v) else repr(v)) for v in a]
        keys_b = [("<missing>" if np.isnan(v) else repr(v)) for v in b]
    else:
        keys_a = ["<missing>" if pd.isna(v) else str(v) for v in real]
        keys_b = ["<missing>" if pd.isna(v) else str(v) for v in twin]
    levels = {key: i for i, key in enumerate(sorted(set(keys_a) | set(keys_b)))}
    return (
        np.array([levels[k] for k in keys_a], dtype=np.int64),
        np.array([levels[k] for k in keys_b], dtype=np.int64),
    )


def _table_row(
    name: str, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], size: int
) -> dict[str, Any]:
    real_counts = np.bincount(a, minlength=size).astype(float)
    twin_counts = np.bincount(b, minlength=size).astype(float)
    cells = real_counts + twin_counts
    used = cells > 0
    N = cells.sum()
    c = twin_counts.sum() / N
    share = twin_counts[used] / cells[used]
    pmse = float(np.sum(cells[used] * (share - c) ** 2) / N)
    df = int(used.sum()) - 1
    expected = df * (1 - c) ** 2 * c / N
    tvd = 0.5 * float(
        np.abs(real_counts / real_counts.sum() - twin_counts / twin_counts.sum()).sum()
    )
    return {
        "table": name,
        "cells": int(used.sum()),
        "pmse": pmse,
        "df": df,
        "pmse_ratio": pmse / expected if expected > 0 else math.nan,
        "total_variation": tvd,
    }


def table_utility(
    real: pd.DataFrame,
    twin: pd.DataFrame,
    types: Mapping[str, str],
    *,
    ngroups: int = 5,
    two_way: bool = True,
) -> pd.DataFrame:
    """One- and two-way table comparisons (synthpop ``utility.tab``).

    For each table, a saturated propensity model gives ``p`` = the twin share of each cell,
    so ``pMSE = sum_cells n_cell (p_cell - c)^2 / N`` with ``df`` = non-empty cells - 1 and
    the ratio against ``df (1 - c)^2 c / N``; ``total_variation`` is half the summed absolute
    difference of the two sets' cell proportions.

    Parameters
    ----------
    real, twin : pandas.DataFrame
    types : Mapping[str, str]
    ngroups : int, default 5
        Numeric variables with more distinct values are cut at the real data's quantiles.
    two_way : bool, default True
        Add every pair of variables.

    Returns
    -------
    pandas.DataFrame
        ``table, way, cells, pmse, df, pmse_ratio, total_variation``.

    Examples
    --------
    >>> real = pd.DataFrame({"x": [0, 0, 1, 1]}); twin = pd.DataFrame({"x": [0, 1, 1, 1]})
    >>> row = table_utility(real, twin, {"x": "binary"}).iloc[0]
    >>> round(float(row["pmse"]) * 60, 8), int(row["df"]), float(row["total_variation"])
    (1.0, 1, 0.25)
    """
    if isinstance(ngroups, bool) or not isinstance(ngroups, int) or ngroups < 2:
        raise ValueError(f"`ngroups` must be an integer >= 2, got {ngroups!r}")
    coded = {name: _codes(real[name], twin[name], kind, ngroups) for name, kind in types.items()}
    rows = []
    for name, (a, b) in coded.items():
        size = int(max(a.max(initial=0), b.max(initial=0))) + 1
        rows.append({**_table_row(name, a, b, size), "way": 1})
    if two_way:
        for first, second in itertools.combinations(coded, 2):
            a1, b1 = coded[first]
            a2, b2 = coded[second]
            width = int(max(a2.max(initial=0), b2.max(initial=0))) + 1
            size = (int(max(a1.max(initial=0), b1.max(initial=0))) + 1) * width
            rows.append(
                {
                    **_table_row(f"{first} x {second}", a1 * width + a2, b1 * width + b2, size),
                    "way": 2,
                }
            )
    columns = ["table", "way", "cells", "pmse", "df", "pmse_ratio", "total_variation"]
    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------- CI overlap


def ci_overlap(real_low: float, real_high: float, twin_low: float, twin_high: float) -> float:
    """Karr et al. (2006) interval overlap: 1 for identical intervals, negative when apart.

    ``J = (U - L) / (2 (real_high - real_low)) + (U - L) / (2 (twin_high - twin_low))`` with
    ``L = max(real_low, twin_low)`` and ``U = min(real_high, twin_high)``. Give the bounds on
    the scale where the intervals are symmetric (log odds ratios for odds ratios).

    Examples
    --------
    >>> round(ci_overlap(0.0, 2.0, 1.0, 4.0), 6)   # 1 / (2 * 2) + 1 / (2 * 3)
    0.416667
    >>> ci_overlap(0.0, 1.0, 2.0, 3.0)              # -1 / 2 - 1 / 2
    -1.0
    """
    bounds = (real_low, real_high, twin_low, twin_high)
    if not all(math.isfinite(float(v)) for v in bounds):
        return math.nan
    if real_high <= real_low or twin_high <= twin_low:
        raise ValueError("each interval needs its upper bound above its lower bound")
    shared = min(real_high, twin_high) - max(real_low, twin_low)
    return 0.5 * shared / (real_high - real_low) + 0.5 * shared / (twin_high - twin_low)


# ----------------------------------------------------------------------------- case-control


@dataclass(frozen=True)
class CaseControlComparison:
    """The case-control analysis run on the real records and on the twin.

    Attributes
    ----------
    table1 : pandas.DataFrame
        ``variable, test_real, p_real, test_twin, p_twin, agree``: Table 1 tests; ``agree``
        when both p-values fall on the same side of 0.05.
    screen : pandas.DataFrame
        ``variable, p_real, selected_real, p_twin, selected_twin, agree``.
    adjusted : pandas.DataFrame
        ``term, or_real, ci_low_real, ci_high_real, or_twin, ci_low_twin, ci_high_twin,
        ci_overlap, std_difference``: the same multivariable model on both.
    threshold : float
        Screening threshold.
    terms : tuple of str
        Covariates of the adjusted model.
    """

    table1: pd.DataFrame = field(repr=False)
    screen: pd.DataFrame = field(repr=False)
    adjusted: pd.DataFrame = field(repr=False)
    threshold: float
    terms: tuple[str, ...]

    @property
    def mean_ci_overlap(self) -> float:
        """Mean interval overlap over the adjusted model's terms."""
        values = self.adjusted["ci_overlap"].dropna()
        return float(values.mean()) if len(values) else math.nan

    def tidy(self) -> pd.DataFrame:
        """The adjusted odds ratios, twin beside real."""
        return self.adjusted.copy()


def _as_float(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _analysis_frame(frame: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """Categorical variables as text (so models treat numeric codes as factors)."""
    out = frame.copy()
    for name, kind in types.items():
        if kind == "categorical" and name in out:
            out[name] = out[name].map(lambda v: v if pd.isna(v) else str(v)).astype(object)
    return out


def _table1(
    real: pd.DataFrame, twin: pd.DataFrame, outcome: str, variables: Sequence[str]
) -> pd.DataFrame:
    tables = {}
    summary: dict[str, str] | None = None
    for label, frame in (("real", real), ("twin", twin)):
        table = baseline_table(frame, outcome, variables=list(variables), summary=summary)
        tidy = table.tidy().drop_duplicates("variable").set_index("variable")
        tables[label] = tidy
        # The twin is summarised (and so tested) as the real records were.
        summary = {str(v): str(s) for v, s in tidy["summary"].items()}
    rows = []
    for variable in variables:
        p_real = _as_float(tables["real"].loc[variable, "p_value"])
        p_twin = _as_float(tables["twin"].loc[variable, "p_value"])
        rows.append(
            {
                "variable": variable,
                "test_real": str(tables["real"].loc[variable, "test"]),
                "p_real": p_real,
                "test_twin": str(tables["twin"].loc[variable, "test"]),
                "p_twin": p_twin,
                "agree": (p_real < _SIGNIFICANCE) == (p_twin < _SIGNIFICANCE),
            }
        )
    return pd.DataFrame(rows)


def _screen(
    real: pd.DataFrame,
    twin: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    threshold: float,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    logs = {}
    selected: tuple[str, ...] = ()
    for label, frame in (("real", real), ("twin", twin)):
        result = screen_and_fit(frame, outcome, list(candidates), threshold=threshold)
        logs[label] = result.selection_log.set_index("variable")
        if label == "real":
            selected = result.selected
    table = pd.DataFrame(
        {
            "variable": list(candidates),
            "p_real": [_as_float(logs["real"].loc[v, "p_value"]) for v in candidates],
            "selected_real": [bool(logs["real"].loc[v, "selected"]) for v in candidates],
            "p_twin": [_as_float(logs["twin"].loc[v, "p_value"]) for v in candidates],
            "selected_twin": [bool(logs["twin"].loc[v, "selected"]) for v in candidates],
        }
    )
    table["agree"] = table["selected_real"] == table["selected_twin"]
    return table, selected


def _adjusted(
    real: pd.DataFrame, twin: pd.DataFrame, outcome: str, terms: Sequence[str]
) -> pd.DataFrame:
    columns = [
        "term",
        "or_real",
        "ci_low_real",
        "ci_high_real",
        "or_twin",
        "ci_low_twin",
        "ci_high_twin",
        "ci_overlap",
        "std_difference",
    ]
    if not terms:
        return pd.DataFrame(columns=columns)
    fits = {
        label: logistic_regression(frame, outcome=outcome, covariates=list(terms))
        .tidy(intercept=False)
        .set_index("term")
        for label, frame in (("real", real), ("twin", twin))
    }
    rows = []
    for term in fits["real"].index:
        r = fits["real"].loc[term]
        t = fits["twin"].loc[term] if term in fits["twin"].index else None
        row = {
            "term": term,
            "or_real": float(r["odds_ratio"]),
            "ci_low_real": float(r["ci_low"]),
            "ci_high_real": float(r["ci_high"]),
            "or_twin": math.nan if t is None else float(t["odds_ratio"]),
            "ci_low_twin": math.nan if t is None else float(t["ci_low"]),
            "ci_high_twin": math.nan if t is None else float(t["ci_high"]),
        }
        logs = [
            math.log(v) if v > 0 and math.isfinite(v) else math.nan
            for v in (
                row["ci_low_real"],
                row["ci_high_real"],
                row["ci_low_twin"],
                row["ci_high_twin"],
            )
        ]
        row["ci_overlap"] = ci_overlap(*logs)
        se = float(r["std_error"])
        estimate_twin = math.nan if t is None else float(t["estimate"])
        row["std_difference"] = (estimate_twin - float(r["estimate"])) / se if se > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def compare_case_control(
    real: pd.DataFrame,
    twin: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    types: Mapping[str, str],
    threshold: float = 0.1,
    table1_variables: Sequence[str] | None = None,
    terms: Sequence[str] | None = None,
) -> CaseControlComparison:
    """Table 1 tests, univariable screen and adjusted ORs on the twin beside the real records.

    Parameters
    ----------
    real, twin : pandas.DataFrame
    outcome : str
        The 0/1 case indicator.
    candidates : sequence of str
        Screened variables.
    types : Mapping[str, str]
        Variable types; categorical ones enter the models as factors.
    threshold : float, default 0.1
        Screening threshold (p < threshold enters the adjusted model).
    table1_variables : sequence of str, optional
        Table 1 rows; default the candidates.
    terms : sequence of str, optional
        Covariates of the adjusted model; default those the real records' screen selected.
        The same model is fitted to the twin, as synthpop's ``compare.fit.synds`` does.

    Returns
    -------
    CaseControlComparison
    """
    real = _analysis_frame(real, types)
    twin = _analysis_frame(twin, types)
    variables = list(table1_variables) if table1_variables is not None else list(candidates)
    table1 = _table1(real, twin, outcome, variables)
    screen, selected = _screen(real, twin, outcome, candidates, threshold)
    chosen = tuple(terms) if terms is not None else selected
    adjusted = _adjusted(real, twin, outcome, chosen)
    return CaseControlComparison(
        table1=table1, screen=screen, adjusted=adjusted, threshold=threshold, terms=chosen
    )
