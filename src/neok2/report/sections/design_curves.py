"""Design curves of the simulated pipeline: power over n, power over the true odds ratio, the
smallest detectable odds ratio per factor, and how power moves with the correlation scale of
the calibrated exposure model (replication mode)."""

from __future__ import annotations

import math

import pandas as pd

from neok2.formatting import format_number, format_odds_ratio
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections.simulation import (
    CHUNK_SIZE,
    CURVE_SHARE,
    share,
    simulation_model,
    with_mcse,
    workers,
)
from neok2.report.tables import gt_table

SIZE_FACTORS: tuple[float, ...] = (0.5, 1.5, 2.0)
"""Total sizes of the n curve besides the design's, as multiples of it."""
ODDS_RATIO_GRID: tuple[float, ...] = (1.5, 2.0, 3.0, 5.0)
"""True odds ratios of the OR curve besides the factor's own (binary factors)."""
CORRELATION_SCALES: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5)
"""Multipliers of the calibrated model's latent correlations."""


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("design_curves", data_source=inputs.data_source)
    simulation = inputs.module("neok2.stats.simulation")
    curves = inputs.module("neok2.stats.power_curves")
    figures = inputs.module("neok2.report.figures.power")
    upstream = inputs.upstream["simulation"]
    design = upstream["power"]
    threshold, n_cases, n_controls = (
        upstream["threshold"],
        upstream["n_cases"],
        upstream["n_controls"],
    )
    model, _, _, _ = simulation_model(inputs, simulation)
    replicates = share(inputs.simulation_replicates, CURVE_SHARE)
    settings = {
        "seed": inputs.seed,
        "n_replicates": replicates,
        "threshold": threshold,
        "alpha": inputs.alpha,
        "chunk_size": CHUNK_SIZE,
        "n_workers": workers(),
        "progress": False,
    }
    factors = [str(v) for v in design["variable"]]
    labels = dict(inputs.labels)
    n_study = n_cases + n_controls
    at_design = design.assign(n_total=n_study, n_replicates=inputs.simulation_replicates)
    columns = ["n_total", "variable", "true_odds_ratio", "power", "power_mcse", "n_replicates"]

    # power over n: the design's point comes from the simulation section
    sizes = sorted({max(20, round(n_study * f)) for f in SIZE_FACTORS} - {n_study})
    by_n = curves.power_over_n(model, sizes, controls_per_case=n_controls / n_cases, **settings)
    by_n = pd.concat(
        [by_n[by_n["variable"].isin(factors)][columns], at_design[columns]], ignore_index=True
    ).sort_values(
        ["variable", "n_total"],
        key=lambda s: s.map(factors.index) if s.name == "variable" else s,
        kind="stable",
    )
    out.figure("power_over_n", figures.power_over_n_figure(by_n, labels=labels))
    out.table(
        "power_over_n",
        by_n.reset_index(drop=True),
        gt_table(
            by_n.assign(
                Factor=[labels.get(v, v) for v in by_n["variable"]],
                n=[str(v) for v in by_n["n_total"]],
                Power=[
                    with_mcse(p, e) for p, e in zip(by_n["power"], by_n["power_mcse"], strict=True)
                ],
            )[["Factor", "n", "Power"]],
            "tbl_power_over_n",
        ),
    )
    for variable in factors:
        rows = by_n[(by_n["variable"] == variable) & (by_n["power"] >= 0.8)]
        reached = int(rows["n_total"].min()) if len(rows) else None
        out.add(
            f"{variable}.n_for_80",
            reached,
            str(reached) if reached is not None else f"more than {max([*sizes, n_study])}",
            f"smallest simulated total n with pipeline power of at least 80% for {variable}",
        )

    # power over the true OR, others held at their true values
    blocks = []
    binary = [
        v for v in factors if set(pd.unique(model.support[:, model.names.index(v)])) <= {0.0, 1.0}
    ]
    for variable in binary:
        grid = [g for g in ODDS_RATIO_GRID]
        curve = curves.power_over_odds_ratio(
            model, variable, grid, n_cases=n_cases, n_controls=n_controls, **settings
        )
        own = at_design[at_design["variable"] == variable]
        blocks.append(pd.concat([curve[columns], own[columns]], ignore_index=True))
    detectable_rows = []
    if blocks:
        by_or = pd.concat(blocks, ignore_index=True)
        out.figure("power_over_or", figures.power_over_odds_ratio_figure(by_or, labels=labels))
        for variable in binary:
            curve = by_or[by_or["variable"] == variable]
            answer, error = curves.detectable_from_curve(curve, 0.8)
            detectable_rows.append(
                {"variable": variable, "detectable_odds_ratio": answer, "mcse": error}
            )
            out.add(
                f"{variable}.detectable_or_80",
                answer,
                format_odds_ratio(answer)
                if math.isfinite(answer)
                else f"above {max(curve['true_odds_ratio']):g}",
                f"smallest true adjusted OR of {variable} with 80% pipeline power at n = {n_study}",
            )
            out.add(
                f"{variable}.detectable_or_80_mcse",
                error,
                format_number(error, 2) if math.isfinite(error) else "NA",
                "its Monte Carlo SE",
            )
        out.table(
            "power_over_or",
            by_or,
            gt_table(
                by_or.assign(
                    Factor=[labels.get(v, v) for v in by_or["variable"]],
                    OR=[format_odds_ratio(v) for v in by_or["true_odds_ratio"]],
                    Power=[
                        with_mcse(p, e)
                        for p, e in zip(by_or["power"], by_or["power_mcse"], strict=True)
                    ],
                )[["Factor", "OR", "Power"]],
                "tbl_power_over_or",
            ),
        )
    out.add("curve_replicates", replicates, str(replicates), "simulated studies per curve point")
    curve_mcse = 0.5 / math.sqrt(replicates)
    out.add(
        "curve_max_mcse",
        curve_mcse,
        format_number(100 * curve_mcse, 1),
        "largest possible Monte Carlo SE (points) of a curve point, at power 50%",
    )

    # sensitivity to the correlations of the calibrated model (replication mode only)
    if not inputs.author:
        sensitivity = curves.correlation_sensitivity(
            inputs.study, scales=CORRELATION_SCALES, **settings
        )
        shown = []
        for scale, block in sensitivity.groupby("correlation_scale", sort=True):
            row = {"Correlation scale": format_number(float(scale), 1)}
            for record in block.itertuples(index=False):
                name = labels.get(str(record.variable), str(record.variable))
                row[f"{name}: crude OR"] = format_odds_ratio(float(record.implied_crude_odds_ratio))
                row[f"{name}: power, %"] = with_mcse(float(record.power), float(record.power_mcse))
                key = f"{record.variable}.scale_{format_number(float(scale), 1).replace('.', '_')}"
                out.add(
                    f"{key}.power",
                    float(record.power),
                    format_number(100 * float(record.power), 1),
                    f"pipeline power (%) of {record.variable} at correlation scale {scale:g}",
                )
            first = block.iloc[0]
            row["Candidates entered"] = with_mcse(
                float(first["mean_entered"]),
                float(first["mean_entered_mcse"]),
                percent=False,
                digits=2,
            )
            row["Any false positive, %"] = with_mcse(
                float(first["familywise_false_positive"]),
                float(first["familywise_false_positive_mcse"]),
            )
            shown.append(row)
        out.table(
            "correlation_sensitivity",
            sensitivity,
            gt_table(
                pd.DataFrame(shown),
                "tbl_correlation",
                notes=[
                    f"{replicates} simulated studies of n = {n_study} per scale (the same seed), "
                    "every latent correlation of the calibrated model multiplied by the scale "
                    "(0: independent candidates with the same control margins and true adjusted "
                    "odds ratios; 1: the calibrated model). The crude OR is the one the scaled "
                    "model implies. MC SE in brackets."
                ],
            ),
        )
        spread = sensitivity.groupby("variable")["power"].agg(lambda s: s.max() - s.min())
        for variable, value in spread.items():
            out.add(
                f"{variable}.correlation_power_range",
                float(value),
                format_number(100 * float(value), 1),
                f"range (points) of {variable}'s pipeline power over the correlation scales",
            )
    return out


SECTION = Section(
    "design_curves",
    _compute,
    requires=("simulation",),
    unavailable_reason="the pipeline simulation is not available",
    modules={
        "neok2.stats.simulation": ("model_from_study", "model_from_data"),
        "neok2.stats.power_curves": (
            "power_over_n",
            "power_over_odds_ratio",
            "detectable_from_curve",
            "correlation_sensitivity",
        ),
        "neok2.report.figures.power": ("power_over_n_figure", "power_over_odds_ratio_figure"),
    },
)
