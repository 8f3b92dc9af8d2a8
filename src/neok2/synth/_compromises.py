"""The compromises table of a synthesis: what gave way, by how much, and the logs that fill it."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from neok2.formatting import format_number, format_p, matches_printed
from neok2.stats.logistic_many import fit_logistic_many, wald_p
from neok2.stats.printed import Interval
from neok2.stats.summaries import SpreadReadings
from neok2.study.claims import UnresolvableClaimError, claim_on_table1, parse_claim
from neok2.study.spec import Study
from neok2.synth._continuous import GROUPS, FloatArray, mean_targets
from neok2.synth.fidelity_factors import design_columns
from neok2.synth.implied import (
    SEM_READING,
    or_contradiction,
    p_contradiction,
    spread_reading,
    table1_test_p,
)

__all__ = [
    "COMPROMISE_COLUMNS",
    "CompromiseLog",
    "log_screen",
    "log_spec_contradictions",
    "log_spread_reading",
]

COMPROMISE_COLUMNS = ["variable", "group", "constraint", "published", "achieved", "gap", "action"]


class CompromiseLog:
    """Rows of the compromises table, added as the generator meets them."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        variable: str,
        group: str,
        constraint: str,
        published: float,
        achieved: float,
        action: str,
    ) -> None:
        gap = achieved - published if np.isfinite([published, achieved]).all() else math.nan
        self.rows.append(
            {
                "variable": variable,
                "group": group,
                "constraint": constraint,
                "published": float(published),
                "achieved": float(achieved),
                "gap": float(gap),
                "action": action,
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=COMPROMISE_COLUMNS)


def _p_summary(points: Mapping[str, float], ranges: Mapping[str, Interval]) -> str:
    hull = SpreadReadings.hull(ranges)
    low, high = format_p(hull.low, 4), format_p(hull.high, 4)
    return (
        f"Student {format_p(points['Student'], 4)}, Welch {format_p(points['Welch'], 4)} at "
        f"the printed values; {low if low == high else f'{low} to {high}'} over their rounding"
    )


def log_spread_reading(
    study: Study, variable: str, values: dict[str, FloatArray], log: CompromiseLog
) -> None:
    """Record a ``mean_sd`` row whose printed p the SD reading of its spreads cannot give."""
    reading = spread_reading(study, variable)
    readings = reading.readings
    if reading.fit == "sd" or readings is None:
        return
    row = study.cell(variable, "case")
    published = float(row["p_value"])
    generated_p = table1_test_p(study, variable, values["case"], values["control"])
    as_sd = _p_summary(readings.sd_points, readings.as_sd)
    as_sem = _p_summary(readings.sem_points, readings.as_sem)
    printed = f"printed p {row['p_printed']}"
    targets = mean_targets(study, variable)
    sem_sd = {
        group: f"{reading.spread[group]:g} x sqrt({study.groups[group]}) = "
        f"{format_number(targets[group][3], targets[group][4])}"
        for group in GROUPS
    }
    if reading.reading == "sem":
        used = "; ".join(f"{group} {sem_sd[group]}" for group in GROUPS)
        sides = f"alpha = {float(study.design.get('alpha', 0.05)):g}"
        if bool(row["candidate"]):
            sides += f" and of the screening threshold {study.screening_threshold:g}"
        outcome = (
            "reproduce it"
            if reading.fit == "sem"
            else f"do not reproduce it either but keep it on its side of {sides}"
        )
        action = (
            f"{printed} is out of reach with the spreads as SDs; read as SEMs the spreads "
            f"{outcome}; generated with SD = spread x sqrt(n): {used}"
        )
        log.add(variable, "all", SEM_READING, published, generated_p, action)
    else:
        log.add(
            variable,
            "all",
            "printed p under either reading of the spread",
            published,
            generated_p,
            f"{printed} is reproduced neither with the spreads as SDs nor as SEMs; the "
            "printed spreads kept as SDs (Table 1 wins)",
        )
    log.add(
        variable,
        "all",
        "t-test p, spread read as SD",
        published,
        readings.sd_points["Student"],
        as_sd,
    )
    log.add(
        variable,
        "all",
        "t-test p, spread read as SEM",
        published,
        readings.sem_points["Student"],
        as_sem,
    )
    if reading.reading == "sem":
        for group in GROUPS:
            log.add(
                variable,
                group,
                f"SD ({SEM_READING})",
                reading.spread[group],
                float(values[group].std(ddof=1)),
                f"generated SD aims at {sem_sd[group]}",
            )


def log_screen(study: Study, data: pd.DataFrame, log: CompromiseLog) -> None:
    outcome = data[study.outcome].to_numpy(float)
    published = set(study.multivariable_terms)
    for variable in study.candidates:
        # the univariable model the analysis fits: a factor's dummies, else the number
        x = design_columns(study, data, [variable]).to_numpy(float)
        fit = fit_logistic_many(np.column_stack([np.ones(x.shape[0]), x]), outcome)
        # a factor passes the screen when one of its levels does
        p_value = float(np.min(wald_p(fit)[0, 1:]))
        selected = p_value < study.screening_threshold
        if selected != (variable in published):
            reason = p_contradiction(
                study,
                variable,
                float(study.cell(variable, "case")["p_value"]),
                study.screening_threshold,
            )
            log.add(
                variable,
                "all",
                f"univariable screen p < {study.screening_threshold:g}",
                float(study.cell(variable, "case")["p_value"]),
                p_value,
                reason or "the generated summaries could not keep the published decision",
            )


def log_spec_contradictions(study: Study, log: CompromiseLog) -> None:

    for _, row in study.table1[study.table1["note"] != ""].iterrows():
        if row["summary"] == "n_percent" and not math.isnan(row["percent"] or math.nan):
            achieved = 100.0 * float(row["n"]) / study.groups[str(row["group"])]
            if not matches_printed(achieved, f"{row['percent']:g}"):
                where = f" bin {row['level']}" if row["level"] else ""
                log.add(
                    str(row["variable"]),
                    str(row["group"]),
                    f"printed percent{where}",
                    float(row["percent"]),
                    achieved,
                    "count kept (Table 1 count wins)",
                )
    for _, row in study.univariable.iterrows():
        reason = or_contradiction(study, row)
        if reason:
            log.add(
                str(row["variable"]),
                "all",
                "Table 2 univariable OR",
                float(row["odds_ratio"]),
                math.nan,
                reason,
            )
    for name, content in study.text_claims.items():
        try:
            claim = parse_claim(name, content, study)
        except UnresolvableClaimError:
            continue
        implied = claim_on_table1(claim, study)
        if implied is not None and not matches_printed(implied, f"{claim.value:g}"):
            log.add(
                claim.condition.variable,
                "all",
                f"text claim {name} ({claim.printed or claim.value})",
                claim.value,
                implied,
                "Table 1 wins",
            )
