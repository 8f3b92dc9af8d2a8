"""Published beside rebuilt, judged three ways: reproduced, kept inconsistent or differs.

The fidelity report (:func:`neok2.synth.fidelity.fidelity_report`) sets each published
number beside the same statistic on the data; its ``ok`` column uses tolerances suited to
calibrating a generator (p-values on the same side of alpha, odds ratios within 5%). A reader
comparing a paper with its rebuild needs a stricter and three-way verdict:

- **reproduced**: the printed number is what the data give, at the printed precision. Counts
  must be equal; percentages, means, SDs, quartiles, odds ratios and CI limits must round to
  the printed value; a p-value's printed precision must cover the rebuilt p (``0.019`` covers
  [0.0185, 0.0195), ``0.000`` covers [0, 0.0005)).
- **kept inconsistent**: the paper contradicts itself (a text figure against Table 1, a
  percentage against its own count, a Table 2 odds ratio against Table 1's cells, a spread
  printed as an SD that must be a standard error for the printed p to hold) and the rebuild
  keeps one side; the reason says which and why.
- **differs**: neither.

Rows the fidelity report could not check (``ok`` missing, no contradiction) are
``not checkable``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from neok2.formatting import covers_p, format_number, rounds_to_printed
from neok2.study.spec import Study

__all__ = ["KEPT", "VERDICTS", "classify_comparison", "kept_reason"]

REPRODUCED, KEPT, DIFFERS, UNCHECKABLE = (
    "reproduced",
    "kept inconsistent",
    "differs",
    "not checkable",
)
VERDICTS = (REPRODUCED, KEPT, DIFFERS, UNCHECKABLE)
_EXACT = {"n", "count", "selected"}
_ROUNDED = {"percent", "mean", "sd", "median", "q1", "q3"}
_MODEL = {"odds_ratio", "ci_low", "ci_high"}
# Notes of the fidelity report that mark a published number contradicted by another one.
_TABLE1_WINS = ("Table 1 wins", "Table 1's count wins", "contradicts Table 1")
_SEM = "read as SEM"


def _printed_model_numbers(study: Study) -> dict[tuple[str, str, str], str]:
    printed: dict[tuple[str, str, str], str] = {}
    for source, frame in (
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        rows: Any = frame.itertuples(index=False)
        for row in rows:
            # a factor's levels are keyed on their term (race[Black]), as the fidelity rows
            variable = str(getattr(row, "term", "") or row.variable)
            or_text = str(row.or_printed or "") or format_number(float(row.odds_ratio), 3)
            printed[(source, variable, "odds_ratio")] = or_text
            if row.ci_printed:
                low, _, high = str(row.ci_printed).partition("-")
                printed[(source, variable, "ci_low")] = low.strip()
                printed[(source, variable, "ci_high")] = high.strip()
            if row.p_printed:
                printed[(source, variable, "p_value")] = str(row.p_printed)
    table1 = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    for variable, p_text in zip(table1["variable"], table1["p_printed"], strict=True):
        if isinstance(p_text, str) and p_text:
            printed[("table1_test", str(variable), "p_value")] = p_text
    return printed


def _strict(row: Any, printed: dict[tuple[str, str, str], str]) -> bool | None:
    """Whether the rebuilt value is the printed one at the printed precision (None: no rule)."""
    statistic, rebuilt = str(row.statistic), float(row.synthetic)
    if not math.isfinite(rebuilt):
        return False
    key = (str(row.source), str(row.variable), statistic)
    if statistic in _EXACT:
        return abs(rebuilt - float(row.published)) < 1e-9
    if statistic == "p_value":
        text = printed.get(key)
        return covers_p(min(max(rebuilt, 0.0), 1.0), text) if text else None
    if statistic in _MODEL:
        text = printed.get(key)
        return rounds_to_printed(rebuilt, text) if text else None
    if statistic in _ROUNDED:
        # the fidelity report already applied the printed precision to these
        return None if pd.isna(row.ok) or str(row.note) else bool(row.ok)
    return None if pd.isna(row.ok) else bool(row.ok)


def _verdict(row: Any, printed: dict[tuple[str, str, str], str]) -> str:
    note = "" if pd.isna(row.note) else str(row.note)
    contradicted = any(mark in note for mark in _TABLE1_WINS)
    if _SEM in note and str(row.statistic) == "sd":
        return KEPT if bool(row.ok) else DIFFERS
    strict = _strict(row, printed)
    if strict:
        return REPRODUCED
    if contradicted and (pd.isna(row.ok) or bool(row.ok)):
        return KEPT
    if strict is None and pd.isna(row.ok):
        return UNCHECKABLE
    return DIFFERS


def kept_reason(row: Any, labels: dict[str, str] | None = None) -> str:
    """Which side of a self-contradiction the rebuild keeps, and why, in one or two sentences.

    Examples
    --------
    >>> row = pd.Series({"source": "text_claim", "variable": "sga_n", "statistic": "count",
    ...                  "published": 17.0, "synthetic": 18.0,
    ...                  "note": "Table 1 gives 18.00; Table 1 wins"})
    >>> kept_reason(row).split(";")[0]
    'The text prints 17 but Table 1 gives 18'
    """
    source, statistic = str(row["source"]), str(row["statistic"])
    note = "" if pd.isna(row["note"]) else str(row["note"])
    published, rebuilt = float(row["published"]), float(row["synthetic"])

    def shown(value: float) -> str:
        return format_number(value, 0) if float(value).is_integer() else format_number(value, 1)

    if source == "text_claim":
        match = re.search(r"Table 1 gives ([0-9.]+)", note)
        implied = float(match.group(1)) if match else rebuilt
        unit = "%" if statistic == "percent" else ""
        return (
            f"The text prints {shown(published)}{unit} but Table 1 gives {shown(implied)}{unit}; "
            "the rebuild "
            "keeps Table 1, whose cells are split by group, add up to the group sizes and "
            "agree with its own p-values, while the text figure stands alone."
        )
    if statistic == "percent":
        match = re.search(r"its count (\d+)/(\d+) = ([0-9.]+)%", note)
        own = f"{match.group(1)}/{match.group(2)} = {match.group(3)}%" if match else "its count"
        return (
            f"The printed {shown(published)}% does not follow from its own count ({own}); the "
            "rebuild keeps the count, because a count cannot arise from rounding and its "
            "percentage can be recomputed."
        )
    if _SEM in note:
        return (
            "The spread is printed as an SD, but the printed p-value is out of reach unless it "
            "is a standard error of the mean; the rebuild keeps the p-value and generates the "
            "SD as spread × √n."
        )
    if statistic in _MODEL or statistic == "p_value":
        detail = note.split(";")[0].strip()
        if detail.startswith("belongs to"):
            detail = "This limit " + detail
        return (
            f"{detail}. The rebuild keeps Table 1: a univariable odds ratio is a function of the "
            "Table 1 cells it comes from, so both cannot be right, and Table 1 is the fuller "
            "record."
        )
    return note or "The rebuild keeps Table 1."


def classify_comparison(report: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Add ``verdict`` (one of :data:`VERDICTS`) and ``reason`` columns to a fidelity report.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`neok2.synth.fidelity.fidelity_report`.
    study : Study
        The study whose printed strings (odds ratios, intervals, p-values) set the precision.

    Returns
    -------
    pandas.DataFrame
        A copy of ``report`` with ``verdict`` and ``reason`` (empty unless kept inconsistent).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> report = pd.DataFrame({"source": ["univariable"], "variable": ["sga"], "group": ["all"],
    ...     "level": [""], "statistic": ["p_value"], "published": [0.003],
    ...     "synthetic": [0.0031], "ok": [True], "note": [""]})
    >>> classify_comparison(report, study)["verdict"].tolist()
    ['reproduced']
    >>> report["synthetic"] = 0.04
    >>> classify_comparison(report, study)["verdict"].tolist()
    ['differs']
    """
    if not isinstance(report, pd.DataFrame):
        raise TypeError(
            f"`report` must be a fidelity report DataFrame, got {type(report).__name__}"
        )
    needed = {"source", "variable", "statistic", "published", "synthetic", "ok", "note"}
    missing = sorted(needed - set(report.columns))
    if missing:
        raise ValueError(f"`report` lacks column(s) {missing}; pass fidelity_report(...) output")
    printed = _printed_model_numbers(study)
    verdicts = [_verdict(row, printed) for row in report.itertuples(index=False)]
    out = report.copy()
    out["verdict"] = verdicts
    out["reason"] = [
        kept_reason(row) if verdict == KEPT else ""
        for (_, row), verdict in zip(out.iterrows(), verdicts, strict=True)
    ]
    return out
