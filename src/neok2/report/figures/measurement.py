"""The defining measurement by group: jittered points, box plot and the case cutoff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["measurement_by_group"]

_CASE_COLOUR, _CONTROL_COLOUR = "#b2182b", "#2166ac"


def measurement_by_group(
    samples: Mapping[str, Sequence[float] | np.ndarray],
    *,
    group_labels: Mapping[str, str],
    ylabel: str,
    seed: int,
    cutoff: float | None = None,
    unit: str = "",
) -> Any:
    """Draw the measurement of controls and cases side by side.

    Parameters
    ----------
    samples : mapping
        ``{"control": values, "case": values}`` (missing values already dropped).
    group_labels : mapping
        Axis labels of ``"control"`` and ``"case"`` (their sizes are added).
    ylabel : str
        The measurement's axis label, unit included.
    seed : int
        Seeds the horizontal jitter of the points.
    cutoff : float, optional
        Value below which a subject is a case: drawn as a dashed line.
    unit : str, default ""
        Unit written beside the cutoff.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> figure = measurement_by_group(
    ...     {"control": [0.3, 0.5, 0.4], "case": [0.02, 0.08]},
    ...     group_labels={"control": "Normal", "case": "Deficient"},
    ...     ylabel="Serum vitamin K2 (ng/mL)", seed=1, cutoff=0.1, unit="ng/mL",
    ... )
    >>> [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    ['Deficient\\n(n = 2)', 'Normal\\n(n = 3)']
    """
    from matplotlib.figure import Figure

    for group in ("control", "case"):
        if group not in samples or group not in group_labels:
            raise ValueError(f"`samples` and `group_labels` need a {group!r} entry")
    figure = Figure(figsize=(5.2, 3.8))
    axes = figure.subplots()
    rng = np.random.default_rng(seed)
    drawn = []
    # cases first, as Table 1 orders its columns
    order = ("case", "control")
    for position, group in enumerate(order, start=1):
        values = np.asarray(samples[group], dtype=float)
        drawn.append(values)
        jitter = rng.uniform(-0.12, 0.12, size=values.size)
        axes.scatter(
            position + jitter,
            values,
            s=9,
            alpha=0.55,
            color=_CASE_COLOUR if group == "case" else _CONTROL_COLOUR,
            linewidths=0,
        )
    axes.boxplot(
        drawn, positions=[1, 2], widths=0.45, showfliers=False, medianprops={"color": "black"}
    )
    if cutoff is not None:
        axes.axhline(cutoff, color="grey", linestyle="--", linewidth=1)
        axes.annotate(
            f"{cutoff:g} {unit}".rstrip(),
            (2.45, cutoff),
            fontsize=8,
            color="grey",
            va="bottom",
            ha="right",
        )
    axes.set_xticks(
        [1, 2],
        [
            f"{group_labels[group]}\n(n = {values.size})"
            for group, values in zip(order, drawn, strict=True)
        ],
    )
    axes.set_ylabel(ylabel)
    axes.spines[["top", "right"]].set_visible(False)
    return figure
