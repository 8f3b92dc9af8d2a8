"""Limitations of an author's own study, every number from the data and its fitted models.

The replication-mode list (:func:`neok2.audit.limitations.study_limitations`) describes the
published design: its group sizes, its model's terms and its printed odds ratios. An author's
paper needs the same statements about *their* data: events per variable from their counts
and their final model's terms, the false positives expected among their baseline tests and
screen, their adjusted odds ratios read as risk ratios with E-values, confounding by
indication for the exposures their model kept, and the simulated behaviour of their pipeline.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from neok2.formatting import format_number
from neok2.report.section import SectionInputs
from neok2.report.sections._common import term_labels

__all__ = ["author_limitations"]

_COLUMNS = ["topic", "statement", "value", "unit", "source"]
_RULE_OF_THUMB = 10


def _row(topic: str, statement: str, value: float, unit: str, source: str) -> dict[str, Any]:
    return {"topic": topic, "statement": statement, "value": value, "unit": unit, "source": source}


def _terms_and_variables(table: pd.DataFrame) -> tuple[int, int]:
    """Model terms (degrees of freedom) and the variables they belong to, in a coefficient table.

    Examples
    --------
    >>> _terms_and_variables(pd.DataFrame({"variable": ["age", "age", "smoke"]}))
    (3, 2)
    """
    return len(table), int(table["variable"].nunique())


def _count_phrase(terms: int, variables: int, what: str) -> str:
    """``"11 model terms (3 variables)"``, or ``"2 model terms"`` when each variable is one term.

    Examples
    --------
    >>> _count_phrase(11, 3, "model")
    '11 model terms (3 variables)'
    >>> _count_phrase(1, 1, "candidate")
    '1 candidate term'
    """
    noun = "term" if terms == 1 else "terms"
    head = f"{terms} {what} {noun}"
    if terms == variables:
        return head
    return f"{head} ({variables} {'variable' if variables == 1 else 'variables'})"


def _events_rows(inputs: SectionInputs) -> list[dict[str, Any]]:
    """Events per model term (degree of freedom): a factor with k levels spends k - 1."""
    outcome = inputs.data[inputs.outcome]
    events = int(min((outcome == 1).sum(), (outcome == 0).sum()))
    counts = []
    if "multivariable" in inputs.upstream:
        counts.append(
            (
                "events per variable (final model)",
                *_terms_and_variables(inputs.upstream["multivariable"]["table"]),
                "model",
            )
        )
    if "univariable" in inputs.upstream:
        pool = _terms_and_variables(inputs.upstream["univariable"]["table"])
    else:
        pool = (len(inputs.candidates()),) * 2
    counts.append(("events per variable (candidate pool)", *pool, "candidate"))
    rows = []
    for topic, terms, variables, what in counts:
        if terms:
            ratio = events / terms
            rows.append(
                _row(
                    topic,
                    f"{events} events for {_count_phrase(terms, variables, what)}: "
                    f"{format_number(ratio, 1)} events per term (rule of thumb: at least "
                    f"{_RULE_OF_THUMB}).",
                    ratio,
                    "events per term",
                    "Peduzzi et al. 1996",
                )
            )
    return rows


def _testing_rows(inputs: SectionInputs) -> list[dict[str, Any]]:
    rows = []
    alpha, threshold = inputs.alpha, inputs.study.screening_threshold
    if "baseline" in inputs.upstream:
        table = inputs.upstream["baseline"]["table"]
        heads = table[table["level"] == ""].drop_duplicates("variable")
        p_values = pd.to_numeric(heads["p_value"], errors="coerce").dropna()
        if len(p_values):
            tests = len(p_values)
            rows.append(
                _row(
                    "multiple baseline tests",
                    f"The baseline table holds {tests} tests; with no true differences "
                    f"{format_number(tests * alpha, 2)} would fall below p = {alpha:g} by chance "
                    f"(observed: {int((p_values < alpha).sum())}).",
                    tests * alpha,
                    "expected false positives",
                    "baseline table",
                )
            )
    if "univariable" in inputs.upstream:
        # the screen passes a variable when any of its terms passes, so count variables
        screened = inputs.upstream["univariable"]["table"]
        terms, candidates = _terms_and_variables(screened)
        passed = int(screened.loc[screened["selected"], "variable"].nunique())
        several = terms > candidates
        rows.append(
            _row(
                "univariable screen",
                f"Screening {candidates} candidate "
                f"{'variable' if candidates == 1 else 'variables'}"
                + (
                    f" ({terms} terms; a variable passes when any of its terms does)"
                    if several
                    else ""
                )
                + f" at p < {threshold:g} lets {'at least ' if several else ''}"
                f"{format_number(candidates * threshold, 1)} through by chance alone if none "
                f"matters; {passed} passed. Selection by p keeps the estimates that happened to "
                "be large, so the retained odds ratios lean away from 1 and their intervals "
                "ignore the selection.",
                candidates * threshold,
                "expected false passes",
                "screening threshold",
            )
        )
    return rows


def _effect_rows(inputs: SectionInputs) -> list[dict[str, Any]]:
    if "sensitivity" not in inputs.upstream:
        return []
    rows = []
    table = inputs.upstream["sensitivity"]["table"]
    for record in table.to_dict(orient="records"):
        # a factor's level reads as the tables name it (Age group (years): 35-44)
        label = term_labels(inputs.study, inputs.labels).get(
            str(record["variable"]), str(record["variable"])
        )
        odds_ratio, risk_ratio = float(record["odds_ratio_wald"]), float(record["risk_ratio"])
        if math.isfinite(risk_ratio):
            rows.append(
                _row(
                    "odds ratio read as risk",
                    f"The adjusted OR of {format_number(odds_ratio, 2)} for {label} corresponds "
                    f"to a risk ratio of about {format_number(risk_ratio, 2)} at an unexposed "
                    f"risk of {format_number(100 * float(record['baseline_risk']), 1)}% (the "
                    "sample's, which a case-control design does not estimate).",
                    risk_ratio,
                    "risk ratio",
                    "Zhang & Yu 1998",
                )
            )
        if math.isfinite(float(record["e_value"])):
            rows.append(
                _row(
                    "E-value",
                    f"An unmeasured confounder would need risk ratios of "
                    f"{format_number(float(record['e_value']), 2)} with both exposure and "
                    f"outcome to explain away the adjusted estimate for {label}, and "
                    f"{format_number(float(record['e_value_ci']), 2)} to move its interval to "
                    "include 1.",
                    float(record["e_value"]),
                    "E-value",
                    "VanderWeele & Ding 2017",
                )
            )
    return rows


def _indication_rows(inputs: SectionInputs) -> list[dict[str, Any]]:
    if "multivariable" not in inputs.upstream:
        return []
    model = inputs.upstream["multivariable"]["table"]
    terms = [str(v) for v in model["variable"]]
    rows = []
    for variable, details in inputs.study.indications.items():
        if variable not in terms:
            continue
        odds_ratio = float(model.loc[model["variable"] == variable, "odds_ratio"].iloc[0])
        related = [name for name in details.get("related", ()) if name in inputs.data.columns]
        adjusted = [inputs.labels.get(n, n) for n in related if n in terms]
        missing = [inputs.labels.get(n, n) for n in related if n not in terms]
        rows.append(
            _row(
                "confounding by indication",
                f"{inputs.labels.get(variable, variable)}: given for {details['indication']}, "
                f"{details['consequence']}; its adjusted OR of {format_number(odds_ratio, 2)} "
                f"may reflect the indication (adjusted for: {', '.join(adjusted) or 'none'}; "
                f"not adjusted for: {', '.join(missing) or 'none'}).",
                odds_ratio,
                "odds ratio",
                "clinical plausibility",
            )
        )
    return rows


def _simulation_rows(inputs: SectionInputs) -> list[dict[str, Any]]:
    summary = inputs.upstream.get("simulation", {}).get("summary")
    if summary is None:
        return []
    return [
        _row(
            "p-value screening (simulation)",
            f"{record['measure']}: {format_number(float(record['value']), 3)}.",
            float(record["value"]),
            str(record.get("unit") or ""),
            "neok2.stats.simulation",
        )
        for record in summary.to_dict(orient="records")
        if math.isfinite(float(record["value"]))
    ]


def author_limitations(inputs: SectionInputs) -> pd.DataFrame:
    """The limitations of the analysed data as ``topic, statement, value, unit, source``.

    Reads the exports of the baseline, univariable, multivariable, sensitivity and
    simulation sections when they were computed; nothing comes from the published report.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1, 0], "caesarean": [1, 0, 1, 1, 0]})
    >>> inputs = SectionInputs(data, load_study("k2_neonates"), 1, "real", 1, 1, {})
    >>> author_limitations(inputs)["topic"].tolist()
    ['events per variable (candidate pool)']
    """
    rows = [
        *_events_rows(inputs),
        *_testing_rows(inputs),
        *_effect_rows(inputs),
        *_indication_rows(inputs),
        *_simulation_rows(inputs),
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)
