"""The result of :func:`neok2.synth.fidelity.fidelity_report` and its great-tables rendering.

:class:`FidelityReport` holds the long table of published numbers beside the same statistics
on a data set (one row per number) and answers the questions asked of it: how many checks
were met, which failed, how each source fared. Rendering imports great-tables only when a
table is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neok2._frozen import frozen_fields

if TYPE_CHECKING:
    from great_tables import GT

__all__ = ["REPORT_COLUMNS", "FidelityReport", "fidelity_gt"]

REPORT_COLUMNS = [
    "source",
    "variable",
    "group",
    "level",
    "statistic",
    "published",
    "synthetic",
    "difference",
    "tolerance",
    "criterion",
    "ok",
    "note",
]
_SUMMARY_COLUMNS = ["source", "n_rows", "n_checked", "n_met", "n_failed"]


@frozen_fields("rows")
@dataclass(frozen=True, eq=False)
class FidelityReport:
    """Published numbers beside the same statistic computed on a data set.

    Attributes
    ----------
    study_id : str
        The study whose published numbers are checked.
    rows : pandas.DataFrame
        One row per published number, columns ``source, variable, group, level, statistic,
        published, synthetic, difference, tolerance, criterion, ok, note`` (``ok`` is a
        nullable boolean, NA where nothing can be checked). Reading it gives a copy.

    Examples
    --------
    >>> rows = pd.DataFrame({"source": ["table1", "table1"], "variable": ["x", "y"],
    ...     "group": ["case", "case"], "level": ["", ""], "statistic": ["n", "n"],
    ...     "published": [5.0, 4.0], "synthetic": [5.0, 3.0], "difference": [0.0, -1.0],
    ...     "tolerance": [0.0, 0.0], "criterion": ["exact", "exact"],
    ...     "ok": pd.array([True, False], dtype="boolean"), "note": ["", ""]})
    >>> report = FidelityReport(study_id="demo", rows=rows)
    >>> report.n_checked, report.n_failed
    (2, 1)
    >>> report.summary()
       source  n_rows  n_checked  n_met  n_failed
    0  table1       2          2      1         1
    """

    study_id: str
    rows: pd.DataFrame = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.study_id, str):
            raise TypeError(f"`study_id` must be a string, got {type(self.study_id).__name__}")
        if not isinstance(self.rows, pd.DataFrame):
            raise TypeError(f"`rows` must be a pandas DataFrame, got {type(self.rows).__name__}")
        missing = [column for column in REPORT_COLUMNS if column not in self.rows.columns]
        if missing:
            raise ValueError(f"`rows` lacks columns {missing}; build it with fidelity_report()")

    @property
    def n_checked(self) -> int:
        """Rows with a verdict (``ok`` not NA)."""
        return int(self.rows["ok"].notna().sum())

    @property
    def n_failed(self) -> int:
        """Rows whose check failed."""
        return int(self.rows["ok"].eq(False).fillna(False).sum())

    def tidy(self) -> pd.DataFrame:
        """All rows (a copy), in the column order of ``REPORT_COLUMNS``."""
        return self.rows[REPORT_COLUMNS].reset_index(drop=True)

    def failures(self) -> pd.DataFrame:
        """The rows whose check failed (a copy)."""
        rows = self.rows
        return rows[rows["ok"].eq(False).fillna(False)].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per source: ``source, n_rows, n_checked, n_met, n_failed``, in order of appearance."""
        rows = self.rows
        ok = rows["ok"]
        frame = pd.DataFrame(
            {
                "source": rows["source"],
                "n_rows": 1,
                "n_checked": ok.notna().astype(int),
                "n_met": ok.eq(True).fillna(False).astype(int),
                "n_failed": ok.eq(False).fillna(False).astype(int),
            }
        )
        summary = frame.groupby("source", sort=False).sum().reset_index()
        return summary[_SUMMARY_COLUMNS]

    def to_gt(self, *, only_failures: bool = False) -> GT:
        """The report as a great-tables table (see :func:`fidelity_gt`)."""
        return fidelity_gt(self.rows, only_failures=only_failures)

    def _repr_html_(self) -> str:
        return str(self.to_gt().as_raw_html())


def fidelity_gt(
    report: pd.DataFrame | FidelityReport,
    *,
    only_failures: bool = False,
    table_id: str = "neok2-fidelity",
) -> GT:
    """A great-tables rendering of a fidelity report, one row group per source.

    Parameters
    ----------
    report : FidelityReport or pandas.DataFrame
        From :func:`neok2.synth.fidelity.fidelity_report` (or its ``.tidy()``).
    only_failures : bool, default False, keyword-only
        Show only rows whose ``ok`` is False.
    table_id : str, default "neok2-fidelity", keyword-only
        HTML id, fixed so that the same report always renders to the same bytes.

    Returns
    -------
    great_tables.GT
        Numbers shown to 3 significant digits; failed checks shaded.

    Examples
    --------
    >>> frame = pd.DataFrame({"source": ["table1"], "variable": ["x"], "group": ["case"],
    ...     "level": [""], "statistic": ["n"], "published": [5.0], "synthetic": [5.0],
    ...     "difference": [0.0], "tolerance": [0.0], "criterion": ["exact"],
    ...     "ok": [True], "note": [""]})
    >>> type(fidelity_gt(frame)).__name__
    'GT'
    """
    from great_tables import GT, loc, style

    if isinstance(report, FidelityReport):
        report = report.rows
    if not isinstance(report, pd.DataFrame):
        raise TypeError(
            f"`report` must be a FidelityReport or a DataFrame, got {type(report).__name__}"
        )
    missing = [column for column in REPORT_COLUMNS if column not in report.columns]
    if missing:
        raise ValueError(f"`report` lacks columns {missing}; pass the output of fidelity_report()")
    shown = report[report["ok"].eq(False).fillna(False)] if only_failures else report
    shown = shown.reset_index(drop=True).copy()
    shown["ok"] = shown["ok"].map({True: "yes", False: "NO"}).fillna("n/a")
    failed = [int(i) for i in np.flatnonzero(shown["ok"].to_numpy() == "NO")]
    table = (
        GT(shown, groupname_col="source", id=table_id)
        .tab_header(
            title="Fidelity to the published study",
            subtitle="Published numbers beside the same statistic on the data",
        )
        .fmt_number(columns=["published", "synthetic", "difference", "tolerance"], n_sigfig=3)
        .sub_missing(missing_text="")
    )
    if failed:
        table = table.tab_style(style=style.fill(color="#fde0dd"), locations=loc.body(rows=failed))
    return table
