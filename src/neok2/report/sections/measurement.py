"""The measurement that defines case status (a serum level, a weight) by group, with its cutoff.

The variable is the study's ``report.measurement`` (else the variable of the definition that
sets the outcome column); the figure is named by ``report.measurement_figure``.
"""

from __future__ import annotations

import math

import numpy as np

from neok2.formatting import decimals_carried, format_summary_number
from neok2.report.figures.measurement import measurement_by_group
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.sections._common import case_rule, measurement_variable
from neok2.study.spec import Study

NAME = "measurement_figure"


def _axis_label(study: Study, column: str) -> str:
    """``Description (unit)`` from the data dictionary, else the column name."""
    try:
        spec = study.column(column)
    except KeyError:
        return column
    text = spec.description or column
    text = text[0].upper() + text[1:]
    return f"{text} ({spec.unit})" if spec.unit else text


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput(NAME)
    study = inputs.study
    column = measurement_variable(study)
    if column is None:
        raise SectionUnavailable("the study names no measurement variable (report.measurement)")
    if column not in inputs.data.columns:
        raise SectionUnavailable(f"the data have no {column!r} column")
    case_name, rule = case_rule(study)
    cutoff = rule[1] if rule is not None and rule[0] == column else None
    unit = str(study.definitions[case_name].get("unit", "")) if cutoff is not None else ""
    data = inputs.data[[column, inputs.outcome]].dropna()
    samples = {
        group: data.loc[data[inputs.outcome] == code, column].to_numpy(dtype=float)
        for group, code in (("control", 0), ("case", 1))
    }
    # summaries print at the precision the recorded values carry (grams as integers)
    digits = decimals_carried(data[column].to_numpy(dtype=float))

    def shown(value: float) -> str:
        return format_summary_number(value, digits, integer=digits == 0)

    label = _axis_label(study, column)
    out.add("label", label, label, "the name (and unit) of the measurement")
    for group, values in samples.items():
        median = float(np.median(values)) if values.size else math.nan
        quartiles = np.percentile(values, [25, 75]) if values.size else [math.nan, math.nan]
        out.add(f"median_{group}", median, shown(median), f"median {column} among {group}s")
        out.add(
            f"iqr_{group}",
            list(map(float, quartiles)),
            f"{shown(quartiles[0])}-{shown(quartiles[1])}",
            f"interquartile range of {column} among {group}s",
        )
    figure = measurement_by_group(
        samples,
        group_labels=study.group_labels,
        ylabel=_axis_label(study, column),
        seed=inputs.seed,
        cutoff=cutoff,
        unit=unit,
    )
    out.figure(str(study.report.get("measurement_figure") or "measurement_by_group"), figure)
    return out


SECTION = Section(NAME, _compute)
