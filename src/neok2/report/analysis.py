"""The analysis step behind the manuscript: every number, table and figure it quotes.

:func:`run_analysis` takes a validated dataset and its :class:`~neok2.study.spec.Study`, runs the
library's modules section by section (cohort description, baseline table, univariable and
multivariable logistic regression, the published-beside-rebuilt fidelity report, the audit,
power, the pipeline simulation and the sensitivity analyses) and returns an
:class:`AnalysisResults`. :func:`write_results` stores it as artifacts:

- ``results.json``: every quoted number under a stable key, unrounded ``value`` plus a
  ``display`` string made by :mod:`neok2.formatting`, the data source, seed, data-file hash
  and package versions;
- ``tables/<name>.html`` (great-tables) and ``tables/<name>.csv`` (the unrounded tidy frame);
- ``figures/<name>.png`` (fixed DPI, no metadata, so the bytes depend only on the data).

:func:`load_results` reads them back for the manuscript, which does no analysis itself.
A section whose library module is not installed is recorded as not available, with the
reason, instead of failing the whole run.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from neok2._frozen import frozen_fields
from neok2._validation import int_like, seed_like
from neok2.formatting import format_ci, format_number, format_odds_ratio, format_p
from neok2.study.spec import Study

__all__ = [
    "SECTIONS",
    "AnalysisResults",
    "ResultValue",
    "Results",
    "file_sha256",
    "load_results",
    "run_analysis",
    "write_results",
]

DataSource = Literal["synthetic", "user"]

SECTIONS = (
    "published",
    "cohort",
    "methods",
    "baseline",
    "k2_figure",
    "univariable",
    "multivariable",
    "forest",
    "fidelity",
    "audit",
    "power",
    "simulation",
    "limitations",
    "sensitivity",
    "bootstrap",
    "reproducibility",
)
_SCHEMA_VERSION = 1
_FIGURE_DPI = 150
_PACKAGES = (
    "neok2",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "great-tables",
    "matplotlib",
    "formulaic",
    "pandera",
)


class _UnavailableError(Exception):
    """A library module a section needs is not installed (yet)."""


@dataclass(frozen=True)
class ResultValue:
    """One quoted number: unrounded ``value``, its ``display`` text and what it is."""

    key: str
    value: Any
    display: str
    description: str
    section: str


@dataclass(frozen=True)
class _Table:
    frame: pd.DataFrame
    html: str


@dataclass
class _Section:
    name: str
    values: dict[str, ResultValue] = field(default_factory=dict)
    tables: dict[str, _Table] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, value: Any, display: str, description: str) -> None:
        full_key = f"{self.name}.{key}"
        if full_key in self.values:
            raise RuntimeError(f"result key {full_key!r} produced twice")
        self.values[full_key] = ResultValue(
            full_key, _plain(value), display, description, self.name
        )

    def table(self, name: str, frame: pd.DataFrame, gt: Any) -> None:
        self.tables[name] = _Table(frame.reset_index(drop=True), gt.as_raw_html())

    def figure(self, name: str, figure: Any) -> None:
        self.figures[name] = _png_bytes(figure)


@frozen_fields(
    "data_file",
    "values",
    "tables",
    "table_html",
    "figures",
    "texts",
    "sections",
    "versions",
)
@dataclass(frozen=True)
class AnalysisResults:
    """Everything :func:`run_analysis` computed.

    Attributes
    ----------
    study : str
        The study id.
    data_source : {"synthetic", "user"}
    seed : int
    data_file : Mapping
        ``name``, ``sha256``, ``rows``, ``columns`` of the analysed file (name only, so that
        the results do not depend on where the file lies).
    values : Mapping[str, ResultValue]
        Every quoted number by key (``"cohort.n_total"``, ...).
    tables : Mapping[str, pandas.DataFrame]
        Unrounded tidy tables by name.
    table_html : Mapping[str, str]
        great-tables HTML of each table.
    figures : Mapping[str, bytes]
        PNG bytes of each figure.
    texts : Mapping[str, str]
        Generated markdown (limitations list, ...).
    sections : Mapping[str, str]
        ``""`` for every section computed, else why it is not available.
    versions : Mapping[str, str]
        Python and package versions.
    """

    study: str
    data_source: str
    seed: int
    data_file: Mapping[str, Any]
    values: Mapping[str, ResultValue]
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    table_html: Mapping[str, str] = field(repr=False)
    figures: Mapping[str, bytes] = field(repr=False)
    texts: Mapping[str, str] = field(repr=False)
    sections: Mapping[str, str] = field(repr=False)
    versions: Mapping[str, str] = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per quoted number: ``key, section, value, display, description``."""
        return pd.DataFrame(
            [(v.key, v.section, v.value, v.display, v.description) for v in self.values.values()],
            columns=["key", "section", "value", "display", "description"],
        )


# ----------------------------------------------------------------------------- helpers


def _plain(value: Any) -> Any:
    """JSON-ready copy of a value: numpy scalars become Python numbers, NaN stays NaN."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _require(module: str, *names: str) -> Any:
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is not None and (error.name == module or module.startswith(error.name)):
            raise _UnavailableError(f"{module} is not installed") from None
        raise
    missing = [name for name in names if not hasattr(imported, name)]
    if missing:
        raise _UnavailableError(f"{module} has no {', '.join(missing)}")
    return imported


def _percent(count: float, total: float) -> float:
    return math.nan if total == 0 else 100.0 * float(count) / float(total)


def _compact(value: Any) -> str:
    """A number shown with as many decimals as its size needs (tables of mixed statistics)."""
    if value is None or pd.isna(value):
        return "NA"
    value = float(value)
    if math.isfinite(value) and value == round(value):
        return format_number(value, 0)
    magnitude = abs(value)
    return format_number(value, 3 if magnitude < 1 else 2 if magnitude < 100 else 1)


def _printed_p_values(study: Study) -> dict[tuple[str, str], str]:
    """``(fidelity source, variable) -> p as printed`` for every published p-value."""
    main = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    printed: dict[tuple[str, str], str] = {}
    for source, frame in (
        ("table1_test", main),
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        for variable, p_printed in zip(frame["variable"], frame["p_printed"], strict=True):
            printed[(source, str(variable))] = str(p_printed)
    return printed


def _compact_published(value: Any, printed_p: str | None) -> str:
    # a p-value the paper printed as 0.000 is quoted as printed, never shown as "0"
    if printed_p and value is not None and pd.notna(value) and float(value) == 0:
        return f"{printed_p} (as printed)"
    return _compact(value)


def _p_phrase(p_value: float) -> str:
    text = format_p(p_value)
    if text[0] in "<>":
        return f"p {text[0]} {text[1:]}"
    return f"p = {text}"


def _printed_p_phrase(printed: str) -> str:
    """A p-value quoted from the paper; a printed zero is flagged, not silently restated.

    Examples
    --------
    >>> _printed_p_phrase("0.000"), _printed_p_phrase("0.01")
    ('p printed as 0.000', 'p = 0.01')
    """
    text = printed.strip()
    if re.fullmatch(r"0*\.?0+", text):
        return f"p printed as {text}"
    if text[:1] in "<>":
        return f"p {text[0]} {text[1:].strip()}"
    return f"p = {text}"


def _or_phrase(odds_ratio: float, low: float, high: float, p_value: float | None) -> str:
    text = f"OR {format_odds_ratio(odds_ratio)} (95% CI {format_ci(low, high)}"
    if p_value is not None and not math.isnan(p_value):
        text += f"; {_p_phrase(p_value)}"
    return text + ")"


def _list_phrase(items: Sequence[str]) -> str:
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


# Capitalised words that stay capitalised inside a sentence.
_PROPER_NOUNS = frozenset({"Apgar"})


def _in_prose(label: str) -> str:
    """A table label as it reads inside a sentence: "Antenatal steroid" -> "antenatal steroid".

    Acronyms (SGA, PROM, PT) and proper nouns (Apgar) keep their capitals.
    """
    first = re.match(r"[A-Z][a-z]+(?![A-Za-z])", label)
    if first is not None and first.group() not in _PROPER_NOUNS:
        return label[0].lower() + label[1:]
    return label


def _prose_list(variables: Iterable[str], labels: Mapping[str, str]) -> str:
    return _list_phrase([_in_prose(labels.get(v, v)) for v in variables])


def _png_bytes(figure: Any) -> bytes:
    import io

    import matplotlib

    figure = getattr(figure, "figure", figure)
    buffer = io.BytesIO()
    # a fixed salt and no Software/date metadata: the bytes depend only on what is drawn
    with matplotlib.rc_context({"svg.hashsalt": "neok2"}):
        figure.savefig(
            buffer, format="png", dpi=_FIGURE_DPI, metadata={"Software": None}, bbox_inches="tight"
        )
    return buffer.getvalue()


def _gt(frame: pd.DataFrame, table_id: str, *, notes: Iterable[str] = ()) -> Any:
    from great_tables import GT

    table = GT(frame, id=table_id)
    for note in notes:
        table = table.tab_source_note(note)
    return table


def _or_ci_cells(table: pd.DataFrame, method: str) -> list[str]:
    """Printed ``OR (low-high)`` per row from the ``odds_ratio_<method>`` and bound columns."""
    return [
        f"{format_odds_ratio(odds_ratio)} ({format_ci(low, high)})"
        for odds_ratio, low, high in zip(
            table[f"odds_ratio_{method}"],
            table[f"ci_low_{method}"],
            table[f"ci_high_{method}"],
            strict=True,
        )
    ]


def _or_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    table_id: str,
    *,
    extra: Mapping[str, Sequence[str]] | None = None,
    notes: Iterable[str] = (),
) -> Any:
    shown = pd.DataFrame(
        {
            "Variable": [labels.get(v, v) for v in frame["variable"]],
            "OR": [format_odds_ratio(v) for v in frame["odds_ratio"]],
            "95% CI": [
                format_ci(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
            ],
            "p": [format_p(p) for p in frame["p_value"]],
        }
    )
    for name, column in (extra or {}).items():
        shown[name] = list(column)
    return _gt(shown, table_id, notes=notes)


# ----------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class _Context:
    data: pd.DataFrame
    study: Study
    seed: int
    data_source: str
    bootstrap_replicates: int
    simulation_replicates: int
    labels: Mapping[str, str]
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.study.outcome

    def candidates(self) -> list[str]:
        names = [name for name in self.study.candidates if name in self.data.columns]
        if not names:
            raise _UnavailableError("the data hold none of the study's candidate columns")
        return names


def _threshold(study: Study, name: str) -> tuple[str, float] | None:
    rule = study.definitions.get(name)
    if not isinstance(rule, Mapping) or "below" not in rule or "variable" not in rule:
        return None
    return str(rule["variable"]), float(rule["below"])


def _cohort(context: _Context, section: _Section) -> None:
    data, study = context.data, context.study
    outcome = data[context.outcome]
    n_total = len(data)
    n_cases = int((outcome == 1).sum())
    n_controls = int((outcome == 0).sum())
    section.add("n_total", n_total, str(n_total), "neonates analysed")
    section.add("n_cases", n_cases, str(n_cases), f"cases ({study.group_labels['case']})")
    section.add(
        "n_controls", n_controls, str(n_controls), f"controls ({study.group_labels['control']})"
    )
    section.add(
        "n_outcome_missing",
        int(outcome.isna().sum()),
        str(int(outcome.isna().sum())),
        "rows whose case/control status is missing",
    )
    prevalence = _percent(n_cases, n_cases + n_controls)
    section.add(
        "prevalence_percent",
        prevalence,
        format_number(prevalence, 1),
        "percentage of neonates classed as cases",
    )
    if "male" in data.columns:
        males = int((data["male"] == 1).sum())
        females = int((data["male"] == 0).sum())
        section.add("n_male", males, str(males), "boys")
        section.add("n_female", females, str(females), "girls")
    deficiency = _threshold(study, "deficiency")
    if deficiency is not None:
        section.add(
            "deficiency_cutoff",
            deficiency[1],
            format_number(deficiency[1], 1),
            f"{deficiency[0]} below which a neonate is a case",
        )
    rules = {
        "undetectable": _threshold(study, "undetectable"),
        "preterm": _threshold(study, "preterm"),
    }
    bins = study.table1[(study.table1["variable"] == "ga_weeks") & (study.table1["level"] != "")]
    lowest = bins[bins["low"].isna() & bins["high"].notna()]
    if not lowest.empty:
        rules["very_preterm"] = ("ga_weeks", float(lowest["high"].iloc[0]))
    for name, rule in rules.items():
        if rule is None or rule[0] not in data.columns:
            continue
        column, cutoff = rule
        values = pd.to_numeric(data[column], errors="coerce")
        mask = values < cutoff
        count = int(mask.sum())
        known = int(values.notna().sum())
        percent = _percent(count, known)
        section.add(f"n_{name}", count, str(count), f"neonates with {column} < {cutoff:g}")
        section.add(
            f"{name}_percent",
            percent,
            format_number(percent, 1),
            f"percentage of neonates with known {column} below {cutoff:g}",
        )
        section.add(f"{name}_cutoff", cutoff, f"{cutoff:g}", f"cutoff of {column} for {name}")
        if name == "preterm":
            cases_preterm = int((mask & (outcome == 1)).sum())
            share = _percent(cases_preterm, count)
            section.add(
                "preterm_case_percent",
                share,
                format_number(share, 1),
                "percentage of preterm neonates who are cases",
            )
    if "sga" in data.columns:
        count = int((data["sga"] == 1).sum())
        percent = _percent(count, int(data["sga"].notna().sum()))
        section.add("n_sga", count, str(count), "small-for-gestational-age neonates")
        section.add("sga_percent", percent, format_number(percent, 1), "percentage SGA")
    missing_cells = int(data.isna().sum().sum())
    rows_missing = int(data.isna().any(axis=1).sum())
    section.add("n_missing_cells", missing_cells, str(missing_cells), "missing values in the file")
    section.add(
        "n_rows_with_missing",
        rows_missing,
        str(rows_missing),
        "rows with at least one missing value",
    )


def _methods(context: _Context, section: _Section) -> None:
    study = context.study
    threshold = study.screening_threshold
    alpha = float(study.design.get("alpha", 0.05))
    section.add(
        "screening_threshold",
        threshold,
        format_number(threshold, 2).rstrip("0"),
        "univariable p-value below which a candidate enters the multivariable model",
    )
    section.add("alpha", alpha, format_number(alpha, 2), "two-sided significance level")
    candidates = [name for name in context.study.candidates if name in context.data.columns]
    section.add(
        "n_candidates",
        len(candidates),
        str(len(candidates)),
        "Table 1 variables screened by univariable regression",
    )
    section.add(
        "candidates", candidates, _prose_list(candidates, context.labels), "the screened candidates"
    )
    tests = sorted({test for test in study.table1["test"] if test})
    section.add("baseline_tests", tests, _list_phrase(tests), "tests the published Table 1 names")
    window = study.design.get("window")
    if isinstance(window, Mapping):
        section.add(
            "window",
            dict(window),
            f"{window['start']} to {window['end']}",
            "recruitment window of the published study",
        )
    section.add(
        "published_software",
        study.design.get("software", ""),
        str(study.design.get("software", "")),
        "software of the published analysis",
    )


def _bands(context: _Context) -> dict[str, tuple[str, pd.Series]]:
    """Categorical versions of the binned Table 1 rows (gestational age, birth weight)."""
    table1 = context.study.table1
    bands: dict[str, tuple[str, pd.Series]] = {}
    for variable in dict.fromkeys(table1.loc[table1["level"] != "", "variable"]):
        if variable not in context.data.columns:
            continue
        rows = table1[(table1["variable"] == variable) & (table1["level"] != "")]
        rows = rows.drop_duplicates("level")
        values = pd.to_numeric(context.data[variable], errors="coerce")
        band = pd.Series(pd.NA, index=values.index, dtype="object")
        for level, low, high in zip(rows["level"], rows["low"], rows["high"], strict=True):
            inside = values.notna()
            if not math.isnan(low):
                inside &= values >= low
            if not math.isnan(high):
                inside &= values < high
            band[inside] = level
        categories = list(rows["level"])
        bands[variable] = (
            f"{variable}_band",
            pd.Series(pd.Categorical(band, categories=categories), index=values.index),
        )
    return bands


def _baseline(context: _Context, section: _Section) -> None:
    baseline = _require("neok2.stats.baseline", "baseline_table")
    study, data = context.study, context.data
    rows = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    labels = dict(context.labels)
    frame = data.copy()
    variables: list[str] = []
    summary: dict[str, str] = {}
    bands = _bands(context)
    for variable, kind in zip(rows["variable"], rows["summary"], strict=True):
        if variable not in frame.columns:
            continue
        variables.append(variable)
        summary[variable] = kind
        if variable in bands:
            band_name, band = bands[variable]
            frame[band_name] = band
            variables.append(band_name)
            summary[band_name] = "n_percent"
            labels[band_name] = f"{labels.get(variable, variable)}, band"
    missing_outcome = int(frame[context.outcome].isna().sum())
    result = baseline.baseline_table(
        frame,
        context.outcome,
        variables=variables,
        summary=summary,
        labels={v: labels.get(v, v) for v in variables},
        group_order=[1, 0],
        group_labels={1: "case", 0: "control"},
        seed=context.seed,
    )
    tidy = result.tidy()
    gt = result.to_gt(
        headers={group: study.group_labels[group] for group in ("case", "control")},
        table_id="tbl_baseline",
    )
    section.table("baseline", tidy, gt)
    context.shared["baseline"] = tidy
    section.add(
        "n_missing_outcome",
        missing_outcome,
        str(missing_outcome),
        "rows left out of Table 1 because case/control status is missing",
    )
    alpha = float(study.design.get("alpha", 0.05))
    heads = tidy[tidy["level"] == ""]
    significant: list[str] = []
    for variable, block in heads.groupby("variable", sort=False):
        variable = str(variable)
        first = block.iloc[0]
        p_value = float(first["p_value"])
        section.add(
            f"{variable}.p_value",
            p_value,
            format_p(p_value),
            f"Table 1 p-value of {variable} ({first['test']})",
        )
        section.add(
            f"{variable}.p_phrase",
            p_value,
            _p_phrase(p_value),
            f"Table 1 p-value of {variable}, as a phrase",
        )
        if not math.isnan(p_value) and p_value < alpha and variable in context.labels:
            significant.append(variable)
        cells = {group: block[block["group"] == group].iloc[0] for group in ("case", "control")}
        if first["summary"] == "n_percent":
            for group, cell in cells.items():
                section.add(
                    f"{variable}.{group}_n",
                    int(cell["n"]),
                    str(int(cell["n"])),
                    f"{group}s with {variable}",
                )
                section.add(
                    f"{variable}.{group}_percent",
                    float(cell["percent"]),
                    format_number(float(cell["percent"]), 1),
                    f"percentage of {group}s with {variable}",
                )
        elif first["summary"] == "mean_sd":
            for group, cell in cells.items():
                section.add(
                    f"{variable}.{group}_mean",
                    float(cell["mean"]),
                    format_number(float(cell["mean"]), 2),
                    f"mean {variable}, {group}s",
                )
        else:
            for group, cell in cells.items():
                section.add(
                    f"{variable}.{group}_median",
                    float(cell["median"]),
                    format_number(float(cell["median"]), 2),
                    f"median {variable}, {group}s",
                )
    # the variable that defines case status differs between the groups by construction
    rule = _threshold(study, "deficiency")
    defining = rule[0] if rule is not None else ""
    section.add(
        "significant",
        significant,
        _prose_list([v for v in significant if v != defining], context.labels),
        f"Table 1 variables with p < {alpha:g}, apart from the one defining case status",
    )


def _k2_figure(context: _Context, section: _Section) -> None:
    from matplotlib.figure import Figure

    rule = _threshold(context.study, "deficiency")
    column = rule[0] if rule is not None else "k2_ng_ml"
    if column not in context.data.columns:
        raise _UnavailableError(f"the data have no {column!r} column")
    data = context.data[[column, context.outcome]].dropna()
    figure = Figure(figsize=(5.2, 3.8))
    axes = figure.subplots()
    rng = np.random.default_rng(context.seed)
    groups = [("control", 0), ("case", 1)]
    samples = []
    for position, (group, code) in enumerate(groups, start=1):
        values = data.loc[data[context.outcome] == code, column].to_numpy(dtype=float)
        samples.append(values)
        jitter = rng.uniform(-0.12, 0.12, size=values.size)
        axes.scatter(
            position + jitter,
            values,
            s=9,
            alpha=0.55,
            color="#b2182b" if group == "case" else "#2166ac",
            linewidths=0,
        )
        median = float(np.median(values)) if values.size else math.nan
        quartiles = np.percentile(values, [25, 75]) if values.size else [math.nan, math.nan]
        section.add(
            f"median_{group}", median, format_number(median, 3), f"median {column} among {group}s"
        )
        section.add(
            f"iqr_{group}",
            list(map(float, quartiles)),
            f"{format_number(quartiles[0], 3)}-{format_number(quartiles[1], 3)}",
            f"interquartile range of {column} among {group}s",
        )
    axes.boxplot(
        samples, positions=[1, 2], widths=0.45, showfliers=False, medianprops={"color": "black"}
    )
    if rule is not None:
        axes.axhline(rule[1], color="grey", linestyle="--", linewidth=1)
        axes.annotate(
            f"{rule[1]:g} ng/mL", (2.45, rule[1]), fontsize=8, color="grey", va="bottom", ha="right"
        )
    labels = context.study.group_labels
    axes.set_xticks(
        [1, 2],
        [
            f"{labels['control']}\n(n = {samples[0].size})",
            f"{labels['case']}\n(n = {samples[1].size})",
        ],
    )
    axes.set_ylabel("Serum vitamin K2 (ng/mL)")
    axes.spines[["top", "right"]].set_visible(False)
    section.figure("k2_by_group", figure)


def _univariable(context: _Context, section: _Section) -> None:
    logistic = _require("neok2.stats.logistic", "univariable")
    candidates = context.candidates()
    table = logistic.univariable(context.data, context.outcome, candidates)
    threshold = context.study.screening_threshold
    table = table.assign(selected=table["p_value"] < threshold)
    context.shared["univariable"] = table
    notes = sorted({note for note in table["note"] if isinstance(note, str) and note})
    gt = _or_table(
        table,
        context.labels,
        "tbl_univariable",
        extra={f"p < {threshold:g}": ["yes" if s else "" for s in table["selected"]]},
        notes=[f"Each model: {context.outcome} ~ one variable; Wald 95% CI and p-value.", *notes],
    )
    section.table("univariable", table, gt)
    selected = [str(v) for v in table.loc[table["selected"], "variable"]]
    _add_variables(
        section,
        context,
        "selected",
        selected,
        "candidates whose univariable p-value passed the screen",
        count_description="number of screened-in terms",
    )
    for row in table.itertuples(index=False):
        _add_or(section, str(row.variable), row, "univariable")


def _add_variables(
    section: _Section,
    context: _Context,
    name: str,
    variables: list[str],
    description: str,
    *,
    count_description: str = "number of such terms",
) -> None:
    """A list of variables as a value, and its length as ``n_<name>``."""
    section.add(name, variables, _prose_list(variables, context.labels), description)
    section.add(f"n_{name}", len(variables), str(len(variables)), count_description)


def _add_or(section: _Section, variable: str, row: Any, model: str) -> None:
    odds_ratio, low, high = float(row.odds_ratio), float(row.ci_low), float(row.ci_high)
    p_value = float(row.p_value)
    section.add(
        f"{variable}.odds_ratio",
        odds_ratio,
        format_odds_ratio(odds_ratio),
        f"{model} odds ratio of {variable}",
    )
    section.add(f"{variable}.ci", [low, high], format_ci(low, high), "its 95% CI")
    section.add(f"{variable}.p_value", p_value, format_p(p_value), "its p-value")
    section.add(
        f"{variable}.summary",
        odds_ratio,
        _or_phrase(odds_ratio, low, high, p_value),
        f"{model} odds ratio, CI and p-value of {variable}",
    )


def _multivariable(context: _Context, section: _Section) -> None:
    selection = _require("neok2.stats.selection", "screen_and_fit")
    result = selection.screen_and_fit(
        context.data,
        context.outcome,
        context.candidates(),
        threshold=context.study.screening_threshold,
    )
    model = result.multivariable
    selected = [str(v) for v in result.selected]
    section.add(
        "terms",
        selected,
        _prose_list(selected, context.labels),
        "terms entered into the multivariable model",
    )
    if model is None:
        raise _UnavailableError("no candidate passed the univariable screen")
    table = model.tidy(intercept=False)
    context.shared["multivariable_model"] = model
    context.shared["multivariable"] = table
    notes = list(model.notes)
    gt = _or_table(
        table,
        context.labels,
        "tbl_multivariable",
        notes=[
            f"One model with every screened-in term; n = {model.n}, "
            f"{model.events} cases; Wald 95% CI and p-value.",
            *notes,
        ],
    )
    section.table("multivariable", table, gt)
    section.add("formula", model.formula, model.formula, "the multivariable model")
    section.add("n", int(model.n), str(int(model.n)), "neonates in the multivariable model")
    section.add("events", int(model.events), str(int(model.events)), "cases in the model")
    section.add(
        "n_missing",
        int(model.n_missing),
        str(int(model.n_missing)),
        "rows left out of the multivariable model for missing values",
    )
    section.add(
        "firth",
        bool(model.firth),
        "yes" if model.firth else "no",
        "whether separation forced Firth's penalised likelihood",
    )
    alpha = float(context.study.design.get("alpha", 0.05))
    significant = [str(v) for v in table.loc[table["p_value"] < alpha, "variable"]]
    _add_variables(
        section,
        context,
        "significant",
        significant,
        "terms with p below alpha in the multivariable model",
    )
    reported = [str(v) for v in context.study.multivariable["variable"]]
    extra = [v for v in significant if v not in reported]
    _add_variables(
        section,
        context,
        "significant_unreported",
        extra,
        "terms significant here that the paper did not report as independent factors",
    )
    lost = [v for v in reported if v not in significant]
    _add_variables(
        section,
        context,
        "reported_not_significant",
        lost,
        "terms the paper reported as independent factors that are not significant here",
    )
    for row in table.itertuples(index=False):
        _add_or(section, str(row.variable), row, "multivariable")


def _forest(context: _Context, section: _Section) -> None:
    forest = _require("neok2.report.figures.forest", "forest_plot")
    table = context.shared.get("multivariable")
    if table is None:
        raise _UnavailableError("the multivariable model is not available")
    figure = forest.forest_plot(
        table,
        label="variable",
        labels=dict(context.labels),
        xlabel="Adjusted odds ratio (95% CI, log scale)",
    )
    section.figure("forest", figure)


def _audit(context: _Context, section: _Section) -> None:
    audit = _require("neok2.audit.run", "audit_study")
    result = audit.audit_study(context.study)
    context.shared["audit"] = result
    findings = result.tidy()
    findings = findings[findings["severity"].isin(["error", "warning"])].reset_index(drop=True)
    shown = findings[["check", "location", "reported", "recomputed", "severity", "message"]]
    gt = (
        _gt(
            shown.rename(
                columns={
                    "location": "Where",
                    "reported": "Printed",
                    "recomputed": "Recomputed",
                    "severity": "Severity",
                    "message": "Finding",
                }
            ),
            "tbl_audit",
            notes=[
                "Notes (rounding by truncation, untestable p-values) are "
                "counted in the text but not listed."
            ],
        )
        .tab_stub(groupname_col="check")
        .cols_width(
            {
                "Where": "22%",
                "Printed": "14%",
                "Recomputed": "18%",
                "Severity": "8%",
                "Finding": "38%",
            }
        )
    )
    section.table("audit", result.tidy(include_passed=True), gt)
    summary = result.summary()
    for record in summary.to_dict(orient="records"):
        family = str(record["check"])
        for column in ("n_checks", "n_ok", "n_note", "n_warning", "n_error"):
            count = int(record[column])
            section.add(
                f"{family}.{column}",
                count,
                str(count),
                f"audit checks of family {family}: {column[2:]}",
            )
    text_errors = result.checks[
        (result.checks["check"] == "text_claim") & (result.checks["severity"] == "error")
    ]
    section.add(
        "text_claim_errors",
        list(text_errors["location"]),
        str(len(text_errors)),
        "figures of the text that Table 1 contradicts",
    )


def _fidelity(context: _Context, section: _Section) -> None:
    fidelity = _require(
        "neok2.synth.fidelity", "fidelity_report", "fidelity_gt", "NOT_SIGNIFICANT_STATISTIC"
    )
    report = fidelity.fidelity_report(context.study, context.data).tidy()
    sources = {
        "table1": "Table 1",
        "table1_bin": "Table 1 band",
        "table1_test": "Table 1 test",
        "text_claim": "Text",
        "univariable": "Table 2",
        "multivariable": "Model",
        "screen": "Screen",
        "definition": "Definition",
    }
    items = [
        " · ".join(
            part
            for part in (
                sources.get(str(src), str(src)),
                context.labels.get(str(var), str(var)),
                str(group),
                str(level),
                str(stat),
            )
            if part and part != "nan"
        )
        for src, var, group, level, stat in zip(
            report["source"],
            report["variable"],
            report["group"],
            report["level"],
            report["statistic"],
            strict=True,
        )
    ]
    agrees = ["n/a" if pd.isna(ok) else ("yes" if ok else "NO") for ok in report["ok"]]
    printed_p = _printed_p_values(context.study)
    shown = pd.DataFrame(
        {
            "Published number": items,
            "Published": [
                # a term the text did not call independent: its p was only bounded below
                f"≥ {_compact(x)} (not reported)"
                if str(stat) == fidelity.NOT_SIGNIFICANT_STATISTIC
                else _compact_published(
                    x, printed_p.get((str(src), str(var))) if str(stat) == "p_value" else None
                )
                for x, stat, src, var in zip(
                    report["published"],
                    report["statistic"],
                    report["source"],
                    report["variable"],
                    strict=True,
                )
            ],
            "Rebuilt": [
                format_p(x) if str(stat) == "p_value" and pd.notna(x) else _compact(x)
                for x, stat in zip(report["synthetic"], report["statistic"], strict=True)
            ],
            "Agrees": agrees,
        }
    )
    gt = _gt(
        shown,
        "tbl_fidelity",
        notes=[
            "Counts must be equal; percentages, means, SDs and quartiles must round to the "
            "printed value; odds ratios within 5% and CI limits within 10% on the log scale; "
            "p-values on the published side of alpha. n/a: nothing to check."
        ],
    )
    section.table("fidelity", report, gt)
    checked = report[report["ok"].notna()]
    n_checked = len(checked)
    n_ok = int(checked["ok"].astype(bool).sum())
    section.add("n_published", len(report), str(len(report)), "published numbers compared")
    section.add("n_checked", n_checked, str(n_checked), "of them checkable against the data")
    section.add("n_ok", n_ok, str(n_ok), "rebuilt values within the stated tolerance")
    share = _percent(n_ok, n_checked)
    section.add("ok_percent", share, format_number(share, 1), "percentage within tolerance")
    failed = checked[~checked["ok"].astype(bool)]
    section.add("n_failed", len(failed), str(len(failed)), "rebuilt values outside tolerance")
    for source, block in checked.groupby("source", sort=False):
        passed = int(block["ok"].astype(bool).sum())
        section.add(
            f"{source}.n_checked", len(block), str(len(block)), f"checked numbers from {source}"
        )
        section.add(f"{source}.n_ok", passed, str(passed), "of them within tolerance")


def _simulation(context: _Context, section: _Section) -> None:
    simulation = _require(
        "neok2.stats.simulation", "model_from_study", "simulate_pipeline", "power_curve"
    )
    study = context.study
    n_study = study.n
    ratio = study.groups["control"] / study.groups["case"]
    sizes = sorted({100, n_study, 2 * n_study, 400, 600, 800})
    table = simulation.simulate_pipeline(
        simulation.model_from_study(study),
        seed=context.seed,
        n_total=sizes,
        controls_per_case=ratio,
        n_replicates=context.simulation_replicates,
        threshold=study.screening_threshold,
        alpha=float(study.design.get("alpha", 0.05)),
        n_workers=1,
        progress=False,
    )
    figure = simulation.power_curve(table)
    section.figure("simulation", figure)
    at_study = table[table["n_total"] == n_study]
    true_rows = at_study[at_study["true_odds_ratio"] != 1.0]
    null_rows = at_study[at_study["true_odds_ratio"] == 1.0]
    shown = pd.DataFrame(
        {
            "Factor": [context.labels.get(v, v) for v in at_study["variable"]],
            "True OR": [format_odds_ratio(v) for v in at_study["true_odds_ratio"]],
            "Passes screen (%)": [format_number(100 * v, 1) for v in at_study["selection_rate"]],
            "Significant in final model (%)": [
                format_number(100 * (p if not math.isnan(p) else f), 1)
                for p, f in zip(at_study["power"], at_study["false_inclusion"], strict=True)
            ],
            "Mean OR when selected": [format_odds_ratio(v) for v in at_study["mean_or_selected"]],
        }
    )
    section.table(
        "simulation",
        table,
        _gt(
            shown,
            "tbl_simulation",
            notes=[
                f"{context.simulation_replicates} simulated studies of n = {n_study}; true odds "
                "ratios are the published adjusted ones, every other candidate is null."
            ],
        ),
    )
    section.add(
        "replicates",
        context.simulation_replicates,
        str(context.simulation_replicates),
        "simulated studies per sample size",
    )
    section.add("n_study", n_study, str(n_study), "published sample size")
    summary_rows = []
    for row in true_rows.itertuples(index=False):
        power = float(row.power)
        section.add(
            f"{row.variable}.power",
            power,
            format_number(100 * power, 0),
            f"simulated power (%) of the pipeline for {row.variable} at n = {n_study}",
        )
        section.add(
            f"{row.variable}.true_or",
            float(row.true_odds_ratio),
            format_odds_ratio(float(row.true_odds_ratio)),
            f"odds ratio of {row.variable} used as the truth in the simulation",
        )
        section.add(
            f"{row.variable}.mean_or_selected",
            float(row.mean_or_selected),
            format_odds_ratio(float(row.mean_or_selected)),
            f"mean estimated OR of {row.variable} in the replicates where it passed the screen",
        )
        reached = table[(table["variable"] == row.variable) & (table["power"] >= 0.8)]
        n_80 = int(reached["n_total"].min()) if len(reached) else None
        section.add(
            f"{row.variable}.n_for_80",
            n_80,
            str(n_80) if n_80 is not None else f"more than {max(sizes)}",
            f"smallest simulated total n giving 80% power for {row.variable}",
        )
        summary_rows.append(
            {
                "measure": f"share of simulated studies of n = {n_study} in which "
                f"{_in_prose(context.labels.get(row.variable, row.variable))} was significant "
                "in the final model (simulated power)",
                "value": power,
                "unit": "",
            }
        )
    false_inclusion = float(null_rows["false_inclusion"].mean())
    section.add(
        "false_inclusion_mean",
        false_inclusion,
        format_number(100 * false_inclusion, 1),
        f"mean false-inclusion rate (%) of null candidates at n = {n_study}",
    )
    section.add("n_null", len(null_rows), str(len(null_rows)), "null candidates simulated")
    summary_rows.append(
        {
            "measure": f"mean share of simulated studies of n = {n_study} in which a null "
            "candidate was significant in the final model (false inclusion)",
            "value": false_inclusion,
            "unit": "",
        }
    )
    context.shared["simulation_summary"] = pd.DataFrame(summary_rows)


def _published(context: _Context, section: _Section) -> None:
    study = context.study
    section.add("n_total", study.n, str(study.n), "neonates in the published study")
    for group in ("case", "control"):
        section.add(
            f"n_{group}", study.groups[group], str(study.groups[group]), f"published {group}s"
        )
    for model, frame in (
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        rows: Any = frame.itertuples(index=False)
        for row in rows:
            odds_ratio = row.or_printed or format_odds_ratio(row.odds_ratio, 3)
            interval = row.ci_printed or format_ci(row.ci_low, row.ci_high, 3)
            p_text = f"; {_printed_p_phrase(row.p_printed)}" if row.p_printed else ""
            section.add(
                f"{model}.{row.variable}.summary",
                float(row.odds_ratio),
                f"OR {odds_ratio} (95% CI {interval}{p_text})",
                f"published {model} OR of {row.variable}, as printed",
            )
    terms = list(study.multivariable_terms)
    section.add(
        "multivariable_terms",
        terms,
        _prose_list(terms, context.labels),
        "terms the paper entered into its multivariable model",
    )
    reported = list(study.multivariable["variable"])
    section.add(
        "multivariable_reported",
        reported,
        _prose_list(reported, context.labels),
        "terms the paper reported as independent risk factors",
    )
    for name, claim in study.text_claims.items():
        section.add(
            f"claim.{name}",
            float(claim["value"]),
            str(claim["printed"]),
            f"the paper's text: {claim['refers_to']}",
        )


def _limitations(context: _Context, section: _Section) -> None:
    limitations = _require("neok2.audit.limitations", "study_limitations")
    simulation = context.shared.get("simulation_summary")
    result = limitations.study_limitations(context.study, simulation=simulation)
    items = result.tidy()
    lines = [result.to_markdown()]
    audit = context.shared.get("audit")
    if audit is not None:
        checks = audit.checks
        errors = checks[checks["severity"] == "error"]
        families = errors["check"].value_counts()
        described = ", ".join(
            f"{count} in {family.replace('_', ' ')}" for family, count in families.items()
        )
        lines.append(
            f"- **internal consistency of the report**: {len(errors)} of {len(checks)} "
            f"recomputable published numbers disagree with the numbers they derive from "
            f"beyond rounding ({described}); "
            + (
                "where they conflict, the synthetic cohort follows Table 1."
                if context.data_source == "synthetic"
                else "these concern the published report, not the analysed data."
            )
        )
        items = pd.concat(
            [
                items,
                pd.DataFrame(
                    [
                        {
                            "topic": "internal consistency of the report",
                            "statement": lines[-1][2:],
                            "value": float(len(errors)),
                            "unit": "findings",
                            "source": "audit",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    text = "\n".join(lines)
    section.texts["limitations"] = text
    section.table("limitations", items, _gt(items[["topic", "statement"]], "tbl_limitations"))
    section.add("n_items", len(items), str(len(items)), "limitations listed")


def _power(context: _Context, section: _Section) -> None:
    power = _require("neok2.stats.power", "study_power", "events_per_variable")
    table = power.study_power(context.study)
    shown = pd.DataFrame(
        {
            "Factor": [context.labels.get(v, v) for v in table["variable"]],
            "Model": list(table["model"]),
            "Published OR": [format_odds_ratio(v) for v in table["published_odds_ratio"]],
            "Control exposure (%)": [format_number(100 * v, 1) for v in table["p0"]],
            "Power at published OR": [
                format_number(100 * v, 0) + "%" for v in table["power_published"]
            ],
            "Power at OR 2": [format_number(100 * v, 0) + "%" for v in table["power_or_2"]],
            "Detectable OR (80%)": [format_odds_ratio(v) for v in table["detectable_or_80"]],
            "Total n for 80% at published OR": [str(int(v)) for v in table["n_total_80"]],
        }
    )
    section.table(
        "power",
        table,
        _gt(
            shown,
            "tbl_power",
            notes=[
                "Two-sided alpha from the study design; Fleiss formula with the study's "
                f"{context.study.groups['control']}:{context.study.groups['case']} "
                "control:case ratio; "
                "p0 from the published control counts."
            ],
        ),
    )
    for row in table.itertuples(index=False):
        key = f"{row.model}.{row.variable}"
        section.add(
            f"{key}.power_published",
            float(row.power_published),
            format_number(100 * float(row.power_published), 0),
            f"power (%) at the published {row.model} OR of {row.variable}",
        )
        section.add(
            f"{key}.power_or_2",
            float(row.power_or_2),
            format_number(100 * float(row.power_or_2), 0),
            f"power (%) to detect OR 2 for {row.variable}",
        )
        section.add(
            f"{key}.detectable_or_80",
            float(row.detectable_or_80),
            format_odds_ratio(float(row.detectable_or_80)),
            f"smallest OR of {row.variable} detectable with 80% power",
        )
    under = table[(table["model"] == "univariable") & (table["power_or_2"] < 0.8)]
    section.add(
        "n_underpowered_or_2",
        len(under),
        str(len(under)),
        "univariable factors with under 80% power for OR 2",
    )
    n_cases = int((context.data[context.outcome] == 1).sum())
    n_controls = int((context.data[context.outcome] == 0).sum())
    n_candidates = len([c for c in context.study.candidates if c in context.data.columns])
    n_entered = len(context.study.multivariable_terms)
    for name, parameters in (("candidates", n_candidates), ("entered", n_entered)):
        if parameters and n_cases and n_controls:
            epv = power.events_per_variable(n_cases, n_controls, parameters)
            section.add(
                f"epv_{name}",
                epv,
                format_number(epv, 1),
                f"events per variable with the {name} as parameters",
            )


def _sensitivity(context: _Context, section: _Section) -> None:
    logistic = _require("neok2.stats.logistic", "logistic_regression")
    contingency = _require("neok2.stats.contingency", "crosstab_2x2")
    limitations = _require("neok2.audit.limitations", "risk_ratio_from_odds_ratio", "e_value")

    def risk_ratio(odds_ratio: float, baseline_risk: float) -> float:
        if not math.isfinite(odds_ratio) or odds_ratio <= 0:
            return math.nan
        return float(limitations.risk_ratio_from_odds_ratio(odds_ratio, baseline_risk))

    def e_value(ratio: float) -> float:
        if not math.isfinite(ratio) or ratio <= 0:
            return math.nan
        return float(limitations.e_value(ratio, kind="risk_ratio"))

    model = context.shared.get("multivariable_model")
    if model is None:
        raise _UnavailableError("the multivariable model is not available")
    wald = model.tidy(intercept=False)
    profile = logistic.logistic_regression(
        context.data, model.formula, ci="profile", firth=False
    ).tidy(intercept=False)
    firth = logistic.logistic_regression(
        context.data, model.formula, ci="profile", firth=True
    ).tidy(intercept=False)
    records = []
    for index, variable in enumerate(wald["variable"]):
        variable = str(variable)
        column = context.data[variable].dropna()
        if column.isin([0, 1]).all():
            counts = contingency.crosstab_2x2(context.data, variable, context.outcome)
            crude = counts.odds_ratio(design="cohort").tidy().iloc[0]
            # risk of deficiency among the unexposed: b / (b + d) in the case-control layout
            baseline_risk = float(crude["b"]) / float(crude["b"] + crude["d"])
            crude_risk_ratio = float(crude["risk_ratio"])
        else:
            # a per-unit OR has no unexposed group; the overall risk stands in for p0
            outcome = context.data[context.outcome].dropna()
            baseline_risk = float((outcome == 1).mean())
            crude_risk_ratio = math.nan
        adjusted = float(wald["odds_ratio"].iloc[index])
        low, high = float(wald["ci_low"].iloc[index]), float(wald["ci_high"].iloc[index])
        adjusted_rr = risk_ratio(adjusted, baseline_risk)
        rr_low, rr_high = risk_ratio(low, baseline_risk), risk_ratio(high, baseline_risk)
        limit = rr_low if adjusted_rr >= 1 else rr_high
        crosses = rr_low <= 1.0 <= rr_high
        records.append(
            {
                "variable": variable,
                "odds_ratio_wald": adjusted,
                "ci_low_wald": low,
                "ci_high_wald": high,
                "odds_ratio_profile": float(profile["odds_ratio"].iloc[index]),
                "ci_low_profile": float(profile["ci_low"].iloc[index]),
                "ci_high_profile": float(profile["ci_high"].iloc[index]),
                "odds_ratio_firth": float(firth["odds_ratio"].iloc[index]),
                "ci_low_firth": float(firth["ci_low"].iloc[index]),
                "ci_high_firth": float(firth["ci_high"].iloc[index]),
                "baseline_risk": baseline_risk,
                "crude_risk_ratio": crude_risk_ratio,
                "risk_ratio": adjusted_rr,
                "risk_ratio_low": rr_low,
                "risk_ratio_high": rr_high,
                "e_value": e_value(adjusted_rr),
                "e_value_ci": 1.0 if crosses else e_value(limit),
            }
        )
    table = pd.DataFrame.from_records(records)
    shown = pd.DataFrame(
        {
            "Variable": [context.labels.get(v, v) for v in table["variable"]],
            "OR (Wald CI)": _or_ci_cells(table, "wald"),
            "OR (profile CI)": _or_ci_cells(table, "profile"),
            "Firth OR (CI)": _or_ci_cells(table, "firth"),
            "Approx. RR (CI)": [
                f"{format_number(r, 2)} ({format_ci(lo, hi)})"
                for r, lo, hi in zip(
                    table["risk_ratio"],
                    table["risk_ratio_low"],
                    table["risk_ratio_high"],
                    strict=True,
                )
            ],
            "E-value (CI)": [
                f"{format_number(e, 2)} ({format_number(c, 2)})"
                for e, c in zip(table["e_value"], table["e_value_ci"], strict=True)
            ],
        }
    )
    section.table(
        "sensitivity",
        table,
        _gt(
            shown,
            "tbl_sensitivity",
            notes=[
                "Profile: likelihood-ratio intervals; Firth: penalised likelihood with penalised "
                "profile intervals; approximate RR = OR / (1 - p0 + p0 OR) with p0 the risk among "
                "the unexposed; E-value = RR + sqrt(RR (RR - 1)), for the estimate and the CI "
                "limit "
                "nearer 1 (1 when the interval includes 1)."
            ],
        ),
    )
    sensitivity_rows: Any = table.itertuples(index=False)
    for row in sensitivity_rows:
        variable = str(row.variable)
        section.add(
            f"{variable}.profile_ci",
            [row.ci_low_profile, row.ci_high_profile],
            format_ci(row.ci_low_profile, row.ci_high_profile),
            f"profile-likelihood 95% CI of the adjusted OR of {variable}",
        )
        section.add(
            f"{variable}.firth_or",
            row.odds_ratio_firth,
            format_odds_ratio(row.odds_ratio_firth),
            f"Firth OR of {variable}",
        )
        section.add(
            f"{variable}.risk_ratio",
            row.risk_ratio,
            format_number(row.risk_ratio, 2),
            f"approximate adjusted risk ratio of {variable}",
        )
        section.add(
            f"{variable}.e_value",
            row.e_value,
            format_number(row.e_value, 2),
            f"E-value of the adjusted estimate of {variable}",
        )
        section.add(
            f"{variable}.e_value_ci",
            row.e_value_ci,
            format_number(row.e_value_ci, 2),
            f"E-value of the CI limit nearer 1 for {variable}",
        )
    firth_change = float(
        (100 * (table["odds_ratio_firth"] / table["odds_ratio_wald"] - 1)).abs().max()
    )
    section.add(
        "max_firth_change_percent",
        firth_change,
        format_number(firth_change, 1),
        "largest change (%) of an adjusted OR under Firth's penalised likelihood",
    )
    log_width_ratio = float(
        (
            np.log(table["ci_high_profile"] / table["ci_low_profile"])
            / np.log(table["ci_high_wald"] / table["ci_low_wald"])
        ).max()
    )
    section.add(
        "max_profile_log_width_ratio",
        log_width_ratio,
        format_number(log_width_ratio, 2),
        "largest ratio of profile to Wald CI width on the log scale among the terms",
    )
    widest = table.assign(
        ratio=(table["ci_high_profile"] / table["ci_low_profile"])
        / (table["ci_high_wald"] / table["ci_low_wald"])
    )
    section.add(
        "max_profile_width_ratio",
        float(widest["ratio"].max()),
        format_number(float(widest["ratio"].max()), 2),
        "largest ratio of profile to Wald CI width (upper/lower) among the terms",
    )


def _bootstrap(context: _Context, section: _Section) -> None:
    selection = _require("neok2.stats.selection", "bootstrap_inclusion")
    table = selection.bootstrap_inclusion(
        context.data,
        context.outcome,
        context.candidates(),
        procedure="screen",
        n_boot=context.bootstrap_replicates,
        seed=context.seed,
        threshold=context.study.screening_threshold,
    )
    table = table.sort_values("inclusion_frequency", ascending=False, kind="stable")
    shown = pd.DataFrame(
        {
            "Variable": [context.labels.get(v, v) for v in table["variable"]],
            "Selected (%)": [format_number(100 * f, 1) for f in table["inclusion_frequency"]],
            "Valid resamples": [str(int(v)) for v in table["n_valid"]],
        }
    )
    section.table(
        "bootstrap",
        table,
        _gt(
            shown,
            "tbl_bootstrap",
            notes=[
                f"{context.bootstrap_replicates} bootstrap resamples, seed {context.seed}; "
                f"screen at p < {context.study.screening_threshold:g}."
            ],
        ),
    )
    section.add(
        "replicates",
        context.bootstrap_replicates,
        str(context.bootstrap_replicates),
        "bootstrap resamples",
    )
    for row in table.itertuples(index=False):
        section.add(
            f"{row.variable}.inclusion_percent",
            100 * float(row.inclusion_frequency),
            format_number(100 * float(row.inclusion_frequency), 0),
            f"percentage of resamples in which {row.variable} passes the screen",
        )
    stable = [str(v) for v in table.loc[table["inclusion_frequency"] >= 0.8, "variable"]]
    section.add(
        "stable",
        stable,
        _prose_list(stable, context.labels),
        "candidates selected in at least 80% of resamples",
    )


def _reproducibility(context: _Context, section: _Section) -> None:
    section.add("seed", context.seed, str(context.seed), "seed of every random step")
    section.add(
        "data_source",
        context.data_source,
        context.data_source,
        "synthetic cohort or the user's data",
    )
    section.add(
        "bootstrap_replicates",
        context.bootstrap_replicates,
        str(context.bootstrap_replicates),
        "bootstrap resamples",
    )
    section.add(
        "simulation_replicates",
        context.simulation_replicates,
        str(context.simulation_replicates),
        "simulated studies per scenario",
    )
    versions = _versions()
    rows = pd.DataFrame({"package": list(versions), "version": list(versions.values())})
    section.table(
        "versions",
        rows,
        _gt(rows.rename(columns={"package": "Package", "version": "Version"}), "tbl_versions"),
    )


# ----------------------------------------------------------------------------- running

_SECTION_FUNCTIONS: dict[str, Callable[[_Context, _Section], None]] = {
    "cohort": _cohort,
    "methods": _methods,
    "baseline": _baseline,
    "k2_figure": _k2_figure,
    "univariable": _univariable,
    "multivariable": _multivariable,
    "forest": _forest,
    "fidelity": _fidelity,
    "audit": _audit,
    "limitations": _limitations,
    "power": _power,
    "simulation": _simulation,
    "published": _published,
    "sensitivity": _sensitivity,
    "bootstrap": _bootstrap,
    "reproducibility": _reproducibility,
}


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def run_analysis(
    data: pd.DataFrame,
    study: Study,
    *,
    seed: int,
    data_source: DataSource = "synthetic",
    data_name: str = "",
    data_sha256: str = "",
    bootstrap_replicates: int = 100,
    simulation_replicates: int = 200,
    sections: Sequence[str] | None = None,
) -> AnalysisResults:
    """Compute every number, table and figure the manuscript quotes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per neonate, columns as in the study's data dictionary (validate it first
        with :func:`neok2.study.dictionary.validate_data`).
    study : Study
        The published study (``load_study("k2_neonates")``).
    seed : int
        Seeds every random step (figure jitter, bootstrap, simulation).
    data_source : {"synthetic", "user"}, default "synthetic"
        Whether ``data`` is the calibrated synthetic cohort or a user's own data; the
        manuscript's wording follows it.
    data_name, data_sha256 : str, optional
        File name and SHA-256 of the data file, recorded for the reproducibility appendix.
    bootstrap_replicates : int, default 100
        Bootstrap resamples of the variable selection.
    simulation_replicates : int, default 200
        Simulated studies per sample size in the pipeline simulation.
    sections : sequence of str, optional
        Compute only these of :data:`SECTIONS` (in their fixed order; the others are
        recorded as not requested). A section that needs an earlier one's model (forest,
        sensitivity) is not available without it.

    Returns
    -------
    AnalysisResults
        ``values`` (key -> :class:`ResultValue`), ``tables``, ``table_html``, ``figures``,
        ``texts``, ``sections`` (``""`` or why a section is missing), ``versions``;
        ``.tidy()`` lists the values with columns ``key, section, value, display,
        description``.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame or ``study`` not a Study.
    ValueError
        Bad ``seed``, ``data_source`` or replicate counts, or the outcome column missing.

    Notes
    -----
    The sections follow the published analysis (Table 1, univariable screen at
    ``study.screening_threshold``, multivariable model) and add what it lacks. This is the
    step R users write as a targets/drake pipeline around finalfit, gtsummary and epiR.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> results = run_analysis(data, study, seed=1, sections=["cohort", "k2_figure"])
    >>> results.values["cohort.prevalence_percent"].display
    '50.0'
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a neok2 Study (load_study(...)), got {type(study).__name__}"
        )
    seed = seed_like(seed)
    if data_source not in ("synthetic", "user"):
        raise ValueError(f"`data_source` must be 'synthetic' or 'user', got {data_source!r}")
    for name, count in (
        ("bootstrap_replicates", bootstrap_replicates),
        ("simulation_replicates", simulation_replicates),
    ):
        int_like(count, name, minimum=1)
    wanted = SECTIONS if sections is None else tuple(sections)
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown or isinstance(sections, str):
        raise ValueError(
            f"`sections`: unknown section(s) {unknown or [sections]}; choose from {SECTIONS}"
        )
    if study.outcome not in data.columns:
        raise ValueError(
            f"`data` has no outcome column {study.outcome!r}; the study's data dictionary "
            "names the columns (neok2 validate DATA lists what is missing)"
        )
    context = _Context(
        data=data,
        study=study,
        seed=int(seed),
        data_source=data_source,
        bootstrap_replicates=bootstrap_replicates,
        simulation_replicates=simulation_replicates,
        labels=study.display_labels(),
    )
    values: dict[str, ResultValue] = {}
    tables: dict[str, pd.DataFrame] = {}
    html: dict[str, str] = {}
    figures: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    status: dict[str, str] = {}
    for name in SECTIONS:
        if name not in wanted:
            status[name] = "not requested"
            continue
        section = _Section(name)
        function = _SECTION_FUNCTIONS.get(name)
        try:
            if function is None:
                raise _UnavailableError("not computed by this version of neok2.report.analysis")
            function(context, section)
        except _UnavailableError as reason:
            status[name] = str(reason)
            continue
        status[name] = ""
        values.update(section.values)
        for table_name, table in section.tables.items():
            tables[table_name] = table.frame
            html[table_name] = table.html
        figures.update(section.figures)
        texts.update(section.texts)
    data_file = {
        "name": data_name,
        "sha256": data_sha256,
        "rows": len(data),
        "columns": len(data.columns),
    }
    return AnalysisResults(
        study=study.id,
        data_source=data_source,
        seed=int(seed),
        data_file=data_file,
        values=values,
        tables=tables,
        table_html=html,
        figures=figures,
        texts=texts,
        sections=status,
        versions=_versions(),
    )


# ----------------------------------------------------------------------------- artifacts


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in results.json")


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    temporary.replace(path)


def write_results(results: AnalysisResults, out_dir: str | Path) -> list[Path]:
    """Write the artifacts of :func:`run_analysis` into ``out_dir``.

    Parameters
    ----------
    results : AnalysisResults
    out_dir : str or pathlib.Path
        Created if needed. Tables and figures of an earlier run that this run did not
        produce are removed, so the folder never mixes two runs; ``results.json`` is
        written last, so its presence means the set is complete.

    Returns
    -------
    list of pathlib.Path
        The files written, ``results.json`` last.

    Notes
    -----
    CSV tables hold the unrounded tidy frames (``repr`` precision); HTML tables are
    great-tables output; PNG figures are saved at a fixed DPI without metadata, so two runs
    with the same data and seed give byte-identical files.

    Examples
    --------
    >>> import tempfile
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> results = run_analysis(data, load_study("k2_neonates"), seed=1, sections=["cohort"])
    >>> written = write_results(results, tempfile.mkdtemp())
    >>> written[-1].name
    'results.json'
    """
    if not isinstance(results, AnalysisResults):
        raise TypeError(f"`results` must come from run_analysis, got {type(results).__name__}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"`out_dir`: {str(out)!r} exists and is not a directory")
    written: list[Path] = []
    tables_dir, figures_dir = out / "tables", out / "figures"
    keep: set[Path] = set()
    for name, frame in sorted(results.tables.items()):
        csv_path, html_path = tables_dir / f"{name}.csv", tables_dir / f"{name}.html"
        _write_atomically(csv_path, frame.to_csv(index=False, lineterminator="\n").encode())
        _write_atomically(html_path, results.table_html[name].encode("utf-8"))
        written += [csv_path, html_path]
    for name, content in sorted(results.figures.items()):
        png_path = figures_dir / f"{name}.png"
        _write_atomically(png_path, content)
        written.append(png_path)
    keep.update(written)
    for folder, pattern in ((tables_dir, "*.csv"), (tables_dir, "*.html"), (figures_dir, "*.png")):
        for stale in folder.glob(pattern):
            if stale not in keep:
                stale.unlink()
    document = {
        "schema": _SCHEMA_VERSION,
        "study": results.study,
        "data_source": results.data_source,
        "seed": results.seed,
        "data_file": dict(results.data_file),
        "sections": dict(results.sections),
        "values": {
            key: {
                "value": value.value,
                "display": value.display,
                "description": value.description,
                "section": value.section,
            }
            for key, value in sorted(results.values.items())
        },
        "tables": {
            name: {"csv": f"tables/{name}.csv", "html": f"tables/{name}.html"}
            for name in sorted(results.tables)
        },
        "figures": {name: f"figures/{name}.png" for name in sorted(results.figures)},
        "texts": dict(sorted(results.texts.items())),
        "versions": dict(results.versions),
    }
    text = json.dumps(document, indent=2, sort_keys=False, allow_nan=True, default=_json_default)
    results_path = out / "results.json"
    _write_atomically(results_path, (text + "\n").encode("utf-8"))
    written.append(results_path)
    return written


# ----------------------------------------------------------------------------- reading back


@dataclass(frozen=True)
class Results:
    """The artifacts of one analysis, read back for the manuscript.

    Use :meth:`display` for a number as the text quotes it, :meth:`value` for the unrounded
    value, :meth:`table` / :meth:`figure` for displayable objects in a notebook cell.
    """

    folder: Path
    document: Mapping[str, Any] = field(repr=False)

    @property
    def data_source(self) -> str:
        return str(self.document["data_source"])

    @property
    def synthetic(self) -> bool:
        return self.data_source == "synthetic"

    def available(self, section: str) -> bool:
        """Whether ``section`` was computed."""
        sections = self.document["sections"]
        if section not in sections:
            raise KeyError(f"unknown section {section!r}; known: {', '.join(sections)}")
        return sections[section] == ""

    def reason(self, section: str) -> str:
        """Why ``section`` is not available (``""`` if it is)."""
        return str(self.document["sections"].get(section, f"unknown section {section!r}"))

    def _missing_sections(self) -> str:
        sections = self.document["sections"]
        return "; ".join(f"{name}: {reason}" for name, reason in sections.items() if reason)

    def display(self, key: str) -> str:
        """The display text of a quoted number.

        A key of a section that was not computed reads ``"[not available]"``; any other
        unknown key is an error, so that a typo cannot slip into the text.
        """
        values = self.document["values"]
        if key in values:
            return str(values[key]["display"])
        section = key.split(".", 1)[0]
        if self.document["sections"].get(section):
            return "[not available]"
        raise KeyError(f"results.json has no value {key!r}")

    def value(self, key: str) -> Any:
        """The unrounded value of a quoted number."""
        if key not in self.document["values"]:
            raise KeyError(f"results.json has no value {key!r}")
        return self.document["values"][key]["value"]

    def has(self, key: str) -> bool:
        return key in self.document["values"]

    def table_frame(self, name: str) -> pd.DataFrame:
        """The unrounded CSV of a table."""
        return pd.read_csv(self.folder / self.document["tables"][name]["csv"])

    def table(self, name: str) -> Any:
        """An ``IPython.display.HTML`` of a great-tables table (a notice if not computed)."""
        from IPython.display import HTML

        if name not in self.document["tables"]:
            missing = self._missing_sections()
            if not missing:
                raise KeyError(f"results.json has no table {name!r}")
            return HTML(f"<table><tr><td>Table not available ({missing})</td></tr></table>")
        return HTML((self.folder / self.document["tables"][name]["html"]).read_text("utf-8"))

    def figure(self, name: str) -> Any:
        """An ``IPython.display.Image`` of a figure (a notice if not computed)."""
        from IPython.display import Image

        if name not in self.document["figures"]:
            missing = self._missing_sections()
            if not missing:
                raise KeyError(f"results.json has no figure {name!r}")
            from matplotlib.figure import Figure

            notice = Figure(figsize=(6, 1))
            notice.text(
                0.5,
                0.5,
                f"Figure not available ({missing})",
                ha="center",
                va="center",
                wrap=True,
                fontsize=8,
            )
            return Image(data=_png_bytes(notice))
        return Image(filename=str(self.folder / self.document["figures"][name]))

    def text(self, name: str) -> str:
        """A generated markdown text (e.g. the limitations list)."""
        return str(self.document["texts"][name])


def load_results(folder: str | Path) -> Results:
    """Read the artifacts written by :func:`write_results`.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding ``results.json``.

    Returns
    -------
    Results

    Examples
    --------
    >>> import tempfile
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> folder = tempfile.mkdtemp()
    >>> results = run_analysis(data, load_study("k2_neonates"), seed=1, sections=["cohort"])
    >>> _ = write_results(results, folder)
    >>> load_results(folder).display("cohort.n_cases")
    '2'
    """
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"`folder`: no results.json in {str(folder)!r}; run `neok2 analyze DATA --out "
            f"{folder}` first"
        )
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != _SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema {document.get('schema')!r} is not {_SCHEMA_VERSION}; re-run the "
            "analysis with this version of neok2"
        )
    return Results(folder=Path(folder), document=document)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits (for the reproducibility appendix).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
