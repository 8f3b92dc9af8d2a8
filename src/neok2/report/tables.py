"""great-tables construction for the report: the shared table builder and cell formats."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from neok2.formatting import format_ci, format_number, format_odds_ratio, format_or_ci, format_p
from neok2.study.spec import Study

__all__ = [
    "compact_number",
    "compact_published",
    "gt_table",
    "or_ci_cells",
    "or_table",
    "printed_p_values",
    "published_or_cells",
]


def gt_table(
    frame: pd.DataFrame,
    table_id: str,
    *,
    notes: Iterable[str] = (),
    nowrap: Sequence[str] = (),
    group: str | None = None,
) -> Any:
    """A great-tables ``GT`` of ``frame`` with HTML id ``table_id`` and source notes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cells as displayed (text).
    table_id : str
    notes : iterable of str
        Source notes below the table.
    nowrap : sequence of str
        Columns whose cells never break across lines ("0.97 (0.91-1.04)" kept whole); the
        other columns take the wrapping.
    group : str, optional
        A column whose values head groups of consecutive rows (a factor over its methods);
        it is shown as the group headings, not as a column.

    Examples
    --------
    >>> table = gt_table(pd.DataFrame({"a": [1]}), "tbl_a", notes=["A note."], nowrap=["a"])
    >>> html = table.as_raw_html()
    >>> 'id="tbl_a"' in html, "white-space: nowrap" in html
    (True, True)
    """
    from great_tables import GT, loc, style

    missing = [c for c in (*nowrap, *([group] if group else [])) if c not in frame.columns]
    if missing:
        raise ValueError(f"`nowrap`/`group` name(s) {missing} that are not columns of `frame`")
    table = GT(frame, id=table_id, groupname_col=group)
    if nowrap:
        table = table.tab_style(style.text(whitespace="nowrap"), loc.body(columns=list(nowrap)))
    for note in notes:
        table = table.tab_source_note(note)
    return table


def compact_number(value: Any) -> str:
    """A number shown with as many decimals as its size needs (tables of mixed statistics).

    Examples
    --------
    >>> compact_number(12.0), compact_number(0.12345), compact_number(12.345), compact_number(None)
    ('12', '0.123', '12.35', 'NA')
    """
    if value is None or pd.isna(value):
        return "NA"
    value = float(value)
    if math.isfinite(value) and value == round(value):
        return format_number(value, 0)
    magnitude = abs(value)
    return format_number(value, 3 if magnitude < 1 else 2 if magnitude < 100 else 1)


def printed_p_values(study: Study) -> dict[tuple[str, str], str]:
    """``(fidelity source, variable) -> p as printed`` for every published p-value."""
    main = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    printed: dict[tuple[str, str], str] = {}
    for source, frame in (
        ("table1_test", main),
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        for variable, p_printed in zip(frame["variable"], frame["p_printed"], strict=True):
            printed[(source, str(variable))] = str(p_printed)
    return printed


def compact_published(value: Any, printed_p: str | None) -> str:
    """A published number; a p-value the paper printed as 0.000 is quoted as printed.

    Examples
    --------
    >>> compact_published(0.0, "0.000"), compact_published(0.25, None)
    ('0.000 (as printed)', '0.250')
    """
    if printed_p and value is not None and pd.notna(value) and float(value) == 0:
        return f"{printed_p} (as printed)"
    return compact_number(value)


def or_ci_cells(table: pd.DataFrame, method: str) -> list[str]:
    """Printed ``OR (low-high)`` per row from the ``odds_ratio_<method>`` and bound columns.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"odds_ratio_wald": [2.0], "ci_low_wald": [1.0], "ci_high_wald": [4.0]}
    ... )
    >>> or_ci_cells(frame, "wald")
    ['2.00 (1.00-4.00)']
    """
    return [
        format_or_ci(odds_ratio, low, high)
        for odds_ratio, low, high in zip(
            table[f"odds_ratio_{method}"],
            table[f"ci_low_{method}"],
            table[f"ci_high_{method}"],
            strict=True,
        )
    ]


def published_or_cells(frame: pd.DataFrame) -> dict[str, str]:
    """``variable -> "OR (low-high)"`` as the paper printed it (a spec's model table).

    Examples
    --------
    >>> frame = pd.DataFrame({"variable": ["sga"], "odds_ratio": [3.462], "ci_low": [1.103],
    ...     "ci_high": [10.871], "or_printed": ["3.462"], "ci_printed": ["1.103-10.871"]})
    >>> published_or_cells(frame)
    {'sga': '3.462 (1.103-10.871)'}
    """
    cells: dict[str, str] = {}
    rows: Any = frame.itertuples(index=False)
    for row in rows:
        odds_ratio = str(getattr(row, "or_printed", "") or "") or format_odds_ratio(
            row.odds_ratio, 3
        )
        interval = str(getattr(row, "ci_printed", "") or "") or format_ci(
            row.ci_low, row.ci_high, 3
        )
        # a multi-level term has one row per level, keyed on its term (race[Black])
        key = str(getattr(row, "term", "") or row.variable)
        cells[key] = f"{odds_ratio} ({interval})"
    return cells


def or_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    table_id: str,
    *,
    extra: Mapping[str, Sequence[str]] | None = None,
    notes: Iterable[str] = (),
    published: Mapping[str, str] | None = None,
    rebuilt_heading: str = "OR (95% CI)",
) -> Any:
    """A table of odds ratios (``variable, odds_ratio, ci_low, ci_high, p_value`` columns).

    With ``published`` (variable -> printed "OR (CI)"), a "Published OR (95% CI)" column
    stands before the rebuilt one; a variable the paper did not report shows an en dash.
    """
    # rows are terms: the variable itself, or one level of a factor (race[T.Black] ->
    # race[Black], the spec's name)
    terms = (
        [str(term).replace("[T.", "[", 1) for term in frame["term"]]
        if "term" in frame.columns
        else [str(v) for v in frame["variable"]]
    )
    shown = pd.DataFrame({"Variable": [labels.get(t, t) for t in terms]})
    if published is not None:
        shown["Published OR (95% CI)"] = [published.get(t, "–") for t in terms]
    # a row that needs more than two decimals takes those of the published value beside it
    shown[rebuilt_heading] = [
        format_or_ci(odds_ratio, lo, hi, printed=(published or {}).get(term))
        for odds_ratio, lo, hi, term in zip(
            frame["odds_ratio"], frame["ci_low"], frame["ci_high"], terms, strict=True
        )
    ]
    shown["p"] = [format_p(p) for p in frame["p_value"]]
    for name, column in (extra or {}).items():
        shown[name] = list(column)
    return gt_table(shown, table_id, notes=notes)
