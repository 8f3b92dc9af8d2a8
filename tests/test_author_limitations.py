"""Author-mode limitations: events per model term, and the screen counted in variables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neok2.report.section import SectionInputs
from neok2.report.sections._author_limitations import author_limitations
from neok2.study.spec import load_study

DATA = Path(__file__).parents[1] / "src" / "neok2" / "data" / "esoph.csv"

# esoph's three banded factors as dummy terms: age 6 bands (5 terms), alcohol and tobacco
# 4 bands each (3 terms each): 11 terms of 3 variables
TERMS = ["agegp"] * 5 + ["alcgp"] * 3 + ["tobgp"] * 3


def _inputs() -> SectionInputs:
    study = load_study("esoph")
    data = pd.read_csv(DATA)
    # the youngest age band alone misses the screen (as in esoph's univariable table)
    univariable = pd.DataFrame({"variable": TERMS, "selected": [False] + [True] * 10})
    multivariable = pd.DataFrame({"variable": TERMS, "odds_ratio": [2.0] * 11})
    upstream = {"univariable": {"table": univariable}, "multivariable": {"table": multivariable}}
    return SectionInputs(data, study, 1, "real", 1, 1, {}, upstream=upstream, mode="author")


def test_events_are_per_model_term_and_the_screen_counts_variables():
    items = author_limitations(_inputs()).set_index("topic")
    # 200 cases (fewer than the 775 controls): 200 / 11 = 18.18 events per term
    final = items.loc["events per variable (final model)"]
    assert final["statement"].startswith("200 events for 11 model terms (3 variables): 18.2 ")
    assert round(float(final["value"]), 4) == round(200 / 11, 4)
    pool = items.loc["events per variable (candidate pool)", "statement"]
    assert pool.startswith("200 events for 11 candidate terms (3 variables)")
    screen = items.loc["univariable screen", "statement"]
    # 3 variables at esoph's threshold 0.1: at least 3 x 0.1 = 0.3 by chance; all 3 passed
    assert screen.startswith("Screening 3 candidate variables (11 terms;")
    assert "at p < 0.1 lets at least 0.3 through" in screen and "; 3 passed." in screen
    assert "11 candidates" not in screen and "10 passed" not in screen
