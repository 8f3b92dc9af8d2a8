"""Fast logistic fits over many design matrices that share one outcome.

The synthesizer's joint calibration proposes dozens of candidate data sets per step that differ
from the current one in two cells of the design matrix, so the batch runs over design
matrices (the outcome is fixed). Plain Newton-Raphson with step halving, vectorised with
``einsum``. (:func:`neok2.stats.batch.fit_logistic_batch` batches over outcomes instead.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

__all__ = ["LogisticBatch", "fit_logistic_many", "wald_p"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LogisticBatch:
    """Coefficients, their covariance and convergence flags for a batch of fits."""

    coef: FloatArray
    cov: FloatArray
    converged: npt.NDArray[np.bool_]


def _log_likelihood(X: FloatArray, y: FloatArray, coef: FloatArray, w: FloatArray) -> FloatArray:
    eta = np.einsum("mnp,mp->mn", X, coef)
    return np.sum(w * (y * eta - np.logaddexp(0.0, eta)), axis=1)


def fit_logistic_many(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    start: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    max_iter: int = 30,
    tol: float = 1e-10,
) -> LogisticBatch:
    """Maximum-likelihood logistic regression of one outcome on a batch of design matrices.

    Parameters
    ----------
    X : array-like, shape (m, n, p)
        Design matrices (intercept column included); a 2-D array is one fit.
    y : array-like, shape (n,)
        The 0/1 outcome shared by every fit.
    start : array-like, shape (m, p) or (p,), optional
        Starting coefficients (a warm start makes neighbouring fits converge in 2-3 steps).
    weights : array-like, shape (n,), optional
        Non-negative frequency weights of the rows (a population given as weighted atoms);
        the covariance is then the inverse information of that weighted sample.
    max_iter : int, default 30
    tol : float, default 1e-10
        Convergence when the largest Newton step is below ``tol``.

    Returns
    -------
    LogisticBatch
        ``coef`` (m, p), ``cov`` (m, p, p) the inverse observed information, ``converged`` (m,).
        Fits that diverge (separation) have ``converged`` False.
    """
    design = np.asarray(X, dtype=float)
    if design.ndim == 2:
        design = design[None]
    outcome = np.asarray(y, dtype=float)
    m, n, p = design.shape
    if outcome.shape != (n,):
        raise ValueError(f"`y` must have shape ({n},) to match `X`, got {outcome.shape}")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError(f"`weights` must be {n} non-negative finite numbers, one per row")
    coef = np.zeros((m, p)) if start is None else np.broadcast_to(start, (m, p)).astype(float)
    converged = np.zeros(m, dtype=bool)
    loglik = _log_likelihood(design, outcome, coef, w)
    eye = np.eye(p)
    for _ in range(max_iter):
        mu = special.expit(np.einsum("mnp,mp->mn", design, coef))
        weight = w * mu * (1.0 - mu)
        information = np.einsum("mnp,mn,mnq->mpq", design, weight, design) + 1e-12 * eye
        score = np.einsum("mnp,mn->mp", design, w * (outcome - mu))
        step = np.linalg.solve(information, score[..., None])[..., 0]
        step = np.where(converged[:, None], 0.0, step)
        # Halve steps that lower the likelihood so a poor start cannot overshoot.
        scale = np.ones(m)
        for _halving in range(20):
            trial = coef + scale[:, None] * step
            trial_loglik = _log_likelihood(design, outcome, trial, w)
            worse = trial_loglik < loglik - 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale / 2.0, scale)
        coef, loglik = trial, trial_loglik
        converged |= np.max(np.abs(scale[:, None] * step), axis=1) < tol
        if converged.all():
            break
    mu = special.expit(np.einsum("mnp,mp->mn", design, coef))
    information = np.einsum("mnp,mn,mnq->mpq", design, w * mu * (1.0 - mu), design) + 1e-12 * eye
    cov = np.linalg.inv(information)
    converged &= np.isfinite(coef).all(axis=1)
    return LogisticBatch(coef=coef, cov=cov, converged=converged)


def wald_p(batch: LogisticBatch) -> FloatArray:
    """Two-sided Wald p-values of every coefficient, shape (m, p)."""
    se = np.sqrt(np.diagonal(batch.cov, axis1=1, axis2=2))
    return 2.0 * stats.norm.sf(np.abs(batch.coef / se))
