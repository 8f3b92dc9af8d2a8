"""The forest plot of the multivariable model."""

from __future__ import annotations

from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import term_key, term_labels


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("forest", data_source=inputs.data_source)
    forest = inputs.module("neok2.report.figures.forest")
    table = inputs.upstream["multivariable"]["table"]
    # one row per term: a factor has one per level, named as the spec names it (race[Black])
    table = table.assign(term=[term_key(str(term)) for term in table["term"]])
    # an author's own paper shows only its own estimates; a replication sets both side by side
    published = (
        None
        if inputs.author
        else inputs.study.multivariable[["term", "odds_ratio", "ci_low", "ci_high", "or_printed"]]
    )
    figure = forest.forest_plot(
        table,
        label="term",
        labels=term_labels(inputs.study, inputs.labels),
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
