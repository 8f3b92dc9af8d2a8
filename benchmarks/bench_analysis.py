"""Timing of `run_analysis` per section on the synthetic cohort (the `neok2 analyze` step).

Needs `synthetic/k2_neonates.csv` (run `make data` first).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from neok2.report import analysis
from neok2.study.spec import load_study

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    path = ROOT / "synthetic" / "k2_neonates.csv"
    if not path.is_file():
        raise SystemExit("bench_analysis: run `make data` first")
    data = pd.read_csv(path)
    timings: dict[str, float] = {}
    original = dict(analysis._SECTION_FUNCTIONS)

    def timed(name, function):
        def run(context, section):
            start = time.perf_counter()
            function(context, section)
            timings[name] = time.perf_counter() - start

        return run

    for name, function in original.items():
        analysis._SECTION_FUNCTIONS[name] = timed(name, function)
    start = time.perf_counter()
    analysis.run_analysis(
        data,
        load_study("k2_neonates"),
        seed=20200701,
        bootstrap_replicates=100,
        simulation_replicates=200,
    )
    total = time.perf_counter() - start
    for name, seconds in timings.items():
        print(f"section {name:16s} {seconds:6.2f} s")
    print(f"run_analysis total   {total:6.2f} s (bootstrap 100, simulation 200)")


if __name__ == "__main__":
    main()
