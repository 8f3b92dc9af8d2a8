"""Table 1 p-values recomputed from the printed counts or means and SDs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neok2.audit.checks._shared import (
    Record,
    level_counts,
    main_rows,
    record,
    show_p,
    show_range,
    significance_flips,
    t_cells,
)
from neok2.stats.printed import Interval, overlaps, p_interval
from neok2.stats.summaries import t_p_points, t_p_ranges
from neok2.stats.trend import exposure_trend
from neok2.stats.two_group import TWO_GROUP_TESTS, printed_test
from neok2.study.spec import Study

_LEVELLED = ("categorical", "ordinal")


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


def _level_test_ps(study: Study, variable: str, stated: list[str]) -> dict[str, float]:
    """p of Pearson's test (and Fisher's, when stated) on a levels x groups table of counts.

    Levels empty in both groups are left out, as they add nothing to either test. Yates's
    correction is not tried: it applies to one degree of freedom only.
    """
    counts = level_counts(study, variable)
    table = counts[["case", "control"]].to_numpy()
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2 or (table.sum(axis=0) == 0).any():
        return {}
    names = ["chisq"] + [name for name in ("fisher",) if TWO_GROUP_TESTS[name].short in stated]
    ps = {}
    for name in names:
        test = TWO_GROUP_TESTS[name]
        try:
            ps[test.short] = test.on_table(table).p_value
        except ValueError:
            # Fisher's enumeration has a budget; beyond it the test is not recomputed.
            continue
    return ps


def _trend_record(study: Study, row: Any, alpha: float) -> Record:
    """The printed trend p of an ordinal row against the Cochran-Armitage test on its counts."""
    variable, label = row["variable"], row["label"]
    location = f"Table 1 / {label} / trend p"
    reported = str(row["trend_p_printed"])
    counts = level_counts(study, variable)
    try:
        # Scores are the levels' numeric codes when they have them (the test does not change
        # under a shift or a change of scale), otherwise 1..k in printed order.
        scores = [float(value) for value in counts["value"]]
        score_words = "the level codes"
    except ValueError:
        scores = [float(k) for k in range(1, len(counts) + 1)]
        score_words = "scores 1..k"
    try:
        trend = exposure_trend(
            cases=counts["case"].tolist(), controls=counts["control"].tolist(), scores=scores
        )
    except ValueError as reason:
        return record(
            "table1_p",
            location,
            reported,
            "not recomputable",
            "note",
            f"The trend test cannot be recomputed from the counts: {reason}.",
            variable=variable,
        )
    printed = p_interval(reported)
    ok = printed.contains(trend.p_value)
    flips = significance_flips(printed, [Interval(trend.p_value, trend.p_value)], alpha)
    message = f"The Cochran-Armitage trend test over {score_words} gives {show_p(trend.p_value)}"
    if ok:
        severity, message = "ok", message + ", as printed."
    else:
        severity = "error" if flips else "warning"
        message += ", which the printed p does not round from" + (
            f", and the conclusion at alpha {alpha:g} changes." if flips else "."
        )
    return record(
        "table1_p",
        location,
        reported,
        show_p(trend.p_value),
        severity,
        message,
        low=trend.p_value,
        high=trend.p_value,
        variable=variable,
    )


def check_table1_p(study: Study, *, alpha: float, **_options: Any) -> list[Record]:
    records = []
    for _, row in main_rows(study).iterrows():
        if row["summary"] == "ordinal" and row["trend_p_printed"]:
            records.append(_trend_record(study, row, alpha))
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
        stated = [
            test.short
            for test in printed_test(
                str(row["test"]), str(row["summary"]), declared=study.design.get("tests")
            )
        ]
        if row["summary"] in _LEVELLED:
            variants = _level_test_ps(study, variable, stated)
            ranges = {name: Interval(p, p) for name, p in variants.items() if not math.isnan(p)}
        elif row["summary"] == "n_percent":
            variants = _count_test_ps(study, variable)
            ranges = {name: Interval(p, p) for name, p in variants.items() if not math.isnan(p)}
        else:
            cells = t_cells(study, variable)
            ranges = t_p_ranges(*cells, scale_by_root_n=False)
            variants = t_p_points(*cells, scale_by_root_n=False)
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
