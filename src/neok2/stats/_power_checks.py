"""Argument checks and numeric helpers shared by the power modules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize, stats

from neok2._validation import positive, probability

# Brent's method to machine precision: references from R are compared at rel 1e-6 or tighter.
XTOL = 1e-13
RTOL = 4 * np.finfo(float).eps


# one home for argument checks: the power modules use the shared ones under these names
check_probability = probability
check_positive = positive


def check_exactly_one_none(**quantities: Any) -> str:
    missing = [name for name, value in quantities.items() if value is None]
    if len(missing) != 1:
        names = ", ".join(f"`{name}`" for name in quantities)
        raise ValueError(
            f"exactly one of {names} must be None (the quantity to solve for); "
            f"got {len(missing)} None: pass all but the one you want computed"
        )
    return missing[0]


def check_sided(sided: Any) -> int:
    if sided not in (1, 2) or isinstance(sided, bool):
        raise ValueError(f"`sided` must be 1 or 2 (one- or two-sided test), got {sided!r}")
    return int(sided)


def z_alpha(alpha: float, sided: int) -> float:
    return float(stats.norm.ppf(1.0 - alpha / sided))


def needed(n: float) -> int:
    # A solved n such as 66.0000000001 comes from floating-point noise, not from a real need
    # for one more subject.
    return math.ceil(n - 1e-9)


def brent(function: Callable[[float], float], low: float, high: float) -> float:
    return float(optimize.brentq(function, low, high, xtol=XTOL, rtol=RTOL, maxiter=500))


def far_tail(signal: float, threshold: float, spread: float) -> float:
    """Probability of rejecting on the side opposite the effect, ``Phi((-signal - threshold) /
    spread)``: a two-sided test rejects there too, so two-sided power adds it."""
    return float(stats.norm.cdf((-signal - threshold) / spread))


def size_below_closed_form(upper: float, gap: Callable[[float], float]) -> float:
    """Size at which the two-sided power (both tails) reaches its target.

    ``upper`` is the closed-form size that counts the near tail only; as the far tail only
    adds power, the two-sided size lies below it, where ``gap(n) = power(n) - target``
    changes sign. When even a vanishing study reaches the target (a target at or below the
    size of the test) the closed form is kept, as no smaller size exists.
    """
    if not math.isfinite(upper) or upper <= 0:
        return upper
    lower = upper * 1e-9
    if gap(lower) >= 0 or gap(upper) <= 0:
        return upper
    return brent(gap, lower, upper)
