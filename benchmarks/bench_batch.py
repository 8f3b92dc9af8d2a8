"""Speed of the vectorised logistic engine against a statsmodels loop, and of a large grid.

Prints, in one run: fits per second of ``neok2.stats.batch.fit_logistic_batch`` on 2,000
replicates (n = 200, intercept + 5 binary covariates, a different design per replicate) and
of ``statsmodels`` ``Logit(...).fit(disp=0)`` (its default settings) looped over the first
200 of the same replicates, and their ratio (target: at least 100x). Both are warmed up
first, then timed in alternating rounds (five engine calls, one statsmodels loop) so that
they share whatever load the machine carries; the figures are medians over the rounds.
Then the agreement of the coefficients with statsmodels on every non-separated, full-rank
replicate of the 2,000 (target: 1e-6), and the time of a simulated grid of about 10^6
logistic fits (``neok2.stats.simulation.simulate_pipeline`` on the K2 study model), or of 10^5
fits extrapolated when 10^6 would take over two minutes.
"""

from __future__ import annotations

import resource
import time
import warnings

import numpy as np
import statsmodels.api as sm

from neok2.stats.batch import LogisticBatchResult, fit_logistic_batch
from neok2.stats.simulation import model_from_study, simulate_pipeline
from neok2.study.spec import load_study

N_REPLICATES = 2_000
N_STATSMODELS = 200
N_OBS = 200
N_ROUNDS = 15
# Engine calls per timed round: a single call lasts a few hundredths of a second, short enough
# for one preemption by another process to distort it; five keep a round comparable in length
# to a statsmodels round.
ENGINE_CALLS_PER_ROUND = 5
PREVALENCE = np.array([0.1, 0.2, 0.3, 0.5, 0.15])
BETA = np.array([-1.0, 0.7, 0.3, 0.5, -0.4, 0.9])
TARGET_SPEED_UP = 100.0
TARGET_AGREEMENT = 1e-6
GRID_SIZES = [200, 400]
TIME_LIMIT_SECONDS = 120.0


def _replicates(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    exposures = (rng.random((N_REPLICATES, N_OBS, len(PREVALENCE))) < PREVALENCE).astype(float)
    X = np.concatenate([np.ones((N_REPLICATES, N_OBS, 1)), exposures], axis=2)
    Y = (rng.random((N_REPLICATES, N_OBS)) < 1.0 / (1.0 + np.exp(-(X @ BETA)))).astype(float)
    return X, Y


def _statsmodels_coefficients(X: np.ndarray, Y: np.ndarray, count: int) -> np.ndarray:
    """Coefficients of the first ``count`` replicates; NaN where statsmodels gives up."""
    coefficients = np.full((count, X.shape[2]), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for replicate in range(count):
            try:
                coefficients[replicate] = sm.Logit(Y[replicate], X[replicate]).fit(disp=0).params
            except np.linalg.LinAlgError:
                continue
    return coefficients


def _timed_rounds(X: np.ndarray, Y: np.ndarray) -> tuple[list[float], list[float]]:
    """Seconds per round: per engine call (all replicates) and per statsmodels loop (its
    subset)."""
    fit_logistic_batch(X, Y)
    _statsmodels_coefficients(X, Y, 20)
    engine_seconds, statsmodels_seconds = [], []
    for _ in range(N_ROUNDS):
        start = time.perf_counter()
        for _ in range(ENGINE_CALLS_PER_ROUND):
            fit_logistic_batch(X, Y)
        engine_seconds.append((time.perf_counter() - start) / ENGINE_CALLS_PER_ROUND)
        start = time.perf_counter()
        _statsmodels_coefficients(X, Y, N_STATSMODELS)
        statsmodels_seconds.append(time.perf_counter() - start)
    return engine_seconds, statsmodels_seconds


def _agreement(fit: LogisticBatchResult, reference: np.ndarray) -> tuple[float, int, int]:
    """Largest |coefficient difference| over non-separated replicates, their number, and how
    many of them statsmodels could not fit."""
    usable = ~fit.separated & ~fit.rank_deficient
    failed = int((usable & ~np.isfinite(reference).all(axis=1)).sum())
    compared = usable & np.isfinite(reference).all(axis=1)
    difference = float(np.abs(fit.coef[compared] - reference[compared]).max())
    return difference, int(compared.sum()), failed


def _grid(n_replicates: int) -> tuple[float, int]:
    model = model_from_study(load_study("k2_neonates"))
    start = time.perf_counter()
    simulate_pipeline(
        model,
        n_total=GRID_SIZES,
        controls_per_case=134 / 66,
        n_replicates=n_replicates,
        seed=1,
        chunk_size=1_000,
        progress=True,
    )
    elapsed = time.perf_counter() - start
    # Per replicate: one univariable fit per candidate plus at most one multivariable fit.
    return elapsed, n_replicates * len(GRID_SIZES) * (len(model.names) + 1)


def main() -> None:
    X, Y = _replicates(seed=20240601)
    engine_seconds, statsmodels_seconds = _timed_rounds(X, Y)
    engine_rates = N_REPLICATES / np.array(engine_seconds)
    statsmodels_rates = N_STATSMODELS / np.array(statsmodels_seconds)
    engine_rate, statsmodels_rate = np.median(engine_rates), np.median(statsmodels_rates)
    ratios = engine_rates / statsmodels_rates
    fit = fit_logistic_batch(X, Y)
    print(
        f"design: n = {N_OBS}, intercept + {len(PREVALENCE)} binary covariates, "
        f"replicate-specific; {N_ROUNDS} alternating timed rounds after a warm-up"
    )
    print(
        f"engine:      {N_REPLICATES} fits, median {np.median(engine_seconds):.4f} s = "
        f"{engine_rate:,.0f} fits/s (rounds {engine_rates.min():,.0f} to "
        f"{engine_rates.max():,.0f}; {int(fit.separated.sum())} separated)"
    )
    print(
        f"statsmodels: {N_STATSMODELS} fits, median {np.median(statsmodels_seconds):.3f} s = "
        f"{statsmodels_rate:,.0f} fits/s (rounds {statsmodels_rates.min():,.0f} to "
        f"{statsmodels_rates.max():,.0f})"
    )
    verdict = "meets" if engine_rate / statsmodels_rate >= TARGET_SPEED_UP else "MISSES"
    print(
        f"speed-up: {engine_rate / statsmodels_rate:,.0f}x (ratio of medians; per round "
        f"{ratios.min():,.0f}x to {ratios.max():,.0f}x); {verdict} the "
        f"{TARGET_SPEED_UP:,.0f}x target"
    )
    difference, n_compared, n_failed = _agreement(
        fit, _statsmodels_coefficients(X, Y, N_REPLICATES)
    )
    verdict = "meets" if difference <= TARGET_AGREEMENT and n_failed == 0 else "MISSES"
    print(
        f"max |coef difference| on all {n_compared} non-separated replicates: "
        f"{difference:.2e} ({n_failed} that statsmodels could not fit); {verdict} the "
        f"{TARGET_AGREEMENT:.0e} target"
    )

    pilot_seconds, pilot_fits = _grid(n_replicates=4_550)
    projected = pilot_seconds * 1_000_000 / pilot_fits
    print(
        f"grid pilot: {pilot_fits:,} fits in {pilot_seconds:.1f} s "
        f"({pilot_fits / pilot_seconds:,.0f} fits/s)"
    )
    if projected <= TIME_LIMIT_SECONDS:
        seconds, fits = _grid(n_replicates=45_500)
        print(f"grid: {fits:,} fits in {seconds:.1f} s ({fits / seconds:,.0f} fits/s)")
    else:
        print(f"grid: 10^6 fits extrapolated from the pilot: {projected:.0f} s (not run)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
