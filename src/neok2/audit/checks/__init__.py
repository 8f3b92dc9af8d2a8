"""The audit's check families, one module each; each returns one record per check run.

:data:`CHECK_FAMILIES` lists the families in the order the audit reports them;
:func:`run_checks` runs them all on a study.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from neok2.audit.checks._shared import FINDING_COLUMNS, Record
from neok2.audit.checks.bin_means import check_bin_means
from neok2.audit.checks.ci import check_ci_p, check_ci_symmetry
from neok2.audit.checks.claims import check_text_claims
from neok2.audit.checks.direction import check_direction
from neok2.audit.checks.or_from_counts import check_or_from_counts
from neok2.audit.checks.percentages import check_percentages
from neok2.audit.checks.reporting import check_reporting
from neok2.audit.checks.screening import check_screening
from neok2.audit.checks.sd_or_sem import check_sd_or_sem
from neok2.audit.checks.table1_p import check_table1_p
from neok2.audit.checks.totals import check_totals
from neok2.study.spec import Study

__all__ = ["CHECK_FAMILIES", "FINDING_COLUMNS", "run_checks"]

CHECK_FAMILIES: dict[str, Callable[..., list[Record]]] = {
    "percent": check_percentages,
    "totals": check_totals,
    "text_claim": check_text_claims,
    "bin_mean": check_bin_means,
    "or_from_counts": check_or_from_counts,
    "ci_symmetry": check_ci_symmetry,
    "ci_p": check_ci_p,
    "table1_p": check_table1_p,
    "sd_or_sem": check_sd_or_sem,
    "direction": check_direction,
    "reporting": check_reporting,
    "screening": check_screening,
}


def _disambiguated(study: Study) -> Study:
    """The study with ``[variable]`` appended to Table 1 labels printed more than once."""
    main = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    repeated = main["label"].str.strip().str.lower().duplicated(keep=False)
    names = set(main.loc[repeated, "variable"])
    if not names:
        return study
    table1 = study.table1.copy()
    hit = table1["variable"].isin(names)
    table1.loc[hit, "label"] = table1.loc[hit, "label"] + " [" + table1.loc[hit, "variable"] + "]"
    return replace(study, table1=table1)


def run_checks(study: Study, *, ci_method: str, level: float, alpha: float) -> pd.DataFrame:
    """Run every check family and return one row per check, passed ones included.

    Locations name rows by their printed label; a label printed twice gets its variable
    appended so that locations stay distinct (the reporting family reports the repeat).
    """
    labelled = _disambiguated(study)
    records: list[Record] = []
    for name, family in CHECK_FAMILIES.items():
        target = study if name == "reporting" else labelled
        records.extend(family(target, ci_method=ci_method, level=level, alpha=alpha))
    return pd.DataFrame.from_records(records, columns=FINDING_COLUMNS)
