"""The analysed cohort: sizes, prevalence, threshold counts and missing data.

Which counts appear is the study's choice: every ``variable < below`` definition other than
the one defining case status, the lowest Table 1 band named in ``report.lowest_band``, the
case share of the definitions in ``report.case_share`` and the binary ``report.flags``.
"""

from __future__ import annotations

import pandas as pd

from neok2.formatting import format_number, format_percent
from neok2.report.section import Section, SectionInputs, SectionOutput, percent
from neok2.report.sections._common import (
    case_rule,
    journal_style_of,
    study_words,
    threshold_rule,
)


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("cohort", data_source=inputs.data_source)
    data, study = inputs.data, inputs.study
    outcome = data[inputs.outcome]
    n_total = len(data)
    n_cases = int((outcome == 1).sum())
    n_controls = int((outcome == 0).sum())
    plural, singular = study.population["plural"], study.population["singular"]
    # the spec's words about its own study, which an author's paper needs without the
    # published section (title, population nouns, group labels, definition, setting)
    for key, (text, description) in study_words(study).items():
        out.add(key, text, text, description)
    out.add("n_total", n_total, str(n_total), f"{plural} analysed")
    out.add("n_cases", n_cases, str(n_cases), f"cases ({study.group_labels['case']})")
    out.add(
        "n_controls", n_controls, str(n_controls), f"controls ({study.group_labels['control']})"
    )
    out.add(
        "n_outcome_missing",
        int(outcome.isna().sum()),
        str(int(outcome.isna().sum())),
        "rows whose case/control status is missing",
    )
    style = journal_style_of(inputs.study)
    prevalence = percent(n_cases, n_cases + n_controls)
    out.add(
        "prevalence_percent",
        prevalence,
        format_percent(prevalence, n_cases + n_controls, style=style),
        f"percentage of {plural} classed as cases",
    )
    settings = study.report
    sex = str(settings.get("sex_column") or "male")
    if sex in data.columns:
        males = int((data[sex] == 1).sum())
        females = int((data[sex] == 0).sum())
        out.add("n_male", males, str(males), "boys")
        out.add("n_female", females, str(females), "girls")
    case_name, case_cutoff = case_rule(study)
    if case_cutoff is not None:
        out.add(
            f"{case_name}_cutoff",
            case_cutoff[1],
            format_number(case_cutoff[1], 1),
            f"{case_cutoff[0]} below which a {singular} is a case",
        )
    # every other "variable < cutoff" definition is counted, then the lowest Table 1 band
    rules = {
        str(name): threshold_rule(study, str(name))
        for name in study.definitions
        if name != case_name
    }
    band = settings.get("lowest_band")
    if band:
        table1 = study.table1
        bins = table1[(table1["variable"] == band["variable"]) & (table1["level"] != "")]
        lowest = bins[bins["low"].isna() & bins["high"].notna()]
        if not lowest.empty:
            rules[str(band["name"])] = (str(band["variable"]), float(lowest["high"].iloc[0]))
    case_share = set(settings.get("case_share", ()))
    for name, rule in rules.items():
        if rule is None or rule[0] not in data.columns:
            continue
        column, cutoff = rule
        values = pd.to_numeric(data[column], errors="coerce")
        mask = values < cutoff
        count = int(mask.sum())
        known = int(values.notna().sum())
        share = percent(count, known)
        out.add(f"n_{name}", count, str(count), f"{plural} with {column} < {cutoff:g}")
        out.add(
            f"{name}_percent",
            share,
            format_percent(share, known, style=style),
            f"percentage of {plural} with known {column} below {cutoff:g}",
        )
        out.add(f"{name}_cutoff", cutoff, f"{cutoff:g}", f"cutoff of {column} for {name}")
        if name in case_share:
            cases_below = int((mask & (outcome == 1)).sum())
            case_percent = percent(cases_below, count)
            out.add(
                f"{name}_case_percent",
                case_percent,
                format_percent(case_percent, count, style=style),
                f"percentage of {name} {plural} who are cases",
            )
    for column, described in settings.get("flags", {}).items():
        if column not in data.columns:
            continue
        count = int((data[column] == 1).sum())
        share = percent(count, int(data[column].notna().sum()))
        out.add(f"n_{column}", count, str(count), str(described["count"]))
        out.add(
            f"{column}_percent",
            share,
            format_percent(share, int(data[column].notna().sum()), style=style),
            str(described["percent"]),
        )
    missing_cells = int(data.isna().sum().sum())
    rows_missing = int(data.isna().any(axis=1).sum())
    out.add("n_missing_cells", missing_cells, str(missing_cells), "missing values in the file")
    out.add(
        "n_rows_with_missing",
        rows_missing,
        str(rows_missing),
        "rows with at least one missing value",
    )
    return out


SECTION = Section("cohort", _compute)
