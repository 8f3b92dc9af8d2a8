"""Table 2 odds ratios, Woolf intervals and Wald p of binary rows against Table 1's counts."""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import (
    Record,
    binary_variables,
    exposure_table,
    has_zero_cell,
    or_intervals,
    or_reported,
    record,
    show_p,
)
from neok2.formatting import format_number
from neok2.stats.printed import p_interval
from neok2.study.spec import Study


def check_or_from_counts(
    study: Study, *, ci_method: str, level: float, **_options: Any
) -> list[Record]:
    binary = binary_variables(study)
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for _, row in study.univariable.iterrows():
        variable = row["variable"]
        if variable not in binary:
            continue
        exposed_cases = int(study.cell(variable, "case")["n"])
        exposed_controls = int(study.cell(variable, "control")["n"])
        table = exposure_table(study, exposed_cases, exposed_controls, level=level)
        where = f"Table 2 / {row['label']}"
        counts = (
            f"{exposed_cases}/{study.groups['case']} vs "
            f"{exposed_controls}/{study.groups['control']}"
        )
        if has_zero_cell(table):
            records.append(
                record(
                    "or_from_counts",
                    f"{where} / OR",
                    or_reported(row),
                    "undefined",
                    "note",
                    f"A zero cell in {counts} leaves the Woolf odds ratio undefined.",
                    variable=variable,
                )
            )
            continue
        assert table is not None  # has_zero_cell covers the empty margin
        odds_ratio, ci_low, ci_high = or_intervals(row)
        ok = odds_ratio.contains(table.odds_ratio)
        records.append(
            record(
                "or_from_counts",
                f"{where} / OR",
                row["or_printed"] or repr(row["odds_ratio"]),
                format_number(table.odds_ratio, 3),
                "ok" if ok else failure,
                f"The 2x2 odds ratio from Table 1's counts ({counts}) is "
                f"{format_number(table.odds_ratio, 3)}"
                + ("." if ok else f", not the printed {row['or_printed'] or row['odds_ratio']}."),
                low=table.odds_ratio,
                high=table.odds_ratio,
                variable=variable,
            )
        )
        low_ok, high_ok = ci_low.contains(table.ci_low), ci_high.contains(table.ci_high)
        shown = f"{format_number(table.ci_low, 3)}-{format_number(table.ci_high, 3)}"
        if low_ok and high_ok:
            message = f"The Woolf interval from the counts is {shown}, as printed."
        else:
            if not (low_ok or high_ok):
                wrong = "both printed limits differ"
            else:
                wrong = f"the printed {'upper' if low_ok else 'lower'} limit differs"
            message = f"The Woolf interval from the counts is {shown}; {wrong}."
        records.append(
            record(
                "or_from_counts",
                f"{where} / 95% CI",
                row["ci_printed"] or f"{row['ci_low']}-{row['ci_high']}",
                shown,
                "ok" if low_ok and high_ok else failure,
                message,
                low=table.ci_low,
                high=table.ci_high,
                variable=variable,
            )
        )
        if row["p_printed"]:
            ok = p_interval(str(row["p_printed"])).contains(table.wald_p)
            records.append(
                record(
                    "or_from_counts",
                    f"{where} / p",
                    str(row["p_printed"]),
                    show_p(table.wald_p),
                    "ok" if ok else failure,
                    f"The Wald p of the 2x2 log odds ratio is {show_p(table.wald_p)}"
                    + ("." if ok else ", which the printed p does not round from."),
                    low=table.wald_p,
                    high=table.wald_p,
                    variable=variable,
                )
            )
    return records
