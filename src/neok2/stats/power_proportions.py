"""Power and sample size of a two-sample comparison of proportions by Cohen's h (as ``pwr``).

Like every solver of :mod:`neok2.stats.power`, exactly one of ``h``, the group sizes and
``power`` is ``None`` and is solved for; the result is a one-row tidy DataFrame.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from neok2.stats._power_checks import brent as _brent
from neok2.stats._power_checks import check_exactly_one_none as _check_exactly_one_none
from neok2.stats._power_checks import check_positive as _check_positive
from neok2.stats._power_checks import check_probability as _check_probability

__all__ = ["cohen_h", "power_two_proportions"]


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's effect size for two proportions, ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``.

    Parameters
    ----------
    p1, p2 : float
        Proportions in [0, 1].

    Returns
    -------
    float

    Notes
    -----
    Mirrors ``pwr::ES.h``.

    References
    ----------
    Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 6.

    Examples
    --------
    >>> cohen_h(0.5, 0.3)
    0.411517
    """
    p1 = _check_probability(p1, "p1", open_interval=False)
    p2 = _check_probability(p2, "p2", open_interval=False)
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2))


_ALTERNATIVES = ("two-sided", "greater", "less")


def _arcsine_power(h: float, n1: float, n2: float, alpha: float, alternative: str) -> float:
    shift = h * math.sqrt(n1 * n2 / (n1 + n2))
    if alternative == "greater":
        return float(stats.norm.sf(stats.norm.isf(alpha) - shift))
    if alternative == "less":
        return float(stats.norm.cdf(stats.norm.ppf(alpha) - shift))
    critical = stats.norm.isf(alpha / 2.0)
    return float(stats.norm.sf(critical - shift) + stats.norm.cdf(-critical - shift))


def power_two_proportions(
    h: float | None = None,
    n1: float | None = None,
    n2: float | None = None,
    power: float | None = None,
    *,
    alpha: float = 0.05,
    alternative: Literal["two-sided", "greater", "less"] = "two-sided",
) -> pd.DataFrame:
    """Power of the arcsine test of two proportions with unequal group sizes.

    Exactly one of ``h``, ``n1``, ``n2`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    h : float or None
        Cohen's effect size (see :func:`cohen_h`); its sign is ignored for two-sided tests.
    n1, n2 : float or None
        Group sizes (at least 2).
    power : float or None
        Power, in (0, 1).
    alpha : float, default 0.05
        Significance level.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"

    Returns
    -------
    pandas.DataFrame
        One row: ``solved_for, h, n1, n2, power, alpha, alternative``.

    Notes
    -----
    With ``k = sqrt(n1 n2 / (n1 + n2))`` the two-sided power is
    ``Phi(h k - z_{1-a/2}) + Phi(-h k - z_{1-a/2})``, both tails counted. Mirrors
    ``pwr::pwr.2p2n.test``, with the same search intervals (h in (1e-10, 10) two-sided, n
    in (2, 1e9)) but solved to machine precision.

    References
    ----------
    Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 6.

    Examples
    --------
    >>> row = power_two_proportions(h=0.3, n1=66, n2=134)
    >>> float(row["power"].iloc[0])
    0.5140
    """
    solved_for = _check_exactly_one_none(h=h, n1=n1, n2=n2, power=power)
    alpha = _check_probability(alpha, "alpha")
    if alternative not in _ALTERNATIVES:
        raise ValueError(
            f"`alternative` must be one of {', '.join(_ALTERNATIVES)}; got {alternative!r}"
        )
    sizes = {}
    for name, value in (("n1", n1), ("n2", n2)):
        sizes[name] = math.nan if value is None else _check_positive(value, name)
        if sizes[name] < 2:
            raise ValueError(f"`{name}` must be at least 2, got {value!r}")
    size1, size2 = sizes["n1"], sizes["n2"]
    target = math.nan if power is None else _check_probability(power, "power")
    effect = math.nan
    if h is not None:
        if isinstance(h, bool) or not isinstance(h, int | float | np.floating | np.integer):
            raise TypeError(f"`h` must be a number, got {type(h).__name__}")
        effect = abs(float(h)) if alternative == "two-sided" else float(h)

    def power_at(effect_: float, size1_: float, size2_: float) -> float:
        return _arcsine_power(effect_, size1_, size2_, alpha, alternative)

    if solved_for == "power":
        target = power_at(effect, size1, size2)
    elif solved_for == "h":
        low, high = {"two-sided": (1e-10, 10.0), "less": (-10.0, 5.0), "greater": (-5.0, 10.0)}[
            alternative
        ]
        effect = _brent(lambda value: power_at(value, size1, size2) - target, low, high)
    elif solved_for == "n1":
        size1 = _brent(lambda value: power_at(effect, value, size2) - target, 2 + 1e-10, 1e9)
    else:
        size2 = _brent(lambda value: power_at(effect, size1, value) - target, 2 + 1e-10, 1e9)
    row = {
        "solved_for": solved_for,
        "h": effect,
        "n1": size1,
        "n2": size2,
        "power": target,
        "alpha": alpha,
        "alternative": alternative,
    }
    return pd.DataFrame([row])


# ----------------------------------------------------------------------------- logistic
