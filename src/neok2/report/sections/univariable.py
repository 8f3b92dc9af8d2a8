"""The univariable screen: one logistic model per candidate."""

from __future__ import annotations

from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import add_odds_ratio, add_variables, term_key, term_labels
from neok2.report.tables import or_table, published_or_cells


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("univariable", data_source=inputs.data_source)
    logistic = inputs.module("neok2.stats.logistic")
    candidates = inputs.candidates()
    table = logistic.univariable(inputs.data, inputs.outcome, candidates)
    threshold = inputs.study.screening_threshold
    table = table.assign(selected=table["p_value"] < threshold)
    out.export("table", table)
    notes = sorted({note for note in table["note"] if isinstance(note, str) and note})
    gt = or_table(
        table,
        term_labels(inputs.study, inputs.labels),
        "tbl_univariable",
        extra={f"Passes p < {threshold:g}": ["yes" if s else "" for s in table["selected"]]},
        notes=[
            "One logistic model per factor; Wald 95% CI and p-value of the estimate."
            if inputs.author
            else "One logistic model per factor; Wald 95% CI and p-value of the rebuilt "
            "estimate. Published: as printed in the paper's Table 2 (– where it printed none).",
            *notes,
        ],
        # an author's own paper quotes no published number outside the comparison section
        published=None if inputs.author else published_or_cells(inputs.study.univariable),
        rebuilt_heading="OR (95% CI)" if inputs.author else "Rebuilt OR (95% CI)",
    )
    out.table("univariable", table, gt)
    selected = list(dict.fromkeys(str(v) for v in table.loc[table["selected"], "variable"]))
    add_variables(
        out,
        inputs.labels,
        "selected",
        selected,
        "candidates whose univariable p-value passed the screen",
        count_description="number of screened-in terms",
    )
    for row in table.itertuples(index=False):
        add_odds_ratio(out, term_key(str(row.term)), row, "univariable")
    return out


SECTION = Section("univariable", _compute, modules={"neok2.stats.logistic": ("univariable",)})
