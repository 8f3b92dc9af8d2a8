"""The tables an author submits: each table as displayed, as CSV and as a Word table.

The displayed CSV is checked against the HTML table the manuscript shows, read back with an
HTML parser written here (cells, headers, row-group headings and source notes), so that a
cell formatted differently in one of the two would fail; the DOCX is opened as a zip and its
document read for the caption and the cells.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from neok2.report.displayed import TABLE_TITLES, DisplayedTable, displayed_table
from neok2.report.results import write_results
from neok2.report.run import run_analysis
from neok2.report.tables import gt_table
from neok2.study.spec import load_study
from neok2.synth.generator import synthesize

ROOT = Path(__file__).resolve().parents[1]
STUDY = load_study("k2_neonates")
SECTIONS = ["cohort", "baseline", "univariable", "multivariable", "audit", "reproducibility"]


class _GtCells(HTMLParser):
    """Rows of cell texts of a great-tables table, by part (thead, tbody, tfoot)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[list[str]]] = {"thead": [], "tbody": [], "tfoot": []}
        self._part = ""
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in self.parts:
            self._part = tag
        elif tag == "tr" and self._part:
            self.parts[self._part].append([])
        elif tag in ("td", "th") and self._part:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.parts[self._part][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in self.parts:
            self._part = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _html_table(html: str) -> tuple[list[str], list[list[str]], list[str]]:
    """``(headers, body rows, source notes)`` as the HTML shows them."""
    parser = _GtCells()
    parser.feed(html)
    header = parser.parts["thead"][-1]  # the column headings (a title row would come first)
    width = len(header)
    rows = [row + [""] * (width - len(row)) for row in parser.parts["tbody"]]
    notes = [cell for row in parser.parts["tfoot"] for cell in row]
    return header, rows, notes


@pytest.fixture(scope="module")
def analysis():
    cohort = synthesize(STUDY, seed=3)
    return run_analysis(cohort, STUDY, seed=3, sections=SECTIONS, bootstrap_replicates=2)


@pytest.fixture(scope="module")
def written(analysis, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tables") / "results"
    write_results(analysis, folder)
    return folder


def test_displayed_csv_is_what_the_html_shows(analysis, written):
    names = sorted(analysis.table_html)
    assert {"baseline", "univariable", "multivariable", "audit", "versions"} <= set(names)
    for name in names:
        header, body, notes = _html_table(analysis.table_html[name])
        lines = list(
            csv.reader(
                io.StringIO((written / "tables" / "displayed" / f"{name}.csv").read_text("utf-8"))
            )
        )
        title = lines[0][0]
        assert title == TABLE_TITLES[name], name
        assert lines[1] == header, name
        n_rows = len(body)
        assert lines[2 : 2 + n_rows] == body, name
        assert [line[0] for line in lines[2 + n_rows :]] == notes, name
        assert notes and len(lines) == 2 + n_rows + len(notes)
    # formatted cells, not the tidy frame's floats
    baseline = (written / "tables" / "displayed" / "baseline.csv").read_text("utf-8")
    assert re.search(r"\d+ \(\d+(\.\d)?\)", baseline)  # n (%)
    univariable = (written / "tables" / "displayed" / "univariable.csv").read_text("utf-8")
    assert re.search(r"\d\.\d\d \(\d+\.\d\d-\d+\.\d\d\)", univariable)  # OR (CI)
    # the audit groups its findings: a heading row per group, as in the HTML
    assert analysis.displayed["audit"].group_rows


def test_results_json_records_the_displayed_files(written):
    document = json.loads((written / "results.json").read_text("utf-8"))
    entry = document["tables"]["univariable"]
    assert entry["displayed_csv"] == "tables/displayed/univariable.csv"
    assert entry["docx"] == "tables/displayed/univariable.docx"
    assert entry["title"] == TABLE_TITLES["univariable"]
    for name, entry in document["tables"].items():
        assert (written / entry["displayed_csv"]).is_file(), name
        assert (written / entry["docx"]).is_file(), name


def test_docx_is_a_word_table_with_title_cells_and_notes(analysis, written):
    shown = analysis.displayed["multivariable"]
    with zipfile.ZipFile(written / "tables" / "displayed" / "multivariable.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
        core = docx.read("docProps/core.xml").decode("utf-8")
    text = re.sub(r"<[^>]+>", "\n", body)
    words = {html.unescape(line) for line in text.splitlines() if line}
    assert "<w:tbl>" in body
    # the title is the caption above the table, the notes come after it
    assert body.index(html.escape(shown.title, quote=False)) < body.index("<w:tbl>")
    assert body.index("<w:tbl>") < body.index(html.escape(shown.notes[0], quote=False))
    for row in shown.rows:
        for cell in row:
            assert not cell or cell in words, cell
    assert set(shown.header) <= words
    assert "1970-01-01T00:00:00Z" in core  # dates fixed, not the day of the run


def test_written_tables_are_byte_identical_across_runs(analysis, written, tmp_path):
    again = tmp_path / "again"
    write_results(analysis, again)
    for path in sorted((written / "tables" / "displayed").iterdir()):
        assert (again / "tables" / "displayed" / path.name).read_bytes() == path.read_bytes()


def test_displayed_table_reads_stub_groups_and_labels():
    from great_tables import GT

    frame = pd.DataFrame(
        {
            "group": ["B", "A", "B"],
            "name": ["x", "y", "z"],
            "p": ["<0.001", "0.5", "0.04"],
        }
    )
    gt = (
        GT(frame, rowname_col="name", groupname_col="group", id="t")
        .cols_label(p="p-value")
        .tab_source_note("A note & more.")
    )
    shown = displayed_table(gt, "Title.")
    # great-tables shows the groups in order of first appearance, rows kept within a group
    assert shown.header == ("", "p-value")
    assert shown.rows == (("B", ""), ("x", "<0.001"), ("z", "0.04"), ("A", ""), ("y", "0.5"))
    assert shown.group_rows == (0, 3)
    assert shown.notes == ("A note & more.",)
    header, body, notes = _html_table(gt.as_raw_html())
    assert [list(shown.header), *map(list, shown.rows), list(shown.notes)] == [
        header,
        *body,
        notes,
    ]


def test_displayed_table_refuses_what_it_cannot_show():
    frame = pd.DataFrame({"a": [1.23456]})
    with pytest.raises(ValueError, match="formats cells itself"):
        displayed_table(gt_table(frame, "t").fmt_number(columns="a"), "T.")
    with pytest.raises(ValueError, match="spanners"):
        displayed_table(gt_table(frame, "t").tab_spanner(label="S", columns="a"), "T.")
    with pytest.raises(TypeError, match=r"`gt` must be a great_tables\.GT"):
        displayed_table(frame, "T.")
    with pytest.raises(ValueError, match="row 0 has 1 cells"):
        DisplayedTable("T.", ("a", "b"), (("x",),))


def _captions(qmd: Path) -> dict[str, str]:
    text = qmd.read_text(encoding="utf-8")
    found = re.findall(r"#\| tbl-cap: (.+)\n(?:.*\n)*?.*?R\.table\(\"(\w+)\"\)", text)
    return {name: caption for caption, name in found}


def test_titles_are_the_manuscript_captions():
    # the generic article captions its tables with the titles of the submitted files
    generic = _captions(ROOT / "manuscript" / "study.qmd")
    assert {"baseline", "univariable", "multivariable"} <= set(generic)
    for name, caption in generic.items():
        assert TABLE_TITLES[name] == caption, name
    # the K2 article words its first three captions for its own population
    k2 = _captions(ROOT / "manuscript" / "index.qmd")
    for name, caption in k2.items():
        if name not in ("baseline", "univariable", "multivariable", "fidelity"):
            assert TABLE_TITLES[name] == caption, name
