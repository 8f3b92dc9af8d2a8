"""Joint structure of the binary exposures: a margin-preserving swap search.

Within one group, exchanging the values of one exposure between a subject who has it and one
who does not leaves every Table 1 count unchanged but moves the exposures' co-occurrence, and
with it the adjusted odds ratios of the multivariable model. Each step proposes a batch of
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

from collections.abc import Callable, Mapping
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
        Same per-group column counts as the input.
    log_odds_ratios, p_values : array (k,)
        Adjusted log odds ratios and two-sided Wald p-values of the exposures.
    """

    exposures: FloatArray
    log_odds_ratios: FloatArray
    p_values: FloatArray


@dataclass
class _State:
    design: FloatArray
    coef: FloatArray
    cov: FloatArray


def _swap_search(
    state: _State,
    outcome: FloatArray,
    rng: np.random.Generator,
    loss: Callable[[FloatArray, FloatArray], FloatArray],
    admissible: Callable[[FloatArray, FloatArray], BoolArray],
    met: Callable[[FloatArray, FloatArray], bool],
    *,
    batch: int,
    max_steps: int,
    patience: int,
) -> _State:
    p = state.design.shape[1]
    groups = [np.flatnonzero(outcome == value) for value in (0.0, 1.0)]
    best = float(loss(state.coef, state.cov))
    stall = 0
    for _ in range(max_steps):
        if met(state.coef, state.cov):
            break
        columns = rng.integers(1, p, size=batch)
        group_pick = rng.integers(0, 2, size=batch)
        candidates = np.repeat(state.design[None], batch, axis=0)
        valid = np.zeros(batch, dtype=bool)
        for slot in range(batch):
            members = groups[group_pick[slot]]
            column = state.design[members, columns[slot]]
            ones, zeros = members[column == 1], members[column == 0]
            if ones.size == 0 or zeros.size == 0:
                continue
            first, second = rng.choice(ones), rng.choice(zeros)
            candidates[slot, first, columns[slot]] = 0.0
            candidates[slot, second, columns[slot]] = 1.0
            valid[slot] = True
        if not valid.any():
            break
        trial = fit_logistic_many(candidates, outcome, start=state.coef, max_iter=8)
        usable = valid & trial.converged & admissible(trial.coef, trial.cov)
        scores = np.where(usable, loss(trial.coef, trial.cov), np.inf)
        choice = int(np.argmin(scores))
        if scores[choice] < best - 1e-12:
            best = float(scores[choice])
            state = _State(candidates[choice], trial.coef[choice], trial.cov[choice])
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
    band_weight: float = 1.0,
    window: float = 0.05,
    batch: int = 48,
    max_steps: int = 4000,
    patience: int = 60,
    tolerance: float = 0.01,
) -> Calibration:
    """Swap exposure values within outcome groups until the adjusted fit meets its targets.

    Parameters
    ----------
    exposures : array (n, k) of 0/1
        The model's binary terms; every column's count within each outcome group is kept.
    outcome : array (n,) of 0/1
    targets : mapping column index -> (target log OR, weight)
    rng : numpy.random.Generator
    z_bands : mapping column index -> (lowest z, highest z), optional
        Wald z statistic (coefficient / standard error) each listed term should end inside.
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
    """
    bands = dict(z_bands or {})
    current = exposures.astype(float)
    n = current.shape[0]
    index = np.array(sorted(targets), dtype=int)
    goal = np.array([targets[i][0] for i in index])
    scale = np.sqrt(np.array([targets[i][1] for i in index]))
    band_index = np.array(sorted(bands), dtype=int)
    band_low = np.array([bands[i][0] for i in band_index])
    band_high = np.array([bands[i][1] for i in band_index])
    design = np.column_stack([np.ones(n), current])
    fit = fit_logistic_many(design, outcome)
    state = _State(design, fit.coef[0], fit.cov[0])

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
    state = _swap_search(state, outcome, rng, or_loss, anything, targets_met, **search)
    if band_index.size:
        limit = np.maximum(deviation(state.coef), window)

        def inside_window(coefs: FloatArray, covs: FloatArray) -> BoolArray:
            return np.asarray(np.all(deviation(coefs) <= limit, axis=-1), dtype=bool)

        state = _swap_search(state, outcome, rng, band_loss, inside_window, all_met, **search)
    final = fit_logistic_many(state.design, outcome)
    return Calibration(
        exposures=state.design[:, 1:].copy(),
        log_odds_ratios=final.coef[0, 1:],
        p_values=wald_p(final)[0, 1:],
    )
