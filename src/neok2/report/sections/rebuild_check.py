"""How close is a rebuild from tables? Synthetic cohorts beside the study's real records.

Available when the spec declares ``microdata`` (its real records) and the synthesizer can
rebuild the study; otherwise left out with one sentence saying which of the two is missing.
A few cohorts only (:data:`REBUILD_SEEDS`), so that ``neok2 analyze`` stays quick; ``neok2
rebuild-check`` and ``make validate`` run more.
"""

from __future__ import annotations

import math

import pandas as pd

from neok2.formatting import format_number, format_percent
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.tables import gt_table

REBUILD_SEEDS = 3
"""Synthetic cohorts the manuscript's rebuild check builds (seeds ``seed`` .. ``seed + 2``)."""

_ROWS = (
    # (key, label, is a share shown as a percentage)
    ("cells_share", "Table 1 cells reproduced", True),
    ("max_abs_log_or_ratio", "Largest |log(OR synthetic / OR real)|", False),
    ("screen_agreement", "Univariable screen: candidates classified alike", True),
    ("selection_agreement", "Stepwise selection: candidates classified alike", True),
    ("correlation_rms_difference", "Correlation distance (RMS over pairs)", False),
    ("permuted_rms_difference", "  yardstick: real records permuted within groups", False),
    ("correlation_max_difference", "Largest correlation difference", False),
    ("permuted_max_difference", "  yardstick: real records permuted within groups", False),
)


def _shown(value: float, share: bool) -> str:
    if share and pd.notna(value):
        return format_percent(100 * value) + "%"
    return format_number(value, 2)


CLOSE_TO_SHUFFLED = 0.8
"""A rebuild whose correlation distance is at least this share of the shuffled copy's is read
as recovering no more of the covariates' joint structure than margins alone."""


def _correlation_reading(ratio: float) -> str:
    """How the synthetic correlation distance compares with the shuffled copy's, in words.

    Examples
    --------
    >>> _correlation_reading(0.98)[:40]
    'no closer to the real ones than the shuf'
    >>> _correlation_reading(0.31)[:34]
    'at about a third of the shuffled c'
    """
    if not math.isfinite(ratio):
        return "not comparable with the shuffled copy (its correlations match exactly)"
    if ratio >= CLOSE_TO_SHUFFLED:
        return (
            "no closer to the real ones than the shuffled copy: the printed tables say little "
            "about how the covariates go together, and a rebuild from them cannot recover it"
        )
    if ratio < 0.05:
        return "essentially at the real correlations (under 5% of the shuffled copy's distance)"
    share = ratio_phrase(ratio)
    return (
        f"at {share} of the shuffled copy's distance: the adjusted odds ratios the rebuild "
        "matches tie the covariates together in part, not in full"
    )


def ratio_phrase(ratio: float) -> str:
    """A ratio below 1 in words a reader takes in at once: ``0.31`` -> ``about a third``.

    Examples
    --------
    >>> ratio_phrase(0.31), ratio_phrase(0.52), ratio_phrase(0.2)
    ('about a third', 'about half', 'about a fifth')
    """
    fractions = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth", 10: "a tenth"}
    nearest = min(fractions, key=lambda d: abs(1 / d - ratio))
    if abs(1 / nearest - ratio) <= 0.05:
        return f"about {fractions[nearest]}"
    return f"{format_percent(100 * ratio)}%"


def _real_records(inputs: SectionInputs) -> pd.DataFrame:
    study = inputs.study
    if study.microdata is None:
        raise SectionUnavailable(
            "the study declares no real microdata (spec field `microdata`) to set a rebuild "
            "from its tables against"
        )
    if not study.microdata.is_file():
        raise SectionUnavailable(f"the study's microdata file {study.microdata.name} is missing")
    from neok2.study.dictionary import apply_codes, read_data

    return apply_codes(read_data(study.microdata), study)


def rebuild_output(inputs: SectionInputs, check: object) -> SectionOutput:
    """The section's values and table from a :class:`~neok2.synth.rebuild_check.RebuildCheck`."""
    out = SectionOutput("rebuild_check")
    per_seed = check.tidy()  # type: ignore[attr-defined]
    mean = check.summary().iloc[0]  # type: ignore[attr-defined]
    n_seeds = len(per_seed)
    seeds = [int(seed) for seed in per_seed["seed"]]
    out.add("n_seeds", n_seeds, str(n_seeds), "synthetic cohorts built from the tables")
    total = int(check.cells_total)  # type: ignore[attr-defined]
    out.add("cells_total", total, str(total), "printed case and control cells of Table 1")
    real = int(check.real_cells_reproduced)  # type: ignore[attr-defined]
    out.add("real_cells_reproduced", real, str(real), "printed cells the real records reproduce")
    reproduced = float(mean["cells_reproduced"])
    out.add(
        "cells_reproduced",
        reproduced,
        format_number(reproduced, 0 if reproduced.is_integer() else 1),
        "printed Table 1 cells a synthetic cohort reproduces, mean over cohorts",
    )
    for key, label, share in _ROWS:
        value = float(mean[key])
        out.add(key, value, _shown(value, share), f"{label.strip()}, mean over cohorts")
    # the largest log ratio of any cohort, read as a percentage difference between two ORs
    percent = 100 * (math.exp(float(per_seed["max_abs_log_or_ratio"].max())) - 1)
    out.add(
        "max_or_difference_percent",
        percent,
        format_number(percent, 1 if percent < 10 else 0),
        "largest difference between a synthetic and the real adjusted OR (%), over all cohorts",
    )
    ratio = float(mean["correlation_rms_difference"]) / float(mean["permuted_rms_difference"])
    out.add(
        "correlation_reading",
        ratio,
        _correlation_reading(ratio),
        "the synthetic correlation distance over the shuffled copy's, in words",
    )
    terms = ", ".join(check.terms_fitted)  # type: ignore[attr-defined]
    shown = pd.DataFrame(
        {
            "Measure": [label for _, label, _ in _ROWS],
            **{
                f"Seed {seed}": [_shown(float(row[key]), share) for key, _, share in _ROWS]
                for seed, (_, row) in zip(seeds, per_seed.iterrows(), strict=True)
            },
            "Mean": [out.values[f"rebuild_check.{key}"].display for key, _, _ in _ROWS],
        }
    )
    out.table(
        "rebuild_check",
        per_seed,
        gt_table(
            shown,
            "tbl_rebuild_check",
            notes=[
                f"Synthetic cohorts built from the printed tables alone (seeds "
                f"{', '.join(map(str, seeds))}), each compared with the real records. "
                f"Table 1: {total} printed case and control cells, judged at the printed "
                f"precision (the real records reproduce {real}). Odds ratios: the model with "
                f"{terms}. Correlations: Pearson, Table 1 variables, ordinal rows as level "
                "positions, categorical rows as indicators of their non-reference levels; "
                "the yardstick keeps every margin within cases and controls and destroys the "
                "associations between variables.",
            ],
        ),
    )
    return out


def _compute(inputs: SectionInputs) -> SectionOutput:
    real = _real_records(inputs)
    rebuild = inputs.module("neok2.synth.rebuild_check")
    seeds = list(range(inputs.seed, inputs.seed + REBUILD_SEEDS))
    try:
        check = rebuild.rebuild_check(inputs.study, real, seeds=seeds)
    except rebuild.SynthesisRefused:
        raise SectionUnavailable(
            "the synthesizer cannot yet rebuild this study from its tables"
        ) from None
    return rebuild_output(inputs, check)


SECTION = Section(
    "rebuild_check",
    _compute,
    modules={"neok2.synth.rebuild_check": ("rebuild_check", "SynthesisRefused")},
)
