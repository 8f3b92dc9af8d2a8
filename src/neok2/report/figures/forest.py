"""Forest plot of odds ratios with confidence intervals on a log axis."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neok2.formatting import format_ci, format_odds_ratio

__all__ = ["NOT_ESTIMABLE", "forest_plot"]

NOT_ESTIMABLE = "not estimable"


def forest_plot(
    tidy: pd.DataFrame,
    *,
    ax: Axes | None = None,
    estimate: str = "odds_ratio",
    low: str = "ci_low",
    high: str = "ci_high",
    label: str = "term",
    labels: Mapping[str, str] | None = None,
    reference: float = 1.0,
    annotate: bool = True,
    digits: int = 2,
    title: str | None = None,
    xlabel: str = "Odds ratio (95% CI, log scale)",
) -> Figure:
    """Draw odds ratios and their intervals, one row per term, top to bottom.

    Parameters
    ----------
    tidy : pandas.DataFrame
        A tidy table, e.g. ``LogisticResult.tidy()`` or ``ScreenResult.table()``; rows with
        term ``"(Intercept)"`` are left out.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure sized to the number of rows.
    estimate, low, high : str
        Columns of the odds ratio and its bounds (e.g. ``"or_multivariable"``).
    label : str, default "term"
        Column of the row labels.
    labels : mapping, optional
        Display text replacing values of the ``label`` column.
    reference : float, default 1.0
        Where the vertical "no effect" line goes.
    annotate : bool, default True
        Print ``"OR (low-high)"`` to the right of each row.
    digits : int, default 2
    title : str, optional
    xlabel : str

    Returns
    -------
    matplotlib.figure.Figure
        Row ``i`` (from the top) is drawn at ``y = -i``; a row whose estimate or bounds are
        missing or not finite is not drawn and shows the text ``"not estimable"`` instead.

    Notes
    -----
    The counterpart of R's ``forestplot`` / finalfit's ``or_plot``. The x axis is
    logarithmic, so intervals symmetric on the log-odds scale look symmetric.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> table = pd.DataFrame({"term": ["sga", "prom"], "odds_ratio": [4.9, 2.6],
    ...                       "ci_low": [1.7, 1.3], "ci_high": [13.8, 5.4]})
    >>> figure = forest_plot(table)
    >>> figure.axes[0].get_xscale()
    'log'
    """
    if not isinstance(tidy, pd.DataFrame):
        raise TypeError(f"`tidy` must be a pandas DataFrame, got {type(tidy).__name__}")
    missing = [column for column in (estimate, low, high, label) if column not in tidy.columns]
    if missing:
        raise ValueError(
            f"`tidy` has no column(s) {missing}; pass the column names with "
            "estimate=, low=, high=, label="
        )
    if not (isinstance(reference, int | float) and reference > 0):
        raise ValueError(
            f"`reference` must be a positive number on the odds-ratio scale, got {reference!r}"
        )
    rows = tidy[tidy[label] != "(Intercept)"].reset_index(drop=True)
    if rows.empty:
        raise ValueError("`tidy` has no rows to plot (only an intercept or nothing at all)")
    values = rows[[estimate, low, high]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    text = rows[[estimate, low, high]].notna().to_numpy() & np.isnan(values)
    if text.any():
        row, column = (int(i) for i in np.argwhere(text)[0])
        raise ValueError(
            f"`tidy`: column {[estimate, low, high][column]!r} holds a non-number "
            f"({rows.iloc[row][[estimate, low, high][column]]!r}) in row {row}"
        )
    if (values <= 0).any() or np.isneginf(values).any():
        raise ValueError(
            f"`tidy`: odds ratios and their limits must be positive; columns {estimate!r}, "
            f"{low!r}, {high!r} hold a zero or negative value (pass exp(estimate), not the log)"
        )
    drawable = np.isfinite(values).all(axis=1) & (values > 0).all(axis=1)
    names = [str((labels or {}).get(value, value)) for value in rows[label]]
    positions = -np.arange(len(rows), dtype=float)

    if ax is None:
        import matplotlib.pyplot as plt

        figure, ax = plt.subplots(figsize=(7.0, 1.0 + 0.4 * len(rows)))
    else:
        figure = ax.figure  # type: ignore[assignment]
    ax.set_xscale("log")
    ax.axvline(reference, color="0.5", linestyle="--", linewidth=1, label="reference")
    if drawable.any():
        shown = values[drawable]
        ax.errorbar(
            shown[:, 0],
            positions[drawable],
            xerr=[shown[:, 0] - shown[:, 1], shown[:, 2] - shown[:, 0]],
            fmt="s",
            color="black",
            ecolor="black",
            capsize=3,
            markersize=5,
            label="estimates",
        )
        span = [float(shown[:, 1].min()), float(shown[:, 2].max())]
    else:
        span = [reference / 2.0, reference * 2.0]
    span = [min(span[0], reference), max(span[1], reference)]
    margin = (math.log(span[1]) - math.log(span[0])) * 0.1 or 0.5
    ax.set_xlim(math.exp(math.log(span[0]) - margin), math.exp(math.log(span[1]) + margin))
    for position, ok, row in zip(positions, drawable, values, strict=True):
        if not ok:
            ax.text(
                reference,
                position,
                NOT_ESTIMABLE,
                ha="center",
                va="center",
                fontstyle="italic",
                color="0.3",
            )
        elif annotate:
            text = f"{format_odds_ratio(row[0], digits)} ({format_ci(row[1], row[2], digits)})"
            ax.annotate(
                text,
                xy=(1.02, position),
                xycoords=("axes fraction", "data"),
                va="center",
                ha="left",
                fontsize=9,
            )
    ax.set_yticks(positions, names)
    ax.set_ylim(positions[-1] - 0.7, 0.7)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    figure.tight_layout()
    return figure
