"""Power and sample size for matched and stratified case-control designs.

Both functions share the interface of :func:`neok2.stats.power.power_case_control`: exactly
one of ``odds_ratio``, ``n_cases`` and ``power`` is ``None`` and is solved for, and the answer
is a one-row DataFrame.

- :func:`power_matched`: 1:M matched sets analysed by conditional logistic regression,
  Dupont (1988), as ``epiR::epi.sscc(method = "matched")``.
- :func:`power_stratified`: an unmatched study analysed by the Mantel-Haenszel test over
  strata with a common odds ratio (Woolson, Bean and Rojas 1986).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2.stats.power import (
    _OR_LOWER,
    _OR_UPPER,
    _brent,
    _check_exactly_one_none,
    _check_positive,
    _check_probability,
    _check_sided,
    _exposure_in_cases,
    _far_tail,
    _needed,
    _size_below_closed_form,
    _z_alpha,
)

__all__ = ["power_matched", "power_stratified"]

_COLUMNS = [
    "method",
    "solved_for",
    "odds_ratio",
    "odds_ratio_protective",
    "p0",
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


def _dupont_moments(odds_ratio: float, p0: float, r: int, phi: float) -> tuple[float, ...]:
    """Per-set mean and variance of the exposed count under ``odds_ratio`` and under 1.

    Dupont's ``t_m`` is the probability that a set has m exposed members; given m, the case
    is exposed with probability ``m psi / (m psi + r - m + 1)``. ``phi`` is the correlation
    of exposure between the members of a set.
    """
    p1 = _exposure_in_cases(p0, odds_ratio)
    spread = math.sqrt(p1 * (1 - p1) * p0 * (1 - p0))
    p0_exposed = (p1 * p0 + phi * spread) / p1
    p0_unexposed = (p0 * (1 - p1) - phi * spread) / (1 - p1)
    mean_psi = mean_one = var_psi = var_one = 0.0
    for m in range(1, r + 1):
        t = p1 * math.comb(r, m - 1) * p0_exposed ** (m - 1) * (1 - p0_exposed) ** (r - m + 1) + (
            1 - p1
        ) * math.comb(r, m) * p0_unexposed**m * (1 - p0_unexposed) ** (r - m)
        denominator = m * odds_ratio + r - m + 1
        mean_psi += m * t * odds_ratio / denominator
        mean_one += m * t / (r + 1)
        var_psi += m * t * odds_ratio * (r - m + 1) / denominator**2
        var_one += m * t * (r - m + 1) / (r + 1) ** 2
    return mean_psi, mean_one, var_psi, var_one


def _matched_power(
    odds: float, p0: float, cases: float, r: int, phi: float, z: float, two_sided: bool
) -> float:
    mean_psi, mean_one, var_psi, var_one = _dupont_moments(odds, p0, r, phi)
    if var_psi <= 0 or not math.isfinite(var_psi):
        return math.nan
    signal = math.sqrt(cases) * abs(mean_one - mean_psi)
    threshold, spread = z * math.sqrt(var_one), math.sqrt(var_psi)
    far = _far_tail(signal, threshold, spread) if two_sided else 0.0
    return float(special.ndtr((signal - threshold) / spread)) + far


def power_matched(
    odds_ratio: float | None = None,
    p0: float | None = None,
    n_cases: float | None = None,
    power: float | None = None,
    *,
    controls_per_case: int = 1,
    phi: float = 0.0,
    alpha: float = 0.05,
    sided: int = 2,
) -> pd.DataFrame:
    """Power, number of matched sets or detectable odds ratio of a 1:M matched study.

    Exactly one of ``odds_ratio``, ``n_cases`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    odds_ratio : float or None
        Odds ratio to detect. ``None`` solves for the detectable odds ratio above 1 (and its
        protective mirror below 1).
    p0 : float
        Exposure prevalence among controls, in (0, 1).
    n_cases : float or None
        Number of matched sets (one case each).
    power : float or None
    controls_per_case : int, default 1
        M, the controls matched to each case.
    phi : float, default 0
        Correlation coefficient of exposure between matched case and control (epiR's
        ``phi.coef``); 0 treats matching as ineffective for exposure.
    alpha : float, default 0.05
    sided : {2, 1}, default 2
        Two-sided power is the probability of rejecting in either direction (both tails),
        ``alpha`` at an odds ratio of 1; sizes and detectable odds ratios are solved with it.

    Returns
    -------
    pandas.DataFrame
        One row: ``method, solved_for, odds_ratio, odds_ratio_protective, p0,
        controls_per_case, n_cases, n_controls, n_total, n_cases_needed, n_controls_needed,
        power, alpha, sided, phi``.

    Notes
    -----
    Dupont (1988) conditions on the number m of exposed members of a set: the case is the
    exposed one with probability ``m psi / (m psi + M - m + 1)``. Summing over the
    distribution ``t_m`` of m gives the per-set mean ``E_psi`` and variance ``V_psi`` of the
    exposed-case count, and ``n = (z_b sqrt(V_psi) + z_a sqrt(V_1))^2 / (E_1 - E_psi)^2``. With
    ``s = sqrt(n) |E_1 - E_psi|`` and ``t = z_a sqrt(V_1)``, two-sided power is
    ``Phi((s - t) / sqrt(V_psi)) + Phi((-s - t) / sqrt(V_psi))``; the size is found with
    Brent's method below the closed form (which counts the first tail only) and the odds
    ratio with Brent's method. ``epiR::epi.sscc(method = "matched", nfractional = TRUE)``
    (with ``n = n_total``) uses the same moments but counts only the tail on the side of the
    effect: its power is this one minus the far tail, and its sizes are slightly larger.

    References
    ----------
    Dupont WD (1988) Power calculations for matched case-control studies. Biometrics
    44:1157-1168.

    Examples
    --------
    >>> row = power_matched(odds_ratio=2, p0=0.2, n_cases=None, power=0.8, controls_per_case=2)
    >>> round(float(row["n_cases"].iloc[0]), 3)
    124.675
    """
    solved_for = _check_exactly_one_none(odds_ratio=odds_ratio, n_cases=n_cases, power=power)
    if p0 is None:
        raise ValueError("`p0` (exposure prevalence among controls) is required, e.g. p0=0.2")
    p0 = _check_probability(p0, "p0")
    if isinstance(controls_per_case, bool) or not isinstance(controls_per_case, int | np.integer):
        raise TypeError(f"`controls_per_case` must be a whole number, got {controls_per_case!r}")
    if controls_per_case < 1:
        raise ValueError(f"`controls_per_case` must be 1 or more, got {controls_per_case}")
    r = int(controls_per_case)
    if isinstance(phi, bool) or not isinstance(phi, int | float) or not -1 < phi < 1:
        raise ValueError(f"`phi` must be a correlation in (-1, 1), got {phi!r}")
    alpha = _check_probability(alpha, "alpha")
    sided = _check_sided(sided)
    z_alpha = _z_alpha(alpha, sided)
    two_sided = sided == 2
    odds = math.nan if odds_ratio is None else _check_positive(odds_ratio, "odds_ratio")
    cases = math.nan if n_cases is None else _check_positive(n_cases, "n_cases")
    target = math.nan if power is None else _check_probability(power, "power")
    protective = math.nan
    if solved_for == "power":
        target = _matched_power(odds, p0, cases, r, float(phi), z_alpha, two_sided)
    elif solved_for == "n_cases":
        if odds == 1.0:
            raise ValueError("`odds_ratio` must differ from 1 to solve for a sample size")
        mean_psi, mean_one, var_psi, var_one = _dupont_moments(odds, p0, r, float(phi))
        z_beta = float(stats.norm.ppf(target))
        cases = (z_beta * math.sqrt(var_psi) + z_alpha * math.sqrt(var_one)) ** 2 / (
            mean_one - mean_psi
        ) ** 2
        if two_sided:
            cases = _size_below_closed_form(
                cases,
                lambda size: _matched_power(odds, p0, size, r, float(phi), z_alpha, True) - target,
            )
    else:

        def gap(candidate: float) -> float:
            value = _matched_power(candidate, p0, cases, r, float(phi), z_alpha, two_sided)
            return (value if math.isfinite(value) else 1.0) - target

        odds = _brent(gap, 1.0, _OR_UPPER) if gap(_OR_UPPER) > 0 else math.inf
        protective = _brent(gap, _OR_LOWER, 1.0) if gap(_OR_LOWER) > 0 else 0.0
    row = {
        "method": "dupont",
        "solved_for": solved_for,
        "odds_ratio": odds,
        "odds_ratio_protective": protective,
        "p0": p0,
        "controls_per_case": r,
        "n_cases": cases,
        "n_controls": r * cases,
        "n_total": (r + 1) * cases,
        "n_cases_needed": _needed(cases),
        "n_controls_needed": r * _needed(cases),
        "power": target,
        "alpha": alpha,
        "sided": sided,
        "phi": float(phi),
    }
    return pd.DataFrame([row], columns=[*_COLUMNS, "phi"])


def _stratified_moments(
    odds: float, p0: np.ndarray, fractions: np.ndarray, r: float
) -> tuple[float, float, float]:
    """Per-case mean of the CMH numerator and its variances under H0 and under ``odds``."""
    p1 = p0 * odds / (1.0 + p0 * (odds - 1.0))
    # per case: stratum k has f_k cases and r f_k controls, total (1 + r) f_k
    harmonic = fractions * r / (1.0 + r)
    pooled = (p1 + r * p0) / (1.0 + r)
    mean = float((harmonic * (p1 - p0)).sum())
    var_null = float((harmonic * pooled * (1 - pooled)).sum())
    var_alt = float(
        (harmonic**2 * (p1 * (1 - p1) / fractions + p0 * (1 - p0) / (r * fractions))).sum()
    )
    return mean, var_null, var_alt


def power_stratified(
    odds_ratio: float | None = None,
    p0: Sequence[float] | None = None,
    n_cases: float | None = None,
    power: float | None = None,
    *,
    case_fractions: Sequence[float] | None = None,
    controls_per_case: float = 1.0,
    alpha: float = 0.05,
    sided: int = 2,
) -> pd.DataFrame:
    """Power, sample size or detectable common odds ratio of the Mantel-Haenszel test.

    Exactly one of ``odds_ratio``, ``n_cases`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    odds_ratio : float or None
        Common odds ratio in every stratum.
    p0 : sequence of float
        Exposure prevalence among controls in each stratum.
    n_cases : float or None
        Total number of cases.
    power : float or None
    case_fractions : sequence of float, optional
        Share of the cases in each stratum (normalised to sum 1); default equal shares.
        Controls follow the cases (frequency matching): ``controls_per_case`` per case in
        every stratum.
    controls_per_case : float, default 1
    alpha : float, default 0.05
    sided : {2, 1}, default 2
        Two-sided power is the probability of rejecting in either direction (both tails),
        ``alpha`` at an odds ratio of 1; sizes and detectable odds ratios are solved with it.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`power_matched` without ``phi``, with ``method`` =
        ``"mantel_haenszel"`` and ``p0`` the control-weighted mean prevalence.

    Notes
    -----
    In stratum k with ``n_1k`` cases, ``n_0k`` controls and ``w_k = n_1k n_0k / N_k``, the CMH
    numerator ``U = sum(a_k - E0 a_k)`` has mean ``sum w_k (p1k - p0k)``, null variance
    ``sum w_k pbar_k (1 - pbar_k)`` and alternative variance ``sum w_k^2 (p1k q1k / n_1k +
    p0k q0k / n_0k)``, with ``p1k = p0k OR / (1 + p0k (OR - 1))``. Two-sided power is
    ``Phi((|E U| - z_a sqrt(V0)) / sqrt(V1)) + Phi((-|E U| - z_a sqrt(V0)) / sqrt(V1))``, both
    rejection tails. Every moment is proportional to the number of cases, so the first tail
    alone gives n in closed form; the two-sided size is found with Brent's method below it.
    With one stratum this is Fleiss' formula without continuity correction
    (:func:`~neok2.stats.power.power_case_control`, ``"fleiss"``), whose first tail alone is
    ``epiR::epi.sscc(method = "unmatched")``'s power.

    References
    ----------
    Woolson RF, Bean JA, Rojas PB (1986) Sample size for case-control studies using Cochran's
    statistic. Biometrics 42:927-932.

    Examples
    --------
    >>> row = power_stratified(odds_ratio=2, p0=[0.1, 0.3], n_cases=None, power=0.8)
    >>> int(row["n_cases_needed"].iloc[0])
    188
    """
    solved_for = _check_exactly_one_none(odds_ratio=odds_ratio, n_cases=n_cases, power=power)
    if p0 is None or isinstance(p0, str | float | int):
        raise TypeError("`p0` must be a sequence with one exposure prevalence per stratum")
    prevalences = np.array([_check_probability(v, "p0") for v in p0])
    if case_fractions is None:
        fractions = np.full(prevalences.size, 1.0 / prevalences.size)
    else:
        fractions = np.array([_check_positive(v, "case_fractions") for v in case_fractions])
        if fractions.size != prevalences.size:
            raise ValueError(
                f"`case_fractions` has {fractions.size} values for {prevalences.size} strata"
            )
        fractions = fractions / fractions.sum()
    r = _check_positive(controls_per_case, "controls_per_case")
    alpha = _check_probability(alpha, "alpha")
    sided = _check_sided(sided)
    z_alpha = _z_alpha(alpha, sided)
    odds = math.nan if odds_ratio is None else _check_positive(odds_ratio, "odds_ratio")
    cases = math.nan if n_cases is None else _check_positive(n_cases, "n_cases")
    target = math.nan if power is None else _check_probability(power, "power")
    protective = math.nan

    def power_at(candidate: float, size: float) -> float:
        mean, var_null, var_alt = _stratified_moments(candidate, prevalences, fractions, r)
        signal = math.sqrt(size) * abs(mean)
        threshold, spread = z_alpha * math.sqrt(var_null), math.sqrt(var_alt)
        far = _far_tail(signal, threshold, spread) if sided == 2 else 0.0
        return float(special.ndtr((signal - threshold) / spread)) + far

    if solved_for == "power":
        target = power_at(odds, cases)
    elif solved_for == "n_cases":
        if odds == 1.0:
            raise ValueError("`odds_ratio` must differ from 1 to solve for a sample size")
        mean, var_null, var_alt = _stratified_moments(odds, prevalences, fractions, r)
        z_beta = float(stats.norm.ppf(target))
        cases = (z_alpha * math.sqrt(var_null) + z_beta * math.sqrt(var_alt)) ** 2 / mean**2
        if sided == 2:
            cases = _size_below_closed_form(cases, lambda size: power_at(odds, size) - target)
    else:

        def gap(candidate: float) -> float:
            return power_at(candidate, cases) - target

        odds = _brent(gap, 1.0, _OR_UPPER) if gap(_OR_UPPER) > 0 else math.inf
        protective = _brent(gap, _OR_LOWER, 1.0) if gap(_OR_LOWER) > 0 else 0.0
    row = {
        "method": "mantel_haenszel",
        "solved_for": solved_for,
        "odds_ratio": odds,
        "odds_ratio_protective": protective,
        "p0": float((fractions * prevalences).sum()),
        "controls_per_case": r,
        "n_cases": cases,
        "n_controls": r * cases,
        "n_total": (1 + r) * cases,
        "n_cases_needed": _needed(cases),
        "n_controls_needed": _needed(r * cases),
        "power": target,
        "alpha": alpha,
        "sided": sided,
    }
    return pd.DataFrame([row], columns=_COLUMNS)
