"""Timings of neok2.synth.generator and neok2.synth.fidelity on the shipped k2_neonates study.

Target: generating and calibrating a cohort takes under 10 s on this machine.
Run: .venv/bin/python benchmarks/bench_synthesis.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from neok2.stats.logistic_many import fit_logistic_many
from neok2.study.spec import load_study
from neok2.synth.fidelity import NOT_SIGNIFICANT_STATISTIC, fidelity_report
from neok2.synth.generator import synthesize_cohort

SEED = 20200701


def timed(label: str, action: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    elapsed = (time.perf_counter() - start) / repeat
    print(f"{label:<56} {elapsed * 1000:9.1f} ms")
    return elapsed


def main() -> None:
    study = load_study("k2_neonates")
    result = synthesize_cohort(study, seed=SEED)
    generate = timed(
        "synthesize_cohort (generate + calibrate), k2_neonates",
        lambda: synthesize_cohort(study, seed=SEED),
        3,
    )
    timed("fidelity_report on the cohort", lambda: fidelity_report(study, result.data), 3)
    rng = np.random.default_rng(0)
    design = np.column_stack([np.ones(200), rng.integers(0, 2, size=(200, 5))]).astype(float)
    outcome = (rng.uniform(size=200) < 0.33).astype(float)
    timed("one 200 x 6 Newton logistic fit", lambda: fit_logistic_many(design, outcome), 200)
    batch = np.repeat(design[None], 48, axis=0)
    timed(
        "48 warm-started 200 x 6 fits (one swap-search step)",
        lambda: fit_logistic_many(batch, outcome, start=np.zeros(6), max_iter=8),
        50,
    )
    report = fidelity_report(study, result.data).tidy()
    entered = report[report["statistic"] == NOT_SIGNIFICANT_STATISTIC]
    for _, row in entered.iterrows():
        print(
            f"adjusted p of {row['variable']} (not reported as independent): "
            f"{row['synthetic']:.3f} (>= {row['published']:g}: {bool(row['ok'])})"
        )
    print(f"target: generation under 10 s -> {'met' if generate < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
