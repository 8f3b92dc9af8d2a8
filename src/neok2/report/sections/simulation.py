"""Power of the adjusted odds ratios: the whole screen-then-adjust pipeline, simulated.

Replication mode simulates studies of the published size from an exposure model chosen
explicitly (``SectionInputs.exposure_structure``, ``neok2 analyze --structure``): by default
the calibrated joint model of every Table 1 candidate, whose crude and adjusted odds ratios
are the printed ones. Author mode simulates from the analysed data's own joint distribution
(:func:`~neok2.stats.exposure_model.model_from_data`). Every simulated number carries its Monte
Carlo standard error. Crude analytic power sits beside it, labelled crude.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pandas as pd

from neok2.formatting import format_number, format_odds_ratio
from neok2.report.prose import in_prose, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.sections._common import require_unmatched
from neok2.report.tables import gt_table

THRESHOLDS: tuple[float | None, ...] = (0.05, 0.1, 0.2, None)
"""Screening thresholds compared (``None``: no screen, every candidate enters)."""
CHUNK_SIZE = 125
"""Replicates per task: fixed, so that results depend on the seed alone, not on the cores."""
OTHER_SCREEN_SHARE = 5
"""The screens other than the study's run on ``replicates // 5`` studies (the first ones of
the study's screen: the same seed), to keep the build short."""
CURVE_SHARE = 10
"""Curves and the correlation sensitivity run ``replicates // 10`` studies per point."""


def share(replicates: int, divisor: int) -> int:
    """``replicates // divisor``, at least 1."""
    return max(1, replicates // divisor)


def workers() -> int:
    """Local processes for the simulations: at most two (results do not depend on it)."""
    return max(1, min(2, os.cpu_count() or 1))


def simulation_model(inputs: SectionInputs, simulation: Any) -> tuple[Any, int, int, str]:
    """``(model, n_cases, n_controls, truth)`` of the simulated design in either mode."""
    if inputs.author:
        if "multivariable" not in inputs.upstream:
            raise SectionUnavailable("the multivariable model is not available")
        variables = [str(v) for v in inputs.upstream["multivariable"]["table"]["variable"]]
        # a factor of several levels has one row per level; the exposure model takes each
        # column as one numeric exposure, which would treat the level codes as a scale
        factors = sorted({v for v in variables if variables.count(v) > 1})
        if factors:
            raise SectionUnavailable(
                "the simulation models each exposure as one numeric column, and the model "
                f"holds factor(s) of several levels ({', '.join(factors)})"
            )
        terms = variables
        outcome = inputs.data[inputs.outcome]
        n_cases, n_controls = int((outcome == 1).sum()), int((outcome == 0).sum())
        model = simulation.model_from_data(inputs.data, inputs.outcome, terms)
        return model, n_cases, n_controls, "the analysed data's joint exposure distribution"
    study = inputs.study
    try:
        model = simulation.model_from_study(study, structure=inputs.exposure_structure)
    except ValueError as why:  # a study without binary exposures to simulate
        raise SectionUnavailable(str(why)) from None
    truth = (
        "the calibrated joint model of every Table 1 candidate"
        if inputs.exposure_structure == "calibrated"
        else "independent binary candidates"
    )
    return model, int(study.groups["case"]), int(study.groups["control"]), truth


def with_mcse(estimate: float, mcse: float, *, percent: bool = True, digits: int = 1) -> str:
    """``"78.4 (0.8)"``: an estimate and its Monte Carlo SE, in points when ``percent``.

    Examples
    --------
    >>> with_mcse(0.7842, 0.0082)
    '78.4 (0.8)'
    >>> with_mcse(0.304, 0.012, percent=False, digits=2)
    '0.30 (0.01)'
    """
    if not math.isfinite(estimate):
        return "NA"
    factor = 100.0 if percent else 1.0
    return f"{format_number(factor * estimate, digits)} ({format_number(factor * mcse, digits)})"


def _crude_odds_ratios(inputs: SectionInputs) -> dict[str, float]:
    if inputs.author:
        table = inputs.upstream.get("univariable", {}).get("table")
    else:
        table = inputs.study.univariable
    if table is None:
        return {}
    return {str(v): float(o) for v, o in zip(table["variable"], table["odds_ratio"], strict=True)}


def _adjusted_power(
    inputs: SectionInputs, model: Any, at_design: pd.DataFrame, n_cases: int, n_controls: int
) -> pd.DataFrame:
    """Per reported factor: crude analytic power beside the simulated pipeline's."""
    exact = inputs.module("neok2.stats.power_exact")
    crude = _crude_odds_ratios(inputs)
    control = model.control_probabilities @ model.support
    wide = at_design.pivot(index="variable", columns="quantity", values="estimate")
    errors = at_design.pivot(index="variable", columns="quantity", values="mcse")
    records = []
    for variable in [v for v in model.names if v in wide.index and "power" in wide.columns]:
        if not math.isfinite(float(wide.loc[variable, "power"])):
            continue
        column = model.names.index(variable)
        binary = bool(np.isin(model.support[:, column], (0.0, 1.0)).all())
        record = {
            "variable": variable,
            "crude_odds_ratio": crude.get(variable, math.nan),
            "p0": float(control[column]) if binary else math.nan,
            "fleiss_crude": math.nan,
            "exact_wald_crude": math.nan,
            "adjusted_odds_ratio": float(model.odds_ratios[column]),
            "pipeline_power": float(wide.loc[variable, "power"]),
            "pipeline_power_mcse": float(errors.loc[variable, "power"]),
            "selection_rate": float(wide.loc[variable, "selection_rate"]),
            "bias_log_or": float(wide.loc[variable, "bias_log_or"]),
            "bias_log_or_all": float(wide.loc[variable, "bias_log_or_all"]),
        }
        if binary and math.isfinite(record["crude_odds_ratio"]) and 0 < record["p0"] < 1:
            methods = exact.power_methods(
                record["crude_odds_ratio"], record["p0"], n_cases, n_controls, alpha=inputs.alpha
            ).set_index("method")["power"]
            record["fleiss_crude"] = float(methods["Fleiss (crude)"])
            record["exact_wald_crude"] = float(methods["exact Wald"])
        records.append(record)
    return pd.DataFrame.from_records(records)


_FACTOR_COLUMNS = {
    "power": ("Power (%)", True, 1),
    "bias_log_or": ("Bias of log OR, selected", False, 2),
    "bias_log_or_all": ("Bias of log OR, all", False, 2),
    "coverage": ("Coverage (%), selected", True, 1),
    "coverage_all": ("Coverage (%), all", True, 1),
}
_DESIGN_COLUMNS = {
    "mean_entered": ("Candidates entered", False, 2),
    "familywise_false_positive": ("Any false positive (%)", True, 1),
    "expected_false_positives": ("Expected false positives", False, 2),
    "detect_all": ("All reported factors detected (%)", True, 1),
}


def _threshold_tables(
    table: pd.DataFrame, labels: dict[str, str], true_factors: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    factor_rows, design_rows = [], []
    for screen, block in table.groupby("screen", sort=False):
        indexed: Any = block.set_index(["variable", "quantity"])
        for variable in true_factors:
            row: dict[str, str] = {"Factor": labels.get(variable, variable), "Screen": str(screen)}
            for quantity, (name, percent, digits) in _FACTOR_COLUMNS.items():
                if (variable, quantity) in indexed.index:
                    cell = indexed.loc[(variable, quantity)]
                    row[name] = with_mcse(
                        float(cell["estimate"]), float(cell["mcse"]), percent=percent, digits=digits
                    )
                else:
                    row[name] = "NA"
            factor_rows.append(row)
        design: dict[str, str] = {"Screen": str(screen)}
        for quantity, (name, percent, digits) in _DESIGN_COLUMNS.items():
            cell = indexed.loc[("(all)", quantity)]
            design[name] = with_mcse(
                float(cell["estimate"]), float(cell["mcse"]), percent=percent, digits=digits
            )
        design_rows.append(design)
    factors = pd.DataFrame(factor_rows)
    order = {label: index for index, label in enumerate(labels.get(v, v) for v in true_factors)}
    factors = factors.sort_values("Factor", key=lambda s: s.map(order), kind="stable")
    return factors.reset_index(drop=True), pd.DataFrame(design_rows)


def _compute(inputs: SectionInputs) -> SectionOutput:
    require_unmatched(inputs, "the simulated pipeline draws unmatched studies")
    out = SectionOutput("simulation", data_source=inputs.data_source)
    simulation = inputs.module("neok2.stats.simulation")
    curves = inputs.module("neok2.stats.power_curves")
    model, n_cases, n_controls, truth = simulation_model(inputs, simulation)
    study_threshold = float(inputs.study.screening_threshold)
    thresholds = list(THRESHOLDS)
    if study_threshold not in thresholds:
        thresholds.insert(0, study_threshold)
    replicates = inputs.simulation_replicates
    settings = {
        "n_cases": n_cases,
        "n_controls": n_controls,
        "seed": inputs.seed,
        "alpha": inputs.alpha,
        "chunk_size": CHUNK_SIZE,
        "n_workers": workers(),
        "progress": False,
    }
    others = share(replicates, OTHER_SCREEN_SHARE)
    table = pd.concat(
        [
            curves.screening_threshold_table(
                model, thresholds=[study_threshold], n_replicates=replicates, **settings
            ),
            curves.screening_threshold_table(
                model,
                thresholds=[t for t in thresholds if t != study_threshold],
                n_replicates=others,
                **settings,
            ),
        ],
        ignore_index=True,
    )
    order = {("none" if t is None else f"p < {t:g}"): i for i, t in enumerate(thresholds)}
    table = table.sort_values("screen", key=lambda s: s.map(order), kind="stable")
    table = table.reset_index(drop=True)
    at_design = table[table["threshold"] == study_threshold]
    adjusted = _adjusted_power(inputs, model, at_design, n_cases, n_controls)
    if adjusted.empty:
        raise SectionUnavailable("the model holds no factor with a non-null odds ratio")
    labels = dict(inputs.labels)
    true_factors = [str(v) for v in adjusted["variable"]]
    n_study = n_cases + n_controls
    source = (
        "true adjusted odds ratios set to the adjusted estimates of this analysis"
        if inputs.author
        else "true adjusted odds ratios set to the published adjusted estimates, true crude "
        "odds ratios to the published crude ones"
    )

    def percent_or_na(value: float) -> str:
        return format_number(100 * value, 1) if math.isfinite(value) else "NA"

    shown = pd.DataFrame(
        {
            "Factor": [labels.get(v, v) for v in true_factors],
            "Crude OR": [
                format_odds_ratio(v) if math.isfinite(v) else "NA"
                for v in adjusted["crude_odds_ratio"]
            ],
            "Fleiss (crude), %": [percent_or_na(v) for v in adjusted["fleiss_crude"]],
            "exact Wald (crude), %": [percent_or_na(v) for v in adjusted["exact_wald_crude"]],
            "Adjusted OR": [format_odds_ratio(v) for v in adjusted["adjusted_odds_ratio"]],
            "Simulated pipeline (adjusted), % (MC SE)": [
                with_mcse(p, e)
                for p, e in zip(
                    adjusted["pipeline_power"], adjusted["pipeline_power_mcse"], strict=True
                )
            ],
        }
    )
    out.table(
        "simulation",
        adjusted,
        gt_table(
            shown,
            "tbl_simulation",
            notes=[
                f"Design-stage power of a study of {n_cases} cases and {n_controls} controls "
                f"(two-sided alpha {format_number(inputs.alpha, 2)}), {source}. Crude rows: "
                "one exposure, analytic (no Monte Carlo error). Simulated pipeline: "
                f"{replicates} studies drawn from {truth}, each screened at p < "
                f"{study_threshold:g} and refitted; power is the share in which the factor "
                "passed the screen and had p < alpha in the final model; MC SE in brackets."
            ],
        ),
    )
    factor_table, design_table = _threshold_tables(table, labels, true_factors)
    counts = (
        f"{replicates} simulated studies of n = {n_study} with the study's screen (p < "
        f"{study_threshold:g}), the first {others} of them with the others"
    )
    note = (
        f"{counts}; Monte Carlo standard errors in brackets. 'Selected': over the studies "
        "in which the factor passed the screen; 'all': over every study, a factor left out "
        "counting as log OR 0."
    )
    out.table("screening_factors", table, gt_table(factor_table, "tbl_screening", notes=[note]))
    design_note = (
        f"{counts}. A false positive is a null candidate with p < alpha in the final model."
    )
    out.table(
        "screening_design",
        table[table["variable"] == "(all)"],
        gt_table(design_table, "tbl_screening_design", notes=[design_note]),
    )
    out.add("replicates", replicates, str(replicates), "simulated studies of the design")
    out.add(
        "replicates_other_screens",
        others,
        str(others),
        "simulated studies with the screens other than the study's",
    )
    out.add("n_study", n_study, str(n_study), "sample size of the simulated design")
    out.add(
        "exposure_structure",
        "data" if inputs.author else inputs.exposure_structure,
        "the analysed data" if inputs.author else inputs.exposure_structure,
        "joint exposure model of the simulation",
    )
    out.add("exposure_model", truth, truth, "the simulated population in words")
    out.add("n_candidates", len(model.names), str(len(model.names)), "candidates simulated")
    out.add(
        "factors",
        true_factors,
        prose_list(true_factors, labels),
        "factors with a non-null true odds ratio in the simulation",
    )
    max_mcse = float(adjusted["pipeline_power_mcse"].max())
    out.add(
        "max_power_mcse",
        max_mcse,
        format_number(100 * max_mcse, 1),
        "largest Monte Carlo SE (points) of the simulated pipeline power at the design size",
    )
    indexed: Any = table.set_index(["screen", "variable", "quantity"])
    screens = {"none": "none", "study": f"p < {study_threshold:g}"}
    summary_rows = []
    adjusted_rows: Any = adjusted.itertuples(index=False)
    for row in adjusted_rows:
        variable = str(row.variable)
        power, error = float(row.pipeline_power), float(row.pipeline_power_mcse)
        out.add(
            f"{variable}.power",
            power,
            format_number(100 * power, 1),
            f"simulated pipeline power (%) for {variable} at n = {n_study}",
        )
        out.add(
            f"{variable}.power_mcse",
            error,
            format_number(100 * error, 1),
            "its Monte Carlo SE (points)",
        )
        out.add(
            f"{variable}.true_or",
            float(row.adjusted_odds_ratio),
            format_odds_ratio(float(row.adjusted_odds_ratio)),
            f"true adjusted odds ratio of {variable} in the simulation",
        )
        for kind, label in (("fleiss_crude", "Fleiss (crude)"), ("exact_wald_crude", "exact Wald")):
            value = float(getattr(row, kind))
            out.add(
                f"{variable}.{kind}",
                value,
                format_number(100 * value, 1) if math.isfinite(value) else "NA",
                f"{label} power (%) at the crude OR of {variable}",
            )
        for screen_key, screen in screens.items():
            for quantity in ("bias_log_or", "bias_log_or_all", "selection_rate", "coverage"):
                if (screen, variable, quantity) not in indexed.index:
                    continue
                cell = indexed.loc[(screen, variable, quantity)]
                percent = quantity in ("selection_rate", "coverage")
                estimate, mcse = float(cell["estimate"]), float(cell["mcse"])
                out.add(
                    f"{variable}.{screen_key}.{quantity}",
                    estimate,
                    format_number(100 * estimate if percent else estimate, 1 if percent else 2),
                    f"{quantity} of {variable} with screen {screen}",
                )
                out.add(
                    f"{variable}.{screen_key}.{quantity}_mcse",
                    mcse,
                    format_number(100 * mcse if percent else mcse, 1 if percent else 2),
                    "its Monte Carlo SE",
                )
        mean_or = math.exp(math.log(float(row.adjusted_odds_ratio)) + float(row.bias_log_or))
        out.add(
            f"{variable}.mean_or_selected",
            mean_or,
            format_odds_ratio(mean_or),
            f"exp of the mean log OR of {variable} over the studies that selected it",
        )
        summary_rows.append(
            {
                "measure": f"share of simulated studies of n = {n_study} in which "
                f"{in_prose(labels.get(variable, variable))} was significant in the final "
                "model (simulated power)",
                "value": power,
                "unit": "",
            }
        )
    for screen_key, screen in screens.items():
        for quantity in ("familywise_false_positive", "expected_false_positives", "detect_all"):
            cell = indexed.loc[(screen, "(all)", quantity)]
            percent = quantity != "expected_false_positives"
            estimate = float(cell["estimate"])
            out.add(
                f"{screen_key}.{quantity}",
                estimate,
                format_number(100 * estimate if percent else estimate, 1 if percent else 2),
                f"{quantity} with screen {screen}",
            )
    null_rows = at_design[at_design["quantity"] == "false_inclusion"]
    false_inclusion = float(null_rows["estimate"].mean()) if len(null_rows) else math.nan
    out.add(
        "false_inclusion_mean",
        false_inclusion,
        format_number(100 * false_inclusion, 1),
        f"mean false-inclusion rate (%) of null candidates at n = {n_study}",
    )
    out.add("n_null", len(null_rows), str(len(null_rows)), "null candidates simulated")
    summary_rows.append(
        {
            "measure": f"mean share of simulated studies of n = {n_study} in which a null "
            "candidate was significant in the final model (false inclusion)",
            "value": false_inclusion,
            "unit": "",
        }
    )
    out.export("summary", pd.DataFrame(summary_rows))
    out.export("threshold", study_threshold)
    out.export("n_cases", n_cases)
    out.export("n_controls", n_controls)
    out.export(
        "power",
        pd.DataFrame(
            {
                "variable": true_factors,
                "power": [float(v) for v in adjusted["pipeline_power"]],
                "power_mcse": [float(v) for v in adjusted["pipeline_power_mcse"]],
                "true_odds_ratio": [float(v) for v in adjusted["adjusted_odds_ratio"]],
                "false_inclusion_mean": false_inclusion,
            }
        ),
    )
    return out


SECTION = Section(
    "simulation",
    _compute,
    uses=("univariable", "multivariable"),
    modules={
        "neok2.stats.simulation": ("model_from_study", "model_from_data"),
        "neok2.stats.power_curves": ("screening_threshold_table",),
        "neok2.stats.power_exact": ("power_methods",),
    },
)
