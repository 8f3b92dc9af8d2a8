"""The forest plot of the multivariable model."""

from __future__ import annotations

from neok2.report.section import Section, SectionInputs, SectionOutput


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("forest")
    forest = inputs.module("neok2.report.figures.forest")
    table = inputs.upstream["multivariable"]["table"]
    figure = forest.forest_plot(
        table,
        label="variable",
        labels=dict(inputs.labels),
        xlabel="Adjusted odds ratio (95% CI, log scale)",
    )
    out.figure("forest", figure)
    return out


SECTION = Section(
    "forest",
    _compute,
    requires=("multivariable",),
    unavailable_reason="the multivariable model is not available",
    modules={"neok2.report.figures.forest": ("forest_plot",)},
)
