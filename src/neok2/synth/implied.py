"""What Table 1 alone implies for the other published numbers, and where they disagree.

Table 1 is the generator's ground truth. A Table 2 odds ratio of a binary variable follows
exactly from its two counts; for a continuous variable printed as mean ± SD, the printed
precision leaves a band of possible mean differences, hence of odds ratios (through the
normal discriminant approximation ``log OR ~ (mean_case - mean_control) / pooled variance``)
and of Wald p-values. A published number outside what Table 1 allows contradicts it; the
generator then follows Table 1 and both the compromises table and the fidelity report say so.

One exception: a spread printed after ``±`` may be a standard error of the mean rather than
an SD. :func:`spread_reading` decides, from the printed p-value alone, which reading the
generator follows (see its rule); under the SEM reading every implication here uses
``SD = spread x sqrt(n)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from neok2.formatting import decimal_places, format_number
from neok2.stats.printed import Interval
from neok2.stats.summaries import SpreadReadings, mean_sd_intervals, spread_readings
from neok2.stats.two_group import TwoGroupTest, binary_table, printed_test
from neok2.study.spec import Study

__all__ = [
    "SEM_READING",
    "Implied",
    "SpreadReading",
    "implied_by_table1",
    "implied_frame",
    "or_contradiction",
    "p_contradiction",
    "printed_decimals",
    "printed_interval",
    "spread_reading",
    "table1_test",
    "table1_test_p",
]

SEM_READING = "printed spread read as SEM"


def printed_decimals(printed: str, position: int) -> int:
    """Decimals of the ``position``-th number in a printed cell (``"35.1±3.27"``)."""
    import re

    numbers = re.findall(r"\d+(?:\.\d+)?", printed)
    return decimal_places(numbers[position]) if position < len(numbers) else 2


def printed_interval(value: float, decimals: int) -> tuple[float, float]:
    """The values that round (half-up) to ``value`` at ``decimals`` places."""
    half = 0.5 * 10.0**-decimals
    return value - half, value + half


@dataclass(frozen=True)
class Implied:
    """Table 1's implication for one variable's univariable logistic regression.

    ``log_or_low``/``log_or_high`` bound the log odds ratio (equal for a binary variable);
    ``p_low``/``p_high`` bound its Wald p-value; NaN where Table 1 does not pin them
    (a variable summarised by median and IQR).
    """

    variable: str
    log_or_low: float
    log_or_high: float
    p_low: float
    p_high: float


def _binary(study: Study, variable: str) -> Implied:
    cases = float(study.cell(variable, "case")["n"])
    controls = float(study.cell(variable, "control")["n"])
    n_case, n_control = study.groups["case"], study.groups["control"]
    cells = [cases, n_case - cases, controls, n_control - controls]
    if min(cells) == 0:
        return Implied(variable, math.nan, math.nan, math.nan, math.nan)
    log_or = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    se = math.sqrt(sum(1.0 / cell for cell in cells))
    p_value = float(2 * stats.norm.sf(abs(log_or) / se))
    return Implied(variable, log_or, log_or, p_value, p_value)


def _mean_sd(study: Study, variable: str) -> Implied:
    rows = {group: study.cell(variable, group) for group in ("case", "control")}
    n = {group: float(study.groups[group]) for group in rows}
    scale = spread_reading(study, variable).scale
    bounds, sds = {}, {}
    for group, row in rows.items():
        mean, sd = mean_sd_intervals(row, scale[group])
        bounds[group] = (mean.low, mean.high)
        sds[group] = (float(row["sd"]) * scale[group], sd.high)
    low = bounds["case"][0] - bounds["control"][1]
    high = bounds["case"][1] - bounds["control"][0]
    pooled = (
        (n["case"] - 1) * sds["case"][0] ** 2 + (n["control"] - 1) * sds["control"][0] ** 2
    ) / (n["case"] + n["control"] - 2)
    if pooled <= 0:
        return Implied(variable, math.nan, math.nan, math.nan, math.nan)
    widest = math.sqrt(sds["case"][1] ** 2 / n["case"] + sds["control"][1] ** 2 / n["control"])
    narrowest = math.sqrt(sds["case"][0] ** 2 / n["case"] + sds["control"][0] ** 2 / n["control"])
    smallest_gap = 0.0 if low <= 0 <= high else min(abs(low), abs(high))
    largest_gap = max(abs(low), abs(high))
    p_high = float(2 * stats.norm.sf(smallest_gap / widest))
    p_low = float(2 * stats.norm.sf(largest_gap / max(narrowest, 1e-300)))
    return Implied(variable, low / pooled, high / pooled, p_low, p_high)


@dataclass(frozen=True)
class SpreadReading:
    """Which reading of a ``mean_sd`` row's printed spreads the generator follows.

    Attributes
    ----------
    variable : str
    reading : str
        ``"sd"`` (the spreads are SDs) or ``"sem"`` (SD = spread x sqrt(group n)).
    fit : str
        ``"sd"``: the SD reading reproduces the printed p (or nothing is printed to test);
        ``"sem"``: only the SEM reading does; ``"sem_closest"``: neither does, but only the
        SEM reading keeps the printed p's side of alpha (and of the screening threshold for
        a candidate); ``"neither"``: neither does and the SD reading is kept.
    readings : SpreadReadings or None
        The t-test p-values under both readings (None without a printed p).
    spread : dict
        Printed spread per group.
    sd : dict
        SD per group the generator aims at (unrounded).
    scale : dict
        ``sqrt(n)`` per group under the SEM reading, else 1.
    """

    variable: str
    reading: str
    fit: str
    readings: SpreadReadings | None
    spread: dict[str, float]
    sd: dict[str, float]
    scale: dict[str, float]


def _keeps_sides(printed: Interval, recomputed: Interval, thresholds: list[float]) -> bool:
    """Whether every recomputed p lies on the printed p's side of each threshold (a printed
    p straddling a threshold sets no side)."""
    for threshold in thresholds:
        if printed.high < threshold and not recomputed.high < threshold:
            return False
        if printed.low >= threshold and not recomputed.low >= threshold:
            return False
    return True


def spread_reading(study: Study, variable: str) -> SpreadReading:
    """Decide whether ``variable``'s printed spreads are generated as SDs or as SEMs.

    The rule, for a ``mean_sd`` row with a printed p: when some data with the printed means
    and SDs (inside their rounding intervals) give the printed p under a Student or Welch
    t-test, the spreads are SDs. Otherwise, when the SEM reading (SD = spread x sqrt(n))
    gives it, they are SEMs. When neither does, the SEM reading is still followed if only it
    keeps the printed p on its side of alpha (and, for a screening candidate, of the
    screening threshold); else the SD reading is kept. Rows without a printed p and other
    summaries keep the SD reading.
    """
    rows = {group: study.cell(variable, group) for group in ("case", "control")}
    n = {group: study.groups[group] for group in rows}
    spread = {group: float(rows[group]["sd"]) for group in rows}

    def result(reading: str, fit: str, readings: SpreadReadings | None) -> SpreadReading:
        scale = {g: math.sqrt(n[g]) if reading == "sem" else 1.0 for g in rows}
        sd = {g: spread[g] * scale[g] for g in rows}
        return SpreadReading(variable, reading, fit, readings, spread, sd, scale)

    case = rows["case"]
    if case["summary"] != "mean_sd" or not str(case["p_printed"]):
        return result("sd", "sd", None)
    readings = spread_readings(
        case, rows["control"], n["case"], n["control"], str(case["p_printed"])
    )
    if readings.sd_fits:
        return result("sd", "sd", readings)
    if readings.sem_fits:
        return result("sem", "sem", readings)
    thresholds = [float(study.design.get("alpha", 0.05))]
    if bool(case["candidate"]):
        thresholds.append(study.screening_threshold)
    as_sd = SpreadReadings.hull(readings.as_sd)
    as_sem = SpreadReadings.hull(readings.as_sem)
    sem_keeps = _keeps_sides(readings.printed_p, as_sem, thresholds)
    if sem_keeps and not _keeps_sides(readings.printed_p, as_sd, thresholds):
        return result("sem", "sem_closest", readings)
    return result("sd", "neither", readings)


def implied_by_table1(study: Study, variable: str) -> Implied:
    """Table 1's implication for ``variable`` (NaN bounds where it implies nothing)."""
    try:
        summary = study.cell(variable, "case")["summary"]
    except KeyError:
        return Implied(variable, math.nan, math.nan, math.nan, math.nan)
    if summary == "n_percent":
        return _binary(study, variable)
    if summary == "mean_sd":
        return _mean_sd(study, variable)
    return Implied(variable, math.nan, math.nan, math.nan, math.nan)


def or_contradiction(study: Study, row: pd.Series) -> str:
    """Why a published univariable OR cannot come from Table 1 (``""`` when it can)."""
    implied = implied_by_table1(study, str(row["variable"]))
    if math.isnan(implied.log_or_low):
        return ""
    published = float(row["odds_ratio"])
    printed = str(row["or_printed"]) or repr(published)
    digits = decimal_places(printed) if printed[0].isdigit() else 3
    if implied.log_or_low == implied.log_or_high:
        value = math.exp(implied.log_or_low)
        if float(format_number(value, digits)) != float(format_number(published, digits)):
            return (
                f"Table 1's counts give OR {format_number(value, 3)}, not the printed "
                f"{printed}; Table 1 wins"
            )
        return ""
    low, high = math.exp(implied.log_or_low), math.exp(implied.log_or_high)
    if not low * math.exp(-0.05) <= published <= high * math.exp(0.05):
        return (
            f"Table 1's means and SDs allow an OR of about {format_number(low, 3)}-"
            f"{format_number(high, 3)} only, not the printed {printed}; Table 1 wins"
        )
    return ""


def p_contradiction(study: Study, variable: str, published_p: float, threshold: float) -> str:
    """Why Table 1 forces the opposite side of ``threshold`` from the published p."""
    implied = implied_by_table1(study, variable)
    if math.isnan(implied.p_high) or math.isnan(published_p):
        return ""
    if published_p >= threshold > implied.p_high:
        return (
            f"Table 1's printed summaries force p < {threshold:g} (at most about "
            f"{implied.p_high:.2g}) although {published_p:g} was printed; Table 1 wins"
        )
    if published_p < threshold <= implied.p_low:
        return (
            f"Table 1's printed summaries force p >= {threshold:g} (at least about "
            f"{implied.p_low:.2g}) although {published_p:g} was printed; Table 1 wins"
        )
    return ""


def implied_frame(study: Study) -> pd.DataFrame:
    """One row per Table 1 variable: ``variable, log_or_low, log_or_high, p_low, p_high``."""
    variables = list(dict.fromkeys(study.table1["variable"]))
    records = [implied_by_table1(study, variable).__dict__ for variable in variables]
    return pd.DataFrame.from_records(
        records, columns=["variable", "log_or_low", "log_or_high", "p_low", "p_high"]
    ).astype({"log_or_low": np.float64})


def table1_test(study: Study, variable: str) -> TwoGroupTest:
    """The two-group test behind ``variable``'s Table 1 p: the one the row names, read through
    the spec's ``design.tests`` (see :func:`neok2.stats.two_group.printed_test`)."""
    row = study.cell(variable, "case")
    declared = study.design.get("tests")
    return printed_test(str(row["test"]), str(row["summary"]), declared=declared)[0]


def table1_test_p(study: Study, variable: str, case: np.ndarray, control: np.ndarray) -> float:
    """p of ``variable``'s Table 1 test (:func:`table1_test`) on generated or observed values;
    NaN when a group has fewer than two values or a 0/1 variable is constant."""
    if case.size < 2 or control.size < 2:
        return math.nan
    test = table1_test(study, variable)
    if test.kind == "categorical":
        table = binary_table(case, control)
        if (table.sum(axis=0) == 0).any():
            return math.nan
        return test.on_table(table).p_value
    return test.on_samples(case, control).p_value
