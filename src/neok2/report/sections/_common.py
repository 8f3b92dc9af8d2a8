"""Helpers shared by several sections: definition rules and odds-ratio values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neok2.formatting import (
    format_ci,
    format_odds_ratio,
    format_p,
    journal_style,
    odds_ratio_digits,
)
from neok2.report.prose import or_phrase, prose_list
from neok2.report.section import SectionInputs, SectionOutput, SectionUnavailable
from neok2.study.factors import factor_variables, levelled_column, levels_of, model_data
from neok2.study.spec import Study

__all__ = [
    "add_odds_ratio",
    "add_variables",
    "case_rule",
    "claim_names",
    "factor_variables",
    "journal_style_of",
    "levelled_column",
    "levels_of",
    "matched_set_column",
    "measurement_variable",
    "model_data",
    "require_unmatched",
    "strata_columns",
    "term_key",
    "term_labels",
    "threshold_rule",
]


def term_key(term: str) -> str:
    """A model term as the spec names it: ``race[T.Black]`` -> ``race[Black]``.

    Examples
    --------
    >>> term_key("race[T.Black]"), term_key("smoke")
    ('race[Black]', 'smoke')
    """
    return term.replace("[T.", "[", 1)


def matched_set_column(inputs: SectionInputs) -> str | None:
    """The matched-set column of a matched design, checked to be in the data; else None."""
    name = inputs.study.matched_set
    if name is not None and name not in inputs.data.columns:
        raise SectionUnavailable(
            f"the data lack the matched-set column {name!r} that design.matching.set names"
        )
    return name


def strata_columns(inputs: SectionInputs) -> list[str]:
    """The stratification columns of the design (``design.strata``), checked to be in the data."""
    missing = [name for name in inputs.study.strata if name not in inputs.data.columns]
    if missing:
        raise SectionUnavailable(
            f"the data lack the stratification column(s) {', '.join(missing)} that "
            "design.strata names"
        )
    return list(inputs.study.strata)


def require_unmatched(inputs: SectionInputs, why: str) -> None:
    """Leave a section out of a matched design with one sentence: ``why`` it does not apply."""
    if inputs.study.matched_set is not None:
        raise SectionUnavailable(f"the design is matched, and {why}")


def term_labels(study: Study, labels: Mapping[str, str]) -> dict[str, str]:
    """Display labels of the per-level terms: ``race[Black]`` -> ``Race: Black``."""
    shown = dict(labels)
    for variable in factor_variables(study):
        levels, _ = levels_of(study, variable)
        for level in levels[1:]:
            shown[f"{variable}[{level}]"] = f"{labels.get(variable, variable)}: {level}"
    return shown


def threshold_rule(study: Study, name: str) -> tuple[str, float] | None:
    """``(variable, cutoff)`` of a ``variable < below`` definition of the study, else None."""
    rule = study.definitions.get(name)
    if not isinstance(rule, Mapping) or "below" not in rule or "variable" not in rule:
        return None
    return str(rule["variable"]), float(rule["below"])


def case_rule(study: Study) -> tuple[str, tuple[str, float] | None]:
    """The definition that makes a subject a case (the one whose ``column`` is the outcome).

    Returns ``(definition name, (variable, cutoff) or None)``; ``("", None)`` if no
    definition sets the outcome column.
    """
    for name, rule in study.definitions.items():
        if isinstance(rule, Mapping) and rule.get("column") == study.outcome:
            return str(name), threshold_rule(study, str(name))
    return "", None


def measurement_variable(study: Study) -> str | None:
    """The continuous variable behind case status: ``report.measurement``, else the case rule's."""
    named = study.report.get("measurement")
    if named:
        return str(named)
    rule = case_rule(study)[1]
    return rule[0] if rule is not None else None


def add_variables(
    out: SectionOutput,
    labels: Mapping[str, str],
    name: str,
    variables: list[str],
    description: str,
    *,
    count_description: str = "number of such terms",
) -> None:
    """A list of variables as a value, and its length as ``n_<name>``."""
    out.add(name, variables, prose_list(variables, labels), description)
    out.add(f"n_{name}", len(variables), str(len(variables)), count_description)


def add_odds_ratio(out: SectionOutput, variable: str, row: Any, model: str) -> None:
    """Odds ratio, CI, p-value and the summary phrase of one model row."""
    odds_ratio, low, high = float(row.odds_ratio), float(row.ci_low), float(row.ci_high)
    p_value = float(row.p_value)
    digits = odds_ratio_digits(odds_ratio, low, high)
    out.add(
        f"{variable}.odds_ratio",
        odds_ratio,
        format_odds_ratio(odds_ratio, digits),
        f"{model} odds ratio of {variable}",
    )
    out.add(f"{variable}.ci", [low, high], format_ci(low, high, digits), "its 95% CI")
    out.add(f"{variable}.p_value", p_value, format_p(p_value), "its p-value")
    out.add(
        f"{variable}.summary",
        odds_ratio,
        or_phrase(odds_ratio, low, high, p_value),
        f"{model} odds ratio, CI and p-value of {variable}",
    )


def claim_names(study: Study) -> dict[str, str]:
    """``claim key -> the words the text printed, quoted`` for every text claim of the study."""
    return {str(name): f"“{claim['printed']}”" for name, claim in study.text_claims.items()}


def journal_style_of(study: Study) -> str:
    """The journal style of the study's ``report.style`` (default ``"ama"``), checked.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> journal_style_of(load_study("k2_neonates"))
    'ama'
    """
    return journal_style(str(study.report.get("style", "ama"))).name


def study_words(study: Study) -> dict[str, tuple[str, str]]:
    """``key -> (text, description)``: what the spec says in words about its study."""
    return {
        "title": (study.title, "the study's title"),
        "source": (study.source, "where the study was published"),
        "population_singular": (study.population["singular"], "noun for one subject"),
        "population_plural": (study.population["plural"], "noun for several subjects"),
        "case_label": (study.group_labels["case"], "the cases' group label"),
        "control_label": (study.group_labels["control"], "the controls' group label"),
        "outcome_definition": (study.outcome_definition, "how case status is defined"),
        "setting": (str(study.design.get("setting", "")), "where the study took place"),
    }
