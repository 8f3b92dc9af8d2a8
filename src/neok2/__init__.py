"""neok2: case-control epidemiology that rebuilds, audits and stress-tests a published study.

Public names are re-exported here by name and imported on first use, so that ``import neok2``
and the command line stay quick while statsmodels, matplotlib and great-tables load only
when a function that needs them is called.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from neok2.study.spec import SpecError, Study, available_studies, load_study

try:
    __version__ = version("neok2")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

# public name -> the module that defines it
_LAZY = {
    # data dictionary
    "DataValidationError": "study.dictionary",
    "ValidationReport": "study.dictionary",
    "dictionary_frame": "study.dictionary",
    "read_data": "study.dictionary",
    "validate_data": "study.dictionary",
    # 2x2 tables and baseline tables
    "TwoByTwo": "stats.contingency",
    "crosstab_2x2": "stats.contingency",
    "odds_ratio_2x2": "stats.contingency",
    "BaselineTable": "stats.baseline",
    "baseline_table": "stats.baseline",
    "fisher_exact_rxc": "stats.fisher_exact",
    # stratified, matched and trend designs
    "StratifiedResult": "stats.stratified",
    "stratified_2x2": "stats.stratified",
    "ConditionalResult": "stats.conditional",
    "MatchedPairs": "stats.conditional",
    "conditional_logistic": "stats.conditional",
    "matched_pairs": "stats.conditional",
    "conditional_screen_and_fit": "stats.matched_screen",
    "matched_set_sizes": "stats.matched_screen",
    "TrendResult": "stats.trend",
    "exposure_trend": "stats.trend",
    # regression and selection
    "LogisticResult": "stats.logistic",
    "logistic_regression": "stats.logistic",
    "univariable": "stats.logistic",
    "ScreenResult": "stats.selection",
    "StepwiseResult": "stats.selection",
    "bootstrap_inclusion": "stats.selection",
    "screen_and_fit": "stats.selection",
    "stepwise": "stats.selection",
    "forest_plot": "report.figures.forest",
    # power and simulation
    "detectable_odds_ratio": "stats.power",
    "events_per_variable": "stats.power",
    "power_case_control": "stats.power",
    "power_two_proportions": "stats.power_proportions",
    "sample_size_case_control": "stats.power",
    "sample_size_logistic": "stats.power",
    "study_power": "stats.power",
    "power_matched": "stats.power_designs",
    "power_stratified": "stats.power_designs",
    "LogisticBatchResult": "stats.batch",
    "fit_logistic_batch": "stats.batch",
    "ExposureModel": "stats.simulation",
    "model_from_data": "stats.simulation",
    "model_from_study": "stats.simulation",
    "power_curve": "stats.simulation",
    "simulate_pipeline": "stats.simulation",
    "exposure_model": "stats.exposure_model",
    "calibrated_model": "stats.calibrated_model",
    "model_check": "stats.calibrated_model",
    "pipeline_summary": "stats.simulation",
    "exact_power": "stats.power_exact",
    "power_methods": "stats.power_exact",
    "adjusted_power_table": "stats.power_curves",
    "correlation_sensitivity": "stats.power_curves",
    "power_over_n": "stats.power_curves",
    "power_over_odds_ratio": "stats.power_curves",
    "screening_threshold_table": "stats.power_curves",
    "simulated_detectable_odds_ratio": "stats.power_curves",
    # synthetic data
    "SynthesisResult": "synth.generator",
    "synthesize": "synth.generator",
    "synthesize_cohort": "synth.generator",
    "fidelity_report": "synth.fidelity",
    "TwinResult": "synth.twin",
    "synthesize_from_data": "synth.twin",
    "FidelityReport": "synth.fidelity",
    "RebuildCheck": "synth.rebuild_check",
    "rebuild_check": "synth.rebuild_check",
    "birthweight_centile_10": "stats.growth",
    # audit
    "AuditResult": "audit.run",
    "audit_study": "audit.run",
    "study_from_data": "audit.run",
    "Limitations": "audit.limitations",
    "e_value": "audit.limitations",
    "risk_ratio_from_odds_ratio": "audit.limitations",
    "study_limitations": "audit.limitations",
}

__all__ = [
    "AuditResult",
    "BaselineTable",
    "ConditionalResult",
    "DataValidationError",
    "ExposureModel",
    "FidelityReport",
    "Limitations",
    "LogisticBatchResult",
    "LogisticResult",
    "MatchedPairs",
    "RebuildCheck",
    "ScreenResult",
    "SpecError",
    "StepwiseResult",
    "StratifiedResult",
    "Study",
    "SynthesisResult",
    "TrendResult",
    "TwinResult",
    "TwoByTwo",
    "ValidationReport",
    "__version__",
    "adjusted_power_table",
    "audit_study",
    "available_studies",
    "baseline_table",
    "birthweight_centile_10",
    "bootstrap_inclusion",
    "calibrated_model",
    "conditional_logistic",
    "conditional_screen_and_fit",
    "correlation_sensitivity",
    "crosstab_2x2",
    "detectable_odds_ratio",
    "dictionary_frame",
    "e_value",
    "events_per_variable",
    "exact_power",
    "exposure_model",
    "exposure_trend",
    "fidelity_report",
    "fisher_exact_rxc",
    "fit_logistic_batch",
    "forest_plot",
    "load_study",
    "logistic_regression",
    "matched_pairs",
    "matched_set_sizes",
    "model_check",
    "model_from_data",
    "model_from_study",
    "odds_ratio_2x2",
    "pipeline_summary",
    "power_case_control",
    "power_curve",
    "power_matched",
    "power_methods",
    "power_over_n",
    "power_over_odds_ratio",
    "power_stratified",
    "power_two_proportions",
    "read_data",
    "rebuild_check",
    "risk_ratio_from_odds_ratio",
    "sample_size_case_control",
    "sample_size_logistic",
    "screen_and_fit",
    "screening_threshold_table",
    "simulate_pipeline",
    "simulated_detectable_odds_ratio",
    "stepwise",
    "stratified_2x2",
    "study_from_data",
    "study_limitations",
    "study_power",
    "synthesize",
    "synthesize_cohort",
    "synthesize_from_data",
    "univariable",
    "validate_data",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'neok2' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"neok2.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from neok2.audit.limitations import (
        Limitations,
        e_value,
        risk_ratio_from_odds_ratio,
        study_limitations,
    )
    from neok2.audit.run import AuditResult, audit_study, study_from_data
    from neok2.report.figures.forest import forest_plot
    from neok2.stats.baseline import BaselineTable, baseline_table
    from neok2.stats.batch import LogisticBatchResult, fit_logistic_batch
    from neok2.stats.calibrated_model import calibrated_model, model_check
    from neok2.stats.conditional import (
        ConditionalResult,
        MatchedPairs,
        conditional_logistic,
        matched_pairs,
    )
    from neok2.stats.contingency import TwoByTwo, crosstab_2x2, odds_ratio_2x2
    from neok2.stats.exposure_model import exposure_model
    from neok2.stats.fisher_exact import fisher_exact_rxc
    from neok2.stats.growth import birthweight_centile_10
    from neok2.stats.logistic import LogisticResult, logistic_regression, univariable
    from neok2.stats.matched_screen import conditional_screen_and_fit, matched_set_sizes
    from neok2.stats.power import (
        detectable_odds_ratio,
        events_per_variable,
        power_case_control,
        sample_size_case_control,
        sample_size_logistic,
        study_power,
    )
    from neok2.stats.power_curves import (
        adjusted_power_table,
        correlation_sensitivity,
        power_over_n,
        power_over_odds_ratio,
        screening_threshold_table,
        simulated_detectable_odds_ratio,
    )
    from neok2.stats.power_designs import power_matched, power_stratified
    from neok2.stats.power_exact import exact_power, power_methods
    from neok2.stats.power_proportions import power_two_proportions
    from neok2.stats.selection import (
        ScreenResult,
        StepwiseResult,
        bootstrap_inclusion,
        screen_and_fit,
        stepwise,
    )
    from neok2.stats.simulation import (
        ExposureModel,
        model_from_data,
        model_from_study,
        pipeline_summary,
        power_curve,
        simulate_pipeline,
    )
    from neok2.stats.stratified import StratifiedResult, stratified_2x2
    from neok2.stats.trend import TrendResult, exposure_trend
    from neok2.study.dictionary import (
        DataValidationError,
        ValidationReport,
        dictionary_frame,
        read_data,
        validate_data,
    )
    from neok2.synth.fidelity import FidelityReport, fidelity_report
    from neok2.synth.generator import SynthesisResult, synthesize, synthesize_cohort
    from neok2.synth.rebuild_check import RebuildCheck, rebuild_check
    from neok2.synth.twin import TwinResult, synthesize_from_data
