"""The conditional law of a 2x2 table's first cell given its margins (noncentral hypergeometric).

Exact and mid-p intervals of the odds ratio, its conditional maximum-likelihood estimate and
the median-unbiased estimate all come from this law; :func:`neok2.stats.contingency.odds_ratio_2x2`
uses it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats

__all__ = ["LOG_BOUND", "ConditionalLaw"]

# The search for limits runs on log(odds ratio); beyond +/-30 the odds ratio is numerically
# 0 or infinite for any table of realistic size.
LOG_BOUND = 30.0
# Half-width of the window of the conditional law, in standard deviations of a: the mass
# outside is below exp(-20^2 / 2) ~ 1e-87 at any odds ratio a limit can take.
_WINDOW_SDS = 20.0
_ROOT_TOLERANCE = 1e-13


class ConditionalLaw:
    """The noncentral hypergeometric law of ``a`` given the margins, on a window around ``a``.

    Outside ``a`` +/- 20 standard deviations (Woolf's variance of a) the probability is below
    1e-87 at every odds ratio that the limits or estimates can take, so the window gives
    the full-support answers while each evaluation costs O(window), not O(table): 10^6
    counts take milliseconds. Small tables are covered entirely.
    """

    def __init__(self, a: int, b: int, c: int, d: int) -> None:
        cases, exposed, total = a + b, a + c, a + b + c + d
        low, high = max(0, exposed - (c + d)), min(exposed, cases)
        inverse_variance = 1 / (a + 0.5) + 1 / (b + 0.5) + 1 / (c + 0.5) + 1 / (d + 0.5)
        half = math.ceil(_WINDOW_SDS / math.sqrt(inverse_variance)) + 100
        # the support relative to a keeps log_or * support small for huge tables
        window = np.arange(max(low, a - half), min(high, a + half) + 1)
        self.a, self.at_low, self.at_high = a, a == low, a == high
        self.offset = (window - a).astype(float)
        self.below, self.at = self.offset < 0, self.offset == 0
        self.log_central = stats.hypergeom.logpmf(window, total, cases, exposed)
        # Roots lie within a few standard errors of the Haldane-corrected log odds ratio; a
        # bracket there spares most of Brent's steps (the full range is the fallback).
        centre = math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
        reach = 20.0 * math.sqrt(inverse_variance)
        self.bracket = (max(centre - reach, -LOG_BOUND), min(centre + reach, LOG_BOUND))

    def probabilities(self, log_or: float) -> np.ndarray:
        log_density = self.log_central + log_or * self.offset
        density = np.exp(log_density - log_density.max())
        return density / density.sum()

    def tails(self, log_or: float, weight: float) -> tuple[float, float]:
        """``P(X < a) + w P(X = a)`` and ``P(X > a) + w P(X = a)``."""
        p = self.probabilities(log_or)
        at = float(p[self.at].sum())
        below = float(p[self.below].sum())
        above = max(1.0 - below - at, 0.0)
        return below + weight * at, above + weight * at

    def solve(self, excess: Any) -> float:
        low, high = self.bracket
        if np.sign(excess(low)) == np.sign(excess(high)):
            low, high = -LOG_BOUND, LOG_BOUND
        return math.exp(optimize.brentq(excess, low, high, xtol=_ROOT_TOLERANCE))

    def limits(self, conf_level: float, weight: float) -> tuple[float, float]:
        """Exact (``weight`` 1) or mid-p (``weight`` 0.5) limits of the odds ratio."""
        tail = (1 - conf_level) / 2
        low = 0.0 if self.at_low else self.solve(lambda t: self.tails(t, weight)[1] - tail)
        high = math.inf if self.at_high else self.solve(lambda t: self.tails(t, weight)[0] - tail)
        return low, high

    def mle(self) -> float:
        """Conditional maximum-likelihood estimate: the odds ratio with ``E[X] = a``."""
        if self.at_low or self.at_high:
            return 0.0 if self.at_low else math.inf
        # an elementwise sum, not a BLAS dot, which threads poorly on a busy machine
        return self.solve(lambda t: float((self.probabilities(t) * self.offset).sum()))

    def median_unbiased(self) -> float:
        """The odds ratio whose mid-p lower and upper tails are both 1/2 (epitools' estimate)."""
        if self.at_low or self.at_high:
            return 0.0 if self.at_low else math.inf
        return self.solve(lambda t: 0.5 - self.tails(t, 0.5)[0])
