"""Simulation of the whole screen-then-fit pipeline at several sample sizes."""

from __future__ import annotations

import math

import pandas as pd

from neok2.formatting import format_number, format_odds_ratio, format_percent
from neok2.report.prose import in_prose
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.tables import gt_table


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("simulation", data_source=inputs.data_source)
    simulation = inputs.module("neok2.stats.simulation")
    study = inputs.study
    if inputs.author:
        # the author's design: their sample size, case share and fitted adjusted ORs
        if "multivariable" not in inputs.upstream:
            raise SectionUnavailable("the multivariable model is not available")
        terms = [str(v) for v in inputs.upstream["multivariable"]["table"]["variable"]]
        outcome = inputs.data[inputs.outcome]
        n_cases, n_controls = int((outcome == 1).sum()), int((outcome == 0).sum())
        n_study, ratio = n_cases + n_controls, n_controls / n_cases
        model = simulation.model_from_data(inputs.data, inputs.outcome, terms)
        truth = "the adjusted odds ratios fitted to the analysed data"
    else:
        n_study = study.n
        ratio = study.groups["control"] / study.groups["case"]
        try:
            model = simulation.model_from_study(study)
        except ValueError as why:  # a study without binary exposures to simulate
            raise SectionUnavailable(str(why)) from None
        truth = "the published adjusted ones"
    sizes = sorted({100, n_study, 2 * n_study, 400, 600, 800})
    table = simulation.simulate_pipeline(
        model,
        seed=inputs.seed,
        n_total=sizes,
        controls_per_case=ratio,
        n_replicates=inputs.simulation_replicates,
        threshold=study.screening_threshold,
        alpha=float(study.design.get("alpha", 0.05)),
        n_workers=1,
        progress=False,
    )
    figure = simulation.power_curve(table, labels=dict(inputs.labels))
    out.figure("simulation", figure)
    at_study = table[table["n_total"] == n_study]
    true_rows = at_study[at_study["true_odds_ratio"] != 1.0]
    null_rows = at_study[at_study["true_odds_ratio"] == 1.0]
    shown = pd.DataFrame(
        {
            "Factor": [inputs.labels.get(v, v) for v in at_study["variable"]],
            "True OR": [format_odds_ratio(v) for v in at_study["true_odds_ratio"]],
            "Passes screen (%)": [format_percent(100 * v) for v in at_study["selection_rate"]],
            "Significant in final model (%)": [
                format_percent(100 * (p if not math.isnan(p) else f))
                for p, f in zip(at_study["power"], at_study["false_inclusion"], strict=True)
            ],
            "Mean OR when selected": [format_odds_ratio(v) for v in at_study["mean_or_selected"]],
        }
    )
    out.table(
        "simulation",
        table,
        gt_table(
            shown,
            "tbl_simulation",
            notes=[
                f"{inputs.simulation_replicates} simulated studies of n = {n_study}; true odds "
                f"ratios are {truth}, every other candidate is null."
            ],
        ),
    )
    out.add(
        "replicates",
        inputs.simulation_replicates,
        str(inputs.simulation_replicates),
        "simulated studies per sample size",
    )
    out.add("n_study", n_study, str(n_study), "sample size of the simulated design")
    summary_rows = []
    for row in true_rows.itertuples(index=False):
        power = float(row.power)
        out.add(
            f"{row.variable}.power",
            power,
            format_number(100 * power, 0),
            f"simulated power (%) of the pipeline for {row.variable} at n = {n_study}",
        )
        out.add(
            f"{row.variable}.true_or",
            float(row.true_odds_ratio),
            format_odds_ratio(float(row.true_odds_ratio)),
            f"odds ratio of {row.variable} used as the truth in the simulation",
        )
        out.add(
            f"{row.variable}.mean_or_selected",
            float(row.mean_or_selected),
            format_odds_ratio(float(row.mean_or_selected)),
            f"mean estimated OR of {row.variable} in the replicates where it passed the screen",
        )
        reached = table[(table["variable"] == row.variable) & (table["power"] >= 0.8)]
        n_80 = int(reached["n_total"].min()) if len(reached) else None
        out.add(
            f"{row.variable}.n_for_80",
            n_80,
            str(n_80) if n_80 is not None else f"more than {max(sizes)}",
            f"smallest simulated total n giving 80% power for {row.variable}",
        )
        summary_rows.append(
            {
                "measure": f"share of simulated studies of n = {n_study} in which "
                f"{in_prose(inputs.labels.get(row.variable, row.variable))} was significant "
                "in the final model (simulated power)",
                "value": power,
                "unit": "",
            }
        )
    false_inclusion = float(null_rows["false_inclusion"].mean())
    out.add(
        "false_inclusion_mean",
        false_inclusion,
        format_number(100 * false_inclusion, 1),
        f"mean false-inclusion rate (%) of null candidates at n = {n_study}",
    )
    out.add("n_null", len(null_rows), str(len(null_rows)), "null candidates simulated")
    summary_rows.append(
        {
            "measure": f"mean share of simulated studies of n = {n_study} in which a null "
            "candidate was significant in the final model (false inclusion)",
            "value": false_inclusion,
            "unit": "",
        }
    )
    out.export("summary", pd.DataFrame(summary_rows))
    out.export(
        "power",
        pd.DataFrame(
            {
                "variable": [str(v) for v in true_rows["variable"]],
                "power": [float(v) for v in true_rows["power"]],
                "false_inclusion_mean": false_inclusion,
            }
        ),
    )
    return out


SECTION = Section(
    "simulation",
    _compute,
    uses=("multivariable",),
    modules={
        "neok2.stats.simulation": (
            "model_from_study",
            "model_from_data",
            "simulate_pipeline",
            "power_curve",
        )
    },
)
