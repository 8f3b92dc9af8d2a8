"""Monte Carlo power of the whole published pipeline: screen at p < 0.1, then adjust.

A case-control study is simulated from an :class:`ExposureModel`: a discrete joint
distribution of the exposures among controls (``support`` atoms with probabilities) and the
true odds ratios. Under the logistic model, case-control sampling gives cases the control
distribution tilted by the odds ratios, ``P(x | case) ∝ P(x | control) exp(beta' x)``, so
both groups are exact multinomial draws over the same atoms, and each replicate is held as
counts per atom. On every replicate the paper's procedure runs: one univariable logistic fit
per candidate (Wald p), the candidates with ``p < threshold`` enter a multivariable fit, and
its Wald tests and intervals are scored against the truth. Replicates that select the same
set are fitted together by :func:`neok2.stats.batch.fit_binomial_batch`.

The grid of sample sizes is cut into chunks with seeds spawned from one
``numpy.random.SeedSequence``; a chunk's numbers depend only on its seed, so results are the
same in-process, in local processes or on a Dask cluster.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from neok2.formatting import format_odds_ratio
from neok2.stats.batch import fit_binomial_batch, fit_logistic_batch
from neok2.study.spec import Study

__all__ = [
    "ExposureModel",
    "exposure_model",
    "model_from_data",
    "model_from_study",
    "power_curve",
    "simulate_pipeline",
]

# Correlated binary cells come from multivariate-normal orthant probabilities; beyond this
# many exposures the 2^p cells become too many to enumerate.
_MAX_COPULA_EXPOSURES = 12


@dataclass(frozen=True, eq=False)
class ExposureModel:
    """A data-generating model for case-control exposures.

    Attributes
    ----------
    names : tuple of str
        Exposure names (the candidate variables).
    support : numpy.ndarray
        ``K x p`` exposure patterns (atoms).
    control_probabilities : numpy.ndarray
        ``K`` probabilities of the atoms among controls (sum 1).
    odds_ratios : numpy.ndarray
        ``p`` true (adjusted) odds ratios; 1 marks a null factor.
    source : str
        How the model was built.
    n_dropped : int
        Rows with missing values left out when the model was fitted from data (as R's
        ``na.action`` reports them).
    """

    names: tuple[str, ...]
    support: np.ndarray
    control_probabilities: np.ndarray
    odds_ratios: np.ndarray
    source: str = ""
    n_dropped: int = 0
    _case_probabilities: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        support = np.asarray(self.support, dtype=float)
        probabilities = np.asarray(self.control_probabilities, dtype=float)
        odds_ratios = np.asarray(self.odds_ratios, dtype=float)
        n_exposures = len(self.names)
        if len(set(self.names)) != n_exposures or n_exposures == 0:
            raise ValueError("`names` must list at least one exposure, each once")
        if support.ndim != 2 or support.shape[1] != n_exposures:
            raise ValueError(f"`support` must be K x {n_exposures}, got shape {support.shape}")
        if probabilities.shape != (support.shape[0],):
            raise ValueError("`control_probabilities` must give one probability per support row")
        if (probabilities < 0).any() or not math.isclose(probabilities.sum(), 1.0, abs_tol=1e-9):
            raise ValueError("`control_probabilities` must be non-negative and sum to 1")
        if odds_ratios.shape != (n_exposures,) or not (odds_ratios > 0).all():
            raise ValueError(f"`odds_ratios` must be {n_exposures} positive numbers")
        if not np.isfinite(support).all() or not np.isfinite(odds_ratios).all():
            raise ValueError("`support` and `odds_ratios` must be finite")
        tilt = np.log(
            probabilities, where=probabilities > 0, out=np.full_like(probabilities, -np.inf)
        )
        tilt = tilt + support @ np.log(odds_ratios)
        tilted = np.exp(tilt - tilt.max())
        for name, value in (("support", support), ("control_probabilities", probabilities),
                            ("odds_ratios", odds_ratios),
                            ("_case_probabilities", tilted / tilted.sum())):  # fmt: skip
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "names", tuple(str(name) for name in self.names))

    @property
    def case_probabilities(self) -> np.ndarray:
        """``K`` atom probabilities among cases: the control ones tilted by the odds ratios."""
        return self._case_probabilities

    def tidy(self) -> pd.DataFrame:
        """One row per exposure.

        Returns
        -------
        pandas.DataFrame
            ``variable, true_odds_ratio, control_mean, case_mean`` (for a binary exposure the
            means are the prevalences among controls and cases).
        """
        return pd.DataFrame({
            "variable": list(self.names), "true_odds_ratio": self.odds_ratios,
            "control_mean": self.control_probabilities @ self.support,
            "case_mean": self.case_probabilities @ self.support,
        })  # fmt: skip


# ----------------------------------------------------------------------------- constructors


def _correlation_matrix(correlation: float | np.ndarray, n_exposures: int) -> np.ndarray:
    if np.isscalar(correlation):
        value = float(correlation)  # type: ignore[arg-type]
        if not -1.0 / max(n_exposures - 1, 1) <= value < 1.0:
            raise ValueError(
                f"`correlation` {value} gives no valid exchangeable correlation matrix for "
                f"{n_exposures} exposures; use a value in [-1/(p-1), 1)"
            )
        matrix = np.full((n_exposures, n_exposures), value)
        np.fill_diagonal(matrix, 1.0)
        return matrix
    matrix = np.asarray(correlation, dtype=float)
    if matrix.shape != (n_exposures, n_exposures):
        raise ValueError(
            f"`correlation` must be a scalar or a {n_exposures} x {n_exposures} matrix"
        )
    if not np.allclose(matrix, matrix.T) or not np.allclose(np.diag(matrix), 1.0):
        raise ValueError("`correlation` must be symmetric with a unit diagonal")
    if np.linalg.eigvalsh(matrix).min() < -1e-10:
        raise ValueError("`correlation` must be positive semi-definite")
    return matrix


# Correlated cells are estimated from this many scrambled Sobol points (2^18), then raked
# so that every marginal prevalence is exact.
_SOBOL_POWER = 18
_RAKING_ROUNDS = 200


def _copula_cells(prevalence: np.ndarray, correlation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_exposures = len(prevalence)
    cells = ((np.arange(2**n_exposures)[:, None] >> np.arange(n_exposures)) & 1).astype(float)
    if np.allclose(correlation, np.eye(n_exposures)):
        probabilities = np.prod(np.where(cells == 1, prevalence, 1.0 - prevalence), axis=1)
        return cells, probabilities / probabilities.sum()
    # Exposure j is present when its latent normal lies below Phi^-1(p_j). Exact box
    # probabilities (Genz) cost seconds per cell beyond two dimensions, so the 2^p cells are
    # estimated by randomised quasi-Monte Carlo with a fixed seed (reproducible models).
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    sobol = stats.qmc.Sobol(d=n_exposures, scramble=True, rng=np.random.default_rng(20240601))
    uniform = np.clip(sobol.random_base2(m=_SOBOL_POWER), 1e-16, 1.0 - 1e-16)
    latent = stats.norm.ppf(uniform) @ root.T
    present = latent < stats.norm.ppf(prevalence)
    codes = present.astype(np.int64) @ (1 << np.arange(n_exposures))
    probabilities = np.bincount(codes, minlength=2**n_exposures) / len(codes)
    # Iterative proportional fitting keeps the dependence and makes each margin exact.
    for _ in range(_RAKING_ROUNDS):
        for column in range(n_exposures):
            exposed = cells[:, column] == 1
            share = probabilities[exposed].sum()
            if 0.0 < share < 1.0:
                probabilities[exposed] *= prevalence[column] / share
                probabilities[~exposed] *= (1.0 - prevalence[column]) / (1.0 - share)
        if np.allclose(probabilities @ cells, prevalence, rtol=0.0, atol=1e-14):
            break
    return cells, probabilities / probabilities.sum()


def _numbers(mapping: Mapping[str, Any], names: tuple[str, ...], argument: str) -> np.ndarray:
    try:
        return np.array([float(mapping[name]) for name in names])
    except (TypeError, ValueError):
        raise TypeError(
            f"`{argument}` must map exposure names to numbers, got {dict(mapping)!r}"
        ) from None


def exposure_model(
    prevalence: Mapping[str, float],
    odds_ratios: Mapping[str, float] | None = None,
    *,
    correlation: float | np.ndarray = 0.0,
) -> ExposureModel:
    """A model of binary exposures: control prevalences, a Gaussian copula and true ORs.

    Parameters
    ----------
    prevalence : mapping of str to float
        Exposure prevalence among controls, per exposure, in (0, 1).
    odds_ratios : mapping of str to float, optional
        True adjusted odds ratios; exposures left out are null (OR 1).
    correlation : float or array, default 0
        Correlation of the latent normals (tetrachoric correlation): a scalar for an
        exchangeable matrix or a full ``p x p`` matrix in the order of ``prevalence``.

    Returns
    -------
    ExposureModel

    Notes
    -----
    Exposure ``j`` is ``1[Z_j < Phi^-1(p_j)]`` with ``Z ~ N(0, correlation)``. With
    independent exposures the ``2^p`` cell probabilities are exact products; otherwise they
    are multivariate-normal box probabilities estimated from 2^18 scrambled Sobol points
    (fixed seed, so models are reproducible; error about 1e-4) and then raked (iterative
    proportional fitting) so that every prevalence among controls is exact.

    References
    ----------
    Emrich LJ, Piedmonte MR (1991). A method for generating high-dimensional multivariate
    binary variates. The American Statistician 45:302-304.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> model.tidy().round(4).values.tolist()
    [['steroid', 4.0, 0.1, 0.3077], ['sga', 1.0, 0.05, 0.05]]
    """
    if not isinstance(prevalence, Mapping) or not prevalence:
        raise TypeError("`prevalence` must be a non-empty mapping of exposure name to prevalence")
    names = tuple(prevalence)
    if len(names) > _MAX_COPULA_EXPOSURES:
        raise ValueError(
            f"at most {_MAX_COPULA_EXPOSURES} binary exposures are supported (2^p cells); "
            f"got {len(names)}"
        )
    values = _numbers(prevalence, names, "prevalence")
    if not ((values > 0) & (values < 1)).all():
        raise ValueError("every `prevalence` must lie strictly between 0 and 1")
    odds_ratios = dict(odds_ratios or {})
    unknown = sorted(set(odds_ratios) - set(names))
    if unknown:
        raise ValueError(f"`odds_ratios` names exposures without a prevalence: {unknown}")
    if odds_ratios:
        ratios = _numbers(odds_ratios, tuple(odds_ratios), "odds_ratios")
        bad = [name for name, ratio in zip(odds_ratios, ratios, strict=True)
               if not (np.isfinite(ratio) and ratio > 0)]  # fmt: skip
        if bad:
            raise ValueError(f"`odds_ratios` must be positive finite numbers; check {bad}")
    cells, probabilities = _copula_cells(values, _correlation_matrix(correlation, len(names)))
    return ExposureModel(
        names=names, support=cells, control_probabilities=probabilities,
        odds_ratios=np.array([float(odds_ratios.get(name, 1.0)) for name in names]),
        source="binary exposures, Gaussian copula",
    )  # fmt: skip


def model_from_study(study: Study, *, correlation: float | np.ndarray = 0.0) -> ExposureModel:
    """The published study as a data-generating model.

    Parameters
    ----------
    study : Study
        E.g. ``neok2.load_study("k2_neonates")``.
    correlation : float or array, default 0
        Latent correlation of the exposures (see :func:`exposure_model`).

    Returns
    -------
    ExposureModel
        Every binary screening candidate of Table 1, with its control prevalence from the
        Table 1 control counts; the multivariable odds ratios the paper reports are the true
        ones, every other candidate is null (OR 1).

    Notes
    -----
    Continuous candidates (gestational age, laboratory values) are left out: the paper
    reports no adjusted effect for them. A calibrated joint distribution (for instance the
    synthetic cohort) can replace this one through :func:`model_from_data`.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> model = model_from_study(load_study("k2_neonates"))
    >>> len(model.names), int((model.odds_ratios != 1).sum())
    (10, 3)
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study, got {type(study).__name__}")
    table1 = study.table1
    binary = table1[
        (table1["summary"] == "n_percent") & (table1["level"] == "") & table1["candidate"]
        & (table1["group"] == "control")
    ]  # fmt: skip
    prevalence = {
        str(variable): float(count) / study.groups["control"]
        for variable, count in zip(binary["variable"], binary["n"], strict=True)
    }
    reported = dict(zip(study.multivariable["variable"], study.multivariable["odds_ratio"],
                        strict=True))  # fmt: skip
    model = exposure_model(
        prevalence, {name: float(value) for name, value in reported.items() if name in prevalence},
        correlation=correlation,
    )  # fmt: skip
    return ExposureModel(
        names=model.names, support=model.support,
        control_probabilities=model.control_probabilities, odds_ratios=model.odds_ratios,
        source=f"study {study.id}: Table 1 control prevalences, reported multivariable ORs",
    )  # fmt: skip


def model_from_data(
    data: pd.DataFrame,
    outcome: str,
    exposures: Sequence[str],
    *,
    firth: bool = False,
) -> ExposureModel:
    """A model fitted to a dataset: its controls' joint exposure distribution and its ORs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (e.g. the synthetic cohort of ``neok2.synth.generator``).
    outcome : str
        0/1 outcome column (1 = case).
    exposures : sequence of str
        Numeric exposure columns (binary or continuous).
    firth : bool, default False
        Estimate the odds ratios by Firth's penalised likelihood (needed when the data are
        separated).

    Returns
    -------
    ExposureModel
        Atoms are the distinct control exposure rows, with their relative frequencies; the
        true odds ratios are those of the multivariable logistic fit of ``outcome`` on
        ``exposures``. Rows with a missing value in any of these columns are left out and
        counted in ``n_dropped``.

    Notes
    -----
    The empirical control distribution keeps every dependence between the exposures; the
    cases of the simulated studies follow the fitted logistic model exactly (tilted control
    distribution), not the observed cases.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [1, 1, 0, 0, 0, 1, 0, 0], "x": [1, 0, 1, 0, 0, 1, 0, 0]})
    >>> model = model_from_data(frame, "y", ["x"])
    >>> round(float(model.odds_ratios[0]), 4), model.support.ravel().tolist()
    (8.0, [0.0, 1.0])
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(exposures, str) or not exposures:
        raise TypeError("`exposures` must be a non-empty list of column names")
    columns = [outcome, *exposures]
    missing_columns = [name for name in columns if name not in data.columns]
    if missing_columns:
        raise KeyError(f"columns not in `data`: {missing_columns}")
    if len(set(exposures)) != len(exposures) or outcome in exposures:
        raise ValueError("`exposures` must be distinct columns other than `outcome`")
    frame = data[columns]
    complete = frame.notna().all(axis=1).to_numpy()
    frame = frame[complete]
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise TypeError("`outcome` and `exposures` must be numeric columns") from None
    y, x = values[:, 0], values[:, 1:]
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"`{outcome}` must be coded 0/1 (1 = case)")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError(f"`{outcome}` needs both cases and controls among the complete rows")
    design = np.column_stack([np.ones(len(y)), x])
    fit = fit_logistic_batch(design, y, firth=firth)
    if fit.rank_deficient[0]:
        raise ValueError("the exposures are linearly dependent; drop a redundant column")
    if not np.isfinite(fit.coef).all():
        raise ValueError(
            "the logistic fit of the data is separated (an odds ratio is infinite); use firth=True"
        )
    support, counts = np.unique(x[y == 0], axis=0, return_counts=True)
    return ExposureModel(
        names=tuple(exposures), support=support, control_probabilities=counts / counts.sum(),
        odds_ratios=np.exp(fit.coef[0, 1:]),
        source=f"fitted to data ({len(y)} complete rows, {int((y == 0).sum())} controls)",
        n_dropped=int((~complete).sum()),
    )  # fmt: skip


# ----------------------------------------------------------------------------- one chunk


@dataclass(frozen=True)
class _Chunk:
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


_SUMS = ("n_selected", "n_significant", "n_estimated", "sum_log_or", "n_covered", "n_separated")


def _collapse(levels: np.ndarray, columns: np.ndarray, support: np.ndarray, trials: np.ndarray,
              cases: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Merge atoms that agree on the given exposure columns (the others are not in the model).

    ``levels`` holds each atom's level index per column; codes are re-compacted after each
    column so that they never overflow, whatever the number of columns.
    """
    code = np.zeros(len(support), dtype=np.int64)
    for column in columns:
        code = np.unique(code * (levels[:, column].max() + 1) + levels[:, column],
                         return_inverse=True)[1].ravel()  # fmt: skip
    n_patterns = int(code.max()) + 1
    first = np.full(n_patterns, len(code))
    np.minimum.at(first, code, np.arange(len(code)))
    membership = np.zeros((len(code), n_patterns))
    membership[np.arange(len(code)), code] = 1.0
    design = np.column_stack([np.ones(n_patterns), support[np.ix_(first, columns)]])
    return design, trials @ membership, cases @ membership


def _run_chunk(chunk: _Chunk) -> dict[str, np.ndarray]:
    # Parallelism is across chunks; a multithreaded BLAS inside each one only oversubscribes
    # the cores (and small products are faster single-threaded anyway).
    with threadpool_limits(limits=1, user_api="blas"):
        return _simulate_chunk(chunk)


def _simulate_chunk(chunk: _Chunk) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(chunk.seed)
    n_exposures = chunk.support.shape[1]
    cases = rng.multinomial(chunk.n_cases, chunk.case_probabilities, size=chunk.n_replicates)
    controls = rng.multinomial(chunk.n_controls, chunk.control_probabilities,
                               size=chunk.n_replicates)  # fmt: skip
    cases, trials = cases.astype(float), (cases + controls).astype(float)
    sums = {name: np.zeros(n_exposures) for name in _SUMS}
    selected = np.zeros((chunk.n_replicates, n_exposures), dtype=bool)
    levels = np.column_stack([
        np.unique(chunk.support[:, column], return_inverse=True)[1].ravel()
        for column in range(n_exposures)
    ])  # fmt: skip
    for column in range(n_exposures):
        design, group_trials, group_cases = _collapse(
            levels, np.array([column]), chunk.support, trials, cases
        )
        screen = fit_binomial_batch(design, group_trials, group_cases, firth=chunk.firth)
        with np.errstate(invalid="ignore"):
            selected[:, column] = screen.p_value[:, 1] < chunk.threshold
        sums["n_separated"][column] += screen.separated.sum()
    sums["n_selected"] += selected.sum(axis=0)
    z = stats.norm.ppf(1.0 - chunk.alpha / 2.0)
    codes = selected @ (1 << np.arange(n_exposures))
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        in_model = np.flatnonzero(selected[members[0]])
        if in_model.size == 0:
            continue
        design, group_trials, group_cases = _collapse(
            levels, in_model, chunk.support, trials[members], cases[members]
        )
        fit = fit_binomial_batch(design, group_trials, group_cases, firth=chunk.firth)
        estimate, error = fit.coef[:, 1:], fit.std_error[:, 1:]
        finite = np.isfinite(estimate) & np.isfinite(error)
        truth = chunk.log_odds_ratios[in_model]
        with np.errstate(invalid="ignore"):
            significant = finite & (fit.p_value[:, 1:] < chunk.alpha)
            covered = finite & (np.abs(estimate - truth) <= z * error)
        sums["n_significant"][in_model] += significant.sum(axis=0)
        sums["n_estimated"][in_model] += finite.sum(axis=0)
        sums["sum_log_or"][in_model] += np.where(finite, estimate, 0.0).sum(axis=0)
        sums["n_covered"][in_model] += covered.sum(axis=0)
        sums["n_separated"][in_model] += fit.separated.sum()
    return sums


# ----------------------------------------------------------------------------- driver


def _sizes(n_cases: Any, n_controls: Any, n_total: Any, controls_per_case: Any
           ) -> list[tuple[int, int]]:  # fmt: skip
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
            raise ValueError("give either `n_total` (with `controls_per_case`) or "
                             "`n_cases` and `n_controls`, not both")  # fmt: skip
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


def _connect(scheduler: Any, connect_timeout: float) -> Any:
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


def _execute(chunks: list[_Chunk], scheduler: Any, n_workers: int | None, progress: bool,
             connect_timeout: float = 5.0) -> list[dict[str, np.ndarray]]:  # fmt: skip
    results: list[dict[str, np.ndarray] | None] = [None] * len(chunks)
    bar = tqdm(total=len(chunks), disable=not progress, desc="simulate", unit="chunk")
    try:
        if scheduler is not None:
            from distributed import as_completed as dask_completed

            client = _connect(scheduler, connect_timeout)
            try:
                futures = client.map(_run_chunk, chunks, pure=False)
                position = {future.key: index for index, future in enumerate(futures)}
                for future in dask_completed(futures):
                    results[position[future.key]] = future.result()
                    bar.update()
            finally:
                if client is not scheduler:
                    client.close()
        elif n_workers == 1 or len(chunks) == 1:
            for index, chunk in enumerate(chunks):
                results[index] = _run_chunk(chunk)
                bar.update()
        else:
            workers = min(n_workers or os.cpu_count() or 1, len(chunks))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: dict[Future[dict[str, np.ndarray]], int] = {
                    pool.submit(_run_chunk, chunk): index for index, chunk in enumerate(chunks)
                }
                for future in as_completed(pending):
                    results[pending[future]] = future.result()
                    bar.update()
    finally:
        bar.close()
    return [result for result in results if result is not None]


_RESULT_COLUMNS = [
    "n_total", "n_cases", "n_controls", "variable", "true_odds_ratio", "power",
    "selection_rate", "false_inclusion", "mean_or_selected", "bias_log_or", "coverage",
    "n_selected", "n_replicates", "n_separated",
]  # fmt: skip


def simulate_pipeline(
    model: ExposureModel,
    *,
    seed: int,
    n_cases: int | Sequence[int] | None = None,
    n_controls: int | Sequence[int] | None = None,
    n_total: int | Sequence[int] | None = None,
    controls_per_case: float | None = None,
    n_replicates: int = 1000,
    threshold: float = 0.1,
    alpha: float = 0.05,
    firth: bool = False,
    chunk_size: int = 500,
    scheduler: Any = None,
    connect_timeout: float = 5.0,
    n_workers: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulate the screen-then-adjust analysis over a grid of sample sizes.

    Parameters
    ----------
    model : ExposureModel
        From :func:`exposure_model`, :func:`model_from_study` or :func:`model_from_data`.
    seed : int
        Root seed; chunk seeds are spawned from ``numpy.random.SeedSequence(seed)``.
    n_cases, n_controls : int or sequence of int, optional
        Group sizes (equal-length sequences give a grid; a scalar is repeated).
    n_total : int or sequence of int, optional
        Total sizes, split by ``controls_per_case`` (cases rounded to the nearest integer).
    controls_per_case : float, optional
        Required with ``n_total``.
    n_replicates : int, default 1000
        Simulated studies per grid point.
    threshold : float, default 0.1
        Univariable Wald p-value below which a candidate enters the multivariable model.
    alpha : float, default 0.05
        Significance level in the final model and ``1 - alpha`` Wald interval coverage.
    firth : bool, default False
        Fit every model by Firth's penalised likelihood instead of maximum likelihood.
    chunk_size : int, default 500
        Replicates per task; bounds memory and sets the unit of parallel work. Results
        depend on ``seed`` and ``chunk_size``, never on how the chunks are scheduled.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or client to run the chunks on.
    connect_timeout : float, default 5
        Seconds to wait for the scheduler before a ValueError says it cannot be reached.
    n_workers : int, optional
        Local processes; 1 (or a single chunk) runs in this process. Default: CPU count.
    progress : bool, default True
        Show a tqdm progress bar over chunks.

    Returns
    -------
    pandas.DataFrame
        One row per grid point and exposure: ``n_total, n_cases, n_controls, variable,
        true_odds_ratio, power, selection_rate, false_inclusion, mean_or_selected,
        bias_log_or, coverage, n_selected, n_replicates, n_separated``.
        ``power`` (true factors) and ``false_inclusion`` (null factors; the other is NaN) are
        the proportions of replicates in which the factor passed the screen and had
        ``p < alpha`` in the final model; ``selection_rate`` is the proportion passing the
        screen; ``mean_or_selected`` is ``exp`` of the mean final log OR over replicates that
        selected the factor (finite estimates), ``bias_log_or`` that mean minus the true log
        OR, ``coverage`` the share of those Wald intervals containing the truth.
        ``n_separated`` counts fits involving the factor flagged as separated.

    Notes
    -----
    Each replicate draws case and control counts over the model's atoms from multinomials
    with the tilted and the control probabilities; all fits are grouped binomial logistic
    regressions with Wald tests (R: ``glm(..., family = binomial)``, ``summary()``), as
    SPSS's forward-entered screen of the paper.

    References
    ----------
    Prentice RL, Pyke R (1979). Logistic disease incidence models and case-control studies.
    Biometrika 66:403-411.
    Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate statistical
    methods. Statistics in Medicine 38:2074-2102.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> table = simulate_pipeline(model, n_cases=66, n_controls=134, n_replicates=200,
    ...                           seed=1, progress=False)
    >>> table[["variable", "n_replicates"]].values.tolist()
    [['steroid', 200], ['sga', 200]]
    """
    if not isinstance(model, ExposureModel):
        raise TypeError(f"`model` must be an ExposureModel, got {type(model).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")
    for name, value in (("n_replicates", n_replicates), ("chunk_size", chunk_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    if (
        isinstance(connect_timeout, bool)
        or not isinstance(connect_timeout, int | float)
        or not (0 < connect_timeout < math.inf)
    ):
        raise ValueError(f"`connect_timeout` must be a positive number of seconds, got "
                         f"{connect_timeout!r}")  # fmt: skip
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise ValueError(f"`n_workers` must be a positive integer or None, got {n_workers!r}")
    for name, level in (("threshold", threshold), ("alpha", alpha)):
        if not 0.0 < float(level) <= 1.0:
            raise ValueError(f"`{name}` must lie in (0, 1], got {level!r}")
    sizes = _sizes(n_cases, n_controls, n_total, controls_per_case)
    n_chunks = math.ceil(n_replicates / chunk_size)
    grid_seeds = np.random.SeedSequence(int(seed)).spawn(len(sizes))
    log_odds_ratios = np.log(model.odds_ratios)
    chunks = []
    for grid_index, ((case_count, control_count), grid_seed) in enumerate(
        zip(sizes, grid_seeds, strict=True)
    ):
        for chunk_index, chunk_seed in enumerate(grid_seed.spawn(n_chunks)):
            count = min(chunk_size, n_replicates - chunk_index * chunk_size)
            chunks.append(_Chunk(
                grid_index=grid_index, chunk_index=chunk_index, n_cases=case_count,
                n_controls=control_count, n_replicates=count, seed=chunk_seed,
                support=model.support, control_probabilities=model.control_probabilities,
                case_probabilities=model.case_probabilities, log_odds_ratios=log_odds_ratios,
                threshold=float(threshold), alpha=float(alpha), firth=bool(firth),
            ))  # fmt: skip
    results = _execute(chunks, scheduler, n_workers, progress, connect_timeout)
    records = []
    for grid_index, (case_count, control_count) in enumerate(sizes):
        totals = {name: np.zeros(len(model.names)) for name in _SUMS}
        for chunk, result in zip(chunks, results, strict=True):
            if chunk.grid_index == grid_index:
                for name in _SUMS:
                    totals[name] += result[name]
        for column, name in enumerate(model.names):
            null = model.odds_ratios[column] == 1.0
            hit_rate = totals["n_significant"][column] / n_replicates
            estimated = totals["n_estimated"][column]
            mean_log_or = totals["sum_log_or"][column] / estimated if estimated else math.nan
            records.append({
                "n_total": case_count + control_count, "n_cases": case_count,
                "n_controls": control_count, "variable": name,
                "true_odds_ratio": float(model.odds_ratios[column]),
                "power": math.nan if null else hit_rate,
                "selection_rate": totals["n_selected"][column] / n_replicates,
                "false_inclusion": hit_rate if null else math.nan,
                "mean_or_selected": math.exp(mean_log_or) if estimated else math.nan,
                "bias_log_or": mean_log_or - log_odds_ratios[column],
                "coverage": totals["n_covered"][column] / estimated if estimated else math.nan,
                "n_selected": int(totals["n_selected"][column]), "n_replicates": n_replicates,
                "n_separated": int(totals["n_separated"][column]),
            })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=_RESULT_COLUMNS)


def power_curve(result: pd.DataFrame, *, target: float = 0.8) -> Figure:
    """Plot simulated power against total sample size, one line per factor.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`simulate_pipeline`.
    target : float, default 0.8
        Power drawn as a horizontal reference line.

    Returns
    -------
    matplotlib.figure.Figure
        Power of the true factors (solid) and false-inclusion rate of the null factors
        (dashed, grey) against ``n_total``.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1}, {"steroid": 4.0})
    >>> table = simulate_pipeline(model, n_total=[100, 200], controls_per_case=2,
    ...                           n_replicates=50, seed=1, progress=False)
    >>> len(power_curve(table).axes[0].lines)
    2
    """
    required = {"n_total", "variable", "power", "false_inclusion", "true_odds_ratio"}
    if not isinstance(result, pd.DataFrame) or not required <= set(result.columns):
        raise ValueError(f"`result` must be a simulate_pipeline() table with {sorted(required)}")
    figure = Figure(figsize=(6.0, 4.0))
    axes = figure.subplots()
    null_labelled = False
    for variable, rows in result.groupby("variable", sort=False):
        rows = rows.sort_values("n_total")
        odds_ratio = rows["true_odds_ratio"].iloc[0]
        if odds_ratio == 1.0:
            # One legend entry stands for all null factors, which share a style.
            label = "_nolegend_" if null_labelled else "null factors (false inclusion)"
            null_labelled = True
            axes.plot(rows["n_total"], rows["false_inclusion"], linestyle="--", color="0.6",
                      marker=".", label=label)  # fmt: skip
        else:
            axes.plot(rows["n_total"], rows["power"], marker="o",
                      label=f"{variable} (OR {format_odds_ratio(odds_ratio)})")  # fmt: skip
    axes.axhline(target, color="black", linewidth=0.8)
    axes.set_xlabel("Total sample size (cases + controls)")
    axes.set_ylabel("Probability of p < alpha after the screen")
    axes.set_ylim(0.0, 1.0)
    axes.legend(fontsize="small", frameon=False)
    figure.tight_layout()
    return figure
