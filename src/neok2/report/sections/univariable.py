"""The univariable screen: one logistic model per candidate.

A matched design fits one conditional logistic model per candidate on its matched sets; a
stratified design adds, for each binary candidate, the Mantel-Haenszel odds ratio over the
strata and the Breslow-Day test of a common odds ratio beside the crude estimate.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from neok2.formatting import (
    format_ci,
    format_odds_ratio,
    format_or_ci,
    format_p,
    odds_ratio_digits,
)
from neok2.report.prose import prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import (
    add_odds_ratio,
    add_variables,
    matched_set_column,
    strata_columns,
    term_key,
    term_labels,
)
from neok2.report.tables import or_table, published_or_cells

_STRATUM = "_neok2_stratum"  # the cross-classified strata as one column


def _binary(values: pd.Series) -> bool:
    observed = values.dropna()
    return (
        not isinstance(values.dtype, pd.CategoricalDtype)
        and pd.api.types.is_numeric_dtype(observed)
        and set(pd.unique(observed)) == {0, 1}
    )


def _mantel_haenszel(inputs: SectionInputs, candidates: list[str], strata: list[str]) -> Any:
    """``variable, mh_odds_ratio, mh_ci_low, mh_ci_high, breslow_day_p`` per binary candidate."""
    stratified = inputs.module("neok2.stats.stratified")
    data = inputs.data.copy(deep=False)  # copy-on-write: the stratum column is added here only
    key = data[strata].astype("string")
    data[_STRATUM] = key.agg(" / ".join, axis=1) if len(strata) > 1 else key[strata[0]]
    records = []
    for variable in candidates:
        if not _binary(data[variable]):
            continue
        try:
            result = stratified.stratified_2x2(
                data, exposure=variable, outcome=inputs.outcome, stratum=_STRATUM
            )
        except ValueError as why:  # e.g. an MH estimate of 0 or infinity
            records.append({"variable": variable, "mh_note": str(why)})
            continue
        records.append(
            {
                "variable": variable,
                "mh_odds_ratio": result.mh_odds_ratio,
                "mh_ci_low": result.mh_ci_low,
                "mh_ci_high": result.mh_ci_high,
                "breslow_day_p": result.breslow_day_p,
                "mh_note": "",
            }
        )
    columns = ["variable", "mh_odds_ratio", "mh_ci_low", "mh_ci_high", "breslow_day_p", "mh_note"]
    return pd.DataFrame.from_records(records, columns=columns)


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("univariable", data_source=inputs.data_source)
    candidates = inputs.candidates()
    matched_set = matched_set_column(inputs)
    strata = strata_columns(inputs)
    if matched_set is not None:
        matched = inputs.module("neok2.stats.matched_screen")
        table = matched.conditional_univariable(
            inputs.data, inputs.outcome, candidates, matched_set=matched_set
        )
        model = "conditional logistic model per factor, on the matched sets"
    else:
        logistic = inputs.module("neok2.stats.logistic")
        table = logistic.univariable(inputs.data, inputs.outcome, candidates)
        model = "logistic model per factor"
    threshold = inputs.study.screening_threshold
    table = table.assign(selected=table["p_value"] < threshold)
    extra = {f"Passes p < {threshold:g}": ["yes" if s else "" for s in table["selected"]]}
    method_notes = []
    if strata:
        pooled = _mantel_haenszel(inputs, candidates, strata)
        table = table.merge(pooled, on="variable", how="left")
        table["mh_note"] = table["mh_note"].fillna("")
        shown_strata = prose_list(strata, inputs.labels)
        extra["MH OR (95% CI)"] = [
            "" if math.isnan(o) else _or_with_ci(o, lo, hi)
            for o, lo, hi in zip(
                table["mh_odds_ratio"], table["mh_ci_low"], table["mh_ci_high"], strict=True
            )
        ]
        extra["Breslow-Day p"] = [
            "" if math.isnan(p) else format_p(p) for p in table["breslow_day_p"]
        ]
        method_notes.append(
            f"MH OR: Mantel-Haenszel odds ratio of a binary factor over the strata of "
            f"{shown_strata} (Robins-Breslow-Greenland 95% CI); Breslow-Day p: test of a "
            "common odds ratio across the strata."
        )
    out.export("table", table)
    notes = sorted({note for note in table["note"] if isinstance(note, str) and note})
    gt = or_table(
        table,
        term_labels(inputs.study, inputs.labels),
        "tbl_univariable",
        extra=extra,
        notes=[
            f"One {model}; Wald 95% CI and p-value of the estimate."
            if inputs.author
            else f"One {model}; Wald 95% CI and p-value of the rebuilt "
            "estimate. Published: as printed in the paper's Table 2 (– where it printed none).",
            *method_notes,
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
        if math.isnan(float(row.odds_ratio)):
            continue  # not estimable (a matching variable): the table's note says why
        add_odds_ratio(out, term_key(str(row.term)), row, "univariable")
        if strata and not math.isnan(float(getattr(row, "mh_odds_ratio", math.nan))):
            _add_mantel_haenszel(out, term_key(str(row.term)), row)
    return out


def _or_with_ci(odds_ratio: float, low: float, high: float) -> str:
    """``"6.70 (4.28-10.51)"``: an odds ratio with its interval."""
    return format_or_ci(odds_ratio, low, high)


def _add_mantel_haenszel(out: SectionOutput, term: str, row: Any) -> None:
    odds_ratio, low, high = float(row.mh_odds_ratio), float(row.mh_ci_low), float(row.mh_ci_high)
    digits = odds_ratio_digits(odds_ratio, low, high)
    out.add(
        f"{term}.mh_odds_ratio",
        odds_ratio,
        format_odds_ratio(odds_ratio, digits),
        f"Mantel-Haenszel odds ratio of {term} over the strata",
    )
    out.add(f"{term}.mh_ci", [low, high], format_ci(low, high, digits), "its 95% CI (RBG)")
    p_value = float(row.breslow_day_p)
    out.add(
        f"{term}.breslow_day_p",
        p_value,
        format_p(p_value),
        f"Breslow-Day p of a common odds ratio of {term} across the strata",
    )


SECTION = Section(
    "univariable",
    _compute,
    modules={
        "neok2.stats.logistic": ("univariable",),
        "neok2.stats.matched_screen": ("conditional_univariable",),
        "neok2.stats.stratified": ("stratified_2x2",),
    },
)
