"""The small language of a text claim's ``refers_to`` and its evaluation.

A claim refers to one of:

* ``variable`` -- subjects with a binary variable (or the outcome) equal to 1;
* ``variable OP number`` with ``OP`` one of ``<``, ``<=``, ``>``, ``>=``;
* ``variable in cases`` / ``variable in controls`` -- restricted to one group;
* ``outcome among <one of the above>`` -- the share of cases within a subset.

A claim whose name ends in ``_percent`` is a percentage (of the whole sample, of the group
or of the subset after ``among``); any other claim is a count. The same query is evaluated
against a study's tables (giving a range when bins do not align with a threshold) and
against raw data (giving the exact figure), so the audit and the rebuild agree.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neok2.study.spec import Study

__all__ = [
    "ClaimQuery",
    "Subset",
    "UnresolvableClaimError",
    "claim_decimals",
    "count_range",
    "outcome_rule",
    "parse_claim",
    "percent_range",
    "value_from_data",
]

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARISON = re.compile(r"^(\w+)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+))$")
_IN_GROUP = re.compile(r"^(\w+)\s+in\s+(cases|controls)$")
_AMONG = re.compile(r"^(\w+)\s+among\s+(.+)$")
_NAME = re.compile(r"^(\w+)$")


class UnresolvableClaimError(ValueError):
    """A claim's ``refers_to`` cannot be evaluated against the study."""


@dataclass(frozen=True)
class Subset:
    """Subjects selected by a variable: ``== 1`` when ``operator`` is None."""

    variable: str
    operator: str | None = None
    threshold: float | None = None
    group: str | None = None


@dataclass(frozen=True)
class ClaimQuery:
    """A parsed claim: a count or percentage of ``subset`` (optionally among ``among``)."""

    name: str
    kind: str
    subset: Subset
    among: Subset | None = None


def _parse_subset(text: str) -> Subset:
    text = " ".join(text.split())
    if match := _IN_GROUP.match(text):
        return Subset(match.group(1), group="case" if match.group(2) == "cases" else "control")
    if match := _COMPARISON.match(text):
        return Subset(match.group(1), match.group(2), float(match.group(3)))
    if match := _NAME.match(text):
        return Subset(match.group(1))
    raise UnresolvableClaimError(
        f"cannot read refers_to {text!r}; expected 'variable', 'variable < number', "
        "'variable in cases' or 'outcome among ...'"
    )


def parse_claim(name: str, refers_to: str) -> ClaimQuery:
    """Parse a claim's name and ``refers_to`` into a :class:`ClaimQuery`."""
    kind = "percent" if name.endswith("_percent") else "count"
    text = " ".join(refers_to.split())
    if match := _AMONG.match(text):
        return ClaimQuery(name, kind, Subset(match.group(1)), _parse_subset(match.group(2)))
    return ClaimQuery(name, kind, _parse_subset(text))


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


def _rows(study: Study, variable: str, group: str) -> list[dict[Any, Any]]:
    # Plain dictionaries: a handful of rows filtered in Python beats DataFrame masks here.
    table = study.table1
    mask = (table["variable"] == variable).to_numpy() & (table["group"] == group).to_numpy()
    return table[mask].to_dict(orient="records")


def _binary_count(study: Study, variable: str, group: str) -> int:
    for row in _rows(study, variable, group):
        if row["level"] == "" and row["summary"] == "n_percent":
            return int(row["n"])
    raise UnresolvableClaimError(f"{variable!r} has no n (%) row in Table 1")


def _bin_range(study: Study, subset: Subset, group: str) -> tuple[int, int] | None:
    bins = [row for row in _rows(study, subset.variable, group) if row["level"] != ""]
    if not bins:
        return None
    threshold = float(subset.threshold)  # type: ignore[arg-type]
    inside = overlap = 0
    for level in bins:
        low = -math.inf if pd.isna(level["low"]) else float(level["low"])
        high = math.inf if pd.isna(level["high"]) else float(level["high"])
        count = int(level["n"])
        # A bin holds [low, high); it is inside when every value satisfies the comparison.
        if subset.operator in ("<", "<="):
            fully = high <= threshold
            partly = low <= threshold if subset.operator == "<=" else low < threshold
        elif subset.operator == ">=":
            fully, partly = low >= threshold, high > threshold
        else:
            fully, partly = low > threshold, high > threshold
        if fully:
            inside += count
        elif partly:
            overlap += count
    return inside, inside + overlap


def count_range(study: Study, subset: Subset, group: str) -> tuple[int, int]:
    """Smallest and largest count of ``subset`` in one group that the tables allow."""
    if subset.group is not None and subset.group != group:
        return 0, 0
    if subset.operator is None:
        if subset.variable == study.outcome:
            size = study.groups["case"] if group == "case" else 0
            return size, size
        count = _binary_count(study, subset.variable, group)
        return count, count
    bins = _bin_range(study, subset, group)
    if bins is not None:
        return bins
    rule = outcome_rule(study)
    if rule is not None and rule[0] == subset.variable:
        cut_off, threshold = rule[1], float(subset.threshold)  # type: ignore[arg-type]
        size = study.groups[group]
        below = subset.operator in ("<", "<=")
        # Cases lie below the cut-off and controls at or above it.
        if group == "case":
            if below:
                return (size, size) if threshold >= cut_off else (0, size)
            return (0, 0) if threshold >= cut_off else (0, size)
        if below:
            return (0, 0) if threshold <= cut_off else (0, size)
        return (size, size) if threshold <= cut_off else (0, size)
    raise UnresolvableClaimError(
        f"{subset.variable!r} has neither bins in Table 1 nor a cut-off in the outcome definition"
    )


def percent_range(study: Study, query: ClaimQuery) -> tuple[float, float]:
    """Range of the claimed percentage that the tables allow."""
    if query.among is not None:
        if query.subset.variable != study.outcome or query.subset.operator is not None:
            raise UnresolvableClaimError("only 'outcome among ...' shares can be recomputed")
        case_low, case_high = count_range(study, query.among, "case")
        control_low, control_high = count_range(study, query.among, "control")
        low_total, high_total = case_low + control_high, case_high + control_low
        low = 100.0 * case_low / low_total if low_total else math.nan
        high = 100.0 * case_high / high_total if high_total else math.nan
        return low, high
    low = sum(count_range(study, query.subset, group)[0] for group in ("case", "control"))
    high = sum(count_range(study, query.subset, group)[1] for group in ("case", "control"))
    denominator = study.groups[query.subset.group] if query.subset.group else study.n
    return 100.0 * low / denominator, 100.0 * high / denominator


def _mask(data: pd.DataFrame, subset: Subset, outcome: str) -> pd.Series:
    if subset.variable not in data.columns:
        raise UnresolvableClaimError(f"column {subset.variable!r} is not in the data")
    column = data[subset.variable]
    if subset.operator is None:
        mask = column == 1
    else:
        mask = _OPERATORS[subset.operator](column, subset.threshold)  # type: ignore[assignment]
    if subset.group is not None:
        mask = mask & (data[outcome] == (1 if subset.group == "case" else 0))
    return pd.Series(np.asarray(mask, dtype=bool), index=data.index)


def value_from_data(data: pd.DataFrame, query: ClaimQuery, outcome: str) -> float:
    """The claim's exact value computed from one row per subject."""
    selected = _mask(data, query.subset, outcome)
    if query.among is not None:
        base = _mask(data, query.among, outcome)
        if not base.any():
            return math.nan
        return 100.0 * float((selected & base).sum()) / float(base.sum())
    if query.kind == "count":
        return float(selected.sum())
    if query.subset.group is not None:
        denominator = float((data[outcome] == (1 if query.subset.group == "case" else 0)).sum())
    else:
        denominator = float(len(data))
    return 100.0 * float(selected.sum()) / denominator
