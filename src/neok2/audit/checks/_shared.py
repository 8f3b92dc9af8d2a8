"""Helpers shared by the check families: the finding record, displays and Table 1/2 readers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import pandas as pd

from neok2.formatting import format_p
from neok2.stats.contingency import TwoByTwo, odds_ratio_2x2
from neok2.stats.printed import Interval, printed_interval
from neok2.study.spec import Study

FINDING_COLUMNS = [
    "check",
    "location",
    "reported",
    "recomputed",
    "recomputed_low",
    "recomputed_high",
    "severity",
    "message",
    "variable",
]

Record = dict[str, Any]


def record(
    check: str,
    location: str,
    reported: str,
    recomputed: str,
    severity: str,
    message: str,
    *,
    low: float = math.nan,
    high: float = math.nan,
    variable: str = "",
) -> Record:
    return {
        "check": check,
        "location": location,
        "reported": reported,
        "recomputed": recomputed,
        "recomputed_low": float(low),
        "recomputed_high": float(high),
        "severity": severity,
        "message": message,
        "variable": variable,
    }


def show_p(p: float) -> str:
    if math.isnan(p):
        return "NA"
    return format_p(p, 4)


def show_range(interval: Interval, show: Callable[[float], str]) -> str:
    low, high = show(interval.low), show(interval.high)
    return low if low == high else f"{low}-{high}"


def main_rows(study: Study) -> pd.DataFrame:
    frame = study.table1
    return frame[(frame["level"] == "") & (frame["group"] == "case")]


# The same table is met by several check families (and by every audit of a study), and the
# full 2x2 analysis solves exact intervals, so results are cached on the four counts.
@lru_cache(maxsize=4096)
def _counts_table(a: int, b: int, c: int, d: int, level: float) -> TwoByTwo | None:
    try:
        return odds_ratio_2x2(a, b, c, d, conf_level=level, correction="none")
    except ValueError:
        # An empty margin: a printed table cannot show a test or an odds ratio for it.
        return None


def exposure_table(
    study: Study, exposed_cases: int, exposed_controls: int, *, level: float = 0.95
) -> TwoByTwo | None:
    """2x2 table of a binary row (the unexposed are the rest of each group), without any
    zero-cell correction; None when a margin is empty."""
    return _counts_table(
        exposed_cases,
        study.groups["case"] - exposed_cases,
        exposed_controls,
        study.groups["control"] - exposed_controls,
        float(level),
    )


def has_zero_cell(table: TwoByTwo | None) -> bool:
    """Whether the Woolf odds ratio of a table is undefined (an empty margin or a zero cell)."""
    return table is None or 0 in (table.a, table.b, table.c, table.d)


def levelled_variables(study: Study) -> set[str]:
    """Variables whose Table 1 row is categorical or ordinal (counts on its levels)."""
    rows = main_rows(study)
    return set(rows.loc[rows["summary"].isin(("categorical", "ordinal")), "variable"])


def level_counts(study: Study, variable: str) -> pd.DataFrame:
    """The levels of a categorical or ordinal row in printed order.

    Returns ``level, value, reference, case, control``: the printed level, the data value it
    counts, whether it is the reference of the odds ratios, and the two groups' counts.
    """
    frame = study.table1
    rows = frame[(frame["variable"] == variable) & (frame["level"] != "") & (frame["value"] != "")]
    cases = rows[rows["group"] == "case"].reset_index(drop=True)
    controls = rows[rows["group"] == "control"].set_index("level")
    return pd.DataFrame(
        {
            "level": cases["level"].astype(str),
            "value": cases["value"].astype(str),
            "reference": cases["reference"].astype(bool),
            "case": cases["n"].astype(int),
            "control": [int(controls.loc[level, "n"]) for level in cases["level"]],
        }
    )


def level_table(
    study: Study, variable: str, level: str, reference: str, *, conf_level: float = 0.95
) -> tuple[TwoByTwo | None, str]:
    """2x2 table of one level against the reference level, and its counts in words.

    None (for the table) when a margin is empty; no zero-cell correction.
    """
    counts = level_counts(study, variable).set_index("level")
    cases, controls = counts["case"].to_dict(), counts["control"].to_dict()
    a, c = int(cases[level]), int(controls[level])
    b, d = int(cases[reference]), int(controls[reference])
    described = f"{level} {a}/{c} vs {reference} {b}/{d} (cases/controls)"
    return _counts_table(a, b, c, d, float(conf_level)), described


def or_label(row: pd.Series) -> str:
    """An odds-ratio row's place in its table: the label, and the level of a multi-level term."""
    return f"{row['label']} / {row['level']}" if row["level"] else str(row["label"])


def binary_variables(study: Study) -> set[str]:
    rows = main_rows(study)
    return set(rows.loc[rows["summary"] == "n_percent", "variable"])


def significance_flips(printed: Interval, recomputed: list[Interval], alpha: float) -> bool:
    """True when every recomputed p sits on the other side of alpha from the printed p."""
    if printed.high < alpha:
        return all(interval.low >= alpha for interval in recomputed)
    if printed.low >= alpha:
        return all(interval.high < alpha for interval in recomputed)
    return False


def or_tables(study: Study) -> Iterator[tuple[str, pd.Series]]:
    for name, frame in (("Table 2", study.univariable), ("Multivariable", study.multivariable)):
        for _, row in frame.iterrows():
            yield name, row


def or_intervals(row: pd.Series) -> tuple[Interval, Interval, Interval]:
    if row["ci_printed"]:
        low_text, high_text = re.split(
            r"\s*(?:-|–|,|to)\s*", str(row["ci_printed"]).strip(), maxsplit=1
        )
    else:
        low_text = high_text = ""
    return (
        printed_interval(str(row["or_printed"]), float(row["odds_ratio"])),
        printed_interval(low_text, float(row["ci_low"])),
        printed_interval(high_text, float(row["ci_high"])),
    )


def or_reported(row: pd.Series) -> str:
    odds_ratio = row["or_printed"] or repr(float(row["odds_ratio"]))
    ci = row["ci_printed"] or f"{row['ci_low']!r}-{row['ci_high']!r}"
    return f"{odds_ratio} ({ci})"


def table1_sex_counts(study: Study) -> dict[str, int] | None:
    if "male" in binary_variables(study):
        male = sum(int(study.cell("male", group)["n"]) for group in ("case", "control"))
        return {"male": male, "female": study.n - male}
    if "female" in binary_variables(study):
        female = sum(int(study.cell("female", group)["n"]) for group in ("case", "control"))
        return {"male": study.n - female, "female": female}
    return None


def t_cells(study: Study, variable: str) -> tuple[Mapping[str, Any], Mapping[str, Any], int, int]:
    return (
        study.cell(variable, "case"),
        study.cell(variable, "control"),
        study.groups["case"],
        study.groups["control"],
    )
