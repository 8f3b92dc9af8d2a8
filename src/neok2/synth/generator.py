"""A synthetic cohort rebuilt from a study's published summaries alone.

:func:`synthesize_cohort` reads a :class:`~neok2.study.spec.Study` and generates one record per
subject whose Table 1 reproduces the published one: every count exactly, every mean, SD,
median and quartile to its printed precision, the bins of binned variables exactly. On top
of the margins it calibrates the joint distribution of the multivariable model's binary
exposures (a margin-preserving swap search) so that refitting the published model gives the
published adjusted odds ratios and leaves the entered terms the text does not call
independent (``multivariable.not_significant``) with adjusted p >= alpha, chooses each
continuous variable's group means inside their printed precision so that the univariable
screen agrees with the published p-values, keeps definitions consistent (derived columns,
the outcome's range, SGA against the INTERGROWTH-21st 10th centile) and writes values at the
precision a hospital record carries.

Where the published numbers contradict each other, Table 1 wins and the result's
``compromises`` table says which constraint gave way, by how much and what was done instead.
One reading of Table 1 is itself decided from the paper: a spread printed after ``±`` is
generated as a standard error of the mean (SD = spread x sqrt(n)) when only that reading lets
the printed t-test p-value be reached (``neok2.synth.implied.spread_reading`` states the
rule); the compromises table then holds the p-values under both readings and the SDs used.

The step order is: preconditions, binary Table 1 variables (exact counts per group), joint
calibration, continuous variables (bins, thresholds and ranges as boxes; moments fitted inside
them; then the record grid), the growth rule's weight column (conditional on gestational age
and sex, matched to its bins by rank), derived columns, record identifiers and dates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from faker import Faker
from scipy import stats

from neok2._frozen import frozen_fields
from neok2._io import atomic_write_csv, refuse_overwrite_input
from neok2._validation import seed_like
from neok2.formatting import decimal_places, format_number, format_p, parse_cell
from neok2.stats.growth import GROWTH_REFERENCE_RANGE, birthweight_centile
from neok2.stats.printed import Interval
from neok2.stats.summaries import SpreadReadings
from neok2.study.cells import table1_row
from neok2.study.spec import ColumnSpec, Study
from neok2.synth.calibration import fit_logistic_many, wald_p
from neok2.synth.implied import (
    SEM_READING,
    or_contradiction,
    p_contradiction,
    printed_interval,
    spread_reading,
    table1_test_p,
)
from neok2.synth.joint import calibrate_exposures
from neok2.synth.rules import (
    GrowthRule,
    check_generation_preconditions,
    growth_rule,
    outcome_bounds,
    threshold_claims,
    threshold_columns,
)
from neok2.synth.values import (
    fit_truncated_moments,
    grid_bounds,
    quantize_to_moments,
    quartile_pinned_sample,
    shift_to_mean,
)

__all__ = [
    "COMPROMISE_COLUMNS",
    "SynthesisResult",
    "cohort_paths",
    "synthesize",
    "synthesize_cohort",
    "write_cohort",
]

COMPROMISE_COLUMNS = ["variable", "group", "constraint", "published", "achieved", "gap", "action"]
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
_PLAUSIBLE_Z = 3.5
_Z10 = float(stats.norm.ppf(0.9))

FloatArray = npt.NDArray[np.float64]


@frozen_fields("data", "compromises")
@dataclass(frozen=True)
class SynthesisResult:
    """A generated cohort and the constraints it could not meet.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per subject, columns in data-dictionary order.
    compromises : pandas.DataFrame
        ``variable, group, constraint, published, achieved, gap, action``: every published
        number the generator could not honour and what it did instead.
    study_id : str
    seed : int
    """

    data: pd.DataFrame = field(repr=False)
    compromises: pd.DataFrame = field(repr=False)
    study_id: str
    seed: int

    def tidy(self) -> pd.DataFrame:
        """The compromises table (one row per constraint that gave way)."""
        return self.compromises.copy()


class _Log:
    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        variable: str,
        group: str,
        constraint: str,
        published: float,
        achieved: float,
        action: str,
    ) -> None:
        gap = achieved - published if np.isfinite([published, achieved]).all() else math.nan
        self.rows.append(
            {
                "variable": variable,
                "group": group,
                "constraint": constraint,
                "published": float(published),
                "achieved": float(achieved),
                "gap": float(gap),
                "action": action,
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=COMPROMISE_COLUMNS)


# ----------------------------------------------------------------------------- helpers


def _cell_decimals(row: Mapping[str, Any]) -> tuple[int, ...]:
    printed = str(row["printed"])
    if printed:
        return parse_cell(printed, str(row["summary"])).decimals
    names = {"mean_sd": ("mean", "sd"), "median_iqr": ("median", "q1", "q3")}[str(row["summary"])]
    return tuple(decimal_places(f"{float(row[name]):g}") for name in names)


def _resolution(study: Study, spec: ColumnSpec) -> float:
    if spec.type == "integer":
        return 1.0
    if spec.unit in _UNIT_RESOLUTION:
        return _UNIT_RESOLUTION[spec.unit]
    digits = max(max(_cell_decimals(table1_row(study, spec.name, group))) for group in GROUPS)
    return 10.0**-digits


def _round_grid(units: npt.NDArray[np.int64], resolution: float) -> FloatArray:
    digits = max(0, -math.floor(math.log10(resolution) + 1e-9))
    return np.round(units * resolution, digits)


def _base_box(
    study: Study, spec: ColumnSpec, group: str, growth: GrowthRule | None
) -> tuple[float, float, bool]:
    """The group's allowed range of a variable and whether its upper edge is excluded."""
    row = table1_row(study, spec.name, group)
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


def _segments(
    study: Study,
    spec: ColumnSpec,
    group: str,
    growth: GrowthRule | None,
    claims: dict[str, tuple[float, int]],
    log: _Log,
) -> list[tuple[int, float, float, bool]]:
    """``(count, low, high, high_open)`` pieces of the group's values: bins or thresholds."""
    low, high, high_open = _base_box(study, spec, group, growth)
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


def _allocate_claims(
    study: Study, growth: GrowthRule | None
) -> dict[str, dict[str, tuple[float, int]]]:
    """Per group: variable -> (threshold, count) from the threshold claims."""
    allocation: dict[str, dict[str, tuple[float, int]]] = {group: {} for group in GROUPS}
    for claim in threshold_claims(study):
        assert claim.condition is not None and claim.condition.below is not None
        variable, threshold = claim.condition.column, claim.condition.below
        try:
            spec = study.column(variable)
        except KeyError:
            raise ValueError(
                f"text_claims.{claim.name}: {variable!r} is not a column of the data dictionary"
            ) from None
        eligible = [g for g in GROUPS if _base_box(study, spec, g, growth)[0] < threshold]
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
    row = table1_row(study, variable, "case")
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


def _mean_targets(study: Study, variable: str) -> dict[str, tuple[float, float, int, float, int]]:
    """Per group ``(target mean, printed mean, decimals, target sd, decimals)``."""
    rows = {group: table1_row(study, variable, group) for group in GROUPS}
    n = {group: study.groups[group] for group in GROUPS}
    decimals = {group: _cell_decimals(rows[group]) for group in GROUPS}
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


def _mean_sd_group(
    rng: np.random.Generator,
    study: Study,
    spec: ColumnSpec,
    group: str,
    targets: tuple[float, float, int, float, int],
    segments: list[tuple[int, float, float, bool]],
    log: _Log,
) -> FloatArray:
    target_mean, printed_mean, mean_digits, target_sd, sd_digits = targets
    resolution = _resolution(study, spec)
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
    values = _round_grid(units, resolution)
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
    resolution = _resolution(study, spec)
    samples = {}
    for group in GROUPS:
        row = table1_row(study, spec.name, group)
        low, high, _ = _base_box(study, spec, group, growth)
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
    case_row = table1_row(study, spec.name, "case")
    control_row = table1_row(study, spec.name, "control")
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
        rounded = np.clip(_round_grid(units, resolution), box_low, box_high)
        result[group] = rng.permutation(rounded)
    return result


def _published_sides_kept(study: Study, variable: str, values: dict[str, FloatArray]) -> bool:
    """Whether the Table 1 test and the screen's Wald test fall where the paper put them."""
    row = table1_row(study, variable, "case")
    published = float(row["p_value"])
    if math.isnan(published):
        return True
    alpha = float(study.design.get("alpha", 0.05))
    test_p = table1_test_p(str(row["test"]), values["case"], values["control"])
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


def _median_iqr_variable(
    rng: np.random.Generator,
    study: Study,
    spec: ColumnSpec,
    growth: GrowthRule | None,
    log: _Log,
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
        published = float(table1_row(study, spec.name, "case")["p_value"])
        log.add(
            spec.name,
            "all",
            "Table 1 test and screen on the published side",
            published,
            math.nan,
            f"not reached in {attempts} draws; last draw kept",
        )
    return values


def _growth_weights(
    rng: np.random.Generator,
    study: Study,
    rule: GrowthRule,
    group: str,
    ga: FloatArray,
    male: FloatArray,
    small: FloatArray,
    targets: tuple[float, float, int, float, int],
    log: _Log,
) -> tuple[FloatArray, FloatArray]:
    """Weights for one group given gestational age, sex and SGA flags; returns (weights, ga).

    Gestational ages may be exchanged between subjects of the group (their multiset, hence
    every bin and moment, is unchanged) when a subject's SGA flag cannot be met otherwise.
    """
    spec = study.column(rule.weight)
    resolution = _resolution(study, spec)
    n = ga.size
    ga = ga.copy()
    segments = _segments(study, spec, group, None, {}, log)
    is_male = male.astype(bool)
    sga = small.astype(bool)
    low_dict, high_dict, _ = _base_box(study, spec, group, None)

    def reference(ages: FloatArray, sexes: npt.NDArray[np.bool_]) -> tuple[FloatArray, ...]:
        p10 = birthweight_centile(ages, sexes, centile=10)
        p50 = birthweight_centile(ages, sexes, centile=50)
        p90 = birthweight_centile(ages, sexes, centile=90)
        sigma = np.log(p90 / p10) / (2 * _Z10)
        return p10, p50, sigma

    def box(
        index: FloatArray | npt.NDArray[np.int64], piece: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        p10, p50, sigma = reference(ga[index], is_male[index])
        low = np.maximum(
            np.array([segments[k][1] for k in piece]), p50 * np.exp(-_PLAUSIBLE_Z * sigma)
        )
        high = np.minimum(
            np.array([segments[k][2] for k in piece]), p50 * np.exp(_PLAUSIBLE_Z * sigma)
        )
        opened = np.array([segments[k][3] for k in piece]) & (
            high == np.array([segments[k][2] for k in piece])
        )
        low = np.maximum(np.where(sga[index], low, np.maximum(low, p10)), low_dict)
        high = np.minimum(np.where(sga[index], np.minimum(high, p10), high), high_dict)
        opened = np.where(sga[index] & (high == p10), True, opened)
        return low, high, opened

    def feasible(
        index: npt.NDArray[np.int64], piece: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        low, high, opened = box(index, piece)
        low_k, high_k = grid_bounds(low, high, resolution, high_open=opened)
        return low_k <= high_k

    # Rank the subjects by a weight drawn for their age and sex, then deal out the bins in
    # that order: heavier-for-age infants land in heavier bins, as in real records.
    _, p50, sigma = reference(ga, is_male)
    u = rng.uniform(0.0, 1.0, size=n)
    side = np.where(sga, u * 0.1, 0.1 + 0.9 * u)
    natural = p50 * np.exp(sigma * stats.norm.ppf(side))
    order = np.argsort(natural, kind="stable")
    bin_of = np.empty(n, dtype=np.int64)
    bin_of[order] = np.repeat(np.arange(len(segments)), [count for count, *_ in segments])
    everyone = np.arange(n)
    for _ in range(3):
        bad = np.flatnonzero(~feasible(everyone, bin_of))
        if bad.size == 0:
            break
        for i in bad:
            if feasible(np.array([i]), bin_of[[i]])[0]:
                continue
            partners = rng.permutation(n)
            for j in partners:
                swapped = bin_of[[j, i]]
                if feasible(np.array([i, j]), swapped).all():
                    bin_of[[i, j]] = swapped
                    break
                ga[[i, j]] = ga[[j, i]]
                if feasible(np.array([i, j]), bin_of[[i, j]]).all():
                    break
                ga[[i, j]] = ga[[j, i]]
    ok = feasible(everyone, bin_of)
    low, high, opened = box(everyone, bin_of)
    if not ok.all():
        log.add(
            rule.column,
            group,
            "SGA flag agrees with the growth reference",
            float(n),
            float(ok.sum()),
            f"Table 1's bins and SGA counts kept; flag disagrees for {int((~ok).sum())} record(s)",
        )
        piece_low = np.array([segments[k][1] for k in bin_of])
        piece_high = np.array([segments[k][2] for k in bin_of])
        low = np.where(ok, low, np.maximum(piece_low, low_dict))
        high = np.where(ok, high, np.minimum(piece_high, high_dict))
        opened = np.where(ok, opened, np.array([segments[k][3] for k in bin_of]))
    low_k, high_k = grid_bounds(low, high, resolution, high_open=opened)
    grid_low = low_k.astype(np.float64) * resolution
    grid_high = high_k.astype(np.float64) * resolution
    target_mean, printed_mean, mean_digits, target_sd, sd_digits = targets
    # Within each bin, heavier-for-age infants take the higher quantiles of one common
    # truncated normal, so the ranking survives without values piling up at bin edges.
    position = np.empty(n)
    for piece in range(len(segments)):
        members = np.flatnonzero(bin_of == piece)
        ranked = members[np.argsort(natural[members], kind="stable")]
        position[ranked] = (np.arange(members.size) + rng.uniform(size=members.size)) / max(
            members.size, 1
        )
    fit = fit_truncated_moments(
        np.clip(position, 1e-6, 1 - 1e-6),
        grid_low,
        grid_high,
        np.full(n, target_mean),
        np.full(n, target_sd),
        target_mean,
        target_sd,
    )
    units, success = quantize_to_moments(
        fit.values,
        low_k,
        high_k,
        resolution,
        mean=(target_mean, printed_mean, mean_digits),
        sd=(target_sd, target_sd, sd_digits),
    )
    weights = _round_grid(units, resolution)
    if not success:
        log.add(
            rule.weight,
            group,
            "mean and SD",
            printed_mean,
            float(weights.mean()),
            f"closest fit inside the bins and SGA boxes (SD {weights.std(ddof=1):.4f})",
        )
    return weights, ga


# ----------------------------------------------------------------------------- driver


def _binary_columns(rng: np.random.Generator, study: Study) -> dict[str, dict[str, FloatArray]]:
    binaries: dict[str, dict[str, FloatArray]] = {}
    rows = study.table1[(study.table1["level"] == "") & (study.table1["summary"] == "n_percent")]
    for variable in dict.fromkeys(rows["variable"]):
        binaries[variable] = {}
        for group in GROUPS:
            n, ones = study.groups[group], int(table1_row(study, variable, group)["n"])
            column = np.zeros(n)
            column[rng.choice(n, size=ones, replace=False)] = 1.0
            binaries[variable][group] = column
    return binaries


def _not_significant_p_range(alpha: float) -> tuple[float, float]:
    """Two-sided p range aimed at for a term the paper does not call independent.

    ``[2 * alpha, 0.5]``: clear of alpha, so the decision does not hang on the last digit of
    a fit, yet still an association in the crude direction. An alpha of 0.25 or more would
    leave no room below 0.5, so the range then moves to the upper half of ``(alpha, 1)``.
    """
    low = min(2 * alpha, (1 + alpha) / 2)
    return low, 0.5 if low < 0.5 else (1 + low) / 2


def _not_significant_band(alpha: float, crude_sign: float) -> tuple[float, float]:
    """The Wald z band matching :func:`_not_significant_p_range`, on the crude side."""
    p_low, p_high = _not_significant_p_range(alpha)
    z_high = float(stats.norm.isf(p_low / 2))
    z_low = float(stats.norm.isf(p_high / 2))
    if crude_sign > 0:
        return z_low, z_high
    if crude_sign < 0:
        return -z_high, -z_low
    return -z_high, z_high


def _calibrate(
    rng: np.random.Generator, study: Study, binaries: dict[str, dict[str, FloatArray]], log: _Log
) -> None:
    terms = list(study.multivariable_terms)
    if not terms:
        return
    alpha = float(study.design.get("alpha", 0.05))
    outcome = np.r_[np.ones(study.groups["case"]), np.zeros(study.groups["control"])]
    exposures = np.column_stack([np.r_[binaries[t]["case"], binaries[t]["control"]] for t in terms])
    reported = study.multivariable.set_index("variable")["odds_ratio"]
    not_significant = set(study.multivariable_not_significant)
    targets: dict[int, tuple[float, float]] = {}
    bands: dict[int, tuple[float, float]] = {}
    for index, term in enumerate(terms):
        if term in reported.index:
            targets[index] = (math.log(float(reported[term])), 1.0)
            continue
        cases, controls = (int(table1_row(study, term, g)["n"]) for g in GROUPS)
        if term in not_significant:
            case_share = cases / study.groups["case"]
            control_share = controls / study.groups["control"]
            bands[index] = _not_significant_band(alpha, float(np.sign(case_share - control_share)))
            continue
        cells = [cases, study.groups["case"] - cases, controls, study.groups["control"] - controls]
        if min(cells) > 0:
            # Unreported terms keep roughly their crude association.
            crude = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
            targets[index] = (crude, 0.05)
    calibration = calibrate_exposures(exposures, outcome, targets, rng, z_bands=bands)
    n_case = study.groups["case"]
    for index, term in enumerate(terms):
        column = calibration.exposures[:, index]
        binaries[term] = {"case": column[:n_case], "control": column[n_case:]}
        if term in reported.index:
            published = float(reported[term])
            achieved = math.exp(calibration.log_odds_ratios[index])
            if abs(math.log(achieved / published)) > 0.05:
                log.add(
                    term,
                    "all",
                    "adjusted OR within 5%",
                    published,
                    achieved,
                    "closest adjusted OR the margins allow",
                )
        elif term in not_significant and calibration.p_values[index] < alpha:
            aimed = _not_significant_p_range(alpha)
            log.add(
                term,
                "all",
                f"multivariable p >= {alpha:g} (not reported as independent)",
                alpha,
                float(calibration.p_values[index]),
                f"aimed at p in [{aimed[0]:g}, {aimed[1]:g}] by confounding within groups; the "
                "margins and the reported adjusted ORs left it significant (adjusted OR "
                f"{format_number(math.exp(calibration.log_odds_ratios[index]), 3)})",
            )


def _p_summary(points: Mapping[str, float], ranges: Mapping[str, Interval]) -> str:
    hull = SpreadReadings.hull(ranges)
    low, high = format_p(hull.low, 4), format_p(hull.high, 4)
    return (
        f"Student {format_p(points['Student'], 4)}, Welch {format_p(points['Welch'], 4)} at "
        f"the printed values; {low if low == high else f'{low} to {high}'} over their rounding"
    )


def _spread_log(study: Study, variable: str, values: dict[str, FloatArray], log: _Log) -> None:
    """Record a ``mean_sd`` row whose printed p the SD reading of its spreads cannot give."""
    reading = spread_reading(study, variable)
    readings = reading.readings
    if reading.fit == "sd" or readings is None:
        return
    row = table1_row(study, variable, "case")
    published = float(row["p_value"])
    generated_p = table1_test_p(str(row["test"]), values["case"], values["control"])
    as_sd = _p_summary(readings.sd_points, readings.as_sd)
    as_sem = _p_summary(readings.sem_points, readings.as_sem)
    printed = f"printed p {row['p_printed']}"
    targets = _mean_targets(study, variable)
    sem_sd = {
        group: f"{reading.spread[group]:g} x sqrt({study.groups[group]}) = "
        f"{format_number(targets[group][3], targets[group][4])}"
        for group in GROUPS
    }
    if reading.reading == "sem":
        used = "; ".join(f"{group} {sem_sd[group]}" for group in GROUPS)
        sides = f"alpha = {float(study.design.get('alpha', 0.05)):g}"
        if bool(row["candidate"]):
            sides += f" and of the screening threshold {study.screening_threshold:g}"
        outcome = (
            "reproduce it"
            if reading.fit == "sem"
            else f"do not reproduce it either but keep it on its side of {sides}"
        )
        action = (
            f"{printed} is out of reach with the spreads as SDs; read as SEMs the spreads "
            f"{outcome}; generated with SD = spread x sqrt(n): {used}"
        )
        log.add(variable, "all", SEM_READING, published, generated_p, action)
    else:
        log.add(
            variable,
            "all",
            "printed p under either reading of the spread",
            published,
            generated_p,
            f"{printed} is reproduced neither with the spreads as SDs nor as SEMs; the "
            "printed spreads kept as SDs (Table 1 wins)",
        )
    log.add(
        variable,
        "all",
        "t-test p, spread read as SD",
        published,
        readings.sd_points["Student"],
        as_sd,
    )
    log.add(
        variable,
        "all",
        "t-test p, spread read as SEM",
        published,
        readings.sem_points["Student"],
        as_sem,
    )
    if reading.reading == "sem":
        for group in GROUPS:
            log.add(
                variable,
                group,
                f"SD ({SEM_READING})",
                reading.spread[group],
                float(values[group].std(ddof=1)),
                f"generated SD aims at {sem_sd[group]}",
            )


def _screen_log(study: Study, data: pd.DataFrame, log: _Log) -> None:
    outcome = data[study.outcome].to_numpy(float)
    published = set(study.multivariable_terms)
    for variable in study.candidates:
        x = data[variable].to_numpy(float)
        fit = fit_logistic_many(np.column_stack([np.ones(x.size), x]), outcome)
        p_value = float(wald_p(fit)[0, 1])
        selected = p_value < study.screening_threshold
        if selected != (variable in published):
            reason = p_contradiction(
                study,
                variable,
                float(table1_row(study, variable, "case")["p_value"]),
                study.screening_threshold,
            )
            log.add(
                variable,
                "all",
                f"univariable screen p < {study.screening_threshold:g}",
                float(table1_row(study, variable, "case")["p_value"]),
                p_value,
                reason or "the generated summaries could not keep the published decision",
            )


def _spec_log(study: Study, log: _Log) -> None:
    from neok2.formatting import matches_printed
    from neok2.study.claim_grammar import claim_on_table1, parse_claim

    for _, row in study.table1[study.table1["note"] != ""].iterrows():
        if row["summary"] == "n_percent" and not math.isnan(row["percent"] or math.nan):
            achieved = 100.0 * float(row["n"]) / study.groups[str(row["group"])]
            if not matches_printed(achieved, f"{row['percent']:g}"):
                where = f" bin {row['level']}" if row["level"] else ""
                log.add(
                    str(row["variable"]),
                    str(row["group"]),
                    f"printed percent{where}",
                    float(row["percent"]),
                    achieved,
                    "count kept (Table 1 count wins)",
                )
    for _, row in study.univariable.iterrows():
        reason = or_contradiction(study, row)
        if reason:
            log.add(
                str(row["variable"]),
                "all",
                "Table 2 univariable OR",
                float(row["odds_ratio"]),
                math.nan,
                reason,
            )
    for name, content in study.text_claims.items():
        claim = parse_claim(name, content, study)
        implied = claim_on_table1(claim, study)
        if implied is not None and not matches_printed(implied, f"{claim.value:g}"):
            log.add(
                claim.condition.column if claim.condition else name,
                "all",
                f"text claim {name} ({claim.printed or claim.value})",
                claim.value,
                implied,
                "Table 1 wins",
            )


def _records(study: Study, seed: int, n: int) -> tuple[list[str], list[date]]:
    fake = Faker()
    fake.seed_instance(seed)
    window = study.design.get("window") or {"start": "2000-01-01", "end": "2000-12-31"}
    start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
    ids = [str(fake.unique.random_number(digits=8, fix_len=True)) for _ in range(n)]
    dates = [fake.date_between_dates(date_start=start, date_end=end) for _ in range(n)]
    return ids, dates


def synthesize_cohort(study: Study, *, seed: int) -> SynthesisResult:
    """Generate a synthetic cohort from a study's published summaries.

    Parameters
    ----------
    study : Study
        A validated spec (:func:`neok2.load_study`).
    seed : int, keyword-only
        Seed of the one ``numpy.random.Generator`` and of Faker; the same seed gives
        byte-identical output.

    Returns
    -------
    SynthesisResult
        ``data`` (one row per subject, data-dictionary columns in order, outcome 1 = case)
        and ``compromises`` (``variable, group, constraint, published, achieved, gap,
        action``).

    Raises
    ------
    ValueError
        Before anything is generated, when the spec cannot drive the generator: a printed
        percentage that matches neither rounding nor truncation of its count (unless the row
        carries a ``note``), min above max, a summary outside the dictionary range, an
        adjusted OR for a variable outside the model, a required column nothing describes.

    Notes
    -----
    Binary margins are exact. Continuous values sit at the quantiles of a normal truncated
    to each value's box (bin, definition range, dictionary range) whose two parameters are
    solved so the mean and SD hit their targets; the values are then rounded to the record
    grid and nudged one step at a time until the printed mean and SD are reproduced. Median
    and IQR rows pin the order statistics every quantile definition reads (R types 1-9,
    SPSS). The multivariable model's exposures are calibrated by swaps within groups that
    keep every count; entered terms listed as ``not_significant`` are aimed at an adjusted
    Wald p between ``2 * alpha`` and 0.5 (same sign as their crude association) by making
    them co-occur with the other exposures, so their crude odds ratios, fixed by the margins,
    stay. A ``mean_sd`` row whose printed p no SD inside the printed rounding
    can give, but whose spreads read as standard errors of the mean can (Student or Welch
    t-test, as the audit's ``sd_or_sem`` check computes), is generated with
    ``SD = spread x sqrt(n)``; when neither reading gives the printed p, the SEM reading is
    still taken if only it keeps p on the printed side of alpha (and of the screening
    threshold), else the printed SDs are kept; each case is recorded in ``compromises``.
    The role model is R's ``synthpop::syn()``, which draws from fitted
    conditional models of real microdata; here only published margins exist.

    References
    ----------
    Nowok B, Raab GM, Dibben C. synthpop: Bespoke creation of synthetic data in R.
    J Stat Softw 2016;74(11).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> result = synthesize_cohort(load_study("k2_neonates"), seed=1)
    >>> result.data.shape
    (200, 28)
    >>> int(result.data.query("deficiency == 1")["caesarean"].sum())
    50
    """
    seed = seed_like(seed)
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a Study (see neok2.load_study), got {type(study).__name__}"
        )
    check_generation_preconditions(study)
    seed = int(seed)
    rng = np.random.default_rng(seed)
    log = _Log()
    _spec_log(study, log)
    growth = growth_rule(study)
    claims = _allocate_claims(study, growth)

    binaries = _binary_columns(rng, study)
    _calibrate(rng, study, binaries, log)

    continuous: dict[str, dict[str, FloatArray]] = {}
    main = study.table1[study.table1["level"] == ""]
    numeric = [v for v in dict.fromkeys(main["variable"]) if v not in binaries]
    for variable in numeric:
        if growth is not None and variable == growth.weight:
            continue
        spec = study.column(variable)
        summary = str(table1_row(study, variable, "case")["summary"])
        if summary == "median_iqr":
            continuous[variable] = _median_iqr_variable(rng, study, spec, growth, log)
            for group in GROUPS:
                if variable in claims[group]:
                    threshold, count = claims[group][variable]
                    log.add(
                        variable,
                        group,
                        f"text claim: {count} below {threshold:g}",
                        count,
                        math.nan,
                        "not imposed on a median (IQR) variable",
                    )
            continue
        targets = _mean_targets(study, variable)
        continuous[variable] = {}
        for group in GROUPS:
            segments = _segments(study, spec, group, growth, claims[group], log)
            values = _mean_sd_group(rng, study, spec, group, targets[group], segments, log)
            continuous[variable][group] = rng.permutation(values)

    if growth is not None and growth.weight in numeric:
        targets = _mean_targets(study, growth.weight)
        continuous[growth.weight] = {}
        for group in GROUPS:
            sex = binaries[growth.sex][group]
            weights, ages = _growth_weights(
                rng,
                study,
                growth,
                group,
                continuous[growth.gestational_age][group],
                sex,
                binaries[growth.column][group],
                targets[group],
                log,
            )
            continuous[growth.weight][group] = weights
            continuous[growth.gestational_age][group] = ages

    for variable in continuous:
        _spread_log(study, variable, continuous[variable], log)

    frame = pd.DataFrame(
        {
            name: np.r_[values["case"], values["control"]]
            for name, values in {**binaries, **continuous}.items()
        }
    )
    frame[study.outcome] = np.r_[np.ones(study.groups["case"]), np.zeros(study.groups["control"])]
    for rule in threshold_columns(study):
        frame[rule.column] = (frame[rule.variable] < rule.below).astype(float)
    if growth is not None and growth.column not in frame:
        cutoff = birthweight_centile(frame[growth.gestational_age], frame[growth.sex], centile=10)
        frame[growth.column] = (frame[growth.weight] < cutoff).astype(float)
    _screen_log(study, frame, log)

    ids, dates = _records(study, seed, len(frame))
    for column in study.columns:
        if column.type == "id":
            frame[column.name] = ids
        elif column.type == "date":
            frame[column.name] = [day.isoformat() for day in dates]
        elif column.name not in frame:
            frame[column.name] = np.nan
            log.add(
                column.name,
                "all",
                "optional column",
                math.nan,
                math.nan,
                "left missing: nothing in the spec describes it",
            )
        elif column.type in ("binary", "integer"):
            frame[column.name] = frame[column.name].round().astype("int64")
    order = sorted(range(len(frame)), key=lambda i: (dates[i], ids[i]))
    data = frame.iloc[order].reset_index(drop=True)[[column.name for column in study.columns]]
    return SynthesisResult(data=data, compromises=log.frame(), study_id=study.id, seed=seed)


def synthesize(study: Study, *, seed: int) -> pd.DataFrame:
    """The synthetic cohort's records only; see :func:`synthesize_cohort`.

    Parameters
    ----------
    study : Study
    seed : int, keyword-only

    Returns
    -------
    pandas.DataFrame
        One row per subject, data-dictionary columns in order.

    Notes
    -----
    ``synthesize_cohort(study, seed=seed).data``.

    References
    ----------
    Nowok B, Raab GM, Dibben C. J Stat Softw 2016;74(11).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> data = synthesize(load_study("k2_neonates"), seed=7)
    >>> int(data["deficiency"].sum()), int((data["k2_ng_ml"] < 0.05).sum())
    (66, 24)
    """
    return synthesize_cohort(study, seed=seed).data


def cohort_paths(
    out: str | Path, *, fidelity: bool = True, protect: tuple[str | Path, ...] = ()
) -> tuple[Path, ...]:
    """The files :func:`write_cohort` writes for ``out``, checked before any work is done.

    Returns ``(out, <stem>_compromises.csv[, <stem>_fidelity.csv])``.

    Raises
    ------
    ValueError
        When ``out`` is not a .csv path or a target is one of the ``protect`` inputs.
    IsADirectoryError
        When a target is a folder.

    Examples
    --------
    >>> [p.name for p in cohort_paths("synthetic/k2.csv")]
    ['k2.csv', 'k2_compromises.csv', 'k2_fidelity.csv']
    """
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise ValueError(f"`out` must name a .csv file, got {str(out)!r}")
    targets = [path, path.with_name(f"{path.stem}_compromises.csv")]
    if fidelity:
        targets.append(path.with_name(f"{path.stem}_fidelity.csv"))
    for target in targets:
        refuse_overwrite_input(target, *protect)
        if target.is_dir():
            raise IsADirectoryError(f"`out`: {str(target)!r} is a directory")
    return tuple(targets)


def write_cohort(
    result: SynthesisResult,
    out: str | Path,
    *,
    fidelity: pd.DataFrame | None = None,
    protect: tuple[str | Path, ...] = (),
) -> tuple[Path, ...]:
    """Write the cohort CSV and, next to it, ``<stem>_compromises.csv`` (and the fidelity
    report as ``<stem>_fidelity.csv`` when given), each atomically.

    Parameters
    ----------
    result : SynthesisResult
    out : str or pathlib.Path
        The cohort CSV's path; its folder is created when missing.
    fidelity : pandas.DataFrame, optional, keyword-only
        The ``.tidy()`` of a :func:`neok2.synth.fidelity.fidelity_report`, written alongside.
    protect : tuple of paths, keyword-only
        Input files that must never be overwritten (the study spec).

    Returns
    -------
    tuple of pathlib.Path
        The files written.

    Notes
    -----
    Each file is written to a temporary file in the same folder, then renamed over the
    target, so a reader never sees half a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> result = SynthesisResult(data=pd.DataFrame({"id": ["A1"], "case": [1]}),
    ...                          compromises=pd.DataFrame(columns=COMPROMISE_COLUMNS),
    ...                          study_id="demo", seed=3)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_cohort(result, folder / "k2.csv")]
    ['k2.csv', 'k2_compromises.csv']
    """
    if not isinstance(result, SynthesisResult):
        raise TypeError(f"`result` must be a SynthesisResult, got {type(result).__name__}")
    targets = cohort_paths(out, fidelity=fidelity is not None, protect=protect)
    atomic_write_csv(result.data, targets[0])
    atomic_write_csv(result.compromises, targets[1])
    if fidelity is not None:
        atomic_write_csv(fidelity, targets[2])
    return tuple(targets)
