"""Power of the design: the published one at the published odds ratios (replication mode),
or the author's own counts, exposure shares and fitted odds ratios (author mode)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from neok2.formatting import format_number, format_odds_ratio, format_percent
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.tables import gt_table


def _author_design(inputs: SectionInputs, power: Any) -> pd.DataFrame:
    """study_power's columns for the analysed data: its counts, p0 and fitted odds ratios."""
    data, outcome = inputs.data, inputs.outcome
    n_cases = int((data[outcome] == 1).sum())
    n_controls = int((data[outcome] == 0).sum())
    if not n_cases or not n_controls:
        raise SectionUnavailable("the data hold no cases or no controls")
    ratio = n_controls / n_cases
    alpha = inputs.alpha
    records = []
    for model in ("univariable", "multivariable"):
        if model not in inputs.upstream:
            continue
        fitted = inputs.upstream[model]["table"]
        for variable, odds_ratio in zip(fitted["variable"], fitted["odds_ratio"], strict=True):
            variable = str(variable)
            column = data.loc[data[outcome] == 0, variable].dropna()
            if column.empty or not column.isin([0, 1]).all():
                continue  # power by exposure share: binary factors only
            p0 = float(column.mean())
            odds_ratio = float(odds_ratio)
            if not 0 < p0 < 1 or not np.isfinite(odds_ratio) or odds_ratio <= 0:
                continue

            def solve(
                odds: float | None, cases: float | None, target: float | None, p0: float = p0
            ) -> pd.Series:
                row = power.power_case_control(
                    odds, p0, cases, target, controls_per_case=ratio, alpha=alpha
                )
                return row.iloc[0]

            effect = odds_ratio if abs(np.log(odds_ratio)) > 1e-9 else np.nan
            needed = solve(effect, None, 0.8) if np.isfinite(effect) else None
            records.append(
                {
                    "variable": variable,
                    "label": inputs.labels.get(variable, variable),
                    "model": model,
                    # study_power's column name; here it holds the author's fitted OR
                    "published_odds_ratio": odds_ratio,
                    "p0": p0,
                    "n_cases": n_cases,
                    "n_controls": n_controls,
                    "power_published": solve(effect, n_cases, None)["power"]
                    if needed is not None
                    else np.nan,
                    "power_or_2": solve(2.0, n_cases, None)["power"],
                    "n_cases_80": needed["n_cases_needed"] if needed is not None else np.nan,
                    "n_controls_80": needed["n_controls_needed"] if needed is not None else np.nan,
                    "n_total_80": needed["n_cases_needed"] + needed["n_controls_needed"]
                    if needed is not None
                    else np.nan,
                    "detectable_or_80": solve(None, n_cases, 0.8)["odds_ratio"],
                    "method": "fleiss",
                }
            )
    return pd.DataFrame.from_records(records)


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("power", data_source=inputs.data_source)
    power = inputs.module("neok2.stats.power")
    if inputs.author:
        table = _author_design(inputs, power)
        if table.empty:
            raise SectionUnavailable("the fitted models hold no binary factor")
        or_name, at_or = "Fitted OR", "fitted OR"
        p0_source = "p0 from the controls of the analysed data"
        ratio_text = f"{int(table['n_controls'].iloc[0])}:{int(table['n_cases'].iloc[0])}"
    else:
        table = power.study_power(inputs.study)
        or_name, at_or = "Published OR", "published OR"
        p0_source = "p0 from the published control counts"
        ratio_text = f"{inputs.study.groups['control']}:{inputs.study.groups['case']}"
    shown = pd.DataFrame(
        {
            "Factor": [inputs.labels.get(v, v) for v in table["variable"]],
            "Model": list(table["model"]),
            or_name: [format_odds_ratio(v) for v in table["published_odds_ratio"]],
            "Exposed controls (%)": [format_percent(100 * v) for v in table["p0"]],
            f"Power at {at_or}": [
                format_number(100 * v, 0) + "%" for v in table["power_published"]
            ],
            "Power at OR 2": [format_number(100 * v, 0) + "%" for v in table["power_or_2"]],
            "Detectable OR (80%)": [format_odds_ratio(v) for v in table["detectable_or_80"]],
            f"Total n for 80% at {at_or}": [
                str(int(v)) if np.isfinite(v) else "NA" for v in table["n_total_80"]
            ],
        }
    )
    out.table(
        "power",
        table,
        gt_table(
            shown,
            "tbl_power",
            notes=[
                "Two-sided alpha from the study design; Fleiss formula with the "
                f"{ratio_text} control:case ratio; {p0_source}."
            ],
        ),
    )
    power_rows: Any = table.itertuples(index=False)
    for row in power_rows:
        key = f"{row.model}.{row.variable}"
        out.add(
            f"{key}.power_published",
            float(row.power_published),
            format_number(100 * float(row.power_published), 0),
            f"power (%) at the {'fitted' if inputs.author else 'published'} {row.model} OR "
            f"of {row.variable}",
        )
        out.add(
            f"{key}.power_or_2",
            float(row.power_or_2),
            format_number(100 * float(row.power_or_2), 0),
            f"power (%) to detect OR 2 for {row.variable}",
        )
        out.add(
            f"{key}.detectable_or_80",
            float(row.detectable_or_80),
            format_odds_ratio(float(row.detectable_or_80)),
            f"smallest OR of {row.variable} detectable with 80% power",
        )
    under = table[(table["model"] == "univariable") & (table["power_or_2"] < 0.8)]
    n_cases = int((inputs.data[inputs.outcome] == 1).sum())
    n_controls = int((inputs.data[inputs.outcome] == 0).sum())
    design_cases = n_cases if inputs.author else int(inputs.study.groups["case"])
    design_controls = n_controls if inputs.author else int(inputs.study.groups["control"])
    out.add("design_n_cases", design_cases, str(design_cases), "cases of the design powered")
    out.add("design_n_controls", design_controls, str(design_controls), "controls of that design")
    out.add(
        "n_underpowered_or_2",
        len(under),
        str(len(under)),
        "univariable factors with under 80% power for OR 2",
    )
    n_candidates = len([c for c in inputs.study.candidates if c in inputs.data.columns])
    if inputs.author:
        # the author's own final model: its terms, not the published model's
        if "multivariable" in inputs.upstream:
            n_entered = len(inputs.upstream["multivariable"]["table"])
        else:
            n_entered = 0
    else:
        n_entered = len(inputs.study.multivariable_terms)
    for name, parameters in (("candidates", n_candidates), ("entered", n_entered)):
        if parameters and n_cases and n_controls:
            epv = power.events_per_variable(n_cases, n_controls, parameters)
            out.add(
                f"epv_{name}",
                epv,
                format_number(epv, 1),
                f"events per variable with the {name} as parameters",
            )
    return out


SECTION = Section(
    "power",
    _compute,
    uses=("univariable", "multivariable"),
    modules={"neok2.stats.power": ("study_power", "events_per_variable", "power_case_control")},
)
