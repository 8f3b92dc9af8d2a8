"""Exact power of the Wald and likelihood-ratio tests for one binary exposure.

In an unmatched case-control study with ``n1`` cases and ``n0`` controls, the numbers of
exposed cases and controls are independent binomials, ``X1 ~ Bin(n1, p1)`` and
``X0 ~ Bin(n0, p0)``. The exact power of a test is the sum, over all ``(n1 + 1)(n0 + 1)``
outcomes, of the outcome's probability times the test's rejection indicator:

* ``"wald"``: the logistic regression Wald test of the log odds ratio, ``|log OR| /
  sqrt(1/a + 1/b + 1/c + 1/d) > z``. A table with an empty cell has an infinite maximum
  likelihood estimate (R's ``glm`` returns a huge standard error and ``p`` near 1): it never
  rejects.
* ``"lr"``: the likelihood-ratio (deviance) test of the same model, ``G^2 = 2 sum O log(O /
  E)`` against chi-square(1); it is defined for every table (``0 log 0 = 0``).

:func:`power_methods` puts them beside the Fleiss and Kelsey approximations (crude, one
exposure), each row naming its method.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2.stats._power_checks import check_positive, check_probability
from neok2.stats.power import power_case_control

__all__ = ["exact_power", "power_methods"]

Test = Literal["wald", "lr"]
_TEST_LABELS = {"wald": "exact Wald", "lr": "exact likelihood ratio"}


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 1:
        raise ValueError(f"`{name}` must be a positive whole number, got {value!r}")
    return int(value)


def _xlogy(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.asarray(special.xlogy(observed, observed / np.where(expected > 0, expected, 1.0)))


def rejection_region(
    n_cases: int, n_controls: int, *, alpha: float = 0.05, test: Test = "wald"
) -> np.ndarray:
    """Boolean ``(n_cases + 1) x (n_controls + 1)`` table: does the test reject at ``(x1, x0)``?

    Parameters
    ----------
    n_cases, n_controls : int
        Group sizes.
    alpha : float, default 0.05
        Two-sided level.
    test : {"wald", "lr"}, default "wald"

    Returns
    -------
    numpy.ndarray
        ``region[x1, x0]`` is True when ``x1`` exposed cases and ``x0`` exposed controls
        give ``p < alpha``.

    Examples
    --------
    >>> rejection_region(3, 3, test="lr").astype(int).tolist()
    [[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    """
    n_cases, n_controls = _count(n_cases, "n_cases"), _count(n_controls, "n_controls")
    alpha = check_probability(alpha, "alpha")
    if test not in _TEST_LABELS:
        raise ValueError(f"`test` must be 'wald' or 'lr', got {test!r}")
    a = np.arange(n_cases + 1, dtype=float)[:, None]  # exposed cases
    c = np.arange(n_controls + 1, dtype=float)[None, :]  # exposed controls
    b, d = n_cases - a, n_controls - c  # unexposed cases, unexposed controls
    if test == "wald":
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(np.log(a * d / (b * c))) / np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        finite = (a > 0) & (b > 0) & (c > 0) & (d > 0)
        return np.asarray(finite & (z > stats.norm.ppf(1 - alpha / 2)))
    total = n_cases + n_controls
    exposed, unexposed = a + c, b + d
    cells = [
        (a, n_cases * exposed / total),
        (b, n_cases * unexposed / total),
        (c, n_controls * exposed / total),
        (d, n_controls * unexposed / total),
    ]
    deviance = 2.0 * sum(_xlogy(observed, expected) for observed, expected in cells)
    return np.asarray(deviance > stats.chi2.ppf(1 - alpha, 1))


def exact_power(
    odds_ratio: float,
    p0: float,
    n_cases: int,
    n_controls: int,
    *,
    alpha: float = 0.05,
    test: Test = "wald",
) -> pd.DataFrame:
    """Exact power of a test of one binary exposure, by enumeration of both binomials.

    Parameters
    ----------
    odds_ratio : float
        True odds ratio (1 gives the exact size of the test).
    p0 : float
        Exposure prevalence among controls; ``p1 = p0 OR / (1 + p0 (OR - 1))`` among cases.
    n_cases, n_controls : int
        Group sizes.
    alpha : float, default 0.05
        Two-sided level.
    test : {"wald", "lr"}, default "wald"
        Wald test of the logistic log OR (what SPSS and R's ``summary(glm)`` print) or the
        likelihood-ratio test.

    Returns
    -------
    pandas.DataFrame
        One row: ``method, odds_ratio, p0, p1, n_cases, n_controls, alpha, power`` with
        ``method`` ``"exact Wald"`` or ``"exact likelihood ratio"``.

    Notes
    -----
    ``power = sum_{x1, x0} Bin(x1; n1, p1) Bin(x0; n0, p0) 1[test rejects at (x1, x0)]``
    (see the module notes); no approximation beyond floating point.

    References
    ----------
    Agresti A (2013). Categorical Data Analysis, 3rd ed., sections 3.1 and 5.2. Wiley.

    Examples
    --------
    >>> row = exact_power(4.0, 0.2, 30, 60)
    >>> row[["method", "power"]].round(4).values.tolist()
    [['exact Wald', 0.8291]]
    """
    odds = check_positive(odds_ratio, "odds_ratio")
    p0 = check_probability(p0, "p0")
    n1, n0 = _count(n_cases, "n_cases"), _count(n_controls, "n_controls")
    region = rejection_region(n1, n0, alpha=alpha, test=test)
    p1 = p0 * odds / (1.0 + p0 * (odds - 1.0))
    cases = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    controls = stats.binom.pmf(np.arange(n0 + 1), n0, p0)
    power = float(cases @ region.astype(float) @ controls)
    return pd.DataFrame(
        [
            {
                "method": _TEST_LABELS[test],
                "odds_ratio": odds,
                "p0": p0,
                "p1": p1,
                "n_cases": n1,
                "n_controls": n0,
                "alpha": float(alpha),
                "power": power,
            }
        ]
    )


def power_methods(
    odds_ratio: float, p0: float, n_cases: int, n_controls: int, *, alpha: float = 0.05
) -> pd.DataFrame:
    """Power of a crude (one-exposure) comparison by four methods, one row each.

    Parameters
    ----------
    odds_ratio, p0, n_cases, n_controls, alpha
        As in :func:`exact_power`.

    Returns
    -------
    pandas.DataFrame
        ``method, odds_ratio, p0, n_cases, n_controls, alpha, power`` with methods
        ``"Fleiss (crude)"``, ``"Kelsey (crude)"``, ``"exact Wald"`` and ``"exact likelihood
        ratio"``. All four are for the crude odds ratio of one exposure; the power of an
        adjusted odds ratio needs the simulated pipeline.

    Examples
    --------
    >>> table = power_methods(4.0, 0.2, 30, 60)
    >>> table["method"].tolist()
    ['Fleiss (crude)', 'Kelsey (crude)', 'exact Wald', 'exact likelihood ratio']
    """
    n1, n0 = _count(n_cases, "n_cases"), _count(n_controls, "n_controls")
    rows = []
    for method, label in (("fleiss", "Fleiss (crude)"), ("kelsey", "Kelsey (crude)")):
        row = power_case_control(
            odds_ratio,
            p0,
            n1,
            None,
            controls_per_case=n0 / n1,
            alpha=alpha,
            method=method,  # type: ignore[arg-type]
        )
        rows.append({"method": label, "power": float(row["power"].iloc[0])})
    for test in ("wald", "lr"):
        row = exact_power(odds_ratio, p0, n1, n0, alpha=alpha, test=test)  # type: ignore[arg-type]
        rows.append({"method": row["method"].iloc[0], "power": float(row["power"].iloc[0])})
    frame = pd.DataFrame(rows)
    settings = {
        "odds_ratio": float(odds_ratio),
        "p0": float(p0),
        "n_cases": n1,
        "n_controls": n0,
        "alpha": float(alpha),
    }
    for column, value in settings.items():
        frame[column] = value
    return frame[["method", "odds_ratio", "p0", "n_cases", "n_controls", "alpha", "power"]]
