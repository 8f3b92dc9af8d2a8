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
        candidates = np.repeat(state.design[None], batch, axis=0)
        valid = np.zeros(batch, dtype=bool)
        pairs: list[tuple[int, int]] = [(0, 0)] * batch
        for slot in range(batch):
            members = groups[group_pick[slot]]
            columns = blocks[picks[slot]]
            pair = _propose(rng, state.design[np.ix_(members, columns)], members)
            if pair is None:
                continue
            first, second = pair
            candidates[slot, first, columns] = state.design[second, columns]
            candidates[slot, second, columns] = state.design[first, columns]
            valid[slot] = True
            pairs[slot] = pair
        if not valid.any():
            break
        trial = fit_logistic_many(candidates, outcome, start=state.coef, max_iter=8)
        usable = valid & trial.converged & admissible(trial.coef, trial.cov)
        scores = np.where(usable, loss(trial.coef, trial.cov), np.inf)
        choice = int(np.argmin(scores))
        if scores[choice] < best - 1e-12:
            best = float(scores[choice])
            origin = state.origin.copy()
            first, second = pairs[choice]
            block = picks[choice]
            origin[[first, second], block] = origin[[second, first], block]
            state = _State(candidates[choice], trial.coef[choice], trial.cov[choice], origin)
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

    search = {"batch": batch, "max_steps": max_steps, "patience": patience}
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
