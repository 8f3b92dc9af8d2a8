"""`make paper STUDY=...` and `make validate` for the two shipped worked examples.

Each build runs the real Makefile and the real generic manuscript in a scratch checkout that
shares this checkout's sources and virtual environment (symbolic links; a stamp of its own so
that Make never reinstalls the shared environment). Synthesis, analysis and render run for
real, with few replicates. Expected values come from R: tests/reference/studies.R computed the
shipped specs' tables from the real records (tests/reference/studies_tables.csv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
QUICK = "ANALYZE_OPTIONS=--simulations 5 --bootstrap 2"
TABLES = pd.read_csv(ROOT / "tests" / "reference" / "studies_tables.csv")


@pytest.fixture
def checkout(make_checkout) -> Path:
    root = make_checkout()
    shutil.copytree(
        ROOT / "manuscript",
        root / "manuscript",
        ignore=shutil.ignore_patterns("_manuscript", ".quarto", "_freeze", "*.ipynb"),
    )
    return root


def make(root: Path, target: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "MAKEFLAGS"}
    result = subprocess.run(
        ["make", "--no-print-directory", target, "STAMP=installed.stamp", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def printed(study: str, table: str, variable: str, level: str, field: str) -> str:
    rows = TABLES[
        (TABLES["study"] == study)
        & (TABLES["table"] == table)
        & (TABLES["variable"] == variable)
        & (TABLES["level"].fillna("") == level)
        & (TABLES["field"] == field)
    ]
    return str(rows["printed"].iloc[0])


@pytest.mark.parametrize(("study", "noun"), [("birthwt", "women"), ("esoph", "men")])
def test_paper_of_a_shipped_study_on_its_synthetic_rebuild(checkout: Path, study, noun):
    make(checkout, "paper", QUICK, f"STUDY={study}")
    output = checkout / "manuscript" / "_manuscript"
    html = (output / "study.html").read_text(encoding="utf-8")
    assert (output / "study.pdf").read_bytes().startswith(b"%PDF")
    recorded = json.loads((checkout / "results" / "results.json").read_text())
    assert recorded["data_source"] == "synthetic"
    assert recorded["data_file"]["name"] == f"{study}.csv"
    assert "Synthetic data" in html
    assert f" {noun} " in html
    # the study's records are public, so the rebuild is checked against them
    assert "How close is a rebuild from tables?" in " ".join(html.split())
    values = recorded["values"]
    # 28 Table 1 cells in each study (counted in test_make_validate_summarises_both_studies)
    assert values["rebuild_check.cells_total"]["value"] == 28
    assert values["rebuild_check.cells_reproduced"]["value"] == 28
    assert recorded["sections"]["rebuild_check"] == ""


def test_birthwt_paper_on_the_real_records_matches_r(checkout: Path):
    make(checkout, "paper", QUICK, "STUDY=birthwt", "DATA=src/neok2/data/birthwt.csv")
    recorded = json.loads((checkout / "results" / "results.json").read_text())
    assert recorded["data_source"] == "real"
    table = pd.read_csv(checkout / "results" / "tables" / "multivariable.csv")
    fitted = dict(zip(table["term"], table["odds_ratio"], strict=True))
    # glm(low ~ age + lwt + race + smoke + ptl + ht + ui, binomial) on MASS::birthwt, as R
    # printed it at journal precision
    for term, variable, level, decimals in (
        ("race[T.Black]", "race", "Black", 2),
        ("smoke", "smoke", "", 2),
        ("lwt", "lwt", "", 3),
    ):
        expected = printed("birthwt", "multivariable", variable, level, "or")
        assert f"{fitted[term]:.{decimals}f}" == expected, term
    assert (checkout / "manuscript" / "_manuscript" / "study.pdf").exists()


def test_make_validate_summarises_both_studies(checkout: Path):
    make(checkout, "validate", "VALIDATION_SEEDS=1")
    summary = pd.read_csv(checkout / "validation" / "summary.csv")
    assert sorted(summary["study"]) == ["birthwt", "esoph"]
    # birthwt prints 7 two-group rows + race 3 levels + ptl 4 levels; esoph 6 + 4 + 4 bands,
    # each in two groups: 28 cells apiece, all of them reproduced by construction
    assert (summary["cells_total"] == 28).all()
    assert (summary["cells_reproduced"] == summary["cells_total"]).all()
    assert (summary["max_abs_log_or_ratio"] < 0.05).all()
    assert (checkout / "validation" / "summary.md").read_text().startswith("| Study |")


def test_paper_of_a_spec_file_outside_the_package(checkout: Path):
    # a replication researcher's own spec: R's infert, matched sets, written from docs/spec.md
    spec = checkout / "infert_matched.yaml"
    data = checkout / "infert_matched.csv"
    shutil.copy(ROOT / "tests" / "specs" / "infert_matched.yaml", spec)
    shutil.copy(ROOT / "tests" / "specs" / "infert_matched.csv", data)
    make(checkout, "paper", QUICK, f"STUDY={spec.name}", f"DATA={data.name}")
    recorded = json.loads((checkout / "results" / "results.json").read_text())
    assert recorded["study"] == "infert_matched"
    html = " ".join((checkout / "manuscript" / "_manuscript" / "study.html").read_text().split())
    assert "conditional logistic regression" in html
    # survival::clogit(case ~ spontaneous + induced + strata(stratum)) printed 7.29 and 4.09
    # (tests/reference/matched.R)
    table = pd.read_csv(checkout / "results" / "tables" / "multivariable.csv")
    fitted = dict(zip(table["term"], table["odds_ratio"], strict=True))
    assert f"{fitted['spontaneous']:.2f}" == "7.29" and f"{fitted['induced']:.2f}" == "4.09"


def test_a_missing_spec_is_one_line(checkout: Path):
    environment = {key: value for key, value in os.environ.items() if key != "MAKEFLAGS"}
    result = subprocess.run(
        ["make", "--no-print-directory", "paper", "STAMP=installed.stamp", "STUDY=mine.yaml"],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode != 0
    first = result.stderr.splitlines()[0]
    assert first.startswith("neok2: error: STUDY=mine.yaml: no spec file mine.yaml")
    assert "birthwt esoph k2_neonates" in first
