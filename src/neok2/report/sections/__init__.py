"""The manuscript's sections, one module each, in the order the analysis runs them.

Each module defines ``SECTION``, a :class:`~neok2.report.section.Section` naming what it needs
from earlier sections (``requires`` / ``uses``) and which library modules it calls. To add a
section: write ``neok2/report/sections/<name>.py`` with its ``SECTION`` and list it in
:data:`REGISTRY`; the runner (:mod:`neok2.report.run`) checks its requirements, hands it only
those inputs and stores what it returns.
"""

from __future__ import annotations

from neok2.report.section import Section
from neok2.report.sections import (
    audit,
    baseline,
    bootstrap,
    cohort,
    design_curves,
    fidelity,
    forest,
    limitations,
    measurement,
    methods,
    multivariable,
    power,
    published,
    rebuild_check,
    reproducibility,
    sensitivity,
    simulation,
    univariable,
)

__all__ = ["REGISTRY", "SECTIONS"]

REGISTRY: tuple[Section, ...] = (
    published.SECTION,
    cohort.SECTION,
    methods.SECTION,
    baseline.SECTION,
    measurement.SECTION,
    univariable.SECTION,
    multivariable.SECTION,
    forest.SECTION,
    fidelity.SECTION,
    audit.SECTION,
    power.SECTION,
    simulation.SECTION,
    design_curves.SECTION,
    sensitivity.SECTION,
    limitations.SECTION,
    bootstrap.SECTION,
    rebuild_check.SECTION,
    reproducibility.SECTION,
)
"""Every section, in the order ``results.json`` lists them."""

SECTIONS: tuple[str, ...] = tuple(section.name for section in REGISTRY)
"""Their names."""
