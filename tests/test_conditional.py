"""Conditional logistic regression and matched pairs against R (tests/reference/designs.R).

``survival::clogit(case ~ spontaneous + induced + strata(stratum), infert, method =
"exact")`` (1:M sets) and the same with ``strata(pooled.stratum)`` (sets with several cases);
profile limits re-solved in R with uniroot; ``mcnemar.test`` and ``binom.test`` on R's
McNemar example.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neok2.stats.conditional import conditional_logistic, matched_pairs

REFERENCE = Path(__file__).parent / "reference"
ITERATIVE = 1e-4
CLOSED = 1e-6


def _reference(case: str) -> dict[str, float]:
    frame = pd.read_csv(REFERENCE / "designs.csv")
    block = frame[frame["case"] == case]
    return dict(zip(block["quantity"], block["value"].astype(float), strict=True))


@pytest.fixture(scope="module")
def infert() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "infert.csv")


@pytest.mark.parametrize(
    ("column", "case"), [("stratum", "infert_stratum"), ("pooled.stratum", "infert_pooled")]
)
def test_clogit_exact_matches_survival(infert: pd.DataFrame, column: str, case: str) -> None:
    expected = _reference(case)
    wald = conditional_logistic(infert, "case ~ spontaneous + induced", matched_set=column)
    profile = conditional_logistic(
        infert,
        outcome="case",
        covariates=["spontaneous", "induced"],
        matched_set=column,
        ci="profile",
    )
    assert wald.loglik == pytest.approx(expected["loglik"], rel=ITERATIVE)
    assert wald.loglik_null == pytest.approx(expected["loglik_null"], rel=CLOSED)
    assert wald.lr_statistic == pytest.approx(expected["lr_statistic"], rel=ITERATIVE)
    assert wald.lr_p == pytest.approx(expected["lr_p"], rel=1e-3)
    for row, prow in zip(wald.tidy().itertuples(), profile.tidy().itertuples(), strict=True):
        assert row.estimate == pytest.approx(expected[f"{row.term}_coef"], rel=ITERATIVE)
        assert row.std_error == pytest.approx(expected[f"{row.term}_se"], rel=ITERATIVE)
        assert row.p_value == pytest.approx(expected[f"{row.term}_p"], rel=1e-3)
        assert row.ci_low == pytest.approx(expected[f"{row.term}_wald_low"], rel=ITERATIVE)
        assert row.ci_high == pytest.approx(expected[f"{row.term}_wald_high"], rel=ITERATIVE)
        assert prow.ci_low == pytest.approx(expected[f"{row.term}_profile_low"], rel=ITERATIVE)
        assert prow.ci_high == pytest.approx(expected[f"{row.term}_profile_high"], rel=ITERATIVE)
        assert prow.p_method == "lrt"


def test_one_to_one_pairs_give_the_discordant_ratio() -> None:
    # 6 pairs: case-only exposed 4, control-only exposed 2 -> conditional MLE 4 / 2
    frame = pd.DataFrame(
        {
            "pair": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7],
            "case": [1, 0] * 7,
            "x": [1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1],
        }
    )
    result = conditional_logistic(frame, "case ~ x", matched_set="pair")
    assert result.tidy()["odds_ratio"].iloc[0] == pytest.approx(2.0, rel=1e-8)
    # the concordant pair is informative for nothing but still counts as a set
    pairs = matched_pairs(frame, "x", "case", "pair")
    assert (pairs.case_only, pairs.control_only, pairs.both) == (4, 2, 1)
    assert pairs.odds_ratio == pytest.approx(2.0)


def test_uninformative_sets_and_missing_rows_are_reported() -> None:
    frame = pd.DataFrame(
        {
            "set": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            "case": [1, 0, 1, 0, 1, 0, 0, 0, 1, 0],
            "x": [1.0, 0.2, 0.5, 0.9, 2.0, 1.0, 0.3, 0.1, None, 1.0],
        }
    )
    result = conditional_logistic(frame, outcome="case", covariates=["x"], matched_set="set")
    assert result.n_missing == 1
    assert result.n_uninformative == 2  # set 4 has no case, set 5 lost its case
    assert result.n_sets == 3
    assert any("no case or no control" in note for note in result.notes)


def test_mcnemar_and_exact_pair_interval_match_r() -> None:
    expected = _reference("mcnemar")
    pairs = matched_pairs(table=[[794, 150], [86, 570]])
    assert pairs.mcnemar_corrected == pytest.approx(expected["statistic_cc"], rel=CLOSED)
    assert pairs.mcnemar_corrected_p == pytest.approx(expected["p_cc"], rel=CLOSED)
    assert pairs.mcnemar == pytest.approx(expected["statistic"], rel=CLOSED)
    assert pairs.mcnemar_p == pytest.approx(expected["p"], rel=CLOSED)
    assert pairs.odds_ratio == pytest.approx(expected["pair_or"], rel=CLOSED)
    assert pairs.ci_low == pytest.approx(expected["pair_or_low"], rel=CLOSED)
    assert pairs.ci_high == pytest.approx(expected["pair_or_high"], rel=CLOSED)
    assert pairs.exact_p == pytest.approx(expected["exact_p"], rel=CLOSED)
    assert pairs.tidy().shape == (1, 14)


def test_bad_input() -> None:
    frame = pd.DataFrame({"set": [1, 1, 2, 2], "case": [1, 0, 1, 0], "x": [1, 1, 0, 0]})
    with pytest.raises(ValueError, match="do not vary within"):
        conditional_logistic(frame, "case ~ x", matched_set="set")
    with pytest.raises(KeyError):
        conditional_logistic(frame, "case ~ x", matched_set="pair")
    with pytest.raises(ValueError, match="one case with one control"):
        matched_pairs(frame.assign(set=[1, 1, 1, 2]), "x", "case", "set")
    with pytest.raises(ValueError, match="discordant"):
        matched_pairs(table=[[3, 0], [0, 4]])


def test_factor_terms_use_treatment_coding(infert: pd.DataFrame) -> None:
    frame = infert.assign(
        abortions=infert["spontaneous"].map({0: "none", 1: "one", 2: "two+"}),
        one=(infert["spontaneous"] == 1).astype(float),
        two=(infert["spontaneous"] == 2).astype(float),
    )
    factor = conditional_logistic(frame, "case ~ C(abortions)", matched_set="stratum").tidy()
    dummies = conditional_logistic(
        frame, outcome="case", covariates=["one", "two"], matched_set="stratum"
    ).tidy()
    assert factor["term"].tolist() == ["C(abortions)[T.one]", "C(abortions)[T.two+]"]
    assert factor["variable"].tolist() == ["abortions", "abortions"]
    pd.testing.assert_series_equal(factor["estimate"], dummies["estimate"])
    with pytest.raises(ValueError, match="do not vary within any matched set"):
        conditional_logistic(infert, "case ~ C(education)", matched_set="stratum")
