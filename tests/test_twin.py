"""Synthetic twin of real records: synthesis rules, utility, disclosure and the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from neok2.cli import main
from neok2.stats.growth import GROWTH_REFERENCE_RANGE, birthweight_centile_10
from neok2.study.dictionary import validate_data
from neok2.study.spec import load_study
from neok2.synth.generator import synthesize_cohort
from neok2.synth.twin import TwinResult, synthesize_from_data
from neok2.synth.twin_disclosure import (
    check_replicated_uniques,
    closest_record_distances,
    disclosure_report,
    replicated_uniques,
)
from neok2.synth.twin_utility import (
    ci_overlap,
    compare_case_control,
    propensity_utility,
    table_utility,
)

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def k2() -> pd.DataFrame:
    return synthesize_cohort(load_study("k2_neonates"), seed=20200701).data


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "birthwt.csv").drop(columns="bwt")


BIRTHWT_TYPES = {
    "low": "binary",
    "age": "integer",
    "lwt": "integer",
    "race": "categorical",
    "smoke": "binary",
    "ptl": "integer",
    "ht": "binary",
    "ui": "binary",
    "ftv": "integer",
}


# ----------------------------------------------------------------------------- synthesis


def test_same_seed_gives_byte_identical_csv(birthwt: pd.DataFrame) -> None:
    def csv(seed: int) -> str:
        result = synthesize_from_data(
            birthwt, None, seed=seed, outcome="low", variables=BIRTHWT_TYPES
        )
        return result.data.to_csv(index=False, lineterminator="\n")

    assert csv(3) == csv(3)
    assert csv(3) != csv(4)


def test_k2_twin_keeps_dictionary_counts_and_definitions(k2: pd.DataFrame) -> None:
    result = synthesize_from_data(k2, "k2_neonates", seed=11)
    twin = result.data
    assert validate_data(twin, "k2_neonates").ok  # types, ranges, codes, preterm/k2 rules
    assert (result.n_cases, result.n_controls) == (66, 134)
    assert int(twin["deficiency"].sum()) == int(k2["deficiency"].sum())
    assert ((twin["k2_ng_ml"] < 0.1) == (twin["deficiency"] == 1)).all()
    assert ((twin["k2_ng_ml"] < 0.05) == (twin["k2_undetectable"] == 1)).all()
    assert ((twin["ga_weeks"] < 37) == (twin["preterm"] == 1)).all()
    cut = birthweight_centile_10(twin["ga_weeks"], twin["male"])
    assert ((twin["birthweight_kg"] < cut) == (twin["sga"] == 1)).all()
    assert not set(twin["id"]) & set(k2["id"])  # no real identifier survives
    # CART donors: every synthesised value is a real value of the same column
    assert set(twin["pt_s"]) <= set(k2["pt_s"])
    roles = result.tidy().set_index("variable")["role"]
    assert roles["sga"] == "derived" and roles["deficiency"] == "outcome"


def test_missingness_is_synthesised(birthwt: pd.DataFrame) -> None:
    real = birthwt.copy()
    rng = np.random.default_rng(0)
    holes = rng.random(len(real)) < 0.3
    real.loc[holes, "lwt"] = np.nan
    result = synthesize_from_data(real, None, seed=5, outcome="low", variables=BIRTHWT_TYPES)
    twin_missing = int(result.data["lwt"].isna().sum())
    assert 0.15 * len(real) < twin_missing < 0.45 * len(real)
    assert result.tidy().set_index("variable").loc["lwt", "n_missing_twin"] == twin_missing
    assert result.data["lwt"].dtype == "Int64"


def test_parametric_respects_ranges_and_codes(birthwt: pd.DataFrame) -> None:
    result = synthesize_from_data(
        birthwt, None, seed=2, method="parametric", outcome="low", variables=BIRTHWT_TYPES
    )
    twin = result.data
    assert twin["age"].between(birthwt["age"].min(), birthwt["age"].max()).all()
    assert set(twin["race"]) <= {1, 2, 3}
    assert (twin["ftv"] % 1 == 0).all()
    assert int(twin["low"].sum()) == 59


@settings(
    max_examples=4,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["cart", "parametric"]),
    min_leaf=st.integers(1, 12),
)
def test_rules_hold_for_any_seed_method_and_leaf(
    k2: pd.DataFrame, seed: int, method: str, min_leaf: int
) -> None:
    result = synthesize_from_data(
        k2,
        "k2_neonates",
        seed=seed,
        method=method,
        min_leaf=min_leaf,  # type: ignore[arg-type]
    )
    twin = result.data
    assert validate_data(twin, "k2_neonates").ok
    assert int(twin["deficiency"].sum()) == 66
    assert ((twin["k2_ng_ml"] < 0.1) == (twin["deficiency"] == 1)).all()
    # The SGA rule holds wherever the growth reference covers the gestational age.
    covered = twin[twin["ga_weeks"].between(*GROWTH_REFERENCE_RANGE)]
    cut = birthweight_centile_10(covered["ga_weeks"], covered["male"])
    assert ((covered["birthweight_kg"] < cut) == (covered["sga"] == 1)).all()
    for column in ("apgar_1min", "maternal_age"):
        assert (twin[column] % 1 == 0).all()


def test_bad_arguments_name_the_argument(birthwt: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="`variables`"):
        synthesize_from_data(birthwt, None, seed=1, outcome="low")
    with pytest.raises(ValueError, match="`method`"):
        synthesize_from_data(
            birthwt,
            None,
            seed=1,
            outcome="low",
            variables=BIRTHWT_TYPES,
            method="gan",  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="`visit_order` must start"):
        synthesize_from_data(
            birthwt,
            None,
            seed=1,
            outcome="low",
            variables=BIRTHWT_TYPES,
            visit_order=["age", "low", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"],
        )
    partial = {k: v for k, v in BIRTHWT_TYPES.items() if k != "ftv"}
    with pytest.raises(ValueError, match="ftv"):
        synthesize_from_data(birthwt, None, seed=1, outcome="low", variables=partial)


# ----------------------------------------------------------------------------- utility


def test_pmse_hand_computed_three_level_category() -> None:
    # Real: a, a, b, c; twin: a, b, b, b. The main-effects model of one 3-level factor is
    # saturated, so each fitted p is the twin share of its level:
    #   a: 1 twin of 3 -> 1/3;  b: 3 of 4 -> 3/4;  c: 0 of 1 -> 0.   c = 4/8 = 1/2, N = 8.
    # pMSE = [3 (1/3 - 1/2)^2 + 4 (3/4 - 1/2)^2 + 1 (0 - 1/2)^2] / 8
    #      = [3/36 + 4/16 + 1/4] / 8 = (1/12 + 1/2) / 8 = (7/12) / 8 = 7/96.
    # k = 3 (intercept + 2 dummies): E = 2 (1/2)^2 (1/2) / 8 = 1/32; SD = sqrt(4) / 64 = 1/32.
    real = pd.DataFrame({"g": ["a", "a", "b", "c"]})
    twin = pd.DataFrame({"g": ["a", "b", "b", "b"]})
    result = propensity_utility(real, twin, {"g": "categorical"})
    assert result.k == 3
    assert result.pmse == pytest.approx(7 / 96, abs=1e-6)  # ML pushes p(c) to ~0
    assert result.expected == pytest.approx(1 / 32)
    assert result.sd == pytest.approx(1 / 32)
    assert result.ratio == pytest.approx((7 / 96) / (1 / 32), abs=1e-4)  # 7/3
    assert result.standardised == pytest.approx((7 / 96 - 1 / 32) / (1 / 32), abs=1e-4)  # 4/3


def test_pmse_unequal_sizes_null_expectation() -> None:
    # Real x = 0, 1, 0, 1, 0, 1 (n = 6); twin x = 0, 1, 1 (n = 3): c = 3/9 = 1/3, N = 9.
    # p(x=0) = 1 twin / 4 = 1/4, p(x=1) = 2 / 5.
    # pMSE = [4 (1/4 - 1/3)^2 + 5 (2/5 - 1/3)^2] / 9 = [4/144 + 5/225] / 9
    #      = [1/36 + 1/45] / 9 = (5/180 + 4/180) / 9 = (1/20) / 9 = 1/180.
    # E = 1 (2/3)^2 (1/3) / 9 = (4/27) / 9 = 4/243.
    real = pd.DataFrame({"x": [0, 1, 0, 1, 0, 1]})
    twin = pd.DataFrame({"x": [0, 1, 1]})
    result = propensity_utility(real, twin, {"x": "binary"})
    assert result.c == pytest.approx(1 / 3)
    assert result.pmse == pytest.approx(1 / 180)
    assert result.expected == pytest.approx(4 / 243)
    assert result.ratio == pytest.approx((1 / 180) / (4 / 243))


def test_pmse_drops_constant_and_aliased_columns() -> None:
    real = pd.DataFrame({"x": [0, 0, 1, 1], "y": [0, 0, 1, 1], "z": [5, 5, 5, 5]})
    twin = pd.DataFrame({"x": [0, 1, 1, 1], "y": [0, 1, 1, 1], "z": [5, 5, 5, 5]})
    result = propensity_utility(real, twin, {"x": "binary", "y": "binary", "z": "integer"})
    assert result.k == 2 and result.terms == ("x",)
    assert result.pmse == pytest.approx(1 / 60)  # as the one-variable case in the doctest


def test_table_utility_two_way_by_hand() -> None:
    # Cells (x, y): real (0,0), (0,1), (1,1), (1,1); twin (0,0), (0,0), (1,1), (1,0).
    # Cell totals: (0,0) 3 with 2 twin, (0,1) 1 with 0, (1,0) 1 with 1, (1,1) 3 with 1.
    # c = 1/2, N = 8: pMSE = [3 (2/3 - 1/2)^2 + 1/4 + 1/4 + 3 (1/3 - 1/2)^2] / 8
    #               = [1/12 + 1/2 + 1/12] / 8 = (2/3) / 8 = 1/12; df = 3.
    real = pd.DataFrame({"x": [0, 0, 1, 1], "y": [0, 1, 1, 1]})
    twin = pd.DataFrame({"x": [0, 0, 1, 1], "y": [0, 0, 1, 0]})
    tables = table_utility(real, twin, {"x": "binary", "y": "binary"}).set_index("table")
    row = tables.loc["x x y"]
    assert row["pmse"] == pytest.approx(1 / 12)
    assert row["df"] == 3
    assert row["pmse_ratio"] == pytest.approx((1 / 12) / (3 * 0.25 * 0.5 / 8))
    # real (1/4, 1/4, 0, 1/2) vs twin (1/2, 0, 1/4, 1/4): TVD = (1/4 + 1/4 + 1/4 + 1/4) / 2
    assert row["total_variation"] == pytest.approx(0.5)


def test_ci_overlap_by_hand() -> None:
    # Real OR 2.0 (1.0-4.0), twin OR 4.0 (2.0-8.0), on the log scale: [0, log 4] and
    # [log 2, log 8]; shared [log 2, log 4] of length log 2; widths log 4 = 2 log 2 each:
    # J = log2 / (2 * 2 log2) + log2 / (2 * 2 log2) = 1/4 + 1/4 = 1/2.
    logs = [math.log(v) for v in (1.0, 4.0, 2.0, 8.0)]
    assert ci_overlap(*logs) == pytest.approx(0.5)
    assert ci_overlap(0.0, 1.0, 0.0, 1.0) == 1.0
    assert ci_overlap(0.0, 1.0, 3.0, 5.0) == pytest.approx(-2 / 2 / 1 - 2 / 2 / 2)  # -1.5


def test_compare_case_control_identical_data_overlaps_fully(birthwt: pd.DataFrame) -> None:
    candidates = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"]
    comparison = compare_case_control(
        birthwt, birthwt, "low", candidates, types=BIRTHWT_TYPES, threshold=0.1
    )
    assert comparison.adjusted["ci_overlap"].to_numpy() == pytest.approx(1.0)
    assert comparison.screen["agree"].all() and comparison.table1["agree"].all()
    assert "race[T.3]" in set(comparison.adjusted["term"])  # categorical entered as factor


# ----------------------------------------------------------------------------- disclosure


def test_replicated_uniques_hand_example() -> None:
    # Real keys: (F, 30) x2, (M, 41), (M, 52), (F, 61): uniques (M, 41), (M, 52), (F, 61).
    # Twin: (M, 41) once -> replicated; (M, 52) twice -> not unique in the twin; (F, 30)
    # not unique in the real data; (F, 70) absent from the real data. 1 of 5 = 20%.
    real = pd.DataFrame({"sex": ["F", "F", "M", "M", "F"], "age": [30, 30, 41, 52, 61]})
    twin = pd.DataFrame({"sex": ["M", "M", "M", "F", "F"], "age": [41, 52, 52, 30, 70]})
    uniques, replicated, flags = replicated_uniques(real, twin)
    assert (uniques, replicated) == (3, 1)
    assert flags.tolist() == [True, False, False, False, False]
    report = disclosure_report(real, twin, {"sex": "categorical", "age": "integer"})
    assert report.replicated_uniques_rate == pytest.approx(0.2)
    check_replicated_uniques(report, 0.2)  # at the threshold: accepted
    with pytest.raises(ValueError, match="`max_replicated_uniques`"):
        check_replicated_uniques(report, 0.1)


def test_closest_record_distance_by_hand() -> None:
    # Gower with the real age range 52 - 30 = 22: twin (M, 41) to real (M, 41) = 0; twin
    # (F, 36) to nearest real (F, 30): (|36 - 30| / 22 + 0) / 2 = 3/22. Real to real: the
    # two (F, 30) are 0 apart; (M, 41) and (M, 52) are (11/22 + 0) / 2 = 1/4 apart.
    real = pd.DataFrame({"sex": ["F", "F", "M", "M"], "age": [30, 30, 41, 52]})
    twin = pd.DataFrame({"sex": ["M", "F"], "age": [41, 36]})
    twin_to_real, real_to_real = closest_record_distances(
        real, twin, {"sex": "categorical", "age": "integer"}
    )
    assert twin_to_real.tolist() == pytest.approx([0.0, 3 / 22])
    assert real_to_real.tolist() == pytest.approx([0.0, 0.0, 0.25, 0.25])


def test_threshold_refusal_in_synthesis(birthwt: pd.DataFrame) -> None:
    def twin(threshold: float | None) -> TwinResult:
        return synthesize_from_data(
            birthwt,
            None,
            seed=1,
            outcome="low",
            variables=BIRTHWT_TYPES,
            min_leaf=1,
            max_replicated_uniques=threshold,
        )

    rate = twin(None).disclosure.replicated_uniques_rate
    assert rate > 0  # one-record leaves copy real records
    with pytest.raises(ValueError, match="`max_replicated_uniques`"):
        twin(rate / 2)
    accepted = twin(rate)
    assert accepted.disclosure.replicated_uniques_rate == rate


# ----------------------------------------------------------------------------- CLI


def test_cli_end_to_end(tmp_path: Path, k2: pd.DataFrame, capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "k2.csv"
    k2.to_csv(data, index=False)
    original = data.read_bytes()
    out = tmp_path / "twin" / "k2_twin.csv"
    args = ["twin", str(data), "--out", str(out), "--seed", "3", "--min-leaf", "8"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    first = out.read_bytes()
    for suffix in ("_report.csv", "_report.html", "_availability.md"):
        assert out.with_name(f"k2_twin{suffix}").stat().st_size > 0
    twin = pd.read_csv(out)
    assert validate_data(twin, "k2_neonates").ok and int(twin["deficiency"].sum()) == 66
    statement = out.with_name("k2_twin_availability.md").read_text()
    assert "seed 3" in statement and "66 cases" in statement
    report = pd.read_csv(out.with_name("k2_twin_report.csv"))
    assert {"general_utility", "adjusted", "disclosure", "table1", "screen"} <= set(
        report["section"]
    )
    with pytest.raises(SystemExit):
        main(args)
    assert out.read_bytes() == first  # same seed, byte-identical twin
    with pytest.raises(SystemExit) as refused:
        main(["twin", str(data), "--out", str(data)])
    assert refused.value.code == 2
    assert "never writes over its inputs" in capsys.readouterr().err
    assert data.read_bytes() == original
