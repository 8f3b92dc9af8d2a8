"""Fits per second of the batched engine against statsmodels and R, and a 10^7-fit grid.

Prints, in one run:

1. fits per second of ``neok2.stats.batch.fit_logistic_batch`` on 2,000 replicates (n = 200,
   intercept + 5 binary covariates, a different design per replicate), of a ``statsmodels``
   ``Logit(...).fit(disp=0)`` loop over the first 200 of them, and, when ``Rscript`` is on the
   PATH, of an R loop of ``glm.fit(x, y, family = binomial())`` over all 2,000 (the replicates
   are written to a temporary CSV; R times its own loop with ``system.time``), and the ratios
   (targets: at least 100x statsmodels, at least 20x ``glm.fit``);
2. the wall time and peak memory (resident set of this process and of every Dask worker,
   sampled every 0.2 s) of a grid of about 10^7 logistic fits: the K2 study's pipeline (10
   univariable screens and one multivariable fit per simulated study) over four sample sizes
   on a Dask ``LocalCluster`` of two single-threaded worker processes, in chunks of 10,000
   replicates. ``NEOK2_BENCH_GRID_FITS`` sets another number of fits (e.g. 10^6 for a quick
   run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import psutil
import statsmodels.api as sm

from neok2.stats.batch import fit_logistic_batch
from neok2.stats.exposure_model import model_from_study
from neok2.stats.simulation import simulate_pipeline
from neok2.study.spec import load_study

N_REPLICATES = 2_000
N_STATSMODELS = 200
N_OBS = 200
PREVALENCE = np.array([0.1, 0.2, 0.3, 0.5, 0.15])
BETA = np.array([-1.0, 0.7, 0.3, 0.5, -0.4, 0.9])
ENGINE_ROUNDS = 5
TARGET_STATSMODELS = 100.0
TARGET_GLM_FIT = 20.0
GRID_FITS = int(os.environ.get("NEOK2_BENCH_GRID_FITS", "10000000"))
GRID_SIZES = [200, 300, 400, 600]
GRID_CHUNK = 10_000

R_LOOP = r"""
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
replicates <- split(data, data$replicate)
designs <- lapply(replicates, function(d) cbind(1, as.matrix(d[, c("x1", "x2", "x3", "x4", "x5")])))
outcomes <- lapply(replicates, function(d) d$y)
family <- binomial()
elapsed <- system.time(
  for (r in seq_along(designs)) {
    suppressWarnings(glm.fit(designs[[r]], outcomes[[r]], family = family))
  }
)[["elapsed"]]
cat(length(designs), elapsed, "\n")
"""


def _replicates(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    exposures = (rng.random((N_REPLICATES, N_OBS, len(PREVALENCE))) < PREVALENCE).astype(float)
    X = np.concatenate([np.ones((N_REPLICATES, N_OBS, 1)), exposures], axis=2)
    Y = (rng.random((N_REPLICATES, N_OBS)) < 1.0 / (1.0 + np.exp(-(X @ BETA)))).astype(float)
    return X, Y


def _engine_rate(X: np.ndarray, Y: np.ndarray) -> float:
    fit_logistic_batch(X[:50], Y[:50])  # warm-up
    times = []
    for _ in range(ENGINE_ROUNDS):
        start = time.perf_counter()
        fit_logistic_batch(X, Y)
        times.append(time.perf_counter() - start)
    return N_REPLICATES / float(np.median(times))


def _statsmodels_rate(X: np.ndarray, Y: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm.Logit(Y[0], X[0]).fit(disp=0)  # warm-up
        start = time.perf_counter()
        for replicate in range(N_STATSMODELS):
            with contextlib.suppress(np.linalg.LinAlgError):
                sm.Logit(Y[replicate], X[replicate]).fit(disp=0)
        return N_STATSMODELS / (time.perf_counter() - start)


def _glm_fit_rate(X: np.ndarray, Y: np.ndarray) -> float | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        data_path, script_path = Path(folder) / "replicates.csv", Path(folder) / "loop.R"
        rows = np.column_stack(
            [np.repeat(np.arange(N_REPLICATES), N_OBS), Y.ravel(), X[:, :, 1:].reshape(-1, 5)]
        )
        np.savetxt(
            data_path,
            rows,
            delimiter=",",
            fmt="%d",
            header="replicate,y,x1,x2,x3,x4,x5",
            comments="",
        )
        script_path.write_text(R_LOOP)
        output = subprocess.run(
            [rscript, str(script_path), str(data_path)], check=True, capture_output=True, text=True
        ).stdout.split()
    count, elapsed = int(output[0]), float(output[1])
    return count / max(elapsed, 1e-9)


class _PeakMemory:
    """Peak of the summed resident memory of this process and its children."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _grid() -> None:
    from distributed import Client, LocalCluster

    study = load_study("k2_neonates")
    model = model_from_study(study, structure="independent")
    fits_per_replicate = len(model.names) + 1
    replicates = -(-GRID_FITS // (fits_per_replicate * len(GRID_SIZES)))
    total_fits = replicates * fits_per_replicate * len(GRID_SIZES)
    ratio = study.groups["control"] / study.groups["case"]
    with _PeakMemory() as memory:
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with cluster, Client(cluster) as client:
            start = time.perf_counter()
            table = simulate_pipeline(
                model,
                n_total=GRID_SIZES,
                controls_per_case=ratio,
                n_replicates=replicates,
                seed=20240701,
                chunk_size=GRID_CHUNK,
                scheduler=client,
                progress=False,
            )
            elapsed = time.perf_counter() - start
    print(
        f"grid: {total_fits:,} logistic fits ({replicates:,} simulated studies x "
        f"{len(GRID_SIZES)} sizes x {fits_per_replicate} fits) on a Dask LocalCluster "
        f"(2 workers): {elapsed:.1f} s, {total_fits / elapsed:,.0f} fits/s, "
        f"peak memory {memory.peak / 2**20:,.0f} MiB"
    )
    steroid = table[table["variable"] == "antenatal_steroid"]
    for row in steroid.itertuples(index=False):
        print(
            f"  n = {row.n_total}: antenatal steroid power {row.power:.4f} "
            f"(MC SE {row.power_mcse:.4f})"
        )


def main() -> None:
    X, Y = _replicates(20240601)
    engine = _engine_rate(X, Y)
    statsmodels_rate = _statsmodels_rate(X, Y)
    print(f"engine: {engine:,.0f} fits/s ({N_REPLICATES} replicates, n = {N_OBS}, p = 6)")
    print(
        f"statsmodels Logit loop: {statsmodels_rate:,.0f} fits/s; engine is "
        f"{engine / statsmodels_rate:,.0f}x (target >= {TARGET_STATSMODELS:.0f}x)"
    )
    glm_rate = _glm_fit_rate(X, Y)
    if glm_rate is None:
        print("R glm.fit loop: skipped (Rscript not found)")
    else:
        print(
            f"R glm.fit loop: {glm_rate:,.0f} fits/s; engine is {engine / glm_rate:,.1f}x "
            f"(target >= {TARGET_GLM_FIT:.0f}x)"
        )
    _grid()


if __name__ == "__main__":
    main()
