"""The manuscript end to end: data -> analysis -> fallback render -> HTML and PDF.

Two builds, one per test so that pytest-xdist can run them side by side and none is built
twice: the synthetic cohort (analysed in-process, rendered to HTML and PDF) and a user's
own data file (the same cohort saved as Stata .dta, with no neok2-synth footprint beside it,
analysed by `neok2 analyze` and rendered to HTML). Every inline value of index.qmd must be
the ``display`` string of results.json, and the prose must follow the recorded data source.
"""

from __future__ import annotations

import ast
import html as html_module
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from neok2.cli.app import main as cli
from neok2.report.analysis import run_analysis, write_results
from neok2.report.escape import escape_markdown
from neok2.report.render.api import RenderResult, render_manuscript
from neok2.study.spec import load_study
from neok2.synth.generator import synthesize

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MANUSCRIPT = ROOT / "manuscript"
SEED = 20200701
SMALL = {"bootstrap_replicates": 3, "simulation_replicates": 10}


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return synthesize(load_study("k2_neonates"), seed=SEED)


def _project(root: Path, *, html_only: bool = False) -> Path:
    project = root / "manuscript"
    project.mkdir()
    for name in ("_quarto.yml", "index.qmd", "references.bib"):
        shutil.copy(MANUSCRIPT / name, project / name)
    if html_only:
        config = (project / "_quarto.yml").read_text(encoding="utf-8")
        config = re.sub(r"  typst:\n(    .*\n|      .*\n)+", "", config)
        assert "typst" not in config
        (project / "_quarto.yml").write_text(config, encoding="utf-8")
    return project


def _text(html: str) -> str:
    """The words a reader sees: no tags, no stylesheets."""
    visible = re.sub(r"<style.*?</style>", " ", html, flags=re.DOTALL)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", visible)).split())


# ----------------------------------------------------------------------------- synthetic


def test_synthetic_manuscript(cohort, tmp_path):
    study = load_study("k2_neonates")
    results = run_analysis(
        cohort,
        study,
        seed=SEED,
        data_source="synthetic",
        data_name="k2_neonates.csv",
        data_sha256="0" * 64,
        **SMALL,
    )
    write_results(results, tmp_path / "results")
    project = _project(tmp_path)
    rendered = render_manuscript(project, engine="fallback")
    document = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    html = rendered.outputs[0].read_text(encoding="utf-8")

    _check_outputs(rendered)
    _check_tables_and_figures(rendered, html)
    _check_every_inline_number_is_from_the_results_file(rendered, document, html)
    _check_style_and_banner(html)
    _check_labels_and_printed_p_values(html)
    _check_synthetic_wording(html, document)
    _check_limitations_list(html)
    _check_pdf(project, rendered)
    _check_rerender_is_cached_and_identical(project, rendered)


def _check_outputs(rendered: RenderResult) -> None:
    assert [p.name for p in rendered.outputs] == ["index.html", "index.pdf", "index.docx"]
    assert rendered.outputs[1].read_bytes().startswith(b"%PDF-")
    assert rendered.warnings == ()


def _check_tables_and_figures(rendered: RenderResult, html: str) -> None:
    for label in (
        "tbl-baseline",
        "tbl-univariable",
        "tbl-multivariable",
        "tbl-fidelity",
        "tbl-audit",
        "tbl-power",
        "tbl-sensitivity",
        "tbl-bootstrap",
    ):
        assert f'<div id="{label}" class="neok2-table">' in html, label
    for label in ("fig-k2", "fig-forest", "fig-power-n", "fig-power-or"):
        assert re.search(rf'<figure id="{label}">\s*<img[^>]*src="data:image/svg\+xml', html)
    numbering = rendered.cross_references
    assert numbering["tbl-baseline"] == "Table 1"
    assert numbering["tbl-univariable"] == "Table 2"
    assert numbering["tbl-multivariable"] == "Table 3"
    assert numbering["fig-k2"] == "Figure 1" and numbering["fig-forest"] == "Figure 2"
    table = html[html.index('<div id="tbl-fidelity"') :]
    assert "Published number" in table and "Rebuilt" in table
    assert "Table 2 · Antenatal steroid" in table
    assert "Verdict" in table and "kept inconsistent" in table and "Agrees" not in table
    kept = _text(html[html.index('<div id="tbl-kept"') :])
    assert "The text prints 137 but Table 1 gives 99" in kept


def _check_every_inline_number_is_from_the_results_file(
    rendered: RenderResult, document: dict, html: str
) -> None:
    values = document["values"]
    checked = 0
    for expression, line, text in rendered.inline_values:
        call = ast.parse(expression, mode="eval").body
        if not (isinstance(call, ast.Call) and call.func.id in ("v", "v_or")):  # type: ignore[attr-defined]
            continue
        key = call.args[0].value  # type: ignore[attr-defined]
        assert key in values, f"line {line}: {key} missing from results.json"
        # inline values are the display strings escaped for markdown (numbers read the same)
        assert text == escape_markdown(values[key]["display"]), f"line {line}: {key}"
        checked += 1
    # mode-dependent paragraphs are built in cells; the rest are inline expressions
    assert checked >= 40
    assert "[not available]" not in html and "{python}" not in html


def _check_style_and_banner(html: str) -> None:
    assert "max-width: 45em" in html and "nth-child(even)" in html
    banner = html.index("neok2-callout neok2-callout-warning")
    assert banner < html.index('id="abstract"')
    assert "Synthetic data, not patients" in html[banner : banner + 400]


def _check_labels_and_printed_p_values(html: str) -> None:
    text = _text(html)
    univariable = _text(
        html[html.index('<div id="tbl-univariable"') : html.index('<div id="tbl-multivariable"')]
    )
    # the paper printed "Apgar score at 5 min" for the 10-minute row too
    assert "Apgar score at 5 minutes" in univariable
    assert "Apgar score at 10 minutes" in univariable
    assert univariable.count("Apgar score at 5 min") == 1
    assert "p printed as 0.000" in text and "p = 0.000" not in text
    # neok2's own p-values go through format_p
    assert "OR 5.68 (95% CI 2.66-12.11; p < 0.001)" in text
    fidelity = _text(html[html.index('<div id="tbl-fidelity"') :])
    assert "0.000 (as printed)" in fidelity


def _check_synthetic_wording(html: str, document: dict) -> None:
    text = _text(html)
    assert "generated by neok2 synth from the published study alone" in text
    assert "user-supplied data set" not in text and "User-supplied data" not in text
    unreported = document["values"]["multivariable.significant_unreported"]["display"]
    if unreported != "none":
        assert f"In the synthetic cohort {unreported} also fall below p = 0.05" in text
    assert "The published associations can be regenerated from the published margins" in text


def _check_limitations_list(html: str) -> None:
    section = html[html.index('id="limitations"') : html.index('id="conclusion"')]
    assert section.count("<li>") == 0  # paragraphs, not machine-made bullets
    for heading in (
        "Design and selection.",
        "Sample size and events per variable.",
        "Screening and multiplicity.",
        "Confounding by indication.",
        "Measurement.",
        "Odds ratios and risk.",
    ):
        assert f"<strong>{heading}</strong>" in section, heading
    assert "square root of the odds ratio" in section and "<table" in section
    assert "odds ratio read as risk" not in section


def _check_pdf(project: Path, rendered: RenderResult) -> None:
    pdf = rendered.outputs[1].read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) > 5
    source = (project / ".build" / "index.typ").read_text(encoding="utf-8")
    # the appendix breaks across pages in a smaller font; Table 2 stays whole
    appendix = source[source.index("\n<tbl-bootstrap>") : source.index("\n<tbl-fidelity>")]
    assert "#show figure.where(kind: table): set block(breakable: true)" in appendix
    assert "#show table: set text(size: 7.5pt)" in appendix
    # Table 1 is taller than a page once typst wraps its cells: it may break, header repeated
    baseline = source[: source.index("\n<tbl-baseline>")]
    assert "#show figure.where(kind: table): set block(breakable: true)" in baseline
    univariable = source[source.index("\n<tbl-baseline>") : source.index("\n<tbl-univariable>")]
    assert "#figure(" in univariable and "breakable: true" not in univariable
    assert "#block(width: 100%, inset: 8pt" in source  # the synthetic-data banner


def _check_rerender_is_cached_and_identical(project: Path, first: RenderResult) -> None:
    before = [path.read_bytes() for path in first.outputs]
    again = render_manuscript(project, engine="fallback")
    assert again.cache_hit is True
    assert [path.read_bytes() for path in again.outputs] == before


# ----------------------------------------------------------------------------- user data


def test_user_data_file_gives_a_manuscript_about_that_file(cohort, tmp_path):
    data_dir = tmp_path / "mydata"
    data_dir.mkdir()
    data_file = data_dir / "cohort.dta"
    pyreadstat.write_dta(cohort, str(data_file))
    outcome = CliRunner().invoke(
        cli,
        [
            "analyze",
            str(data_file),
            "--seed",
            str(SEED),
            "--out",
            str(tmp_path / "results"),
            "--bootstrap",
            "3",
            "--simulations",
            "10",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert document["data_source"] == "real"
    assert document["data_file"]["name"] == "cohort.dta"

    project = _project(tmp_path, html_only=True)
    rendered = render_manuscript(project, engine="fallback")
    assert [path.name for path in rendered.outputs] == ["index.html", "index.docx"]
    html = rendered.outputs[0].read_text(encoding="utf-8")
    text = _text(html)
    assert "neok2-callout-note" in html and "Real data compared with the published report" in text
    assert "user-supplied data set of 200 records (file cohort.dta" in text
    assert "In the analysed data, 66 of 200 neonates" in text
    assert "The published pipeline runs unchanged on these data." in text
    assert "Data: user file cohort.dta , SHA-256" in text
    assert "synthetic cohort" not in text and "neok2 synth" not in text
    assert "Synthetic data, not patients" not in text
    assert "[not available]" not in html


# ----------------------------------------------------------------------------- invalid data


def test_invalid_data_stops_make_before_the_analysis(cohort, tmp_path):
    bad = cohort.copy()
    bad.loc[3, "k2_ng_ml"] = -1.0
    bad = bad.drop(columns="sga")
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    outcome = CliRunner().invoke(cli, ["validate", str(path)])
    assert outcome.exit_code == 1
    assert "sga" in outcome.output and "k2_ng_ml" in outcome.output

    # make runs a recipe line by line and stops at the first failing one: the old
    # results.json goes first, then validation, and only then the analysis
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\n$(RESULTS):", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    commands = [line.strip() for line in recipe]
    # earlier results, tables, figures and manuscript go first, so nothing stale survives
    assert commands[0].startswith("@rm -rf $(RESULTS) ")
    assert "$(MANUSCRIPT_OUTPUTS)" in commands[0]
    assert "neok2 validate $(DATA)" in commands[1]
    assert "neok2 analyze $(DATA)" in commands[2]
    assert ".DELETE_ON_ERROR:" in makefile
    manuscript_rule = makefile.split("\n$(HTML) $(PDF) $(DOCX) &:", 1)[1].splitlines()[0]
    assert "$(RESULTS)" in manuscript_rule
