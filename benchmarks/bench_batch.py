"""Speed of the vectorised logistic engine against a statsmodels loop, and of a large grid.

Prints, in one run: fits per second of ``neok2.batch.fit_logistic_batch`` on 2,000
replicates (n = 200, intercept + 5 binary covariates, a different design per replicate) and
of ``statsmodels`` ``Logit(...).fit(disp=0)`` on a subset of the same replicates, their
ratio, the largest absolute coefficient difference on non-separated replicates, and the time
of a simulated grid of about 10^6 logistic fits (``neok2.simulation.simulate_pipeline`` on
the K2 study model), or of 10^5 fits extrapolated when 10^6 would take over two minutes.
"""

from __future__ import annotations

import resource
import time
import warnings

import numpy as np
import statsmodels.api as sm

from neok2.batch import fit_logistic_batch
from neok2.simulation import model_from_study, simulate_pipeline
from neok2.study import load_study

N_REPLICATES = 2_000
N_STATSMODELS = 200
N_OBS = 200
PREVALENCE = np.array([0.1, 0.2, 0.3, 0.5, 0.15])
BETA = np.array([-1.0, 0.7, 0.3, 0.5, -0.4, 0.9])
GRID_SIZES = [200, 400]
TIME_LIMIT_SECONDS = 120.0


def _replicates(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    exposures = (rng.random((N_REPLICATES, N_OBS, len(PREVALENCE))) < PREVALENCE).astype(float)
    X = np.concatenate([np.ones((N_REPLICATES, N_OBS, 1)), exposures], axis=2)
    Y = (rng.random((N_REPLICATES, N_OBS)) < 1.0 / (1.0 + np.exp(-(X @ BETA)))).astype(float)
    return X, Y


def _engine(X: np.ndarray, Y: np.ndarray) -> tuple[float, object]:
    best, fit = np.inf, None
    for _ in range(3):
        start = time.perf_counter()
        fit = fit_logistic_batch(X, Y)
        best = min(best, time.perf_counter() - start)
    return best, fit


def _statsmodels(X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    coefficients = np.full((N_STATSMODELS, X.shape[2]), np.nan)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for replicate in range(N_STATSMODELS):
            try:
                coefficients[replicate] = sm.Logit(Y[replicate], X[replicate]).fit(disp=0).params
            except np.linalg.LinAlgError:
                continue
    return time.perf_counter() - start, coefficients


def _grid(n_replicates: int) -> tuple[float, int]:
    model = model_from_study(load_study("k2_neonates"))
    start = time.perf_counter()
    simulate_pipeline(model, n_total=GRID_SIZES, controls_per_case=134 / 66,
                      n_replicates=n_replicates, seed=1, chunk_size=1_000,
                      progress=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    # Per replicate: one univariable fit per candidate plus at most one multivariable fit.
    return elapsed, n_replicates * len(GRID_SIZES) * (len(model.names) + 1)


def main() -> None:
    X, Y = _replicates(seed=20240601)
    engine_seconds, fit = _engine(X, Y)
    statsmodels_seconds, reference = _statsmodels(X, Y)
    engine_rate = N_REPLICATES / engine_seconds
    statsmodels_rate = N_STATSMODELS / statsmodels_seconds
    usable = ~fit.separated[:N_STATSMODELS] & ~fit.rank_deficient[:N_STATSMODELS]
    usable &= np.isfinite(reference).all(axis=1)
    difference = np.abs(fit.coef[:N_STATSMODELS][usable] - reference[usable]).max()
    print(f"design: n = {N_OBS}, intercept + {len(PREVALENCE)} binary covariates, "
          f"replicate-specific")  # fmt: skip
    print(f"engine:      {N_REPLICATES} fits in {engine_seconds:.4f} s = {engine_rate:,.0f} fits/s "
          f"({int(fit.separated.sum())} separated)")  # fmt: skip
    print(f"statsmodels: {N_STATSMODELS} fits in {statsmodels_seconds:.3f} s = "
          f"{statsmodels_rate:,.0f} fits/s")  # fmt: skip
    print(f"speed-up: {engine_rate / statsmodels_rate:,.0f}x")
    print(f"max |coef difference| on {int(usable.sum())} non-separated replicates: "
          f"{difference:.2e}")  # fmt: skip

    pilot_seconds, pilot_fits = _grid(n_replicates=4_550)
    projected = pilot_seconds * 1_000_000 / pilot_fits
    print(f"grid pilot: {pilot_fits:,} fits in {pilot_seconds:.1f} s "
          f"({pilot_fits / pilot_seconds:,.0f} fits/s)")  # fmt: skip
    if projected <= TIME_LIMIT_SECONDS:
        seconds, fits = _grid(n_replicates=45_500)
        print(f"grid: {fits:,} fits in {seconds:.1f} s ({fits / seconds:,.0f} fits/s)")
    else:
        print(f"grid: 10^6 fits extrapolated from the pilot: {projected:.0f} s (not run)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
