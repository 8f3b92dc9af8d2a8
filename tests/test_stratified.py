"""Mantel-Haenszel, CMH and Breslow-Day against R (tests/reference/designs.R).

R 4.2.2 wrote tests/reference/designs.csv with ``mantelhaen.test`` on the esoph data
(alcohol >= 40 g/day by case status, strata = age band) and on UCBAdmissions; the
Breslow-Day values are computed in that script from the statistic's definition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.stratified import StratifiedResult, stratified_2x2

REFERENCE = Path(__file__).parent / "reference"
CLOSED = 1e-6


def _reference(case: str) -> dict[str, float]:
    frame = pd.read_csv(REFERENCE / "designs.csv")
    block = frame[frame["case"] == case]
    return dict(zip(block["quantity"], block["value"].astype(float), strict=True))


def _esoph_long() -> pd.DataFrame:
    esoph = pd.read_csv(REFERENCE / "esoph.csv")
    exposed = (esoph["alcgp"] != "0-39g/day").astype(int)
    cases = pd.DataFrame(
        {"age": esoph["agegp"], "alcohol": exposed, "case": 1, "n": esoph["ncases"]}
    )
    controls = cases.assign(case=0, n=esoph["ncontrols"])
    return pd.concat([cases, controls], ignore_index=True)


def _ucb() -> pd.DataFrame:
    ucb = pd.read_csv(REFERENCE / "ucb_admissions.csv")
    return ucb.assign(
        male=(ucb["Gender"] == "Male").astype(int),
        admitted=(ucb["Admit"] == "Admitted").astype(int),
    )


def _check(result: StratifiedResult, expected: dict[str, float]) -> None:
    pairs = {
        "mh_or": result.mh_odds_ratio,
        "mh_ci_low": result.mh_ci_low,
        "mh_ci_high": result.mh_ci_high,
        "cmh_statistic": result.cmh_statistic,
        "cmh_p": result.cmh_p,
        "cmh_statistic_cc": result.cmh_statistic_corrected,
        "cmh_p_cc": result.cmh_p_corrected,
        "breslow_day": result.breslow_day,
        "breslow_day_tarone": result.breslow_day_tarone,
        "breslow_day_tarone_p": result.breslow_day_tarone_p,
        "crude_or": result.crude_odds_ratio,
    }
    for name, value in pairs.items():
        assert value == pytest.approx(expected[name], rel=CLOSED), name


def test_esoph_grouped_counts_match_mantelhaen_test() -> None:
    result = stratified_2x2(_esoph_long(), "alcohol", "case", "age", count="n")
    _check(result, _reference("esoph_alcohol_by_age"))
    assert result.breslow_day_df == 5


def test_ucb_admissions_match_mantelhaen_test() -> None:
    result = stratified_2x2(_ucb(), "male", "admitted", "Dept", count="Freq")
    _check(result, _reference("ucb_admissions"))


def test_expanded_rows_equal_counts() -> None:
    long = _ucb()
    expanded = long.loc[long.index.repeat(long["Freq"])].drop(columns="Freq")
    grouped = stratified_2x2(long, "male", "admitted", "Dept", count="Freq")
    plain = stratified_2x2(expanded, "male", "admitted", "Dept")
    np.testing.assert_allclose(plain.cells, grouped.cells)
    assert plain.mh_odds_ratio == pytest.approx(grouped.mh_odds_ratio, rel=1e-12)
    assert plain.breslow_day_tarone == pytest.approx(grouped.breslow_day_tarone, rel=1e-12)


def test_tables_input_and_tidy() -> None:
    ucb = _ucb()
    tables = []
    for _, block in ucb.groupby("Dept"):
        cell = block.set_index(["male", "admitted"])["Freq"]
        tables.append([[cell[(1, 1)], cell[(1, 0)]], [cell[(0, 1)], cell[(0, 0)]]])
    result = stratified_2x2(tables=tables)
    _check(result, _reference("ucb_admissions"))
    tidy = result.tidy()
    assert list(tidy["estimate"]) == ["stratum"] * 6 + ["crude", "mantel_haenszel"]
    # stratum A: 512 * 19 / (313 * 89), Woolf interval by hand
    first = tidy.iloc[0]
    assert first["odds_ratio"] == pytest.approx(512 * 19 / (313 * 89), rel=1e-12)
    half = 1.959963984540054 * np.sqrt(1 / 512 + 1 / 89 + 1 / 313 + 1 / 19)
    assert first["ci_low"] == pytest.approx(first["odds_ratio"] * np.exp(-half), rel=1e-9)
    assert list(result.tests()["test"]) == [
        "cmh",
        "cmh_corrected",
        "breslow_day",
        "breslow_day_tarone",
    ]
    assert "<table" in result._repr_html_()


def test_missing_rows_counted_and_small_strata_noted() -> None:
    frame = pd.DataFrame(
        {
            "x": [1, 0, 1, 0, 1, 0, 1, 0, 1, None],
            "y": [1, 1, 0, 0, 1, 1, 0, 0, 1, 1],
            "s": ["a"] * 4 + ["b"] * 4 + ["c", "c"],
        }
    )
    result = stratified_2x2(frame, "x", "y", "s")
    assert result.n_missing == 1
    assert any("fewer than 2" in note for note in result.notes)
    assert result.strata == ("a", "b")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"tables": [[1, 2], [3, 4]]}, ValueError),
        ({"tables": [[[-1, 2], [3, 4]]]}, ValueError),
        ({"tables": [[[0, 2], [3, 0]], [[0, 1], [1, 0]]]}, ValueError),
        ({"tables": [[[1, 2], [3, 4]]], "conf_level": 1.5}, ValueError),
        ({}, TypeError),
    ],
)
def test_bad_input(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        stratified_2x2(**kwargs)
