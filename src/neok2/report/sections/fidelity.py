"""Published beside rebuilt: every published number against the data."""

from __future__ import annotations

import pandas as pd

from neok2.formatting import format_p
from neok2.report.comparison import KEPT, VERDICTS, classify_comparison
from neok2.report.prose import humanize
from neok2.report.section import SYNTHETIC_NOTE, Section, SectionInputs, SectionOutput
from neok2.report.sections._common import claim_names, require_unmatched, term_labels
from neok2.report.tables import compact_number, compact_published, gt_table, printed_p_values

_STATISTICS = {
    "n": "n",
    "count": "count",
    "percent": "%",
    "mean": "mean",
    "sd": "SD",
    "median": "median",
    "q1": "Q1",
    "q3": "Q3",
    "p_value": "p",
    "odds_ratio": "OR",
    "ci_low": "lower 95% limit",
    "ci_high": "upper 95% limit",
    "selected": "passes the screen",
    "p (multivariable)": "adjusted p",
    "present": "column present",
}
_P_STATISTICS = {"p_value", "p (multivariable)"}


def _compute(inputs: SectionInputs) -> SectionOutput:
    require_unmatched(
        inputs, "the rebuilt published tables come from unconditional models that ignore the sets"
    )
    out = SectionOutput("fidelity", data_source=inputs.data_source)
    fidelity = inputs.module("neok2.synth.fidelity")
    report = fidelity.fidelity_report(inputs.study, inputs.data).tidy()
    sources = {
        "table1": "Table 1",
        "table1_bin": "Table 1 band",
        "table1_level": "Table 1",
        "table1_test": "Table 1 test",
        "text_claim": "Text",
        "univariable": "Table 2",
        "multivariable": "Model",
        "screen": "Screen",
        "definition": "Definition",
    }
    names = {
        inputs.outcome: "Cases",
        **term_labels(inputs.study, inputs.labels),
        **claim_names(inputs.study),
    }
    items = [
        " · ".join(
            part
            for part in (
                sources.get(str(src), str(src)),
                names.get(str(var), str(var)),
                "" if str(group) == "all" else str(group),
                str(level),
                _STATISTICS.get(str(stat), humanize(str(stat), inputs.labels)),
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
    judged = classify_comparison(report, inputs.study)
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
                format_p(x) if str(stat) in _P_STATISTICS and pd.notna(x) else compact_number(x)
                for x, stat in zip(report["synthetic"], report["statistic"], strict=True)
            ],
            "Verdict": list(judged["verdict"]),
        }
    )
    caption = SYNTHETIC_NOTE if inputs.data_source == "synthetic" else ""
    gt = gt_table(
        shown,
        "tbl_fidelity",
        notes=[
            "Reproduced: counts equal; percentages, means, SDs, quartiles, odds ratios and CI "
            "limits round to the printed value; the printed p-value's precision covers the "
            "rebuilt one (0.019 covers 0.0185 to 0.0195). Kept inconsistent: the paper "
            "contradicts itself and the rebuild keeps one side (see the next table). "
            "Differs: neither.",
            *([caption] if caption else []),
        ],
    )
    out.table("fidelity", judged, gt)
    kept = judged[judged["verdict"] == KEPT]
    kept_shown = pd.DataFrame(
        {
            "Published number": [items[i] for i in kept.index],
            "Printed": [compact_number(x) for x in kept["published"]],
            "Rebuilt": [
                format_p(x) if str(stat) in _P_STATISTICS and pd.notna(x) else compact_number(x)
                for x, stat in zip(kept["synthetic"], kept["statistic"], strict=True)
            ],
            "Side kept and why": list(kept["reason"]),
        }
    )
    out.table(
        "kept_inconsistent",
        kept[
            [
                "source",
                "variable",
                "group",
                "level",
                "statistic",
                "published",
                "synthetic",
                "reason",
            ]
        ],
        gt_table(
            kept_shown,
            "tbl_kept",
            notes=[
                "Where the paper contradicts itself, the rebuild follows Table 1 (or, for a "
                "spread that must be a standard error, the printed p-value); the same rules "
                "drive the synthetic generator and are listed in its compromises table.",
                *([caption] if caption else []),
            ],
        ).cols_width(
            {
                "Published number": "26%",
                "Printed": "9%",
                "Rebuilt": "9%",
                "Side kept and why": "56%",
            }
        ),
    )
    counts = judged["verdict"].value_counts()
    n_total = len(judged)
    out.add("n_published", n_total, str(n_total), "published numbers compared")
    for verdict in VERDICTS:
        key = "n_" + verdict.replace(" ", "_")
        count = int(counts.get(verdict, 0))
        out.add(key, count, str(count), f"published numbers judged {verdict}")
    n_checked = n_total - int(counts.get("not checkable", 0))
    out.add("n_checked", n_checked, str(n_checked), "published numbers that could be judged")
    return out


SECTION = Section(
    "fidelity",
    _compute,
    modules={
        "neok2.synth.fidelity": ("fidelity_report", "fidelity_gt", "NOT_SIGNIFICANT_STATISTIC")
    },
)
