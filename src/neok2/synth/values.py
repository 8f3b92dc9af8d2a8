"""Value-level tools of the generator: moments inside boxes, record precision, quartiles.

Every generated continuous value lives in a *box* ``[low, high]`` (its Table 1 bin, its side
of a definition's threshold, the data dictionary's range). The tools here place values in
their boxes so that the group's mean and SD (or quartiles) come out as printed, first on a
continuous scale, then on the record's grid (0.1 week, 1 g, 0.01 mmol/L, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from neok2.formatting import format_number

__all__ = [
    "MomentFit",
    "fit_truncated_moments",
    "grid_bounds",
    "quantile_positions",
    "quantize_to_moments",
    "quartile_pinned_sample",
    "shift_to_mean",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MomentFit:
    """Values fitted inside their boxes and the mean and SD they reach."""

    values: FloatArray
    mean: float
    sd: float


def _truncated_ppf(
    u: FloatArray, mu: FloatArray, sigma: FloatArray, low: FloatArray, high: FloatArray
) -> FloatArray:
    alpha = (low - mu) / sigma
    beta = (high - mu) / sigma
    lower = stats.norm.cdf(alpha)
    upper = stats.norm.cdf(beta)
    # Far in a tail both CDFs round to the same number; fall back to the nearer edge.
    inside = stats.norm.ppf(lower + u * (upper - lower))
    z = np.where(upper - lower > 1e-12, inside, np.where(alpha > 0, alpha, beta))
    return np.clip(mu + sigma * z, low, high)


def fit_truncated_moments(
    u: FloatArray,
    low: FloatArray,
    high: FloatArray,
    centre: FloatArray,
    spread: FloatArray,
    target_mean: float,
    target_sd: float,
    *,
    log_scale: bool = False,
) -> MomentFit:
    """Place value ``i`` at quantile ``u[i]`` of a normal truncated to its box.

    The normal of value ``i`` has mean ``centre[i] + a * spread[i]`` and SD
    ``spread[i] * exp(b)``; ``(a, b)`` are solved so that the values' mean and SD (ddof=1)
    reach the targets. With ``log_scale`` the normal lives on the log scale (boxes and
    centre given as logs) and the values are its exponential. When no ``(a, b)`` reaches the
    targets, the closest fit is returned and the caller reports the gap.
    """

    def values(params: FloatArray) -> FloatArray:
        mu = centre + params[0] * spread
        sigma = spread * np.exp(params[1])
        drawn = _truncated_ppf(u, mu, sigma, low, high)
        return np.exp(drawn) if log_scale else drawn

    def residual(params: FloatArray) -> FloatArray:
        drawn = values(params)
        return np.array(
            [(drawn.mean() - target_mean) / target_sd, (drawn.std(ddof=1) - target_sd) / target_sd]
        )

    fit = optimize.least_squares(
        residual,
        x0=np.zeros(2),
        bounds=([-8.0, -4.0], [8.0, 3.0]),
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
        method="trf",
    )
    drawn = values(fit.x)
    return MomentFit(values=drawn, mean=float(drawn.mean()), sd=float(drawn.std(ddof=1)))


def grid_bounds(
    low: FloatArray, high: FloatArray, resolution: float, *, high_open: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """Boxes in grid units: the smallest and largest multiple of ``resolution`` inside.

    ``high_open`` marks boxes whose upper edge is excluded (``< 37`` weeks). Membership is
    decided on the rounded record values, exactly as a reader of the records would test it.
    """
    digits = max(0, -math.floor(math.log10(resolution) + 1e-9))
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    with np.errstate(invalid="ignore"):
        low_k = np.ceil(low / resolution - 1e-6).astype(np.int64) - 1
        high_k = np.floor(high / resolution + 1e-6).astype(np.int64) + 1
    for _ in range(4):
        low_k = np.where(np.round(low_k * resolution, digits) < low, low_k + 1, low_k)
        value = np.round(high_k * resolution, digits)
        outside = (value > high) | (high_open & (value >= high))
        high_k = np.where(outside, high_k - 1, high_k)
    return low_k, high_k


def _rounds_to(value: float, printed: float, digits: int) -> bool:
    # Both sides of a tiny band must round alike, so that another summation order (pandas,
    # R, SPSS) cannot land on the other side of a rounding edge.
    slack = 1e-9 * max(1.0, abs(value))
    return all(
        float(format_number(edge, digits)) == printed for edge in (value - slack, value + slack)
    )


def quantize_to_moments(
    values: FloatArray,
    low_k: IntArray,
    high_k: IntArray,
    resolution: float,
    *,
    mean: tuple[float, float, int],
    sd: tuple[float, float, int],
    max_steps: int = 5000,
) -> tuple[IntArray, bool]:
    """Round values to the grid, then nudge single values by one step until both moments
    show as printed.

    Parameters
    ----------
    values : array
        Continuous values already inside their boxes.
    low_k, high_k : int arrays
        Boxes in grid units.
    resolution : float
        Grid step.
    mean, sd : (target, printed, decimals)
        The value to aim at, the printed number and its decimals.

    Returns
    -------
    (grid units, success)
    """
    units = np.clip(np.rint(values / resolution).astype(np.int64), low_k, high_k)
    n = units.size
    target_mean, printed_mean, mean_digits = mean
    target_sd, printed_sd, sd_digits = sd
    mean_width = 0.5 * 10.0**-mean_digits
    sd_width = 0.5 * 10.0**-sd_digits
    for _ in range(max_steps):
        grid = units.astype(float) * resolution
        current_mean, current_sd = grid.mean(), grid.std(ddof=1)
        close = (
            abs(current_mean - target_mean) < 0.5 * mean_width
            and abs(current_sd - target_sd) < 0.5 * sd_width
        )
        if (
            close
            and _rounds_to(current_mean, printed_mean, mean_digits)
            and _rounds_to(current_sd, printed_sd, sd_digits)
        ):
            return units, True
        total, squares = grid.sum(), np.square(grid).sum()
        best_gain, best_move = 0.0, None
        objective = ((current_mean - target_mean) / mean_width) ** 2 + (
            (current_sd - target_sd) / sd_width
        ) ** 2
        for step in (-1, 1):
            allowed = (units + step >= low_k) & (units + step <= high_k)
            delta = step * resolution
            new_total = total + delta
            new_squares = squares + 2 * grid * delta + delta**2
            new_mean = new_total / n
            new_sd = np.sqrt(np.maximum(new_squares - n * new_mean**2, 0.0) / (n - 1))
            new_objective = ((new_mean - target_mean) / mean_width) ** 2 + (
                (new_sd - target_sd) / sd_width
            ) ** 2
            new_objective = np.where(allowed, new_objective, np.inf)
            index = int(np.argmin(new_objective))
            gain = objective - float(new_objective[index])
            if gain > best_gain + 1e-15:
                best_gain, best_move = gain, (index, step)
        if best_move is None:
            break
        units[best_move[0]] += best_move[1]
    grid = units.astype(float) * resolution
    success = _rounds_to(grid.mean(), printed_mean, mean_digits) and _rounds_to(
        grid.std(ddof=1), printed_sd, sd_digits
    )
    return units, success


def quantile_positions(n: int, probability: float) -> tuple[int, int]:
    """First and last 0-based order statistics that any of R's quantile types 1-9 reads.

    Holding all of them at one value makes that value the quantile under every definition
    (SPSS's weighted average is R's type 6).
    """
    spots = [
        probability * n - 1,
        (n + 1) * probability - 1,
        (n - 1) * probability,
        (n + 1 / 3) * probability - 2 / 3,
        (n + 0.25) * probability - 0.625,
    ]
    first = max(int(np.floor(min(spots))), 0)
    last = min(int(np.ceil(max(spots))), n - 1)
    return first, last


def quartile_pinned_sample(
    rng: np.random.Generator,
    n: int,
    quartiles: tuple[float, float, float],
    *,
    low: float,
    high: float,
    resolution: float,
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """A sorted sample whose quartiles are exactly ``quartiles`` under every definition.

    Values come from a split normal matched to the quartiles (the lower half's scale from
    the median-q1 gap, the upper's from q3-median; one grid step when a gap is zero), are
    kept inside ``[low, high]`` and on the grid, and the order statistics each quartile
    reads are set to it.

    Returns
    -------
    values, box_low, box_high, pinned
        Sorted values, each value's box (the range it may move in without changing any
        quartile) and which values are pinned to a quartile.
    """
    q1, median, q3 = quartiles
    u = np.sort(rng.uniform(0.0, 1.0, size=n))
    z = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
    scale_low = max(median - q1, resolution) / 0.6745
    scale_high = max(q3 - median, resolution) / 0.6745
    values = median + np.where(z < 0, scale_low, scale_high) * z
    box_low = np.full(n, low)
    box_high = np.full(n, high)
    pinned = np.zeros(n, dtype=bool)
    edges = [low]
    blocks = []
    for probability, value in ((0.25, q1), (0.5, median), (0.75, q3)):
        first, last = quantile_positions(n, probability)
        blocks.append((first, last, value))
    for index, (first, last, value) in enumerate(blocks):
        previous_end = blocks[index - 1][1] + 1 if index else 0
        box_low[previous_end:first] = edges[-1]
        box_high[previous_end:first] = value
        box_low[first : last + 1] = value
        box_high[first : last + 1] = value
        pinned[first : last + 1] = True
        edges.append(value)
    box_low[blocks[-1][1] + 1 :] = q3
    box_high[blocks[-1][1] + 1 :] = high
    values = np.clip(np.rint(values / resolution) * resolution, box_low, box_high)
    return values, box_low, box_high, pinned


def shift_to_mean(
    values: FloatArray,
    box_low: FloatArray,
    box_high: FloatArray,
    movable: npt.NDArray[np.bool_],
    target: float,
) -> FloatArray:
    """Shift the movable values by one common amount, each kept in its box, so that the
    mean reaches ``target`` (or the nearest reachable mean)."""

    def shifted(amount: float) -> FloatArray:
        moved = np.clip(values + amount, box_low, box_high)
        return np.where(movable, moved, values)

    span = float(np.max(box_high - box_low)) if values.size else 0.0
    low, high = -span - 1.0, span + 1.0
    if shifted(low).mean() >= target:
        return shifted(low)
    if shifted(high).mean() <= target:
        return shifted(high)
    for _ in range(80):
        middle = 0.5 * (low + high)
        if shifted(middle).mean() < target:
            low = middle
        else:
            high = middle
    return shifted(0.5 * (low + high))
