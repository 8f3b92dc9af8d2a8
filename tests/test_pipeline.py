"""The pipeline `make paper` runs, twice from clean: byte-identical data, results and tables.

The Makefile's data and results steps are three commands (``neok2 synth``, ``neok2
validate``, ``neok2 analyze``); running them here with the Makefile's arguments in two empty
folders checks the promise behind ``make paper``: the same seed gives the same bytes. The
render step's own determinism is checked in ``test_manuscript.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NEOK2 = str(Path(sys.executable).parent / "neok2")
SEED = "20200701"  # the Makefile's default


def build(folder: Path) -> dict[str, bytes]:
    """Run the data and analysis steps of `make paper` in ``folder``; return every output."""
    data = folder / "synthetic" / "k2_neonates.csv"
    results = folder / "results"
    commands = [
        [NEOK2, "synth", "--study", "k2_neonates", "--seed", SEED, "--out", str(data)],
        [NEOK2, "validate", str(data), "--study", "k2_neonates"],
        [
            NEOK2,
            "analyze",
            str(data),
            "--study",
            "k2_neonates",
            "--seed",
            SEED,
            "--out",
            str(results),
        ],
    ]
    for command in commands:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        assert completed.returncode == 0, (command[1], completed.stderr)
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_two_clean_runs_give_identical_bytes(tmp_path: Path):
    first = build(tmp_path / "first")
    second = build(tmp_path / "second")
    assert sorted(first) == sorted(second)
    expected = {
        "synthetic/k2_neonates.csv",
        "synthetic/k2_neonates_fidelity.csv",
        "synthetic/k2_neonates_compromises.csv",
        "results/results.json",
        "results/tables/baseline.html",
        "results/tables/univariable.csv",
        "results/tables/multivariable.csv",
        "results/figures/forest.svg",
    }
    assert expected <= set(first)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
