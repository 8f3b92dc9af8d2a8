"""The forest plot of the multivariable model."""

from __future__ import annotations

from neok2.report.section import Section, SectionInputs, SectionOutput


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("forest", data_source=inputs.data_source)
    forest = inputs.module("neok2.report.figures.forest")
    table = inputs.upstream["multivariable"]["table"]
    # an author's own paper shows only its own estimates; a replication sets both side by side
    published = (
        None
        if inputs.author
        else inputs.study.multivariable[["variable", "odds_ratio", "ci_low", "ci_high"]]
    )
    figure = forest.forest_plot(
        table,
        label="variable",
        labels=dict(inputs.labels),
        xlabel="Adjusted odds ratio (95% CI, log scale)",
        published=published,
        series_labels=(
            "Rebuilt (synthetic data)" if inputs.data_source == "synthetic" else "Rebuilt",
            "Published",
        ),
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
