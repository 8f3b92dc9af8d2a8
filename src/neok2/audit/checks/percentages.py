"""Percentages against their counts: ``100 n / N`` by rounding or truncation (GRIM-like)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from neok2.audit.checks._shared import Record, record
from neok2.formatting import format_number, parse_cell
from neok2.stats.printed import rounding_interval, truncation_interval
from neok2.study.claims import claim_decimals
from neok2.study.spec import Study


def check_percentages(study: Study, **_options: Any) -> list[Record]:
    frame = study.table1
    records = []
    for _, cell in frame[frame["summary"] == "n_percent"].iterrows():
        if cell["printed"]:
            parsed = parse_cell(str(cell["printed"]), "n_percent")
            printed_percent, decimals = parsed.values[1], parsed.decimals[1]
            reported = str(cell["printed"])
        elif pd.notna(cell["percent"]):
            printed_percent = float(cell["percent"])
            decimals = claim_decimals(printed_percent)
            reported = f"{cell['n']} ({cell['percent']!r})"
        else:
            continue
        total = study.groups[cell["group"]]
        count = int(cell["n"])
        exact = 100.0 * count / total
        where = f"Table 1 / {cell['label']}" + (f" / {cell['level']}" if cell["level"] else "")
        location = f"{where} / {cell['group']} %"
        recomputed = f"{count}/{total} = {format_number(exact, decimals + 2)}%"
        rounded = rounding_interval(printed_percent, decimals)
        if rounded.contains(exact):
            severity = "ok"
            message = f"The percentage matches {count} of {total} after rounding."
        elif truncation_interval(printed_percent, decimals).contains(exact):
            severity = "note"
            message = (
                f"{count} of {total} is {format_number(exact, decimals + 2)}%, which rounds to "
                f"{format_number(exact, decimals)}; the printed value truncates it instead."
            )
        else:
            severity = "error"
            fitting = [k for k in range(total + 1) if rounded.contains(100.0 * k / total)]
            if fitting:
                shown_percent = format_number(printed_percent, decimals)
                alternative = (
                    f"a count of {' or '.join(map(str, fitting))} would print {shown_percent}%"
                )
            else:
                alternative = f"no count out of {total} gives this percentage"
            message = (
                f"{count} of {total} is {format_number(exact, decimals + 2)}%, not the printed "
                f"{format_number(printed_percent, decimals)}% under rounding or truncation; "
                f"{alternative}."
            )
        records.append(
            record(
                "percent",
                location,
                reported,
                recomputed,
                severity,
                message,
                low=exact,
                high=exact,
                variable=cell["variable"],
            )
        )
    return records
