"""Published beside rebuilt: every published number against the data."""

from __future__ import annotations

import pandas as pd

from neok2.formatting import format_number, format_p
from neok2.report.section import Section, SectionInputs, SectionOutput, percent
from neok2.report.tables import compact_number, compact_published, gt_table, printed_p_values


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("fidelity")
    fidelity = inputs.module("neok2.synth.fidelity")
    report = fidelity.fidelity_report(inputs.study, inputs.data).tidy()
    sources = {
        "table1": "Table 1",
        "table1_bin": "Table 1 band",
        "table1_test": "Table 1 test",
        "text_claim": "Text",
        "univariable": "Table 2",
        "multivariable": "Model",
        "screen": "Screen",
        "definition": "Definition",
    }
    items = [
        " · ".join(
            part
            for part in (
                sources.get(str(src), str(src)),
                inputs.labels.get(str(var), str(var)),
                str(group),
                str(level),
                str(stat),
            )
            if part and part != "nan"
        )
        for src, var, group, level, stat in zip(
            report["source"],
            report["variable"],
            report["group"],
            report["level"],
            report["statistic"],
            strict=True,
        )
    ]
    agrees = ["n/a" if pd.isna(ok) else ("yes" if ok else "NO") for ok in report["ok"]]
    printed_p = printed_p_values(inputs.study)
    shown = pd.DataFrame(
        {
            "Published number": items,
            "Published": [
                # a term the text did not call independent: its p was only bounded below
                f"≥ {compact_number(x)} (not reported)"
                if str(stat) == fidelity.NOT_SIGNIFICANT_STATISTIC
                else compact_published(
                    x, printed_p.get((str(src), str(var))) if str(stat) == "p_value" else None
                )
                for x, stat, src, var in zip(
                    report["published"],
                    report["statistic"],
                    report["source"],
                    report["variable"],
                    strict=True,
                )
            ],
            "Rebuilt": [
                format_p(x) if str(stat) == "p_value" and pd.notna(x) else compact_number(x)
                for x, stat in zip(report["synthetic"], report["statistic"], strict=True)
            ],
            "Agrees": agrees,
        }
    )
    gt = gt_table(
        shown,
        "tbl_fidelity",
        notes=[
            "Counts must be equal; percentages, means, SDs and quartiles must round to the "
            "printed value; odds ratios within 5% and CI limits within 10% on the log scale; "
            "p-values on the published side of alpha. n/a: nothing to check."
        ],
    )
    out.table("fidelity", report, gt)
    checked = report[report["ok"].notna()]
    n_checked = len(checked)
    n_ok = int(checked["ok"].astype(bool).sum())
    out.add("n_published", len(report), str(len(report)), "published numbers compared")
    out.add("n_checked", n_checked, str(n_checked), "of them checkable against the data")
    out.add("n_ok", n_ok, str(n_ok), "rebuilt values within the stated tolerance")
    share = percent(n_ok, n_checked)
    out.add("ok_percent", share, format_number(share, 1), "percentage within tolerance")
    failed = checked[~checked["ok"].astype(bool)]
    out.add("n_failed", len(failed), str(len(failed)), "rebuilt values outside tolerance")
    for source, block in checked.groupby("source", sort=False):
        passed = int(block["ok"].astype(bool).sum())
        out.add(
            f"{source}.n_checked", len(block), str(len(block)), f"checked numbers from {source}"
        )
        out.add(f"{source}.n_ok", passed, str(passed), "of them within tolerance")
    return out


SECTION = Section(
    "fidelity",
    _compute,
    modules={
        "neok2.synth.fidelity": ("fidelity_report", "fidelity_gt", "NOT_SIGNIFICANT_STATISTIC")
    },
)
