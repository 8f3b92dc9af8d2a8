"""The manuscript of a study other than K2, from its spec and real data alone.

`make paper STUDY=birthwt DATA=src/neok2/data/birthwt.csv` in steps: analyse the shipped
microdata (few replicates), render the generic article into a scratch copy of the manuscript
project, and read the HTML: no word of the K2 paper, the spec's population noun in the prose,
and one sentence for each section the spec cannot feed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from neok2.cli.app import main as cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
DATA = ROOT / "src" / "neok2" / "data"
K2_WORDS = re.compile(r"K2|[Vv]itamin|[Nn]eonat|[Dd]eficien")


def _paper(tmp_path: Path, study: str, data: Path | None = None) -> str:
    """Analyse and render one study (shipped name, or spec path with its data); the HTML."""
    results = tmp_path / "results"
    data = data or DATA / f"{study}.csv"
    analysed = CliRunner().invoke(
        cli,
        [
            "analyze",
            str(data),
            "--study",
            study,
            "--mode",
            "replication",
            "--data-source",
            "real",
            "--out",
            str(results),
            "--bootstrap",
            "5",
            "--simulations",
            "5",
        ],
    )
    assert analysed.exit_code == 0, analysed.output
    project = tmp_path / "manuscript"
    shutil.copytree(
        ROOT / "manuscript", project, ignore=shutil.ignore_patterns("_manuscript", ".build")
    )
    rendered = CliRunner().invoke(
        cli, ["render", str(project), "--results", str(results), "--data", str(data)]
    )
    assert rendered.exit_code == 0, rendered.output
    outputs = project / "_manuscript"
    assert (outputs / "study.pdf").stat().st_size > 0
    assert not (outputs / "index.html").exists()  # the K2 article is not rendered
    return (outputs / "study.html").read_text(encoding="utf-8")


def _visible(html: str) -> str:
    text = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_birthwt_paper_from_spec_and_real_data(tmp_path):
    html = _paper(tmp_path, "birthwt")
    assert not K2_WORDS.findall(html), sorted(set(K2_WORDS.findall(html)))
    text = _visible(html)
    assert "Risk factors for low birth weight" in text  # the spec's title
    assert "189 women" in text  # population noun of the spec
    assert "Race: Black" in text  # one odds ratio per level against White
    # birthwt names a defining measurement (bwt), so its figure is drawn, numbered and cited
    assert "distribution of the defining measurement" in text
    assert 'id="fig-measurement"' in html and "?@fig-measurement" not in text
    # Table 1's group sizes never split over lines
    assert "Low birth weight (n\xa0=\xa059)" in html.replace("&nbsp;", "\xa0")
    # the sensitivity table leaves the Wald column to Table 3: four interval columns fit a page
    assert "OR (profile CI)" in text and "OR (Wald CI)" not in text
    # one hospital's records, as the spec states
    assert "A single centre (Baystate Medical Center" in " ".join(text.split())


def test_esoph_paper_leaves_out_what_the_spec_cannot_feed(tmp_path):
    html = _paper(tmp_path, "esoph")
    assert not K2_WORDS.findall(html), sorted(set(K2_WORDS.findall(html)))
    text = " ".join(_visible(html).split())
    assert "975 men" in text
    # no defining measurement, no binary exposure to simulate: one sentence each
    assert "The figure of the defining measurement is left out" in text
    assert "The simulation of the screen-then-adjust pipeline is left out" in text
    assert "Alcohol consumption (g/day): 120+" in text
    # the design as its spec states it: population controls, recall at interview
    assert "single centre" not in text and "record review" not in text
    assert "A population-based design (Ille-et-Vilaine, Brittany, France)" in text
    assert "Oesophageal cancer (n\xa0=\xa0200)" in html.replace("&nbsp;", "\xa0")


def test_matched_infert_paper_names_the_conditional_design(tmp_path):
    specs = ROOT / "tests" / "specs"
    html = _paper(tmp_path, str(specs / "infert_matched.yaml"), specs / "infert_matched.csv")
    assert not K2_WORDS.findall(html), sorted(set(K2_WORDS.findall(html)))
    text = " ".join(_visible(html).split())
    assert "screened by univariable conditional logistic regression" in text
    assert "one multivariable model conditioned on the 83 matched sets" in text
    assert "was entered alone into a conditional logistic model" in text
    assert "Cases and controls were matched on age (years), education and parity" in text
    assert "conditional logistic regression stratified on the 83 matched sets" in text
    assert "Each set holds 1 case and 1 to 2 controls (median 2; 1:2 as designed)." in text
    assert "One conditional logistic model on 83 matched sets" in text  # the table's note
    assert "7.29 (3.65-14.54)" in text  # clogit's adjusted OR, as R prints it
    # sections built on unconditional models say why they are left out, once each
    assert "The sensitivity analysis is left out: the design is matched" in text
    assert "resamples of whole matched sets" in text  # the bootstrap keeps the matching
    assert "Profile-likelihood and Firth" not in text
    assert "**Matching.**" not in text and "Matching." in text
    # no design fact the spec leaves out, and no pointer at the left-out risk ratios
    assert "single centre" not in text and "Retrospective" not in text
    assert "risk ratios below" not in text and "Design and selection." not in text
