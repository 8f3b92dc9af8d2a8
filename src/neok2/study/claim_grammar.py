"""Text claims of a study spec: what each one counts, on data and on Table 1.

A claim's ``refers_to`` follows a small grammar:

* ``<column>`` - rows where a binary column is 1 (the outcome column counts the cases);
* ``<column> < <number>`` - rows below a threshold;
* ``<condition> in cases`` / ``<condition> in controls`` - within one group;
* ``<outcome> among <condition>`` - the outcome's share among rows meeting the condition.

A claim whose name ends in ``_percent`` is a percentage (of all rows, of the group, or of the
condition's rows); otherwise it is a count. A claim on a binary column counts the zeros when
the data dictionary describes the column as ``"1 = <word>, 0 = <other>"`` and the claim's
name is ``<other>`` in the plural (``females`` for ``male``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from neok2.study.spec import Study

__all__ = ["Claim", "Condition", "claim_on_data", "claim_on_table1", "parse_claim", "table1_count"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"


@dataclass(frozen=True)
class Condition:
    """``column == 1`` (``below`` None, ``ones`` True), ``== 0`` or ``column < below``."""

    column: str
    below: float | None = None
    ones: bool = True


@dataclass(frozen=True)
class Claim:
    """One parsed text claim."""

    name: str
    value: float
    printed: str
    refers_to: str
    percent: bool
    condition: Condition | None
    group: str | None = None
    among: Condition | None = None
    problem: str = ""


def _condition(text: str, name: str, study: Study) -> Condition | None:
    match = re.fullmatch(rf"\s*(\w+)\s*<\s*({_NUMBER})\s*", text)
    if match:
        return Condition(match.group(1), below=float(match.group(2)))
    match = re.fullmatch(r"\s*(\w+)\s*", text)
    if not match:
        return None
    column = match.group(1)
    stem = re.sub(r"_(n|percent)$", "", name)
    try:
        description = study.column(column).description
    except KeyError:
        description = ""
    zero = re.search(r"0\s*=\s*([A-Za-z]+)", description)
    if zero and stem.rstrip("s") == zero.group(1).lower():
        return Condition(column, ones=False)
    return Condition(column)


def parse_claim(name: str, claim: Mapping[str, Any], study: Study) -> Claim:
    """Read one ``text_claims`` entry; ``problem`` explains a ``refers_to`` not understood."""
    refers_to = str(claim.get("refers_to", ""))
    value, printed = float(claim["value"]), str(claim.get("printed", ""))
    percent = name.endswith("_percent")

    def build(
        condition: Condition | None,
        group: str | None = None,
        among: Condition | None = None,
        problem: str = "",
    ) -> Claim:
        return Claim(
            name=name,
            value=value,
            printed=printed,
            refers_to=refers_to,
            percent=percent,
            condition=condition,
            group=group,
            among=among,
            problem=problem,
        )

    among = re.fullmatch(r"\s*(\w+)\s+among\s+(.+)", refers_to)
    if among:
        condition = _condition(among.group(2), "", study)
        if among.group(1) != study.outcome or condition is None:
            return build(
                None, problem=f"'among' is supported for the outcome {study.outcome!r} only"
            )
        return build(Condition(study.outcome), among=condition)
    group = None
    text = refers_to
    scoped = re.fullmatch(r"(.+?)\s+in\s+(cases|controls)\s*", refers_to)
    if scoped:
        text, group = scoped.group(1), scoped.group(2)[:-1]
    condition = _condition(text, name, study)
    if condition is None:
        return build(None, group, problem=f"refers_to {refers_to!r} is not in the claim grammar")
    return build(condition, group)


Counter = Callable[[Condition, str], float | None]


def _evaluate(claim: Claim, count: Counter, group_n: Mapping[str, float]) -> float | None:
    if claim.condition is None:
        return None
    if claim.among is not None:
        cases = count(claim.among, "case")
        controls = count(claim.among, "control")
        if cases is None or controls is None or cases + controls == 0:
            return None
        return 100.0 * cases / (cases + controls)
    groups = [claim.group] if claim.group else ["case", "control"]
    counts = [count(claim.condition, group) for group in groups]
    if any(value is None for value in counts):
        return None
    total = float(sum(value for value in counts if value is not None))
    if not claim.percent:
        return total
    denominator = sum(group_n[group] for group in groups)
    return math.nan if denominator == 0 else 100.0 * total / denominator


def claim_on_data(claim: Claim, data: pd.DataFrame, study: Study) -> float | None:
    """The claim's figure computed on a data set (``None`` when it cannot be computed)."""
    if study.outcome not in data.columns:
        return None
    outcome = pd.to_numeric(data[study.outcome], errors="coerce")
    masks = {"case": outcome == 1, "control": outcome == 0}

    def count(condition: Condition, group: str) -> float | None:
        if condition.column not in data.columns:
            return None
        values = pd.to_numeric(data[condition.column], errors="coerce")[masks[group]]
        if condition.below is not None:
            return float((values < condition.below).sum())
        return float((values == (1 if condition.ones else 0)).sum())

    group_n = {group: float(mask.sum()) for group, mask in masks.items()}
    return _evaluate(claim, count, group_n)


def table1_count(study: Study, condition: Condition, group: str) -> float | None:
    """What Table 1 (with the outcome definition) fixes for a condition, or ``None``."""
    n_group = float(study.groups[group])
    if condition.below is None:
        if condition.column == study.outcome:
            ones = n_group if group == "case" else 0.0
        else:
            rows = study.table1[
                (study.table1["variable"] == condition.column)
                & (study.table1["level"] == "")
                & (study.table1["group"] == group)
                & (study.table1["summary"] == "n_percent")
            ]
            if rows.empty:
                return None
            ones = float(rows["n"].iloc[0])
        return ones if condition.ones else n_group - ones
    bins = study.table1[
        (study.table1["variable"] == condition.column)
        & (study.table1["level"] != "")
        & (study.table1["group"] == group)
    ]
    if not bins.empty:
        edges = set(bins["high"].dropna()) | set(bins["low"].dropna())
        if condition.below in edges:
            below = bins["high"].notna() & (bins["high"] <= condition.below)
            return float(bins.loc[below, "n"].sum())
    outcome_rule = study.definitions.get(study.outcome, {})
    if (
        outcome_rule.get("variable") == condition.column
        and outcome_rule.get("below") == condition.below
    ):
        return n_group if group == "case" else 0.0
    return None


def claim_on_table1(claim: Claim, study: Study) -> float | None:
    """The claim's figure as Table 1 fixes it, or ``None`` when Table 1 does not fix it."""

    def count(condition: Condition, group: str) -> float | None:
        return table1_count(study, condition, group)

    return _evaluate(claim, count, {g: float(n) for g, n in study.groups.items()})
