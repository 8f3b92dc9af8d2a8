"""Each binned variable's printed mean against the range its bin counts allow."""

from __future__ import annotations

import math
from typing import Any

from neok2.audit.checks._shared import Record, record
from neok2.formatting import format_number
from neok2.stats.printed import Interval, overlaps
from neok2.stats.summaries import mean_sd_intervals
from neok2.study.spec import Study


def check_bin_means(study: Study, **_options: Any) -> list[Record]:
    frame = study.table1
    records = []
    for _, main in frame[(frame["summary"] == "mean_sd") & (frame["level"] == "")].iterrows():
        bins = frame[
            (frame["variable"] == main["variable"])
            & (frame["group"] == main["group"])
            & (frame["level"] != "")
        ]
        if bins.empty:
            continue
        try:
            column = study.column(str(main["variable"]))
            minimum, maximum = column.min, column.max
        except KeyError:
            minimum = maximum = None
        lows = bins["low"].fillna(-math.inf if minimum is None else minimum).astype(float)
        highs = bins["high"].fillna(math.inf if maximum is None else maximum).astype(float)
        counts = bins["n"].astype(float)
        size = study.groups[main["group"]]
        low, high = float((lows * counts).sum() / size), float((highs * counts).sum() / size)
        if not (math.isfinite(low) and math.isfinite(high)):
            continue
        mean, _ = mean_sd_intervals(main)
        ok = overlaps(mean, Interval(low, high))
        shown = f"{format_number(low, 3)}-{format_number(high, 3)}"
        message = (
            f"The bin counts allow a {main['group']} mean between {shown}; the printed mean "
            + ("lies inside." if ok else "lies outside.")
        )
        records.append(
            record(
                "bin_mean",
                f"Table 1 / {main['label']} / {main['group']} mean",
                str(main["printed"] or main["mean"]),
                shown,
                "ok" if ok else "error",
                message,
                low=low,
                high=high,
                variable=main["variable"],
            )
        )
    return records
