"""Table 1 p-values recomputed from the printed counts or means and SDs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neok2.audit.checks._shared import (
    Record,
    main_rows,
    record,
    show_p,
    show_range,
    significance_flips,
    t_cells,
)
from neok2.stats.printed import Interval, overlaps, p_interval
from neok2.stats.summaries import t_p_points, t_p_ranges
from neok2.stats.two_group import TWO_GROUP_TESTS, printed_test
from neok2.study.spec import Study


def _count_test_ps(study: Study, variable: str) -> dict[str, float]:
    """p of every registry test recomputable from a binary row's printed counts."""
    exposed_cases = int(study.cell(variable, "case")["n"])
    exposed_controls = int(study.cell(variable, "control")["n"])
    counts = np.array(
        [
            [exposed_cases, exposed_controls],
            [study.groups["case"] - exposed_cases, study.groups["control"] - exposed_controls],
        ]
    )
    if (counts.sum(axis=0) == 0).any() or (counts.sum(axis=1) == 0).any():
        return {}
    return {
        test.short: test.on_table(counts).p_value
        for test in TWO_GROUP_TESTS.values()
        if test.kind == "categorical" and test.from_printed
    }


def check_table1_p(study: Study, *, alpha: float, **_options: Any) -> list[Record]:
    records = []
    for _, row in main_rows(study).iterrows():
        if not row["p_printed"]:
            continue
        variable, label = row["variable"], row["label"]
        location = f"Table 1 / {label} / p"
        printed = p_interval(str(row["p_printed"]))
        reported = str(row["p_printed"])
        if row["summary"] == "median_iqr":
            records.append(
                record(
                    "table1_p",
                    location,
                    reported,
                    "not recomputable",
                    "note",
                    "A Mann-Whitney p needs the ranks, so it cannot be recomputed from medians and "
                    "quartiles.",
                    variable=variable,
                )
            )
            continue
        if row["summary"] == "n_percent":
            variants = _count_test_ps(study, variable)
            ranges = {name: Interval(p, p) for name, p in variants.items() if not math.isnan(p)}
        else:
            cells = t_cells(study, variable)
            ranges = t_p_ranges(*cells, scale_by_root_n=False)
            variants = t_p_points(*cells, scale_by_root_n=False)
        stated = [
            test.short
            for test in printed_test(
                str(row["test"]), str(row["summary"]), declared=study.design.get("tests")
            )
        ]
        if not ranges:
            records.append(
                record(
                    "table1_p",
                    location,
                    reported,
                    "not recomputable",
                    "note",
                    "With a group or an exposure level empty, no test can be recomputed.",
                    variable=variable,
                )
            )
            continue
        matching = [name for name, interval in ranges.items() if overlaps(printed, interval)]
        shown = ", ".join(
            f"{name} {show_p(variants[name])}"
            + (
                ""
                if ranges[name].low == ranges[name].high
                else f" ({show_range(ranges[name], show_p)})"
            )
            for name in ranges
        )
        everything = Interval(
            min(i.low for i in ranges.values()), max(i.high for i in ranges.values())
        )
        if any(name in stated for name in matching):
            severity = "ok"
            message = f"The printed p is reproduced by the {' and '.join(matching)} test."
        elif matching:
            severity = "note"
            message = (
                f"The printed p matches the {' and '.join(matching)} test rather than the stated "
                f"{row['test'] or 'test'}."
            )
        else:
            flips = significance_flips(printed, list(ranges.values()), alpha)
            severity = "error" if flips else "warning"
            message = "No standard test reproduces the printed p from the printed summaries" + (
                f", and the conclusion at alpha {alpha:g} changes." if flips else "."
            )
        records.append(
            record(
                "table1_p",
                location,
                reported,
                shown,
                severity,
                message,
                low=everything.low,
                high=everything.high,
                variable=variable,
            )
        )
    return records
