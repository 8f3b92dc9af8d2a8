"""Design-stage curves of the whole screen-then-adjust pipeline, as tidy tables.

Each function runs :func:`neok2.stats.simulation.simulate_pipeline` (or its design-level
twin) over a grid, so every row carries Monte Carlo standard errors and ``method =
"simulated pipeline"``. Power is always computed at chosen true odds ratios (a design grid),
never at the estimates of the study being judged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from neok2.stats.exposure_model import ExposureModel, model_from_study
from neok2.stats.power import power_case_control
from neok2.stats.simulation import pipeline_tables, simulate_pipeline
from neok2.study.spec import Study

__all__ = [
    "adjusted_power_table",
    "correlation_sensitivity",
    "detectable_from_curve",
    "power_over_n",
    "power_over_odds_ratio",
    "screening_threshold_table",
    "simulated_detectable_odds_ratio",
]


def _with_odds_ratio(model: ExposureModel, variable: str, odds_ratio: float) -> ExposureModel:
    if variable not in model.names:
        raise ValueError(f"`variable` {variable!r} is not in the model; choose from {model.names}")
    ratios = model.odds_ratios.copy()
    ratios[model.names.index(variable)] = float(odds_ratio)
    return replace(model, odds_ratios=ratios)


def power_over_n(
    model: ExposureModel,
    n_total: Sequence[int],
    *,
    controls_per_case: float,
    seed: int,
    **settings: Any,
) -> pd.DataFrame:
    """Simulated power of every factor over total sample sizes.

    Parameters
    ----------
    model : ExposureModel
    n_total : sequence of int
        Total sizes, split at ``controls_per_case``.
    controls_per_case : float
    seed : int
    **settings
        Passed to :func:`~neok2.stats.simulation.simulate_pipeline` (``n_replicates``,
        ``threshold``, ``n_workers``, ``progress``...).

    Returns
    -------
    pandas.DataFrame
        The :func:`~neok2.stats.simulation.simulate_pipeline` table (``power``,
        ``power_mcse``... per size and factor).

    Examples
    --------
    >>> from neok2.stats.exposure_model import exposure_model
    >>> model = exposure_model({"steroid": 0.1}, {"steroid": 4.0})
    >>> table = power_over_n(model, [100, 200], controls_per_case=2, seed=1, n_replicates=50)
    >>> table["n_total"].tolist()
    [100, 200]
    """
    return simulate_pipeline(
        model, n_total=list(n_total), controls_per_case=controls_per_case, seed=seed, **settings
    )


def power_over_odds_ratio(
    model: ExposureModel,
    variable: str,
    odds_ratios: Sequence[float],
    *,
    n_cases: int,
    n_controls: int,
    seed: int,
    **settings: Any,
) -> pd.DataFrame:
    """Simulated power of one factor over a grid of its true odds ratio, others held fixed.

    Parameters
    ----------
    model : ExposureModel
    variable : str
        The factor whose true odds ratio varies.
    odds_ratios : sequence of float
        True odds ratios (per unit for a continuous factor).
    n_cases, n_controls, seed, **settings
        As in :func:`~neok2.stats.simulation.simulate_pipeline`; every grid point reuses
        ``seed``, so neighbouring points share their random draws (smooth curves).

    Returns
    -------
    pandas.DataFrame
        The factor's rows of the pipeline table, one per odds ratio.

    Examples
    --------
    >>> from neok2.stats.exposure_model import exposure_model
    >>> model = exposure_model({"steroid": 0.1}, {"steroid": 4.0})
    >>> table = power_over_odds_ratio(model, "steroid", [2, 4], n_cases=66, n_controls=134,
    ...                               seed=1, n_replicates=50)
    >>> table["true_odds_ratio"].tolist()
    [2.0, 4.0]
    """
    rows = []
    for odds_ratio in odds_ratios:
        table = simulate_pipeline(
            _with_odds_ratio(model, variable, odds_ratio),
            n_cases=n_cases,
            n_controls=n_controls,
            seed=seed,
            **settings,
        )
        rows.append(table[table["variable"] == variable])
    return pd.concat(rows, ignore_index=True)


def detectable_from_curve(curve: pd.DataFrame, target: float = 0.8) -> tuple[float, float]:
    """Smallest true OR reaching ``target`` on a simulated power curve, and its MC SE.

    Parameters
    ----------
    curve : pandas.DataFrame
        Rows of one factor with ``true_odds_ratio``, ``power`` and ``power_mcse`` (e.g. from
        :func:`power_over_odds_ratio`).
    target : float, default 0.8

    Returns
    -------
    tuple of float
        Linear interpolation in log OR between the first two grid points whose powers
        bracket ``target``; the MC SE follows from the power's MC SE through the slope
        (delta method). ``(inf, nan)`` when no point reaches ``target``; the first grid
        point (SE nan) when it already does.

    Examples
    --------
    >>> curve = pd.DataFrame({"true_odds_ratio": [2.0, 4.0], "power": [0.6, 1.0],
    ...                       "power_mcse": [0.01, 0.0]})
    >>> round(detectable_from_curve(curve)[0], 4)  # exp(log 2 + 0.5 log 2)
    2.8284
    """
    ordered = curve.sort_values("true_odds_ratio")
    grid = ordered["true_odds_ratio"].to_numpy(dtype=float)
    power, error = ordered["power"].to_numpy(), ordered["power_mcse"].to_numpy()
    answer, answer_se = math.inf, math.nan
    for index in range(1, len(grid)):
        if power[index - 1] < target <= power[index]:
            low, high = math.log(grid[index - 1]), math.log(grid[index])
            slope = (power[index] - power[index - 1]) / (high - low)
            answer = math.exp(low + (target - power[index - 1]) / slope)
            answer_se = answer * max(error[index - 1], error[index]) / slope
            break
    else:
        if len(power) and power[0] >= target:
            answer = float(grid[0])
    return answer, answer_se


def simulated_detectable_odds_ratio(
    model: ExposureModel,
    variable: str,
    *,
    n_cases: int,
    n_controls: int,
    seed: int,
    target: float = 0.8,
    odds_ratios: Sequence[float] = (1.5, 2, 3, 4, 6, 8, 12),
    **settings: Any,
) -> pd.DataFrame:
    """Smallest true odds ratio with simulated pipeline power ``target``, per factor.

    Parameters
    ----------
    model, variable, n_cases, n_controls, seed, **settings
        As in :func:`power_over_odds_ratio`.
    target : float, default 0.8
    odds_ratios : sequence of float
        Increasing grid searched; the answer is interpolated linearly in log OR between the
        two grid points whose powers bracket ``target``.

    Returns
    -------
    pandas.DataFrame
        One row: ``variable, target, detectable_odds_ratio, detectable_odds_ratio_mcse,
        n_cases, n_controls, n_replicates, method``; the MC SE follows from the power's MC SE
        through the slope of the curve (delta method). ``inf`` when no grid point reaches
        ``target``.

    Examples
    --------
    >>> from neok2.stats.exposure_model import exposure_model
    >>> model = exposure_model({"steroid": 0.1}, {"steroid": 4.0})
    >>> row = simulated_detectable_odds_ratio(model, "steroid", n_cases=66, n_controls=134,
    ...                                       seed=1, n_replicates=100)
    >>> 2 < float(row["detectable_odds_ratio"].iloc[0]) < 5
    True
    """
    grid = sorted(float(value) for value in odds_ratios)
    curve = power_over_odds_ratio(
        model, variable, grid, n_cases=n_cases, n_controls=n_controls, seed=seed, **settings
    )
    answer, answer_se = detectable_from_curve(curve, target)
    return pd.DataFrame(
        [
            {
                "variable": variable,
                "target": target,
                "detectable_odds_ratio": answer,
                "detectable_odds_ratio_mcse": answer_se,
                "n_cases": n_cases,
                "n_controls": n_controls,
                "n_replicates": int(curve["n_replicates"].iloc[0]),
                "method": "simulated pipeline",
            }
        ]
    )


_THRESHOLD_QUANTITIES = [
    "power",
    "selection_rate",
    "bias_log_or",
    "bias_log_or_all",
    "coverage",
    "coverage_all",
    "false_inclusion",
]
_DESIGN_QUANTITIES = [
    "familywise_false_positive",
    "expected_false_positives",
    "detect_all",
    "mean_entered",
]


def screening_threshold_table(
    model: ExposureModel,
    *,
    n_cases: int,
    n_controls: int,
    seed: int,
    thresholds: Sequence[float | None] = (0.05, 0.1, 0.2, None),
    **settings: Any,
) -> pd.DataFrame:
    """How the screening threshold moves power, bias, coverage and false positives.

    Parameters
    ----------
    model : ExposureModel
    n_cases, n_controls, seed, **settings
        As in :func:`~neok2.stats.simulation.simulate_pipeline` (same seed per threshold:
        the thresholds are compared on the same simulated studies).
    thresholds : sequence of float or None
        Screening thresholds; ``None`` is no screen (every candidate enters).

    Returns
    -------
    pandas.DataFrame
        Long and tidy: ``threshold, screen, variable, quantity, estimate, mcse,
        n_replicates, method``. Per factor: ``power`` (true factors), ``false_inclusion``
        (null factors), ``selection_rate``, ``bias_log_or`` and ``coverage`` (over the
        replicates that selected it), ``bias_log_or_all`` and ``coverage_all`` (over all
        replicates). Per design (``variable = "(all)"``): ``familywise_false_positive``,
        ``expected_false_positives``, ``detect_all`` and ``mean_entered``.

    Examples
    --------
    >>> from neok2.stats.exposure_model import exposure_model
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> table = screening_threshold_table(model, n_cases=66, n_controls=134, seed=1,
    ...                                   n_replicates=50)
    >>> table["screen"].unique().tolist()
    ['p < 0.05', 'p < 0.1', 'p < 0.2', 'none']
    """
    records = []
    for threshold in thresholds:
        screen = "none" if threshold is None else f"p < {threshold:g}"
        design, variables = pipeline_tables(
            model,
            n_cases=n_cases,
            n_controls=n_controls,
            seed=seed,
            threshold=threshold,
            **settings,
        )
        common = {
            "threshold": math.nan if threshold is None else float(threshold),
            "screen": screen,
            "method": "simulated pipeline",
        }
        for row in variables.itertuples(index=False):
            for quantity in _THRESHOLD_QUANTITIES:
                estimate = getattr(row, quantity)
                if isinstance(estimate, float) and math.isnan(estimate):
                    continue
                records.append(
                    {
                        **common,
                        "variable": row.variable,
                        "quantity": quantity,
                        "estimate": estimate,
                        "mcse": getattr(row, f"{quantity}_mcse"),
                        "n_replicates": row.n_replicates,
                    }
                )
        first = design.iloc[0]
        for quantity in _DESIGN_QUANTITIES:
            records.append(
                {
                    **common,
                    "variable": "(all)",
                    "quantity": quantity,
                    "estimate": float(first[quantity]),
                    "mcse": float(first[f"{quantity}_mcse"]),
                    "n_replicates": int(first["n_replicates"]),
                }
            )
    columns = [
        "threshold",
        "screen",
        "variable",
        "quantity",
        "estimate",
        "mcse",
        "n_replicates",
        "method",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def correlation_sensitivity(
    study: Study,
    *,
    seed: int,
    scales: Sequence[float] = (0.0, 0.5, 1.0, 1.5),
    **settings: Any,
) -> pd.DataFrame:
    """How the pipeline's answers move when the calibrated latent correlations are scaled.

    Parameters
    ----------
    study : Study
    seed : int
    scales : sequence of float, default (0, 0.5, 1, 1.5)
        Multipliers of every latent correlation of the calibrated model (0: independent
        candidates with the same control margins and true odds ratios).
    **settings
        Passed to :func:`~neok2.stats.simulation.pipeline_tables` (``n_replicates``,
        ``threshold``...); the design is the study's own group sizes.

    Returns
    -------
    pandas.DataFrame
        One row per scale and reported factor: ``correlation_scale, variable,
        true_odds_ratio, implied_crude_odds_ratio, power, power_mcse, selection_rate,
        selection_rate_mcse, bias_log_or, bias_log_or_mcse, mean_entered,
        mean_entered_mcse, familywise_false_positive, familywise_false_positive_mcse,
        method``.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> table = correlation_sensitivity(load_study("k2_neonates"), seed=1, scales=(0, 1),
    ...                                 n_replicates=20, n_workers=1)
    >>> table["correlation_scale"].unique().tolist()
    [0.0, 1.0]
    """
    records = []
    n_cases, n_controls = int(study.groups["case"]), int(study.groups["control"])
    for scale in scales:
        model = model_from_study(study, structure="calibrated", correlation_scale=float(scale))
        design, variables = pipeline_tables(
            model, n_cases=n_cases, n_controls=n_controls, seed=seed, **settings
        )
        control = model.control_probabilities @ model.support
        case = model.case_probabilities @ model.support
        first = design.iloc[0]
        for row in variables[variables["true_odds_ratio"] != 1.0].itertuples(index=False):
            column = model.names.index(row.variable)
            crude = (case[column] / (1 - case[column])) / (control[column] / (1 - control[column]))
            records.append(
                {
                    "correlation_scale": float(scale),
                    "variable": row.variable,
                    "true_odds_ratio": row.true_odds_ratio,
                    "implied_crude_odds_ratio": float(crude),
                    "power": row.power,
                    "power_mcse": row.power_mcse,
                    "selection_rate": row.selection_rate,
                    "selection_rate_mcse": row.selection_rate_mcse,
                    "bias_log_or": row.bias_log_or,
                    "bias_log_or_mcse": row.bias_log_or_mcse,
                    "mean_entered": float(first["mean_entered"]),
                    "mean_entered_mcse": float(first["mean_entered_mcse"]),
                    "familywise_false_positive": float(first["familywise_false_positive"]),
                    "familywise_false_positive_mcse": float(
                        first["familywise_false_positive_mcse"]
                    ),
                    "method": "simulated pipeline",
                }
            )
    return pd.DataFrame.from_records(records)


def adjusted_power_table(
    study: Study,
    *,
    seed: int,
    structure: str = "calibrated",
    n_replicates: int = 2000,
    **settings: Any,
) -> pd.DataFrame:
    """Power per reported factor at the study's size: crude formulas beside the pipeline.

    Parameters
    ----------
    study : Study
    seed : int
    structure : {"calibrated", "independent"}, default "calibrated"
        Exposure model of the simulated pipeline (see
        :func:`~neok2.stats.exposure_model.model_from_study`).
    n_replicates : int, default 2000
    **settings
        Passed to :func:`~neok2.stats.simulation.simulate_pipeline`.

    Returns
    -------
    pandas.DataFrame
        ``variable, odds_ratio, odds_ratio_kind, method, power, power_mcse``. Design-stage
        power at true odds ratios equal to the published ones: ``"Fleiss (crude)"`` and
        ``"Kelsey (crude)"`` rows use the crude (Table 2) odds ratio of one exposure, the
        ``"simulated pipeline"`` row the adjusted (Table 3) one through the screen and the
        multivariable fit. Analytic rows have no MC error (``power_mcse`` NaN).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> table = adjusted_power_table(load_study("k2_neonates"), seed=1,
    ...                              structure="independent", n_replicates=50)
    >>> sorted(table["method"].unique())
    ['Fleiss (crude)', 'Kelsey (crude)', 'simulated pipeline']
    """
    n_cases, n_controls = int(study.groups["case"]), int(study.groups["control"])
    model = model_from_study(study, structure=structure)  # type: ignore[arg-type]
    simulated = simulate_pipeline(
        model,
        n_cases=n_cases,
        n_controls=n_controls,
        seed=seed,
        n_replicates=n_replicates,
        threshold=study.screening_threshold,
        **settings,
    )
    crude = {
        str(name): float(value)
        for name, value in zip(
            study.univariable["variable"], study.univariable["odds_ratio"], strict=True
        )
    }
    control = model.control_probabilities @ model.support
    records = []
    for row in simulated[simulated["true_odds_ratio"] != 1.0].itertuples(index=False):
        variable = str(row.variable)
        column = model.names.index(variable)
        binary = bool(np.isin(model.support[:, column], (0.0, 1.0)).all())
        if binary and variable in crude:
            for method, label in (("fleiss", "Fleiss (crude)"), ("kelsey", "Kelsey (crude)")):
                analytic = power_case_control(
                    crude[variable],
                    float(control[column]),
                    n_cases,
                    None,
                    controls_per_case=n_controls / n_cases,
                    method=method,  # type: ignore[arg-type]
                )
                records.append(
                    {
                        "variable": row.variable,
                        "odds_ratio": crude[variable],
                        "odds_ratio_kind": "crude",
                        "method": label,
                        "power": float(analytic["power"].iloc[0]),
                        "power_mcse": math.nan,
                    }
                )
        records.append(
            {
                "variable": row.variable,
                "odds_ratio": row.true_odds_ratio,
                "odds_ratio_kind": "adjusted",
                "method": "simulated pipeline",
                "power": row.power,
                "power_mcse": row.power_mcse,
            }
        )
    return pd.DataFrame.from_records(records)
