"""Timings of neok2.stats.logistic and neok2.stats.selection on MASS::birthwt and the study.

The study part times bootstrap_inclusion on the 200-row synthetic k2_neonates cohort with
its 22 candidates (target: 200 resamples in under 10 s on 2 cores) and checks, on the first
resamples, that the fast path decides as screen_and_fit does.

Run: .venv/bin/python benchmarks/bench_logistic.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from neok2.stats.bootstrap import screen_resamples
from neok2.stats.logistic import logistic_regression
from neok2.stats.selection import bootstrap_inclusion, screen_and_fit, stepwise
from neok2.study.spec import load_study
from neok2.synth.generator import synthesize_cohort

DATA = Path(__file__).resolve().parents[1] / "tests" / "reference" / "birthwt.csv"
FORMULA = "low ~ age + lwt + C(race) + smoke + ptl + ht + ui"
CANDIDATES = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"]


def timed(label: str, action: Callable[[], object], repeat: int) -> None:
    action()
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    elapsed = (time.perf_counter() - start) / repeat
    print(f"{label:<48} {elapsed * 1000:9.1f} ms")


def main() -> None:
    data = pd.read_csv(DATA)
    data["race"] = pd.Categorical(data["race"])
    endometrial = pd.read_csv(DATA.parent / "endometrial.csv")
    timed("ML fit, Wald, 9 coefficients", lambda: logistic_regression(data, FORMULA), 20)
    timed(
        "ML fit, profile CIs, 9 coefficients",
        lambda: logistic_regression(data, FORMULA, ci="profile"),
        5,
    )
    timed(
        "Firth fit, penalised profile CIs (endometrial)",
        lambda: logistic_regression(endometrial, "HG ~ NV + PI + EH", ci="profile"),
        5,
    )
    timed("screen_and_fit, 8 candidates", lambda: screen_and_fit(data, "low", CANDIDATES), 5)
    timed("stepwise backward AIC, 8 candidates", lambda: stepwise(data, "low", CANDIDATES), 3)
    timed(
        "bootstrap_inclusion screen, n_boot=200",
        lambda: bootstrap_inclusion(data, "low", CANDIDATES, n_boot=200, seed=1),
        1,
    )

    study_bootstrap()


def study_bootstrap(n_boot: int = 200, n_checked: int = 20, seed: int = 20200701) -> None:
    study = load_study("k2_neonates")
    data = synthesize_cohort(study, seed=seed).data
    candidates = list(study.candidates)
    threshold = study.screening_threshold
    start = time.perf_counter()
    bootstrap_inclusion(
        data, study.outcome, candidates, n_boot=n_boot, seed=seed, threshold=threshold
    )
    elapsed = time.perf_counter() - start
    print(
        f"{f'study bootstrap, {len(candidates)} candidates, n_boot={n_boot}':<48} {elapsed:9.2f} s"
    )

    generator = np.random.default_rng(seed)
    resamples = np.stack(
        [generator.integers(0, len(data), size=len(data)) for _ in range(n_checked)]
    )
    selected, failed = screen_resamples(
        data, study.outcome, candidates, resamples, threshold=threshold, firth="auto"
    )
    start = time.perf_counter()
    agree = 0
    for replicate, rows in enumerate(resamples):
        sample = data.iloc[rows].reset_index(drop=True)
        try:
            chosen = screen_and_fit(sample, study.outcome, candidates, threshold=threshold)
        except ValueError:
            agree += bool(failed[replicate])
            continue
        flags = [name in chosen.selected for name in candidates]
        agree += bool(not failed[replicate] and flags == selected[replicate].tolist())
    per_resample = (time.perf_counter() - start) / n_checked
    print(f"{'screen_and_fit per resample (reference path)':<48} {per_resample * 1000:9.1f} ms")
    print(f"{'fast path agrees with screen_and_fit':<48} {agree:>6}/{n_checked} resamples")


if __name__ == "__main__":
    main()
