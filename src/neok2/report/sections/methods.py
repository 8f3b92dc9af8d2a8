"""The methods paragraph's facts: screening threshold, alpha, candidates, tests, window."""

from __future__ import annotations

from collections.abc import Mapping

from neok2.formatting import format_number
from neok2.report.prose import list_phrase, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("methods", data_source=inputs.data_source)
    study = inputs.study
    threshold = study.screening_threshold
    alpha = float(study.design.get("alpha", 0.05))
    out.add(
        "screening_threshold",
        threshold,
        format_number(threshold, 2).rstrip("0"),
        "univariable p-value below which a candidate enters the multivariable model",
    )
    out.add("alpha", alpha, format_number(alpha, 2), "two-sided significance level")
    candidates = [name for name in inputs.study.candidates if name in inputs.data.columns]
    out.add(
        "n_candidates",
        len(candidates),
        str(len(candidates)),
        "Table 1 variables screened by univariable regression",
    )
    out.add(
        "candidates", candidates, prose_list(candidates, inputs.labels), "the screened candidates"
    )
    _design(inputs, out)
    if inputs.author:
        return out  # the published tests, window and software describe another study
    tests = sorted({test for test in study.table1["test"] if test})
    out.add("baseline_tests", tests, list_phrase(tests), "tests the published Table 1 names")
    window = study.design.get("window")
    if isinstance(window, Mapping):
        out.add(
            "window",
            dict(window),
            f"{window['start']} to {window['end']}",
            "recruitment window of the published study",
        )
    out.add(
        "published_software",
        study.design.get("software", ""),
        str(study.design.get("software", "")),
        "software of the published analysis",
    )
    return out


def _count_range(low: float, median: float, high: float) -> str:
    """``"2"`` when every set has as many, else ``"1-2 (median 2)"``."""
    shown = [
        format_number(value, 0 if float(value).is_integer() else 1) for value in (low, median, high)
    ]
    return shown[0] if low == high else f"{shown[0]}-{shown[2]} (median {shown[1]})"


def _members(low: float, median: float, high: float, noun: str) -> tuple[str, str]:
    """``("1 to 2 controls", "median 2")``; the median is ``""`` when every set is alike."""
    shown = [format_number(v, 0 if float(v).is_integer() else 1) for v in (low, median, high)]
    noun = noun if high != 1 else noun[:-1]
    if low == high:
        return f"{shown[0]} {noun}", ""
    return f"{shown[0]} to {shown[2]} {noun}", f"median {shown[1]}"


def _design(inputs: SectionInputs, out: SectionOutput) -> None:
    """The design's model and the sentence the methods paragraph gives it."""
    study = inputs.study
    matched_set = study.matched_set
    strata = [name for name in study.strata if name in inputs.data.columns]
    if matched_set is not None and matched_set in inputs.data.columns:
        sizes = inputs.module("neok2.stats.matched_screen").matched_set_sizes(
            inputs.data, inputs.outcome, matched_set
        )
        matching = study.design["matching"]
        cases = _count_range(sizes.cases_min, sizes.cases_median, sizes.cases_max)
        controls = _count_range(sizes.controls_min, sizes.controls_median, sizes.controls_max)
        out.add("design", "matched", "matched", "the design the models condition on")
        out.add("model", "conditional logistic", "conditional logistic", "the regression model")
        out.add("n_sets", sizes.n_sets, str(sizes.n_sets), "matched sets in the data")
        out.add(
            "cases_per_set",
            [sizes.cases_min, sizes.cases_median, sizes.cases_max],
            cases,
            "cases per matched set: min-max (median)",
        )
        out.add(
            "controls_per_set",
            [sizes.controls_min, sizes.controls_median, sizes.controls_max],
            controls,
            "controls per matched set: min-max (median)",
        )
        out.add(
            "matching_ratio",
            matching["ratio"],
            str(matching["ratio"]),
            "controls per case as designed",
        )
        on = [str(name) for name in matching.get("variables", ())]
        out.add("matched_on", on, prose_list(on, inputs.labels), "the matching variables")
        case_text, case_median = _members(
            sizes.cases_min, sizes.cases_median, sizes.cases_max, "cases"
        )
        control_text, control_median = _members(
            sizes.controls_min, sizes.controls_median, sizes.controls_max, "controls"
        )
        designed = "" if matching["ratio"] == "variable" else f"{matching['ratio']} as designed"
        aside = "; ".join(part for part in (case_median, control_median, designed) if part)
        sentence = (
            "Cases and controls were matched"
            + (f" on {prose_list(on, inputs.labels)}" if on else "")
            + ", so every model is a conditional logistic regression stratified on the "
            f"{sizes.n_sets} matched sets and the matching variables' own effects are not "
            f"estimated. Each set holds {case_text} and {control_text}"
            + (f" ({aside})." if aside else ".")
        )
    elif strata:
        shown = prose_list(strata, inputs.labels)
        out.add("design", "stratified", "stratified", "the design the models condition on")
        out.add("model", "logistic", "logistic", "the regression model")
        out.add("strata", strata, shown, "the stratification variables")
        sentence = (
            f"The analysis is stratified by {shown}: each binary factor's crude odds ratio is "
            "shown beside its Mantel-Haenszel odds ratio over the strata (Robins-Breslow-"
            "Greenland interval) with the Breslow-Day test of a common odds ratio, and the "
            f"multivariable model includes {shown} as factor terms."
        )
    else:
        out.add("design", "unmatched", "unmatched", "the design the models condition on")
        out.add("model", "logistic", "logistic", "the regression model")
        sentence = ""
    out.add("design_sentence", sentence, sentence, "the design's sentence of the methods")


SECTION = Section(
    "methods", _compute, modules={"neok2.stats.matched_screen": ("matched_set_sizes",)}
)
