"""Batched Cholesky factors and triangular solves over a stack of small matrices.

Replicate-batched Cholesky algebra. Every stack of p x p matrices is stored as a (p, p, R)
array, so each matrix entry is one contiguous vector over the replicates and the
factorisation is a Python loop over the p columns doing numpy work over R; for the small p
of epidemiological models this is several times faster than LAPACK's per-matrix calls, and
a non-positive pivot flags a singular (rank-deficient or separated) matrix on the way.
"""

from __future__ import annotations

import numpy as np

__all__ = ["backward", "cholesky", "forward", "inverse_factor", "solve"]


def cholesky(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower factors ``L`` (``matrix = L L'``), pivots ``diag(L)^2`` and failure flags."""
    n_terms, _, n_replicates = matrix.shape
    lower = np.zeros_like(matrix)
    pivots = np.empty((n_terms, n_replicates))
    failed = np.zeros(n_replicates, dtype=bool)
    for column in range(n_terms):
        left = lower[column, :column]
        pivot = matrix[column, column] - (left * left).sum(axis=0)
        # `not > 0` also catches NaN; a unit pivot keeps the failed factor finite.
        bad = ~(pivot > 0.0)
        if bad.any():
            failed |= bad
            pivot[bad] = 1.0
        pivots[column] = pivot
        root = np.sqrt(pivot)
        lower[column, column] = root
        if column + 1 < n_terms:
            below = matrix[column + 1 :, column] - (lower[column + 1 :, :column] * left).sum(axis=1)
            lower[column + 1 :, column] = below / root
    return lower, pivots, failed


def forward(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``L z = rhs`` for ``rhs`` of shape (p, m, R)."""
    solution = np.empty_like(rhs)
    for row in range(len(rhs)):
        known = (lower[row, :row, None] * solution[:row]).sum(axis=0)
        solution[row] = (rhs[row] - known) / lower[row, row]
    return solution


def backward(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``L' x = rhs`` for ``rhs`` of shape (p, m, R)."""
    solution = np.empty_like(rhs)
    for row in reversed(range(len(rhs))):
        known = (lower[row + 1 :, row, None] * solution[row + 1 :]).sum(axis=0)
        solution[row] = (rhs[row] - known) / lower[row, row]
    return solution


def solve(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``L L' x = rhs`` for ``rhs`` of shape (p, R)."""
    return backward(lower, forward(lower, rhs[:, None]))[:, 0]


def inverse_factor(lower: np.ndarray) -> np.ndarray:
    """``L^-1`` (p, p, R): the inverse matrix is ``L^-T L^-1``."""
    n_terms, _, n_replicates = lower.shape
    identity = np.broadcast_to(np.eye(n_terms)[:, :, None], (n_terms, n_terms, n_replicates))
    return forward(lower, identity)
