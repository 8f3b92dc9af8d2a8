"""The generator's batched logistic solver, which lives in :mod:`neok2.stats.logistic_many`.

Kept as an import path for the synthesizer's modules; the solver is shared with the
exposure models of :mod:`neok2.stats.exposure_model`.
"""

from __future__ import annotations

from neok2.stats.logistic_many import LogisticBatch, fit_logistic_many, wald_p

__all__ = ["LogisticBatch", "fit_logistic_many", "wald_p"]
