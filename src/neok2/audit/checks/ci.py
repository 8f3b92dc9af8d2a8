"""Odds ratios against their own intervals: log-scale symmetry and the p the interval implies."""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from neok2.audit.checks._shared import (
    Record,
    or_intervals,
    or_label,
    or_reported,
    or_tables,
    record,
    show_p,
    show_range,
)
from neok2.formatting import format_number
from neok2.stats.printed import (
    Interval,
    overlaps,
    p_interval,
    wald_p_from_ci,
    wald_p_range_from_ci,
)
from neok2.study.spec import Study


def check_ci_symmetry(study: Study, *, ci_method: str, **_options: Any) -> list[Record]:
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for table, row in or_tables(study):
        odds_ratio, ci_low, ci_high = or_intervals(row)
        centre = math.sqrt(float(row["ci_low"]) * float(row["ci_high"]))
        compatible = Interval(
            math.sqrt(max(ci_low.low, 0.0) * ci_high.low), math.sqrt(ci_low.high * ci_high.high)
        )
        ok = overlaps(odds_ratio, compatible)
        message = f"The geometric mean of the printed limits is {format_number(centre, 3)}" + (
            ", matching the odds ratio."
            if ok
            else ", so the interval is not symmetric around the odds ratio on the log scale."
        )
        records.append(
            record(
                "ci_symmetry",
                f"{table} / {or_label(row)} / OR vs 95% CI",
                or_reported(row),
                format_number(centre, 3),
                "ok" if ok else failure,
                message,
                low=compatible.low,
                high=compatible.high,
                variable=row["variable"],
            )
        )
    return records


def check_ci_p(study: Study, *, ci_method: str, level: float, **_options: Any) -> list[Record]:
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for table, row in or_tables(study):
        if not row["p_printed"]:
            continue
        odds_ratio, ci_low, ci_high = or_intervals(row)
        point = wald_p_from_ci(
            float(row["odds_ratio"]), float(row["ci_low"]), float(row["ci_high"]), level=level
        )
        compatible = wald_p_range_from_ci(odds_ratio, ci_low, ci_high, level=level)
        printed = p_interval(str(row["p_printed"]))
        ok = overlaps(printed, compatible)
        shown = f"{show_p(point)} ({show_range(compatible, show_p)})"
        message = f"The p implied by the OR and its interval is {show_p(point)}" + (
            "." if ok else ", which the printed p does not round from."
        )
        if not ok:
            quantile = float(stats.norm.ppf(0.5 + level / 2))
            log_or = math.log(float(row["odds_ratio"]))
            halves = {
                "lower": (log_or - math.log(float(row["ci_low"]))) / quantile,
                "upper": (math.log(float(row["ci_high"])) - log_or) / quantile,
            }
            for half, standard_error in halves.items():
                if standard_error > 0:
                    half_p = 2 * float(stats.norm.sf(abs(log_or) / standard_error))
                    if printed.contains(half_p):
                        message += f" The {half} half of the interval alone gives {show_p(half_p)}."
        records.append(
            record(
                "ci_p",
                f"{table} / {or_label(row)} / p vs 95% CI",
                f"{row['p_printed']} with {or_reported(row)}",
                shown,
                "ok" if ok else failure,
                message,
                low=compatible.low,
                high=compatible.high,
                variable=row["variable"],
            )
        )
    return records
