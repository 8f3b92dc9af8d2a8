"""Reporting conventions: p printed as zero, p decimals, repeated labels or rows, units, notes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from neok2.audit.checks._shared import Record, main_rows, or_label, or_tables, record
from neok2.formatting import decimal_places, format_number
from neok2.study.spec import Study


def _p_rows(study: Study) -> Iterator[tuple[str, str, str, str]]:
    for _, row in main_rows(study).iterrows():
        if row["p_printed"]:
            yield "Table 1", str(row["label"]), str(row["variable"]), str(row["p_printed"])
        if row["trend_p_printed"]:
            label = f"{row['label']} / trend"
            yield "Table 1", label, str(row["variable"]), str(row["trend_p_printed"])
    joint_seen: set[tuple[str, str]] = set()
    for table, row in or_tables(study):
        if row["p_printed"]:
            yield table, or_label(row), str(row["variable"]), str(row["p_printed"])
        # A multi-level term's joint and trend p are printed once, beside its first level.
        if row["level"] and (table, str(row["variable"])) not in joint_seen:
            joint_seen.add((table, str(row["variable"])))
            for kind in ("joint", "trend"):
                if row[f"{kind}_p_printed"]:
                    label = f"{row['label']} / {kind}"
                    yield table, label, str(row["variable"]), str(row[f"{kind}_p_printed"])


def _p_decimals(printed: str) -> int:
    return decimal_places(printed.lstrip("<>=").strip())


def _describe(study: Study, variable: str) -> str:
    try:
        column = study.column(variable)
    except KeyError:
        return variable
    return column.description + (f" ({column.unit})" if column.unit else "") or variable


def check_reporting(study: Study, **_options: Any) -> list[Record]:
    records = []
    rows = list(_p_rows(study))
    for table, label, variable, printed in rows:
        if not printed.startswith("<") and float(printed.lstrip(">=")) == 0.0:
            records.append(
                record(
                    "reporting",
                    f"{table} / {label} / p",
                    printed,
                    f"<{format_number(10.0 ** -_p_decimals(printed), _p_decimals(printed))}",
                    "warning",
                    "A p-value cannot be zero; it should be printed as below the smallest "
                    "printable value.",
                    low=0.0,
                    high=0.5 * 10.0 ** -_p_decimals(printed),
                    variable=variable,
                )
            )
    for table in dict.fromkeys(table for table, *_ in rows):
        decimals = Counter(_p_decimals(p) for t, _, _, p in rows if t == table)
        usual = decimals.most_common(1)[0][0]
        for t, label, variable, printed in rows:
            if t == table and _p_decimals(printed) != usual:
                records.append(
                    record(
                        "reporting",
                        f"{table} / {label} / p",
                        printed,
                        f"{usual} decimals",
                        "note",
                        f"This p has {_p_decimals(printed)} decimal places while {table} prints "
                        f"{usual} elsewhere.",
                        variable=variable,
                    )
                )
    main = main_rows(study)
    seen: dict[str, str] = {}
    for _, row in main.iterrows():
        label = str(row["label"]).strip().lower()
        if label in seen:
            records.append(
                record(
                    "reporting",
                    f"Table 1 / {row['label']} / label",
                    str(row["label"]),
                    _describe(study, row["variable"]),
                    "warning",
                    f"The label is printed twice (also for {seen[label]}); this row describes "
                    f"{_describe(study, row['variable'])}.",
                    variable=row["variable"],
                )
            )
        else:
            seen[label] = str(row["variable"])
    signatures: dict[tuple[str, str, str], str] = {}
    for _, row in main.iterrows():
        control = study.cell(row["variable"], "control")
        signature = (str(row["printed"]), str(control["printed"]), str(row["p_printed"]))
        if row["printed"] and signature in signatures:
            records.append(
                record(
                    "reporting",
                    f"Table 1 / {row['label']} / row",
                    " | ".join(signature),
                    f"same as {signatures[signature]}",
                    "warning",
                    f"Every cell and the p repeat the {signatures[signature]} row, which "
                    "suggests a copied row.",
                    variable=row["variable"],
                )
            )
        else:
            signatures[signature] = str(row["variable"])
    for _, row in main.iterrows():
        unit_match = re.search(r"\(([^()]*)\)\s*$", str(row["label"]))
        try:
            unit = study.column(str(row["variable"])).unit
        except KeyError:
            continue
        if unit_match is None or not unit or "%" in unit_match.group(1):
            continue
        printed_unit = unit_match.group(1).replace(" ", "").lower()
        ok = printed_unit == unit.replace(" ", "").lower()
        records.append(
            record(
                "reporting",
                f"Table 1 / {row['label']} / unit",
                unit_match.group(1),
                unit,
                "ok" if ok else "warning",
                "The label's unit matches the data dictionary."
                if ok
                else f"The label's unit {unit_match.group(1)!r} contradicts the dictionary.",
                variable=row["variable"],
            )
        )
    frame = study.table1
    notes = frame[(frame["note"] != "") & (frame["group"] == "case")]
    for _, row in notes.iterrows():
        where = f"Table 1 / {row['label']}" + (f" / {row['level']}" if row["level"] else "")
        records.append(
            record(
                "reporting",
                f"{where} / transcription note",
                str(row["note"]),
                _describe(study, row["variable"]),
                "note",
                "The spec carries a transcription note for this row; the recomputed column "
                "shows the data dictionary's definition.",
                variable=row["variable"],
            )
        )
    return records
