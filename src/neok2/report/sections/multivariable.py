"""The multivariable model of every screened-in term.

A matched design fits a conditional logistic model on its matched sets; a stratified design
adds its strata to the model as factor terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from neok2.report.prose import in_prose, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.sections._common import (
    add_odds_ratio,
    add_variables,
    matched_set_column,
    strata_columns,
    term_key,
    term_labels,
)
from neok2.report.tables import or_table, published_or_cells


@dataclass(frozen=True)
class _Model:
    """What the section reads of a fitted model, whichever kind."""

    table: pd.DataFrame
    formula: str
    n: int
    events: int
    n_missing: int
    firth: bool
    notes: tuple[str, ...]
    description: str


def _fit(inputs: SectionInputs) -> tuple[list[str], _Model | None]:
    """The screened-in terms and their model: conditional, stratified or plain logistic."""
    threshold = inputs.study.screening_threshold
    matched_set = matched_set_column(inputs)
    if matched_set is not None:
        screen = inputs.module("neok2.stats.matched_screen").conditional_screen_and_fit(
            inputs.data,
            inputs.outcome,
            inputs.candidates(),
            matched_set=matched_set,
            threshold=threshold,
        )
        selected, fitted = [str(v) for v in screen.selected], screen.multivariable
        if fitted is None:
            return selected, None
        return selected, _Model(
            screen.tidy(),
            screen.formula,
            int(fitted.n),
            int(fitted.events),
            int(fitted.n_missing),
            False,
            tuple(fitted.notes),
            f"One conditional logistic model on {fitted.n_sets} matched sets with every "
            "screened-in term",
        )
    strata = strata_columns(inputs)
    result = inputs.module("neok2.stats.selection").screen_and_fit(
        inputs.data, inputs.outcome, inputs.candidates(), threshold=threshold
    )
    selected, model = [str(v) for v in result.selected], result.multivariable
    if model is None:
        return selected, None
    description = "One model with every screened-in term"
    if strata:
        model = inputs.module("neok2.stats.logistic").logistic_regression(
            inputs.data, outcome=inputs.outcome, covariates=[*selected, *strata]
        )
        description += f" and the strata of {prose_list(strata, inputs.labels)} as factor terms"
    return selected, _Model(
        model.tidy(intercept=False),
        str(model.formula),
        int(model.n),
        int(model.events),
        int(model.n_missing),
        bool(model.firth),
        tuple(model.notes),
        description,
    )


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("multivariable", data_source=inputs.data_source)
    selected, model = _fit(inputs)
    out.add(
        "terms",
        selected,
        prose_list(selected, inputs.labels),
        "terms entered into the multivariable model",
    )
    if model is None:
        raise SectionUnavailable("no candidate passed the univariable screen")
    table = model.table
    out.export("table", table)
    out.export("formula", model.formula)
    notes = list(model.notes)
    gt = or_table(
        table,
        term_labels(inputs.study, inputs.labels),
        "tbl_multivariable",
        notes=[
            f"{model.description}; n = {model.n}, "
            f"{model.events} cases; Wald 95% CI and p-value of the estimate."
            if inputs.author
            else f"{model.description}; n = {model.n}, "
            f"{model.events} cases; Wald 95% CI and p-value of the rebuilt estimate. "
            "Published: adjusted odds ratios as printed (– for terms the paper entered but "
            "did not report).",
            *notes,
        ],
        published=None if inputs.author else published_or_cells(inputs.study.multivariable),
        rebuilt_heading="OR (95% CI)" if inputs.author else "Rebuilt OR (95% CI)",
    )
    out.table("multivariable", table, gt)
    out.add("formula", model.formula, model.formula, "the multivariable model")
    out.add(
        "n",
        int(model.n),
        str(int(model.n)),
        f"{inputs.study.population['plural']} in the multivariable model",
    )
    out.add("events", int(model.events), str(int(model.events)), "cases in the model")
    out.add(
        "n_missing",
        int(model.n_missing),
        str(int(model.n_missing)),
        "rows left out of the multivariable model for missing values",
    )
    out.add(
        "firth",
        bool(model.firth),
        "yes" if model.firth else "no",
        "whether separation forced Firth's penalised likelihood",
    )
    alpha = float(inputs.study.design.get("alpha", 0.05))
    # strata are adjusted for, not reported as factors
    factors = table[~table["variable"].isin(inputs.study.strata)]
    significant = list(
        dict.fromkeys(str(v) for v in factors.loc[factors["p_value"] < alpha, "variable"])
    )
    add_variables(
        out,
        inputs.labels,
        "significant",
        significant,
        "terms with p below alpha in the multivariable model",
    )
    reported = list(dict.fromkeys(str(v) for v in inputs.study.multivariable["variable"]))
    extra = [v for v in significant if v not in reported]
    add_variables(
        out,
        inputs.labels,
        "significant_unreported",
        extra,
        "terms significant here that the paper did not report as independent factors",
    )
    lost = [v for v in reported if v not in significant]
    add_variables(
        out,
        inputs.labels,
        "reported_not_significant",
        lost,
        "terms the paper reported as independent factors that are not significant here",
    )
    shown = term_labels(inputs.study, inputs.labels)
    for row in table.itertuples(index=False):
        term = term_key(str(row.term))
        add_odds_ratio(out, term, row, "multivariable")
        label = shown.get(term, term)
        out.add(f"{term}.label", label, in_prose(label), "the term's label in a sentence")
    return out


SECTION = Section(
    "multivariable",
    _compute,
    modules={
        "neok2.stats.selection": ("screen_and_fit",),
        "neok2.stats.logistic": ("logistic_regression",),
        "neok2.stats.matched_screen": ("conditional_screen_and_fit",),
    },
)
