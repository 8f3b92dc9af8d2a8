"""Forest plot of odds ratios with confidence intervals on a log axis."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neok2.formatting import format_or_ci

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
    digits: int | None = None,
    title: str | None = None,
    xlabel: str = "Odds ratio (95% CI, log scale)",
    published: pd.DataFrame | None = None,
    series_labels: tuple[str, str] = ("Rebuilt", "Published"),
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
    digits : int, optional
        Decimals of the printed odds ratios; by default those of
        :func:`neok2.formatting.odds_ratio_digits` (the published row's when it needs more
        than two).
    title : str, optional
    xlabel : str
    published : pandas.DataFrame, optional
        A second set of estimates (same ``label``, ``estimate``, ``low``, ``high`` columns),
        drawn as open circles just above each row; rows are matched by ``label``. An
        ``or_printed`` column (the odds ratio as the paper printed it) sets the decimals of a
        row that needs more than two.
    series_labels : (str, str), default ("Rebuilt", "Published")
        Legend entries of ``tidy`` and ``published`` when both are drawn.

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
        if published is not None:
            span = _draw_published(ax, published, rows, positions, (estimate, low, high, label))
            span = [min(span[0], float(shown[:, 1].min())), max(span[1], float(shown[:, 2].max()))]
    else:
        span = [reference / 2.0, reference * 2.0]
    span = [min(span[0], reference), max(span[1], reference)]
    margin = (math.log(span[1]) - math.log(span[0])) * 0.1 or 0.5
    ax.set_xlim(math.exp(math.log(span[0]) - margin), math.exp(math.log(span[1]) + margin))
    # a published odds ratio printed beside the rebuilt one sets the decimals of a row that
    # needs more than two (its printed form, when the frame carries `or_printed`)
    printed: dict[object, str] = (
        {
            key: str(value)
            for key, value in zip(published[label], published["or_printed"], strict=True)
            if isinstance(value, str) and value
        }
        if published is not None and "or_printed" in published.columns
        else {}
    )
    for index, (position, ok, row) in enumerate(zip(positions, drawable, values, strict=True)):
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
            text = format_or_ci(
                *row[:3], printed=printed.get(rows[label].iloc[index]), digits=digits
            )
            ax.annotate(
                text,
                xy=(1.02, position),
                xycoords=("axes fraction", "data"),
                va="center",
                ha="left",
                fontsize=9,
            )
    _plain_log_ticks(ax)
    if published is not None and drawable.any():
        handles, texts = ax.get_legend_handles_labels()
        keep = [i for i, text in enumerate(texts) if text in ("estimates", "published")]
        ax.legend(
            [handles[i] for i in keep],
            [series_labels[0] if texts[i] == "estimates" else series_labels[1] for i in keep],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=2,
            frameon=False,
            fontsize=8,
        )
    ax.set_yticks(positions, names)
    ax.set_ylim(positions[-1] - 0.7, 0.7)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    figure.tight_layout()
    return figure


_NICE_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


def _plain_log_ticks(ax: Axes) -> None:
    """Ticks at 0.5, 1, 2, 5, 10 ... printed as plain numbers, not as powers of ten."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    low, high = ax.get_xlim()
    ticks = [tick for tick in _NICE_TICKS if low <= tick <= high]
    if len(ticks) > 7:
        # over several decades the 2s and 5s crowd into each other: powers of ten only
        ticks = [tick for tick in ticks if math.log10(tick).is_integer()]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def _draw_published(
    ax: Axes,
    published: pd.DataFrame,
    rows: pd.DataFrame,
    positions: np.ndarray,
    columns: tuple[str, str, str, str],
) -> list[float]:
    """Open circles with thin intervals for the published estimates, just above each row."""
    estimate, low, high, label = columns
    missing = [column for column in columns if column not in published.columns]
    if missing:
        raise ValueError(f"`published` has no column(s) {missing}; give the same columns as tidy")
    by_label = published.set_index(label)
    xs, ys, lows, highs = [], [], [], []
    for position, name in zip(positions, rows[label], strict=True):
        if name not in by_label.index:
            continue
        row = by_label.loc[name]
        values = [float(row[estimate]), float(row[low]), float(row[high])]
        if not all(math.isfinite(v) and v > 0 for v in values):
            continue
        xs.append(values[0])
        ys.append(position + 0.25)
        lows.append(values[1])
        highs.append(values[2])
    if xs:
        x = np.asarray(xs)
        ax.errorbar(
            x,
            ys,
            xerr=[x - np.asarray(lows), np.asarray(highs) - x],
            fmt="o",
            color="0.45",
            ecolor="0.45",
            markerfacecolor="white",
            capsize=2,
            markersize=5,
            linewidth=1,
            label="published",
        )
        return [min(lows), max(highs)]
    return [math.inf, -math.inf]
