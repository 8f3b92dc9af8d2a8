"""Table 1 rebuilt from the data, with its p-values and cell summaries."""

from __future__ import annotations

import math

from neok2.formatting import format_number, format_p, format_percent
from neok2.report.prose import list_phrase, p_phrase, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import case_rule, journal_style_of
from neok2.study.factors import table1_layout

# each test of neok2.stats.baseline.TESTS as running text names it
TEST_PHRASES = {
    "student_t": "Student's t-test",
    "welch_t": "Welch's t-test",
    "mann_whitney": "the Mann-Whitney U test",
    "chisq": "the chi-square test",
    "chisq_yates": "the chi-square test with Yates' correction",
    "fisher": "Fisher's exact test",
    "fisher_simulated": "Fisher's exact test with a simulated p-value",
}


def group_size_label(n: int) -> str:
    """``"(n = N)"`` joined by non-breaking spaces, so that a header never splits it.

    Examples
    --------
    >>> group_size_label(59) == "(n\u00a0=\u00a059)"
    True
    """
    return f"(n\u00a0=\u00a0{n})"


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("baseline", data_source=inputs.data_source)
    baseline = inputs.module("neok2.stats.baseline")
    study, data = inputs.study, inputs.data
    rows = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    labels = dict(inputs.labels)
    layout = table1_layout(study, data)
    frame, variables, summary = layout.frame, list(layout.variables), dict(layout.summary)
    for band_name, variable in layout.bands.items():
        labels[band_name] = f"{labels.get(variable, variable)}, band"
    missing_outcome = int(frame[inputs.outcome].isna().sum())
    result = baseline.baseline_table(
        frame,
        inputs.outcome,
        variables=variables,
        summary=summary,
        labels={v: labels.get(v, v) for v in variables},
        group_order=[1, 0],
        group_labels={1: "case", 0: "control"},
        seed=inputs.seed,
    )
    tidy = result.tidy()
    gt = result.to_gt(
        headers={group: study.group_labels[group] for group in ("case", "control")},
        table_id="tbl_baseline",
        style=journal_style_of(study),
    )
    from great_tables import loc, style

    # display only: "(n = 200)" never splits over lines, nor does a test's name ("Chi-square")
    gt = gt.cols_label(
        cases={
            group: f"{study.group_labels[group]} {group_size_label(int(result.group_n[group]))}"
            for group in ("case", "control")
        }
    ).tab_style(style.css("white-space: nowrap"), loc.body(columns="test"))
    out.table("baseline", tidy, gt)
    out.export("table", tidy)
    out.add(
        "n_missing_outcome",
        missing_outcome,
        str(missing_outcome),
        "rows left out of Table 1 because case/control status is missing",
    )
    alpha = float(study.design.get("alpha", 0.05))
    group_sizes = {
        "case": int((frame[inputs.outcome] == 1).sum()),
        "control": int((frame[inputs.outcome] == 0).sum()),
    }
    # a categorical or ordinal row has no head row of its own: its first level carries the p
    levelled = [
        v
        for v, kind in zip(rows["variable"], rows["summary"], strict=True)
        if kind in ("categorical", "ordinal")
    ]
    heads = tidy[(tidy["level"] == "") | tidy["variable"].isin(levelled)]
    significant: list[str] = []
    for variable, block in heads.groupby("variable", sort=False):
        variable = str(variable)
        first = block.iloc[0]
        p_value = float(first["p_value"])
        out.add(
            f"{variable}.p_value",
            p_value,
            format_p(p_value),
            f"Table 1 p-value of {variable} ({first['test']})",
        )
        out.add(
            f"{variable}.p_phrase",
            p_value,
            p_phrase(p_value),
            f"Table 1 p-value of {variable}, as a phrase",
        )
        if not math.isnan(p_value) and p_value < alpha and variable in inputs.labels:
            significant.append(variable)
        if variable in levelled:
            continue  # its counts are in the table, one row per level
        cells = {group: block[block["group"] == group].iloc[0] for group in ("case", "control")}
        if first["summary"] == "n_percent":
            for group, cell in cells.items():
                out.add(
                    f"{variable}.{group}_n",
                    int(cell["n"]),
                    str(int(cell["n"])),
                    f"{group}s with {variable}",
                )
                out.add(
                    f"{variable}.{group}_percent",
                    float(cell["percent"]),
                    format_percent(
                        float(cell["percent"]),
                        group_sizes[group],
                        style=journal_style_of(study),
                    ),
                    f"percentage of {group}s with {variable}",
                )
        elif first["summary"] == "mean_sd":
            for group, cell in cells.items():
                out.add(
                    f"{variable}.{group}_mean",
                    float(cell["mean"]),
                    format_number(float(cell["mean"]), 2),
                    f"mean {variable}, {group}s",
                )
        else:
            for group, cell in cells.items():
                out.add(
                    f"{variable}.{group}_median",
                    float(cell["median"]),
                    format_number(float(cell["median"]), 2),
                    f"median {variable}, {group}s",
                )
    # the tests this table ran, in the order of its rows, for the methods paragraph
    tests = list(dict.fromkeys(str(test) for test in heads["test"] if isinstance(test, str)))
    out.add(
        "tests",
        tests,
        list_phrase([TEST_PHRASES.get(test, test) for test in tests]),
        "the tests of the rebuilt Table 1, in row order",
    )
    # the variable that defines case status differs between the groups by construction
    rule = case_rule(study)[1]
    defining = rule[0] if rule is not None else ""
    out.add(
        "significant",
        significant,
        prose_list([v for v in significant if v != defining], inputs.labels),
        f"Table 1 variables with p < {alpha:g}, apart from the one defining case status",
    )
    return out


SECTION = Section("baseline", _compute, modules={"neok2.stats.baseline": ("baseline_table",)})
