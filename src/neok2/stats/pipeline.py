"""The simulation engine behind :func:`neok2.stats.simulation.simulate_pipeline`.

A replicate is drawn either as counts per atom of the :class:`ExposureModel` (few atoms:
binary exposures), or as subject rows (many atoms: continuous exposures, calibrated models).
On every replicate the paper's procedure runs: one univariable logistic fit per candidate
(Wald p), the candidates with ``p < threshold`` (all of them when there is no screen) enter
a multivariable fit, and its Wald tests and intervals are scored against the truth.
Replicates that select the same set are fitted together by the batched engine. Each chunk
returns sums (and sums of squares) from which means and their Monte Carlo standard errors
follow, so chunks combine exactly, whatever the scheduler.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from neok2._validation import float_like, int_like, seed_like
from neok2.stats.batch import fit_binomial_batch, fit_logistic_batch

# ----------------------------------------------------------------------------- one chunk

# Beyond this many atoms a replicate is drawn as subject rows rather than counts per atom:
# counts cost O(atoms) per replicate, rows O(n).
MAX_COUNT_ATOMS = 4096


@dataclass(frozen=True)
class Chunk:
    """One unit of work: ``n_replicates`` simulated studies of one design, one seed."""

    grid_index: int
    chunk_index: int
    n_cases: int
    n_controls: int
    n_replicates: int
    seed: np.random.SeedSequence
    support: np.ndarray
    control_probabilities: np.ndarray
    case_probabilities: np.ndarray
    log_odds_ratios: np.ndarray
    threshold: float
    alpha: float
    firth: bool


# Per-exposure sums ("_all" ones score every replicate: a factor left out of the final model
# counts as log OR 0 with the point 0 as its interval, the estimate the pipeline implies).
SUMS = (
    "n_selected",
    "n_significant",
    "n_estimated",
    "sum_log_or",
    "sum_sq_log_or",
    "n_covered",
    "n_separated",
    "n_scored_all",
    "sum_log_or_all",
    "sum_sq_log_or_all",
    "n_covered_all",
)
# Per-design sums over replicates (arrays of length 1).
DESIGN_SUMS = (
    "n_any_false_positive",
    "sum_false_positives",
    "sum_sq_false_positives",
    "n_all_detected",
    "sum_entered",
    "sum_sq_entered",
)


def _collapse(
    levels: np.ndarray,
    columns: np.ndarray,
    support: np.ndarray,
    trials: np.ndarray,
    cases: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge atoms that agree on the given exposure columns (the others are not in the model).

    ``levels`` holds each atom's level index per column; codes are re-compacted after each
    column so that they never overflow, whatever the number of columns.
    """
    code = np.zeros(len(support), dtype=np.int64)
    for column in columns:
        code = np.unique(
            code * (levels[:, column].max() + 1) + levels[:, column], return_inverse=True
        )[1].ravel()
    n_patterns = int(code.max()) + 1
    first = np.full(n_patterns, len(code))
    np.minimum.at(first, code, np.arange(len(code)))
    membership = np.zeros((len(code), n_patterns))
    membership[np.arange(len(code)), code] = 1.0
    design = np.column_stack([np.ones(n_patterns), support[np.ix_(first, columns)]])
    return design, trials @ membership, cases @ membership


class _Counts:
    """Replicates as case and control counts over the atoms (exact multinomial draws)."""

    def __init__(self, chunk: Chunk, rng: np.random.Generator) -> None:
        cases = rng.multinomial(chunk.n_cases, chunk.case_probabilities, size=chunk.n_replicates)
        controls = rng.multinomial(
            chunk.n_controls, chunk.control_probabilities, size=chunk.n_replicates
        )
        self.cases, self.trials = cases.astype(float), (cases + controls).astype(float)
        self.support, self.firth = chunk.support, chunk.firth
        self.levels = np.column_stack(
            [
                np.unique(chunk.support[:, column], return_inverse=True)[1].ravel()
                for column in range(chunk.support.shape[1])
            ]
        )

    def fit(self, members: np.ndarray | slice, columns: np.ndarray) -> Any:
        design, trials, cases = _collapse(
            self.levels, columns, self.support, self.trials[members], self.cases[members]
        )
        return fit_binomial_batch(design, trials, cases, firth=self.firth)


class _Subjects:
    """Replicates as subject rows: atom indices drawn for each case and each control."""

    def __init__(self, chunk: Chunk, rng: np.random.Generator) -> None:
        n_atoms = len(chunk.support)
        cases = rng.choice(
            n_atoms, size=(chunk.n_replicates, chunk.n_cases), p=chunk.case_probabilities
        )
        controls = rng.choice(
            n_atoms, size=(chunk.n_replicates, chunk.n_controls), p=chunk.control_probabilities
        )
        self.rows = np.concatenate([cases, controls], axis=1)
        self.outcome = np.concatenate([np.ones(chunk.n_cases), np.zeros(chunk.n_controls)])
        # Centred columns (slopes and their tests unchanged) keep Newton's first steps from
        # huge linear predictors when a covariate sits far from 0 (APTT near 54 s).
        self.support = chunk.support - chunk.control_probabilities @ chunk.support
        self.firth = chunk.firth

    def fit(self, members: np.ndarray | slice, columns: np.ndarray) -> Any:
        rows = self.rows[members]
        design = np.concatenate([np.ones((*rows.shape, 1)), self.support[:, columns][rows]], axis=2)
        outcome = np.broadcast_to(self.outcome, rows.shape)
        return fit_logistic_batch(design, outcome, firth=self.firth)


def run_chunk(chunk: Chunk) -> dict[str, np.ndarray]:
    """Simulate one chunk and return its sums (see ``SUMS`` and ``DESIGN_SUMS``)."""
    # Parallelism is across chunks; a multithreaded BLAS inside each one only oversubscribes
    # the cores (and small products are faster single-threaded anyway).
    with threadpool_limits(limits=1, user_api="blas"):
        return _simulate_chunk(chunk)


def _simulate_chunk(chunk: Chunk) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(chunk.seed)
    n_exposures = chunk.support.shape[1]
    data = (_Counts if len(chunk.support) <= MAX_COUNT_ATOMS else _Subjects)(chunk, rng)
    sums = {name: np.zeros(n_exposures) for name in SUMS}
    sums.update({name: np.zeros(1) for name in DESIGN_SUMS})
    selected = np.zeros((chunk.n_replicates, n_exposures), dtype=bool)
    everything = slice(None)
    for column in range(n_exposures):
        screen = data.fit(everything, np.array([column]))
        with np.errstate(invalid="ignore"):
            # No screen (infinite threshold) enters a candidate even when its univariable
            # fit is separated (NaN p-value).
            selected[:, column] = (screen.p_value[:, 1] < chunk.threshold) | np.isinf(
                chunk.threshold
            )
        sums["n_separated"][column] += screen.separated.sum()
    sums["n_selected"] += selected.sum(axis=0)
    z = stats.norm.ppf(1.0 - chunk.alpha / 2.0)
    truth_all = chunk.log_odds_ratios
    null = truth_all == 0.0
    significant_all = np.zeros_like(selected)
    # Unselected factors: estimate 0, covered only when the truth is 0.
    estimate_all = np.zeros(selected.shape)
    scored_all = ~selected
    covered_all = ~selected & null
    codes = np.zeros(chunk.n_replicates, dtype=np.int64)
    for column in range(n_exposures):
        # Codes are compacted column by column so that any number of exposures fits int64.
        codes = np.unique(codes * 2 + selected[:, column], return_inverse=True)[1].ravel()
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        in_model = np.flatnonzero(selected[members[0]])
        if in_model.size == 0:
            continue
        fit = data.fit(members, in_model)
        estimate, error = fit.coef[:, 1:], fit.std_error[:, 1:]
        finite = np.isfinite(estimate) & np.isfinite(error)
        truth = truth_all[in_model]
        with np.errstate(invalid="ignore"):
            significant = finite & (fit.p_value[:, 1:] < chunk.alpha)
            covered = finite & (np.abs(estimate - truth) <= z * error)
        values = np.where(finite, estimate, 0.0)
        sums["n_significant"][in_model] += significant.sum(axis=0)
        sums["n_estimated"][in_model] += finite.sum(axis=0)
        sums["sum_log_or"][in_model] += values.sum(axis=0)
        sums["sum_sq_log_or"][in_model] += (values**2).sum(axis=0)
        sums["n_covered"][in_model] += covered.sum(axis=0)
        sums["n_separated"][in_model] += fit.separated.sum()
        block = np.ix_(members, in_model)
        significant_all[block] = significant
        estimate_all[block] = values
        scored_all[block] = finite
        covered_all[block] = covered
    sums["n_scored_all"] += scored_all.sum(axis=0)
    sums["sum_log_or_all"] += np.where(scored_all, estimate_all, 0.0).sum(axis=0)
    sums["sum_sq_log_or_all"] += np.where(scored_all, estimate_all**2, 0.0).sum(axis=0)
    sums["n_covered_all"] += covered_all.sum(axis=0)
    false_positives = significant_all[:, null].sum(axis=1)
    entered = selected.sum(axis=1)
    sums["n_any_false_positive"] += (false_positives > 0).sum()
    sums["sum_false_positives"] += false_positives.sum()
    sums["sum_sq_false_positives"] += (false_positives**2).sum()
    sums["n_all_detected"] += significant_all[:, ~null].all(axis=1).sum()
    sums["sum_entered"] += entered.sum()
    sums["sum_sq_entered"] += (entered**2).sum()
    return sums


# ----------------------------------------------------------------------------- driver


def design_sizes(
    n_cases: Any, n_controls: Any, n_total: Any, controls_per_case: Any
) -> list[tuple[int, int]]:
    def as_list(value: Any, name: str) -> list[int]:
        items = list(value) if isinstance(value, Iterable) else [value]
        if not items:
            raise ValueError(f"`{name}` must not be empty")
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | np.integer) or item < 1:
                raise ValueError(f"`{name}` must hold positive whole numbers, got {item!r}")
        return [int(item) for item in items]

    if n_total is not None:
        if n_cases is not None or n_controls is not None:
            raise ValueError(
                "give either `n_total` (with `controls_per_case`) or "
                "`n_cases` and `n_controls`, not both"
            )
        if controls_per_case is None or not float(controls_per_case) > 0:
            raise ValueError("`n_total` needs a positive `controls_per_case`, e.g. 134/66")
        sizes = []
        for total in as_list(n_total, "n_total"):
            case_count = round(total / (1.0 + float(controls_per_case)))
            sizes.append((case_count, total - case_count))
    else:
        if n_cases is None or n_controls is None:
            raise ValueError(
                "give `n_cases` and `n_controls`, or `n_total` and `controls_per_case`"
            )
        case_list, control_list = as_list(n_cases, "n_cases"), as_list(n_controls, "n_controls")
        if len(case_list) == 1 and len(control_list) > 1:
            case_list = case_list * len(control_list)
        if len(control_list) == 1 and len(case_list) > 1:
            control_list = control_list * len(case_list)
        if len(case_list) != len(control_list):
            raise ValueError("`n_cases` and `n_controls` must have the same length")
        sizes = list(zip(case_list, control_list, strict=True))
    for case_count, control_count in sizes:
        if case_count < 2 or control_count < 2:
            raise ValueError(
                f"every design needs at least 2 cases and 2 controls, got {case_count} cases "
                f"and {control_count} controls"
            )
    return sizes


def connect(scheduler: Any, connect_timeout: float) -> Any:
    """A Dask client, or one clear ValueError when the scheduler cannot be reached in time."""
    import logging

    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    # distributed logs each failed attempt with a traceback; the error below says it all
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return Client(str(scheduler), timeout=connect_timeout)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"`scheduler`: cannot reach the Dask scheduler {str(scheduler)!r} within "
            f"{connect_timeout:g} s ({reason}); start it, fix the address or raise "
            "`connect_timeout`, or leave the scheduler out to run on local processes"
        ) from None
    finally:
        quiet.setLevel(level)


def execute(
    chunks: list[Chunk],
    scheduler: Any,
    n_workers: int | None,
    progress: bool | None,
    connect_timeout: float = 5.0,
) -> list[dict[str, np.ndarray]]:
    """Run the chunks in process, in local processes or on Dask; results in chunk order."""
    results: list[dict[str, np.ndarray] | None] = [None] * len(chunks)
    # tqdm's disable=None hides the bar when stderr is not a terminal (tests, logs).
    disable = None if progress is None else not progress
    bar = tqdm(total=len(chunks), disable=disable, desc="simulate", unit="chunk")
    try:
        if scheduler is not None:
            from distributed import as_completed as dask_completed

            client = connect(scheduler, connect_timeout)
            try:
                futures = client.map(run_chunk, chunks, pure=False)
                position = {future.key: index for index, future in enumerate(futures)}
                for future in dask_completed(futures):
                    results[position[future.key]] = future.result()
                    bar.update()
            finally:
                if client is not scheduler:
                    client.close()
        elif n_workers == 1 or len(chunks) == 1:
            for index, chunk in enumerate(chunks):
                results[index] = run_chunk(chunk)
                bar.update()
        else:
            workers = min(n_workers or os.cpu_count() or 1, len(chunks))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: dict[Future[dict[str, np.ndarray]], int] = {
                    pool.submit(run_chunk, chunk): index for index, chunk in enumerate(chunks)
                }
                for future in as_completed(pending):
                    results[pending[future]] = future.result()
                    bar.update()
    finally:
        bar.close()
    return [result for result in results if result is not None]


def check_settings(
    seed: Any,
    n_replicates: Any,
    chunk_size: Any,
    n_workers: Any,
    threshold: Any,
    alpha: Any,
    connect_timeout: Any = 5.0,
) -> None:
    """Validate the common simulation arguments (ValueError naming the argument)."""
    seed_like(seed)
    int_like(n_replicates, "n_replicates", minimum=1)
    int_like(chunk_size, "chunk_size", minimum=1)
    if n_workers is not None:
        int_like(n_workers, "n_workers", minimum=1)
    if not 0 < float_like(connect_timeout, "connect_timeout") < math.inf:
        raise ValueError(
            f"`connect_timeout` must be a positive number of seconds, got {connect_timeout!r}"
        )
    levels = [("threshold", threshold)] if threshold is not None else []
    for name, level in [*levels, ("alpha", alpha)]:
        if not 0.0 < float_like(level, name) <= 1.0:
            raise ValueError(f"`{name}` must lie in (0, 1], got {level!r}")


def run_grid(
    model: Any,
    sizes: list[tuple[int, int]],
    *,
    seed: int,
    n_replicates: int,
    threshold: float | None,
    alpha: float,
    firth: bool,
    chunk_size: int,
    scheduler: Any,
    n_workers: int | None,
    progress: bool | None,
    connect_timeout: float = 5.0,
) -> list[dict[str, np.ndarray]]:
    """Simulate every design of ``sizes``; one dict of summed tallies per design.

    ``threshold=None`` means no screen: every candidate enters the final model. The seeds of
    design ``g``'s chunks are ``SeedSequence(seed).spawn(len(sizes))[g].spawn(n_chunks)``.
    """
    n_chunks = -(-n_replicates // chunk_size)
    grid_seeds = np.random.SeedSequence(int(seed)).spawn(len(sizes))
    log_odds_ratios = np.log(model.odds_ratios)
    screen = np.inf if threshold is None else float(threshold)
    chunks = []
    for grid_index, ((case_count, control_count), grid_seed) in enumerate(
        zip(sizes, grid_seeds, strict=True)
    ):
        for chunk_index, chunk_seed in enumerate(grid_seed.spawn(n_chunks)):
            count = min(chunk_size, n_replicates - chunk_index * chunk_size)
            chunks.append(
                Chunk(
                    grid_index=grid_index,
                    chunk_index=chunk_index,
                    n_cases=case_count,
                    n_controls=control_count,
                    n_replicates=count,
                    seed=chunk_seed,
                    support=model.support,
                    control_probabilities=model.control_probabilities,
                    case_probabilities=model.case_probabilities,
                    log_odds_ratios=log_odds_ratios,
                    threshold=screen,
                    alpha=float(alpha),
                    firth=bool(firth),
                )
            )
    results = execute(chunks, scheduler, n_workers, progress, connect_timeout)
    totals = []
    for grid_index in range(len(sizes)):
        total = {name: np.zeros(len(model.names)) for name in SUMS}
        total.update({name: np.zeros(1) for name in DESIGN_SUMS})
        for chunk, result in zip(chunks, results, strict=True):
            if chunk.grid_index == grid_index:
                for name in total:
                    total[name] += result[name]
        totals.append(total)
    return totals
