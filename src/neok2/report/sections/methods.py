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


SECTION = Section("methods", _compute)
