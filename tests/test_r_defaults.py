"""R's defaults where an R user expects them (tests/reference/designs.R).

- Mann-Whitney: exact p for small samples without ties (R ``wilcox.test``), the normal
  approximation with continuity correction otherwise.
- Numeric columns with fewer than 10 distinct values are summarised as categorical
  (gtsummary's rule), overridable.
- Fisher's test on r x c tables is exact (R ``fisher.test``); Monte Carlo only for tables
  too large to enumerate, and then named.
- Grouped records in the baseline table give the table of the expanded data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.stats.baseline import baseline_table
from neok2.stats.fisher_exact import fisher_exact_rxc

REFERENCE = Path(__file__).parent / "reference"
CLOSED = 1e-6
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def _reference(case: str) -> dict[str, float]:
    frame = pd.read_csv(REFERENCE / "designs.csv")
    block = frame[frame["case"] == case]
    return dict(zip(block["quantity"], block["value"].astype(float), strict=True))


def _two_groups(first: list[float], second: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"g": [0] * len(first) + [1] * len(second), "v": first + second})


def _row(table: pd.DataFrame, group: str) -> pd.Series:
    return table[table["group"] == group].iloc[0]


def test_mann_whitney_exact_without_ties() -> None:
    expected = _reference("wilcox_small")
    table = baseline_table(_two_groups(X, Y), "g", summary={"v": "median_iqr"}).tidy()
    row = _row(table, "0")
    assert row["test"] == "mann_whitney"
    assert row["statistic"] == expected["statistic"]
    assert row["p_value"] == pytest.approx(expected["p"], rel=CLOSED)
    assert "exact p" in row["note"]
    assert abs(row["p_value"] - expected["p_normal"]) > 1e-3  # the two really differ


def test_mann_whitney_normal_with_ties() -> None:
    expected = _reference("wilcox_ties")
    frame = _two_groups([1, 2, 2, 3, 4, 5, 6], [3, 4, 4, 6, 7, 8])
    table = baseline_table(frame, "g", summary={"v": "median_iqr"}).tidy()
    row = _row(table, "0")
    assert row["statistic"] == expected["statistic"]
    assert row["p_value"] == pytest.approx(expected["p"], rel=CLOSED)
    assert "exact" not in row["note"]


def test_few_distinct_values_are_categorical_and_overridable() -> None:
    birthwt = pd.read_csv(REFERENCE / "birthwt.csv")
    default = baseline_table(birthwt, "smoke", variables=["ftv", "age"]).tidy()
    ftv = default[default["variable"] == "ftv"]
    assert set(ftv["summary"]) == {"n_percent"}
    assert sorted(set(ftv["level"])) == sorted(str(v) for v in birthwt["ftv"].unique())
    assert "distinct values (< 10)" in ftv["note"].iloc[0]
    assert set(default[default["variable"] == "age"]["summary"]) != {"n_percent"}
    off = baseline_table(birthwt, "smoke", variables=["ftv"], categorical_levels=0).tidy()
    assert set(off["summary"]) == {"median_iqr"}
    wide = baseline_table(birthwt, "smoke", variables=["age"], categorical_levels=100).tidy()
    assert set(wide["summary"]) == {"n_percent"}
    with pytest.raises(ValueError, match="categorical_levels"):
        baseline_table(birthwt, "smoke", variables=["age"], categorical_levels=-1)


def _fisher_tables() -> dict[str, np.ndarray]:
    cells = pd.read_csv(REFERENCE / "designs_fisher_tables.csv")
    tables = {}
    for name, block in cells.groupby("table"):
        table = np.zeros((block["row"].max(), block["column"].max()), dtype=int)
        table[block["row"] - 1, block["column"] - 1] = block["count"]
        tables[str(name)] = table
    return tables


@pytest.mark.parametrize("name", ["small_3x3", "two_by_four", "strong_3x4", "esoph_tobacco"])
def test_exact_fisher_rxc_matches_r(name: str) -> None:
    expected = _reference(f"fisher_{name}")["p"]
    assert fisher_exact_rxc(_fisher_tables()[name]) == pytest.approx(expected, rel=CLOSED)


@pytest.mark.slow
def test_exact_fisher_job_table_within_the_default_budget() -> None:
    # R's ?fisher.test 4 x 4 job satisfaction table: exact, not Monte Carlo, at the default
    # budget (each path is decided at its child, so only undecided paths are held)
    expected = _reference("fisher_job")["p"]
    assert fisher_exact_rxc(_fisher_tables()["job"]) == pytest.approx(expected, abs=1e-6)


def test_large_table_falls_back_to_named_monte_carlo() -> None:
    job = _fisher_tables()["job"]  # R: p = 0.7827; beyond a small enumeration budget
    assert fisher_exact_rxc(job, max_nodes=2_000) is None
    rows = [(i, j) for i in range(4) for j in range(4) for _ in range(int(job[i, j]))]
    frame = pd.DataFrame(rows, columns=["satisfaction", "income"])
    frame = frame[frame["income"].isin([0, 1])].assign(g=lambda f: f["income"])
    table = baseline_table(frame, "g", variables=["satisfaction"], fisher_expected=10).tidy()
    row = _row(table, "0")
    assert row["test"] in {"fisher", "fisher_simulated"}
    if row["test"] == "fisher_simulated":
        assert "too large" in row["note"]


def test_baseline_weights_equal_expanded() -> None:
    esoph = pd.read_csv(REFERENCE / "esoph.csv")
    long = pd.concat(
        [esoph.assign(case=1, n=esoph["ncases"]), esoph.assign(case=0, n=esoph["ncontrols"])],
        ignore_index=True,
    ).drop(columns=["ncases", "ncontrols"])
    grouped = baseline_table(long, "case", variables=["agegp", "alcgp", "tobgp"], weights="n")
    expanded = baseline_table(
        long.loc[long.index.repeat(long["n"])].drop(columns="n"),
        "case",
        variables=["agegp", "alcgp", "tobgp"],
    )
    pd.testing.assert_frame_equal(grouped.tidy(), expanded.tidy())
    assert grouped.group_n == expanded.group_n
    with pytest.raises(ValueError, match="whole-number"):
        baseline_table(long.assign(n=long["n"] + 0.5), "case", variables=["agegp"], weights="n")
