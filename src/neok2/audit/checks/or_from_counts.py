"""Table 2 odds ratios, Woolf intervals and Wald p against Table 1's counts.

A binary row gives the 2x2 table of exposed against unexposed; each level of a categorical or
ordinal row gives the 2x2 table of that level against the reference level, which is what a
univariable logistic model with the variable as a factor estimates.
"""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import (
    Record,
    binary_variables,
    exposure_table,
    has_zero_cell,
    level_table,
    levelled_variables,
    or_intervals,
    or_label,
    or_reported,
    record,
    show_p,
)
from neok2.formatting import format_number
from neok2.stats.printed import Interval, p_interval
from neok2.study.spec import Study

# An iterative fit stops at a convergence tolerance: R's glm (epsilon 1e-8 on the deviance)
# leaves relative errors of a few 1e-4 in the limits of a sparse level's odds ratio, so a
# printed ratio that misses the exact one by less than this is a last-digit difference of the
# software, not an inconsistency of the table.
_FIT_TOLERANCE = 1e-3
_FIT_NOTE = (
    " The difference is below 0.1%: the last digit of an iterative fit stopped at its "
    "convergence tolerance (as R's glm does by default), not a wrong count."
)


def _near(printed: Interval, value: float) -> bool:
    """Whether a ratio lies within the fit tolerance of a printed ratio's rounding interval."""
    return printed.low * (1 - _FIT_TOLERANCE) <= value <= printed.high * (1 + _FIT_TOLERANCE)


def _severity(ok: bool, near: bool, failure: str) -> str:
    return "ok" if ok else ("note" if near else failure)


def check_or_from_counts(
    study: Study, *, ci_method: str, level: float, **_options: Any
) -> list[Record]:
    binary = binary_variables(study)
    levelled = levelled_variables(study)
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for _, row in study.univariable.iterrows():
        variable = row["variable"]
        if variable in binary and not row["level"]:
            exposed_cases = int(study.cell(variable, "case")["n"])
            exposed_controls = int(study.cell(variable, "control")["n"])
            table = exposure_table(study, exposed_cases, exposed_controls, level=level)
            counts = (
                f"{exposed_cases}/{study.groups['case']} vs "
                f"{exposed_controls}/{study.groups['control']}"
            )
        elif variable in levelled and row["level"] and row["reference"]:
            table, counts = level_table(
                study, variable, str(row["level"]), str(row["reference"]), conf_level=level
            )
        else:
            continue
        where = f"Table 2 / {or_label(row)}"
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
        near = _near(odds_ratio, table.odds_ratio)
        records.append(
            record(
                "or_from_counts",
                f"{where} / OR",
                row["or_printed"] or repr(row["odds_ratio"]),
                format_number(table.odds_ratio, 3),
                _severity(ok, near, failure),
                f"The 2x2 odds ratio from Table 1's counts ({counts}) is "
                f"{format_number(table.odds_ratio, 3)}"
                + ("." if ok else f", not the printed {row['or_printed'] or row['odds_ratio']}.")
                + (_FIT_NOTE if near and not ok else ""),
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
        limits_near = _near(ci_low, table.ci_low) and _near(ci_high, table.ci_high)
        if limits_near and not (low_ok and high_ok):
            message += _FIT_NOTE
        records.append(
            record(
                "or_from_counts",
                f"{where} / 95% CI",
                row["ci_printed"] or f"{row['ci_low']}-{row['ci_high']}",
                shown,
                _severity(low_ok and high_ok, limits_near, failure),
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
