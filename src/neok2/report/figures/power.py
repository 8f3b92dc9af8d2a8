"""Power curves of the simulated pipeline, with Monte Carlo error bands."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neok2.formatting import format_odds_ratio

__all__ = ["power_over_n_figure", "power_over_odds_ratio_figure"]

_REQUIRED = {"variable", "power", "power_mcse", "true_odds_ratio"}
_Z = 1.959963984540054


def _check(table: pd.DataFrame, column: str) -> None:
    needed = _REQUIRED | {column}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
        raise ValueError(f"`table` must be a simulated power table with {sorted(needed)}")


def _band(
    axes: object, x: np.ndarray, power: np.ndarray, error: np.ndarray, **style: object
) -> None:
    low, high = np.clip(power - _Z * error, 0, 1), np.clip(power + _Z * error, 0, 1)
    axes.fill_between(x, low, high, alpha=0.18, linewidth=0, **style)  # type: ignore[attr-defined]


def power_over_n_figure(
    table: pd.DataFrame, *, labels: Mapping[str, str] | None = None, target: float = 0.8
) -> Figure:
    """Simulated power of each factor against total sample size, with 95% MC bands.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of the true factors with ``n_total, variable, true_odds_ratio, power,
        power_mcse`` (e.g. from :func:`neok2.stats.power_curves.power_over_n`).
    labels : mapping, optional
        Legend text of each variable.
    target : float, default 0.8
        Drawn as a horizontal reference line.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> table = pd.DataFrame({"n_total": [100, 200], "variable": "sga", "power": [0.3, 0.5],
    ...                       "power_mcse": [0.02, 0.02], "true_odds_ratio": 3.5})
    >>> len(power_over_n_figure(table).axes[0].lines)
    2
    """
    _check(table, "n_total")
    figure = Figure(figsize=(6.0, 3.8))
    axes = figure.subplots()
    for index, (variable, rows) in enumerate(table.groupby("variable", sort=False)):
        rows = rows.sort_values("n_total")
        color = f"C{index}"
        x = rows["n_total"].to_numpy(dtype=float)
        power, error = rows["power"].to_numpy(), rows["power_mcse"].to_numpy()
        _band(axes, x, power, error, color=color)
        name = (labels or {}).get(str(variable), str(variable))
        odds_ratio = format_odds_ratio(float(rows["true_odds_ratio"].iloc[0]))
        axes.plot(x, power, marker="o", color=color, label=f"{name} (true OR {odds_ratio})")
    axes.axhline(target, color="black", linewidth=0.8)
    axes.set_xlabel("Total sample size (cases + controls)")
    axes.set_ylabel("Power of the pipeline")
    axes.set_ylim(0.0, 1.0)
    axes.legend(fontsize="small", frameon=False, loc="lower right")
    figure.tight_layout()
    return figure


def power_over_odds_ratio_figure(
    table: pd.DataFrame, *, labels: Mapping[str, str] | None = None, target: float = 0.8
) -> Figure:
    """Simulated power of each factor against its true odds ratio (log axis), 95% MC bands.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``variable, true_odds_ratio, power, power_mcse`` (e.g. from
        :func:`neok2.stats.power_curves.power_over_odds_ratio`, one block per factor).
    labels : mapping, optional
    target : float, default 0.8

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> table = pd.DataFrame({"variable": "sga", "true_odds_ratio": [2.0, 4.0],
    ...                       "power": [0.3, 0.6], "power_mcse": [0.02, 0.02]})
    >>> power_over_odds_ratio_figure(table).axes[0].get_xscale()
    'log'
    """
    _check(table, "true_odds_ratio")
    figure = Figure(figsize=(6.0, 3.8))
    axes = figure.subplots()
    for index, (variable, rows) in enumerate(table.groupby("variable", sort=False)):
        rows = rows.sort_values("true_odds_ratio")
        color = f"C{index}"
        x = rows["true_odds_ratio"].to_numpy(dtype=float)
        power, error = rows["power"].to_numpy(), rows["power_mcse"].to_numpy()
        _band(axes, x, power, error, color=color)
        axes.plot(
            x, power, marker="o", color=color, label=(labels or {}).get(str(variable), variable)
        )
    axes.axhline(target, color="black", linewidth=0.8)
    axes.set_xscale("log")
    # ticks at the shared grid (a factor's own odds ratio would crowd its neighbours)
    shared = table.groupby("true_odds_ratio")["variable"].nunique()
    ticks = sorted(
        float(v) for v in (shared[shared > 1].index if (shared > 1).any() else shared.index)
    )
    axes.set_xticks(ticks, [f"{v:g}" for v in ticks])
    axes.minorticks_off()
    axes.set_xlabel("True adjusted odds ratio (log scale; other factors as published)")
    axes.set_ylabel("Power of the pipeline")
    axes.set_ylim(0.0, 1.0)
    axes.legend(fontsize="small", frameon=False, loc="lower right")
    figure.tight_layout()
    return figure
