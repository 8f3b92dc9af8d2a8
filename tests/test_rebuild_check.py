"""The rebuild check, tested with stand-in cohorts (the real records, permuted, planted).

Every expected number is worked out here by hand or with plain numpy, not by the module.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from neok2.cli import main
from neok2.cli.rebuild_check import mean_text
from neok2.report.run import run_analysis
from neok2.study.spec import load_study
from neok2.synth import rebuild_check as module
from neok2.synth.rebuild_check import (
    REBUILD_COLUMNS,
    SynthesisRefused,
    permute_within_groups,
    rebuild_check,
)

STUDY = load_study("birthwt")
# Table 1 of birthwt prints 28 case/control cells: age, lwt, smoke, ht, ui, ftv, bwt (2 each),
# race (3 levels x 2 groups) and ptl (4 levels x 2 groups): 7 * 2 + 6 + 8.
CELLS = 7 * 2 + 3 * 2 + 4 * 2


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    assert STUDY.microdata is not None
    return pd.read_csv(STUDY.microdata)


def _hand_permuted(real: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each Table 1 column shuffled within cases and within controls, written out with numpy."""
    rng = np.random.default_rng(seed)
    copy = real.copy()
    for column in ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt"]:
        values = real[column].to_numpy().copy()
        for group in (1, 0):
            rows = np.flatnonzero(real["low"].to_numpy() == group)
            values[rows] = real[column].to_numpy()[rng.permutation(rows)]
        copy[column] = values
    return copy


def _hand_design(frame: pd.DataFrame) -> np.ndarray:
    # Table 1 order; race (nominal) as indicators of Black (2) and Other (3) against White
    return np.column_stack(
        [
            frame["age"],
            frame["lwt"],
            (frame["race"] == 2).astype(float),
            (frame["race"] == 3).astype(float),
            frame["smoke"],
            frame["ptl"],
            frame["ht"],
            frame["ui"],
            frame["ftv"],
            frame["bwt"],
        ]
    ).astype(float)


# ----------------------------------------------------------------------------- (a) itself


def test_real_records_against_themselves_agree_everywhere(real):
    check = rebuild_check(STUDY, real, cohorts={3: real.copy()})
    row = check.tidy().iloc[0]
    assert list(check.tidy().columns) == list(REBUILD_COLUMNS)
    assert (int(row["cells_reproduced"]), int(row["cells_total"])) == (CELLS, CELLS)
    assert row["max_abs_log_or_ratio"] == 0.0
    assert (row["screen_agreement"], row["selection_agreement"]) == (1.0, 1.0)
    assert (row["correlation_max_difference"], row["correlation_rms_difference"]) == (0.0, 0.0)
    # the spec's model: seven variables, race with two levels -> eight odds ratios
    assert len(check.terms) == 8 and set(check.terms["term"]) >= {"race[Black]", "race[Other]"}


# ----------------------------------------------------------------------------- (b) permuted


def test_within_group_permutation_keeps_cells_and_moves_correlations_by_hand_value(real):
    permuted = _hand_permuted(real, seed=11)
    check = rebuild_check(STUDY, real, cohorts={11: permuted})
    row = check.tidy().iloc[0]
    # every margin within each group is kept, so every printed cell is reproduced
    assert int(row["cells_reproduced"]) == CELLS
    first, second = (
        np.corrcoef(_hand_design(permuted), rowvar=False),
        np.corrcoef(_hand_design(real), rowvar=False),
    )
    upper = np.triu_indices(10, k=1)
    difference = (first - second)[upper]
    assert len(difference) == 45  # 10 columns -> 45 pairs
    assert row["correlation_max_difference"] == pytest.approx(np.abs(difference).max(), abs=1e-12)
    assert row["correlation_rms_difference"] == pytest.approx(
        np.sqrt((difference**2).sum() / 45), abs=1e-12
    )
    assert row["max_abs_log_or_ratio"] > 0.0
    assert (check.terms["abs_log_ratio"] > 0).all()


def test_the_yardstick_is_the_permutation_of_the_module_with_the_cohorts_seed(real):
    check = rebuild_check(STUDY, real, cohorts={5: real})
    columns = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt"]
    permuted = permute_within_groups(real, "low", columns, seed=5)
    difference = (
        np.corrcoef(_hand_design(permuted), rowvar=False)
        - np.corrcoef(_hand_design(real), rowvar=False)
    )[np.triu_indices(10, k=1)]
    row = check.tidy().iloc[0]
    assert row["permuted_rms_difference"] == pytest.approx(np.sqrt(np.mean(difference**2)))
    for group in (0, 1):
        for column in columns:
            assert sorted(permuted.loc[permuted["low"] == group, column]) == sorted(
                real.loc[real["low"] == group, column]
            )


# ----------------------------------------------------------------------------- (c) planted


def test_three_cases_moved_between_race_levels_break_exactly_two_cells(real):
    planted = real.copy()
    white_cases = planted.index[(planted["low"] == 1) & (planted["race"] == 1)][:3]
    planted.loc[white_cases, "race"] = 2
    check = rebuild_check(STUDY, real, cohorts={1: planted})
    # case White 23 -> 20 ("20 (33.9)" is not "23 (39.0)"), case Black 11 -> 14; the case
    # total stays 59, so no other percentage moves, and the controls are untouched
    assert int(check.tidy().iloc[0]["cells_reproduced"]) == CELLS - 2
    cells = check.cells
    broken = cells[(cells["seed"] == 1) & ~cells["reproduced"]]
    assert sorted(zip(broken["variable"], broken["level"], broken["group"], strict=True)) == [
        ("race", "Black", "case"),
        ("race", "White", "case"),
    ]
    assert set(broken["rebuilt"]) == {"20 (33.9)", "14 (23.7)"}


# ----------------------------------------------------------------------------- summaries, args


def test_summary_averages_over_cohorts(real):
    check = rebuild_check(STUDY, real, cohorts={1: real, 2: _hand_permuted(real, seed=2)})
    per_seed = check.tidy()
    summary = check.summary().iloc[0]
    assert summary["n_seeds"] == 2
    for column in ("max_abs_log_or_ratio", "correlation_rms_difference"):
        assert summary[column] == pytest.approx((per_seed[column][0] + per_seed[column][1]) / 2)


def test_result_hands_out_copies(real):
    check = rebuild_check(STUDY, real, cohorts={1: real})
    handed, cells = check.tidy(), check.cells
    handed.loc[0, "cells_reproduced"] = -5
    cells.loc[0, "reproduced"] = False
    assert int(check.tidy().loc[0, "cells_reproduced"]) == CELLS
    assert bool(check.cells.loc[0, "reproduced"])
    assert 'id="neok2-rebuild-check"' in check._repr_html_()


class TestErrors:
    def test_seeds_and_cohorts_exclusive(self, real):
        with pytest.raises(ValueError, match="exactly one of `seeds`"):
            rebuild_check(STUDY, real, seeds=[1], cohorts={1: real})
        with pytest.raises(ValueError, match="exactly one of `seeds`"):
            rebuild_check(STUDY, real)

    def test_real_needs_the_outcome(self, real):
        with pytest.raises(ValueError, match="`real` has no outcome column 'low'"):
            rebuild_check(STUDY, real.drop(columns="low"), cohorts={1: real})

    def test_study_type(self, real):
        with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
            rebuild_check("birthwt", real, cohorts={1: real})  # type: ignore[arg-type]

    def test_repeated_seeds(self, real):
        with pytest.raises(ValueError, match="must not repeat"):
            rebuild_check(STUDY, real, seeds=[1, 1])

    def test_refusal_is_named(self, real, monkeypatch):
        def refuse(study, *, seed):
            raise ValueError("cannot yet rebuild table1 'race'")

        monkeypatch.setattr(module, "synthesize_cohort", refuse)
        with pytest.raises(SynthesisRefused, match=r"cannot rebuild study 'birthwt'.*'race'"):
            rebuild_check(STUDY, real, seeds=[1])


def test_seeds_build_cohorts_with_the_synthesizer(real, monkeypatch):
    asked = []

    def stand_in(study, *, seed):
        asked.append(seed)
        return SimpleNamespace(data=real.copy())

    monkeypatch.setattr(module, "synthesize_cohort", stand_in)
    check = rebuild_check(STUDY, real, seeds=[4, 9])
    assert asked == [4, 9] and check.seeds == (4, 9)


# ----------------------------------------------------------------------------- spec field


def test_shipped_specs_declare_their_microdata():
    assert STUDY.microdata is not None and STUDY.microdata.name == "birthwt.csv"
    assert STUDY.microdata.is_file()
    assert load_study("k2_neonates").microdata is None


# ----------------------------------------------------------------------------- section


def test_section_left_out_without_microdata():
    data = pd.DataFrame({"deficiency": [1, 0], "k2_ng_ml": [0.05, 0.5]})
    results = run_analysis(data, load_study("k2_neonates"), seed=1, sections=["rebuild_check"])
    assert "declares no real microdata" in results.sections["rebuild_check"]


def test_section_left_out_when_the_synthesizer_refuses(real, monkeypatch):
    def refuse(study, *, seed):
        raise ValueError("no")

    monkeypatch.setattr(module, "synthesize_cohort", refuse)
    results = run_analysis(real, STUDY, seed=1, sections=["rebuild_check"], data_source="real")
    assert results.sections["rebuild_check"] == (
        "the synthesizer cannot yet rebuild this study from its tables"
    )


def test_section_quotes_the_check(real, monkeypatch):
    monkeypatch.setattr(
        module, "synthesize_cohort", lambda study, *, seed: SimpleNamespace(data=real.copy())
    )
    results = run_analysis(real, STUDY, seed=7, sections=["rebuild_check"], data_source="real")
    assert results.sections["rebuild_check"] == ""
    values = results.values
    assert values["rebuild_check.n_seeds"].value == 3
    assert values["rebuild_check.cells_reproduced"].display == str(CELLS)
    assert values["rebuild_check.cells_share"].display == "100%"
    assert values["rebuild_check.max_abs_log_or_ratio"].value == 0.0
    # the real records set beside themselves: ORs equal, correlations equal
    assert values["rebuild_check.max_or_difference_percent"].value == 0.0
    assert values["rebuild_check.correlation_reading"].value == 0.0
    assert values["rebuild_check.correlation_reading"].display.startswith("essentially at the")
    assert list(results.tables["rebuild_check"]["seed"]) == [7, 8, 9]
    assert 'id="tbl_rebuild_check"' in results.table_html["rebuild_check"]


# ----------------------------------------------------------------------------- CLI


def test_cli_with_a_stand_in_cohort_and_the_summary(tmp_path):
    assert STUDY.microdata is not None
    out = tmp_path / "validation" / "birthwt.csv"
    runner = CliRunner()
    args = ["rebuild-check", str(STUDY.microdata), "--study", "birthwt", "--out", str(out)]
    result = runner.invoke(main, [*args, "--cohort", str(STUDY.microdata), "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert f"Table 1 cells {CELLS}/{CELLS};" in result.output
    written = pd.read_csv(out, keep_default_na=False)
    assert list(written.columns) == list(REBUILD_COLUMNS)
    assert (int(written.loc[0, "seed"]), int(written.loc[0, "cells_reproduced"])) == (4, CELLS)
    summary = tmp_path / "validation" / "summary.csv"
    result = runner.invoke(main, ["rebuild-check", "--summary-of", str(out), "--out", str(summary)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(summary)["study"].tolist() == ["birthwt"]
    markdown = summary.with_suffix(".md").read_text()
    # one cohort reproducing all 28 cells: a whole mean prints as an integer
    assert markdown.splitlines()[2].startswith(f"| birthwt | 1 | {CELLS}/{CELLS} (100%) |")


def test_mean_over_cohorts_prints_whole_values_as_integers():
    # 27 and 28 of 28 cells over two cohorts: mean 27.5 (98.2%); 28 and 28: 28 (100%)
    assert (mean_text(28.0), mean_text(100 * 28 / 28)) == ("28", "100")
    assert (mean_text((27 + 28) / 2), mean_text(100 * 27.5 / 28)) == ("27.5", "98.2")


def test_cli_refuses_to_overwrite_its_input(tmp_path):
    data = tmp_path / "records.csv"
    assert STUDY.microdata is not None
    data.write_bytes(STUDY.microdata.read_bytes())
    result = CliRunner().invoke(
        main, ["rebuild-check", str(data), "--study", "birthwt", "--out", str(data), "--force"]
    )
    assert result.exit_code != 0
    assert data.read_bytes() == STUDY.microdata.read_bytes()


def test_cli_says_in_one_line_when_the_synthesizer_refuses(tmp_path, monkeypatch):
    def refuse(study, *, seed):
        raise ValueError("the synthesizer cannot yet rebuild table1 'race'")

    monkeypatch.setattr(module, "synthesize_cohort", refuse)
    out = tmp_path / "v.csv"
    result = CliRunner().invoke(
        main, ["rebuild-check", str(STUDY.microdata), "--study", "birthwt", "--out", str(out)]
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot rebuild study 'birthwt'" in lines[0]
    assert not out.exists()


def test_hand_design_pairs_are_all_pairs():
    # guard of the hand computation above: 10 columns give C(10, 2) pairs
    assert len(list(itertools.combinations(range(10), 2))) == 45
