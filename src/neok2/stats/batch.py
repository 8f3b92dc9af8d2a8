"""Many logistic regressions at once: Newton-Raphson vectorised across replicates.

A Monte Carlo study of a case-control analysis fits the same model to thousands of simulated
datasets. Looping over ``statsmodels`` spends nearly all its time in Python overhead; here
every Newton step is a handful of array operations over the whole stack of replicates: 0/1
designs collapse to counts per covariate pattern, and the ``p x p`` information matrices of
all replicates are factorised together by a Cholesky decomposition written as numpy
operations over the replicate axis. Replicates that converge leave the active set;
replicates whose estimates diverge (separation) are flagged instead of returning absurd
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2._frozen import frozen_fields
from neok2._validation import int_like, positive
from neok2.stats.batched_linalg import backward as _backward
from neok2.stats.batched_linalg import cholesky as _cholesky
from neok2.stats.batched_linalg import inverse_factor as _inverse_factor
from neok2.stats.batched_linalg import solve as _solve

__all__ = ["LogisticBatchResult", "fit_binomial_batch", "fit_logistic_batch"]

# Fitted probabilities closer than this to 0 or 1 (|linear predictor| > 23.03) only arise
# when a coefficient is running off to infinity: the separation signature.
SATURATION = 1e-10
_SATURATED_ETA = float(special.logit(1.0 - SATURATION))


@frozen_fields("coef", "std_error", "converged", "separated", "rank_deficient", "n_iter")
@dataclass(frozen=True)
class LogisticBatchResult:
    """Estimates from :func:`fit_logistic_batch`, one row per replicate.

    Attributes
    ----------
    coef, std_error : numpy.ndarray
        ``R x p`` log odds ratios and their Wald standard errors (inverse Fisher information);
        NaN for separated (unless Firth) and rank-deficient replicates.
    converged : numpy.ndarray
        ``R`` booleans: the iterations met the tolerance.
    separated : numpy.ndarray
        ``R`` booleans: the maximum-likelihood fit diverged (see the separation rule of
        :func:`fit_logistic_batch`). With ``firth=True`` it still reports the ML behaviour,
        while ``coef`` holds the finite Firth estimates.
    rank_deficient : numpy.ndarray
        ``R`` booleans: the design of the replicate has linearly dependent columns (e.g. an
        exposure nobody in the replicate has); its estimates are NaN.
    n_iter : numpy.ndarray
        ``R`` iteration counts.
    firth : bool
        Whether Firth's penalised likelihood was used.
    """

    coef: np.ndarray
    std_error: np.ndarray
    converged: np.ndarray
    separated: np.ndarray
    rank_deficient: np.ndarray
    n_iter: np.ndarray
    firth: bool

    @property
    def statistic(self) -> np.ndarray:
        """Wald z statistics, ``coef / std_error`` (R x p)."""
        return self.coef / self.std_error

    @property
    def p_value(self) -> np.ndarray:
        """Two-sided Wald p-values (R x p); NaN where the estimate is NaN."""
        return 2.0 * stats.norm.sf(np.abs(self.statistic))

    def tidy(
        self, terms: list[str] | tuple[str, ...] | None = None, *, conf_level: float = 0.95
    ) -> pd.DataFrame:
        """Long tidy frame, one row per replicate and term.

        Parameters
        ----------
        terms : sequence of str, optional
            Names of the ``p`` design columns; ``x0, x1, ...`` by default.
        conf_level : float, default 0.95
            Level of the Wald confidence interval.

        Returns
        -------
        pandas.DataFrame
            ``replicate, term, estimate, std_error, statistic, p_value, odds_ratio, ci_low,
            ci_high, converged, separated`` (``ci_*`` on the odds-ratio scale).
        """
        n_replicates, n_terms = self.coef.shape
        if terms is None:
            terms = [f"x{index}" for index in range(n_terms)]
        if len(terms) != n_terms:
            raise ValueError(f"`terms` must name all {n_terms} design columns, got {len(terms)}")
        if not 0.0 < conf_level < 1.0:
            raise ValueError(f"`conf_level` must lie strictly between 0 and 1, got {conf_level!r}")
        z = stats.norm.ppf(0.5 + conf_level / 2.0)
        estimate = self.coef.ravel()
        error = self.std_error.ravel()
        return pd.DataFrame(
            {
                "replicate": np.repeat(np.arange(n_replicates), n_terms),
                "term": np.tile(np.asarray(terms, dtype=object), n_replicates),
                "estimate": estimate,
                "std_error": error,
                "statistic": self.statistic.ravel(),
                "p_value": self.p_value.ravel(),
                "odds_ratio": np.exp(estimate),
                "ci_low": np.exp(estimate - z * error),
                "ci_high": np.exp(estimate + z * error),
                "converged": np.repeat(self.converged, n_terms),
                "separated": np.repeat(self.separated, n_terms),
            }
        )


# Binary designs are coded as integers to find their patterns; beyond this many columns the
# 2^p possible patterns stop being fewer than the rows of a typical dataset.
_MAX_CODED_COLUMNS = 20


def _check_finite(array: np.ndarray, name: str) -> None:
    # One summation pass proves finiteness in the common case (NaN and inf propagate through
    # a sum); only a non-finite total, or an overflowing one, needs the element-wise count.
    if np.isfinite(array.sum()) or np.isfinite(array).all():
        return
    n_missing = int(np.isnan(array).sum())
    if n_missing:
        raise ValueError(
            f"`{name}` contains {n_missing} missing value(s); remove or impute the "
            "incomplete rows before fitting (they are never dropped silently)"
        )
    raise ValueError(f"`{name}` contains infinite values; fix them before fitting")


def _as_float_array(value: Any, name: str, *, check_finite: bool = True) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be numeric array-like, got {type(value).__name__}"
        ) from None
    if check_finite:
        _check_finite(array, name)
    return array


def _validate(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Checked ``X``, ``Y`` (as R x n) and, for an R x n x p 0/1 design, its row codes."""
    design = _as_float_array(X, "X", check_finite=False)
    outcome = _as_float_array(Y, "Y", check_finite=False)
    if outcome.ndim == 1:
        outcome = outcome[None, :]
    if outcome.ndim != 2:
        raise ValueError(
            f"`Y` must be R x n (replicates x observations), got shape {outcome.shape}"
        )
    if not _is_binary(outcome):
        _check_finite(outcome, "Y")
        raise ValueError("`Y` must hold 0/1 outcomes only (1 = case, 0 = control)")
    n_replicates, n_obs = outcome.shape
    if design.ndim == 2:
        if design.shape[0] != n_obs:
            raise ValueError(
                f"`X` has {design.shape[0]} rows but `Y` has {n_obs} observations per replicate"
            )
    elif design.ndim == 3:
        if design.shape[:2] != (n_replicates, n_obs):
            raise ValueError(
                f"a 3-D `X` must be R x n x p = ({n_replicates}, {n_obs}, p) to match `Y`, "
                f"got {design.shape}"
            )
    else:
        raise ValueError(f"`X` must be n x p or R x n x p, got {design.ndim} dimensions")
    if design.shape[-1] == 0 or design.shape[-1] > n_obs:
        raise ValueError(f"`X` must have between 1 and n = {n_obs} columns, got {design.shape[-1]}")
    # A 0/1 design is finite by construction, which spares the largest array one full pass.
    codes = None
    if design.ndim == 3 and design.shape[-1] <= _MAX_CODED_COLUMNS:
        codes = _binary_codes(design)
    if codes is None:
        _check_finite(design, "X")
    return design, outcome, codes


def _is_binary(array: np.ndarray) -> bool:
    """Whether every element is exactly 0 or 1 (-0.0 included)."""
    return bool(((array == 0.0) | (array == 1.0)).all())


# Elements of a design processed per block by _binary_codes: small enough for the block and
# its boolean buffers to stay in cache between the comparisons and the product.
_BLOCK_ELEMENTS = 2**18


def _binary_codes(design: np.ndarray) -> np.ndarray | None:
    """Row codes ``sum_j 2^j x_j`` (R x n floats) of an R x n x p 0/1 design, else None."""
    n_replicates, n_obs, n_terms = design.shape
    powers = 2.0 ** np.arange(n_terms)
    codes = np.empty((n_replicates, n_obs))
    block = max(1, _BLOCK_ELEMENTS // (n_obs * n_terms))
    is_zero = np.empty((block, n_obs, n_terms), dtype=bool)
    is_one = np.empty_like(is_zero)
    # One cache-resident pass per block checks the values and codes the rows; whole-array
    # comparisons would stream the design from memory three times.
    for start in range(0, n_replicates, block):
        part = design[start : start + block]
        size = len(part)
        np.equal(part, 0.0, out=is_zero[:size])
        np.equal(part, 1.0, out=is_one[:size])
        np.logical_or(is_zero[:size], is_one[:size], out=is_zero[:size])
        if not is_zero[:size].all():
            return None
        np.matmul(part, powers, out=codes[start : start + size])
    return codes


def _take(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``index`` (sorted, unique) of ``array``, without a copy when that is every row."""
    return array if index.size == len(array) else array[index]


class _Problem:
    """Grouped-binomial form of the fits: ``trials`` and ``successes`` per covariate pattern.

    The logistic likelihood depends on the data only through the number of subjects and
    cases at each distinct covariate pattern, so a design with few distinct rows (binary
    exposures: at most 2^p) is fitted on its patterns: an exact rewrite, with every Newton
    product shrinking from ``n`` rows to the number of patterns. ``patterns`` is shared
    (``K x p``) or replicate-specific (``R x K x p``); ``trials`` and ``successes`` are
    ``R x K``. Information matrices come out as (p, p, R) stacks for the Cholesky helpers,
    scores as (p, R).
    """

    def __init__(self, patterns: np.ndarray, trials: np.ndarray, successes: np.ndarray) -> None:
        self.patterns = patterns
        self.trials = trials
        self.successes = successes
        self.shared = patterns.ndim == 2
        self.n_terms = patterns.shape[-1]
        if self.shared:
            # Each information matrix is one weighted sum of the rows' outer products, of
            # which only the lower triangle is needed. One (R x K) @ (K x pairs) BLAS product
            # would be large enough to go multithreaded, and waking the threads costs more
            # than the arithmetic (tens of times more on a loaded machine).
            row, column = np.tril_indices(self.n_terms)
            self.pair_products = patterns[:, row] * patterns[:, column]
            packed = np.zeros((self.n_terms, self.n_terms), dtype=np.intp)
            packed[row, column] = packed[column, row] = np.arange(len(row))
            self.unpack = packed.ravel()
            # A quadratic form x' A x over a symmetric A counts each off-diagonal pair twice.
            self.pair_quadratic = self.pair_products * np.where(row == column, 1.0, 2.0)

    def linear_predictor(self, index: np.ndarray, beta: np.ndarray) -> np.ndarray:
        if self.shared:
            return beta @ self.patterns.T
        return np.matmul(_take(self.patterns, index), beta[:, :, None])[:, :, 0]

    def score(self, index: np.ndarray, residual: np.ndarray) -> np.ndarray:
        if self.shared:
            return self.patterns.T @ residual.T
        return np.matmul(residual[:, None, :], _take(self.patterns, index))[:, 0, :].T

    def information(self, index: np.ndarray, weight: np.ndarray) -> np.ndarray:
        if self.shared:
            # A stack of (1 x K) @ (K x pairs) products: each BLAS call is too small to wake
            # worker threads.
            packed = np.matmul(weight[:, None, :], self.pair_products)[:, 0]
            return packed.T[self.unpack].reshape(self.n_terms, self.n_terms, len(index))
        rows = _take(self.patterns, index)
        return np.matmul(rows.transpose(0, 2, 1), rows * weight[:, :, None]).transpose(1, 2, 0)

    def leverage(self, index: np.ndarray, weight: np.ndarray, inverse: np.ndarray) -> np.ndarray:
        """Hat-matrix diagonals ``w_k x_k' I^-1 x_k`` for Firth's modified score."""
        if self.shared:
            row, column = np.tril_indices(self.n_terms)
            quadratic = np.einsum("kq,qr->rk", self.pair_quadratic, inverse[row, column])
        else:
            rows = _take(self.patterns, index)
            quadratic = (np.matmul(rows, inverse.transpose(2, 0, 1)) * rows).sum(axis=2)
        return weight * quadratic


def _group(X: np.ndarray, Y: np.ndarray, codes: np.ndarray | None) -> _Problem:
    """Collapse the fits to covariate patterns; ``codes`` (from _binary_codes) is consumed."""
    n_replicates, n_obs = Y.shape
    n_terms = X.shape[-1]
    if X.ndim == 2:
        patterns, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        if len(patterns) * 2 > n_obs:
            return _Problem(X, np.ones_like(Y), Y)
        membership = np.zeros((n_obs, len(patterns)))
        membership[np.arange(n_obs), inverse] = 1.0
        trials = np.broadcast_to(membership.sum(axis=0), (n_replicates, len(patterns)))
        return _Problem(patterns, np.ascontiguousarray(trials), Y @ membership)
    if codes is None:
        return _Problem(X, np.ones_like(Y), Y)
    # Counting passes number the patterns in O(R n), unlike a sort. When 2^p outnumbers the
    # rows, the codes present anywhere are first renumbered 0..K-1 through a lookup table.
    code_values = np.arange(2**n_terms)
    if len(code_values) > n_obs:
        integer_codes = codes.astype(np.intp)
        code_values = np.flatnonzero(np.bincount(integer_codes.ravel(), minlength=2**n_terms))
        if len(code_values) * 2 > n_obs:
            return _Problem(X, np.ones_like(Y), Y)
        lookup = np.zeros(2**n_terms)
        lookup[code_values] = np.arange(len(code_values))
        codes = lookup[integer_codes]
    # Cell (y, r, k) counts the subjects of replicate r with pattern k and outcome y: trials
    # and successes come from one unweighted bincount, laid out as two contiguous R x K blocks.
    n_codes = len(code_values)
    codes += n_codes * np.arange(n_replicates)[:, None]
    codes += (n_replicates * n_codes) * Y
    counts = np.bincount(codes.astype(np.intp).ravel(), minlength=2 * n_replicates * n_codes)
    counts = counts.reshape(2, n_replicates, n_codes)
    all_trials = counts[0] + counts[1]
    present = np.flatnonzero(all_trials.any(axis=0))
    if len(present) * 2 > n_obs:
        return _Problem(X, np.ones_like(Y), Y)
    patterns = ((code_values[present, None] >> np.arange(n_terms)) & 1).astype(float)
    return _Problem(
        patterns, all_trials[:, present].astype(float), counts[1][:, present].astype(float)
    )


# A replicate's design is rank deficient when the determinant of its scaled Gram matrix (a
# correlation-like matrix with unit diagonal, determinant in [0, 1]) falls below this.
_RANK_TOLERANCE = 1e-10


def _rank_deficient(problem: _Problem) -> np.ndarray:
    present = (problem.trials > 0).astype(float)
    gram = problem.information(np.arange(len(present)), present)
    diagonal = np.diagonal(gram).T
    empty = (diagonal <= 0).any(axis=0)
    scale = 1.0 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0))
    _, pivots, failed = _cholesky(gram * scale[:, None] * scale[None, :])
    # The determinant of L L' is the product of the pivots.
    return empty | failed | (pivots.prod(axis=0) < _RANK_TOLERANCE)


def _fitted(
    problem: _Problem,
    beta: np.ndarray,
    index: np.ndarray,
    trials: np.ndarray,
    *,
    check_saturation: bool,
    diverged: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted probabilities of the replicates ``index``, after dropping (and flagging in
    ``diverged``) those whose predictor saturates on an occupied pattern."""
    eta = problem.linear_predictor(index, _take(beta, index))
    if check_saturation:
        # Cheap screen first: only rows with some extreme |eta| need the check that the
        # extreme pattern actually holds subjects.
        extreme = np.flatnonzero(np.abs(eta).max(axis=1) > _SATURATED_ETA)
        saturated = np.zeros(index.size, dtype=bool)
        occupied = trials[extreme] > 0
        saturated[extreme] = ((np.abs(eta[extreme]) > _SATURATED_ETA) & occupied).any(axis=1)
        if saturated.any():
            diverged[index[saturated]] = True
            keep = ~saturated
            index, eta, trials = index[keep], eta[keep], trials[keep]
    return special.expit(eta), index, trials


def _newton(
    problem: _Problem, active: np.ndarray, *, max_iter: int, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood estimates, converged and diverged flags, iteration counts, and the
    variances (the diagonal of the inverse information) of the converged replicates."""
    n_replicates = problem.trials.shape[0]
    beta = np.zeros((n_replicates, problem.n_terms))
    variances = np.full_like(beta, np.nan)
    converged = np.zeros(n_replicates, dtype=bool)
    diverged = np.zeros(n_replicates, dtype=bool)
    n_iter = np.zeros(n_replicates, dtype=np.int64)
    index = np.flatnonzero(active)
    for iteration in range(max_iter):
        if index.size == 0:
            break
        trials = _take(problem.trials, index)
        if iteration == 0:
            # From beta = 0 every fitted probability is 1/2: no predictor, no saturation.
            mu = np.full(trials.shape, 0.5)
        else:
            mu, index, trials = _fitted(
                problem, beta, index, trials, check_saturation=True, diverged=diverged
            )
            if index.size == 0:
                break
        expected = trials * mu
        weight = expected * (1.0 - mu)
        residual = _take(problem.successes, index) - expected
        lower, _, failed = _cholesky(problem.information(index, weight))
        step = _solve(lower, problem.score(index, residual)).T
        # An information matrix that is not positive definite has lost a direction: the
        # weights of some patterns have collapsed to zero, which is separation at work.
        if failed.any():
            diverged[index[failed]] = True
            index, step, lower = index[~failed], step[~failed], lower[:, :, ~failed]
        largest = np.abs(step).max(axis=1)
        beta[index] += step
        n_iter[index] += 1
        done = largest < tol
        if done.any():
            # The information at the last iterate (less than `tol` from the estimate, as in
            # R's glm) gives the Wald variances: the diagonal of L^-T L^-1 is the column sums
            # of squares of L^-1.
            finished = _inverse_factor(lower[:, :, done])
            variances[index[done]] = (finished * finished).sum(axis=0).T
        converged[index[done]] = True
        index = index[~done]
    return beta, converged, diverged, n_iter, variances


def _penalised_curvature(
    problem: _Problem,
    index: np.ndarray,
    mu: np.ndarray,
    weight: np.ndarray,
    leverage: np.ndarray,
    information: np.ndarray,
    inverse: np.ndarray,
) -> np.ndarray:
    """Minus the Hessian of Firth's penalised log-likelihood, as a (p, p, R) stack.

    With ``I = X' W X``, ``W = diag(m mu (1 - mu))``, the Hessian of ``0.5 log|I|`` is
    ``0.5 X' diag(h (1 - 6 mu (1 - mu))) X - 0.5 tr(I^-1 D_a I^-1 D_b)``, where
    ``D_a = X' diag(m mu (1 - mu) (1 - 2 mu) x_a) X`` is the derivative of ``I`` in
    coefficient ``a`` (the batched form of :func:`neok2.stats.firth._penalty_curvature`).
    """
    rows = problem.patterns if problem.shared else _take(problem.patterns, index)
    slope = weight * (1.0 - 2.0 * mu)
    derivatives = np.stack(
        [problem.information(index, slope * rows[..., a]) for a in range(problem.n_terms)]
    )
    # tr(I^-1 D_a I^-1 D_b) = sum over (c, d) of (D_a I^-1)[c, d] (D_b I^-1)[d, c]
    products = np.einsum("acer,edr->acdr", derivatives, inverse)
    traces = np.einsum("acdr,bdcr->abr", products, products)
    diagonal = problem.information(index, leverage * (1.0 - 6.0 * mu * (1.0 - mu)))
    return information - 0.5 * diagonal + 0.5 * traces


# A step whose penalised log-likelihood falls by more than this relative amount is halved;
# smaller falls are rounding noise near the maximum.
_ASCENT_TOLERANCE = 1e-12


def _firth_newton(
    problem: _Problem, active: np.ndarray, *, max_iter: int, tol: float, max_step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Firth estimates, converged flags, iteration counts and the variances (the diagonal of
    the inverse Fisher information) of the converged replicates.

    Newton-Raphson on the penalised log-likelihood ``l + 0.5 log|X'WX|`` with its exact
    Hessian wherever that is negative definite; elsewhere the step solves with the
    information of Firth's pseudo-data, ``X' diag((m + h) mu (1 - mu)) X``, still an ascent
    direction. Steps are capped at ``max_step`` and halved (one halving per iteration) while
    they lower the penalised log-likelihood, as logistf does.
    """
    n_replicates = problem.trials.shape[0]
    beta = np.zeros((n_replicates, problem.n_terms))
    variances = np.full_like(beta, np.nan)
    converged = np.zeros(n_replicates, dtype=bool)
    n_iter = np.zeros(n_replicates, dtype=np.int64)
    # The last accepted iterate, its penalised log-likelihood and the step taken from it.
    start = np.zeros_like(beta)
    start_objective = np.full(n_replicates, -np.inf)
    last_step = np.zeros_like(beta)
    index = np.flatnonzero(active)
    for _ in range(max_iter):
        if index.size == 0:
            break
        trials = _take(problem.trials, index)
        successes = _take(problem.successes, index)
        eta = problem.linear_predictor(index, _take(beta, index))
        mu = special.expit(eta)
        expected = trials * mu
        weight = expected * (1.0 - mu)
        information = problem.information(index, weight)
        lower, pivots, failed = _cholesky(information)
        # log|X'WX| is the sum of the log pivots; log(1 + exp(eta)) via logaddexp never
        # overflows.
        objective = (successes * eta - trials * np.logaddexp(0.0, eta)).sum(axis=1)
        objective += 0.5 * np.log(pivots).sum(axis=0)
        worse = ~failed & (
            objective < start_objective[index] - _ASCENT_TOLERANCE * np.abs(objective)
        )
        n_iter[index] += 1
        if worse.any():
            halved = index[worse]
            last_step[halved] /= 2.0
            beta[halved] = start[halved] + last_step[halved]

        factor = _inverse_factor(lower)
        inverse = _backward(lower, factor)
        leverage = problem.leverage(index, weight, inverse)
        score = problem.score(index, successes - expected + leverage * (0.5 - mu))
        curvature = _penalised_curvature(problem, index, mu, weight, leverage, information, inverse)
        newton_lower, _, not_concave = _cholesky(curvature)
        step = _solve(newton_lower, score).T
        if not_concave.any():
            # Firth's modified score is the ordinary score of pseudo-data with h / 2 more
            # cases among h more trials per pattern; their information is positive definite
            # and, unlike X'WX alone, does not double the step where a pattern's h is as
            # large as its count (a single subject in a saturated model).
            pseudo = weight + leverage * mu * (1.0 - mu)
            pseudo_lower, _, _ = _cholesky(
                problem.information(index[not_concave], pseudo[not_concave])
            )
            step[not_concave] = _solve(pseudo_lower, score[:, not_concave]).T
        largest = np.abs(step).max(axis=1)
        # The cap (logistf's maxstep) keeps early overshoots on sparse data from throwing the
        # iterate into a flat region.
        scale = np.divide(max_step, largest, out=np.ones_like(largest), where=largest > max_step)
        stepping = ~failed & ~worse
        moved = index[stepping]
        start[moved] = beta[moved]
        start_objective[moved] = objective[stepping]
        last_step[moved] = step[stepping] * scale[stepping, None]
        beta[moved] += last_step[moved]
        done = stepping & (largest < tol)
        if done.any():
            # Wald variances from the information at the last iterate, as in _newton.
            finished = factor[:, :, done]
            variances[index[done]] = (finished * finished).sum(axis=0).T
            converged[index[done]] = True
        # A replicate whose information is singular cannot be continued: it stays unconverged.
        index = index[~done & ~failed]
    return beta, converged, n_iter, variances


def fit_logistic_batch(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    firth: bool = False,
    max_step: float = 5.0,
) -> LogisticBatchResult:
    """Fit one logistic regression per replicate, all replicates at once.

    Parameters
    ----------
    X : array-like
        Design with the intercept column included: ``n x p`` shared by every replicate, or
        ``R x n x p`` with one design per replicate (simulated exposures differ).
    Y : array-like
        ``R x n`` 0/1 outcomes (a single ``n`` vector is one replicate).
    max_iter : int, default 100
        Newton iterations allowed per replicate.
    tol : float, default 1e-10
        Convergence when the largest absolute coefficient change is below ``tol``.
    firth : bool, default False
        Maximise Firth's penalised likelihood (Jeffreys prior), which stays finite under
        separation; ``coef`` then holds Firth estimates for every full-rank replicate.
    max_step : float, default 5
        Largest coefficient change per iteration in Firth fits (logistf's ``maxstep``).

    Returns
    -------
    LogisticBatchResult
        ``coef`` and ``std_error`` (``R x p``), ``converged``, ``separated``,
        ``rank_deficient``, ``n_iter`` (``R``); ``.p_value`` gives Wald p-values and
        ``.tidy()`` a long frame ``replicate, term, estimate, std_error, statistic, p_value,
        odds_ratio, ci_low, ci_high, converged, separated``.

    Notes
    -----
    Newton-Raphson (identical to IRLS for the canonical logit link):
    ``beta <- beta + (X' W X)^-1 X' (y - mu)``, ``W = diag(mu (1 - mu))``, from ``beta = 0``.
    Designs with few distinct rows (binary exposures) are first collapsed to binomial counts
    per covariate pattern, an exact rewrite of the likelihood that makes each step cost
    O(patterns) instead of O(n). Each step's linear system is solved through a Cholesky
    factorisation of ``X' W X``, vectorised over the replicates; Wald errors are the square
    roots of the diagonal of its inverse, from the factorisation of the last iteration
    (whose iterate is less than ``tol`` from the estimate, as in R's ``glm``).
    Firth's modified score adds ``h_i (1/2 - mu_i)`` to each residual, ``h_i`` the diagonal of
    ``W^1/2 X (X' W X)^-1 X' W^1/2`` (Heinze & Schemper 2002). Firth's estimate is found by
    Newton-Raphson on the penalised log-likelihood ``l + 0.5 log|X' W X|`` with its exact
    Hessian; where that is not negative definite the step uses the information of Firth's
    pseudo-data, ``X' diag((m_i + h_i) mu_i (1 - mu_i)) X`` (``h_i / 2`` extra cases among
    ``h_i`` extra trials). Steps are capped at ``max_step`` and halved while they lower the
    penalised log-likelihood, as in logistf. Standard errors come from the inverse Fisher
    information in both cases.

    *Separation rule.* A replicate is flagged ``separated`` when its maximum-likelihood
    Newton iterates either (a) push any fitted probability within 1e-10 of 0 or 1
    (``|x' beta| > 23.03``), (b) reach an information matrix that is not numerically positive
    definite, or (c) fail to converge within ``max_iter``. These are what a
    coefficient running off to infinity looks like under complete or quasi-complete
    separation (Albert & Anderson 1984); R's ``glm`` warns about the first ("fitted
    probabilities numerically 0 or 1"). Separated replicates get NaN estimates unless
    ``firth=True``.

    Mirrors R's ``glm(family = binomial)`` / statsmodels ``Logit`` (ML) and
    ``logistf::logistf`` / ``brglm2::brglmFit(type = "AS_mean")`` (Firth, Wald errors).

    References
    ----------
    McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., ch. 4.
    Firth D (1993). Bias reduction of maximum likelihood estimates. Biometrika 80:27-38.
    Heinze G, Schemper M (2002). A solution to the problem of separation in logistic
    regression. Statistics in Medicine 21:2409-2419.
    Albert A, Anderson JA (1984). On the existence of maximum likelihood estimates in logistic
    regression models. Biometrika 71:1-10.

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0, 0, 1, 1, 1, 0]])
    >>> Y = np.array([[0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0]])
    >>> fit = fit_logistic_batch(X, Y)
    >>> fit.coef[0].round(4).tolist()
    [-0.6931, 1.3863]
    >>> fit.separated.tolist()
    [False, True]
    >>> np.isnan(fit.coef[1]).all()
    np.True_
    """
    _check_options(max_iter, tol, firth, max_step)
    return _fit(
        _group(*_validate(X, Y)),
        max_iter=int(max_iter),
        tol=float(tol),
        firth=firth,
        max_step=float(max_step),
    )


def fit_binomial_batch(
    patterns: np.ndarray,
    trials: np.ndarray,
    successes: np.ndarray,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    firth: bool = False,
    max_step: float = 5.0,
) -> LogisticBatchResult:
    """Fit one grouped (binomial) logistic regression per replicate, all at once.

    The grouped form of :func:`fit_logistic_batch`, like R's ``glm(cbind(successes,
    trials - successes) ~ ..., family = binomial)``: the data of replicate ``r`` are
    ``trials[r, k]`` subjects with covariates ``patterns[k]`` of whom ``successes[r, k]`` are
    cases. A simulation that draws counts per covariate pattern (multinomial sampling) fits
    them without ever building subject-level rows.

    Parameters
    ----------
    patterns : array-like
        ``K x p`` covariate patterns shared by all replicates (intercept column included), or
        ``R x K x p``.
    trials, successes : array-like
        ``R x K`` non-negative counts, ``successes <= trials``; patterns with zero trials are
        ignored.
    max_iter, tol, firth, max_step
        As in :func:`fit_logistic_batch`.

    Returns
    -------
    LogisticBatchResult
        As :func:`fit_logistic_batch`.

    Notes
    -----
    The binomial log-likelihood ``sum_k y_k eta_k - m_k log(1 + exp(eta_k))`` is the
    subject-level one summed within patterns, so estimates and Wald errors equal those of
    the expanded data exactly; Firth's penalty is likewise unchanged. Mirrors ``glm`` with a
    two-column binomial response.

    References
    ----------
    McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., section 4.4.

    Examples
    --------
    >>> patterns = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> fit = fit_binomial_batch(patterns, [[3, 3]], [[1, 2]])
    >>> fit.coef.round(4).tolist()
    [[-0.6931, 1.3863]]
    """
    _check_options(max_iter, tol, firth, max_step)
    pattern_array = _as_float_array(patterns, "patterns")
    trial_array = _as_float_array(trials, "trials")
    success_array = _as_float_array(successes, "successes")
    if trial_array.ndim != 2 or trial_array.shape != success_array.shape:
        raise ValueError(
            "`trials` and `successes` must both be R x K arrays of the same shape, got "
            f"{trial_array.shape} and {success_array.shape}"
        )
    n_replicates, n_patterns = trial_array.shape
    expected = (n_patterns,) if pattern_array.ndim == 2 else (n_replicates, n_patterns)
    if pattern_array.ndim not in (2, 3) or pattern_array.shape[:-1] != expected:
        raise ValueError(
            f"`patterns` must be K x p or R x K x p with K = {n_patterns}, R = {n_replicates}; "
            f"got shape {pattern_array.shape}"
        )
    if (trial_array < 0).any() or (success_array < 0).any() or (success_array > trial_array).any():
        raise ValueError("counts must satisfy 0 <= successes <= trials in every cell")
    return _fit(
        _Problem(pattern_array, trial_array, success_array),
        max_iter=int(max_iter),
        tol=float(tol),
        firth=firth,
        max_step=float(max_step),
    )


def _check_options(max_iter: Any, tol: Any, firth: Any, max_step: Any) -> None:
    int_like(max_iter, "max_iter", minimum=1)
    if positive(tol, "tol") >= 1:
        raise ValueError(f"`tol` must be a small positive number such as 1e-10, got {tol!r}")
    if not isinstance(firth, bool):
        raise TypeError(f"`firth` must be True or False, got {type(firth).__name__}")
    positive(max_step, "max_step")


def _fit(
    problem: _Problem, *, max_iter: int, tol: float, firth: bool, max_step: float
) -> LogisticBatchResult:
    rank_deficient = _rank_deficient(problem)
    full_rank = ~rank_deficient
    beta, converged, diverged, n_iter, variances = _newton(
        problem, full_rank, max_iter=max_iter, tol=tol
    )
    separated = full_rank & (diverged | ~converged)
    if firth:
        beta, converged, n_iter, variances = _firth_newton(
            problem, full_rank, max_iter=max_iter, tol=tol, max_step=max_step
        )
        usable = full_rank & converged
    else:
        usable = full_rank & ~separated
    beta[~usable] = np.nan
    variances[~usable] = np.nan
    errors = np.sqrt(variances)
    return LogisticBatchResult(
        coef=beta,
        std_error=errors,
        converged=converged,
        separated=separated,
        rank_deficient=rank_deficient,
        n_iter=n_iter,
        firth=firth,
    )
