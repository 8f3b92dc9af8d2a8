"""Timings of neok2.logistic and neok2.selection on MASS::birthwt (189 rows).

Run: .venv/bin/python benchmarks/bench_logistic.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from neok2.logistic import logistic_regression
from neok2.selection import bootstrap_inclusion, screen_and_fit, stepwise

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


if __name__ == "__main__":
    main()
