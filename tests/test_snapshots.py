"""Snapshot tests: the great-tables HTML of the rendered tables, pinned byte for byte.

Each table is built from fixed inputs (MASS's birthwt data, the published 2x2 counts of
antenatal corticosteroids, the shipped k2_neonates spec) and rendered with a fixed HTML id,
so a change in the numbers, the labels, the notes or the layout shows up as a snapshot diff.
After a deliberate change, review the diff and refresh with
``pytest tests/test_snapshots.py --snapshot-update``; the snapshots live in
``tests/__snapshots__/test_snapshots.ambr``. They were made with great-tables as pinned in
requirements.lock.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neok2.audit.run import audit_study
from neok2.stats.baseline import baseline_table
from neok2.stats.contingency import odds_ratio_2x2
from neok2.stats.logistic import logistic_regression
from neok2.study.spec import load_study

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "birthwt.csv")


def _render_twice(build) -> str:
    first, second = build(), build()
    assert first == second, "the same inputs rendered to different HTML"
    return first


def test_baseline_table(birthwt, snapshot):
    html = _render_twice(
        lambda: (
            baseline_table(birthwt, "low", variables=["age", "lwt", "smoke", "race"])
            .to_gt(title="Mothers by birth weight")
            .as_raw_html()
        )
    )
    assert html == snapshot


def test_logistic_result(birthwt, snapshot):
    html = _render_twice(
        lambda: logistic_regression(birthwt, "low ~ age + lwt + smoke").to_gt().as_raw_html()
    )
    assert html == snapshot


def test_two_by_two(snapshot):
    html = _render_twice(lambda: odds_ratio_2x2(25, 41, 13, 121).to_gt().as_raw_html())
    assert "5.68" in html  # Woolf OR 5.675, as published and as epiR gives it
    assert html == snapshot


def test_audit(snapshot):
    study = load_study("k2_neonates")
    html = _render_twice(lambda: audit_study(study).to_gt().as_raw_html())
    assert html == snapshot


def test_repr_html_matches_the_snapshot_source(birthwt):
    table = baseline_table(birthwt, "low", variables=["age"])
    assert table._repr_html_() == table.to_gt().as_raw_html()
