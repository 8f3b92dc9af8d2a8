"""Two-sample t-tests recomputed from a Table 1 row's printed means and spreads.

A spread printed after ``±`` should be a standard deviation, but papers sometimes print the
standard error of the mean instead (``SD = SEM x sqrt(n)``). Which reading reproduces a
printed p-value is asked by the audit (``table1_p`` and ``sd_or_sem`` checks) and by the
synthetic-cohort generator (which SD to generate), so the computation lives here, once.
Everything returns unrounded floats or :class:`~neok2.stats.printed.Interval` objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from neok2.formatting import parse_cell
from neok2.stats.printed import (
    Interval,
    overlaps,
    p_interval,
    rounding_interval,
    t_test_p,
    t_test_p_range,
)
from neok2.stats.two_group import TWO_GROUP_TESTS

__all__ = [
    "T_TESTS",
    "Cell",
    "SpreadReadings",
    "mean_sd_intervals",
    "spread_readings",
    "t_p_points",
    "t_p_ranges",
]

# Name of each t-test variant of the two-group registry and whether it pools the variances.
T_TESTS = tuple(
    (test.short, bool(test.equal_var))
    for test in TWO_GROUP_TESTS.values()
    if test.equal_var is not None
)

# A Table 1 cell: a record dict or a row of ``Study.table1``.
Cell = Mapping[str, Any] | pd.Series


def mean_sd_intervals(cell: Cell, scale: float = 1.0) -> tuple[Interval, Interval]:
    """Rounding intervals of a cell's printed mean and spread, the spread multiplied by
    ``scale`` (``sqrt(n)`` for the SEM reading); point intervals when nothing was printed."""
    if cell["printed"]:
        parsed = parse_cell(str(cell["printed"]), "mean_sd")
        mean = rounding_interval(parsed.values[0], parsed.decimals[0])
        sd = rounding_interval(parsed.values[1], parsed.decimals[1])
    else:
        mean = Interval(float(cell["mean"]), float(cell["mean"]))
        sd = Interval(float(cell["sd"]), float(cell["sd"]))
    return mean, Interval(max(0.0, sd.low) * scale, sd.high * scale)


def _scales(n_case: int, n_control: int, scale_by_root_n: bool) -> tuple[float, float]:
    if not scale_by_root_n:
        return 1.0, 1.0
    return math.sqrt(n_case), math.sqrt(n_control)


def t_p_ranges(
    case: Cell, control: Cell, n_case: int, n_control: int, *, scale_by_root_n: bool
) -> dict[str, Interval]:
    """Student and Welch p ranges over every mean and spread inside their rounding intervals.

    With ``scale_by_root_n`` the spreads are read as SEMs (multiplied by ``sqrt(n)``).
    """
    scale_case, scale_control = _scales(n_case, n_control, scale_by_root_n)
    mean_case, sd_case = mean_sd_intervals(case, scale_case)
    mean_control, sd_control = mean_sd_intervals(control, scale_control)
    return {
        name: t_test_p_range(
            mean_case, sd_case, n_case, mean_control, sd_control, n_control, equal_var=equal_var
        )
        for name, equal_var in T_TESTS
    }


def t_p_points(
    case: Cell, control: Cell, n_case: int, n_control: int, *, scale_by_root_n: bool
) -> dict[str, float]:
    """Student and Welch p at the printed means and spreads (read as SEMs when
    ``scale_by_root_n``)."""
    scale_case, scale_control = _scales(n_case, n_control, scale_by_root_n)
    return {
        name: t_test_p(
            float(case["mean"]),
            float(case["sd"]) * scale_case,
            n_case,
            float(control["mean"]),
            float(control["sd"]) * scale_control,
            n_control,
            equal_var=equal_var,
        )
        for name, equal_var in T_TESTS
    }


@dataclass(frozen=True)
class SpreadReadings:
    """A printed p beside the t-test p-values under both readings of the printed spreads.

    ``as_sd``/``as_sem`` map ``"Student"``/``"Welch"`` to the p range over the rounding
    intervals; ``sd_points``/``sem_points`` to the p at the printed values.
    """

    printed_p: Interval
    as_sd: Mapping[str, Interval]
    as_sem: Mapping[str, Interval]
    sd_points: Mapping[str, float]
    sem_points: Mapping[str, float]

    @property
    def sd_fits(self) -> bool:
        """Whether some data with the printed means and SDs give the printed p."""
        return any(overlaps(self.printed_p, interval) for interval in self.as_sd.values())

    @property
    def sem_fits(self) -> bool:
        """Whether some data with the printed means and SDs = spread x sqrt(n) give it."""
        return any(overlaps(self.printed_p, interval) for interval in self.as_sem.values())

    @staticmethod
    def hull(ranges: Mapping[str, Interval]) -> Interval:
        """The smallest interval holding every range."""
        return Interval(
            min(interval.low for interval in ranges.values()),
            max(interval.high for interval in ranges.values()),
        )


def spread_readings(
    case: Cell, control: Cell, n_case: int, n_control: int, printed_p: str
) -> SpreadReadings:
    """t-test p-values of a ``mean_sd`` Table 1 row under the SD and the SEM reading.

    ``printed_p`` is the p as printed (``"0.621"``, ``"<0.001"``).
    """
    return SpreadReadings(
        printed_p=p_interval(printed_p),
        as_sd=t_p_ranges(case, control, n_case, n_control, scale_by_root_n=False),
        as_sem=t_p_ranges(case, control, n_case, n_control, scale_by_root_n=True),
        sd_points=t_p_points(case, control, n_case, n_control, scale_by_root_n=False),
        sem_points=t_p_points(case, control, n_case, n_control, scale_by_root_n=True),
    )
