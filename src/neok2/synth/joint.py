"""Joint structure of the model's terms: a margin-preserving swap search.

Each term of the multivariable model is one *block* of design columns: a binary exposure or
a continuous value owns one column, a factor owns its dummies. Within one group, exchanging
a block's rows between two subjects whose values differ leaves every Table 1 summary
unchanged (each level's count, each mean, SD and quartile: the group's values are only
permuted) but moves the terms' co-occurrence, and with it the adjusted odds ratios of the
multivariable model. Each step proposes a batch of
random swaps, refits the model on all of them at once (warm-started Newton, see
:mod:`neok2.stats.logistic_many`) and keeps the best one if it brings the fit closer to its
targets.

The search runs in two phases. The first moves the adjusted log odds ratios onto their
targets. The second, only when some terms must end inside a band of Wald z statistics (terms
the paper entered but does not call independent), adds the squared distance outside those
bands to the loss and admits only swaps that keep every log odds ratio inside its window
around the target (or, if it is outside, no further out): a band that cannot be reached
then gives way, never the reported odds ratios. A term pushed into its band by confounding
keeps its crude odds ratio, which the margins fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from neok2.stats.logistic_many import fit_logistic_many, wald_p

__all__ = ["Calibration", "calibrate_exposures"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Calibration:
    """The rearranged exposures and the multivariable fit on them.

    Attributes
    ----------
    exposures : array (n, k)
        Same per-group values of every block as the input, rows exchanged.
    log_odds_ratios, p_values : array (k,)
        Adjusted log odds ratios and two-sided Wald p-values of the design columns.
    origin : array (n, number of blocks) of int
        ``origin[i, b]``: the input row whose block ``b`` values subject ``i`` now holds.
    """

    exposures: FloatArray
    log_odds_ratios: FloatArray
    p_values: FloatArray
    origin: npt.NDArray[np.int64]


@dataclass
class _State:
    design: FloatArray
    coef: FloatArray
    cov: FloatArray
    origin: npt.NDArray[np.int64]


def _propose(
    rng: np.random.Generator, block_values: FloatArray, members: npt.NDArray[np.int64]
) -> tuple[int, int] | None:
    """Two members of a group whose block rows differ, or None when all rows are equal.

    A 0/1 block of one column picks one subject holding 1 and one holding 0; any other
    block picks a subject, then one whose row differs from it.
    """
    if block_values.shape[1] == 1 and np.isin(block_values, (0.0, 1.0)).all():
        column = block_values[:, 0]
        ones, zeros = members[column == 1], members[column == 0]
        if ones.size == 0 or zeros.size == 0:
            return None
        return int(rng.choice(ones)), int(rng.choice(zeros))
    pick = int(rng.integers(0, members.size))
    differs = np.any(block_values != block_values[pick], axis=1)
    if not differs.any():
        return None
    return int(members[pick]), int(rng.choice(members[differs]))


def _one_step_trials(
    state: _State,
    outcome: FloatArray,
    swaps: list[tuple[int, int, npt.NDArray[np.int64]]],
) -> tuple[FloatArray, FloatArray]:
    """Coefficients and covariances after each swap, by one Newton step from the current fit.

    A swap changes two rows of the design, so the score and information of the swapped data
    are the current ones plus the two rows' differences; one Newton step from the current
    optimum is then accurate to second order in the (small) change, at a cost independent
    of the number of subjects.
    """
    design, coef = state.design, state.coef
    mu = special.expit(design @ coef)
    score = design.T @ (outcome - mu)
    information = (design.T * (mu * (1.0 - mu))) @ design
    rows = np.array([[first, second] for first, second, _ in swaps], dtype=np.int64)
    old = design[rows]
    new = old.copy()
    for slot, (_, _, columns) in enumerate(swaps):
        new[slot, 0, columns] = old[slot, 1, columns]
        new[slot, 1, columns] = old[slot, 0, columns]
    y = outcome[rows]
    mu_old = special.expit(old @ coef)
    mu_new = special.expit(new @ coef)
    score = (
        score + np.einsum("brp,br->bp", new, y - mu_new) - np.einsum("brp,br->bp", old, y - mu_old)
    )
    information = (
        information
        + np.einsum("brp,br,brq->bpq", new, mu_new * (1.0 - mu_new), new)
        - np.einsum("brp,br,brq->bpq", old, mu_old * (1.0 - mu_old), old)
        + 1e-12 * np.eye(coef.size)
    )
    step = np.linalg.solve(information, score[..., None])[..., 0]
    return coef + step, np.linalg.inv(information)


def _swapped(
    design: FloatArray, first: int, second: int, columns: npt.NDArray[np.int64]
) -> FloatArray:
    result = design.copy()
    result[first, columns] = design[second, columns]
    result[second, columns] = design[first, columns]
    return result


def _swap_search(
    state: _State,
    outcome: FloatArray,
    rng: np.random.Generator,
    blocks: list[npt.NDArray[np.int64]],
    loss: Callable[[FloatArray, FloatArray], FloatArray],
    admissible: Callable[[FloatArray, FloatArray], BoolArray],
    met: Callable[[FloatArray, FloatArray], bool],
    *,
    batch: int,
    max_steps: int,
    patience: int,
    exact: bool,
) -> _State:
    groups = [np.flatnonzero(outcome == value) for value in (0.0, 1.0)]
    best = float(loss(state.coef, state.cov))
    stall = 0
    for _ in range(max_steps):
        if met(state.coef, state.cov):
            break
        # drawn as integers(1, k + 1) - 1 so that one-column blocks replay the stream of
        # the former column-wise search (integers(1, p) over design columns)
        picks = rng.integers(1, len(blocks) + 1, size=batch) - 1
        group_pick = rng.integers(0, 2, size=batch)
        valid = np.zeros(batch, dtype=bool)
        swaps: list[tuple[int, int, npt.NDArray[np.int64]]] = []
        for slot in range(batch):
            members = groups[group_pick[slot]]
            columns = blocks[picks[slot]]
            pair = _propose(rng, state.design[np.ix_(members, columns)], members)
            swaps.append((*(pair or (0, 0)), columns))
            valid[slot] = pair is not None
        if not valid.any():
            break
        if exact:
            candidates = np.repeat(state.design[None], batch, axis=0)
            for slot in np.flatnonzero(valid):
                first, second, columns = swaps[slot]
                candidates[slot, first, columns] = state.design[second, columns]
                candidates[slot, second, columns] = state.design[first, columns]
            trial = fit_logistic_many(candidates, outcome, start=state.coef, max_iter=8)
            coefs, covs, converged = trial.coef, trial.cov, trial.converged
        else:
            coefs, covs = _one_step_trials(state, outcome, swaps)
            converged = np.isfinite(coefs).all(axis=1)
        usable = valid & converged & admissible(coefs, covs)
        scores = np.where(usable, loss(coefs, covs), np.inf)
        choice = int(np.argmin(scores))
        improved = scores[choice] < best - 1e-12
        if improved:
            first, second, columns = swaps[choice]
            if exact:
                design, coef, cov = candidates[choice], coefs[choice], covs[choice]
            else:
                # the approximate winner is refitted exactly before it is kept
                design = _swapped(state.design, first, second, columns)
                fit = fit_logistic_many(design, outcome, start=state.coef)
                coef, cov = fit.coef[0], fit.cov[0]
                exact_score = float(loss(fit.coef, fit.cov)[0])
                improved = bool(
                    fit.converged[0]
                    and admissible(fit.coef, fit.cov)[0]
                    and exact_score < best - 1e-12
                )
                scores[choice] = exact_score
        if improved:
            best = float(scores[choice])
            origin = state.origin.copy()
            block = picks[choice]
            origin[[first, second], block] = origin[[second, first], block]
            state = _State(design, coef, cov, origin)
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                break
    return state


def calibrate_exposures(
    exposures: FloatArray,
    outcome: FloatArray,
    targets: Mapping[int, tuple[float, float]],
    rng: np.random.Generator,
    *,
    z_bands: Mapping[int, tuple[float, float]] | None = None,
    blocks: Sequence[Sequence[int]] | None = None,
    band_weight: float = 1.0,
    window: float = 0.05,
    batch: int = 48,
    max_steps: int = 4000,
    patience: int = 60,
    tolerance: float = 0.01,
    exact_limit: int = 50_000,
) -> Calibration:
    """Swap term values within outcome groups until the adjusted fit meets its targets.

    Parameters
    ----------
    exposures : array (n, k)
        The model's design columns without the intercept (0/1 exposures, factor dummies,
        numeric values); every block's multiset of rows within each outcome group is kept.
    outcome : array (n,) of 0/1
    targets : mapping column index -> (target log OR, weight)
    rng : numpy.random.Generator
    z_bands : mapping column index -> (lowest z, highest z), optional
        Wald z statistic (coefficient / standard error) each listed term should end inside.
    blocks : sequence of sequences of column indices, optional
        The design columns each term owns (a factor's dummies together); a swap exchanges a
        whole block between two subjects. Default: every column is its own block.
    band_weight : float
        Weight of a squared z distance outside its band against the log-OR loss.
    window : float
        While the bands are pursued, each target's log OR stays within ``window /
        sqrt(weight)`` log units of its goal (or no further away than it already is).
    batch, max_steps, patience : int
        Candidate swaps per step, step budget per phase, steps without improvement before a
        phase stops.
    tolerance : float
        A phase stops once every log-OR target is within ``tolerance / sqrt(weight)`` log
        units (and, in the second phase, every z statistic is inside its band).
    exact_limit : int
        Candidates are refitted to convergence (batched, warm-started) while ``n * p**2``
        (subjects times squared design columns) stays within this limit; above it each
        candidate is scored by one Newton step from the current fit, and only the best one
        is refitted before it is kept.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> outcome = np.r_[np.ones(40), np.zeros(60)]
    >>> level = np.r_[rng.permutation(np.repeat([0, 1, 2], [10, 15, 15])),
    ...               rng.permutation(np.repeat([0, 1, 2], [30, 15, 15]))]
    >>> dummies = np.column_stack([level == 1, level == 2]).astype(float)
    >>> smoker = np.r_[np.ones(20), np.zeros(20), np.ones(20), np.zeros(40)]
    >>> result = calibrate_exposures(np.column_stack([dummies, smoker]), outcome,
    ...                              {0: (np.log(2.5), 1.0), 1: (np.log(3.5), 1.0)},
    ...                              rng, blocks=[[0, 1], [2]])
    >>> bool(np.all(np.abs(result.log_odds_ratios[:2] - np.log([2.5, 3.5])) < 0.05))
    True
    >>> [int(result.exposures[outcome == 1, 2].sum()), int(result.exposures[:, 1].sum())]
    [20, 30]
    """
    bands = dict(z_bands or {})
    current = exposures.astype(float)
    n = current.shape[0]
    if blocks is None:
        blocks = [[column] for column in range(current.shape[1])]
    # design column indices (after the intercept) of each block
    block_columns = [np.asarray(block, dtype=np.int64) + 1 for block in blocks]
    origin = np.repeat(np.arange(n, dtype=np.int64)[:, None], len(block_columns), axis=1)
    index = np.array(sorted(targets), dtype=int)
    goal = np.array([targets[i][0] for i in index])
    scale = np.sqrt(np.array([targets[i][1] for i in index]))
    band_index = np.array(sorted(bands), dtype=int)
    band_low = np.array([bands[i][0] for i in band_index])
    band_high = np.array([bands[i][1] for i in band_index])
    design = np.column_stack([np.ones(n), current])
    fit = fit_logistic_many(design, outcome)
    state = _State(design, fit.coef[0], fit.cov[0], origin)

    def deviation(coefs: FloatArray) -> FloatArray:
        return np.asarray(np.abs(coefs[..., 1:][..., index] - goal) * scale, dtype=float)

    def or_loss(coefs: FloatArray, covs: FloatArray) -> FloatArray:
        return np.asarray(np.sum(deviation(coefs) ** 2, axis=-1), dtype=float)

    def z_outside(coefs: FloatArray, covs: FloatArray) -> FloatArray:
        columns = band_index + 1
        se = np.sqrt(np.diagonal(covs, axis1=-2, axis2=-1)[..., columns])
        z = coefs[..., columns] / se
        return np.asarray(
            np.maximum(band_low - z, 0.0) + np.maximum(z - band_high, 0.0), dtype=float
        )

    def band_loss(coefs: FloatArray, covs: FloatArray) -> FloatArray:
        outside = band_weight * np.sum(z_outside(coefs, covs) ** 2, axis=-1)
        return or_loss(coefs, covs) + outside

    def anything(coefs: FloatArray, covs: FloatArray) -> BoolArray:
        return np.ones(coefs.shape[0], dtype=bool)

    def targets_met(coefs: FloatArray, covs: FloatArray) -> bool:
        return bool(np.all(deviation(coefs) < tolerance))

    def all_met(coefs: FloatArray, covs: FloatArray) -> bool:
        return targets_met(coefs, covs) and bool(np.all(z_outside(coefs, covs) == 0.0))

    search = {
        "batch": batch,
        "max_steps": max_steps,
        "patience": patience,
        "exact": n * design.shape[1] ** 2 <= exact_limit,
    }
    state = _swap_search(
        state, outcome, rng, block_columns, or_loss, anything, targets_met, **search
    )
    if band_index.size:
        limit = np.maximum(deviation(state.coef), window)

        def inside_window(coefs: FloatArray, covs: FloatArray) -> BoolArray:
            return np.asarray(np.all(deviation(coefs) <= limit, axis=-1), dtype=bool)

        state = _swap_search(
            state, outcome, rng, block_columns, band_loss, inside_window, all_met, **search
        )
    final = fit_logistic_many(state.design, outcome)
    return Calibration(
        exposures=state.design[:, 1:].copy(),
        log_odds_ratios=final.coef[0, 1:],
        p_values=wald_p(final)[0, 1:],
        origin=state.origin,
    )
