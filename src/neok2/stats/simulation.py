"""Monte Carlo power of the whole published pipeline: screen at p < 0.1, then adjust.

A case-control study is simulated from an :class:`~neok2.stats.exposure_model.ExposureModel`
(see that module): cases and controls are drawn from the tilted and the control distributions
of its atoms. On every replicate the paper's procedure runs (:mod:`neok2.stats.pipeline`):
one univariable logistic fit per candidate (Wald p), the candidates with ``p < threshold``
enter a multivariable fit, and its Wald tests and intervals are scored against the truth.

Every simulated quantity comes with its Monte Carlo standard error (``*_mcse`` columns):
``sqrt(p (1 - p) / R)`` for a proportion over ``R`` replicates, ``sd / sqrt(m)`` for a mean
over ``m`` (Morris, White & Crowther 2019), and power also with a Wilson 95% interval.

The grid of sample sizes is cut into chunks with seeds spawned from one
``numpy.random.SeedSequence``; a chunk's numbers depend only on its seed, so results are the
same in-process, in local processes or on a Dask cluster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neok2.formatting import format_odds_ratio
from neok2.stats.exposure_model import (
    ExposureModel,
    exposure_model,
    model_from_data,
    model_from_study,
)
from neok2.stats.pipeline import check_settings, design_sizes, run_grid

__all__ = [
    "ExposureModel",
    "exposure_model",
    "model_from_data",
    "model_from_study",
    "pipeline_summary",
    "pipeline_tables",
    "power_curve",
    "simulate_pipeline",
]

# Wilson interval level for simulated power.
_WILSON_Z = 1.959963984540054


def proportion_mcse(successes: float, trials: float) -> float:
    """Monte Carlo standard error of a simulated proportion, ``sqrt(p (1 - p) / R)``.

    Examples
    --------
    >>> round(proportion_mcse(80, 100), 4)
    0.04
    """
    if trials <= 0:
        return math.nan
    share = successes / trials
    return math.sqrt(share * (1.0 - share) / trials)


def wilson_interval(successes: float, trials: float) -> tuple[float, float]:
    """Wilson score 95% interval of a simulated proportion.

    Examples
    --------
    >>> [round(value, 4) for value in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    if trials <= 0:
        return (math.nan, math.nan)
    share, z2 = successes / trials, _WILSON_Z**2
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = _WILSON_Z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials**2))
    return (centre - half / (1 + z2 / trials), centre + half / (1 + z2 / trials))


def mean_and_mcse(total: float, total_sq: float, count: float) -> tuple[float, float]:
    """Mean of ``count`` values from their sum and sum of squares, and its MC standard error.

    Examples
    --------
    >>> [round(value, 4) for value in mean_and_mcse(6.0, 14.0, 3)]
    [2.0, 0.5774]
    """
    if count <= 0:
        return (math.nan, math.nan)
    mean = total / count
    if count < 2:
        return (mean, math.nan)
    variance = max(total_sq - count * mean**2, 0.0) / (count - 1)
    return (mean, math.sqrt(variance / count))


_RESULT_COLUMNS = [
    "n_total",
    "n_cases",
    "n_controls",
    "variable",
    "true_odds_ratio",
    "power",
    "power_mcse",
    "power_ci_low",
    "power_ci_high",
    "selection_rate",
    "selection_rate_mcse",
    "false_inclusion",
    "false_inclusion_mcse",
    "mean_or_selected",
    "bias_log_or",
    "bias_log_or_mcse",
    "bias_log_or_all",
    "bias_log_or_all_mcse",
    "coverage",
    "coverage_mcse",
    "coverage_all",
    "coverage_all_mcse",
    "n_selected",
    "n_replicates",
    "n_separated",
    "method",
]


def simulate_pipeline(
    model: ExposureModel,
    *,
    seed: int,
    n_cases: int | Sequence[int] | None = None,
    n_controls: int | Sequence[int] | None = None,
    n_total: int | Sequence[int] | None = None,
    controls_per_case: float | None = None,
    n_replicates: int = 1000,
    threshold: float | None = 0.1,
    alpha: float = 0.05,
    firth: bool = False,
    chunk_size: int = 500,
    scheduler: Any = None,
    connect_timeout: float = 5.0,
    n_workers: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Simulate the screen-then-adjust analysis over a grid of sample sizes.

    Parameters
    ----------
    model : ExposureModel
        From :func:`exposure_model`, :func:`model_from_study` or :func:`model_from_data`.
    seed : int
        Root seed; chunk seeds are spawned from ``numpy.random.SeedSequence(seed)``.
    n_cases, n_controls : int or sequence of int, optional
        Group sizes (equal-length sequences give a grid; a scalar is repeated).
    n_total : int or sequence of int, optional
        Total sizes, split by ``controls_per_case`` (cases rounded to the nearest integer).
    controls_per_case : float, optional
        Required with ``n_total``.
    n_replicates : int, default 1000
        Simulated studies per grid point.
    threshold : float or None, default 0.1
        Univariable Wald p-value below which a candidate enters the multivariable model;
        ``None`` enters every candidate (no screen).
    alpha : float, default 0.05
        Significance level in the final model and ``1 - alpha`` Wald interval coverage.
    firth : bool, default False
        Fit every model by Firth's penalised likelihood instead of maximum likelihood.
    chunk_size : int, default 500
        Replicates per task; bounds memory and sets the unit of parallel work. Results
        depend on ``seed`` and ``chunk_size``, never on how the chunks are scheduled.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or client to run the chunks on.
    connect_timeout : float, default 5
        Seconds to wait for the scheduler before a ValueError says it cannot be reached.
    n_workers : int, optional
        Local processes; 1 (or a single chunk) runs in this process. Default: CPU count.
    progress : bool or None, default None
        Show a tqdm progress bar over chunks; ``None`` shows it only on a terminal.

    Returns
    -------
    pandas.DataFrame
        One row per grid point and exposure: ``n_total, n_cases, n_controls, variable,
        true_odds_ratio, power, power_mcse, power_ci_low, power_ci_high, selection_rate,
        selection_rate_mcse, false_inclusion, false_inclusion_mcse, mean_or_selected,
        bias_log_or, bias_log_or_mcse, bias_log_or_all, bias_log_or_all_mcse, coverage,
        coverage_mcse, coverage_all, coverage_all_mcse, n_selected, n_replicates,
        n_separated, method`` (``method`` is ``"simulated pipeline"``; ``*_mcse`` are Monte
        Carlo standard errors, ``power_ci_*`` the Wilson 95% interval).
        ``power`` (true factors) and ``false_inclusion`` (null factors; the other is NaN) are
        the proportions of replicates in which the factor passed the screen and had
        ``p < alpha`` in the final model; ``selection_rate`` is the proportion passing the
        screen; ``mean_or_selected`` is ``exp`` of the mean final log OR over replicates that
        selected the factor (finite estimates), ``bias_log_or`` that mean minus the true log
        OR, ``coverage`` the share of those Wald intervals containing the truth (both
        conditional on selection). ``bias_log_or_all`` and ``coverage_all`` score every
        replicate: a factor left out of the final model counts as log OR 0 whose interval is
        the point 0 (the estimate the pipeline implies), so they are unconditional.
        ``n_separated`` counts fits involving the factor flagged as separated.

    Notes
    -----
    Each replicate draws case and control counts over the model's atoms from multinomials
    with the tilted and the control probabilities; all fits are grouped binomial logistic
    regressions with Wald tests (R: ``glm(..., family = binomial)``, ``summary()``), as
    SPSS's forward-entered screen of the paper.

    References
    ----------
    Prentice RL, Pyke R (1979). Logistic disease incidence models and case-control studies.
    Biometrika 66:403-411.
    Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate statistical
    methods. Statistics in Medicine 38:2074-2102.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> table = simulate_pipeline(model, n_cases=66, n_controls=134, n_replicates=200,
    ...                           seed=1, progress=False)
    >>> table[["variable", "n_replicates"]].values.tolist()
    [['steroid', 200], ['sga', 200]]
    """
    if not isinstance(model, ExposureModel):
        raise TypeError(f"`model` must be an ExposureModel, got {type(model).__name__}")
    check_settings(seed, n_replicates, chunk_size, n_workers, threshold, alpha, connect_timeout)
    sizes = design_sizes(n_cases, n_controls, n_total, controls_per_case)
    totals = run_grid(
        model,
        sizes,
        seed=int(seed),
        n_replicates=int(n_replicates),
        threshold=threshold,
        alpha=float(alpha),
        firth=firth,
        chunk_size=int(chunk_size),
        scheduler=scheduler,
        connect_timeout=connect_timeout,
        n_workers=n_workers,
        progress=progress,
    )
    frames = [
        _variable_rows(model, cases, controls, total, int(n_replicates))
        for (cases, controls), total in zip(sizes, totals, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)[_RESULT_COLUMNS]


def _variable_rows(
    model: ExposureModel,
    n_cases: int,
    n_controls: int,
    totals: dict[str, np.ndarray],
    n_replicates: int,
) -> pd.DataFrame:
    records = []
    log_odds_ratios = np.log(model.odds_ratios)
    for column, name in enumerate(model.names):
        null = model.odds_ratios[column] == 1.0
        hits = float(totals["n_significant"][column])
        hit_rate, hit_se = hits / n_replicates, proportion_mcse(hits, n_replicates)
        low, high = wilson_interval(hits, n_replicates)
        estimated = float(totals["n_estimated"][column])
        mean_log_or, mean_se = mean_and_mcse(
            totals["sum_log_or"][column], totals["sum_sq_log_or"][column], estimated
        )
        mean_all, mean_all_se = mean_and_mcse(
            totals["sum_log_or_all"][column],
            totals["sum_sq_log_or_all"][column],
            totals["n_scored_all"][column],
        )
        selected = float(totals["n_selected"][column])
        covered = float(totals["n_covered"][column])
        covered_all = float(totals["n_covered_all"][column])
        scored_all = float(totals["n_scored_all"][column])
        records.append(
            {
                "n_total": n_cases + n_controls,
                "n_cases": n_cases,
                "n_controls": n_controls,
                "variable": name,
                "true_odds_ratio": float(model.odds_ratios[column]),
                "power": math.nan if null else hit_rate,
                "power_mcse": math.nan if null else hit_se,
                "power_ci_low": math.nan if null else low,
                "power_ci_high": math.nan if null else high,
                "selection_rate": selected / n_replicates,
                "selection_rate_mcse": proportion_mcse(selected, n_replicates),
                "false_inclusion": hit_rate if null else math.nan,
                "false_inclusion_mcse": hit_se if null else math.nan,
                "mean_or_selected": math.exp(mean_log_or) if estimated else math.nan,
                "bias_log_or": mean_log_or - log_odds_ratios[column],
                "bias_log_or_mcse": mean_se,
                "bias_log_or_all": mean_all - log_odds_ratios[column],
                "bias_log_or_all_mcse": mean_all_se,
                "coverage": covered / estimated if estimated else math.nan,
                "coverage_mcse": proportion_mcse(covered, estimated),
                "coverage_all": covered_all / scored_all if scored_all else math.nan,
                "coverage_all_mcse": proportion_mcse(covered_all, scored_all),
                "n_selected": int(selected),
                "n_replicates": n_replicates,
                "n_separated": int(totals["n_separated"][column]),
                "method": "simulated pipeline",
            }
        )
    return pd.DataFrame.from_records(records)


_DESIGN_COLUMNS = [
    "n_total",
    "n_cases",
    "n_controls",
    "threshold",
    "familywise_false_positive",
    "familywise_false_positive_mcse",
    "expected_false_positives",
    "expected_false_positives_mcse",
    "detect_all",
    "detect_all_mcse",
    "mean_entered",
    "mean_entered_mcse",
    "n_true_factors",
    "n_null_factors",
    "n_replicates",
    "method",
]


def _design_row(
    model: ExposureModel,
    n_cases: int,
    n_controls: int,
    threshold: float | None,
    totals: dict[str, np.ndarray],
    n_replicates: int,
) -> dict[str, Any]:
    any_false = float(totals["n_any_false_positive"][0])
    detected = float(totals["n_all_detected"][0])
    false_mean, false_se = mean_and_mcse(
        totals["sum_false_positives"][0], totals["sum_sq_false_positives"][0], n_replicates
    )
    entered_mean, entered_se = mean_and_mcse(
        totals["sum_entered"][0], totals["sum_sq_entered"][0], n_replicates
    )
    n_null = int((model.odds_ratios == 1.0).sum())
    return {
        "n_total": n_cases + n_controls,
        "n_cases": n_cases,
        "n_controls": n_controls,
        "threshold": math.nan if threshold is None else float(threshold),
        "familywise_false_positive": any_false / n_replicates,
        "familywise_false_positive_mcse": proportion_mcse(any_false, n_replicates),
        "expected_false_positives": false_mean,
        "expected_false_positives_mcse": false_se,
        "detect_all": detected / n_replicates,
        "detect_all_mcse": proportion_mcse(detected, n_replicates),
        "mean_entered": entered_mean,
        "mean_entered_mcse": entered_se,
        "n_true_factors": len(model.names) - n_null,
        "n_null_factors": n_null,
        "n_replicates": n_replicates,
        "method": "simulated pipeline",
    }


def pipeline_summary(
    model: ExposureModel,
    *,
    seed: int,
    n_cases: int | Sequence[int] | None = None,
    n_controls: int | Sequence[int] | None = None,
    n_total: int | Sequence[int] | None = None,
    controls_per_case: float | None = None,
    n_replicates: int = 1000,
    threshold: float | None = 0.1,
    alpha: float = 0.05,
    firth: bool = False,
    chunk_size: int = 500,
    scheduler: Any = None,
    connect_timeout: float = 5.0,
    n_workers: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Operating characteristics of the whole pipeline, one row per design.

    Parameters
    ----------
    model, seed, n_cases, n_controls, n_total, controls_per_case, n_replicates, alpha, firth,
    chunk_size, scheduler, n_workers, progress
        As in :func:`simulate_pipeline` (same seed, same replicates).
    threshold : float or None, default 0.1
        Screening p-value threshold; ``None`` enters every candidate (no screen).

    Returns
    -------
    pandas.DataFrame
        ``n_total, n_cases, n_controls, threshold, familywise_false_positive,
        expected_false_positives, detect_all, mean_entered`` (each with ``*_mcse``),
        ``n_true_factors, n_null_factors, n_replicates, method``:
        ``familywise_false_positive`` is the share of simulated studies in which at least one
        null factor ends significant in the final model, ``expected_false_positives`` the
        mean number of such factors, ``detect_all`` the share in which every true factor ends
        significant, ``mean_entered`` the mean number of candidates passing the screen.
        :func:`pipeline_tables` returns this table and the per-factor one from one run.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> row = pipeline_summary(model, n_cases=66, n_controls=134, n_replicates=200, seed=1)
    >>> row[["n_true_factors", "n_null_factors", "method"]].values.tolist()
    [[1, 1, 'simulated pipeline']]
    """
    return pipeline_tables(
        model,
        seed=seed,
        n_cases=n_cases,
        n_controls=n_controls,
        n_total=n_total,
        controls_per_case=controls_per_case,
        n_replicates=n_replicates,
        threshold=threshold,
        alpha=alpha,
        firth=firth,
        chunk_size=chunk_size,
        scheduler=scheduler,
        connect_timeout=connect_timeout,
        n_workers=n_workers,
        progress=progress,
    )[0]


def pipeline_tables(
    model: ExposureModel,
    *,
    seed: int,
    n_cases: int | Sequence[int] | None = None,
    n_controls: int | Sequence[int] | None = None,
    n_total: int | Sequence[int] | None = None,
    controls_per_case: float | None = None,
    n_replicates: int = 1000,
    threshold: float | None = 0.1,
    alpha: float = 0.05,
    firth: bool = False,
    chunk_size: int = 500,
    scheduler: Any = None,
    connect_timeout: float = 5.0,
    n_workers: int | None = None,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The design-level table of :func:`pipeline_summary` and the per-factor table of
    :func:`simulate_pipeline`, from one simulation run (same arguments).

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> design, factors = pipeline_tables(model, n_cases=66, n_controls=134,
    ...                                   n_replicates=100, seed=1)
    >>> len(design), len(factors)
    (1, 2)
    """
    if not isinstance(model, ExposureModel):
        raise TypeError(f"`model` must be an ExposureModel, got {type(model).__name__}")
    check_settings(seed, n_replicates, chunk_size, n_workers, threshold, alpha, connect_timeout)
    sizes = design_sizes(n_cases, n_controls, n_total, controls_per_case)
    totals = run_grid(
        model,
        sizes,
        seed=int(seed),
        n_replicates=int(n_replicates),
        threshold=threshold,
        alpha=float(alpha),
        firth=firth,
        chunk_size=int(chunk_size),
        scheduler=scheduler,
        connect_timeout=connect_timeout,
        n_workers=n_workers,
        progress=progress,
    )
    pairs = list(zip(sizes, totals, strict=True))
    design = pd.DataFrame.from_records(
        [
            _design_row(model, cases, controls, threshold, total, int(n_replicates))
            for (cases, controls), total in pairs
        ],
        columns=_DESIGN_COLUMNS,
    )
    variables = pd.concat(
        [
            _variable_rows(model, cases, controls, total, int(n_replicates))
            for (cases, controls), total in pairs
        ],
        ignore_index=True,
    )[_RESULT_COLUMNS]
    return design, variables


def power_curve(
    result: pd.DataFrame, *, target: float = 0.8, labels: Mapping[str, str] | None = None
) -> Figure:
    """Plot simulated power against total sample size, one line per factor.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`simulate_pipeline`.
    target : float, default 0.8
        Power drawn as a horizontal reference line.
    labels : mapping, optional
        Legend text of each variable (default: the variable name).

    Returns
    -------
    matplotlib.figure.Figure
        Power of the true factors (solid) and false-inclusion rate of the null factors
        (dashed, grey) against ``n_total``.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1}, {"steroid": 4.0})
    >>> table = simulate_pipeline(model, n_total=[100, 200], controls_per_case=2,
    ...                           n_replicates=50, seed=1, progress=False)
    >>> len(power_curve(table).axes[0].lines)
    2
    """
    required = {"n_total", "variable", "power", "false_inclusion", "true_odds_ratio"}
    if not isinstance(result, pd.DataFrame) or not required <= set(result.columns):
        raise ValueError(f"`result` must be a simulate_pipeline() table with {sorted(required)}")
    figure = Figure(figsize=(6.0, 4.0))
    axes = figure.subplots()
    null_labelled = False
    for variable, rows in result.groupby("variable", sort=False):
        rows = rows.sort_values("n_total")
        odds_ratio = rows["true_odds_ratio"].iloc[0]
        if odds_ratio == 1.0:
            # One legend entry stands for all null factors, which share a style.
            label = "_nolegend_" if null_labelled else "null factors (false inclusion)"
            null_labelled = True
            axes.plot(
                rows["n_total"],
                rows["false_inclusion"],
                linestyle="--",
                color="0.6",
                marker=".",
                label=label,
            )
        else:
            axes.plot(
                rows["n_total"],
                rows["power"],
                marker="o",
                label=f"{(labels or {}).get(str(variable), variable)} "
                f"(OR {format_odds_ratio(odds_ratio)})",
            )
    axes.axhline(target, color="black", linewidth=0.8)
    axes.set_xlabel("Total sample size (cases + controls)")
    axes.set_ylabel("Probability of p < alpha after the screen")
    axes.set_ylim(0.0, 1.0)
    axes.legend(fontsize="small", frameon=False)
    figure.tight_layout()
    return figure
