"""The growth rule's weight column: weights conditional on gestational age and sex that meet
the SGA flags."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from neok2.stats.growth import birthweight_centile
from neok2.study.spec import Study
from neok2.synth._compromises import CompromiseLog
from neok2.synth._continuous import (
    FloatArray,
    base_box,
    record_resolution,
    round_grid,
    value_segments,
)
from neok2.synth.rules import GrowthRule
from neok2.synth.values import fit_truncated_moments, grid_bounds, quantize_to_moments

__all__ = ["growth_weights"]

_PLAUSIBLE_Z = 3.5
_Z10 = float(stats.norm.ppf(0.9))


def growth_weights(
    rng: np.random.Generator,
    study: Study,
    rule: GrowthRule,
    group: str,
    ga: FloatArray,
    male: FloatArray,
    small: FloatArray,
    targets: tuple[float, float, int, float, int],
    log: CompromiseLog,
) -> tuple[FloatArray, FloatArray]:
    """Weights for one group given gestational age, sex and SGA flags; returns (weights, ga).

    Gestational ages may be exchanged between subjects of the group (their multiset, hence
    every bin and moment, is unchanged) when a subject's SGA flag cannot be met otherwise.
    """
    spec = study.column(rule.weight)
    resolution = record_resolution(study, spec)
    n = ga.size
    ga = ga.copy()
    segments = value_segments(study, spec, group, None, {}, log)
    is_male = male.astype(bool)
    sga = small.astype(bool)
    low_dict, high_dict, _ = base_box(study, spec, group, None)

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
    weights = round_grid(units, resolution)
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
