"""Numerical engine for binary logistic regression: ML and Firth fits, profiles, separation.

Everything here works on a design matrix ``X`` (intercept column included) and a 0/1
vector ``y``; :mod:`neok2.stats.logistic` turns data frames and formulas into these. Nothing here
rounds, warns or prints: problems come back as flags.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special
from threadpoolctl import ThreadpoolController

__all__ = [
    "Fit",
    "Separation",
    "detect_separation",
    "fit_logistic",
    "likelihood_ratio",
    "one_blas_thread",
    "profile_interval",
    "wald_p_value",
]

FloatArray = NDArray[np.float64]

# Largest Newton step in any coefficient; the value logistf uses (maxstep = 5) keeps Firth
# iterations stable when the ML estimate would diverge.
_MAX_STEP = 5.0
_MAX_HALVINGS = 40
# ML fits of separated data never converge; glm() gives up after 25 iterations, we allow more
# so that non-separated but ill-conditioned fits still converge.
_MAX_ITER = {False: 100, True: 500}
_STEP_TOLERANCE = 1e-10
_LP_TOLERANCE = 1e-7
# The score certificate of detect_separation must clear the LP tolerance by this factor, so
# that it only answers where the solver's own answer is unambiguous.
_CERTIFICATE_MARGIN = 1e-3
# Rows per block in the Firth computations (bounds their memory) and the row count above
# which the Firth Newton step uses the Fisher information alone.
_ROW_BLOCK = 16384
# Secant search for profile bounds: at most this many steps, stopped at this relative step.
_SECANT_STEPS = 12
_SECANT_TOLERANCE = 1e-11
_EXACT_CURVATURE_ROWS = 20000


_CONTROLLER: list[ThreadpoolController] = []


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the enclosed products on one BLAS thread.

    The products here are tall and thin (``n x k`` with ``k`` about 20): a multithreaded
    BLAS gains little on them and, on a busy machine, its spinning threads make a Gram
    matrix of 10^6 rows 20-40 times slower than one thread does. The controller is built
    once (listing the loaded libraries costs milliseconds); entering the limit costs
    microseconds.

    Examples
    --------
    >>> with one_blas_thread():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class Fit:
    """One (possibly constrained) maximisation of the (penalised) log-likelihood."""

    coefficients: FloatArray
    covariance: FloatArray
    loglik: float
    objective: float
    converged: bool
    iterations: int


def _loglik(eta: FloatArray, y: FloatArray, frequency: FloatArray | None = None) -> float:
    # log(1 + exp(eta)) via logaddexp never overflows, unlike log1p(exp(eta))
    terms = y * eta - np.logaddexp(0.0, eta)
    return float(np.sum(terms if frequency is None else frequency * terms))


def _information(X: FloatArray, weights: FloatArray) -> FloatArray:
    return np.asarray((X * weights[:, None]).T @ X)


def _log_det(matrix: FloatArray) -> float:
    sign, value = np.linalg.slogdet(matrix)
    return float(value) if sign > 0 else -math.inf


def _objective(
    X: FloatArray, y: FloatArray, beta: FloatArray, firth: bool, frequency: FloatArray | None
) -> tuple[float, float]:
    eta = X @ beta
    loglik = _loglik(eta, y, frequency)
    if not firth:
        return loglik, loglik
    probability = special.expit(eta)
    weights = probability * (1.0 - probability)
    if frequency is not None:
        weights = weights * frequency
    return loglik, loglik + 0.5 * _log_det(_information(X, weights))


def _penalty_curvature(
    X: FloatArray,
    weights: FloatArray,
    probability: FloatArray,
    leverage: FloatArray,
    inverse: FloatArray,
    frequency: FloatArray | None = None,
) -> FloatArray:
    """Second derivative of ``0.5 log|X'WX|`` in the coefficients.

    With ``a_i = w_i (1 - 2 p_i)`` and ``Q = X (X'WX)^-1 X'`` it is
    ``0.5 X' diag(h (1 - 6 w)) X - 0.5 X' A (Q o Q) A X``; the second term is computed as
    ``B (M kron M) B'`` with ``B = sum_i a_i x_i (x_i kron x_i)'``, so no n-by-n matrix is
    formed.
    """
    n_rows, n_columns = X.shape
    first = (X * (leverage * (1.0 - 6.0 * weights))[:, None]).T @ X
    slope = weights * (1.0 - 2.0 * probability)
    if frequency is not None:
        # each grouped row stands for `frequency` identical rows of the expanded data
        first = (X * (frequency * leverage * (1.0 - 6.0 * weights))[:, None]).T @ X
        slope = slope * frequency
    # B is summed over blocks of rows, so memory stays at _ROW_BLOCK * k^2 however many rows
    B = np.zeros((n_columns, n_columns * n_columns))
    for start in range(0, n_rows, _ROW_BLOCK):
        rows = slice(start, start + _ROW_BLOCK)
        block = X[rows]
        outer = np.einsum("ij,ik->ijk", block, block).reshape(-1, n_columns * n_columns)
        B += (block * slope[rows, None]).T @ outer
    second = B @ np.kron(inverse, inverse) @ B.T
    return np.asarray(0.5 * first - 0.5 * second)


def _score_and_information(
    X: FloatArray, y: FloatArray, beta: FloatArray, firth: bool, frequency: FloatArray | None
) -> tuple[FloatArray, FloatArray] | None:
    """Gradient of the objective and the matrix of the Newton step (minus its Hessian).

    For ML the Fisher information is the exact negative Hessian (canonical link). For Firth
    the exact negative Hessian of the penalised likelihood is used where it is positive
    definite, which makes Newton converge quadratically; elsewhere Fisher scoring (as in
    logistf) keeps the step an ascent direction.
    """
    probability = special.expit(X @ beta)
    weights = probability * (1.0 - probability)
    information = _information(X, weights if frequency is None else weights * frequency)
    residual = y - probability
    if not firth:
        return X.T @ (residual if frequency is None else frequency * residual), information
    try:
        cholesky = np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        return None
    # hat-matrix diagonal of W^1/2 X (X'WX)^-1 X' W^1/2 (per subject, not per grouped
    # row), by blocks of rows
    leverage = np.empty(X.shape[0])
    for start in range(0, X.shape[0], _ROW_BLOCK):
        rows = slice(start, start + _ROW_BLOCK)
        half = np.linalg.solve(cholesky, (X[rows] * np.sqrt(weights[rows])[:, None]).T)
        leverage[rows] = np.sum(half * half, axis=0)
    adjusted = residual + leverage * (0.5 - probability)
    score = X.T @ (adjusted if frequency is None else frequency * adjusted)
    if X.shape[0] > _EXACT_CURVATURE_ROWS:
        # The penalty's curvature is O(k) against the information's O(n): with many rows,
        # Fisher scoring (logistf's method) converges as fast, to the same estimate, and
        # skips the n k^3 work of the exact term.
        return score, information
    inverse = np.asarray(np.linalg.inv(information), dtype=np.float64)
    curvature = information - _penalty_curvature(
        X, weights, probability, leverage, inverse, frequency
    )
    return score, curvature


def fit_logistic(
    X: FloatArray,
    y: FloatArray,
    *,
    firth: bool,
    fixed: dict[int, float] | None = None,
    start: FloatArray | None = None,
    frequency: FloatArray | None = None,
    curvature: FloatArray | None = None,
    covariance: bool = True,
) -> Fit:
    """Maximise the log-likelihood (Firth: plus half log|X'WX|) with some coefficients fixed.

    Newton-Raphson on the free coefficients (exact Hessian; Fisher scoring where the
    penalised objective is not concave), steps capped at 5 and halved until the objective
    does not decrease. As in logistf, a constrained Firth fit keeps the
    penalty of the full model. The covariance is the inverse Fisher information of the full
    model at the estimate (NaN when singular). ``frequency`` holds frequency weights: each
    row counts as that many identical rows (grouped records), with the same estimates as
    the expanded data.

    ``curvature`` (ML only) is a fixed positive definite matrix for the Newton steps, the
    information at a nearby estimate: each step then needs the score alone, ``O(n k)``
    instead of the ``O(n k^2)`` of the information (the chord method). The estimate is the
    same, since the steps stop only where the exact score vanishes; while the steps shrink
    at least tenfold the fixed matrix is kept, otherwise the exact information takes over.
    ``covariance=False`` skips the final information (an ``O(n k^2)`` product) when only the
    objective is wanted, as in the constrained fits of a profile; the covariance is then NaN.
    """
    n_coefficients = X.shape[1]
    fixed = fixed or {}
    free = np.array([j for j in range(n_coefficients) if j not in fixed], dtype=int)
    beta = np.zeros(n_coefficients) if start is None else np.array(start, dtype=float)
    for index, value in fixed.items():
        beta[index] = value
    loglik, objective = _objective(X, y, beta, firth, frequency)
    chord = None if curvature is None or firth else curvature[np.ix_(free, free)]
    previous_largest = math.inf
    converged = False
    iteration = 0
    for iteration in range(1, _MAX_ITER[firth] + 1):  # noqa: B007 - iteration count is reported
        if free.size == 0:
            converged = True
            break
        if chord is not None:
            residual = y - special.expit(X @ beta)
            score = X.T @ (residual if frequency is None else frequency * residual)
            block = chord
        else:
            pieces = _score_and_information(X, y, beta, firth, frequency)
            if pieces is None:
                break
            score, newton = pieces
            block = newton[np.ix_(free, free)]
        try:
            np.linalg.cholesky(block)
        except np.linalg.LinAlgError:
            # not concave here: fall back to Fisher scoring
            probability = special.expit(X @ beta)
            variance = probability * (1.0 - probability)
            if frequency is not None:
                variance = variance * frequency
            block = _information(X, variance)[np.ix_(free, free)]
        try:
            step = np.linalg.solve(block, score[free])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        largest = float(np.max(np.abs(step)))
        if largest > _MAX_STEP:
            step = step * (_MAX_STEP / largest)
        for _ in range(_MAX_HALVINGS):
            candidate = beta.copy()
            candidate[free] += step
            new_loglik, new_objective = _objective(X, y, candidate, firth, frequency)
            if new_objective >= objective - 1e-12 * abs(objective):
                break
            step = step / 2.0
        beta, loglik, objective = candidate, new_loglik, new_objective
        largest = float(np.max(np.abs(step)))
        if largest < _STEP_TOLERANCE:
            converged = True
            break
        if chord is not None and largest > 0.1 * previous_largest:
            chord = None  # the fixed matrix is too far from the Hessian here: Newton
        previous_largest = largest
    inverse = np.full((n_coefficients, n_coefficients), np.nan)
    if covariance:
        probability = special.expit(X @ beta)
        variance = probability * (1.0 - probability)
        information = _information(X, variance if frequency is None else variance * frequency)
        with suppress(np.linalg.LinAlgError):
            inverse = np.asarray(np.linalg.inv(information), dtype=np.float64)
    return Fit(
        coefficients=beta,
        covariance=inverse,
        loglik=loglik,
        objective=objective,
        converged=converged,
        iterations=iteration,
    )


def profile_interval(
    X: FloatArray,
    y: FloatArray,
    fit: Fit,
    index: int,
    *,
    firth: bool,
    critical: float,
    frequency: FloatArray | None = None,
) -> tuple[float, float, float, bool]:
    """Profile (penalised) likelihood interval and likelihood-ratio p-value for one coefficient.

    The bounds solve ``2 * (objective(fit) - profile(b)) = critical`` on each side of the
    estimate by secant steps on the signed root of that statistic (Brent's method on a
    bracket when they do not settle), each constrained fit starting from the covariance's
    linear prediction; the p-value compares ``2 * (objective - profile(0))`` with
    a chi-square on 1 df. Returns ``(low, high, p_value, all_converged)``; a bound that cannot
    be bracketed is NaN. Above 20,000 rows the unpenalised constrained fits take chord steps
    with the estimate's information (see :func:`fit_logistic`): same bounds, a fraction of
    the work.
    """
    estimate = float(fit.coefficients[index])
    scale = math.sqrt(fit.covariance[index, index])
    if not math.isfinite(scale) or scale <= 0:
        scale = 1.0
    warm = {"start": fit.coefficients}
    all_converged = True
    curvature = None
    if not firth and X.shape[0] > _EXACT_CURVATURE_ROWS:
        # With many rows the information barely changes over the interval: the constrained
        # fits reuse the estimate's (chord steps, O(n k) each instead of O(n k^2)).
        probability = special.expit(X @ fit.coefficients)
        weights = probability * (1.0 - probability)
        curvature = _information(X, weights if frequency is None else weights * frequency)

    def drop(value: float) -> float:
        nonlocal all_converged
        constrained = fit_logistic(
            X,
            y,
            firth=firth,
            fixed={index: value},
            start=warm["start"],
            frequency=frequency,
            curvature=curvature,
            covariance=False,
        )
        all_converged = all_converged and constrained.converged
        warm["start"] = constrained.coefficients
        return 2.0 * (fit.objective - constrained.objective)

    target = math.sqrt(critical)
    # How the other coefficients move with this one, from the covariance: constrained fits
    # start from this linear prediction and converge in a step or two.
    slope = fit.covariance[:, index] / fit.covariance[index, index]
    predict = bool(np.all(np.isfinite(slope)))

    def signed_root(value: float) -> float:
        if predict:
            warm["start"] = fit.coefficients + slope * (value - estimate)
        return math.sqrt(max(drop(value), 0.0))

    def secant(direction: float) -> float:
        """The bound by secant steps on the signed root, nearly linear in the coefficient.

        A handful of constrained fits instead of Brent's dozen or two; NaN when the steps
        do not settle (a flat profile), and the bracketing search takes over.
        """
        previous, previous_root = estimate, 0.0
        current = estimate + direction * target * scale
        current_root = signed_root(current)
        for _ in range(_SECANT_STEPS):
            if not math.isfinite(current_root) or current_root <= previous_root:
                return math.nan
            following = current + (target - current_root) * (current - previous) / (
                current_root - previous_root
            )
            if direction * (following - estimate) <= 0 or abs(following - estimate) > 64 * abs(
                current - estimate
            ):
                return math.nan
            previous, previous_root, current = current, current_root, following
            current_root = signed_root(current)
            # The statistic itself is known only to the fits' precision (worse with many
            # rows), so a root matching the target that closely also ends the search.
            if (
                abs(current - previous) <= _SECANT_TOLERANCE * max(1.0, abs(current))
                or abs(current_root - target) <= _SECANT_TOLERANCE * target
            ):
                return current
        return current if abs(current_root - target) <= 1e-7 * target else math.nan

    def bound(direction: float) -> float:
        found = secant(direction)
        if math.isfinite(found):
            return found
        warm["start"] = fit.coefficients
        inner, distance = estimate, 2.0 * scale
        for _ in range(30):
            outer = estimate + direction * distance
            if drop(outer) >= critical:
                return optimize.brentq(
                    lambda value: drop(value) - critical,
                    min(inner, outer),
                    max(inner, outer),
                    xtol=1e-12,
                    rtol=1e-12,
                )
            inner, distance = outer, 2.0 * distance
        return math.nan

    low, high = bound(-1.0), bound(1.0)
    warm["start"] = fit.coefficients
    statistic = max(drop(0.0), 0.0)
    p_value = float(special.chdtrc(1, statistic))
    return low, high, p_value, all_converged


def likelihood_ratio(
    X: FloatArray,
    y: FloatArray,
    fit: Fit,
    indices: list[int],
    *,
    firth: bool,
    frequency: FloatArray | None = None,
) -> tuple[float, bool]:
    """Likelihood-ratio statistic for setting ``indices`` to zero (penalty of the full model)."""
    constrained = fit_logistic(
        X,
        y,
        firth=firth,
        fixed=dict.fromkeys(indices, 0.0),
        start=fit.coefficients,
        frequency=frequency,
        covariance=False,
    )
    return max(2.0 * (fit.objective - constrained.objective), 0.0), constrained.converged


@dataclass(frozen=True)
class Separation:
    """Outcome of the linear-programming separation check.

    ``kind`` is None, "complete" or "quasi-complete"; ``infinite`` lists the column indices
    whose ML estimate diverges (those that can move along a separating direction).
    """

    kind: str | None
    infinite: tuple[int, ...]


def _linprog(objective: FloatArray, A_ub: FloatArray, bounds: list[tuple[float, float]]) -> float:
    result = optimize.linprog(
        objective, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), bounds=bounds, method="highs"
    )
    return -float(result.fun) if result.status == 0 else 0.0


def detect_separation(
    X: FloatArray, y: FloatArray, *, ml_fit: Fit | None = None, frequency: FloatArray | None = None
) -> Separation:
    """Konis (2007) linear-programming check for complete and quasi-complete separation.

    With ``s = 2y - 1`` the ML estimate exists iff the only ``b`` with ``s_i x_i'b >= 0`` for
    every row is ``b = 0``. Each LP bounds ``b`` to the unit box on column-scaled data:
    maximising ``sum_i s_i x_i'b`` decides whether separation exists, maximising ``+-b_j``
    finds the coefficients that can move along a separating direction, and maximising ``t``
    with ``s_i x_i'b >= t`` tells complete (``t > 0``) from quasi-complete separation. This is
    the check of R's detectseparation::detect_separation.

    A converged ML fit (``ml_fit``) can answer the first LP without solving it: its score
    equation ``sum_i (y_i - mu_i) x_i = g ~ 0`` writes ``g`` as a combination of the rows
    ``s_i x_i`` with weights ``lambda_i = |y_i - mu_i| > 0``. For any feasible ``b`` every
    term ``s_i x_i'b`` is non-negative and ``sum_i lambda_i s_i x_i'b = g'b <= |g|_1`` (on the
    scaled columns), so the LP optimum is at most ``|g|_1 sum_i 1 / lambda_i``; when that
    bound is far below the LP's tolerance the answer is "not separated", without the solver.
    Frequency weights (positive) change the certificate's weights, not the LP: repeated rows
    add no constraint.
    """
    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1.0
    n_rows = X.shape[0]
    if ml_fit is not None and ml_fit.converged:
        probability = special.expit(X @ ml_fit.coefficients)
        residual = y - probability if frequency is None else frequency * (y - probability)
        weights = np.abs(residual)
        if np.all(weights > 0):
            score = np.abs((residual @ X) / scale).sum()
            if score * np.sum(1.0 / weights) <= _CERTIFICATE_MARGIN * _LP_TOLERANCE * n_rows:
                return Separation(kind=None, infinite=())
    signed = (X / scale) * (2.0 * y - 1.0)[:, None]
    total = signed.sum(axis=0)
    # Repeated rows repeat a constraint: the LPs need each distinct row once (the objective
    # above keeps the sum over all rows), which shrinks large data sets with discrete columns.
    signed = np.unique(signed, axis=0)
    n_columns = signed.shape[1]
    box = [(-1.0, 1.0)] * n_columns
    # linprog minimises; constraints -signed @ b <= 0 mean signed @ b >= 0
    if _linprog(-total, -signed, box) <= _LP_TOLERANCE * n_rows:
        return Separation(kind=None, infinite=())
    infinite = []
    for j in range(n_columns):
        for direction in (1.0, -1.0):
            objective = np.zeros(n_columns)
            objective[j] = -direction
            if _linprog(objective, -signed, box) > _LP_TOLERANCE * 10:
                infinite.append(j)
                break
    with_margin = np.hstack([-signed, np.ones((signed.shape[0], 1))])
    objective = np.zeros(n_columns + 1)
    objective[-1] = -1.0
    margin = _linprog(objective, with_margin, [*box, (0.0, 1.0)])
    kind = "complete" if margin > _LP_TOLERANCE * 10 else "quasi-complete"
    return Separation(kind=kind, infinite=tuple(infinite))


def wald_p_value(z: float) -> float:
    """Two-sided normal p-value."""
    return float(2.0 * special.ndtr(-abs(z)))
