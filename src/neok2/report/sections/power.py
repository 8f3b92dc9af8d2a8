"""Power of the published design at the published odds ratios."""

from __future__ import annotations

import pandas as pd

from neok2.formatting import format_number, format_odds_ratio, format_percent
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.tables import gt_table


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("power", data_source=inputs.data_source)
    power = inputs.module("neok2.stats.power")
    table = power.study_power(inputs.study)
    shown = pd.DataFrame(
        {
            "Factor": [inputs.labels.get(v, v) for v in table["variable"]],
            "Model": list(table["model"]),
            "Published OR": [format_odds_ratio(v) for v in table["published_odds_ratio"]],
            "Exposed controls (%)": [format_percent(100 * v) for v in table["p0"]],
            "Power at published OR": [
                format_number(100 * v, 0) + "%" for v in table["power_published"]
            ],
            "Power at OR 2": [format_number(100 * v, 0) + "%" for v in table["power_or_2"]],
            "Detectable OR (80%)": [format_odds_ratio(v) for v in table["detectable_or_80"]],
            "Total n for 80% at published OR": [str(int(v)) for v in table["n_total_80"]],
        }
    )
    out.table(
        "power",
        table,
        gt_table(
            shown,
            "tbl_power",
            notes=[
                "Two-sided alpha from the study design; Fleiss formula with the study's "
                f"{inputs.study.groups['control']}:{inputs.study.groups['case']} "
                "control:case ratio; "
                "the share of exposed controls comes from the published control counts."
            ],
        ),
    )
    for row in table.itertuples(index=False):
        key = f"{row.model}.{row.variable}"
        out.add(
            f"{key}.power_published",
            float(row.power_published),
            format_number(100 * float(row.power_published), 0),
            f"power (%) at the published {row.model} OR of {row.variable}",
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
    out.add(
        "n_underpowered_or_2",
        len(under),
        str(len(under)),
        "univariable factors with under 80% power for OR 2",
    )
    n_cases = int((inputs.data[inputs.outcome] == 1).sum())
    n_controls = int((inputs.data[inputs.outcome] == 0).sum())
    n_candidates = len([c for c in inputs.study.candidates if c in inputs.data.columns])
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
    "power", _compute, modules={"neok2.stats.power": ("study_power", "events_per_variable")}
)
