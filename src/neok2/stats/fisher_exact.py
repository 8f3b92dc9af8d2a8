"""Fisher's exact test for r x c tables by a network enumeration, as R ``fisher.test``.

:func:`fisher_exact_rxc` sums the probabilities of every table with the observed margins that
is no more probable than the observed one. Tables are built column by column; a node of the
network is the multiset of row totals still to fill, and paths reaching a node with the same
log-probability so far are merged (the idea of Mehta and Patel's network algorithm). At each
node, bounds on the most and least probable completion decide whether all of its completions
count (their total probability has a closed form), none do, or the node must be expanded.
When the network grows beyond ``max_nodes`` the function gives up and returns None, so that
the caller can fall back to a Monte Carlo p-value and say so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
from scipy import special
from scipy import stats as _stats

__all__ = ["fisher_exact_rxc"]

# R's fisher.test counts tables with probability <= observed * (1 + 1e-7) as "as extreme".
_RELATIVE = 1e-7
# Paths whose log-probabilities agree to this many decimals are merged.
_DECIMALS = 9
# The counted log-probabilities are summed into one whenever this many have gathered.
_COLLAPSE = 100_000


def _lgamma1(values: np.ndarray) -> np.ndarray:
    return np.asarray(special.gammaln(values + 1.0))


def _column_bounds(rows: tuple[int, ...], total: int) -> tuple[float, float]:
    """Largest and smallest ``-sum log x_i!`` over ``x`` with ``sum x = total``, ``x <= rows``.

    The largest spreads the column as evenly as the caps allow (log x! is convex; the
    real-valued spread gives an upper bound); the smallest fills the largest caps first.
    """
    caps = np.array(rows, dtype=float)
    # even spread by water-filling
    order = np.sort(caps)
    spread = np.zeros_like(order)
    remaining = float(total)
    for i, cap in enumerate(order):
        share = remaining / (order.size - i)
        spread[i] = min(cap, share)
        remaining -= spread[i]
    # the real-valued optimum bounds the integer one from above, which is what pruning needs
    best = -float(_lgamma1(spread).sum())
    concentrated = np.zeros_like(order)
    remaining = float(total)
    for i in range(order.size - 1, -1, -1):
        concentrated[i] = min(order[i], remaining)
        remaining -= concentrated[i]
    worst = -float(_lgamma1(concentrated).sum())
    return best, worst


def _columns(rows: tuple[int, ...], total: int) -> Iterator[tuple[int, ...]]:
    """Every column vector with entries ``0 <= x_i <= rows[i]`` summing to ``total``."""
    if len(rows) == 1:
        if total <= rows[0]:
            yield (total,)
        return
    rest = sum(rows[1:])
    for first in range(max(0, total - rest), min(rows[0], total) + 1):
        for tail in _columns(rows[1:], total - first):
            yield (first, *tail)


def fisher_exact_rxc(table: np.ndarray, *, max_nodes: int = 200_000) -> float | None:
    """Two-sided exact p-value of Fisher's test on an r x c table of counts.

    Parameters
    ----------
    table : array-like of int
        Counts; rows or columns that are all zero are dropped.
    max_nodes : int, default 200000
        Largest number of (node, path value) pairs held at once; beyond it the enumeration
        stops and None is returned.

    Returns
    -------
    float or None
        The p-value (R ``fisher.test``'s two-sided p), or None when the table is too large
        for the budget.

    Examples
    --------
    >>> table = [[3, 1, 0], [1, 4, 2], [0, 1, 5]]
    >>> round(fisher_exact_rxc(table), 6)  # R: fisher.test(table)$p.value
    0.024678
    """
    counts = np.asarray(table)
    if counts.ndim != 2 or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("`table` must be a 2-D array of non-negative whole counts")
    counts = counts.astype(np.int64)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(counts.shape) < 2:
        return 1.0
    if counts.shape == (2, 2):
        return float(_stats.fisher_exact(counts).pvalue)
    # fewer rows than columns keeps the column vectors short
    if counts.shape[0] > counts.shape[1]:
        counts = counts.T
    row_totals = tuple(int(v) for v in counts.sum(axis=1))
    column_totals = [int(v) for v in sorted(counts.sum(axis=0), reverse=True)]
    n_total = int(counts.sum())
    constant = float(_lgamma1(np.array(row_totals, dtype=float)).sum()) - math.lgamma(n_total + 1)

    def value_of(column: np.ndarray) -> float:
        return math.lgamma(int(column.sum()) + 1) - float(_lgamma1(column.astype(float)).sum())

    observed = sum(value_of(counts[:, j]) for j in range(counts.shape[1]))
    threshold = observed + math.log1p(_RELATIVE)

    def completions(rows: tuple[int, ...]) -> float:
        """log of the summed exp(value) over every completion of a node."""
        remaining = sum(rows)
        return math.lgamma(remaining + 1) - float(_lgamma1(np.array(rows, dtype=float)).sum())

    bound_cache: dict[tuple[tuple[int, ...], int], tuple[float, float]] = {}
    budget = {"left": max_nodes}

    def bounds(rows: tuple[int, ...], stage: int) -> tuple[float, float]:
        """Exact largest and smallest value of a completion (longest and shortest paths).

        Small nodes are solved exactly by recursion over the next column; past the budget
        the per-column relaxation (a valid but looser bound) is used instead.
        """
        key = (rows, stage)
        cached = bound_cache.get(key)
        if cached is not None:
            return cached
        if stage == len(column_totals):
            result = (0.0, 0.0)
        elif budget["left"] > 0 and stage < len(column_totals) - 1:
            total = column_totals[stage]
            high, low = -math.inf, math.inf
            for column in _columns(rows, total):
                budget["left"] -= 1
                step = math.lgamma(total + 1) - sum(math.lgamma(x + 1) for x in column)
                child = tuple(sorted(r - x for r, x in zip(rows, column, strict=True)))
                child_high, child_low = bounds(child, stage + 1)
                high, low = max(high, step + child_high), min(low, step + child_low)
            result = (high, low)
        else:
            high = low = 0.0
            for total in column_totals[stage:]:
                best, worst = _column_bounds(rows, total)
                high += best + math.lgamma(total + 1)
                low += worst + math.lgamma(total + 1)
            result = (high, low)
        bound_cache[key] = result
        return result

    log_terms: list[float] = []
    layer: dict[tuple[int, ...], dict[float, float]] = {tuple(sorted(row_totals)): {0.0: 1.0}}
    for stage, total in enumerate(column_totals):
        following: dict[tuple[int, ...], dict[float, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        size = 0
        for rows, pasts in layer.items():
            high, low = bounds(rows, stage)
            undecided: list[tuple[float, float]] = []
            for past, multiplicity in pasts.items():
                if past + high <= threshold:
                    log_terms.append(past + completions(rows) + math.log(multiplicity))
                elif past + low <= threshold:
                    undecided.append((past, multiplicity))
            if not undecided:
                continue
            for column in _columns(rows, total):
                step = math.lgamma(total + 1) - sum(math.lgamma(x + 1) for x in column)
                child = tuple(sorted(r - x for r, x in zip(rows, column, strict=True)))
                # decide each new path at its child at once: only undecided ones are stored,
                # which keeps the layers small (most paths of a large p-value all count)
                child_high, child_low = bounds(child, stage + 1)
                child_sum = completions(child)
                for past, multiplicity in undecided:
                    value = past + step
                    if value + child_high <= threshold:
                        log_terms.append(value + child_sum + math.log(multiplicity))
                    elif value + child_low <= threshold:
                        slot = following[child]
                        key = round(value, _DECIMALS)
                        size += key not in slot
                        slot[key] += multiplicity
                if len(log_terms) > _COLLAPSE:
                    log_terms[:] = [float(special.logsumexp(log_terms))]
            if size > max_nodes:
                return None
        layer = following
    # the last layer holds finished tables (every row total used up)
    for pasts in layer.values():
        for past, multiplicity in pasts.items():
            if past <= threshold:
                log_terms.append(past + math.log(multiplicity))
    if not log_terms:
        return 0.0
    return float(min(1.0, math.exp(float(special.logsumexp(log_terms)) + constant)))
