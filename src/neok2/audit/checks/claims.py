"""The text's figures against the tables, and a count below a cut-off against the cases' mean."""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import Record, record, table1_sex_counts
from neok2.formatting import format_number
from neok2.stats.printed import Interval, overlaps, rounding_interval, truncation_interval
from neok2.stats.summaries import mean_sd_intervals
from neok2.study.claims import (
    UnresolvableClaimError,
    claim_decimals,
    claim_range,
    outcome_rule,
    parse_claim,
)
from neok2.study.spec import Study


def _claim_interval(value: float, kind: str) -> tuple[Interval, Interval]:
    if kind == "count":
        return Interval(value, value), Interval(value, value)
    decimals = claim_decimals(value)
    return rounding_interval(value, decimals), truncation_interval(value, decimals)


def _undetectable_mean_check(
    study: Study, name: str, value: float, variable: str, threshold: float
) -> Record | None:
    """A count below a threshold under the case cut-off bounds the cases' mean."""
    rule = outcome_rule(study)
    frame = study.table1
    hit = frame[
        (frame["variable"] == variable)
        & (frame["group"] == "case")
        & (frame["level"] == "")
        & (frame["summary"] == "mean_sd")
    ]
    if rule is None or hit.empty or threshold >= rule[1]:
        return None
    try:
        minimum = study.column(variable).min
    except KeyError:
        return None
    if minimum is None:
        return None
    size, below = study.groups["case"], value
    low = (below * minimum + (size - below) * threshold) / size
    high = (below * threshold + (size - below) * rule[1]) / size
    mean, _ = mean_sd_intervals(hit.iloc[0])
    ok = overlaps(mean, Interval(low, high))
    shown = f"{format_number(low, 4)}-{format_number(high, 4)}"
    message = (
        f"With {int(below)} of {size} cases below {threshold:g} and the rest below {rule[1]:g}, "
        f"the cases' mean must lie in {shown}"
        + ("; the printed mean does." if ok else "; the printed mean does not.")
    )
    return record(
        "text_claim",
        f"Text / {name} / vs case mean",
        str(hit.iloc[0]["printed"] or hit.iloc[0]["mean"]),
        shown,
        "ok" if ok else "error",
        message,
        low=low,
        high=high,
        variable=variable,
    )


def check_text_claims(study: Study, **_options: Any) -> list[Record]:
    records = []
    sex_counts = table1_sex_counts(study)
    for name, claim in study.text_claims.items():
        value = float(claim["value"])
        reported = str(claim["printed"] or format_number(value, claim_decimals(value)))
        location = f"Text / {name}"
        singular = name.removesuffix("s")
        if singular in ("male", "female") and sex_counts is not None:
            table = sex_counts[singular]
            ok = value == table
            records.append(
                record(
                    "text_claim",
                    location,
                    reported,
                    str(table),
                    "ok" if ok else "error",
                    f"The text's {singular} count {'equals' if ok else 'differs from'} the Table 1 "
                    f"sex row ({table}).",
                    low=table,
                    high=table,
                    variable=singular,
                )
            )
            continue
        try:
            query = parse_claim(name, claim, study)
            low, high = claim_range(study, query)
            if query.kind == "count" and query.among is None:
                shown = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            else:
                shown = (
                    format_number(low, 2)
                    if low == high
                    else f"{format_number(low, 2)}-{format_number(high, 2)}"
                ) + "%"
        except UnresolvableClaimError as reason:
            records.append(
                record(
                    "text_claim",
                    location,
                    reported,
                    "not recomputable",
                    "note",
                    f"The claim cannot be recomputed from the tables: {reason}.",
                )
            )
            continue
        rounded, truncated = _claim_interval(value, query.kind)
        recomputed = Interval(float(low), float(high))
        refers = claim["refers_to"] or name
        if overlaps(rounded, recomputed):
            severity, message = "ok", f"The text's figure for {refers} agrees with the tables."
        elif overlaps(truncated, recomputed):
            severity = "note"
            message = f"The text's figure for {refers} matches the tables only by truncation."
        else:
            severity = "error"
            message = f"The text states {reported} for {refers}, but the tables give {shown}."
        records.append(
            record(
                "text_claim",
                location,
                reported,
                shown,
                severity,
                message,
                low=low,
                high=high,
                variable=query.condition.variable,
            )
        )
        if (
            query.kind == "count"
            and query.condition.operator in ("<", "<=")
            and query.among is None
        ):
            extra = _undetectable_mean_check(
                study,
                name,
                value,
                query.condition.variable,
                float(query.condition.threshold or 0.0),
            )
            if extra is not None:
                records.append(extra)
    return records
