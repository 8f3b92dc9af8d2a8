"""Text claims of a study spec: one grammar, one claim object, evaluated on tables or data.

A claim's ``refers_to`` names the subjects it counts:

* ``variable`` -- subjects with a binary variable (or the outcome) equal to 1; a claim named
  after the 0 level of a column the data dictionary describes as ``"1 = <word>, 0 = <other>"``
  (``females`` for ``male``) counts the zeros instead;
* ``variable OP number`` with ``OP`` one of ``<``, ``<=``, ``>``, ``>=``;
* ``<one of the above> in cases`` / ``... in controls`` -- restricted to one group;
* ``outcome among <one of the above>`` -- the share of cases within a subset.

A claim whose name ends in ``_percent`` is a percentage (of the whole sample, of the group
or of the subset after ``among``); any other claim is a count. An empty ``refers_to`` reads
the claim's name as the variable.

The same :class:`Claim` is evaluated against a study's tables (:func:`claim_range` gives a
range when bins do not align with a threshold; :func:`claim_on_table1` the figure Table 1
fixes, if any) and against one row per subject (:func:`claim_on_data`), so that the audit,
the rebuild and the synthetic-cohort generator read every claim the same way.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neok2.study.spec import Study

__all__ = [
    "Claim",
    "Condition",
    "UnresolvableClaimError",
    "claim_decimals",
    "claim_on_data",
    "claim_on_table1",
    "claim_range",
    "count_range",
    "outcome_rule",
    "parse_claim",
    "percent_range",
]

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARISON = re.compile(r"^(\w+)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+))$")
_IN_GROUP = re.compile(r"^(.+?)\s+in\s+(cases|controls)$")
_AMONG = re.compile(r"^(\w+)\s+among\s+(.+)$")
_NAME = re.compile(r"^(\w+)$")


class UnresolvableClaimError(ValueError):
    """A claim's ``refers_to`` cannot be read, or cannot be evaluated against the study."""


@dataclass(frozen=True)
class Condition:
    """Subjects selected by one variable.

    ``variable == 1`` (``== 0`` when ``ones`` is False) when ``operator`` is None, else
    ``variable <operator> threshold``; within one group when ``group`` is set.
    """

    variable: str
    operator: str | None = None
    threshold: float | None = None
    group: str | None = None
    ones: bool = True

    @property
    def below(self) -> float | None:
        """The threshold of a ``variable < threshold`` condition, else None."""
        return self.threshold if self.operator == "<" else None


@dataclass(frozen=True)
class Claim:
    """One parsed text claim: a count or percentage of ``condition`` (optionally among
    ``among``), with the value and wording the paper printed."""

    name: str
    kind: str
    condition: Condition
    among: Condition | None = None
    value: float = math.nan
    printed: str = ""
    refers_to: str = ""

    @property
    def percent(self) -> bool:
        """Whether the claim is a percentage (its name ends in ``_percent``)."""
        return self.kind == "percent"


def _counts_zeros(name: str, variable: str, study: Study | None) -> bool:
    """Whether a claim named ``name`` on ``variable`` counts the 0 level (``females``)."""
    if study is None or not name:
        return False
    try:
        description = study.column(variable).description
    except KeyError:
        return False
    zero = re.search(r"0\s*=\s*([A-Za-z]+)", description)
    stem = re.sub(r"_(n|percent)$", "", name)
    return bool(zero) and stem.rstrip("s") == zero.group(1).lower()  # type: ignore[union-attr]


def _parse_condition(text: str, name: str, study: Study | None) -> Condition:
    text = " ".join(text.split())
    group = None
    if match := _IN_GROUP.match(text):
        text, group = match.group(1), "case" if match.group(2) == "cases" else "control"
    if match := _COMPARISON.match(text):
        return Condition(match.group(1), match.group(2), float(match.group(3)), group)
    if match := _NAME.match(text):
        variable = match.group(1)
        return Condition(variable, group=group, ones=not _counts_zeros(name, variable, study))
    raise UnresolvableClaimError(
        f"cannot read refers_to {text!r}; expected 'variable', 'variable < number', "
        "'variable in cases' or 'outcome among ...'"
    )


def parse_claim(name: str, claim: Mapping[str, Any] | str, study: Study | None = None) -> Claim:
    """Parse one ``text_claims`` entry (or a bare ``refers_to``) into a :class:`Claim`.

    Parameters
    ----------
    name : str
        The claim's name; ``*_percent`` makes it a percentage.
    claim : mapping or str
        ``{"value", "printed", "refers_to"}`` as in :attr:`Study.text_claims`, or the
        ``refers_to`` text alone.
    study : Study, optional
        Lets a claim named after a column's 0 level count the zeros (``females`` of ``male``).

    Raises
    ------
    UnresolvableClaimError
        When ``refers_to`` is outside the grammar.

    Examples
    --------
    >>> parse_claim("premature_n", "ga_weeks < 37").condition
    Condition(variable='ga_weeks', operator='<', threshold=37.0, group=None, ones=True)
    >>> parse_claim("x_percent", "deficiency among ga_weeks < 37 in cases").among.group
    'case'
    """
    if isinstance(claim, str):
        refers_to, value, printed = claim, math.nan, ""
    else:
        refers_to = str(claim.get("refers_to") or "")
        value, printed = float(claim.get("value", math.nan)), str(claim.get("printed") or "")
    kind = "percent" if name.endswith("_percent") else "count"
    text = " ".join((refers_to or name).split())
    if match := _AMONG.match(text):
        among = _parse_condition(match.group(2), "", study)
        return Claim(name, kind, Condition(match.group(1)), among, value, printed, refers_to)
    return Claim(name, kind, _parse_condition(text, name, study), None, value, printed, refers_to)


def claim_decimals(value: float) -> int:
    """Decimal places a claim's value was stated with (``8.5`` -> 1, ``33.0`` -> 0)."""
    if float(value).is_integer():
        return 0
    return len(repr(float(value)).split(".", 1)[1])


def outcome_rule(study: Study) -> tuple[str, float] | None:
    """``(variable, cut-off)`` when the outcome is defined as a variable below a cut-off."""
    definition = study.definitions.get(study.outcome)
    if isinstance(definition, dict) and "variable" in definition and "below" in definition:
        return str(definition["variable"]), float(definition["below"])
    return None


# ----------------------------------------------------------------------------- on tables


def _binary_count(study: Study, variable: str, group: str) -> int:
    try:
        cell = study.cell(variable, group)
    except KeyError:
        cell = {}
    if cell.get("summary") != "n_percent":
        raise UnresolvableClaimError(f"{variable!r} has no n (%) row in Table 1")
    return int(cell["n"])


def _bins(study: Study, variable: str, group: str) -> list[Mapping[str, Any]]:
    table = study.table1
    mask = (
        (table["variable"] == variable).to_numpy()
        & (table["group"] == group).to_numpy()
        & (table["level"] != "").to_numpy()
    )
    return [study.cell(variable, group, str(level)) for level in table.loc[mask, "level"]]


def _bin_range(study: Study, condition: Condition, group: str) -> tuple[int, int] | None:
    bins = _bins(study, condition.variable, group)
    if not bins:
        return None
    threshold = float(condition.threshold)  # type: ignore[arg-type]
    inside = overlap = 0
    for level in bins:
        low = -math.inf if pd.isna(level["low"]) else float(level["low"])
        high = math.inf if pd.isna(level["high"]) else float(level["high"])
        count = int(level["n"])
        # A bin holds [low, high); it is inside when every value satisfies the comparison.
        if condition.operator in ("<", "<="):
            fully = high <= threshold
            partly = low <= threshold if condition.operator == "<=" else low < threshold
        elif condition.operator == ">=":
            fully, partly = low >= threshold, high > threshold
        else:
            fully, partly = low > threshold, high > threshold
        if fully:
            inside += count
        elif partly:
            overlap += count
    return inside, inside + overlap


def count_range(study: Study, condition: Condition, group: str) -> tuple[int, int]:
    """Smallest and largest count of ``condition`` in one group that the tables allow."""
    if condition.group is not None and condition.group != group:
        return 0, 0
    size = study.groups[group]
    if condition.operator is None:
        if condition.variable == study.outcome:
            ones = size if group == "case" else 0
        else:
            ones = _binary_count(study, condition.variable, group)
        count = ones if condition.ones else size - ones
        return count, count
    bins = _bin_range(study, condition, group)
    if bins is not None:
        return bins
    rule = outcome_rule(study)
    if rule is not None and rule[0] == condition.variable:
        cut_off, threshold = rule[1], float(condition.threshold)  # type: ignore[arg-type]
        below = condition.operator in ("<", "<=")
        # Cases lie below the cut-off and controls at or above it.
        if group == "case":
            if below:
                return (size, size) if threshold >= cut_off else (0, size)
            return (0, 0) if threshold >= cut_off else (0, size)
        if below:
            return (0, 0) if threshold <= cut_off else (0, size)
        return (size, size) if threshold <= cut_off else (0, size)
    raise UnresolvableClaimError(
        f"{condition.variable!r} has neither bins in Table 1 nor a cut-off in the outcome "
        "definition"
    )


def percent_range(study: Study, claim: Claim) -> tuple[float, float]:
    """Range of the claimed percentage that the tables allow."""
    if claim.among is not None:
        if claim.condition.variable != study.outcome or claim.condition.operator is not None:
            raise UnresolvableClaimError("only 'outcome among ...' shares can be recomputed")
        case_low, case_high = count_range(study, claim.among, "case")
        control_low, control_high = count_range(study, claim.among, "control")
        low_total, high_total = case_low + control_high, case_high + control_low
        low = 100.0 * case_low / low_total if low_total else math.nan
        high = 100.0 * case_high / high_total if high_total else math.nan
        return low, high
    low = sum(count_range(study, claim.condition, group)[0] for group in ("case", "control"))
    high = sum(count_range(study, claim.condition, group)[1] for group in ("case", "control"))
    group = claim.condition.group
    denominator = study.groups[group] if group else study.n
    return 100.0 * low / denominator, 100.0 * high / denominator


def claim_range(study: Study, claim: Claim) -> tuple[float, float]:
    """Smallest and largest value of the claim that the tables allow.

    Raises
    ------
    UnresolvableClaimError
        When the tables say nothing about the claim's subset.
    """
    if claim.kind == "count" and claim.among is None:
        low = sum(count_range(study, claim.condition, g)[0] for g in ("case", "control"))
        high = sum(count_range(study, claim.condition, g)[1] for g in ("case", "control"))
        return float(low), float(high)
    return percent_range(study, claim)


def claim_on_table1(claim: Claim, study: Study) -> float | None:
    """The claim's figure as Table 1 (with the outcome definition) fixes it, else None."""
    try:
        low, high = claim_range(study, claim)
    except UnresolvableClaimError:
        return None
    if math.isnan(low) or low != high:
        return None
    return low


# ----------------------------------------------------------------------------- on data


def _mask(data: pd.DataFrame, condition: Condition, outcome: str) -> pd.Series:
    if condition.variable not in data.columns:
        raise UnresolvableClaimError(f"column {condition.variable!r} is not in the data")
    column = pd.to_numeric(data[condition.variable], errors="coerce")
    if condition.operator is None:
        mask = column == (1 if condition.ones else 0)
    else:
        mask = _OPERATORS[condition.operator](column, condition.threshold)
    if condition.group is not None:
        mask = mask & (data[outcome] == (1 if condition.group == "case" else 0))
    return pd.Series(np.asarray(mask, dtype=bool), index=data.index)


def claim_on_data(claim: Claim, data: pd.DataFrame, outcome: str) -> float:
    """The claim's exact value computed from one row per subject (NaN for an empty base).

    Raises
    ------
    UnresolvableClaimError
        When a column the claim needs is not in ``data``.
    """
    selected = _mask(data, claim.condition, outcome)
    if claim.among is not None:
        base = _mask(data, claim.among, outcome)
        if not base.any():
            return math.nan
        return 100.0 * float((selected & base).sum()) / float(base.sum())
    if claim.kind == "count":
        return float(selected.sum())
    if claim.condition.group is not None:
        group_value = 1 if claim.condition.group == "case" else 0
        denominator = float((data[outcome] == group_value).sum())
    else:
        denominator = float(len(data))
    return 100.0 * float(selected.sum()) / denominator
