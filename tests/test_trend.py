"""Cochran-Armitage trend test and per-level odds ratios against R's prop.trend.test.

Reference values: tests/reference/designs.R (R's prop.trend.test example and the esoph
alcohol bands; the per-level Woolf odds ratios are computed there from the counts).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.trend import exposure_trend

REFERENCE = Path(__file__).parent / "reference"
CLOSED = 1e-6
SMOKERS = [83, 90, 129, 70]
PATIENTS = [86, 93, 136, 82]
ALCOHOL = ["0-39g/day", "40-79", "80-119", "120+"]


def _reference(case: str) -> dict[str, float]:
    frame = pd.read_csv(REFERENCE / "designs.csv")
    block = frame[frame["case"] == case]
    return dict(zip(block["quantity"], block["value"].astype(float), strict=True))


def test_prop_trend_test_example() -> None:
    controls = np.subtract(PATIENTS, SMOKERS)
    expected = _reference("trend_smokers")
    result = exposure_trend(cases=SMOKERS, controls=controls)
    assert result.statistic == pytest.approx(expected["statistic"], rel=CLOSED)
    assert result.p_value == pytest.approx(expected["p"], rel=CLOSED)
    scored = exposure_trend(cases=SMOKERS, controls=controls, scores=[0, 1, 2, 4])
    expected = _reference("trend_smokers_scores")
    assert scored.statistic == pytest.approx(expected["statistic"], rel=CLOSED)
    assert scored.p_value == pytest.approx(expected["p"], rel=CLOSED)


@pytest.fixture(scope="module")
def esoph_long() -> pd.DataFrame:
    esoph = pd.read_csv(REFERENCE / "esoph.csv")
    cases = esoph.assign(case=1, n=esoph["ncases"])
    controls = esoph.assign(case=0, n=esoph["ncontrols"])
    return pd.concat([cases, controls], ignore_index=True)


def test_esoph_alcohol_bands_grouped_and_ordered(esoph_long: pd.DataFrame) -> None:
    expected = _reference("trend_esoph_alcohol")
    result = exposure_trend(esoph_long, "alcgp", "case", weights="n", levels=ALCOHOL)
    assert result.statistic == pytest.approx(expected["statistic"], rel=CLOSED)
    assert result.p_value == pytest.approx(expected["p"], rel=CLOSED)
    tidy = result.tidy()
    assert tidy["level"].tolist() == ALCOHOL
    assert tidy["ci_method"].iloc[0] == "reference"
    for k in (2, 3, 4):
        row = tidy.iloc[k - 1]
        assert row["odds_ratio"] == pytest.approx(expected[f"or_{k}"], rel=CLOSED)
        assert row["ci_low"] == pytest.approx(expected[f"or_low_{k}"], rel=CLOSED)
        assert row["ci_high"] == pytest.approx(expected[f"or_high_{k}"], rel=CLOSED)
    # an ordered categorical carries its own order; expanded rows give the same test
    ordered = esoph_long.assign(
        alcgp=pd.Categorical(esoph_long["alcgp"], categories=ALCOHOL, ordered=True)
    )
    expanded = ordered.loc[ordered.index.repeat(ordered["n"])]
    plain = exposure_trend(expanded, "alcgp", "case")
    assert plain.statistic == pytest.approx(result.statistic, rel=1e-12)


def test_reference_level_and_errors(esoph_long: pd.DataFrame) -> None:
    result = exposure_trend(cases=[10, 20, 30], controls=[30, 20, 10], reference=2)
    tidy = result.tidy()
    assert tidy.loc[1, "ci_method"] == "reference"
    assert tidy.loc[0, "odds_ratio"] == pytest.approx((10 * 20) / (20 * 30))
    with pytest.raises(ValueError, match="order is unknown"):
        exposure_trend(esoph_long, "alcgp", "case", weights="n")
    with pytest.raises(ValueError, match="reference"):
        exposure_trend(cases=[1, 2], controls=[2, 1], reference=5)
    with pytest.raises(ValueError, match="scores"):
        exposure_trend(cases=[1, 2], controls=[2, 1], scores=[1, 2, 3])
    with pytest.raises(ValueError, match="both cases and controls"):
        exposure_trend(cases=[0, 0], controls=[2, 1])
