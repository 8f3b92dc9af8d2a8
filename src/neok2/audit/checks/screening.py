"""The univariable p against the stated screen and the terms entered into the model."""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import Record, main_rows, record
from neok2.stats.printed import p_interval
from neok2.study.spec import Study


def check_screening(study: Study, **_options: Any) -> list[Record]:
    threshold = study.screening_threshold
    entered = set(study.multivariable_terms)
    records = []
    if entered:
        for _, row in study.univariable.iterrows():
            if not row["p_printed"]:
                continue
            printed = p_interval(str(row["p_printed"]))
            is_entered = row["variable"] in entered
            passes = printed.low < threshold
            fails = printed.high >= threshold
            ok = passes if is_entered else fails
            records.append(
                record(
                    "screening",
                    f"Table 2 / {row['label']} / screen",
                    str(row["p_printed"]),
                    "entered" if is_entered else "not entered",
                    "ok" if ok else "error",
                    (
                        f"The univariable p {'passes' if passes else 'fails'} the "
                        f"p < {threshold:g} screen and the variable was "
                        f"{'entered' if is_entered else 'not entered'}"
                    )
                    + ("." if ok else ", against the stated rule."),
                    variable=row["variable"],
                )
            )
        for _, row in study.multivariable.iterrows():
            ok = row["variable"] in entered
            records.append(
                record(
                    "screening",
                    f"Multivariable / {row['label']} / term",
                    row["variable"],
                    "entered" if ok else "not entered",
                    "ok" if ok else "error",
                    "The reported term was entered into the model."
                    if ok
                    else "A reported adjusted OR belongs to a variable that was not entered.",
                    variable=row["variable"],
                )
            )
    listed = set(study.univariable["variable"])
    for _, row in main_rows(study).iterrows():
        if not row["candidate"] or not row["p_printed"]:
            continue
        if p_interval(str(row["p_printed"])).high < threshold:
            ok = row["variable"] in listed
            records.append(
                record(
                    "screening",
                    f"Table 1 / {row['label']} / screen",
                    str(row["p_printed"]),
                    "in Table 2" if ok else "missing from Table 2",
                    "ok" if ok else "warning",
                    "The candidate passing the screen in Table 1 has a univariable OR."
                    if ok
                    else f"Table 1 gives p < {threshold:g}, but Table 2 has no univariable OR.",
                    variable=row["variable"],
                )
            )
    return records
