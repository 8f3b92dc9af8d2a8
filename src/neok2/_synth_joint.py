"""Joint structure of the binary exposures: a margin-preserving swap search.

Within one group, exchanging the values of one exposure between a subject who has it and one
who does not leaves every Table 1 count unchanged but moves the exposures' co-occurrence, and
with it the adjusted odds ratios of the multivariable model. Each step proposes a batch of
random swaps, refits the model on all of them at once (warm-started Newton, see
:mod:`neok2._synth_logistic`) and keeps the best one if it brings the fitted log odds ratios
closer to their targets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from neok2._synth_logistic import fit_logistic_many

__all__ = ["calibrate_exposures"]


def calibrate_exposures(
    exposures: npt.NDArray[np.float64],
    outcome: npt.NDArray[np.float64],
    targets: Mapping[int, tuple[float, float]],
    rng: np.random.Generator,
    *,
    batch: int = 48,
    max_steps: int = 4000,
    patience: int = 60,
    tolerance: float = 0.01,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Swap exposure values within outcome groups until the adjusted log ORs meet targets.

    Parameters
    ----------
    exposures : array (n, k) of 0/1
        The model's binary terms; every column's count within each outcome group is kept.
    outcome : array (n,) of 0/1
    targets : mapping column index -> (target log OR, weight)
    rng : numpy.random.Generator
    batch, max_steps, patience : int
        Candidate swaps per step, step budget, steps without improvement before stopping.
    tolerance : float
        Stop once every weighted target is within this many log units.

    Returns
    -------
    (exposures, fitted log ORs)
    """
    current = exposures.astype(float).copy()
    n, k = current.shape
    groups = [np.flatnonzero(outcome == value) for value in (0.0, 1.0)]
    index = np.array(sorted(targets), dtype=int)
    goal = np.array([targets[i][0] for i in index])
    weight = np.array([targets[i][1] for i in index])
    design = np.column_stack([np.ones(n), current])
    fit = fit_logistic_many(design, outcome)
    coef = fit.coef[0]

    def loss(log_ors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.sum(weight * (log_ors[..., index] - goal) ** 2, axis=-1)

    best = float(loss(coef[1:]))
    stall = 0
    for _ in range(max_steps):
        if np.all(np.abs(coef[1:][index] - goal) < tolerance / np.sqrt(weight)):
            break
        columns = rng.integers(0, k, size=batch)
        group_pick = rng.integers(0, 2, size=batch)
        candidates = np.repeat(design[None], batch, axis=0)
        valid = np.zeros(batch, dtype=bool)
        for slot in range(batch):
            members = groups[group_pick[slot]]
            column = current[members, columns[slot]]
            ones, zeros = members[column == 1], members[column == 0]
            if ones.size == 0 or zeros.size == 0:
                continue
            first, second = rng.choice(ones), rng.choice(zeros)
            candidates[slot, first, columns[slot] + 1] = 0.0
            candidates[slot, second, columns[slot] + 1] = 1.0
            valid[slot] = True
        if not valid.any():
            break
        trial = fit_logistic_many(candidates, outcome, start=coef, max_iter=8)
        scores = np.where(valid & trial.converged, loss(trial.coef[:, 1:]), np.inf)
        choice = int(np.argmin(scores))
        if scores[choice] < best - 1e-12:
            best = float(scores[choice])
            design = candidates[choice]
            current = design[:, 1:].copy()
            coef = trial.coef[choice]
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                break
    final = fit_logistic_many(np.column_stack([np.ones(n), current]), outcome)
    return current, final.coef[0, 1:]
