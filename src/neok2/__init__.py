"""neok2: case-control epidemiology that rebuilds, audits and stress-tests a published study.

Public names are re-exported here by name and imported on first use, so that ``import neok2``
and the command line stay quick while statsmodels, matplotlib and great-tables load only
when a function that needs them is called.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from neok2.study import SpecError, Study, available_studies, load_study

try:
    __version__ = version("neok2")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

# public name -> the module that defines it
_LAZY = {
    # data dictionary
    "DataValidationError": "dictionary",
    "ValidationReport": "dictionary",
    "dictionary_frame": "dictionary",
    "read_data": "dictionary",
    "validate_data": "dictionary",
    # 2x2 tables and baseline tables
    "TwoByTwo": "contingency",
    "crosstab_2x2": "contingency",
    "odds_ratio_2x2": "contingency",
    "BaselineTable": "baseline",
    "baseline_table": "baseline",
    # regression and selection
    "LogisticResult": "logistic",
    "logistic_regression": "logistic",
    "univariable": "logistic",
    "ScreenResult": "selection",
    "StepwiseResult": "selection",
    "bootstrap_inclusion": "selection",
    "screen_and_fit": "selection",
    "stepwise": "selection",
    "forest_plot": "forest",
    # power and simulation
    "detectable_odds_ratio": "power",
    "events_per_variable": "power",
    "power_case_control": "power",
    "power_two_proportions": "power",
    "sample_size_case_control": "power",
    "sample_size_logistic": "power",
    "study_power": "power",
    "LogisticBatchResult": "batch",
    "fit_logistic_batch": "batch",
    "ExposureModel": "simulation",
    "model_from_data": "simulation",
    "model_from_study": "simulation",
    "power_curve": "simulation",
    "simulate_pipeline": "simulation",
    # synthetic data
    "SynthesisResult": "synthesis",
    "synthesize": "synthesis",
    "synthesize_cohort": "synthesis",
    "fidelity_report": "fidelity",
    "birthweight_centile_10": "growth",
    # audit
    "AuditResult": "audit",
    "audit_study": "audit",
    "study_from_data": "audit",
    "Limitations": "limitations",
    "e_value": "limitations",
    "risk_ratio_from_odds_ratio": "limitations",
    "study_limitations": "limitations",
}

__all__ = [
    "AuditResult",
    "BaselineTable",
    "DataValidationError",
    "ExposureModel",
    "Limitations",
    "LogisticBatchResult",
    "LogisticResult",
    "ScreenResult",
    "SpecError",
    "StepwiseResult",
    "Study",
    "SynthesisResult",
    "TwoByTwo",
    "ValidationReport",
    "__version__",
    "audit_study",
    "available_studies",
    "baseline_table",
    "birthweight_centile_10",
    "bootstrap_inclusion",
    "crosstab_2x2",
    "detectable_odds_ratio",
    "dictionary_frame",
    "e_value",
    "events_per_variable",
    "fidelity_report",
    "fit_logistic_batch",
    "forest_plot",
    "load_study",
    "logistic_regression",
    "model_from_data",
    "model_from_study",
    "odds_ratio_2x2",
    "power_case_control",
    "power_curve",
    "power_two_proportions",
    "read_data",
    "risk_ratio_from_odds_ratio",
    "sample_size_case_control",
    "sample_size_logistic",
    "screen_and_fit",
    "simulate_pipeline",
    "stepwise",
    "study_from_data",
    "study_limitations",
    "study_power",
    "synthesize",
    "synthesize_cohort",
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
    from neok2.audit import AuditResult, audit_study, study_from_data
    from neok2.baseline import BaselineTable, baseline_table
    from neok2.batch import LogisticBatchResult, fit_logistic_batch
    from neok2.contingency import TwoByTwo, crosstab_2x2, odds_ratio_2x2
    from neok2.dictionary import (
        DataValidationError,
        ValidationReport,
        dictionary_frame,
        read_data,
        validate_data,
    )
    from neok2.fidelity import fidelity_report
    from neok2.forest import forest_plot
    from neok2.growth import birthweight_centile_10
    from neok2.limitations import (
        Limitations,
        e_value,
        risk_ratio_from_odds_ratio,
        study_limitations,
    )
    from neok2.logistic import LogisticResult, logistic_regression, univariable
    from neok2.power import (
        detectable_odds_ratio,
        events_per_variable,
        power_case_control,
        power_two_proportions,
        sample_size_case_control,
        sample_size_logistic,
        study_power,
    )
    from neok2.selection import (
        ScreenResult,
        StepwiseResult,
        bootstrap_inclusion,
        screen_and_fit,
        stepwise,
    )
    from neok2.simulation import (
        ExposureModel,
        model_from_data,
        model_from_study,
        power_curve,
        simulate_pipeline,
    )
    from neok2.synthesis import SynthesisResult, synthesize, synthesize_cohort
