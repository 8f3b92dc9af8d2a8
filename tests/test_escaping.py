"""Text from a spec or a data file reaches the manuscript as literal text, never as markup.

Fast tests check the escaping helpers against pandoc itself (the reader both Quarto and the
fallback renderer use): an escaped hostile string must come back character for character as
plain text, and never as an HTML element, emphasis, math, a citation or a typst command.
The slow test builds a cohort from a copy of the K2 spec whose labels carry such strings,
analyses it with ``neok2 analyze`` and renders HTML and PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from neok2.report.escape import code_span, escape_markdown
from neok2.report.render.pandoc import run_pandoc
from neok2.report.results import Results

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert('L1')</script> `tick` *emphasis* $math$ #import \"x\": a @ref"
STRINGS = (
    HOSTILE,
    "Caesarean <script>alert('L1')</script> section",
    "a_b_c **bold** __under__ [link](http://x) ![img](x.png) <b>b</b> &amp; AT&T",
    "#heading | pipe | ~sub~ ^sup^ {.class} \\backslash `` double ``",
    "em--dash and ellipsis... 'single' \"double\" cases' (x)",
    "@smith2020 [@ref] {{< shortcode >}} <!-- comment --> \\(x\\) $$y$$",
    "= #set text(red) #let x = 1 @label <label> *strong* _emph_",
)


def _pandoc(arguments: list[str], text: str) -> str:
    return run_pandoc(arguments, text, cwd=ROOT)


def _plain(markdown: str) -> str:
    return _pandoc(["-f", "markdown", "-t", "plain", "--wrap=none"], markdown)


class _Scripts(HTMLParser):
    """Collects the text of every <script> element and the names of all start tags."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self._inside: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self._inside = []

    def handle_data(self, data: str) -> None:
        if self._inside is not None:
            self._inside.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside is not None:
            self.scripts.append("".join(self._inside))
            self._inside = None


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("text", STRINGS)
def test_escaped_text_reads_back_literally_through_pandoc(text):
    assert _plain(escape_markdown(text)).strip() == text


@pytest.mark.parametrize("text", STRINGS)
def test_escaped_text_makes_no_markup_in_html_or_typst(text):
    html = _pandoc(["-f", "markdown", "-t", "html", "--wrap=none"], escape_markdown(text))
    parser = _Scripts()
    parser.feed(html)
    assert parser.tags == ["p"], html
    assert unescape(re.sub(r"</?p>", "", html)).strip() == text
    typst = _pandoc(["-f", "markdown", "-t", "typst", "--wrap=none"], escape_markdown(text))
    # every typst markup character in the text arrives backslash-escaped
    for special in "#@$*_`<":
        assert not re.search(rf"(?<!\\){re.escape(special)}", typst), (special, typst)


def test_unescaped_text_would_be_markup():
    """The hostile string is markup when not escaped, so the tests above can fail."""
    html = _pandoc(["-f", "markdown", "-t", "html"], HOSTILE)
    parser = _Scripts()
    parser.feed(html)
    assert parser.scripts == ["alert('L1')"]
    assert {"code", "em"} <= set(parser.tags)


def test_an_apostrophe_inside_a_word_stays_typographic():
    """Like the manuscript's own prose ("the study's"), so the K2 text reads as before."""
    assert escape_markdown("Apgar's score") == "Apgar's score"
    assert _plain(escape_markdown("Apgar's score")).strip() == "Apgar\u2019s score"


def test_a_line_break_cannot_start_a_block():
    escaped = escape_markdown("label\n\n# heading\n- item\n::: {.callout}")
    assert "\n" not in escaped
    assert _plain(escaped).strip() == "label # heading - item ::: {.callout}"


def test_numbers_read_the_same():
    for display in ("OR 4.70 (95% CI 2.11-10.45; p < 0.001)", "33", "0.5", "-1.2", "75.7%"):
        assert _plain(escape_markdown(display)).strip() == display
        assert _plain(display).strip() == display


@pytest.mark.parametrize("name", ["cohort.csv", "a`b.csv", "`x`", "``<script>x</script>.csv"])
def test_code_span_holds_any_file_name(name):
    html = _pandoc(["-f", "markdown", "-t", "html"], f"File {code_span(name)}.")
    match = re.fullmatch(r"<p>File <code>(.*)</code>\.</p>", html.strip(), flags=re.DOTALL)
    assert match is not None, html
    assert unescape(match.group(1)) == name


def test_escape_refuses_non_text():
    with pytest.raises(TypeError, match="`text` must be a str"):
        escape_markdown(3.5)  # type: ignore[arg-type]


def test_results_display_is_escaped_and_plain_is_not(tmp_path):
    document = {
        "values": {
            "univariable.selected": {"display": "Caesarean <b>x</b> *y*"},
            "cohort.p": {"display": "p < 0.001"},
        },
        "sections": {"univariable": "", "cohort": "", "fidelity": "not computed"},
        "data_file": {"name": "a`b.csv"},
    }
    results = Results(folder=tmp_path, document=document)
    assert results.display("univariable.selected") == "Caesarean &lt;b&gt;x&lt;/b&gt; \\*y\\*"
    assert results.plain("univariable.selected") == "Caesarean <b>x</b> *y*"
    assert _plain(results.display("cohort.p")).strip() == "p < 0.001"
    assert results.display("fidelity.n_ok") == "[not available]"
    assert results.data_file_code == "``a`b.csv``"
    with pytest.raises(KeyError):
        results.display("cohort.typo")


def test_a_missing_table_notice_escapes_its_reason(tmp_path):
    document = {"values": {}, "tables": {}, "sections": {"baseline": "no column <b>x</b>"}}
    notice = Results(folder=tmp_path, document=document).table("baseline").data
    assert "no column &lt;b&gt;x&lt;/b&gt;" in notice and "<b>" not in notice


def test_inline_values_that_are_not_strings_are_escaped():
    from neok2.report.render.execute import _inline_text

    listed = {"output_type": "execute_result", "data": {"text/plain": "['<b>x</b>', 'y']"}}
    assert _inline_text([listed]) == "\\[\\'&lt;b&gt;x&lt;/b&gt;\\', \\'y\\'\\]"
    number = {"output_type": "execute_result", "data": {"text/plain": "0.25"}}
    assert _inline_text([number]) == "0.25"
    text = {"output_type": "execute_result", "data": {"text/plain": "'already markdown'"}}
    assert _inline_text([text]) == "already markdown"


# ----------------------------------------------------------------------------- end to end


def _hostile_spec(folder: Path) -> Path:
    shipped = resources.files("neok2") / "studies" / "k2_neonates.yaml"
    spec = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    spec["title"] = f"Vitamin K2 {HOSTILE} title"
    spec["groups"]["case"]["label"] = f"Deficiency {HOSTILE} group"
    rows = [*spec["table1"], *spec["univariable"], *spec["multivariable"]["reported"]]
    for row in rows:
        if row["variable"] == "caesarean":
            row["label"] = f"Caesarean {HOSTILE} section"
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
def test_hostile_labels_render_literally_in_html_and_pdf(tmp_path):
    from neok2.cli.app import main as cli
    from neok2.report.render.api import render_manuscript
    from neok2.study.spec import load_study
    from neok2.synth.generator import synthesize

    spec_path = _hostile_spec(tmp_path)
    study = load_study(spec_path)
    assert HOSTILE in study.display_labels()["caesarean"]
    data_path = tmp_path / "cohort `<i>x` & $y.csv"
    synthesize(study, seed=7).to_csv(data_path, index=False)
    outcome = CliRunner().invoke(
        cli,
        [
            "analyze",
            str(data_path),
            "--study",
            str(spec_path),
            "--seed",
            "7",
            "--data-source",
            "synthetic",
            "--bootstrap",
            "2",
            "--simulations",
            "5",
            "--out",
            str(tmp_path / "results"),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    project = tmp_path / "manuscript"
    project.mkdir()
    for name in ("_quarto.yml", "index.qmd", "references.bib"):
        shutil.copy(ROOT / "manuscript" / name, project / name)
    config = (project / "_quarto.yml").read_text(encoding="utf-8")
    assert "  docx: {}\n" in config
    (project / "_quarto.yml").write_text(config.replace("  docx: {}\n", ""), encoding="utf-8")
    rendered = render_manuscript(project, engine="fallback")
    html_path, pdf_path = rendered.outputs

    html = html_path.read_text(encoding="utf-8")
    parser = _Scripts()
    parser.feed(html)
    assert not [script for script in parser.scripts if "alert('L1')" in script]
    visible = re.sub(r"<style.*?</style>", " ", html, flags=re.DOTALL)
    visible = " ".join(unescape(re.sub(r"<[^>]+>", " ", visible)).split())
    # the label reads literally in the prose (lists of factors, limitations) and the tables
    assert visible.count(f"caesarean {HOSTILE} section") >= 5
    assert visible.count(f"Caesarean {HOSTILE} section") >= 5
    assert f"Deficiency {HOSTILE} group" in visible
    # the data file's name, backticks and all, is one code span
    assert "<code>cohort `&lt;i&gt;x` &amp; $y.csv</code>" in html

    assert pdf_path.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf_text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert _squeezed(pdf_text).count(_squeezed(f"caesarean {HOSTILE} section")) >= 5
