"""Limitations as a few grouped paragraphs, each sentence carrying its number.

In author mode the list comes from the author's own data and fitted models instead
(:mod:`neok2.report.sections._author_limitations`).

The numbered statements come from :func:`neok2.audit.limitations.study_limitations` (design
facts, events per variable, multiplicity, risk ratios, E-values, confounding by indication);
this section writes them as six paragraphs a reader can follow: design and selection, sample
size and events per variable, screening and multiplicity, confounding by indication,
measurement, and odds ratios and risk (with one compact table instead of one sentence per
odds ratio). Proportions print as percentages throughout.

E-values follow one method for published and rebuilt odds ratios alike: VanderWeele and
Ding's E-value with the risk ratio approximated by the square root of the odds ratio, as
they advise for an outcome more common than about 15% (here about a third of the sample).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from neok2.formatting import format_number, format_percent
from neok2.report.prose import escape_markdown, humanize, in_prose, list_phrase, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._author_limitations import author_limitations
from neok2.report.sections._common import case_rule, term_labels
from neok2.report.tables import gt_table

E_VALUE_METHOD = (
    "E-values use VanderWeele and Ding's formula with the risk ratio approximated by the "
    "square root of the odds ratio, the approximation for an outcome as common as this one; "
    "the same method is applied to the published and the rebuilt odds ratios"
)


def _statements(items: pd.DataFrame, topic: str) -> list[str]:
    return [str(s) for s in items.loc[items["topic"] == topic, "statement"]]


def _values(items: pd.DataFrame, topic: str) -> list[float]:
    return [float(v) for v in items.loc[items["topic"] == topic, "value"]]


def _percent(share: float) -> str:
    return f"{format_percent(100 * share)}%"


def _e_value_pair(limitations: Any, odds_ratio: float, low: float, high: float) -> str:
    """``"E (E for the CI limit)"`` with the square-root approximation."""
    if not all(math.isfinite(v) and v > 0 for v in (odds_ratio, low, high)):
        return "not estimable"
    point = limitations.e_value(odds_ratio, common_outcome=True)
    nearer = low if odds_ratio >= 1 else high
    limit = 1.0 if low <= 1 <= high else limitations.e_value(nearer, common_outcome=True)
    return f"{format_number(point, 2)} ({format_number(limit, 2)})"


def _risk_table(study: Any, items: pd.DataFrame, labels: dict[str, str]) -> list[str]:
    """A pipe table: factor, model, published OR, unexposed risk, approximate risk ratio.

    The factor and model come from the spec's labels, so they are escaped for markdown.
    """
    statements = _statements(items, "odds ratio read as risk")
    risks = _values(items, "odds ratio read as risk")
    lines = [
        "| Factor | Model | Published OR | Risk among the unexposed | Approximate risk ratio |",
        "|:--|:--|--:|--:|--:|",
    ]
    pattern = re.compile(
        r"The (\w+) OR of ([0-9.]+) for (.+?) corresponds .*unexposed risk of ([0-9.]+)%"
    )
    for statement, risk_ratio in zip(statements, risks, strict=True):
        match = pattern.match(statement)
        if match is None:
            continue
        model, odds_ratio, label, baseline = match.groups()
        lines.append(
            f"| {escape_markdown(label)} | {escape_markdown(model)} | {odds_ratio} | "
            f"{format_percent(float(baseline))}% | "
            f"{format_number(risk_ratio, 2)} |"
        )
    return lines if len(lines) > 2 else []


def _events_sentence(events: int, final: float, n_candidates: int, pool: float) -> str:
    """Events per variable of the final model and of the candidate pool against 10.

    The conjunction follows the numbers: "but ... only" when the pool alone falls short,
    "above" when neither does.

    Examples
    --------
    >>> _events_sentence(59, 8.4, 8, 7.4)[19:]
    'final model had only 8.4 events per variable and the pool of 8 candidates 7.4, below ...'
    >>> _events_sentence(83, 41.5, 2, 41.5)[19:]
    'final model had 41.5 events per variable and the pool of 2 candidates 41.5, above ...'
    >>> _events_sentence(66, 13.2, 8, 8.2)[19:]
    'final model had 13.2 events per variable but the pool of 8 candidates only 8.2, below ...'
    """
    head = f"With {events} cases, the final model had "
    final_text, pool_text = format_number(final, 1), format_number(pool, 1)
    pool_words = f"the pool of {n_candidates} candidates"
    if final >= 10 and pool >= 10:
        return (
            f"{head}{final_text} events per variable and {pool_words} {pool_text}, above the "
            "common minimum of 10"
        )
    if final >= 10:
        return (
            f"{head}{final_text} events per variable but {pool_words} only {pool_text}, below "
            "the common minimum of 10"
        )
    if pool < 10:
        return (
            f"{head}only {final_text} events per variable and {pool_words} {pool_text}, below "
            "the common minimum of 10"
        )
    return (
        f"{head}only {final_text} events per variable, below the common minimum of 10, "
        f"though {pool_words} had {pool_text}"
    )


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("limitations", data_source=inputs.data_source)
    if inputs.author:
        # the author's own study: every statement from the data and its fitted models
        items = author_limitations(inputs)
        # one paragraph per topic, as the replication's limitations read, in order of first
        # appearance: a topic with a statement per term gathers them
        topics: dict[str, list[str]] = {}
        for row in items.itertuples():
            topics.setdefault(str(row.topic), []).append(escape_markdown(str(row.statement)))
        out.text(
            "limitations",
            "\n\n".join(
                f"**{escape_markdown(topic[:1].upper() + topic[1:])}.** {' '.join(statements)}"
                for topic, statements in topics.items()
            ),
        )
        out.table("limitations", items, gt_table(items[["topic", "statement"]], "tbl_limitations"))
        out.add("n_items", len(items), str(len(items)), "limitations listed")
        return out
    limitations = inputs.module("neok2.audit.limitations")
    study = inputs.study
    labels = dict(inputs.labels)
    simulation = inputs.upstream.get("simulation", {}).get("summary")
    result = limitations.study_limitations(
        study, simulation=simulation, indications=dict(study.indications)
    )
    items = result.tidy()
    items["statement"] = [humanize(str(t), labels) for t in items["statement"]]

    def plain(text: str) -> str:
        """Plain text (statements, labels, numbers) as markdown; only the markup below is not."""
        return escape_markdown(humanize(text, labels))

    alpha = float(study.design.get("alpha", 0.05))
    paragraphs: list[str] = []

    # the risk-ratio reading belongs with the sensitivity analysis: a design that leaves it
    # out (a matched one) gets no sentence pointing at risk ratios
    risk_ratios = "sensitivity" in inputs.upstream

    # 1. design and selection: the facts the spec states, and nothing when it states none
    design = " ".join(_statements(items, "design"))
    baseline = " ".join(_statements(items, "baseline risk")) if risk_ratios else ""
    baseline = re.sub(r"(\d+\.\d)%", lambda m: f"{format_percent(float(m.group(1)))}%", baseline)
    if f"{design} {baseline}".strip():
        paragraphs.append(f"**Design and selection.** {plain(f'{design} {baseline}'.strip())}")
    matching = study.design.get("matching")
    if matching is not None:
        on = [str(name) for name in matching.get("variables", ())]
        matched_on = f" on {prose_list(on, labels)}" if on else ""
        paragraphs.append(
            "**Matching.** "
            + plain(
                f"Controls were matched to cases{matched_on}, so the conditional models "
                "estimate no effect of the matching variables, and matching on a factor "
                "that is not a confounder (overmatching) costs precision without removing bias."
            )
        )

    # 2. sample size and events per variable
    epv = _values(items, "events per variable (final model)")
    epv_pool = _values(items, "events per variable (candidate pool)")
    events = min(study.groups.values())
    sentences = [
        plain(_events_sentence(events, epv[0], len(study.candidates), epv_pool[0]))
        + " [@peduzzi1996]."
        if epv and epv_pool
        else ""
    ]
    if "simulation" in inputs.upstream:
        power = inputs.upstream["simulation"]["power"]
        parts = [
            f"{in_prose(labels.get(str(v), str(v)))} in {_percent(float(p))}"
            for v, p in zip(power["variable"], power["power"], strict=True)
        ]
        if parts:
            sentences.append(
                plain(
                    "In simulated studies of the published size, the whole pipeline found "
                    f"{list_phrase(parts)} of replicates significant after adjustment."
                )
            )
    paragraphs.append(
        "**Sample size and events per variable.** " + " ".join(s for s in sentences if s)
    )

    # 3. screening and multiplicity
    tests = study.table1[(study.table1["level"] == "") & (study.table1["group"] == "case")]
    tests = tests[tests["p_printed"] != ""]
    sentences = []
    if len(tests):
        familywise = 1 - (1 - alpha) ** len(tests)
        sentences.append(
            f"Table 1 reports {len(tests)} tests; with no true difference "
            f"{format_number(len(tests) * alpha, 1)} would fall below p = {alpha:g} by chance, "
            f"and the chance of at least one is {_percent(familywise)}."
        )
    threshold = study.screening_threshold
    sentences.append(
        f"Screening {len(study.candidates)} candidates at p < {threshold:g} lets "
        f"{format_number(len(study.candidates) * threshold, 1)} through by chance alone; "
        "the factors it keeps are those whose estimates happened to be large, so their odds "
        "ratios are biased away from 1 and their intervals and p-values ignore the selection."
    )
    if "simulation" in inputs.upstream:
        power = inputs.upstream["simulation"]["power"]
        false_inclusion = float(power["false_inclusion_mean"].iloc[0]) if len(power) else math.nan
        if math.isfinite(false_inclusion):
            sentences.append(
                f"In the simulation a null candidate ended up significant in "
                f"{_percent(false_inclusion)} of replicates."
            )
    paragraphs.append("**Screening and multiplicity.** " + plain(" ".join(sentences)))

    # 4. confounding by indication, with E-values
    indication = " ".join(
        s.rstrip(".") + "." for s in _statements(items, "confounding by indication")
    )
    e_rows = []
    rebuilt = inputs.upstream.get("multivariable", {})
    rebuilt_table = rebuilt.get("table") if rebuilt else None
    shown_labels = term_labels(study, labels)
    for record in study.multivariable.to_dict(orient="records"):
        variable = str(record["variable"])
        level = str(record.get("level") or "")
        # a level of a factor is its own model term: race[T.Black] against race[Black]
        term, key = (f"{variable}[T.{level}]", f"{variable}[{level}]") if level else (variable,) * 2
        published = _e_value_pair(
            limitations,
            float(record["odds_ratio"]),
            float(record["ci_low"]),
            float(record["ci_high"]),
        )
        mine = "not estimated"
        if rebuilt_table is not None and term in set(rebuilt_table["term"]):
            row = rebuilt_table[rebuilt_table["term"] == term].iloc[0]
            mine = _e_value_pair(
                limitations, float(row["odds_ratio"]), float(row["ci_low"]), float(row["ci_high"])
            )
        e_rows.append(
            f"{in_prose(shown_labels.get(key, variable))} {published} published, {mine} rebuilt"
        )
    # the outcome in words: the name of the definition that makes a case, else generic
    case_name = case_rule(study)[0]
    outcome_word = case_name.replace("_", " ") if case_name else "the outcome"
    text = "**Confounding by indication.** "
    if indication:
        text += plain(indication.replace(" (week)", "")) + " "
    text += f"{plain(E_VALUE_METHOD)} [@vanderweele2017]. " + plain(
        "The E-values (for the confidence limit nearer 1 in brackets) are: "
        f"{list_phrase(e_rows)}; an unmeasured confounder would need associations of "
        f"that strength with both exposure and {outcome_word} to explain an estimate away."
    )
    paragraphs.append(text)

    # 5. measurement (and the report's own arithmetic)
    sentences = []
    if "audit" in inputs.upstream:
        checks = inputs.upstream["audit"]["checks"]
        errors = checks[checks["severity"] == "error"]
        sentences.append(
            f"{len(errors)} of {len(checks)} published numbers that can be recomputed from "
            "others disagree with them beyond rounding (listed in the audit table); "
            + (
                "where they conflict, the synthetic cohort follows Table 1."
                if inputs.data_source == "synthetic"
                else "they concern the published report, not the analysed data."
            )
        )
    if inputs.data_source == "synthetic":
        sentences.append(
            "Every measurement in this rebuild is generated; none was observed, so measurement "
            "error in the original assay and records cannot be assessed here."
        )
    paragraphs.append("**Measurement.** " + plain(" ".join(sentences)))

    # 6. odds ratios and risk
    table = _risk_table(study, items, labels) if risk_ratios else []
    paragraphs.append(
        f"**Odds ratios and risk.** With {_percent(study.groups['case'] / study.n)} of the "
        "sample being cases, an odds ratio overstates the risk ratio it is often read as: "
        "the published odds ratios correspond "
        "to the approximate risk ratios below [@zhang1998], each smaller than its odds ratio."
        if table
        else "**Odds ratios and risk.** Odds ratios of a common outcome overstate risk ratios."
    )
    markdown = "\n\n".join(paragraphs)
    if table:
        markdown += "\n\n" + "\n".join(table) + "\n"
    out.text("limitations", markdown)
    out.table(
        "limitations",
        items,
        gt_table(
            items[["topic", "statement"]].rename(
                columns={"topic": "Topic", "statement": "Statement"}
            ),
            "tbl_limitations",
        ),
    )
    out.add("n_items", len(items), str(len(items)), "limitations listed")
    return out


SECTION = Section(
    "limitations",
    _compute,
    uses=("audit", "simulation", "baseline", "univariable", "multivariable", "sensitivity"),
    modules={"neok2.audit.limitations": ("study_limitations", "e_value")},
)
