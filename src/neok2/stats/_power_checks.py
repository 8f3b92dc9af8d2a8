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
