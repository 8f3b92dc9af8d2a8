"""Timing of `run_analysis` per section on the synthetic cohort (the `neok2 analyze` step).

Needs `synthetic/k2_neonates.csv` (run `make data` first).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from neok2.report import run
from neok2.study.spec import DEFAULT_STUDY, load_study

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    path = ROOT / "synthetic" / f"{DEFAULT_STUDY}.csv"
    if not path.is_file():
        raise SystemExit("bench_analysis: run `make data` first")
    data = pd.read_csv(path)
    study = load_study(DEFAULT_STUDY)
    timings: dict[str, float] = {}

    def timed(name, compute):
        def compute_timed(inputs):
            start = time.perf_counter()
            output = compute(inputs)
            timings[name] = time.perf_counter() - start
            return output

        return compute_timed

    original = run.REGISTRY
    run.REGISTRY = tuple(
        dataclasses.replace(section, compute=timed(section.name, section.compute))
        for section in original
    )
    try:
        start = time.perf_counter()
        run.run_analysis(
            data,
            study,
            seed=study.default_seed or 0,
            bootstrap_replicates=100,
            simulation_replicates=200,
        )
        total = time.perf_counter() - start
    finally:
        run.REGISTRY = original
    for name, seconds in timings.items():
        print(f"section {name:16s} {seconds:6.2f} s")
    print(f"run_analysis total   {total:6.2f} s (bootstrap 100, simulation 200)")


if __name__ == "__main__":
    main()
