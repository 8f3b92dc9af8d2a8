"""Grouped records give the numbers of the expanded data, and R's grouped-binomial glm.

``glm(cbind(ncases, ncontrols) ~ agegp + alcgp + tobgp, binomial, esoph)`` with the bands
as unordered factors (treatment coding) wrote tests/reference/designs.csv
(tests/reference/designs.R).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.contingency import crosstab_2x2
from neok2.stats.grouped import stack_counts
from neok2.stats.logistic import logistic_regression

REFERENCE = Path(__file__).parent / "reference"
ITERATIVE = 1e-6  # R refitted with epsilon 1e-14 and profile limits re-solved by uniroot
SAME = 1e-7  # grouped and expanded fits stop at slightly different Newton iterates


def _reference(case: str) -> dict[str, float]:
    frame = pd.read_csv(REFERENCE / "designs.csv")
    block = frame[frame["case"] == case]
    return dict(zip(block["quantity"], block["value"].astype(float), strict=True))


@pytest.fixture(scope="module")
def esoph() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "esoph.csv")


def _r_term(term: str) -> str:
    # formulaic "agegp[T.35-44]" -> R "agegp35-44"
    return term.replace("[T.", "").replace("]", "")


@pytest.mark.parametrize("ci", ["wald", "profile"])
def test_cbind_counts_match_r_glm(esoph: pd.DataFrame, ci: str) -> None:
    expected = _reference("esoph_glm")
    result = logistic_regression(esoph, "cbind(ncases, ncontrols) ~ agegp + alcgp + tobgp", ci=ci)
    tidy = result.tidy()
    assert result.n == int(esoph[["ncases", "ncontrols"]].to_numpy().sum())
    assert result.events == int(esoph["ncases"].sum())
    assert result.loglik == pytest.approx(expected["loglik_expanded"], rel=1e-9)
    for row in tidy.itertuples():
        name = _r_term(row.term)
        assert row.estimate == pytest.approx(expected[f"{name}|coef"], rel=ITERATIVE, abs=1e-7)
        assert row.std_error == pytest.approx(expected[f"{name}|se"], rel=ITERATIVE)
        assert row.ci_low == pytest.approx(expected[f"{name}|{ci}_low"], rel=ITERATIVE)
        assert row.ci_high == pytest.approx(expected[f"{name}|{ci}_high"], rel=ITERATIVE)
        if ci == "wald":
            assert row.p_value == pytest.approx(expected[f"{name}|p"], rel=1e-3)


def _expand(stacked: pd.DataFrame, weight: str) -> pd.DataFrame:
    counts = stacked[weight].astype(int)
    return stacked.loc[stacked.index.repeat(counts)].drop(columns=weight).reset_index(drop=True)


@pytest.mark.parametrize(("ci", "firth"), [("wald", False), ("profile", False), ("profile", True)])
def test_grouped_equals_expanded(esoph: pd.DataFrame, ci: str, firth: bool) -> None:
    subset = esoph[esoph["agegp"].isin(["45-54", "55-64", "65-74"])]
    stacked, weight = stack_counts(subset, "ncases", "ncontrols", "case")
    formula = "case ~ alcgp + tobgp"
    grouped = logistic_regression(stacked, formula, weights=weight, ci=ci, firth=firth).tidy()
    expanded = logistic_regression(_expand(stacked, weight), formula, ci=ci, firth=firth).tidy()
    for column in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(grouped[column], expanded[column], rtol=SAME, err_msg=column)
    assert grouped["n"].iloc[0] == expanded["n"].iloc[0]
    assert grouped["events"].iloc[0] == expanded["events"].iloc[0]


def test_grouped_drop1_equals_expanded(esoph: pd.DataFrame) -> None:
    stacked, weight = stack_counts(esoph, "ncases", "ncontrols", "case")
    grouped = logistic_regression(stacked, "case ~ alcgp + tobgp", weights=weight).drop1()
    expanded = logistic_regression(_expand(stacked, weight), "case ~ alcgp + tobgp").drop1()
    np.testing.assert_allclose(grouped["lrt"], expanded["lrt"], rtol=SAME)
    np.testing.assert_allclose(grouped["deviance"], expanded["deviance"], rtol=SAME)


def test_zero_weight_rows_are_noted(esoph: pd.DataFrame) -> None:
    result = logistic_regression(esoph, "cbind(ncases, ncontrols) ~ alcgp")
    zero = int((esoph["ncases"] == 0).sum() + (esoph["ncontrols"] == 0).sum())
    assert any(f"{zero} grouped row(s) of weight 0" in note for note in result.notes)


def test_crosstab_weights_equal_expanded(esoph: pd.DataFrame) -> None:
    stacked, weight = stack_counts(esoph, "ncases", "ncontrols", "case")
    stacked["heavy"] = (stacked["alcgp"] != "0-39g/day").astype(int)
    grouped = crosstab_2x2(stacked, "heavy", "case", weights=weight)
    expanded = crosstab_2x2(_expand(stacked, weight), "heavy", "case")
    assert (grouped.a, grouped.b, grouped.c, grouped.d) == (
        expanded.a,
        expanded.b,
        expanded.c,
        expanded.d,
    )
    assert grouped.n_used == 975
    pd.testing.assert_frame_equal(grouped.odds_ratio().tidy(), expanded.odds_ratio().tidy())


def test_bad_weights(esoph: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        logistic_regression(esoph.assign(w=-1), "ncases ~ alcgp", weights="w")
    with pytest.raises(KeyError):
        logistic_regression(esoph, "cbind(ncases, missing) ~ alcgp")
    with pytest.raises(ValueError, match="whole-number"):
        crosstab_2x2(
            pd.DataFrame({"x": [1, 0], "y": [1, 0], "w": [1.5, 2.0]}), "x", "y", weights="w"
        )
