"""Tidy frames built from a validated spec model: Table 1 and the odds-ratio tables.

Every check that needs more than one field (counts within group sizes, bins and levels adding
up to the group, level values known to the data dictionary, odds ratios naming Table 1
levels) raises :class:`~neok2.study.spec_errors.SpecError` with the field's path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from neok2.formatting import parse_cell, parse_interval, parse_number
from neok2.study.model import ColumnSpec, _Cell, _OddsRatioRow, _Table1Row, code_key
from neok2.study.spec_errors import SpecError

__all__ = ["OR_COLUMNS", "TABLE1_COLUMNS", "odds_ratio_frame", "table1_frame"]

GROUPS = ("case", "control")
TABLE1_COLUMNS = [
    "variable",
    "level",
    "group",
    "n",
    "percent",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "p_value",
    "p_printed",
    "label",
    "summary",
    "test",
    "printed",
    "low",
    "high",
    "candidate",
    "note",
    "value",
    "reference",
    "trend_p_value",
    "trend_p_printed",
    "trend_test",
]
OR_COLUMNS = [
    "variable",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "p_printed",
    "label",
    "or_printed",
    "ci_printed",
    "level",
    "term",
    "reference",
    "per",
    "joint_p_value",
    "joint_p_printed",
    "trend_p_value",
    "trend_p_printed",
]


def p_fields(p: str | float | None, where: str, name: str = "p") -> tuple[float, str]:
    """A printed p as ``(value, printed)``; ``(nan, "")`` when absent."""
    if p is None:
        return math.nan, ""
    if isinstance(p, str):
        printed = p
        try:
            value = parse_number(p.lstrip("<>="))
        except ValueError as error:
            raise SpecError(f"{where}.{name}: {error}") from None
    else:
        value, printed = float(p), repr(float(p))
    if not 0.0 <= value <= 1.0:
        raise SpecError(f"{where}.{name}: a p-value must lie in [0, 1], got {printed!r}")
    return value, printed


def cell_record(cell: _Cell, summary: str, group_n: int, where: str) -> dict[str, Any]:
    """One printed cell as numbers, checked against its format and the group size."""
    record: dict[str, Any] = dict.fromkeys(["n", "percent", "mean", "sd", "median", "q1", "q3"])
    if isinstance(cell, str):
        try:
            parsed = parse_cell(cell, summary)
        except ValueError as error:
            raise SpecError(f"{where}: {error}") from None
        printed = cell
        names = {
            "n_percent": ("n", "percent"),
            "mean_sd": ("mean", "sd"),
            "median_iqr": ("median", "q1", "q3"),
        }[summary]
        record.update(zip(names, parsed.values, strict=True))
    else:
        printed = ""
        record.update(cell.model_dump())
    if summary == "n_percent":
        if record["n"] is None:
            raise SpecError(f"{where}: an n_percent cell needs a count `n`")
        if float(record["n"]) != int(record["n"]) or record["n"] < 0:
            raise SpecError(
                f"{where}: count must be a non-negative whole number, got {record['n']}"
            )
        record["n"] = int(record["n"])
        if record["n"] > group_n:
            raise SpecError(f"{where}: count {record['n']} is larger than the group size {group_n}")
        if record["percent"] is not None and not 0.0 <= record["percent"] <= 100.0:
            raise SpecError(f"{where}: percentage {record['percent']} lies outside 0-100")
    elif summary == "mean_sd":
        if record["mean"] is None or record["sd"] is None:
            raise SpecError(f"{where}: a mean_sd cell needs `mean` and `sd`")
        if record["sd"] < 0:
            raise SpecError(f"{where}: standard deviation must be >= 0, got {record['sd']}")
    else:
        if None in (record["median"], record["q1"], record["q3"]):
            raise SpecError(f"{where}: a median_iqr cell needs `median`, `q1` and `q3`")
        if not record["q1"] <= record["median"] <= record["q3"]:
            raise SpecError(
                f"{where}: quartiles must satisfy q1 <= median <= q3, got "
                f"{record['q1']}, {record['median']}, {record['q3']}"
            )
    record["printed"] = printed
    return record


def _check_total(
    records: list[dict[str, Any]], variable: str, group_n: Mapping[str, int], where: str
) -> None:
    for group in GROUPS:
        total = sum(
            r["n"]
            for r in records
            if r["variable"] == variable and r["group"] == group and r["level"]
        )
        if total != group_n[group]:
            raise SpecError(
                f"{where}: {group} counts add up to {total}, not the group size {group_n[group]}; "
                "list every level (a 'Missing' level for unknown values)"
            )


def _level_values(row: _Table1Row, column: ColumnSpec | None, where: str) -> list[str]:
    """The data value each level counts, checked against the data dictionary."""
    values = [level.value if level.value is not None else level.level for level in row.levels]
    names = [level.level for level in row.levels]
    for kind, items in (("level", names), ("value", values)):
        repeated = sorted({item for item in items if items.count(item) > 1})
        if repeated:
            raise SpecError(f"{where}.levels: {kind} {repeated[0]!r} appears twice")
    if sum(level.reference for level in row.levels) > 1:
        raise SpecError(f"{where}.levels: mark one level only as `reference: true`")
    if column is None:
        return values
    if column.type == "categorical" and column.levels:
        known = {code_key(level): level for level in column.levels}
        for index, value in enumerate(values):
            if code_key(value) not in known:
                raise SpecError(
                    f"{where}.levels[{index}] ({names[index]}): value {value!r} is not a level "
                    f"of the data dictionary's {column.name!r} ({list(column.levels)}); set "
                    "`value:` to the code the data hold"
                )
        return [known[code_key(value)] for value in values]
    if column.type in ("binary", "integer", "continuous"):
        for index, value in enumerate(values):
            try:
                float(value)
            except ValueError:
                raise SpecError(
                    f"{where}.levels[{index}] ({names[index]}): {column.name!r} is a numeric "
                    f"column, so `value:` must be the number the data hold, not {value!r}"
                ) from None
    return values


def table1_frame(
    rows: Sequence[_Table1Row], group_n: Mapping[str, int], columns: Sequence[ColumnSpec]
) -> pd.DataFrame:
    """Table 1 in long form (see :attr:`neok2.study.spec.Study.table1`)."""
    dictionary = {column.name: column for column in columns}
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        where = f"table1[{index}] ({row.variable})"
        if row.variable in seen:
            raise SpecError(f"{where}.variable: {row.variable!r} appears twice in table1")
        seen.add(row.variable)
        if dictionary and row.variable not in dictionary:
            raise SpecError(
                f"{where}.variable: {row.variable!r} is not a column of the data dictionary; "
                "add it under `columns` or correct the name"
            )
        p_value, p_printed = p_fields(row.p, where)
        trend_p_value, trend_p_printed = p_fields(row.trend_p, where, "trend_p")
        common = {
            "variable": row.variable,
            "label": row.label or row.variable,
            "summary": row.summary,
            "test": row.test,
            "candidate": row.candidate,
            "note": row.note,
            "low": math.nan,
            "high": math.nan,
            "value": "",
            "reference": False,
            "trend_p_value": trend_p_value,
            "trend_p_printed": trend_p_printed,
            "trend_test": row.trend_test,
        }
        main = {**common, "level": "", "p_value": p_value, "p_printed": p_printed}
        for group in GROUPS:
            cell = getattr(row, group)
            if cell is None:  # categorical and ordinal rows: counts are on the levels
                blank = dict.fromkeys(["n", "percent", "mean", "sd", "median", "q1", "q3"])
                records.append({**main, **blank, "printed": "", "group": group})
            else:
                record = cell_record(cell, row.summary, group_n[group], f"{where}.{group}")
                records.append({**main, **record, "group": group})
        level_common = {
            **common,
            "summary": "n_percent",
            "test": "",
            "p_value": math.nan,
            "p_printed": "",
            "trend_p_value": math.nan,
            "trend_p_printed": "",
            "trend_test": "",
        }
        for bin_index, band in enumerate(row.bins):
            bin_where = f"{where}.bins[{bin_index}] ({band.level})"
            if band.low is not None and band.high is not None and band.low >= band.high:
                raise SpecError(f"{bin_where}: low {band.low} must be below high {band.high}")
            for group in GROUPS:
                cell = cell_record(
                    getattr(band, group), "n_percent", group_n[group], f"{bin_where}.{group}"
                )
                records.append(
                    {
                        **level_common,
                        **cell,
                        "level": band.level,
                        "group": group,
                        "note": band.note,
                        "low": math.nan if band.low is None else band.low,
                        "high": math.nan if band.high is None else band.high,
                    }
                )
        if row.levels:
            values = _level_values(row, dictionary.get(row.variable), where)
            has_reference = any(level.reference for level in row.levels)
            for level_index, (level, value) in enumerate(zip(row.levels, values, strict=True)):
                level_where = f"{where}.levels[{level_index}] ({level.level})"
                reference = level.reference or (not has_reference and level_index == 0)
                for group in GROUPS:
                    cell = cell_record(
                        getattr(level, group), "n_percent", group_n[group], f"{level_where}.{group}"
                    )
                    records.append(
                        {
                            **level_common,
                            **cell,
                            "level": level.level,
                            "group": group,
                            "note": level.note,
                            "value": value,
                            "reference": reference,
                        }
                    )
        if row.bins or row.levels:
            _check_total(
                records, row.variable, group_n, f"{where}.{'bins' if row.bins else 'levels'}"
            )
    table1 = pd.DataFrame.from_records(records, columns=TABLE1_COLUMNS)
    table1["n"] = table1["n"].astype("Int64")
    return table1


def _estimate(or_: str | float, ci: str | tuple[float, float], place: str) -> dict[str, Any]:
    try:
        odds_ratio = parse_number(or_) if isinstance(or_, str) else float(or_)
    except ValueError as error:
        raise SpecError(f"{place}.or: {error}") from None
    if isinstance(ci, str):
        try:
            low, high = parse_interval(ci)
        except ValueError as error:
            raise SpecError(f"{place}.ci: {error}") from None
        ci_printed = ci
    else:
        (low, high), ci_printed = ci, ""
    if odds_ratio <= 0 or low <= 0 or high <= 0:
        raise SpecError(f"{place}: odds ratios and their limits must be positive")
    if low > high:
        raise SpecError(f"{place}.ci: lower limit {low} is above the upper limit {high}")
    or_printed = or_ if isinstance(or_, str) else ""
    return {
        "odds_ratio": odds_ratio,
        "ci_low": low,
        "ci_high": high,
        "or_printed": or_printed,
        "ci_printed": ci_printed,
    }


def _table1_levels(table1: pd.DataFrame, variable: str) -> tuple[list[str], str]:
    """Printed levels of a Table 1 variable and its reference level (empty when none)."""
    rows = table1[(table1["variable"] == variable) & (table1["group"] == "case")]
    rows = rows[rows["value"] != ""]
    reference = rows.loc[rows["reference"].astype(bool), "level"]
    return rows["level"].tolist(), (str(reference.iloc[0]) if len(reference) else "")


def odds_ratio_frame(
    rows: Sequence[_OddsRatioRow], where: str, table1: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Printed odds ratios, one row per term (a multi-level term: one row per level)."""
    records = []
    for index, row in enumerate(rows):
        place = f"{where}[{index}] ({row.variable})"
        p_value, p_printed = p_fields(row.p, place)
        joint = p_fields(row.joint_p, place, "joint_p")
        trend = p_fields(row.trend_p, place, "trend_p")
        common = {
            "variable": row.variable,
            "label": row.label or row.variable,
            "per": row.per,
            "joint_p_value": joint[0],
            "joint_p_printed": joint[1],
            "trend_p_value": trend[0],
            "trend_p_printed": trend[1],
        }
        if not row.levels:
            assert row.or_ is not None and row.ci is not None  # the model guarantees both
            records.append(
                {
                    **common,
                    **_estimate(row.or_, row.ci, place),
                    "p_value": p_value,
                    "p_printed": p_printed,
                    "level": "",
                    "term": row.variable,
                    "reference": "",
                }
            )
            continue
        printed, reference = ([], "") if table1 is None else _table1_levels(table1, row.variable)
        if row.reference is not None:
            if printed and row.reference not in printed:
                raise SpecError(
                    f"{place}.reference: {row.reference!r} is not a Table 1 level of "
                    f"{row.variable!r} ({printed})"
                )
            reference = row.reference
        if not reference:
            raise SpecError(
                f"{place}.reference: name the reference level (the level the odds ratios are "
                "against), or give the variable a categorical Table 1 row"
            )
        for level_index, level in enumerate(row.levels):
            level_place = f"{place}.levels[{level_index}] ({level.level})"
            if printed and level.level not in printed:
                raise SpecError(
                    f"{level_place}.level: {level.level!r} is not a Table 1 level of "
                    f"{row.variable!r} ({printed}); spell it as Table 1 prints it"
                )
            if level.level == reference:
                raise SpecError(
                    f"{level_place}.level: the reference level has no odds ratio of its own; "
                    "leave it out of `levels`"
                )
            level_p = p_fields(level.p, level_place)
            records.append(
                {
                    **common,
                    **_estimate(level.or_, level.ci, level_place),
                    "p_value": level_p[0],
                    "p_printed": level_p[1],
                    "level": level.level,
                    "term": f"{row.variable}[{level.level}]",
                    "reference": reference,
                }
            )
    return pd.DataFrame.from_records(records, columns=OR_COLUMNS)
