"""The tables as the manuscript displays them, for submission: a displayed CSV and a Word table.

A section stores a table with :meth:`~neok2.report.section.SectionOutput.table`, handing it a
great-tables ``GT`` built from a frame whose cells are already text made by
:mod:`neok2.formatting` ("3.15 (1.60-6.20)", "<0.001", "45 (33.6)"): great-tables lays that
frame out (column labels, a stub, row groups, source notes) and formats nothing itself.
:func:`displayed_table` reads the same frame back from the ``GT``, in the order great-tables
renders its rows, so that the HTML, the displayed CSV and the DOCX all come from one frame plus
its title and notes; no cell is formatted twice. A ``GT`` carrying a great-tables formatter
(``fmt_number``, ``sub_missing``, ...) is refused, since its HTML would show cells the frame
does not hold.

The displayed CSV holds the title on its first line, then the column headers, the rows (a row
group's heading as a row of its own, its label in the first column) and one line per
footnote. The DOCX holds the title as the table's caption above it, a Word table, and the
footnotes below it.
"""

from __future__ import annotations

import csv
import html
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["TABLE_TITLES", "DisplayedTable", "displayed_table", "table_title"]

# The title of each table of the report, study-neutral: the generic manuscript
# (manuscript/study.qmd) captions its tables with these words (a test keeps them equal).
TABLE_TITLES: Mapping[str, str] = {
    "baseline": "Baseline characteristics of cases and controls.",
    "univariable": "Univariable odds ratios, one model per candidate factor.",
    "multivariable": (
        "Adjusted odds ratios of case status, one multivariable model of the screened factors."
    ),
    "rebuild_check": "Synthetic cohorts rebuilt from the printed tables beside the real records.",
    "audit": "Errors and warnings found by recomputing the published report (notes omitted).",
    "power": (
        "Design-stage power of a crude comparison of one binary exposure over a grid of true "
        "odds ratios (Fleiss and exact Wald, both crude)."
    ),
    "simulation": (
        "Power for the adjusted odds ratios by simulation of the whole screen-then-adjust "
        "pipeline (Monte Carlo SE in brackets), beside crude analytic power."
    ),
    "screening_factors": (
        "The screening threshold against power, bias of the log odds ratio and 95% CI "
        "coverage, over the studies that selected the factor and over all studies (Monte "
        "Carlo SE in brackets)."
    ),
    "screening_design": (
        "The screening threshold against the number of candidates entered, the family-wise "
        "false-positive rate, the expected number of false positives and the chance of "
        "detecting every reported factor."
    ),
    "correlation_sensitivity": (
        "Sensitivity of pipeline power to the correlations of the calibrated exposure model "
        "(latent correlations multiplied by the scale)."
    ),
    "power_over_n": "Simulated power of each adjusted odds ratio against the study size.",
    "power_over_or": "Simulated power of each adjusted odds ratio against its true value.",
    "sensitivity": (
        "The final model under other estimation choices, with approximate risk ratios and E-values."
    ),
    "bootstrap": "Bootstrap inclusion frequencies of the univariable screen.",
    "fidelity": (
        "Every number transcribed from the published study beside the same statistic on the "
        "analysed data."
    ),
    "kept_inconsistent": (
        "Published numbers that contradict other published numbers, the side the rebuild "
        "keeps and why."
    ),
    "limitations": "Limitations of the study.",
    "versions": "Software versions of the analysis run.",
}


def table_title(name: str, gt: Any = None) -> str:
    """The title of table ``name``: the ``GT``'s own heading, else :data:`TABLE_TITLES`.

    A table the mapping does not know is titled from its name, so that a new section's
    table is never written without one.

    Examples
    --------
    >>> table_title("versions")
    'Software versions of the analysis run.'
    >>> table_title("my_new_table")
    'My new table.'
    """
    heading = getattr(getattr(gt, "_heading", None), "title", None)
    if isinstance(heading, str) and heading.strip():
        return heading
    if name in TABLE_TITLES:
        return TABLE_TITLES[name]
    return name.replace("_", " ").capitalize() + "."


@dataclass(frozen=True)
class DisplayedTable:
    """One table exactly as displayed: title, column headers, text cells and footnotes.

    Attributes
    ----------
    title : str
    header : tuple of str
        The column headers as shown (the stub's header first, empty when it has none).
    rows : tuple of tuple of str
        The rows in display order; a row group's heading is a row with its label in the first
        cell and the other cells empty.
    notes : tuple of str
        The footnotes (great-tables source notes), in order.
    group_rows : tuple of int
        Indices into ``rows`` of the row-group headings.

    Examples
    --------
    >>> shown = DisplayedTable("T.", ("Factor", "OR (95% CI)"), (("Age", "1.50 (1.10-2.00)"),),
    ...     ("A note.",))
    >>> print(shown.csv_text(), end="")
    T.,
    Factor,OR (95% CI)
    Age,1.50 (1.10-2.00)
    A note.,
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    group_rows: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.header)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(
                    f"`rows`: row {index} has {len(row)} cells but `header` has {width}"
                )

    def frame(self) -> pd.DataFrame:
        """The displayed cells as a DataFrame of text (headers as column names)."""
        return pd.DataFrame(list(self.rows), columns=list(self.header), dtype=object)

    def csv_text(self) -> str:
        """Title line, header line, rows, one line per footnote (every line as wide)."""
        width = max(len(self.header), 1)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([self.title, *[""] * (width - 1)])
        writer.writerow(self.header)
        writer.writerows(self.rows)
        for note in self.notes:
            writer.writerow([note, *[""] * (width - 1)])
        return buffer.getvalue()

    def html_document(self) -> str:
        """A bare HTML table with the title as caption and footnotes below (pandoc's input)."""
        escape = html.escape
        head = "".join(f"<th>{escape(cell)}</th>" for cell in self.header)
        body = []
        groups = set(self.group_rows)
        for index, row in enumerate(self.rows):
            if index in groups:
                body.append(
                    f'<tr><td colspan="{len(self.header)}"><strong>{escape(row[0])}</strong>'
                    "</td></tr>"
                )
            else:
                body.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        notes = "".join(f"<p>{escape(note)}</p>" for note in self.notes)
        return (
            f"<table><caption>{escape(self.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{notes}"
        )

    def docx_bytes(self) -> bytes:
        """A Word document of the table (pandoc's docx writer; fixed dates, same bytes each run).

        The document's dates and the zip entries' times come from ``SOURCE_DATE_EPOCH``
        (default 0), as for the manuscript's DOCX.
        """
        from neok2.report.render.pandoc import run_pandoc

        epoch = os.environ.get("SOURCE_DATE_EPOCH", "0")
        with tempfile.TemporaryDirectory(prefix="neok2-table-") as folder:
            run_pandoc(
                ["-f", "html", "-t", "docx", "-o", "table.docx"],
                self.html_document(),
                cwd=Path(folder),
                environment={"SOURCE_DATE_EPOCH": epoch},
            )
            return (Path(folder) / "table.docx").read_bytes()


def _text(label: Any) -> str:
    # a column label or note is a plain string in the report; great-tables' md()/html()
    # wrappers keep their text in `.text`; a non-breaking space only steers the HTML's line
    # breaks, so the CSV and Word table get an ordinary one
    return str(getattr(label, "text", label)).replace("\xa0", " ")


def displayed_table(gt: Any, title: str, *, extra_notes: Iterable[str] = ()) -> DisplayedTable:
    """The :class:`DisplayedTable` of a great-tables ``GT`` whose frame holds the shown text.

    Parameters
    ----------
    gt : great_tables.GT
        Built from a frame of display strings (with a stub, row groups, column labels and
        source notes as wanted), no great-tables formatter applied.
    title : str
    extra_notes : iterable of str
        Notes appended after the ``GT``'s own source notes.

    Raises
    ------
    TypeError
        When ``gt`` is not a great-tables ``GT``.
    ValueError
        When ``gt`` carries a formatter or substitution (format the frame's cells with
        :mod:`neok2.formatting` instead), or column spanners.

    Examples
    --------
    >>> from neok2.report.tables import gt_table
    >>> frame = pd.DataFrame({"Factor": ["Age"], "p": ["<0.001"]})
    >>> shown = displayed_table(gt_table(frame, "tbl_x", notes=["Wald test."]), "Title.")
    >>> shown.header, shown.rows, shown.notes
    (('Factor', 'p'), (('Age', '<0.001'),), ('Wald test.',))
    """
    from great_tables import GT
    from great_tables._tbl_data import cast_frame_to_string

    if not isinstance(gt, GT):
        raise TypeError(f"`gt` must be a great_tables.GT, got {type(gt).__name__}")
    if gt._formats or gt._substitutions:
        raise ValueError(
            "`gt` formats cells itself (fmt_*/sub_* calls); format the frame's cells with "
            "neok2.formatting before building the table, so that every output shows the same text"
        )
    if len(gt._spanners):
        raise ValueError("`gt` has column spanners, which the displayed table cannot show")
    # the text great-tables itself prints for each cell of an unformatted frame
    frame: pd.DataFrame = cast_frame_to_string(gt._tbl_data)
    columns = list(gt._boxhead)
    kinds = {column.type.name for column in columns}
    group = next((c.var for c in columns if c.type.name == "row_group"), None)
    stub = next((c.var for c in columns if c.type.name == "stub"), None)
    shown = [c for c in columns if c.type.name == "default"]
    if kinds - {"row_group", "stub", "default", "hidden"}:
        raise ValueError(f"`gt` has columns of kinds {sorted(kinds)} the displayed table lacks")
    header = ([_text(gt._stubhead) if gt._stubhead else ""] if stub else []) + [
        _text(c.column_label) for c in shown
    ]
    variables = ([stub] if stub else []) + [c.var for c in shown]
    rows: list[tuple[str, ...]] = []
    group_rows: list[int] = []
    previous_group: object = None
    for position, info in gt._stub.group_indices_map():
        if group is not None and info is not None and info is not previous_group:
            group_rows.append(len(rows))
            label = info.group_label if info.group_label is not None else info.group_id
            rows.append((_text(label), *[""] * (len(header) - 1)))
            previous_group = info
        rows.append(tuple(str(frame[v].iloc[int(position)]) for v in variables))
    notes = tuple(_text(note) for note in gt._source_notes) + tuple(extra_notes)
    return DisplayedTable(title, tuple(header), tuple(rows), notes, tuple(group_rows))
