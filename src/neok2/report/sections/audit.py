"""The audit of the paper's printed numbers."""

from __future__ import annotations

from neok2.report.prose import CHECK_FAMILIES, humanize
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import claim_names
from neok2.report.tables import gt_table


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("audit", data_source=inputs.data_source)
    audit = inputs.module("neok2.audit.run")
    result = audit.audit_study(inputs.study)
    out.export("checks", result.checks)
    findings = result.tidy()
    findings = findings[findings["severity"].isin(["error", "warning"])].reset_index(drop=True)
    shown = findings[["check", "location", "reported", "recomputed", "severity", "message"]].copy()
    names = claim_names(inputs.study)
    shown["check"] = [CHECK_FAMILIES.get(str(c), str(c).replace("_", " ")) for c in shown["check"]]
    for column in ("location", "message", "reported", "recomputed"):
        shown[column] = [humanize(str(t), inputs.labels, names) for t in shown[column]]
    gt = (
        gt_table(
            shown.rename(
                columns={
                    "location": "Where",
                    "reported": "Printed",
                    "recomputed": "Recomputed",
                    "severity": "Severity",
                    "message": "Finding",
                }
            ),
            "tbl_audit",
            notes=[
                "Notes (rounding by truncation, untestable p-values) are "
                "counted in the text but not listed."
            ],
        )
        .tab_stub(groupname_col="check")
        .cols_width(
            {
                "Where": "22%",
                "Printed": "14%",
                "Recomputed": "18%",
                "Severity": "8%",
                "Finding": "38%",
            }
        )
    )
    out.table("audit", result.tidy(include_passed=True), gt)
    summary = result.summary()
    for record in summary.to_dict(orient="records"):
        family = str(record["check"])
        for column in ("n_checks", "n_ok", "n_note", "n_warning", "n_error"):
            count = int(record[column])
            out.add(
                f"{family}.{column}",
                count,
                str(count),
                f"audit checks of family {family}: {column[2:]}",
            )
    text_errors = result.checks[
        (result.checks["check"] == "text_claim") & (result.checks["severity"] == "error")
    ]
    out.add(
        "text_claim_errors",
        list(text_errors["location"]),
        str(len(text_errors)),
        "figures of the text that Table 1 contradicts",
    )
    return out


SECTION = Section("audit", _compute, modules={"neok2.audit.run": ("audit_study",)})
