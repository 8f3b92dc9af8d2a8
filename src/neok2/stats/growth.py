"""Birth-weight-for-gestational-age reference: INTERGROWTH-21st newborn size centiles.

Small for gestational age (SGA) means a birth weight below the 10th centile for gestational
age and sex. The reference used throughout neok2 is INTERGROWTH-21st: its Newborn
Cross-Sectional Study standards (33+0 to 42+6 weeks, Villar et al. 2014) joined to its
very-preterm size-at-birth reference (24+0 to 32+6 weeks, Villar et al. 2016). The 10th,
50th and 90th centiles of birth weight (kg) are transcribed below at each completed week
(``w+0`` days) and at 42+6 weeks, the last day the standard covers; values between those
knots are linearly interpolated in exact gestational age. The step between 32+6 and 33+0
weeks is the seam between the two INTERGROWTH-21st charts and is kept as published.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "GROWTH_REFERENCE",
    "GROWTH_REFERENCE_RANGE",
    "birthweight_centile",
    "birthweight_centile_10",
]

GROWTH_REFERENCE = (
    "INTERGROWTH-21st newborn size standards: Villar J et al. International standards for "
    "newborn weight, length, and head circumference by gestational age and sex: the Newborn "
    "Cross-Sectional Study of the INTERGROWTH-21st Project. Lancet 2014;384:857-868; and "
    "Villar J et al. INTERGROWTH-21st very preterm size at birth reference charts. Lancet "
    "2016;387:844-845."
)

# Gestational ages (weeks) of the knots: completed weeks 24..42 and the last day 42+6.
_KNOTS = np.array([*range(24, 43), 42 + 6 / 7], dtype=float)
GROWTH_REFERENCE_RANGE = (float(_KNOTS[0]), float(_KNOTS[-1]))

# Birth weight in kg at the knots, transcribed from the published centile tables.
_CENTILES: dict[tuple[bool, int], tuple[float, ...]] = {
    (True, 10): (
        0.50,
        0.57,
        0.65,
        0.74,
        0.84,
        0.95,
        1.07,
        1.21,
        1.36,
        1.43,
        1.71,
        1.95,
        2.18,
        2.38,
        2.57,
        2.73,
        2.88,
        3.01,
        3.12,
        3.21,
    ),
    (True, 50): (
        0.64,
        0.73,
        0.83,
        0.95,
        1.07,
        1.21,
        1.37,
        1.55,
        1.74,
        1.95,
        2.22,
        2.47,
        2.69,
        2.89,
        3.07,
        3.24,
        3.38,
        3.51,
        3.62,
        3.71,
    ),
    (True, 90): (
        0.82,
        0.93,
        1.06,
        1.21,
        1.37,
        1.56,
        1.76,
        1.98,
        2.23,
        2.52,
        2.79,
        3.03,
        3.25,
        3.45,
        3.63,
        3.79,
        3.94,
        4.06,
        4.17,
        4.25,
    ),
    (False, 10): (
        0.47,
        0.54,
        0.61,
        0.70,
        0.79,
        0.90,
        1.01,
        1.14,
        1.28,
        1.41,
        1.68,
        1.92,
        2.14,
        2.33,
        2.50,
        2.65,
        2.78,
        2.89,
        2.98,
        3.04,
    ),
    (False, 50): (
        0.60,
        0.69,
        0.78,
        0.89,
        1.01,
        1.15,
        1.30,
        1.46,
        1.64,
        1.86,
        2.13,
        2.38,
        2.60,
        2.80,
        2.97,
        3.13,
        3.26,
        3.37,
        3.46,
        3.53,
    ),
    (False, 90): (
        0.77,
        0.88,
        1.01,
        1.14,
        1.30,
        1.47,
        1.66,
        1.87,
        2.11,
        2.35,
        2.64,
        2.89,
        3.12,
        3.32,
        3.51,
        3.66,
        3.80,
        3.92,
        4.01,
        4.08,
    ),
}


def birthweight_centile(
    ga_weeks: float | Sequence[float] | npt.ArrayLike,
    male: bool | Sequence[bool] | npt.ArrayLike,
    *,
    centile: int = 10,
) -> npt.NDArray[np.float64]:
    """Birth weight (kg) at a centile of the INTERGROWTH-21st reference.

    Parameters
    ----------
    ga_weeks : float or array-like
        Exact gestational age in weeks (e.g. 36.4), between 24 and 42+6/7 weeks.
    male : bool or array-like of bool
        Sex of each infant (``True`` or 1 = male); broadcast against ``ga_weeks``.
    centile : {10, 50, 90}, keyword-only
        Which centile.

    Returns
    -------
    numpy.ndarray of float
        Birth weight in kg, one per infant (a 0-d array for scalar input).

    Notes
    -----
    Linear interpolation in exact gestational age between the published values at each
    completed week ``w+0``. At whole weeks it reproduces the INTERGROWTH-21st centile
    tables (shipped in R by the ``gigs`` package as ``ig_nbs``); between weeks the published
    daily values differ from the interpolation by at most 0.02 kg.

    References
    ----------
    Villar J et al. Lancet 2014;384:857-868. Villar J et al. Lancet 2016;387:844-845.

    Examples
    --------
    >>> float(birthweight_centile(40.0, True, centile=50))
    3.38
    >>> birthweight_centile([33.5, 38.0], [True, False]).round(3).tolist()
    [1.57, 2.5]
    """
    if centile not in (10, 50, 90):
        raise ValueError(f"`centile` must be 10, 50 or 90, got {centile!r}")
    try:
        ga = np.asarray(ga_weeks, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"`ga_weeks` must be a number or an array of numbers (weeks), got {ga_weeks!r}"
        ) from None
    sex = np.asarray(male)
    if sex.dtype.kind not in "biu":
        raise TypeError(f"`male` must be boolean or 0/1, got values of dtype {sex.dtype}")
    if sex.size and not np.isin(sex, (0, 1)).all():
        raise ValueError("`male` must hold only True/False (or 1/0)")
    low, high = GROWTH_REFERENCE_RANGE
    if np.isnan(ga).any():
        raise ValueError("`ga_weeks` contains missing values; drop or impute them first")
    if ga.size and (ga.min() < low or ga.max() > high + 1e-9):
        raise ValueError(
            f"`ga_weeks` must lie within the reference range {low:g}-{high:.3f} weeks "
            f"(24+0 to 42+6), got values from {ga.min():g} to {ga.max():g}"
        )
    ga, sex = np.broadcast_arrays(ga, sex.astype(bool))
    result = np.empty(ga.shape, dtype=float)
    for is_male in (True, False):
        mask = sex == is_male
        result[mask] = np.interp(ga[mask], _KNOTS, _CENTILES[(is_male, centile)])
    return result


def birthweight_centile_10(
    ga_weeks: float | Sequence[float] | npt.ArrayLike,
    male: bool | Sequence[bool] | npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """The 10th centile of birth weight (kg) for gestational age and sex: the SGA cut-off.

    Parameters
    ----------
    ga_weeks : float or array-like
        Exact gestational age in weeks, between 24 and 42+6/7.
    male : bool or array-like of bool
        ``True`` (or 1) for boys.

    Returns
    -------
    numpy.ndarray of float
        The cut-off in kg; a birth weight strictly below it is SGA.

    Notes
    -----
    ``birthweight_centile(ga_weeks, male, centile=10)``; see :func:`birthweight_centile`.

    References
    ----------
    Villar J et al. Lancet 2014;384:857-868. Villar J et al. Lancet 2016;387:844-845.

    Examples
    --------
    >>> float(birthweight_centile_10(40.0, False))
    2.78
    >>> bool(2.7 < birthweight_centile_10(40.0, False))
    True
    """
    return birthweight_centile(ga_weeks, male, centile=10)
