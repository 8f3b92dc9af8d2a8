"""Sensitivity of the adjusted odds ratios: profile and Firth intervals, risk ratios, E-values.

Interval methods depend on the size of the data, and the rule is reported in the table's
note and in ``sensitivity.profile_ci_method``, ``sensitivity.firth_ci_method`` and
``sensitivity.interval_note``: the ML fit gets profile-likelihood intervals up to
:data:`PROFILE_MAX_ROWS` model rows and the Firth fit penalised-profile intervals up to
:data:`PENALISED_PROFILE_MAX_ROWS`; above them each fit gets Wald intervals from its own
covariance. A profile needs a dozen constrained refits per coefficient, and the penalised
one an ``O(n k^2)`` determinant at every step, minutes at a million rows; at those sizes the
log-likelihood is so close to quadratic over the interval that the profile and Wald limits
agree to about ``1/sqrt(n)`` of the interval's width, and Firth's correction is of order
``1/n``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from neok2.formatting import (
    format_ci,
    format_number,
    format_odds_ratio,
    format_or_ci,
    odds_ratio_digits,
)
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import require_unmatched, term_key, term_labels
from neok2.report.tables import gt_table, or_ci_cells

PROFILE_MAX_ROWS = 200_000
"""Largest model with profile-likelihood intervals (ML fit); Wald intervals above it."""
PENALISED_PROFILE_MAX_ROWS = 20_000
"""Largest model with penalised-profile intervals (Firth fit); Wald intervals above it."""


def _compute(inputs: SectionInputs) -> SectionOutput:
    require_unmatched(
        inputs,
        "its Firth and profile refits, risk ratios and E-values assume an unconditional "
        "logistic model",
    )
    out = SectionOutput("sensitivity", data_source=inputs.data_source)
    logistic = inputs.module("neok2.stats.logistic")
    contingency = inputs.module("neok2.stats.contingency")
    limitations = inputs.module("neok2.audit.limitations")

    def risk_ratio(odds_ratio: float, baseline_risk: float) -> float:
        if not math.isfinite(odds_ratio) or odds_ratio <= 0:
            return math.nan
        return float(limitations.risk_ratio_from_odds_ratio(odds_ratio, baseline_risk))

    def e_value(odds_ratio: float) -> float:
        # one method throughout (see report.sections.limitations): sqrt(OR) for a common outcome
        if not math.isfinite(odds_ratio) or odds_ratio <= 0:
            return math.nan
        return float(limitations.e_value(odds_ratio, common_outcome=True))

    model = inputs.upstream["multivariable"]
    wald, formula = model["table"], model["formula"]
    n_rows = int(wald["n"].iloc[0])
    profile_ci = "profile" if n_rows <= PROFILE_MAX_ROWS else "wald"
    firth_ci = "profile" if n_rows <= PENALISED_PROFILE_MAX_ROWS else "wald"
    profile = logistic.logistic_regression(inputs.data, formula, ci=profile_ci, firth=False).tidy(
        intercept=False
    )
    firth = logistic.logistic_regression(inputs.data, formula, ci=firth_ci, firth=True).tidy(
        intercept=False
    )
    interval_note = _interval_note(n_rows, profile_ci, firth_ci)
    records = []
    for index, (variable, term) in enumerate(zip(wald["variable"], wald["term"], strict=True)):
        variable = str(variable)
        column = inputs.data[variable].dropna()
        if not isinstance(column.dtype, pd.CategoricalDtype) and column.isin([0, 1]).all():
            counts = contingency.crosstab_2x2(inputs.data, variable, inputs.outcome)
            crude = counts.odds_ratio(design="cohort").tidy().iloc[0]
            # risk of deficiency among the unexposed: b / (b + d) in the case-control layout
            baseline_risk = float(crude["b"]) / float(crude["b"] + crude["d"])
            crude_risk_ratio = float(crude["risk_ratio"])
        else:
            # a per-unit OR (or one level of a factor) has no unexposed group of its own; the
            # overall risk stands in for p0
            outcome = inputs.data[inputs.outcome].dropna()
            baseline_risk = float((outcome == 1).mean())
            crude_risk_ratio = math.nan
        adjusted = float(wald["odds_ratio"].iloc[index])
        low, high = float(wald["ci_low"].iloc[index]), float(wald["ci_high"].iloc[index])
        adjusted_rr = risk_ratio(adjusted, baseline_risk)
        rr_low, rr_high = risk_ratio(low, baseline_risk), risk_ratio(high, baseline_risk)
        records.append(
            {
                # a factor has one row per level, keyed as the spec names it (race[Black])
                "variable": term_key(str(term)),
                "odds_ratio_wald": adjusted,
                "ci_low_wald": low,
                "ci_high_wald": high,
                "odds_ratio_profile": float(profile["odds_ratio"].iloc[index]),
                "ci_low_profile": float(profile["ci_low"].iloc[index]),
                "ci_high_profile": float(profile["ci_high"].iloc[index]),
                "odds_ratio_firth": float(firth["odds_ratio"].iloc[index]),
                "ci_low_firth": float(firth["ci_low"].iloc[index]),
                "ci_high_firth": float(firth["ci_high"].iloc[index]),
                "baseline_risk": baseline_risk,
                "crude_risk_ratio": crude_risk_ratio,
                "risk_ratio": adjusted_rr,
                "risk_ratio_low": rr_low,
                "risk_ratio_high": rr_high,
                "e_value": e_value(adjusted),
                "e_value_ci": 1.0
                if low <= 1.0 <= high
                else e_value(low if adjusted >= 1 else high),
            }
        )
    table = pd.DataFrame.from_records(records)
    labels = term_labels(inputs.study, inputs.labels)
    shown = pd.DataFrame(
        {
            "Variable": [labels.get(v, v) for v in table["variable"]],
            # the Wald estimates are the multivariable table's (kept in the exported table):
            # four interval columns fit a printed page on one line each
            "OR (profile CI)": or_ci_cells(table, "profile"),
            "Firth OR (CI)": or_ci_cells(table, "firth"),
            "Approx. RR (CI)": [
                format_or_ci(r, lo, hi)
                for r, lo, hi in zip(
                    table["risk_ratio"],
                    table["risk_ratio_low"],
                    table["risk_ratio_high"],
                    strict=True,
                )
            ],
            "E-value (CI)": [
                f"{format_number(e, 2)} ({format_number(c, 2)})"
                for e, c in zip(table["e_value"], table["e_value_ci"], strict=True)
            ],
        }
    )
    out.table(
        "sensitivity",
        table,
        gt_table(
            shown,
            "tbl_sensitivity",
            # an interval cell reads whole on one line; the variable names take the wrapping
            nowrap=[column for column in shown.columns if column != "Variable"],
            notes=[
                "Wald estimates and intervals as in the multivariable table. "
                "Profile: likelihood-ratio intervals; Firth: penalised likelihood with penalised "
                "profile intervals; approximate RR = OR / (1 - P + P × OR) with P the risk among "
                "the unexposed; E-value (VanderWeele and Ding) = RR + sqrt(RR (RR - 1)) with RR = "
                "sqrt(OR), the approximation for a common outcome, for the estimate and the CI "
                "limit nearer 1 (1 when the interval includes 1)."
                + (f" {interval_note}" if interval_note else "")
            ],
        ),
    )
    out.export("table", table)
    out.add(
        "profile_ci_method",
        str(profile["ci_method"].iloc[0]),
        str(profile["ci_method"].iloc[0]),
        f"interval method of the ML fit's column (profile up to {PROFILE_MAX_ROWS:,} rows)",
    )
    out.add(
        "firth_ci_method",
        str(firth["ci_method"].iloc[0]),
        str(firth["ci_method"].iloc[0]),
        "interval method of the Firth fit's column (penalised profile up to "
        f"{PENALISED_PROFILE_MAX_ROWS:,} rows)",
    )
    out.add(
        "interval_note",
        interval_note,
        interval_note,
        "which intervals the size of the data replaced by Wald intervals (empty: none)",
    )
    sensitivity_rows: Any = table.itertuples(index=False)
    for row in sensitivity_rows:
        variable = str(row.variable)
        out.add(
            f"{variable}.profile_ci",
            [row.ci_low_profile, row.ci_high_profile],
            format_ci(
                row.ci_low_profile,
                row.ci_high_profile,
                odds_ratio_digits(row.odds_ratio_profile, row.ci_low_profile, row.ci_high_profile),
            ),
            f"{'profile-likelihood' if profile_ci == 'profile' else 'Wald (large data)'} "
            f"95% CI of the adjusted OR of {variable}",
        )
        out.add(
            f"{variable}.firth_or",
            row.odds_ratio_firth,
            format_odds_ratio(
                row.odds_ratio_firth,
                odds_ratio_digits(row.odds_ratio_firth, row.ci_low_firth, row.ci_high_firth),
            ),
            f"Firth OR of {variable}",
        )
        out.add(
            f"{variable}.risk_ratio",
            row.risk_ratio,
            format_number(row.risk_ratio, 2),
            f"approximate adjusted risk ratio of {variable}",
        )
        out.add(
            f"{variable}.e_value",
            row.e_value,
            format_number(row.e_value, 2),
            f"E-value of the adjusted estimate of {variable}",
        )
        out.add(
            f"{variable}.e_value_ci",
            row.e_value_ci,
            format_number(row.e_value_ci, 2),
            f"E-value of the CI limit nearer 1 for {variable}",
        )
    firth_change = float(
        (100 * (table["odds_ratio_firth"] / table["odds_ratio_wald"] - 1)).abs().max()
    )
    out.add(
        "max_firth_change_percent",
        firth_change,
        format_number(firth_change, 1),
        "largest change (%) of an adjusted OR under Firth's penalised likelihood",
    )
    log_width_ratio = float(
        (
            np.log(table["ci_high_profile"] / table["ci_low_profile"])
            / np.log(table["ci_high_wald"] / table["ci_low_wald"])
        ).max()
    )
    out.add(
        "max_profile_log_width_ratio",
        log_width_ratio,
        format_number(log_width_ratio, 2),
        "largest ratio of profile to Wald CI width on the log scale among the terms",
    )
    widest = table.assign(
        ratio=(table["ci_high_profile"] / table["ci_low_profile"])
        / (table["ci_high_wald"] / table["ci_low_wald"])
    )
    out.add(
        "max_profile_width_ratio",
        float(widest["ratio"].max()),
        format_number(float(widest["ratio"].max()), 2),
        "largest ratio of profile to Wald CI width (upper/lower) among the terms",
    )
    return out


def _interval_note(n_rows: int, profile_ci: str, firth_ci: str) -> str:
    """The sentence stating which profile intervals the data's size replaced ("" if none).

    Examples
    --------
    >>> _interval_note(200, "profile", "profile")
    ''
    >>> _interval_note(50_000, "profile", "wald")[:62]
    'With 50,000 rows the Firth column shows Wald intervals of the '
    """
    replaced = []
    if profile_ci == "wald":
        replaced.append(
            f"the profile column shows Wald intervals (profile-likelihood intervals are "
            f"computed up to {PROFILE_MAX_ROWS:,} rows)"
        )
    if firth_ci == "wald":
        replaced.append(
            f"the Firth column shows Wald intervals of the penalised fit (penalised-profile "
            f"intervals are computed up to {PENALISED_PROFILE_MAX_ROWS:,} rows)"
        )
    if not replaced:
        return ""
    return f"With {n_rows:,} rows " + " and ".join(replaced) + "."


SECTION = Section(
    "sensitivity",
    _compute,
    requires=("multivariable",),
    unavailable_reason="the multivariable model is not available",
    modules={
        "neok2.stats.logistic": ("logistic_regression",),
        "neok2.stats.contingency": ("crosstab_2x2",),
        "neok2.audit.limitations": ("risk_ratio_from_odds_ratio", "e_value"),
    },
)
