"""The limitations list: design facts, audit findings and simulated power."""

from __future__ import annotations

import pandas as pd

from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.tables import gt_table


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("limitations", data_source=inputs.data_source)
    limitations = inputs.module("neok2.audit.limitations")
    simulation = inputs.upstream.get("simulation", {}).get("summary")
    # the study's own exposures open to confounding by indication (none: no such item)
    result = limitations.study_limitations(
        inputs.study, simulation=simulation, indications=dict(inputs.study.indications)
    )
    items = result.tidy()
    lines = [result.to_markdown()]
    if "audit" in inputs.upstream:
        checks = inputs.upstream["audit"]["checks"]
        errors = checks[checks["severity"] == "error"]
        families = errors["check"].value_counts()
        described = ", ".join(
            f"{count} in {family.replace('_', ' ')}" for family, count in families.items()
        )
        lines.append(
            f"- **internal consistency of the report**: {len(errors)} of {len(checks)} "
            f"recomputable published numbers disagree with the numbers they derive from "
            f"beyond rounding ({described}); "
            + (
                "where they conflict, the synthetic cohort follows Table 1."
                if inputs.data_source == "synthetic"
                else "these concern the published report, not the analysed data."
            )
        )
        items = pd.concat(
            [
                items,
                pd.DataFrame(
                    [
                        {
                            "topic": "internal consistency of the report",
                            "statement": lines[-1][2:],
                            "value": float(len(errors)),
                            "unit": "findings",
                            "source": "audit",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    text = "\n".join(lines)
    out.text("limitations", text)
    out.table("limitations", items, gt_table(items[["topic", "statement"]], "tbl_limitations"))
    out.add("n_items", len(items), str(len(items)), "limitations listed")
    return out


SECTION = Section(
    "limitations",
    _compute,
    uses=("audit", "simulation"),
    modules={"neok2.audit.limitations": ("study_limitations",)},
)
