"""Costs behind the hardening guarantees: atomic writes, validation, CLI start-up.

Prints one line per figure (median of several runs). Run with ``make bench``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from neok2._io import atomic_write_text
from neok2.stats.contingency import odds_ratio_2x2
from neok2.study.dictionary import validate_data
from neok2.study.spec import load_study


def _median_seconds(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _cohort(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    study = load_study("k2_neonates")
    frame = pd.DataFrame({"id": [f"N{i:05d}" for i in range(n)]})
    for column in study.columns:
        if column.type == "binary":
            frame[column.name] = rng.integers(0, 2, n)
        elif column.type in ("integer", "continuous"):
            low = column.min if column.min is not None else 0.0
            high = column.max if column.max is not None else 100.0
            values = rng.uniform(low, high, n)
            frame[column.name] = np.round(values) if column.type == "integer" else values
    return frame


def main() -> None:
    text = _cohort(20_000, 1).to_csv(index=False)
    with tempfile.TemporaryDirectory() as folder:
        plain_path, atomic_path = Path(folder) / "plain.csv", Path(folder) / "atomic.csv"
        plain = _median_seconds(lambda: plain_path.write_text(text, encoding="utf-8"), 15)
        atomic = _median_seconds(lambda: atomic_write_text(atomic_path, text), 15)
    size_mb = len(text.encode()) / 1e6
    print(f"write {size_mb:.1f} MB CSV: plain {plain * 1e3:.1f} ms, atomic {atomic * 1e3:.1f} ms")

    study = load_study("k2_neonates")
    for n in (200, 20_000):
        frame = _cohort(n, 2)
        seconds = _median_seconds(lambda frame=frame: validate_data(frame, study), 5)
        print(f"validate_data, {n} rows x {frame.shape[1]} columns: {seconds * 1e3:.0f} ms")

    seconds = _median_seconds(lambda: odds_ratio_2x2(25, 41, 13, 121), 20)
    print(f"odds_ratio_2x2 (all four interval methods): {seconds * 1e3:.1f} ms per table")

    command = [str(Path(sys.executable).parent / "neok2"), "--version"]
    seconds = _median_seconds(lambda: subprocess.run(command, capture_output=True, check=True), 3)
    print(f"CLI start-up (neok2 --version): {seconds:.2f} s")


if __name__ == "__main__":
    main()
