"""Rough edges of the generic manuscript: numbers at the precision the data carry, and the
power paragraph saying what it powers.

The measurement paragraph of birthwt quotes the median and quartiles of birth weight, recorded
in whole grams: R's values (tests/reference/measurement.R) print as integers, a half as a half.
The power section names the binary factors it powers and the multi-level ones it cannot.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neok2.formatting import decimals_carried
from neok2.report.run import run_analysis
from neok2.study.spec import load_study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "neok2" / "data"
REFERENCE = pd.read_csv(ROOT / "tests" / "reference" / "measurement.csv").set_index("group")


def _run(study: str, sections: list[str], mode: str = "replication"):
    data = pd.read_csv(DATA / f"{study}.csv")
    return run_analysis(
        data, load_study(study), seed=1, sections=sections, data_source="real", mode=mode
    )


def test_measurement_summaries_print_at_the_precision_of_the_data():
    results = _run("birthwt", ["measurement_figure"])
    values = results.values
    for group in ("case", "control"):
        median = values[f"measurement_figure.median_{group}"]
        iqr = values[f"measurement_figure.iqr_{group}"]
        assert median.value == pytest.approx(REFERENCE.loc[group, "median"], abs=1e-9)
        assert iqr.value == pytest.approx(list(REFERENCE.loc[group, ["q1", "q3"]]), abs=1e-9)
    # R: cases 2211 (1928-2395.5), controls 3267 (2948-3651); grams carry no decimals
    assert values["measurement_figure.median_case"].display == "2211"
    assert values["measurement_figure.iqr_case"].display == "1928-2395.5"
    assert values["measurement_figure.median_control"].display == "3267"
    assert values["measurement_figure.iqr_control"].display == "2948-3651"
    assert values["measurement_figure.label"].display == "Birth weight (g)"


def test_decimals_carried_by_hand():
    # 0.04 needs two decimals; 0.125 three; whole grams none; NaN is skipped
    assert decimals_carried([0.5, 0.04]) == 2
    assert decimals_carried([0.125, 2.0]) == 3
    assert decimals_carried([709.0, float("nan"), 4990.0]) == 0
    assert decimals_carried([]) == 0
    with pytest.raises(ValueError, match="max_digits"):
        decimals_carried([1.0], max_digits=-1)


def test_power_names_what_it_powers_and_what_it_leaves_out():
    birthwt = _run("birthwt", ["cohort", "power"]).values
    # birthwt's models: three binary factors powered; race (three levels) and the numeric
    # factors have no single exposed group
    assert birthwt["power.powered"].display == (
        "smoking during pregnancy, history of hypertension and uterine irritability"
    )
    not_powered = birthwt["power.not_powered"].display
    assert "race" in not_powered and "smoking" not in not_powered
    # esoph: every factor is a band of several levels, so nothing is powered, and the reason
    # says why, naming them
    esoph = _run("esoph", ["cohort", "power"])
    reason = esoph.sections["power"]
    assert "no binary factor" in reason and "several levels" in reason
    assert "age group" in reason.lower() or "agegp" in reason
