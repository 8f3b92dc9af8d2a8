"""Author mode: the author's own paper quotes no number of the published study outside the
marked comparison section; the mode and data source are recorded and drive the banner."""

from __future__ import annotations

import csv
import html as html_module
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from neok2.cli.app import main as cli
from neok2.report.render.api import render_manuscript
from neok2.study.spec import load_study
from neok2.synth.generator import synthesize

MANUSCRIPT = Path(__file__).resolve().parents[1] / "manuscript"
STUDY = load_study("k2_neonates")
QUICK = ["--bootstrap", "4", "--simulations", "10", "--seed", "5"]


@pytest.fixture(scope="module")
def author_file(tmp_path_factory) -> Path:
    """120 rows, 50 cases and 70 controls, drawn from the synthetic cohort."""
    cohort = synthesize(STUDY, seed=11)
    cases = cohort[cohort["deficiency"] == 1].sample(50, random_state=1)
    controls = cohort[cohort["deficiency"] == 0].sample(70, random_state=1)
    path = tmp_path_factory.mktemp("author") / "mine.csv"
    pd.concat([cases, controls]).sort_index().to_csv(path, index=False)
    return path


def _analyze(data: Path, out: Path, *options: str) -> dict:
    outcome = CliRunner().invoke(cli, ["analyze", str(data), "--out", str(out), *QUICK, *options])
    assert outcome.exit_code == 0, outcome.output
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _project(root: Path) -> Path:
    project = root / "manuscript"
    project.mkdir()
    for name in ("_quarto.yml", "index.qmd", "references.bib"):
        shutil.copy(MANUSCRIPT / name, project / name)
    return project


def _render(root: Path) -> Path:
    outcome = CliRunner().invoke(
        cli,
        [
            "render",
            str(root / "manuscript"),
            "--results",
            str(root / "results"),
            "--engine",
            "fallback",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    return root / "manuscript" / "_manuscript"


def _visible_text(html: str) -> str:
    visible = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", visible)).split())


def _without_comparison(html: str) -> str:
    """The HTML with the marked comparison section (a div with its id) cut out."""
    start = html.find('<div id="comparison-published"')
    if start < 0:
        return html
    depth, position = 0, start
    for match in re.finditer(r"<div\b|</div>", html[start:]):
        depth += 1 if match.group() == "<div" else -1
        if depth == 0:
            position = start + match.end()
            break
    return html[:start] + html[position:]


def _published_figures() -> list[str]:
    """Counts, ORs (3 and 2 decimals) and events per variable of the published study."""
    counts = {STUDY.n, STUDY.groups["case"], STUDY.groups["control"]}
    events = min(STUDY.groups.values())
    figures = [str(count) for count in sorted(counts)]
    for frame in (STUDY.univariable, STUDY.multivariable):
        for odds_ratio in frame["odds_ratio"]:
            figures += [f"{float(odds_ratio):.3f}", f"{float(odds_ratio):.2f}"]
    epv = events / len(STUDY.multivariable_terms)
    figures += [f"{epv:.1f}", f"{events} events"]
    return sorted(set(figures))


def _occurrences(text: str, figure: str) -> list[str]:
    # a whole number, not part of a longer number or a decimal (66 but not 66.7 or 1660)
    pattern = rf"(?<![\w.]){re.escape(figure)}(?!\d|\.\d)"
    return [text[max(0, m.start() - 60) : m.end() + 20] for m in re.finditer(pattern, text)]


def test_author_paper_quotes_no_published_number_outside_the_comparison(author_file, tmp_path):
    document = _analyze(author_file, tmp_path / "results", "--mode", "author")
    assert document["mode"] == "author" and document["data_source"] == "real"
    assert document["values"]["cohort.n_cases"]["value"] == 50
    assert document["values"]["power.design_n_controls"]["value"] == 70
    terms = document["values"]["multivariable.terms"]["value"]
    # events per variable from the author's own model: min(50, 70) / its number of terms
    assert document["values"]["power.epv_entered"]["value"] == pytest.approx(50 / len(terms))
    for section in ("published", "fidelity", "audit"):
        assert document["sections"][section].startswith("author mode")
    # every table the author submits, as displayed: CSV and an editable Word table
    for name in ("baseline", "univariable", "multivariable", "power"):
        entry = document["tables"][name]
        shown = (tmp_path / "results" / entry["displayed_csv"]).read_text(encoding="utf-8")
        assert next(csv.reader(io.StringIO(shown)))[0] == entry["title"]
        with zipfile.ZipFile(tmp_path / "results" / entry["docx"]) as table_docx:
            assert "<w:tbl>" in table_docx.read("word/document.xml").decode("utf-8")
    _project(tmp_path)
    outputs = _render(tmp_path)
    html = (outputs / "index.html").read_text(encoding="utf-8")
    assert 'id="comparison-published"' not in html  # not asked for
    text = _visible_text(html)
    found = {figure: _occurrences(text, figure) for figure in _published_figures()}
    assert not {figure: where for figure, where in found.items() if where}
    assert "a case-control study" in text
    assert "published" not in text.lower() and "source study" not in text.lower()
    assert "Synthetic data, not patients" not in text and "[not available]" not in text
    # the DOCX beside HTML and PDF: a Word document with the title and captioned tables
    with zipfile.ZipFile(outputs / "index.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert "<w:tbl>" in body and "Baseline characteristics" in body
    assert (outputs / "index.pdf").read_bytes().startswith(b"%PDF")


def test_comparison_appears_only_in_its_marked_section(author_file, tmp_path):
    document = _analyze(
        author_file, tmp_path / "results", "--mode", "author", "--compare-published"
    )
    assert document["compare_published"] is True and document["sections"]["fidelity"] == ""
    project = _project(tmp_path)
    config = (project / "_quarto.yml").read_text(encoding="utf-8")
    config = re.sub(r"  (typst|docx):.*\n(    .*\n|      .*\n)*", "", config)
    (project / "_quarto.yml").write_text(config, encoding="utf-8")
    html = (_render(tmp_path) / "index.html").read_text(encoding="utf-8")
    assert 'id="comparison-published"' in html
    inside = _visible_text(html)
    outside = _visible_text(_without_comparison(html))
    published_n = str(STUDY.groups["case"])
    assert _occurrences(inside, published_n) and not _occurrences(outside, published_n)


@pytest.mark.parametrize("source", ["synthetic", "real"])
def test_mode_and_source_are_recorded_and_the_banner_follows_the_source(source, tmp_path):
    cohort = synthesize(STUDY, seed=3)
    data = tmp_path / "data" / "cohort.csv"
    data.parent.mkdir()
    cohort.to_csv(data, index=False)
    document = _analyze(data, tmp_path / "results", "--data-source", source)
    assert document["mode"] == "replication" and document["data_source"] == source
    project = _project(tmp_path)
    html = render_manuscript(project, engine="fallback", metadata={}).outputs[0]
    text = _visible_text(html.read_text(encoding="utf-8"))
    assert ("Synthetic data, not patients" in text) == (source == "synthetic")
