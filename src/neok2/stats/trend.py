"""Trend over ordered exposure levels: the Cochran-Armitage test and per-level odds ratios.

:func:`exposure_trend` takes an ordered exposure (dose bands such as alcohol intake) and a
0/1 outcome, or the case and control counts per level, and returns a frozen
:class:`TrendResult`: the score test for a linear trend of the proportion of cases over the
level scores (as R ``prop.trend.test``), and the odds ratio of every level against a
reference level with its Woolf interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2.formatting import format_ci, format_odds_ratio, format_p

__all__ = ["TrendResult", "exposure_trend"]


@dataclass(frozen=True)
class TrendResult:
    """Result of :func:`exposure_trend`.

    Attributes
    ----------
    statistic, p_value : float
        Cochran-Armitage chi-square (1 df) and its p-value.
    reference : str
        The reference level of the odds ratios.
    conf_level : float
    n_missing : int
    notes : tuple of str
    """

    statistic: float
    p_value: float
    reference: str
    conf_level: float
    n_missing: int
    notes: tuple[str, ...]
    _table: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per exposure level.

        Returns
        -------
        pandas.DataFrame
            ``level, score, cases, controls, odds_ratio, ci_low, ci_high, ci_method,
            conf_level, reference``; the reference row has odds ratio 1 and no interval.
        """
        return self._table.copy()

    def to_gt(self, *, title: str | None = None, digits: int = 2) -> Any:
        """A great_tables ``GT`` of the per-level odds ratios with the trend test below."""
        from great_tables import GT

        table = self._table
        shown = pd.DataFrame(
            {
                "Level": table["level"],
                "Cases": table["cases"],
                "Controls": table["controls"],
                "OR": [format_odds_ratio(v, digits) for v in table["odds_ratio"]],
                f"{round(100 * self.conf_level)}% CI": [
                    format_ci(lo, hi, digits) if r != "reference" else "reference"
                    for lo, hi, r in zip(
                        table["ci_low"], table["ci_high"], table["ci_method"], strict=True
                    )
                ],
            }
        )
        note = f"Test for trend (Cochran-Armitage): p = {format_p(self.p_value)}"
        return (
            GT(shown)
            .tab_header(title=title or "Odds ratios by exposure level")
            .tab_source_note("; ".join((note, *self.notes)))
        )

    def _repr_html_(self) -> str:
        return str(self._table.to_html(index=False))


def _levels_of(values: pd.Series, levels: Sequence[Any] | None) -> list[Any]:
    present = values.dropna()
    if levels is not None:
        levels = list(levels)
        unknown = sorted({str(v) for v in present.unique()} - {str(v) for v in levels})
        if unknown:
            raise ValueError(
                f"`levels` leaves out value(s) {unknown[:5]} of the exposure; list every level"
            )
        return levels
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return [level for level in values.cat.categories if (present == level).any()]
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        return sorted(present.unique().tolist())
    raise ValueError(
        "the exposure is not numeric or an ordered categorical, so its order is unknown; "
        "give `levels` in increasing order"
    )


def exposure_trend(
    data: pd.DataFrame | None = None,
    exposure: str | None = None,
    outcome: str | None = None,
    *,
    cases: Sequence[float] | None = None,
    controls: Sequence[float] | None = None,
    levels: Sequence[Any] | None = None,
    scores: Sequence[float] | None = None,
    weights: str | None = None,
    reference: Any = None,
    conf_level: float = 0.95,
) -> TrendResult:
    """Cochran-Armitage test for trend and odds ratios per level of an ordered exposure.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per subject (or per group with ``weights``).
    exposure, outcome : str, optional
        Ordered exposure column and 0/1 outcome (1 = case).
    cases, controls : sequence of float, optional
        Instead of ``data``: counts per level, in increasing order of exposure.
    levels : sequence, optional
        The exposure levels in increasing order; required for a text exposure, default the
        categories of an ordered categorical or the sorted values of a numeric column. With
        counts, the level labels (default 1, 2, ...).
    scores : sequence of float, optional
        Score of each level for the trend test; default ``1, 2, ..., k`` (R's default).
    weights : str, optional
        Column of frequency weights (grouped records).
    reference : optional
        Level the odds ratios compare with; default the lowest.
    conf_level : float, default 0.95

    Returns
    -------
    TrendResult

    Raises
    ------
    ValueError
        Fewer than two levels, scores of the wrong length or all equal, no case or no
        control, an unordered text exposure without ``levels``, an unknown ``reference``.

    Notes
    -----
    With ``x_i`` cases of ``n_i`` subjects at level i of score ``s_i``, ``p = sum x / sum n``
    and ``s_bar = sum n_i s_i / sum n``, the statistic is ``[sum x_i (s_i - s_bar)]^2 /
    (p (1 - p) sum n_i (s_i - s_bar)^2)`` on 1 df, the weighted-regression form of R's
    ``prop.trend.test``. The odds ratio of level i against the reference r is ``x_i c_r /
    (x_r c_i)`` (c = controls) with the Woolf interval ``exp(log OR +- z sqrt(1/x_i + 1/c_i +
    1/x_r + 1/c_r))``; NaN limits where a cell is zero.

    References
    ----------
    Armitage P (1955) Biometrics 11:375-386. Breslow NE, Day NE (1980) Statistical Methods in
    Cancer Research I, section 4.5.

    Examples
    --------
    >>> result = exposure_trend(cases=[83, 90, 129, 70], controls=[3, 3, 7, 12])
    >>> round(result.statistic, 4)  # R: prop.trend.test(c(83, 90, 129, 70), c(86, 93, 136, 82))
    8.2249
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float):
        raise TypeError(f"`conf_level` must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ValueError(f"`conf_level` must lie strictly between 0 and 1, got {conf_level!r}")
    notes: list[str] = []
    n_missing = 0
    if cases is not None or controls is not None:
        if data is not None or cases is None or controls is None:
            raise ValueError("give both `cases` and `controls` counts, or `data` with columns")
        x = np.asarray(cases, dtype=float)
        c = np.asarray(controls, dtype=float)
        if x.shape != c.shape or x.ndim != 1:
            raise ValueError("`cases` and `controls` must be sequences of the same length")
        if np.any(~np.isfinite(x)) or np.any(x < 0) or np.any(~np.isfinite(c)) or np.any(c < 0):
            raise ValueError("`cases` and `controls` must hold non-negative finite counts")
        labels = list(levels) if levels is not None else list(range(1, x.size + 1))
        if len(labels) != x.size:
            raise ValueError(f"`levels` has {len(labels)} labels for {x.size} count pairs")
    else:
        if not isinstance(data, pd.DataFrame):
            raise TypeError("`data` must be a pandas DataFrame (or give `cases` and `controls`)")
        if exposure is None or outcome is None:
            raise ValueError("with `data`, name the `exposure` and `outcome` columns")
        from neok2.stats.contingency import _binary_column
        from neok2.stats.grouped import frequency_column

        if exposure not in data.columns:
            raise KeyError(f"`exposure`: column {exposure!r} is not in `data`")
        case = _binary_column(data, outcome, "outcome")
        frequency = np.ones(len(data)) if weights is None else frequency_column(data, weights)
        complete = (data[exposure].notna() & case.notna()).to_numpy()
        n_missing = int(frequency[~complete].sum())
        if n_missing:
            notes.append(f"{n_missing} subject(s) with missing exposure or outcome left out")
        labels = _levels_of(data[exposure], levels)
        values = data[exposure].to_numpy()[complete]
        y = case.to_numpy()[complete].astype(int)
        f = frequency[complete]
        x = np.array([f[(values == level) & (y == 1)].sum() for level in labels])
        c = np.array([f[(values == level) & (y == 0)].sum() for level in labels])
    if len(labels) < 2:
        raise ValueError("the exposure needs at least two levels for a trend")
    s = np.arange(1.0, x.size + 1) if scores is None else np.asarray(scores, dtype=float)
    if s.shape != x.shape:
        raise ValueError(f"`scores` has {s.size} values for {x.size} levels")
    n = x + c
    total, events = float(n.sum()), float(x.sum())
    if events == 0 or events == total:
        raise ValueError("the outcome needs both cases and controls")
    p = events / total
    mean_score = float((n * s).sum()) / total
    spread = float((n * (s - mean_score) ** 2).sum())
    if spread == 0:
        raise ValueError("the scores do not vary over the levels with subjects")
    statistic = float((x * (s - mean_score)).sum()) ** 2 / (p * (1 - p) * spread)
    reference_index = 0
    if reference is not None:
        matches = [i for i, level in enumerate(labels) if level == reference]
        if not matches:
            raise ValueError(f"`reference` {reference!r} is not one of the levels {labels}")
        reference_index = matches[0]
    z = float(special.ndtri(0.5 + float(conf_level) / 2.0))
    x_r, c_r = x[reference_index], c[reference_index]
    rows = []
    for i, level in enumerate(labels):
        if i == reference_index:
            odds, low, high, method = 1.0, math.nan, math.nan, "reference"
        else:
            numerator, denominator = x[i] * c_r, x_r * c[i]
            odds = numerator / denominator if denominator else math.inf
            low = high = math.nan
            method = "woolf"
            if min(x[i], c[i], x_r, c_r) > 0:
                half = z * math.sqrt(1 / x[i] + 1 / c[i] + 1 / x_r + 1 / c_r)
                low, high = odds * math.exp(-half), odds * math.exp(half)
            else:
                notes.append(f"level {level!r}: a zero count, no Woolf interval")
        rows.append(
            {
                "level": level,
                "score": s[i],
                "cases": x[i],
                "controls": c[i],
                "odds_ratio": odds,
                "ci_low": low,
                "ci_high": high,
                "ci_method": method,
                "conf_level": float(conf_level),
                "reference": labels[reference_index],
            }
        )
    return TrendResult(
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, 1)),
        reference=str(labels[reference_index]),
        conf_level=float(conf_level),
        n_missing=n_missing,
        notes=tuple(notes),
        _table=pd.DataFrame(rows),
    )
