"""Stated totals (males, females) against the Table 1 sex row."""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import Record, record, table1_sex_counts
from neok2.study.spec import Study


def check_totals(study: Study, **_options: Any) -> list[Record]:
    counts = table1_sex_counts(study)
    records = []
    for sex in ("male", "female"):
        stated = study.totals.get(sex)
        if stated is None or counts is None:
            continue
        table = counts[sex]
        ok = int(stated) == table
        message = (
            f"The stated number of {sex}s equals the Table 1 sex row summed over both groups."
            if ok
            else f"{stated} {sex}s are stated, but the Table 1 sex row sums to {table}."
        )
        records.append(
            record(
                "totals",
                f"Totals / {sex}",
                str(stated),
                str(table),
                "ok" if ok else "error",
                message,
                low=table,
                high=table,
                variable=sex,
            )
        )
    return records
