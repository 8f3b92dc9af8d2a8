"""Stratified 2x2 analysis: Mantel-Haenszel odds ratio, the CMH test and Breslow-Day.

:func:`stratified_2x2` pools K 2x2 tables (one per stratum of a confounder such as age band)
and returns a frozen :class:`StratifiedResult` with the stratum-specific odds ratios, the
crude and the Mantel-Haenszel adjusted odds ratio (Robins-Breslow-Greenland interval), the
Cochran-Mantel-Haenszel test with and without continuity correction (as R
``mantelhaen.test``) and the Breslow-Day test of a common odds ratio with Tarone's correction.

Cells follow neok2's case-control layout in every stratum::

                  cases   controls
    exposed         a        c
    unexposed       b        d
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2.formatting import format_ci, format_odds_ratio, format_p

__all__ = ["StratifiedResult", "stratified_2x2"]


@dataclass(frozen=True, eq=False)  # holds an array: compare results field by field
class StratifiedResult:
    """Result of :func:`stratified_2x2`.

    Attributes
    ----------
    strata : tuple of str
        Stratum labels, in the order of ``cells``.
    cells : numpy.ndarray
        K x 4 array of counts ``a, b, c, d`` per stratum (float, so that frequency weights
        may be fractional).
    conf_level : float
    mh_odds_ratio, mh_ci_low, mh_ci_high : float
        Mantel-Haenszel odds ratio and its Robins-Breslow-Greenland interval.
    crude_odds_ratio, crude_ci_low, crude_ci_high : float
        The collapsed table's cross-product ratio with its Woolf interval.
    cmh_statistic, cmh_p : float
        Cochran-Mantel-Haenszel chi-square (1 df) without continuity correction.
    cmh_statistic_corrected, cmh_p_corrected : float
        The same with the 0.5 continuity correction (R's ``mantelhaen.test`` default).
    breslow_day, breslow_day_p : float
        Breslow-Day homogeneity statistic and p-value (K' - 1 df over the K' informative
        strata).
    breslow_day_tarone, breslow_day_tarone_p : float
        The same with Tarone's (1985) correction.
    breslow_day_df : int
    n_missing : int
        Rows of the data left out because exposure, outcome or stratum was missing.
    notes : tuple of str
    """

    strata: tuple[str, ...]
    cells: np.ndarray
    conf_level: float
    mh_odds_ratio: float
    mh_ci_low: float
    mh_ci_high: float
    crude_odds_ratio: float
    crude_ci_low: float
    crude_ci_high: float
    cmh_statistic: float
    cmh_p: float
    cmh_statistic_corrected: float
    cmh_p_corrected: float
    breslow_day: float
    breslow_day_p: float
    breslow_day_tarone: float
    breslow_day_tarone_p: float
    breslow_day_df: int
    n_missing: int
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """Stratum-specific, crude and Mantel-Haenszel odds ratios, one row each.

        Returns
        -------
        pandas.DataFrame
            ``estimate, stratum, a, b, c, d, odds_ratio, ci_low, ci_high, ci_method,
            conf_level``; ``estimate`` is ``"stratum"``, ``"crude"`` or ``"mantel_haenszel"``.
            Stratum intervals are Woolf (NaN where a cell is zero).
        """
        z = _z(self.conf_level)
        rows = []
        for label, (a, b, c, d) in zip(self.strata, self.cells, strict=True):
            estimate, low, high = _woolf(a, b, c, d, z)
            rows.append(("stratum", label, a, b, c, d, estimate, low, high, "woolf"))
        a, b, c, d = self.cells.sum(axis=0)
        rows.append(
            (
                "crude",
                "",
                a,
                b,
                c,
                d,
                self.crude_odds_ratio,
                self.crude_ci_low,
                self.crude_ci_high,
                "woolf",
            )
        )
        rows.append(
            (
                "mantel_haenszel",
                "",
                a,
                b,
                c,
                d,
                self.mh_odds_ratio,
                self.mh_ci_low,
                self.mh_ci_high,
                "robins_breslow_greenland",
            )
        )
        table = pd.DataFrame(
            rows,
            columns=[
                "estimate",
                "stratum",
                "a",
                "b",
                "c",
                "d",
                "odds_ratio",
                "ci_low",
                "ci_high",
                "ci_method",
            ],
        )
        table["conf_level"] = self.conf_level
        return table

    def tests(self) -> pd.DataFrame:
        """The association and homogeneity tests.

        Returns
        -------
        pandas.DataFrame
            ``test, statistic, df, p_value``: CMH with and without continuity correction,
            Breslow-Day, Breslow-Day with Tarone's correction.
        """
        return pd.DataFrame(
            {
                "test": ["cmh", "cmh_corrected", "breslow_day", "breslow_day_tarone"],
                "statistic": [
                    self.cmh_statistic,
                    self.cmh_statistic_corrected,
                    self.breslow_day,
                    self.breslow_day_tarone,
                ],
                "df": [1, 1, self.breslow_day_df, self.breslow_day_df],
                "p_value": [
                    self.cmh_p,
                    self.cmh_p_corrected,
                    self.breslow_day_p,
                    self.breslow_day_tarone_p,
                ],
            }
        )

    def to_gt(self, *, title: str | None = None, digits: int = 2) -> Any:
        """A great_tables ``GT`` of the stratum, crude and adjusted odds ratios.

        Examples
        --------
        >>> stratified_2x2(tables=[[[10, 20], [5, 30]], [[8, 12], [6, 25]]]).to_gt().__class__
        <class 'great_tables.gt.GT'>
        """
        from great_tables import GT

        table = self.tidy()
        label = f"{round(100 * self.conf_level)}% CI"
        shown = pd.DataFrame(
            {
                "Estimate": [
                    stratum if kind == "stratum" else kind.replace("_", "-").capitalize()
                    for kind, stratum in zip(table["estimate"], table["stratum"], strict=True)
                ],
                "OR": [format_odds_ratio(v, digits) for v in table["odds_ratio"]],
                label: [
                    format_ci(lo, hi, digits)
                    for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
                ],
            }
        )
        source = (
            f"CMH p = {format_p(self.cmh_p_corrected)} (continuity-corrected); Breslow-Day "
            f"(Tarone) p = {format_p(self.breslow_day_tarone_p)}"
        )
        notes = "; ".join((source, *self.notes))
        return (
            GT(shown)
            .tab_header(title=title or "Stratified odds ratios (Mantel-Haenszel)")
            .tab_source_note(notes)
        )

    def _repr_html_(self) -> str:
        return str(self.tidy().to_html(index=False))


# ----------------------------------------------------------------------------- arithmetic


def _z(conf_level: float) -> float:
    return float(special.ndtri(0.5 + conf_level / 2.0))


def _woolf(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    numerator, denominator = a * d, b * c
    if denominator == 0:
        return (math.nan if numerator == 0 else math.inf), math.nan, math.nan
    estimate = numerator / denominator
    if min(a, b, c, d) == 0:
        return estimate, math.nan, math.nan
    half = z * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return estimate, estimate * math.exp(-half), estimate * math.exp(half)


def _expected_exposed_cases(a: float, b: float, c: float, d: float, odds: float) -> float:
    """The exposed-case count with the table's margins whose odds ratio is ``odds``.

    With cases m1, exposed n1 and total N it solves ``e (N - m1 - n1 + e) = odds (m1 - e)
    (n1 - e)``, a quadratic with one root inside the admissible range.
    """
    cases, exposed, total = a + b, a + c, a + b + c + d
    low, high = max(0.0, cases + exposed - total), min(cases, exposed)
    quadratic = 1.0 - odds
    linear = (total - cases - exposed) + odds * (cases + exposed)
    constant = -odds * cases * exposed
    if abs(quadratic) < 1e-12:
        return -constant / linear
    root = math.sqrt(max(linear * linear - 4.0 * quadratic * constant, 0.0))
    for candidate in ((-linear + root) / (2 * quadratic), (-linear - root) / (2 * quadratic)):
        if low - 1e-9 <= candidate <= high + 1e-9:
            return candidate
    raise ArithmeticError("no admissible root for the Breslow-Day expected count")


def _compute(
    strata: tuple[str, ...],
    cells: np.ndarray,
    conf_level: float,
    n_missing: int,
    notes: list[str],
) -> StratifiedResult:
    totals = cells.sum(axis=1)
    small = totals < 2
    if small.any():
        notes.append(
            f"{int(small.sum())} stratum/strata with fewer than 2 subjects carry no "
            f"information and were left out: {[strata[k] for k in np.flatnonzero(small)]}"
        )
        strata = tuple(s for s, keep in zip(strata, ~small, strict=True) if keep)
        cells = cells[~small]
        totals = totals[~small]
    if cells.shape[0] == 0:
        raise ValueError("no stratum has 2 or more subjects: the tables are empty")
    a, b, c, d = cells.T
    z = _z(conf_level)
    # Mantel-Haenszel with the Robins-Breslow-Greenland variance of log OR_MH
    r, s = a * d / totals, b * c / totals
    p, q = (a + d) / totals, (b + c) / totals
    r_sum, s_sum = float(r.sum()), float(s.sum())
    if r_sum == 0 or s_sum == 0:
        raise ValueError(
            "the Mantel-Haenszel odds ratio is 0 or infinite: no stratum has both "
            "concordant (a d) and discordant (b c) pairs; check the exposure coding"
        )
    mh = r_sum / s_sum
    variance = (
        float((p * r).sum()) / (2 * r_sum**2)
        + float((p * s + q * r).sum()) / (2 * r_sum * s_sum)
        + float((q * s).sum()) / (2 * s_sum**2)
    )
    half = z * math.sqrt(variance)
    # Cochran-Mantel-Haenszel, as R mantelhaen.test
    expected = (a + b) * (a + c) / totals
    var_a = (a + b) * (c + d) * (a + c) * (b + d) / (totals**2 * (totals - 1))
    delta = float((a - expected).sum())
    var_sum = float(var_a.sum())
    if var_sum == 0:
        raise ValueError("every stratum has a zero margin: the CMH test is undefined")
    cmh = delta**2 / var_sum
    yates = 0.5 if abs(delta) >= 0.5 else 0.0
    cmh_corrected = (abs(delta) - yates) ** 2 / var_sum
    # Breslow-Day over the strata with all four margins positive
    informative = (a + b > 0) & (c + d > 0) & (a + c > 0) & (b + d > 0)
    if not informative.all():
        notes.append(
            f"Breslow-Day test over {int(informative.sum())} of {len(strata)} strata "
            "(the others have a zero margin)"
        )
    bd = observed = fitted = bd_variance = 0.0
    for k in np.flatnonzero(informative):
        e = _expected_exposed_cases(a[k], b[k], c[k], d[k], mh)
        cases, exposed, total = a[k] + b[k], a[k] + c[k], totals[k]
        v = 1.0 / (1 / e + 1 / (cases - e) + 1 / (exposed - e) + 1 / (total - cases - exposed + e))
        bd += (a[k] - e) ** 2 / v
        observed, fitted, bd_variance = observed + a[k], fitted + e, bd_variance + v
    df = int(informative.sum()) - 1
    tarone = bd - (observed - fitted) ** 2 / bd_variance if bd_variance > 0 else math.nan
    total_a, total_b, total_c, total_d = (float(v) for v in cells.sum(axis=0))
    crude, crude_low, crude_high = _woolf(total_a, total_b, total_c, total_d, z)
    return StratifiedResult(
        strata=strata,
        cells=cells,
        conf_level=conf_level,
        mh_odds_ratio=mh,
        mh_ci_low=mh * math.exp(-half),
        mh_ci_high=mh * math.exp(half),
        crude_odds_ratio=crude,
        crude_ci_low=crude_low,
        crude_ci_high=crude_high,
        cmh_statistic=cmh,
        cmh_p=float(stats.chi2.sf(cmh, 1)),
        cmh_statistic_corrected=cmh_corrected,
        cmh_p_corrected=float(stats.chi2.sf(cmh_corrected, 1)),
        breslow_day=bd if df > 0 else math.nan,
        breslow_day_p=float(stats.chi2.sf(bd, df)) if df > 0 else math.nan,
        breslow_day_tarone=tarone if df > 0 else math.nan,
        breslow_day_tarone_p=float(stats.chi2.sf(tarone, df)) if df > 0 else math.nan,
        breslow_day_df=max(df, 0),
        n_missing=n_missing,
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- input


def _cells_from_tables(tables: Any) -> np.ndarray:
    try:
        array = np.asarray(tables, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            "`tables` must be a sequence of 2x2 tables [[a, c], [b, d]] of counts"
        ) from error
    if array.ndim != 3 or array.shape[1:] != (2, 2):
        raise ValueError(
            f"`tables` must have shape (K, 2, 2) (rows exposed/unexposed, columns "
            f"cases/controls), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("`tables` must hold non-negative finite counts")
    # [[a, c], [b, d]] -> a, b, c, d
    return np.column_stack([array[:, 0, 0], array[:, 1, 0], array[:, 0, 1], array[:, 1, 1]])


def _cells_from_frame(
    data: pd.DataFrame, exposure: str, outcome: str, stratum: str, count: str | None
) -> tuple[tuple[str, ...], np.ndarray, int]:
    from neok2.stats.contingency import _binary_column

    exposed = _binary_column(data, exposure, "exposure")
    case = _binary_column(data, outcome, "outcome")
    if not isinstance(stratum, str) or stratum not in data.columns:
        raise KeyError(f"`stratum`: column {stratum!r} is not in `data`")
    weights = _count_column(data, count)
    complete = exposed.notna() & case.notna() & data[stratum].notna()
    used = pd.DataFrame(
        {
            "stratum": data.loc[complete, stratum],
            "cell": (
                (1 - exposed[complete].astype(int)) + 2 * (1 - case[complete].astype(int))
            ).to_numpy(),
            "weight": weights[complete.to_numpy()],
        }
    )
    # cell index: 0 = a (exposed case), 1 = b, 2 = c, 3 = d
    pivot = used.pivot_table(
        index="stratum",
        columns="cell",
        values="weight",
        aggfunc="sum",
        fill_value=0.0,
        observed=True,
    ).reindex(columns=range(4), fill_value=0.0)
    labels = tuple(str(label) for label in pivot.index)
    return labels, pivot.to_numpy(dtype=float), int((~complete).sum())


def _count_column(data: pd.DataFrame, count: str | None) -> np.ndarray:
    if count is None:
        return np.ones(len(data))
    if not isinstance(count, str) or count not in data.columns:
        raise KeyError(f"`count`: column {count!r} is not in `data`")
    values = data[count]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise TypeError(f"`count`: column {count!r} must be numeric (a frequency per row)")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise ValueError(
            f"`count`: column {count!r} must hold non-negative finite frequencies; rows "
            f"{list(data.index[bad][:5])} do not"
        )
    return array


def stratified_2x2(
    data: pd.DataFrame | None = None,
    exposure: str | None = None,
    outcome: str | None = None,
    stratum: str | None = None,
    *,
    count: str | None = None,
    tables: Sequence[Any] | np.ndarray | None = None,
    conf_level: float = 0.95,
) -> StratifiedResult:
    """Mantel-Haenszel analysis of a 0/1 exposure and a 0/1 outcome over strata.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per subject, or one row per group of identical subjects with ``count``.
    exposure, outcome, stratum : str, optional
        Columns: exposure and outcome hold 0/1 (or True/False; outcome 1 = case), stratum any
        values. Rows with any of the three missing are left out and counted.
    count : str, optional
        Column of frequency weights (grouped records); the analysis equals that of the data
        with each row repeated ``count`` times.
    tables : sequence of 2x2 tables, optional
        Instead of ``data``: K tables ``[[a, c], [b, d]]`` (rows exposed / unexposed,
        columns cases / controls).
    conf_level : float, default 0.95

    Returns
    -------
    StratifiedResult
        ``.tidy()`` gives the stratum, crude and Mantel-Haenszel odds ratios; ``.tests()``
        the CMH and Breslow-Day tests.

    Raises
    ------
    ValueError
        Both or neither of ``data`` and ``tables``, non-0/1 columns, negative counts, a
        Mantel-Haenszel estimate of 0 or infinity, ``conf_level`` outside (0, 1).
    KeyError
        A named column is not in ``data``.

    Notes
    -----
    With ``n_k`` the stratum total, ``OR_MH = sum(a d / n) / sum(b c / n)``. Its log has the
    Robins-Breslow-Greenland variance ``sum(P R) / (2 R+^2) + sum(P S + Q R) / (2 R+ S+) +
    sum(Q S) / (2 S+^2)`` with ``R = a d / n``, ``S = b c / n``, ``P = (a + d) / n``,
    ``Q = (b + c) / n`` (R ``mantelhaen.test``). The CMH statistic is ``(|sum(a - E a)| -
    0.5)^2 / sum V a`` with the hypergeometric mean and variance of ``a``; the 0.5 is dropped
    for ``cmh_statistic`` and, as in R, whenever ``|sum(a - E a)| < 0.5``. Breslow-Day compares
    each ``a`` with the count expected under ``OR_MH`` given the margins, ``sum (a - e)^2 /
    var(e)``; Tarone's correction subtracts ``(sum a - sum e)^2 / sum var(e)``. Strata with
    fewer than 2 subjects are left out (R refuses them), with a note.

    References
    ----------
    Mantel N, Haenszel W (1959) J Natl Cancer Inst 22:719-748. Robins J, Breslow N,
    Greenland S (1986) Biometrics 42:311-323. Breslow NE, Day NE (1980) Statistical Methods
    in Cancer Research I, IARC, section 4.4. Tarone RE (1985) Biometrika 72:91-95.

    Examples
    --------
    >>> result = stratified_2x2(tables=[[[10, 20], [5, 30]], [[8, 12], [6, 25]]])
    >>> round(result.mh_odds_ratio, 4)  # (10*30/65 + 8*25/51) / (20*5/65 + 12*6/51)
    2.8937
    >>> result.tidy()["estimate"].tolist()
    ['stratum', 'stratum', 'crude', 'mantel_haenszel']
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float):
        raise TypeError(f"`conf_level` must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ValueError(f"`conf_level` must lie strictly between 0 and 1, got {conf_level!r}")
    notes: list[str] = []
    if tables is not None:
        if data is not None or count is not None:
            raise ValueError("give either `tables` or `data` (with its columns), not both")
        cells = _cells_from_tables(tables)
        labels = tuple(str(k + 1) for k in range(cells.shape[0]))
        n_missing = 0
    else:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"`data` must be a pandas DataFrame (or pass `tables=`), got {type(data).__name__}"
            )
        if exposure is None or outcome is None or stratum is None:
            raise ValueError("with `data`, name the `exposure`, `outcome` and `stratum` columns")
        labels, cells, n_missing = _cells_from_frame(data, exposure, outcome, stratum, count)
        if n_missing:
            notes.append(
                f"{n_missing} row(s) with missing {exposure!r}, {outcome!r} or {stratum!r} left out"
            )
    return _compute(labels, cells, float(conf_level), n_missing, notes)
