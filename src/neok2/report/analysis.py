"""The analysis step behind the manuscript, under its historical import path.

The work is split by role: :mod:`neok2.report.run` runs the sections of
:mod:`neok2.report.sections` (one module per manuscript section), :mod:`neok2.report.results`
writes and reads ``results.json`` and its tables and figures, :mod:`neok2.report.prose` and
:mod:`neok2.report.tables` make the phrases and great-tables the sections quote. This module
re-exports the public names, so ``from neok2.report.analysis import run_analysis`` keeps
working (the manuscript and the command line use it).
"""

from __future__ import annotations

from neok2.report.results import (
    AnalysisResults,
    Results,
    ResultValue,
    file_sha256,
    load_results,
    write_results,
)
from neok2.report.run import run_analysis
from neok2.report.section import SectionUnavailable
from neok2.report.sections import SECTIONS

__all__ = [
    "SECTIONS",
    "AnalysisResults",
    "ResultValue",
    "Results",
    "SectionUnavailable",
    "file_sha256",
    "load_results",
    "run_analysis",
    "write_results",
]
