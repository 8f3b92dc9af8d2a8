"""The univariable p against the stated screen and the terms entered into the model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from neok2.audit.checks._shared import Record, main_rows, record
from neok2.stats.printed import Interval, p_interval
from neok2.study.spec import Study


def _screen_ps(univariable: pd.DataFrame) -> Iterator[tuple[str, str, str, Interval]]:
    """``(variable, label, printed p, p interval)`` once per term.

    A multi-level term is screened on its joint p; without one, on its smallest level p (the
    term passes when any level does).
    """
    for variable, rows in univariable.groupby("variable", sort=False):
        first = rows.iloc[0]
        if not first["level"]:
            if first["p_printed"]:
                printed = str(first["p_printed"])
                yield str(variable), str(first["label"]), printed, p_interval(printed)
            continue
        if first["joint_p_printed"]:
            printed = str(first["joint_p_printed"])
            yield str(variable), str(first["label"]), printed, p_interval(printed)
            continue
        shown = [str(p) for p in rows["p_printed"] if p]
        if shown:
            intervals = [p_interval(p) for p in shown]
            smallest = Interval(min(i.low for i in intervals), min(i.high for i in intervals))
            yield str(variable), str(first["label"]), ", ".join(shown), smallest


def check_screening(study: Study, **_options: Any) -> list[Record]:
    threshold = study.screening_threshold
    entered = set(study.multivariable_terms)
    records = []
    if entered:
        for variable, label, reported, printed in _screen_ps(study.univariable):
            is_entered = variable in entered
            passes = printed.low < threshold
            fails = printed.high >= threshold
            ok = passes if is_entered else fails
            records.append(
                record(
                    "screening",
                    f"Table 2 / {label} / screen",
                    reported,
                    "entered" if is_entered else "not entered",
                    "ok" if ok else "error",
                    (
                        f"The univariable p {'passes' if passes else 'fails'} the "
                        f"p < {threshold:g} screen and the variable was "
                        f"{'entered' if is_entered else 'not entered'}"
                    )
                    + ("." if ok else ", against the stated rule."),
                    variable=variable,
                )
            )
        for _, row in study.multivariable.drop_duplicates("variable").iterrows():
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
