"""How a study spec's definitions and claims become generation rules and preconditions.

Documented rules (nothing here names a column of a particular study):

* **Outcome range** - the definition named after the outcome column (else the one whose
  ``column`` is the outcome) with ``variable`` and ``below`` puts cases below the threshold
  and controls at or above it; a definition on the same variable with ``low`` and ``high``
  (a normal range) bounds the controls.
* **Threshold column** - a binary dictionary column that Table 1 does not describe and whose
  name equals a definition's name, or ends with ``_<definition name>``, is derived as
  ``variable < below`` from that definition (``preterm``, ``k2_undetectable``).
* **Growth rule** - a definition whose ``rule`` text says "10th centile" (or percentile)
  makes its own name the SGA column: weight (the definition's ``variable``) below the
  INTERGROWTH-21st 10th centile for gestational age and sex. The gestational-age column is
  the definition's ``gestational_age`` key, else the variable of the ``preterm`` definition,
  else the first column measured in weeks; the sex column is its ``sex`` key, else ``male``.
* **Threshold claim** - a text claim counting ``variable < x`` that Table 1 does not fix
  (``x`` is not a bin edge) constrains how many generated values fall below ``x``; the
  count goes to the groups whose range allows such values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from neok2.formatting import matches_printed, parse_cell
from neok2.study.claims import Claim, UnresolvableClaimError, claim_on_table1, parse_claim
from neok2.study.factors import factor_variables
from neok2.study.spec import Study

__all__ = [
    "GrowthRule",
    "ThresholdColumn",
    "check_generation_preconditions",
    "growth_rule",
    "outcome_bounds",
    "per_amount",
    "threshold_claims",
    "threshold_columns",
]


@dataclass(frozen=True)
class GrowthRule:
    """``column`` = ``weight`` below the 10th centile for ``gestational_age`` and ``sex``."""

    column: str
    weight: str
    gestational_age: str
    sex: str


@dataclass(frozen=True)
class ThresholdColumn:
    """``column`` = ``variable < below``."""

    column: str
    variable: str
    below: float


def _dictionary(study: Study) -> dict[str, str]:
    return {column.name: column.type for column in study.columns}


def _table1_variables(study: Study) -> set[str]:
    return set(study.table1["variable"])


def growth_rule(study: Study) -> GrowthRule | None:
    """The spec's SGA rule, if it has one."""
    dictionary = _dictionary(study)
    for name, definition in study.definitions.items():
        rule = str(definition.get("rule", ""))
        if not re.search(r"10(th)?\s*(centile|percentile)", rule, flags=re.IGNORECASE):
            continue
        weeks = [column.name for column in study.columns if column.unit in ("week", "weeks")]
        gestational_age = (
            definition.get("gestational_age")
            or study.definitions.get("preterm", {}).get("variable")
            or (weeks[0] if weeks else None)
        )
        sex = definition.get("sex") or ("male" if "male" in dictionary else None)
        weight = definition.get("variable")
        if not (gestational_age and sex and weight):
            raise ValueError(
                f"definitions.{name}: a 10th-centile rule needs the weight (`variable`), "
                "gestational-age (`gestational_age`) and sex (`sex`) columns; add the "
                "missing keys to the definition"
            )
        for role, column in (
            ("variable", weight),
            ("gestational_age", gestational_age),
            ("sex", sex),
        ):
            if column not in dictionary:
                raise ValueError(
                    f"definitions.{name}.{role}: column {column!r} is not in the data dictionary"
                )
        return GrowthRule(column=name, weight=weight, gestational_age=gestational_age, sex=sex)
    return None


def threshold_columns(study: Study) -> list[ThresholdColumn]:
    """Binary columns derived as ``variable < below`` from a definition."""
    dictionary = _dictionary(study)
    described = _table1_variables(study) | {study.outcome}
    rules = []
    for column, kind in dictionary.items():
        if kind != "binary" or column in described:
            continue
        for name, definition in study.definitions.items():
            if "below" not in definition or "variable" not in definition:
                continue
            if column == name or column.endswith(f"_{name}"):
                rules.append(
                    ThresholdColumn(column, str(definition["variable"]), float(definition["below"]))
                )
                break
    return rules


def outcome_bounds(study: Study) -> tuple[str, dict[str, tuple[float, float]]] | None:
    """The outcome's defining variable and each group's allowed range of it.

    The defining entry is the definition named after the outcome column, else the one whose
    ``column`` is the outcome (birthwt's ``low_birth_weight`` sets ``low``).
    """
    definition = study.definitions.get(study.outcome)
    if definition is None:
        definition = next(
            (
                entry
                for entry in study.definitions.values()
                if isinstance(entry, Mapping) and entry.get("column") == study.outcome
            ),
            None,
        )
    if not definition or "variable" not in definition or "below" not in definition:
        return None
    variable = str(definition["variable"])
    below = float(definition["below"])
    control = (below, math.inf)
    for other in study.definitions.values():
        if other.get("variable") == variable and "low" in other and "high" in other:
            control = (max(below, float(other["low"])), float(other["high"]))
    return variable, {"case": (-math.inf, below), "control": control}


def threshold_claims(study: Study) -> list[Claim]:
    """Count claims ``variable < x`` that Table 1 does not fix (generation constraints)."""
    claims = []
    for name, content in study.text_claims.items():
        try:
            claim = parse_claim(name, content, study)
        except UnresolvableClaimError:
            continue
        condition = claim.condition
        if (
            condition.below is None
            or claim.percent
            or condition.group is not None
            or claim.among is not None
        ):
            continue
        if claim_on_table1(claim, study) is None:
            claims.append(claim)
    return claims


def check_supported_rows(study: Study) -> None:
    """Raise ValueError naming every row and model term the generator cannot rebuild yet.

    The generator draws binary n (%) rows, categorical and ordinal rows (counts per level),
    mean±SD and median (IQR) rows with their binned counts, and calibrates a model of binary,
    numeric and factor terms. Two things are out of its reach: a numeric model term that the
    growth rule redraws after the calibration (its weight or gestational-age column), and a
    factor listed as ``not_significant`` (a factor has one p per level, not one p to aim at).
    """
    table1 = study.table1
    main = table1[(table1["level"] == "") & (table1["group"] == "case")]
    summaries = dict(zip(main["variable"], main["summary"], strict=True))
    unsupported = []
    rule = growth_rule(study)
    redrawn = set() if rule is None else {rule.weight, rule.gestational_age}
    for term in study.multivariable_terms:
        if term in redrawn and summaries.get(term) in ("mean_sd", "median_iqr"):
            unsupported.append(
                f"multivariable term {term!r} (continuous, redrawn by the growth rule)"
            )
    levelled = {v for v, summary in summaries.items() if summary in ("categorical", "ordinal")}
    for term in study.multivariable_not_significant:
        if term in levelled and term in factor_variables(study):
            unsupported.append(f"multivariable.not_significant {term!r} (a factor)")
    if unsupported:
        raise ValueError(
            f"the synthesizer cannot yet rebuild {', '.join(unsupported)}: the growth rule "
            "redraws weight and gestational age after the model's calibration, and a factor "
            "has no single adjusted p to aim at; analyse real records instead (neok2 analyze "
            f"DATA --study {study.id})"
        )


def per_amount(per: str, where: str = "per") -> float:
    """The increment an odds ratio is printed per: ``"10 mmHg"`` -> 10; empty -> 1.

    Examples
    --------
    >>> per_amount("1 year"), per_amount("10 mmHg"), per_amount(""), per_amount("0.5 kg")
    (1.0, 10.0, 1.0, 0.5)
    """
    text = str(per).strip()
    if not text:
        return 1.0
    match = re.match(r"^(\d+(?:\.\d+)?)", text)
    if match is None or float(match.group(1)) == 0:
        raise ValueError(
            f"{where}: {per!r} does not start with the increment the odds ratio is per; "
            "write it as a number and a unit, e.g. '1 year' or '10 mmHg'"
        )
    return float(match.group(1))


def check_generation_preconditions(study: Study) -> None:
    """Raise ValueError naming the row when the spec cannot drive the generator."""
    dictionary = _dictionary(study)
    if not dictionary:
        raise ValueError("columns: the study spec has no data dictionary; list its columns")
    if dictionary.get(study.outcome) != "binary":
        raise ValueError(f"columns: the outcome {study.outcome!r} must be a binary column")
    for column in study.columns:
        if column.min is not None and column.max is not None and column.min > column.max:
            raise ValueError(
                f"columns.{column.name}: min {column.min:g} is above max {column.max:g}; swap them"
            )
    check_supported_rows(study)
    for _, row in study.table1.iterrows():
        place = f"table1 {row['variable']!r}" + (f" bin {row['level']!r}" if row["level"] else "")
        place += f" ({row['group']})"
        kind = dictionary.get(str(row["variable"]))
        if row["level"] == "" and row["summary"] == "n_percent" and kind != "binary":
            raise ValueError(
                f"{place}: an n (%) row needs a binary column, the dictionary says {kind}"
            )
        if row["summary"] in ("categorical", "ordinal"):
            continue  # the counts are on the level rows
        if row["value"] != "" and kind in ("binary", "integer", "continuous"):
            spec = study.column(str(row["variable"]))
            code = float(row["value"])
            if (spec.min is not None and code < spec.min) or (
                spec.max is not None and code > spec.max
            ):
                raise ValueError(
                    f"{place}: level value {code:g} lies outside the dictionary range "
                    f"{spec.min}-{spec.max} of {spec.name!r}"
                )
        if row["summary"] != "n_percent" and kind not in ("continuous", "integer"):
            raise ValueError(f"{place}: a {row['summary']} row needs a numeric column, got {kind}")
        if row["summary"] == "n_percent" and not _percent_ok(row, study) and not row["note"]:
            group_n = study.groups[str(row["group"])]
            raise ValueError(
                f"{place}: the printed percentage {row['percent']:g} matches neither rounding "
                f"nor truncation of {row['n']}/{group_n} = {100 * row['n'] / group_n:.3f}%; "
                "correct the cell or transcribe the inconsistency in the row's `note`"
            )
        spec = study.column(str(row["variable"]))
        for statistic in ("mean", "median", "q1", "q3"):
            value = row[statistic]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if (spec.min is not None and value < spec.min) or (
                spec.max is not None and value > spec.max
            ):
                raise ValueError(
                    f"{place}: {statistic} {value:g} lies outside the dictionary range "
                    f"{spec.min}-{spec.max} of {spec.name!r}"
                )
        if row["summary"] == "median_iqr" and study.groups[str(row["group"])] < 8:
            raise ValueError(f"{place}: a median (IQR) row needs at least 8 subjects per group")
    terms = set(study.multivariable_terms)
    for variable in study.multivariable["variable"]:
        if variable not in terms:
            raise ValueError(
                f"multivariable.reported: {variable!r} has an adjusted OR but is not in "
                "multivariable.terms_entered; add it to the model's terms"
            )
    for variable, per in zip(
        study.multivariable["variable"], study.multivariable["per"], strict=True
    ):
        per_amount(str(per), f"multivariable.reported {variable!r}.per")
    factors = set(factor_variables(study))
    for term in terms:
        if term not in _table1_variables(study):
            raise ValueError(
                f"multivariable.terms_entered: {term!r} has no Table 1 row; the generator "
                "draws a model term from its Table 1 summary, so add the row"
            )
        if term not in factors and dictionary.get(term) not in ("binary", "integer", "continuous"):
            raise ValueError(
                f"multivariable.terms_entered: {term!r} enters the model as a number, but the "
                f"dictionary says {dictionary.get(term)}; make it a numeric column or print "
                "one odds ratio per level"
            )
    derived = {rule.column for rule in threshold_columns(study)}
    rule = growth_rule(study)
    if rule is not None:
        derived.add(rule.column)
    described = _table1_variables(study) | {study.outcome} | derived
    for column in study.columns:
        if column.type in ("id", "date") or column.name in described or not column.required:
            continue
        raise ValueError(
            f"columns.{column.name}: no Table 1 row, definition or rule describes this "
            "required column; add a Table 1 row or mark it `required: false`"
        )


def _percent_ok(row: pd.Series, study: Study) -> bool:
    percent = row["percent"]
    if percent is None or (isinstance(percent, float) and math.isnan(percent)):
        return True
    group_n = study.groups[str(row["group"])]
    printed = str(row["printed"])
    text = f"{float(percent):g}"
    if printed:
        cell = parse_cell(printed, "n_percent")
        text = f"{cell.values[1]:.{cell.decimals[1]}f}"
    return matches_printed(100.0 * float(row["n"]) / group_n, text)
