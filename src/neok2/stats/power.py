"""Analytic sample size and power for unmatched case-control studies and logistic regression.

Every solver follows the pingouin convention: of the quantities it links (sample size,
effect size, power) exactly one is passed as ``None`` and is solved for, in closed form
where one exists and by Brent's root finding otherwise. Solvers return a **one-row tidy
DataFrame** holding every quantity (given and solved) so that results stack with
``pandas.concat``; the scalar helper :func:`events_per_variable` returns a float. Power of
two proportions by Cohen's h lives in :mod:`neok2.stats.power_proportions`. Nothing is
rounded: sample sizes are fractional, with ``*_needed`` columns giving the whole numbers to
recruit.

Case-control formulas (``r`` controls per case, ``p0`` exposure prevalence among controls,
``p1 = p0 OR / (1 + p0 (OR - 1))`` among cases, ``pbar = (p1 + r p0) / (r + 1)``):

``"kelsey"``
    one pooled variance, ``n_cases = (z_a + z_b)^2 pbar qbar (r + 1) / (r (p1 - p0)^2)``
    (Kelsey et al. 1996; OpenEpi; epiR's detectable-OR branch).
``"fleiss"``
    pooled variance under H0, separate variances under H1 (Fleiss, Levin & Paik 2003, eq. 4.14).
``"fleiss_cc"``
    the Fleiss size with the Casagrande-Pike-Smith continuity correction (eq. 4.19).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from neok2._validation import int_like
from neok2.stats._power_checks import RTOL, XTOL
from neok2.stats._power_checks import brent as _brent
from neok2.stats._power_checks import check_exactly_one_none as _check_exactly_one_none
from neok2.stats._power_checks import check_positive as _check_positive
from neok2.stats._power_checks import check_probability as _check_probability
from neok2.stats._power_checks import check_sided as _check_sided
from neok2.stats._power_checks import far_tail as _far_tail
from neok2.stats._power_checks import needed as _needed
from neok2.stats._power_checks import size_below_closed_form as _size_below_closed_form
from neok2.stats._power_checks import z_alpha as _z_alpha
from neok2.study.spec import Study

__all__ = [
    "detectable_odds_ratio",
    "events_per_variable",
    "power_case_control",
    "sample_size_case_control",
    "sample_size_logistic",
    "study_power",
]

Method = Literal["kelsey", "fleiss", "fleiss_cc"]
_METHODS = ("kelsey", "fleiss", "fleiss_cc")
_METHOD_LABELS = {"kelsey": "Kelsey", "fleiss": "Fleiss", "fleiss_cc": "Fleiss with correction"}
_XTOL, _RTOL = XTOL, RTOL
_OR_UPPER = 1e6
_OR_LOWER = 1e-6

_CASE_CONTROL_COLUMNS = [
    "method",
    "solved_for",
    "odds_ratio",
    "odds_ratio_protective",
    "p0",
    "p1",
    "controls_per_case",
    "n_cases",
    "n_controls",
    "n_total",
    "n_cases_needed",
    "n_controls_needed",
    "power",
    "alpha",
    "sided",
]


# ----------------------------------------------------------------------------- validation


def _check_method(method: Any) -> str:
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {', '.join(_METHODS)}; got {method!r}")
    return str(method)


# ----------------------------------------------------------------------------- case-control


def _exposure_in_cases(p0: float, odds_ratio: float) -> float:
    return p0 * odds_ratio / (1.0 + p0 * (odds_ratio - 1.0))


def _cc_power(
    odds_ratio: float,
    p0: float,
    n_cases: float,
    r: float,
    z_alpha: float,
    method: str,
    two_sided: bool = False,
) -> float:
    p1 = _exposure_in_cases(p0, odds_ratio)
    difference = abs(p1 - p0)
    pbar = (p1 + r * p0) / (r + 1.0)
    pooled = (r + 1.0) * pbar * (1.0 - pbar)
    if method == "kelsey":
        signal = math.sqrt(n_cases * r * difference**2 / pooled)
        far = float(stats.norm.cdf(-signal - z_alpha)) if two_sided else 0.0
        return float(stats.norm.cdf(signal - z_alpha)) + far
    if method == "fleiss_cc":
        correction = 2.0 * (r + 1.0) / (r * difference) if difference > 0 else math.inf
        root = math.sqrt(n_cases)
        # Exact inverse of n_cc = n/4 (1 + sqrt(1 + c/n))^2; below c/4 no uncorrected n exists.
        n_cases = (root - correction / (4.0 * root)) ** 2 if n_cases > correction / 4.0 else 0.0
    separate = r * p1 * (1.0 - p1) + p0 * (1.0 - p0)
    signal = difference * math.sqrt(r * n_cases)
    threshold = z_alpha * math.sqrt(pooled)
    # the far tail: rejecting in the other direction also rejects the null (two-sided test)
    far = float(stats.norm.cdf((-signal - threshold) / math.sqrt(separate))) if two_sided else 0.0
    return float(stats.norm.cdf((signal - threshold) / math.sqrt(separate))) + far


def _cc_cases(
    odds_ratio: float, p0: float, power: float, r: float, z_alpha: float, method: str
) -> float:
    p1 = _exposure_in_cases(p0, odds_ratio)
    difference = abs(p1 - p0)
    if difference == 0:
        return math.inf
    z_beta = float(stats.norm.ppf(power))
    pbar = (p1 + r * p0) / (r + 1.0)
    pooled = (r + 1.0) * pbar * (1.0 - pbar)
    if method == "kelsey":
        return (z_alpha + z_beta) ** 2 * pooled / (r * difference**2)
    separate = r * p1 * (1.0 - p1) + p0 * (1.0 - p0)
    n_cases = (z_alpha * math.sqrt(pooled) + z_beta * math.sqrt(separate)) ** 2 / (
        r * difference**2
    )
    if method == "fleiss_cc":
        correction = 2.0 * (r + 1.0) / (r * difference)
        n_cases = n_cases / 4.0 * (1.0 + math.sqrt(1.0 + correction / n_cases)) ** 2
    return n_cases


def _cc_cases_two_sided(
    odds_ratio: float, p0: float, power: float, r: float, z_alpha: float, method: str
) -> float:
    """Cases giving ``power`` counting both rejection tails (below the one-tail closed form)."""

    def gap(n_cases: float) -> float:
        return _cc_power(odds_ratio, p0, n_cases, r, z_alpha, method, two_sided=True) - power

    return _size_below_closed_form(_cc_cases(odds_ratio, p0, power, r, z_alpha, method), gap)


def power_case_control(
    odds_ratio: float | None = None,
    p0: float | None = None,
    n_cases: float | None = None,
    power: float | None = None,
    *,
    controls_per_case: float = 1.0,
    alpha: float = 0.05,
    sided: int = 2,
    method: Method = "fleiss",
) -> pd.DataFrame:
    """Power, sample size or detectable odds ratio of an unmatched case-control study.

    Exactly one of ``odds_ratio``, ``n_cases`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    odds_ratio : float or None
        Odds ratio to detect (any positive value but 1). ``None`` solves for the smallest
        detectable odds ratio above 1 (and its protective mirror below 1).
    p0 : float
        Exposure prevalence among controls, in (0, 1).
    n_cases : float or None
        Number of cases; the study has ``controls_per_case * n_cases`` controls.
    power : float or None
        Power, in (0, 1).
    controls_per_case : float, default 1
        Controls per case (``r``); 134 / 66 for the K2 study.
    alpha : float, default 0.05
        Significance level.
    sided : {2, 1}, default 2
        Two-sided power is the probability of rejecting in either direction,
        ``Phi(z - z_{1-alpha/2}) + Phi(-z - z_{1-alpha/2})`` in the standardised effect ``z``,
        so that it equals ``alpha`` at an odds ratio of 1; sizes and detectable odds ratios
        are solved with it. epiR's ``epi.sscc`` keeps the near tail only (see Notes).
    method : {"fleiss", "kelsey", "fleiss_cc"}, default "fleiss"
        Variance formula (see the module notes).

    Returns
    -------
    pandas.DataFrame
        One row: ``method, solved_for, odds_ratio, odds_ratio_protective, p0, p1,
        controls_per_case, n_cases, n_controls, n_total, n_cases_needed, n_controls_needed,
        power, alpha, sided``. ``n_*`` are fractional; ``*_needed`` round each group up.
        ``odds_ratio_protective`` (the detectable OR below 1) is NaN unless the odds ratio is
        solved for; a detectable odds ratio that no value up to 1e6 reaches is ``inf``.

    Notes
    -----
    With ``d = p1 - p0`` and ``z_b = Phi^-1(power)``, Fleiss' size is
    ``n_cases = [z_a sqrt((r+1) pbar qbar) + z_b sqrt(r p1 q1 + p0 q0)]^2 / (r d^2)``, and the
    continuity-corrected size is ``n/4 (1 + sqrt(1 + 2 (r+1) / (n r |d|)))^2``. Power inverts
    these formulas exactly; the odds ratio is found with Brent's method.

    Mirrors ``epiR::epi.sscc(method = "unmatched")``, with two convention differences that
    the tests pin down: epiR's size and power branches place ``r`` on the case group (so
    ``epi.sscc(r = 1/r)`` gives this function's ``n_total`` with ``r`` controls per case), and
    its ``fleiss = TRUE`` correction is applied to the total rather than to the case count.
    epiR's detectable-OR branch is the ``"kelsey"`` formula. epiR (like the closed forms
    above) counts only the rejection tail on the side of the effect; the far tail adds
    ``Phi(-z - z_{1-alpha/2})``, below 1e-6 at the sizes of a typical study but the whole of
    the difference between 0.025 and 0.05 at an odds ratio of 1. Two-sided sizes therefore
    come from Brent's method below the closed form. At ``r = 1`` ``"fleiss"`` equals
    ``stats::power.prop.test``.

    References
    ----------
    Kelsey JL, Whittemore AS, Evans AS, Thompson WD (1996). Methods in Observational
    Epidemiology, 2nd ed. Oxford University Press.
    Fleiss JL, Levin B, Paik MC (2003). Statistical Methods for Rates and Proportions, 3rd ed.,
    section 4.4. Wiley.
    Casagrande JT, Pike MC, Smith PG (1978). An improved approximate formula for calculating
    sample sizes for comparing two binomial distributions. Biometrics 34:483-486.

    Examples
    --------
    >>> row = power_case_control(odds_ratio=2, p0=0.3, n_cases=None, power=0.8)
    >>> float(row["n_cases"].iloc[0])
    140.656
    >>> int(row["n_cases_needed"].iloc[0])
    141
    >>> row = power_case_control(odds_ratio=2, p0=0.3, n_cases=141, power=None)
    >>> float(row["power"].iloc[0])
    0.8010
    """
    solved_for = _check_exactly_one_none(odds_ratio=odds_ratio, n_cases=n_cases, power=power)
    if p0 is None:
        raise ValueError("`p0` (exposure prevalence among controls) is required, e.g. p0=0.1")
    p0 = _check_probability(p0, "p0")
    r = _check_positive(controls_per_case, "controls_per_case")
    alpha = _check_probability(alpha, "alpha")
    sided = _check_sided(sided)
    method_name = _check_method(method)
    z_alpha = _z_alpha(alpha, sided)
    protective = math.nan
    odds = math.nan if odds_ratio is None else _check_positive(odds_ratio, "odds_ratio")
    cases = math.nan if n_cases is None else _check_positive(n_cases, "n_cases")
    target = math.nan if power is None else _check_probability(power, "power")
    if solved_for == "n_cases" and odds == 1.0:
        raise ValueError("`odds_ratio` must differ from 1 to solve for a sample size")

    two_sided = sided == 2
    if solved_for == "power":
        target = _cc_power(odds, p0, cases, r, z_alpha, method_name, two_sided)
    elif solved_for == "n_cases":
        solve = _cc_cases_two_sided if two_sided else _cc_cases
        cases = solve(odds, p0, target, r, z_alpha, method_name)
    else:

        def gap(candidate: float) -> float:
            return _cc_power(candidate, p0, cases, r, z_alpha, method_name, two_sided) - target

        odds = _brent(gap, 1.0, _OR_UPPER) if gap(_OR_UPPER) > 0 else math.inf
        protective = _brent(gap, _OR_LOWER, 1.0) if gap(_OR_LOWER) > 0 else 0.0
    n_controls = r * cases
    row = {
        "method": method_name,
        "solved_for": solved_for,
        "odds_ratio": odds,
        "odds_ratio_protective": protective,
        "p0": p0,
        "p1": _exposure_in_cases(p0, odds) if math.isfinite(odds) else 1.0,
        "controls_per_case": r,
        "n_cases": cases,
        "n_controls": n_controls,
        "n_total": cases + n_controls,
        "n_cases_needed": _needed(cases),
        "n_controls_needed": _needed(n_controls),
        "power": target,
        "alpha": alpha,
        "sided": sided,
    }
    return pd.DataFrame([row], columns=_CASE_CONTROL_COLUMNS)


def sample_size_case_control(
    odds_ratio: float,
    p0: float,
    *,
    power: float = 0.8,
    controls_per_case: float = 1.0,
    alpha: float = 0.05,
    sided: int = 2,
    method: Method = "fleiss",
) -> pd.DataFrame:
    """Number of cases (and controls) needed to detect ``odds_ratio`` with the given power.

    Parameters
    ----------
    odds_ratio : float
        Odds ratio to detect (positive, not 1).
    p0 : float
        Exposure prevalence among controls.
    power, controls_per_case, alpha, sided, method
        As in :func:`power_case_control`.

    Returns
    -------
    pandas.DataFrame
        The one-row frame of :func:`power_case_control` with ``solved_for = "n_cases"``.

    Notes
    -----
    Closed form (see :func:`power_case_control`); mirrors ``epiR::epi.sscc(OR, p0, n = NA,
    power, r, method = "unmatched")``.

    References
    ----------
    Fleiss JL, Levin B, Paik MC (2003). Statistical Methods for Rates and Proportions, 3rd ed.

    Examples
    --------
    >>> frame = sample_size_case_control(2.0, 0.3, controls_per_case=2)
    >>> frame[["n_cases_needed", "n_controls_needed"]].iloc[0].tolist()
    [105, 209]
    """
    return power_case_control(
        odds_ratio,
        p0,
        None,
        power,
        controls_per_case=controls_per_case,
        alpha=alpha,
        sided=sided,
        method=method,
    )


def detectable_odds_ratio(
    p0: float,
    n_cases: float,
    *,
    power: float = 0.8,
    controls_per_case: float = 1.0,
    alpha: float = 0.05,
    sided: int = 2,
    method: Method = "fleiss",
) -> pd.DataFrame:
    """Smallest odds ratio (above 1, and its protective mirror below 1) detectable with ``power``.

    Parameters
    ----------
    p0 : float
        Exposure prevalence among controls.
    n_cases : float
        Number of cases.
    power, controls_per_case, alpha, sided, method
        As in :func:`power_case_control`.

    Returns
    -------
    pandas.DataFrame
        The one-row frame of :func:`power_case_control` with ``solved_for = "odds_ratio"``;
        ``odds_ratio`` above 1 and ``odds_ratio_protective`` below 1.

    Notes
    -----
    Brent's root of ``power(OR) - power`` on (1, 1e6) and (1e-6, 1). With
    ``method="kelsey"`` it mirrors ``epiR::epi.sscc(OR = NA, p0, n = n_cases * (1 + r),
    power, r)``.

    References
    ----------
    Kelsey JL, Whittemore AS, Evans AS, Thompson WD (1996). Methods in Observational
    Epidemiology, 2nd ed.

    Examples
    --------
    >>> frame = detectable_odds_ratio(0.5, 66, controls_per_case=134 / 66)
    >>> float(frame["odds_ratio"].iloc[0])
    2.397
    """
    return power_case_control(
        None,
        p0,
        n_cases,
        power,
        controls_per_case=controls_per_case,
        alpha=alpha,
        sided=sided,
        method=method,
    )


# ----------------------------------------------------------------------------- two proportions


_LOGISTIC_COLUMNS = [
    "covariate",
    "solved_for",
    "odds_ratio",
    "event_rate",
    "exposure_prevalence",
    "r_squared",
    "n",
    "n_needed",
    "n_events",
    "power",
    "alpha",
]


def _hsieh_power(
    odds_ratio: float,
    n: float,
    covariate: str,
    event_rate: float,
    prevalence: float,
    r_squared: float,
    z_alpha: float,
) -> float:
    """Two-sided power of Hsieh's test, both rejection tails counted."""
    effective_n = n * (1.0 - r_squared)
    if covariate == "continuous":
        signal = math.sqrt(effective_n * event_rate * (1.0 - event_rate)) * abs(
            math.log(odds_ratio)
        )
        threshold, spread = z_alpha, 1.0
    else:
        rate_exposed = _exposure_in_cases(event_rate, odds_ratio)
        overall = (1.0 - prevalence) * event_rate + prevalence * rate_exposed
        spread = math.sqrt(
            event_rate * (1.0 - event_rate)
            + rate_exposed * (1.0 - rate_exposed) * (1.0 - prevalence) / prevalence
        )
        signal = math.sqrt(effective_n * (1.0 - prevalence)) * abs(event_rate - rate_exposed)
        threshold = z_alpha * math.sqrt(overall * (1.0 - overall) / prevalence)
    near = float(stats.norm.cdf((signal - threshold) / spread))
    return near + _far_tail(signal, threshold, spread)


def _hsieh_n_one_tail(
    odds_ratio: float,
    power: float,
    covariate: str,
    event_rate: float,
    prevalence: float,
    r_squared: float,
    z_alpha: float,
) -> float:
    """Hsieh's closed form, which counts the near rejection tail only."""
    if odds_ratio == 1.0:
        return math.inf
    z_beta = float(stats.norm.ppf(power))
    if covariate == "continuous":
        n = (z_alpha + z_beta) ** 2 / (event_rate * (1.0 - event_rate) * math.log(odds_ratio) ** 2)
    else:
        rate_exposed = _exposure_in_cases(event_rate, odds_ratio)
        overall = (1.0 - prevalence) * event_rate + prevalence * rate_exposed
        numerator = z_alpha * math.sqrt(
            overall * (1.0 - overall) / prevalence
        ) + z_beta * math.sqrt(
            event_rate * (1.0 - event_rate)
            + rate_exposed * (1.0 - rate_exposed) * (1.0 - prevalence) / prevalence
        )
        n = numerator**2 / ((event_rate - rate_exposed) ** 2 * (1.0 - prevalence))
    return n / (1.0 - r_squared)


def sample_size_logistic(
    odds_ratio: float | None = None,
    n: float | None = None,
    power: float | None = None,
    *,
    event_rate: float,
    covariate: Literal["binary", "continuous"] = "binary",
    exposure_prevalence: float | None = None,
    r_squared: float = 0.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Sample size, power or detectable odds ratio for one covariate in a logistic regression.

    Exactly one of ``odds_ratio``, ``n`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    odds_ratio : float or None
        Binary covariate: odds ratio exposed vs unexposed. Continuous covariate: odds ratio
        per one standard deviation. ``None`` solves for the detectable OR above 1.
    n : float or None
        Total sample size.
    power : float or None
        Power, in (0, 1).
    event_rate : float
        Binary covariate: event probability among the unexposed (Hsieh's ``P1``).
        Continuous covariate: event probability at the covariate mean (Hsieh's ``P``).
    covariate : {"binary", "continuous"}, default "binary"
    exposure_prevalence : float, optional
        Binary covariate only (required): proportion exposed (Hsieh's ``B``).
    r_squared : float, default 0
        Squared multiple correlation of the covariate with the other covariates of a
        multivariable model; the size is inflated by ``1 / (1 - r_squared)``.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    pandas.DataFrame
        One row: ``covariate, solved_for, odds_ratio, event_rate, exposure_prevalence,
        r_squared, n, n_needed, n_events, power, alpha``; ``n_events`` is the expected
        number of events ``n * P`` (overall event rate for a binary covariate).

    Notes
    -----
    Continuous (Hsieh et al. 1998, eq. 1): ``n = (z_a + z_b)^2 / (P (1 - P) beta^2)``.
    Binary (eq. 2): ``n = [z_a sqrt(P(1-P)/B) + z_b sqrt(P1 Q1 + P2 Q2 (1-B)/B)]^2 /
    ((P1 - P2)^2 (1 - B))`` with ``P = (1-B) P1 + B P2``. Multivariable (eq. 3):
    ``n / (1 - rho^2)``. These closed forms (and ``powerMediation::SSizeLogisticCon`` and
    ``SSizeLogisticBin`` in R, which print them) count only the rejection tail on the side of
    the effect. Here two-sided power is the probability of the whole rejection region,
    ``Phi((s - t) / v) + Phi((-s - t) / v)`` with ``s``, ``t``, ``v`` the signal, threshold
    and spread of the formula above, so that it is ``alpha`` at an odds ratio of 1; sizes
    and detectable odds ratios are solved with it (Brent's method below the closed form,
    smaller by the far tail's share, a few parts in 1e5 or less at 80% power). The tests use the
    paper's worked example and the formulas written out in R (tests/reference/power.R).

    References
    ----------
    Hsieh FY, Bloch DA, Larsen MD (1998). A simple method of sample size calculation for
    linear and logistic regression. Statistics in Medicine 17:1623-1634.

    Examples
    --------
    >>> row = sample_size_logistic(
    ...     odds_ratio=math.exp(0.405), power=0.95, event_rate=0.5, covariate="continuous"
    ... )
    >>> int(row["n_needed"].iloc[0])
    317
    """
    solved_for = _check_exactly_one_none(odds_ratio=odds_ratio, n=n, power=power)
    if covariate not in ("binary", "continuous"):
        raise ValueError(f"`covariate` must be 'binary' or 'continuous', got {covariate!r}")
    event_rate = _check_probability(event_rate, "event_rate")
    alpha = _check_probability(alpha, "alpha")
    if isinstance(r_squared, bool) or not isinstance(r_squared, int | float | np.floating):
        raise TypeError(f"`r_squared` must be a number, got {type(r_squared).__name__}")
    if not 0.0 <= float(r_squared) < 1.0:
        raise ValueError(f"`r_squared` must lie in [0, 1), got {r_squared!r}")
    r_squared = float(r_squared)
    if covariate == "binary":
        if exposure_prevalence is None:
            raise ValueError(
                "`exposure_prevalence` is required for a binary covariate (proportion exposed)"
            )
        prevalence = _check_probability(exposure_prevalence, "exposure_prevalence")
    else:
        if exposure_prevalence is not None:
            raise ValueError(
                "`exposure_prevalence` applies to a binary covariate only; drop it or set "
                "covariate='binary'"
            )
        prevalence = math.nan
    odds = math.nan if odds_ratio is None else _check_positive(odds_ratio, "odds_ratio")
    size = math.nan if n is None else _check_positive(n, "n")
    target = math.nan if power is None else _check_probability(power, "power")
    z_alpha = _z_alpha(alpha, 2)

    def power_at(odds_: float, size_: float) -> float:
        return _hsieh_power(odds_, size_, covariate, event_rate, prevalence, r_squared, z_alpha)

    if solved_for == "power":
        target = power_at(odds, size)
    elif solved_for == "n":
        # both tails: below the closed form, which counts the near tail only
        closed_form = _hsieh_n_one_tail(
            odds, target, covariate, event_rate, prevalence, r_squared, z_alpha
        )
        size = _size_below_closed_form(closed_form, lambda size_: power_at(odds, size_) - target)
    else:
        upper = _OR_UPPER if covariate == "binary" else 1e3

        def gap(candidate: float) -> float:
            return power_at(candidate, size) - target

        odds = _brent(gap, 1.0, upper) if gap(upper) > 0 else math.inf
    if covariate == "binary" and math.isfinite(odds):
        overall = (1.0 - prevalence) * event_rate + prevalence * _exposure_in_cases(
            event_rate, odds
        )
    else:
        overall = event_rate
    row = {
        "covariate": covariate,
        "solved_for": solved_for,
        "odds_ratio": odds,
        "event_rate": event_rate,
        "exposure_prevalence": prevalence,
        "r_squared": r_squared,
        "n": size,
        "n_needed": _needed(size) if math.isfinite(size) else size,
        "n_events": size * overall,
        "power": target,
        "alpha": alpha,
    }
    return pd.DataFrame([row], columns=_LOGISTIC_COLUMNS)


def events_per_variable(n_cases: int, n_controls: int, n_parameters: int) -> float:
    """Events per variable: the smaller outcome group divided by the number of parameters.

    Parameters
    ----------
    n_cases, n_controls : int
        Group sizes.
    n_parameters : int
        Regression coefficients estimated, intercept excluded (a k-level factor counts k-1).

    Returns
    -------
    float

    Notes
    -----
    ``EPV = min(n_cases, n_controls) / n_parameters``; fewer than 10 events per variable
    gives biased, poorly covering logistic estimates (Peduzzi et al. 1996).

    References
    ----------
    Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR (1996). A simulation study of the
    number of events per variable in logistic regression analysis. J Clin Epidemiol
    49:1373-1379.

    Examples
    --------
    >>> events_per_variable(66, 134, 5)
    13.2
    """
    for name, value in (
        ("n_cases", n_cases),
        ("n_controls", n_controls),
        ("n_parameters", n_parameters),
    ):
        int_like(value, name, minimum=1)
    return min(int(n_cases), int(n_controls)) / int(n_parameters)


# ----------------------------------------------------------------------------- the study


_STUDY_COLUMNS = [
    "variable",
    "label",
    "model",
    "published_odds_ratio",
    "p0",
    "n_cases",
    "n_controls",
    "power_published",
    "power_or_2",
    "n_cases_80",
    "n_controls_80",
    "n_total_80",
    "detectable_or_80",
    "method",
    "method_label",
]


def study_power(
    study: Study,
    *,
    power: float = 0.8,
    reference_odds_ratio: float = 2.0,
    alpha: float | None = None,
    method: Method = "fleiss",
) -> pd.DataFrame:
    """Design-stage crude power of a study's size for each of its binary risk factors.

    Parameters
    ----------
    study : Study
        E.g. ``neok2.load_study("k2_neonates")``.
    power : float, default 0.8
        Target power for the sample size and the detectable odds ratio.
    reference_odds_ratio : float, default 2
        A fixed effect size whose power is reported beside the published one's.
    alpha : float, optional
        Significance level; defaults to the study design's alpha.
    method : {"fleiss", "kelsey", "fleiss_cc"}, default "fleiss"

    Returns
    -------
    pandas.DataFrame
        One row per factor and model (``"univariable"`` from Table 2, ``"multivariable"``
        from the reported model), for factors summarised as counts in Table 1:
        ``variable, label, model, published_odds_ratio, p0, n_cases, n_controls,
        power_published, power_or_2, n_cases_80, n_controls_80, n_total_80,
        detectable_or_80, method, method_label`` (e.g. ``"Fleiss (crude)"``).
        ``power_or_2`` is the power for
        ``reference_odds_ratio`` and the ``*_80`` columns are for ``power`` (names keep the
        defaults). Sizes needed are whole numbers (``*_needed`` of
        :func:`sample_size_case_control`); ``p0`` is the Table 1 control count over the
        control group size.

    Notes
    -----
    The study's own ratio ``r = n_controls / n_cases`` (134/66) is used throughout. Every
    row is a one-exposure (crude) formula evaluated at a true odds ratio equal to the
    printed one, a point of a design grid: it says what a study of this size could detect,
    not how likely the study's own result was. Rows of the multivariable model put the
    adjusted odds ratio into the crude formula (``method_label`` says so); the power of an
    adjusted odds ratio through the screen and the multivariable fit is simulated by
    :func:`neok2.stats.power_curves.adjusted_power_table`.

    References
    ----------
    Fleiss JL, Levin B, Paik MC (2003). Statistical Methods for Rates and Proportions, 3rd ed.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> table = study_power(load_study("k2_neonates"))
    >>> table[["variable", "model"]].head(2).values.tolist()
    [['caesarean', 'univariable'], ['sga', 'univariable']]
    """
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a neok2 Study (load_study(...)), got {type(study).__name__}"
        )
    alpha = float(study.design.get("alpha", 0.05)) if alpha is None else alpha
    n_cases, n_controls = int(study.groups["case"]), int(study.groups["control"])
    ratio = n_controls / n_cases
    table1 = study.table1
    binary = table1[(table1["summary"] == "n_percent") & (table1["level"] == "")]
    control_counts = binary[binary["group"] == "control"].set_index("variable")["n"]
    labels = binary.drop_duplicates("variable").set_index("variable")["label"]
    method_name = _check_method(method)
    records = []
    for model, frame in (
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        for variable, published_or in zip(frame["variable"], frame["odds_ratio"], strict=True):
            if variable not in control_counts.index:
                continue
            p0 = float(control_counts[variable]) / n_controls
            published_or = float(published_or)

            def solve(
                odds: float | None, cases: float | None, target: float | None, p0: float = p0
            ) -> pd.Series:
                row = power_case_control(
                    odds,
                    p0,
                    cases,
                    target,
                    controls_per_case=ratio,
                    alpha=alpha,
                    method=method,
                )
                return row.iloc[0]

            needed = solve(published_or, None, power)
            records.append(
                {
                    "variable": variable,
                    "label": labels[variable],
                    "model": model,
                    "published_odds_ratio": published_or,
                    "p0": p0,
                    "n_cases": n_cases,
                    "n_controls": n_controls,
                    "power_published": solve(published_or, n_cases, None)["power"],
                    "power_or_2": solve(reference_odds_ratio, n_cases, None)["power"],
                    "n_cases_80": needed["n_cases_needed"],
                    "n_controls_80": needed["n_controls_needed"],
                    "n_total_80": needed["n_cases_needed"] + needed["n_controls_needed"],
                    "detectable_or_80": solve(None, n_cases, power)["odds_ratio"],
                    "method": method_name,
                    "method_label": f"{_METHOD_LABELS[method_name]} (crude)",
                }
            )
    return pd.DataFrame.from_records(records, columns=_STUDY_COLUMNS)
