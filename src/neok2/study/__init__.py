"""The study layer: spec model and loader, data dictionary and validator, printed cells, claims.

Nothing here computes statistics beyond parsing printed numbers; every other layer reads a
study through :class:`~neok2.study.spec.Study`.
"""

from neok2.study.spec import SpecError, Study, available_studies, load_study, parse_study

__all__ = ["SpecError", "Study", "available_studies", "load_study", "parse_study"]
