"""Published studies as data: the spec format, its validation and the typed loader.

A *study spec* is a YAML file holding what a case-control paper printed: group sizes,
every baseline-table row (cells kept in their printed form), the univariable and
multivariable odds ratios, the figures the text states on its own, definitions and the
data dictionary. :func:`load_study` validates it and returns a frozen :class:`Study` whose
tidy DataFrames the synthetic generator, the audit and the manuscript all read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from neok2.formatting import parse_cell, parse_interval, parse_number

__all__ = [
    "ColumnSpec",
    "SpecError",
    "Study",
    "available_studies",
    "load_study",
    "parse_study",
]

GROUPS = ("case", "control")


class SpecError(ValueError):
    """A study spec failed validation; the message names each offending field."""


# ----------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    # NaN or infinity is never a printed figure; rejecting them here names the field.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class _Group(_Strict):
    label: str
    n: int = Field(gt=0)


class _Groups(_Strict):
    case: _Group
    control: _Group


class _Totals(_Strict):
    n: int = Field(gt=0)
    male: int | None = Field(default=None, ge=0)
    female: int | None = Field(default=None, ge=0)


class _Window(_Strict):
    start: str
    end: str


class _Design(_Strict):
    type: Literal["case-control"] = "case-control"
    retrospective: bool = True
    centres: int = Field(default=1, ge=1)
    setting: str = ""
    window: _Window | None = None
    software: str = ""
    alpha: float = Field(default=0.05, gt=0, lt=1)


class _Outcome(_Strict):
    column: str
    definition: str = ""


class _Screening(_Strict):
    threshold: float = Field(default=0.1, gt=0, lt=1)
    candidates_from: Literal["table1"] = "table1"
    method: str = ""


class _Cells(_Strict):
    """A cell given as numbers instead of its printed form."""

    n: int | None = Field(default=None, ge=0)
    percent: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None


_Cell = str | _Cells


class _Bin(_Strict):
    level: str
    low: float | None = None
    high: float | None = None
    case: _Cell
    control: _Cell
    note: str = ""


class _Table1Row(_Strict):
    variable: str
    label: str = ""
    summary: Literal["n_percent", "mean_sd", "median_iqr"]
    test: str = ""
    case: _Cell
    control: _Cell
    p: str | float | None = None
    bins: tuple[_Bin, ...] = ()
    candidate: bool = True
    note: str = ""


class _OddsRatioRow(_Strict):
    variable: str
    label: str = ""
    or_: str | float = Field(alias="or")
    ci: str | tuple[float, float]
    p: str | float | None = None


class _Multivariable(_Strict):
    terms_entered: tuple[str, ...] = ()
    reported: tuple[_OddsRatioRow, ...] = ()
    not_significant: tuple[str, ...] = ()


class _Claim(_Strict):
    value: float
    printed: str = ""
    refers_to: str = ""


class ColumnSpec(_Strict):
    """One column of the data dictionary."""

    name: str
    type: Literal["id", "binary", "integer", "continuous", "categorical", "date"]
    unit: str = ""
    min: float | None = None
    max: float | None = None
    levels: tuple[str, ...] = ()
    required: bool = True
    description: str = ""


class _Spec(_Strict):
    id: str
    title: str = ""
    source: str = ""
    design: _Design = _Design()
    outcome: _Outcome
    groups: _Groups
    totals: _Totals
    definitions: dict[str, dict[str, Any]] = {}
    screening: _Screening = _Screening()
    table1: tuple[_Table1Row, ...]
    univariable: tuple[_OddsRatioRow, ...] = ()
    multivariable: _Multivariable = _Multivariable()
    text_claims: dict[str, _Claim] = {}
    columns: tuple[ColumnSpec, ...] = ()

    @field_validator("table1")
    @classmethod
    def _table1_not_empty(cls, rows: tuple[_Table1Row, ...]) -> tuple[_Table1Row, ...]:
        if not rows:
            raise ValueError("table1 must list at least one row")
        return rows


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Study:
    """A validated study spec.

    Attributes
    ----------
    id, title, source : str
    design : Mapping
        ``type``, ``retrospective``, ``centres``, ``setting``, ``window``, ``software``, ``alpha``.
    outcome : str
        Name of the 0/1 outcome column (1 = case).
    groups : Mapping[str, int]
        ``{"case": n_cases, "control": n_controls}``.
    group_labels : Mapping[str, str]
    totals : Mapping[str, int | None]
    definitions : Mapping
    screening_threshold : float
    table1 : pandas.DataFrame
        One row per variable, level and group: ``variable, level, group, n, percent, mean,
        sd, median, q1, q3, p_value, p_printed`` plus ``label, summary, test, printed,
        low, high, candidate, note``.
    univariable, multivariable : pandas.DataFrame
        ``variable, odds_ratio, ci_low, ci_high, p_value, p_printed`` plus ``label,
        or_printed, ci_printed``.
    multivariable_terms : tuple of str
        Variables entered into the multivariable model.
    multivariable_not_significant : tuple of str
        Entered variables the text says were not independently associated (p >= alpha in
        the multivariable model), though their estimates were not printed.
    text_claims : Mapping[str, Mapping]
        ``name -> {"value", "printed", "refers_to"}``.
    columns : tuple of ColumnSpec
        The data dictionary.
    path : pathlib.Path or None
        Where the spec was read from.
    """

    id: str
    title: str
    source: str
    design: Mapping[str, Any]
    outcome: str
    groups: Mapping[str, int]
    group_labels: Mapping[str, str]
    totals: Mapping[str, int | None]
    definitions: Mapping[str, Any]
    screening_threshold: float
    table1: pd.DataFrame = field(repr=False)
    univariable: pd.DataFrame = field(repr=False)
    multivariable: pd.DataFrame = field(repr=False)
    multivariable_terms: tuple[str, ...]
    multivariable_not_significant: tuple[str, ...]
    text_claims: Mapping[str, Mapping[str, Any]] = field(repr=False)
    columns: tuple[ColumnSpec, ...] = field(repr=False)
    path: Path | None = None

    @property
    def n(self) -> int:
        """Total number of subjects."""
        return int(sum(self.groups.values()))

    @property
    def candidates(self) -> tuple[str, ...]:
        """Table 1 variables eligible for the univariable screen, in table order."""
        rows = self.table1[self.table1["candidate"] & (self.table1["level"] == "")]
        return tuple(dict.fromkeys(rows["variable"]))

    def row(self, variable: str, group: str, level: str = "") -> pd.Series:
        """The Table 1 entry for one variable (and bin level) in one group.

        Examples
        --------
        >>> int(load_study("k2_neonates").row("caesarean", "case")["n"])
        50
        """
        frame = self.table1
        hit = frame[
            (frame["variable"] == variable) & (frame["group"] == group) & (frame["level"] == level)
        ]
        if hit.empty:
            raise KeyError(
                f"no Table 1 entry for variable={variable!r}, group={group!r}, level={level!r}"
            )
        return hit.iloc[0]

    def display_labels(self) -> dict[str, str]:
        """One readable label per variable, for tables and prose about rebuilt results.

        Printed Table 1 labels are kept, less their cell format ("SGA, n (%)" -> "SGA"),
        except where the paper printed one label for two rows: those rows take the data
        dictionary's description (and unit), so each variable stays recognisable. Variables
        known only from Table 2 or the multivariable results keep their printed label.
        Quotations of the paper should use the printed ``label`` column instead.

        Examples
        --------
        >>> labels = load_study("k2_neonates").display_labels()
        >>> labels["sga"], labels["apgar_10min"]
        ('SGA', 'Apgar score at 10 minutes')
        """
        rows = self.table1[self.table1["level"] == ""].drop_duplicates("variable")
        labels = {
            variable: re.sub(r",?\s*n \(%\)$", "", label).strip()
            for variable, label in zip(rows["variable"], rows["label"], strict=True)
        }
        for frame in (self.univariable, self.multivariable):
            for variable, label in zip(frame["variable"], frame["label"], strict=True):
                labels.setdefault(variable, label)
        counts = pd.Series(list(labels.values())).str.lower().value_counts()
        for variable, label in list(labels.items()):
            if counts[label.lower()] < 2:
                continue
            try:
                column = self.column(variable)
            except KeyError:
                continue
            if column.description:
                unit = f" ({column.unit})" if column.unit else ""
                labels[variable] = column.description[0].upper() + column.description[1:] + unit
        return labels

    def column(self, name: str) -> ColumnSpec:
        """The data-dictionary entry for a column."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"column {name!r} is not in the data dictionary of study {self.id!r}")


# ----------------------------------------------------------------------------- building

_TABLE1_COLUMNS = [
    "variable", "level", "group", "n", "percent", "mean", "sd", "median", "q1", "q3",
    "p_value", "p_printed", "label", "summary", "test", "printed", "low", "high",
    "candidate", "note",
]  # fmt: skip
_OR_COLUMNS = [
    "variable", "odds_ratio", "ci_low", "ci_high", "p_value", "p_printed",
    "label", "or_printed", "ci_printed",
]  # fmt: skip


def _p_fields(p: str | float | None, where: str) -> tuple[float, str]:
    if p is None:
        return math.nan, ""
    if isinstance(p, str):
        printed = p
        try:
            value = parse_number(p.lstrip("<>="))
        except ValueError as error:
            raise SpecError(f"{where}.p: {error}") from None
    else:
        value, printed = float(p), repr(float(p))
    if not 0.0 <= value <= 1.0:
        raise SpecError(f"{where}.p: a p-value must lie in [0, 1], got {printed!r}")
    return value, printed


def _cell_record(cell: _Cell, summary: str, group_n: int, where: str) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(["n", "percent", "mean", "sd", "median", "q1", "q3"])
    if isinstance(cell, str):
        try:
            parsed = parse_cell(cell, summary)
        except ValueError as error:
            raise SpecError(f"{where}: {error}") from None
        printed = cell
        names = {"n_percent": ("n", "percent"), "mean_sd": ("mean", "sd"),
                 "median_iqr": ("median", "q1", "q3")}[summary]  # fmt: skip
        record.update(zip(names, parsed.values, strict=True))
    else:
        printed = ""
        record.update(cell.model_dump())
    if summary == "n_percent":
        if record["n"] is None:
            raise SpecError(f"{where}: an n_percent cell needs a count `n`")
        if float(record["n"]) != int(record["n"]) or record["n"] < 0:
            raise SpecError(
                f"{where}: count must be a non-negative whole number, got {record['n']}"
            )
        record["n"] = int(record["n"])
        if record["n"] > group_n:
            raise SpecError(f"{where}: count {record['n']} is larger than the group size {group_n}")
        if record["percent"] is not None and not 0.0 <= record["percent"] <= 100.0:
            raise SpecError(f"{where}: percentage {record['percent']} lies outside 0-100")
    elif summary == "mean_sd":
        if record["mean"] is None or record["sd"] is None:
            raise SpecError(f"{where}: a mean_sd cell needs `mean` and `sd`")
        if record["sd"] < 0:
            raise SpecError(f"{where}: standard deviation must be >= 0, got {record['sd']}")
    else:
        if None in (record["median"], record["q1"], record["q3"]):
            raise SpecError(f"{where}: a median_iqr cell needs `median`, `q1` and `q3`")
        if not record["q1"] <= record["median"] <= record["q3"]:
            raise SpecError(
                f"{where}: quartiles must satisfy q1 <= median <= q3, got "
                f"{record['q1']}, {record['median']}, {record['q3']}"
            )
    record["printed"] = printed
    return record


def _or_frame(rows: tuple[_OddsRatioRow, ...], where: str) -> pd.DataFrame:
    records = []
    for index, row in enumerate(rows):
        place = f"{where}[{index}] ({row.variable})"
        try:
            odds_ratio = parse_number(row.or_) if isinstance(row.or_, str) else float(row.or_)
        except ValueError as error:
            raise SpecError(f"{place}.or: {error}") from None
        if isinstance(row.ci, str):
            try:
                low, high = parse_interval(row.ci)
            except ValueError as error:
                raise SpecError(f"{place}.ci: {error}") from None
            ci_printed = row.ci
        else:
            (low, high), ci_printed = row.ci, ""
        if odds_ratio <= 0 or low <= 0 or high <= 0:
            raise SpecError(f"{place}: odds ratios and their limits must be positive")
        if low > high:
            raise SpecError(f"{place}.ci: lower limit {low} is above the upper limit {high}")
        p_value, p_printed = _p_fields(row.p, place)
        records.append({
            "variable": row.variable, "odds_ratio": odds_ratio, "ci_low": low, "ci_high": high,
            "p_value": p_value, "p_printed": p_printed, "label": row.label or row.variable,
            "or_printed": row.or_ if isinstance(row.or_, str) else "", "ci_printed": ci_printed,
        })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=_OR_COLUMNS)


def _build(spec: _Spec, path: Path | None) -> Study:
    group_n = {"case": spec.groups.case.n, "control": spec.groups.control.n}
    if sum(group_n.values()) != spec.totals.n:
        raise SpecError(
            f"groups: case n ({group_n['case']}) + control n ({group_n['control']}) = "
            f"{sum(group_n.values())} does not equal totals.n ({spec.totals.n})"
        )
    male, female = spec.totals.male, spec.totals.female
    if male is not None and female is not None and male + female != spec.totals.n:
        raise SpecError(
            f"totals: male ({male}) + female ({female}) does not equal totals.n ({spec.totals.n})"
        )
    dictionary = {column.name for column in spec.columns}
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(spec.table1):
        where = f"table1[{index}] ({row.variable})"
        if row.variable in seen:
            raise SpecError(f"{where}.variable: {row.variable!r} appears twice in table1")
        seen.add(row.variable)
        if dictionary and row.variable not in dictionary:
            raise SpecError(
                f"{where}.variable: {row.variable!r} is not a column of the data dictionary"
            )
        p_value, p_printed = _p_fields(row.p, where)
        common = {"variable": row.variable, "label": row.label or row.variable,
                  "summary": row.summary, "test": row.test, "candidate": row.candidate,
                  "note": row.note, "low": math.nan, "high": math.nan}  # fmt: skip
        for group in GROUPS:
            cell = _cell_record(
                getattr(row, group), row.summary, group_n[group], f"{where}.{group}"
            )
            records.append({**common, **cell, "level": "", "group": group,
                            "p_value": p_value, "p_printed": p_printed})  # fmt: skip
        for bin_index, level in enumerate(row.bins):
            bin_where = f"{where}.bins[{bin_index}] ({level.level})"
            if level.low is not None and level.high is not None and level.low >= level.high:
                raise SpecError(f"{bin_where}: low {level.low} must be below high {level.high}")
            for group in GROUPS:
                cell = _cell_record(getattr(level, group), "n_percent", group_n[group],
                                    f"{bin_where}.{group}")  # fmt: skip
                records.append({**common, **cell, "level": level.level, "group": group,
                                "summary": "n_percent", "test": "", "p_value": math.nan,
                                "p_printed": "", "note": level.note,
                                "low": math.nan if level.low is None else level.low,
                                "high": math.nan if level.high is None else level.high,
                                })  # fmt: skip
        if row.bins:
            for group in GROUPS:
                total = sum(
                    r["n"] for r in records
                    if r["variable"] == row.variable and r["group"] == group and r["level"]
                )  # fmt: skip
                if total != group_n[group]:
                    raise SpecError(
                        f"{where}.bins: {group} counts add up to {total}, not the group size "
                        f"{group_n[group]}"
                    )
    table1 = pd.DataFrame.from_records(records, columns=_TABLE1_COLUMNS)
    table1["n"] = table1["n"].astype("Int64")
    univariable = _or_frame(spec.univariable, "univariable")
    multivariable = _or_frame(spec.multivariable.reported, "multivariable.reported")
    known = set(table1["variable"]) | dictionary
    for frame, where in ((univariable, "univariable"), (multivariable, "multivariable.reported")):
        for index, variable in enumerate(frame["variable"]):
            if variable not in known:
                raise SpecError(
                    f"{where}[{index}].variable: {variable!r} is neither a table1 variable nor "
                    "a data-dictionary column"
                )
    for index, variable in enumerate(spec.multivariable.terms_entered):
        if variable not in known:
            raise SpecError(f"multivariable.terms_entered[{index}]: unknown variable {variable!r}")
    reported = set(multivariable["variable"])
    for index, variable in enumerate(spec.multivariable.not_significant):
        where = f"multivariable.not_significant[{index}]"
        if variable not in spec.multivariable.terms_entered:
            raise SpecError(f"{where}: {variable!r} is not among multivariable.terms_entered")
        if variable in reported:
            raise SpecError(f"{where}: {variable!r} is also in multivariable.reported")
    if dictionary and spec.outcome.column not in dictionary:
        raise SpecError(f"outcome.column: {spec.outcome.column!r} is not in the data dictionary")
    return Study(
        id=spec.id,
        title=spec.title,
        source=spec.source,
        design=MappingProxyType(spec.design.model_dump()),
        outcome=spec.outcome.column,
        groups=MappingProxyType(group_n),
        group_labels=MappingProxyType(
            {"case": spec.groups.case.label, "control": spec.groups.control.label}
        ),
        totals=MappingProxyType(spec.totals.model_dump()),
        definitions=MappingProxyType(dict(spec.definitions)),
        screening_threshold=spec.screening.threshold,
        table1=table1,
        univariable=univariable,
        multivariable=multivariable,
        multivariable_terms=spec.multivariable.terms_entered,
        multivariable_not_significant=spec.multivariable.not_significant,
        text_claims=MappingProxyType(
            {name: MappingProxyType(claim.model_dump()) for name, claim in spec.text_claims.items()}
        ),
        columns=spec.columns,
        path=path,
    )


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling against the spec format)"
        lines.append(f"{location}: {message}")
    return "invalid study spec:\n  " + "\n  ".join(dict.fromkeys(lines))


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line naming the place and the problem (PyYAML's own text spans several lines)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context = f" ({error.context})" if error.context else ""
        return f"{where}{error.problem}{context}"
    return " ".join(str(error).split())


def parse_study(data: Mapping[str, Any], *, path: Path | None = None) -> Study:
    """Validate an already-parsed spec mapping and build a :class:`Study`.

    Raises
    ------
    SpecError
        Naming each offending field.
    """
    if not isinstance(data, Mapping):
        raise SpecError(
            f"a study spec must be a mapping at the top level, got {type(data).__name__}"
        )
    try:
        spec = _Spec.model_validate(dict(data))
    except ValidationError as error:
        raise SpecError(_format_validation_error(error)) from None
    return _build(spec, path)


def available_studies() -> tuple[str, ...]:
    """Names of the study specs shipped with neok2.

    Examples
    --------
    >>> "k2_neonates" in available_studies()
    True
    """
    folder = resources.files("neok2") / "studies"
    return tuple(
        sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    )


def load_study(study: str | Path) -> Study:
    """Load and validate a study spec by shipped name or by path.

    Parameters
    ----------
    study : str or pathlib.Path
        A shipped study name (see :func:`available_studies`) or the path of a YAML spec.

    Returns
    -------
    Study

    Raises
    ------
    SpecError
        When the spec breaks the format; the message names each field.
    FileNotFoundError
        When neither a shipped name nor an existing file is given.

    Examples
    --------
    >>> study = load_study("k2_neonates")
    >>> dict(study.groups)
    {'case': 66, 'control': 134}
    >>> study.univariable.set_index("variable").loc["antenatal_steroid", "odds_ratio"]
    np.float64(5.675)
    """
    if isinstance(study, str) and study in available_studies():
        resource = resources.files("neok2") / "studies" / f"{study}.yaml"
        text, path = resource.read_text(encoding="utf-8"), None
    else:
        if not isinstance(study, str | Path):
            raise TypeError(f"`study` must be a study name or a path, got {type(study).__name__}")
        path = Path(study)
        if not path.is_file():
            raise FileNotFoundError(
                f"`study`: {str(study)!r} is neither a shipped study "
                f"({', '.join(available_studies())}) nor an existing spec file"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise SpecError(f"study spec {str(path)!r} is not UTF-8 text: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        name = str(path) if path is not None else str(study)
        raise SpecError(f"study spec {name!r} is not valid YAML: {_yaml_problem(error)}") from None
    try:
        return parse_study(data, path=path)
    except SpecError as error:
        name = str(path) if path is not None else str(study)
        if name in str(error):
            raise
        # the problem alone does not say which of several spec files holds it
        raise SpecError(f"study spec {name!r}: {error}") from None
