"""The side of 1 of each univariable OR against the direction of the Table 1 difference."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from neok2.audit.checks._shared import (
    Record,
    exposure_table,
    has_zero_cell,
    level_counts,
    level_table,
    main_rows,
    or_intervals,
    or_label,
    record,
)
from neok2.formatting import format_number
from neok2.stats.printed import Interval, discriminant_odds_ratio
from neok2.stats.summaries import mean_sd_intervals
from neok2.study.spec import Study


def _levelled_difference(
    study: Study, variable: str, row: pd.Series
) -> tuple[Interval, str, float] | None:
    """The Table 1 difference an OR of a categorical or ordinal variable must follow.

    A level's OR follows the cases' odds of that level against the reference; an OR per unit
    of a numeric-coded ordinal variable follows the cases' mean code against the controls'.
    None when neither applies (text levels and no level named).
    """
    counts = level_counts(study, variable)
    if row["level"] and row["reference"]:
        table, described = level_table(study, variable, str(row["level"]), str(row["reference"]))
        if table is None or has_zero_cell(table):
            return Interval(0.0, 0.0), described, math.nan
        log_odds = math.log(table.odds_ratio)
        return Interval(log_odds, log_odds), described, table.odds_ratio
    try:
        codes = counts["value"].astype(float)
    except ValueError:
        return None
    means = {
        group: float((codes * counts[group]).sum() / counts[group].sum())
        for group in ("case", "control")
    }
    gap = means["case"] - means["control"]
    described = (
        f"case mean {format_number(means['case'], 2)} vs control "
        f"{format_number(means['control'], 2)}"
    )
    return Interval(gap, gap), described, math.nan


def check_direction(study: Study, **_options: Any) -> list[Record]:
    rows = main_rows(study).set_index("variable")
    records = []
    for _, row in study.univariable.iterrows():
        variable = row["variable"]
        if variable not in rows.index:
            continue
        odds_ratio, _, _ = or_intervals(row)
        location = f"Table 2 / {or_label(row)} / OR direction"
        above = None if odds_ratio.contains(1.0) else odds_ratio.low > 1.0
        summary = rows.loc[variable, "summary"]
        if summary not in ("categorical", "ordinal"):
            case, control = study.cell(variable, "case"), study.cell(variable, "control")
        severity_on_conflict = "error"
        recomputed_value = math.nan
        if summary in ("categorical", "ordinal"):
            levelled = _levelled_difference(study, variable, row)
            if levelled is None:
                continue
            difference, described, recomputed_value = levelled
        elif summary == "n_percent":
            case_share = int(case["n"]) / study.groups["case"]
            control_share = int(control["n"]) / study.groups["control"]
            difference = Interval(case_share - control_share, case_share - control_share)
            described = (
                f"case {format_number(100 * case_share, 1)}% vs control "
                f"{format_number(100 * control_share, 1)}%"
            )
            table = exposure_table(study, int(case["n"]), int(control["n"]))
            recomputed_value = math.nan if has_zero_cell(table) else table.odds_ratio  # type: ignore[union-attr]
        elif summary == "mean_sd":
            mean_case, _ = mean_sd_intervals(case)
            mean_control, _ = mean_sd_intervals(control)
            difference = Interval(
                mean_case.low - mean_control.high, mean_case.high - mean_control.low
            )
            described = (
                f"case mean {case['printed'] or case['mean']} vs "
                f"control {control['printed'] or control['mean']}"
            )
            recomputed_value = discriminant_odds_ratio(
                float(case["mean"]),
                float(case["sd"]),
                study.groups["case"],
                float(control["mean"]),
                float(control["sd"]),
                study.groups["control"],
            )
        else:
            gap = float(case["median"]) - float(control["median"])
            difference = Interval(gap, gap)
            described = f"case median {case['median']:g} vs control {control['median']:g}"
            # Medians need not move with the logistic slope, which follows the means.
            severity_on_conflict = "note"
        shown = (
            described
            if math.isnan(recomputed_value)
            else f"{described}; OR about {format_number(recomputed_value, 3)}"
        )
        if above is None or difference.contains(0.0) or (difference.low < 0 < difference.high):
            severity = "ok"
            message = (
                "The direction cannot be contradicted: the OR or the group difference is "
                "compatible with no effect."
            )
        elif (difference.low > 0) == above:
            severity = "ok"
            message = "The odds ratio points the same way as the Table 1 difference."
        else:
            severity = severity_on_conflict
            message = (
                f"The printed OR {'exceeds' if above else 'is below'} 1, but Table 1 has "
                f"{described}, so the univariable OR should lie on the other side of 1"
                + (
                    " (perhaps the outcome or the variable was coded in reverse)."
                    if severity == "error"
                    else "; medians only suggest the direction."
                )
            )
        records.append(
            record(
                "direction",
                location,
                str(row["or_printed"] or row["odds_ratio"]),
                shown,
                severity,
                message,
                low=recomputed_value,
                high=recomputed_value,
                variable=variable,
            )
        )
    return records
