"""Speed of the 2x2 odds ratios and the baseline table (plain script; `make bench` runs it).

Targets: one odds_ratio_2x2 call (all four interval methods) under 20 ms; a baseline table of
the study's size (200 subjects, 22 variables) under 2 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from neok2.stats.baseline import baseline_table
from neok2.stats.contingency import odds_ratio_2x2


def _best_of(repeats: int, job) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        timings.append(time.perf_counter() - start)
    return min(timings)


def _study_sized_frame(seed: int = 20200701) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200
    frame = {"deficiency": np.r_[np.ones(66, dtype=int), np.zeros(134, dtype=int)]}
    for index in range(12):
        frame[f"binary_{index}"] = rng.integers(0, 2, n)
    for index in range(8):
        frame[f"continuous_{index}"] = rng.normal(35, 3, n)
    frame["apgar"] = rng.integers(6, 11, n)
    frame["category"] = rng.choice(["a", "b", "c", "d"], n, p=[0.6, 0.3, 0.08, 0.02])
    return pd.DataFrame(frame)


def main() -> None:
    per_call = _best_of(20, lambda: odds_ratio_2x2(25, 41, 13, 121))
    print(f"odds_ratio_2x2 (all four methods, paper table): {per_call * 1e3:.2f} ms per call")
    zero_cell = _best_of(20, lambda: odds_ratio_2x2(0, 12, 6, 30))
    print(f"odds_ratio_2x2 (zero cell): {zero_cell * 1e3:.2f} ms per call")

    frame = _study_sized_frame()
    seconds = _best_of(3, lambda: baseline_table(frame, "deficiency"))
    print(f"baseline_table, 200 subjects x 22 variables: {seconds:.3f} s")

    birthwt = Path(__file__).resolve().parents[1] / "tests" / "reference" / "birthwt.csv"
    data = pd.read_csv(birthwt)
    seconds = _best_of(3, lambda: baseline_table(data, "smoke", overall=True).to_gt().as_raw_html())
    print(f"baseline_table + HTML, MASS::birthwt (189 x 9): {seconds:.3f} s")


if __name__ == "__main__":
    main()
