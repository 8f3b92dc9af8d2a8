"""Continuous Table 1 variables of a synthesis: record grid, boxes, mean (SD) and median (IQR)
draws."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from neok2.formatting import decimal_places, format_number, parse_cell
from neok2.stats.growth import GROWTH_REFERENCE_RANGE
from neok2.stats.logistic_many import fit_logistic_many, wald_p
from neok2.study.spec import ColumnSpec, Study
from neok2.synth.implied import (
    or_contradiction,
    printed_interval,
    spread_reading,
    table1_test_p,
)
from neok2.synth.rules import GrowthRule, outcome_bounds, threshold_claims
from neok2.synth.values import (
    fit_truncated_moments,
    grid_bounds,
    quantize_to_moments,
    quartile_pinned_sample,
    shift_to_mean,
)

if TYPE_CHECKING:
    from neok2.synth._compromises import CompromiseLog

__all__ = [
    "GROUPS",
    "FloatArray",
    "allocate_claims",
    "base_box",
    "cell_decimals",
    "mean_sd_group",
    "mean_targets",
    "median_iqr_variable",
    "record_resolution",
    "round_grid",
    "value_segments",
]

GROUPS = ("case", "control")
# Precision a hospital record carries per unit (grams, tenths of a week, lab analysers'
# two decimals); other units take the finest precision the paper printed.
_UNIT_RESOLUTION = {
    "kg": 0.001,
    "g": 1.0,
    "week": 0.1,
    "weeks": 0.1,
    "year": 1.0,
    "ng/mL": 0.001,
    "mmol/L": 0.01,
    "g/L": 0.01,
    "s": 0.01,
}
# How far from the reference median (in reference SDs) a weight may plausibly lie.

FloatArray = npt.NDArray[np.float64]


def cell_decimals(row: Mapping[str, Any]) -> tuple[int, ...]:
    printed = str(row["printed"])
    if printed:
        return parse_cell(printed, str(row["summary"])).decimals
    names = {"mean_sd": ("mean", "sd"), "median_iqr": ("median", "q1", "q3")}[str(row["summary"])]
    return tuple(decimal_places(f"{float(row[name]):g}") for name in names)


def record_resolution(study: Study, spec: ColumnSpec) -> float:
    if spec.type == "integer":
        return 1.0
    if spec.unit in _UNIT_RESOLUTION:
        return _UNIT_RESOLUTION[spec.unit]
    digits = max(max(cell_decimals(study.cell(spec.name, group))) for group in GROUPS)
    return 10.0**-digits


def round_grid(units: npt.NDArray[np.int64], resolution: float) -> FloatArray:
    digits = max(0, -math.floor(math.log10(resolution) + 1e-9))
    return np.round(units * resolution, digits)


def base_box(
    study: Study, spec: ColumnSpec, group: str, growth: GrowthRule | None
) -> tuple[float, float, bool]:
    """The group's allowed range of a variable and whether its upper edge is excluded."""
    row = study.cell(spec.name, group)
    if row["summary"] == "mean_sd":
        centre, spread = float(row["mean"]), spread_reading(study, spec.name).sd[group]
    else:
        centre, spread = float(row["median"]), float(row["q3"] - row["q1"])
    low = spec.min if spec.min is not None else centre - 8 * max(spread, 1.0)
    high = spec.max if spec.max is not None else centre + 8 * max(spread, 1.0)
    high_open = False
    bounds = outcome_bounds(study)
    if bounds is not None and bounds[0] == spec.name:
        group_low, group_high = bounds[1][group]
        if group_high < high:
            high, high_open = group_high, group == "case"
        low = max(low, group_low)
    if growth is not None and spec.name == growth.gestational_age:
        low = max(low, GROWTH_REFERENCE_RANGE[0])
        high = min(high, GROWTH_REFERENCE_RANGE[1])
    return float(low), float(high), high_open


def value_segments(
    study: Study,
    spec: ColumnSpec,
    group: str,
    growth: GrowthRule | None,
    claims: dict[str, tuple[float, int]],
    log: CompromiseLog,
) -> list[tuple[int, float, float, bool]]:
    """``(count, low, high, high_open)`` pieces of the group's values: bins or thresholds."""
    low, high, high_open = base_box(study, spec, group, growth)
    bins = study.table1[
        (study.table1["variable"] == spec.name)
        & (study.table1["level"] != "")
        & (study.table1["group"] == group)
    ]
    n = study.groups[group]
    if not bins.empty:
        pieces = []
        for _, level in bins.iterrows():
            level_low = low if math.isnan(level["low"]) else max(low, float(level["low"]))
            level_high = high if math.isnan(level["high"]) else min(high, float(level["high"]))
            is_open = high_open if math.isnan(level["high"]) else True
            pieces.append((int(level["n"]), level_low, level_high, is_open))
        if spec.name in claims:
            threshold, count = claims[spec.name]
            log.add(
                spec.name,
                group,
                f"text claim: {count} below {threshold:g}",
                count,
                math.nan,
                "not imposed: the threshold is not a bin edge of Table 1",
            )
        return pieces
    if spec.name in claims and claims[spec.name][1] > 0:
        threshold, count = claims[spec.name]
        return [(count, low, threshold, True), (n - count, threshold, high, high_open)]
    return [(n, low, high, high_open)]


def allocate_claims(
    study: Study, growth: GrowthRule | None
) -> dict[str, dict[str, tuple[float, int]]]:
    """Per group: variable -> (threshold, count) from the threshold claims."""
    allocation: dict[str, dict[str, tuple[float, int]]] = {group: {} for group in GROUPS}
    for claim in threshold_claims(study):
        assert claim.condition.below is not None
        variable, threshold = claim.condition.variable, claim.condition.below
        try:
            spec = study.column(variable)
        except KeyError:
            raise ValueError(
                f"text_claims.{claim.name}: {variable!r} is not a column of the data dictionary"
            ) from None
        eligible = [g for g in GROUPS if base_box(study, spec, g, growth)[0] < threshold]
        count = round(claim.value)
        capacity = sum(study.groups[g] for g in eligible)
        if count > capacity:
            raise ValueError(
                f"text_claims.{claim.name}: {count} values below {threshold:g} cannot fit in "
                f"the {capacity} subjects whose range allows them"
            )
        shares = [count * study.groups[g] / capacity for g in eligible] if capacity else []
        counts = [math.floor(share) for share in shares]
        order = np.argsort([-(share - math.floor(share)) for share in shares], kind="stable")
        for index in order[: count - sum(counts)]:
            counts[index] += 1
        for group, allotted in zip(eligible, counts, strict=True):
            allocation[group][variable] = (threshold, allotted)
    return allocation


def _target_difference(
    study: Study, variable: str, pooled_variance: float, standard_error: float, default_sign: float
) -> float | None:
    """The case-minus-control mean difference the published numbers ask for."""
    table2 = study.univariable[study.univariable["variable"] == variable]
    if not table2.empty and not or_contradiction(study, table2.iloc[0]):
        return math.log(float(table2["odds_ratio"].iloc[0])) * pooled_variance
    row = study.cell(variable, "case")
    p_value = float(row["p_value"])
    if math.isnan(p_value) or p_value <= 0.0 or not bool(row["candidate"]):
        return None
    return default_sign * float(stats.norm.isf(min(p_value, 0.999) / 2)) * standard_error


def _sem_sd_decimals(sem_decimals: int) -> int:
    """Decimals an SD derived from a printed SEM is aimed at.

    One more than the SEM's: the SD's own rounding error plus its rounding interval then
    stay within ``10**-(d + 1)``, so ``SD / sqrt(n)`` keeps inside the printed SEM's rounding
    interval (half-width ``0.5 * 10**-d``) for every ``n >= 1``.
    """
    return sem_decimals + 1


def mean_targets(study: Study, variable: str) -> dict[str, tuple[float, float, int, float, int]]:
    """Per group ``(target mean, printed mean, decimals, target sd, decimals)``."""
    rows = {group: study.cell(variable, group) for group in GROUPS}
    n = {group: study.groups[group] for group in GROUPS}
    decimals = {group: cell_decimals(rows[group]) for group in GROUPS}
    means = {group: float(rows[group]["mean"]) for group in GROUPS}
    reading = spread_reading(study, variable)
    sd_decimals = {group: decimals[group][1] for group in GROUPS}
    sds = dict(reading.sd)
    if reading.reading == "sem":
        sd_decimals = {group: _sem_sd_decimals(digits) for group, digits in sd_decimals.items()}
        sds = {group: float(format_number(sds[group], sd_decimals[group])) for group in GROUPS}
    pooled = ((n["case"] - 1) * sds["case"] ** 2 + (n["control"] - 1) * sds["control"] ** 2) / (
        n["case"] + n["control"] - 2
    )
    se = math.sqrt(sds["case"] ** 2 / n["case"] + sds["control"] ** 2 / n["control"])
    sign = 1.0 if means["case"] >= means["control"] else -1.0
    wanted = _target_difference(study, variable, pooled, se, sign)
    # Aim inside the inner part of each printed interval so the record grid has room.
    limits = {}
    for group in GROUPS:
        low, high = printed_interval(means[group], decimals[group][0])
        margin = 0.1 * (high - low)
        limits[group] = (low + margin, high - margin)
    target = dict(means)
    if wanted is not None:
        adjust = wanted - (means["case"] - means["control"])
        target["case"] = float(np.clip(means["case"] + adjust / 2, *limits["case"]))
        target["control"] = float(np.clip(target["case"] - wanted, *limits["control"]))
        target["case"] = float(np.clip(target["control"] + wanted, *limits["case"]))
    return {
        group: (target[group], means[group], decimals[group][0], sds[group], sd_decimals[group])
        for group in GROUPS
    }


# ----------------------------------------------------------------------------- variables


def mean_sd_group(
    rng: np.random.Generator,
    study: Study,
    spec: ColumnSpec,
    group: str,
    targets: tuple[float, float, int, float, int],
    segments: list[tuple[int, float, float, bool]],
    log: CompromiseLog,
) -> FloatArray:
    target_mean, printed_mean, mean_digits, target_sd, sd_digits = targets
    resolution = record_resolution(study, spec)
    low = np.concatenate([np.full(count, lo) for count, lo, _, _ in segments])
    high = np.concatenate([np.full(count, hi) for count, _, hi, _ in segments])
    high_open = np.concatenate([np.full(count, is_open) for count, _, _, is_open in segments])
    low_k, high_k = grid_bounds(low, high, resolution, high_open=high_open)
    if (low_k > high_k).any():
        raise ValueError(
            f"{spec.name} ({group}): a bin or range is narrower than the record precision "
            f"{resolution:g}; widen the bin or the dictionary range"
        )
    grid_low = low_k.astype(np.float64) * resolution
    grid_high = high_k.astype(np.float64) * resolution
    u = rng.uniform(0.0, 1.0, size=low.size)
    fit = fit_truncated_moments(
        u,
        grid_low,
        grid_high,
        np.full(low.size, target_mean),
        np.full(low.size, max(target_sd, resolution)),
        target_mean,
        max(target_sd, 1e-12),
    )
    units, success = quantize_to_moments(
        fit.values,
        low_k,
        high_k,
        resolution,
        mean=(target_mean, printed_mean, mean_digits),
        sd=(target_sd, target_sd, sd_digits),
    )
    values = round_grid(units, resolution)
    if not success:
        achieved_mean, achieved_sd = float(values.mean()), float(values.std(ddof=1))
        if float(format_number(achieved_mean, mean_digits)) != printed_mean:
            log.add(
                spec.name,
                group,
                "mean",
                printed_mean,
                achieved_mean,
                "closest mean the bins and ranges allow",
            )
        if float(format_number(achieved_sd, sd_digits)) != target_sd:
            log.add(
                spec.name,
                group,
                "sd",
                target_sd,
                achieved_sd,
                "closest SD the bins and ranges allow",
            )
    return values


def _median_iqr_draw(
    rng: np.random.Generator, study: Study, spec: ColumnSpec, growth: GrowthRule | None
) -> dict[str, FloatArray]:
    resolution = record_resolution(study, spec)
    samples = {}
    for group in GROUPS:
        row = study.cell(spec.name, group)
        low, high, _ = base_box(study, spec, group, growth)
        samples[group] = quartile_pinned_sample(
            rng,
            study.groups[group],
            (float(row["q1"]), float(row["median"]), float(row["q3"])),
            low=low,
            high=high,
            resolution=resolution,
        )
    values = {group: samples[group][0] for group in GROUPS}
    n = {group: study.groups[group] for group in GROUPS}
    sds = {group: float(values[group].std(ddof=1)) for group in GROUPS}
    pooled = ((n["case"] - 1) * sds["case"] ** 2 + (n["control"] - 1) * sds["control"] ** 2) / (
        n["case"] + n["control"] - 2
    )
    se = math.sqrt(sds["case"] ** 2 / n["case"] + sds["control"] ** 2 / n["control"])
    case_row = study.cell(spec.name, "case")
    control_row = study.cell(spec.name, "control")
    ordering = [float(case_row[key]) - float(control_row[key]) for key in ("median", "q1", "q3")]
    sign = next((math.copysign(1.0, gap) for gap in (ordering[0], sum(ordering)) if gap), 1.0)
    wanted = _target_difference(study, spec.name, pooled, se, sign)
    if wanted is not None:
        adjust = wanted - (values["case"].mean() - values["control"].mean())
        _, box_low, box_high, pinned = samples["case"]
        target = values["case"].mean() + 0.5 * adjust
        values["case"] = shift_to_mean(values["case"], box_low, box_high, ~pinned, target)
        _, box_low, box_high, pinned = samples["control"]
        target = values["case"].mean() - wanted
        values["control"] = shift_to_mean(values["control"], box_low, box_high, ~pinned, target)
    result = {}
    for group in GROUPS:
        _, box_low, box_high, _ = samples[group]
        units = np.rint(values[group] / resolution).astype(np.int64)
        rounded = np.clip(round_grid(units, resolution), box_low, box_high)
        result[group] = rng.permutation(rounded)
    return result


def _published_sides_kept(study: Study, variable: str, values: dict[str, FloatArray]) -> bool:
    """Whether the Table 1 test and the screen's Wald test fall where the paper put them."""
    row = study.cell(variable, "case")
    published = float(row["p_value"])
    if math.isnan(published):
        return True
    alpha = float(study.design.get("alpha", 0.05))
    test_p = table1_test_p(study, variable, values["case"], values["control"])
    if math.isfinite(test_p) and (test_p < alpha) != (published < alpha):
        return False
    if not bool(row["candidate"]):
        return True
    x = np.r_[values["case"], values["control"]]
    outcome = np.r_[np.ones(values["case"].size), np.zeros(values["control"].size)]
    fit = fit_logistic_many(np.column_stack([np.ones(x.size), x]), outcome)
    wald = float(wald_p(fit)[0, 1])
    threshold = study.screening_threshold
    return (wald < threshold) == (variable in study.multivariable_terms)


def median_iqr_variable(
    rng: np.random.Generator,
    study: Study,
    spec: ColumnSpec,
    growth: GrowthRule | None,
    log: CompromiseLog,
    *,
    attempts: int = 25,
) -> dict[str, FloatArray]:
    """Quartile-exact values for both groups; redrawn (up to ``attempts`` times) until the
    Table 1 test and the univariable screen land on the published side."""
    values = _median_iqr_draw(rng, study, spec, growth)
    for _ in range(attempts - 1):
        if _published_sides_kept(study, spec.name, values):
            return values
        values = _median_iqr_draw(rng, study, spec, growth)
    if not _published_sides_kept(study, spec.name, values):
        published = float(study.cell(spec.name, "case")["p_value"])
        log.add(
            spec.name,
            "all",
            "Table 1 test and screen on the published side",
            published,
            math.nan,
            f"not reached in {attempts} draws; last draw kept",
        )
    return values
