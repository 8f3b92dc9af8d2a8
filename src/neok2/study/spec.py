"""Published studies as data: the spec format, its validation and the typed loader.

A *study spec* is a YAML file holding what a case-control paper printed: group sizes,
every baseline-table row (cells kept in their printed form), the univariable and
multivariable odds ratios, the figures the text states on its own, definitions and the
data dictionary. :func:`load_study` validates it and returns a frozen :class:`Study` whose
tidy DataFrames the synthetic generator, the audit and the manuscript all read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from neok2.study.frames import odds_ratio_frame, table1_frame
from neok2.study.model import ColumnSpec, _Report, _Spec, code_key
from neok2.study.spec_errors import SpecError, format_validation_error

__all__ = [
    "DEFAULT_STUDY",
    "ColumnSpec",
    "SpecError",
    "Study",
    "available_studies",
    "code_key",
    "load_study",
    "parse_study",
]

DEFAULT_STUDY = "k2_neonates"
"""The shipped study the command line works on when ``--study`` is not given."""


# Nouns for the subjects when a spec gives no `population`.
_DEFAULT_POPULATION: dict[str, str] = {"singular": "participant", "plural": "participants"}

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
        low, high, candidate, note`` and, for categorical and ordinal variables, ``value``
        (the data value a level counts), ``reference`` (the odds ratios' reference level),
        ``trend_p_value``, ``trend_p_printed`` and ``trend_test``. A categorical or ordinal
        variable has a main row (``level == ""``, ``summary`` "categorical" or "ordinal",
        no counts, the row's p) and one ``n_percent`` row per level, in printed order.
    univariable, multivariable : pandas.DataFrame
        ``variable, odds_ratio, ci_low, ci_high, p_value, p_printed`` plus ``label,
        or_printed, ci_printed``, ``level`` (``""`` for a binary or continuous term),
        ``term`` (``variable`` or ``variable[level]``), ``reference`` (the level a
        multi-level term is compared with), ``per`` (a continuous term's increment),
        ``joint_p_value``, ``joint_p_printed``, ``trend_p_value`` and ``trend_p_printed``
        (repeated on each level of a term).
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
    indications : Mapping[str, Mapping]
        Exposures given because of a clinical situation (confounding by indication):
        ``variable -> {"indication", "consequence", "related"}``.
    report : Mapping
        How the analysis report treats this study: ``seed`` (default seed or None),
        ``measurement`` (the continuous variable behind case status, or None: the variable
        of the definition whose ``column`` is the outcome), ``measurement_figure`` (its
        figure's name), ``sex_column``, ``lowest_band`` (``{"name", "variable"}``: count the
        neonates below the lowest Table 1 band of ``variable``), ``case_share`` (threshold
        definitions whose case percentage is quoted) and ``flags`` (binary columns counted
        in the cohort description: ``column -> {"count", "percent"}`` descriptions) and
        ``style`` (journal precision rules, ``"ama"`` or ``"vancouver"``).
    population : Mapping[str, str]
        Nouns for the subjects in prose: ``{"singular": ..., "plural": ...}``.
    provenance : Mapping[str, str]
        Where each table's values come from (``table1``, ``univariable``, ``multivariable``,
        ``text_claims``, ``data``); empty strings when the spec does not say.
    outcome_definition : str
        How case status is defined, in words (``outcome.definition``; may be empty).
    microdata : pathlib.Path or None
        The study's real records (``microdata`` of the spec, resolved against the spec
        file's folder), or None when the study ships none.
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
    indications: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )
    report: Mapping[str, Any] = field(
        default_factory=lambda: _read_only(_Report().model_dump()), repr=False
    )
    population: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_POPULATION)), repr=False
    )
    provenance: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    outcome_definition: str = ""
    microdata: Path | None = None

    @property
    def n(self) -> int:
        """Total number of subjects."""
        return int(sum(self.groups.values()))

    @property
    def default_seed(self) -> int | None:
        """The seed the study's analysis runs with unless told otherwise (None: no default).

        Examples
        --------
        >>> load_study("k2_neonates").default_seed
        20200701
        """
        seed = self.report.get("seed")
        return None if seed is None else int(seed)

    @property
    def matched_set(self) -> str | None:
        """The matched-set column of a matched design (``design.matching.set``), else None.

        Examples
        --------
        >>> load_study("birthwt").matched_set is None
        True
        """
        matching = self.design.get("matching")
        return None if matching is None else str(matching["set"])

    @property
    def strata(self) -> tuple[str, ...]:
        """The stratification columns of an unmatched design (``design.strata``)."""
        return tuple(str(name) for name in self.design.get("strata", ()))

    @property
    def candidates(self) -> tuple[str, ...]:
        """Table 1 variables eligible for the univariable screen, in table order."""
        rows = self.table1[self.table1["candidate"] & (self.table1["level"] == "")]
        return tuple(dict.fromkeys(rows["variable"]))

    @cached_property
    def _cell_index(self) -> dict[tuple[str, str, str], Mapping[str, Any]]:
        # Readers look cells up hundreds of times per audit or synthesis; filtering the
        # DataFrame each time dominated their run time. The study is frozen, so the index is
        # built once per instance (``dataclasses.replace`` makes a new instance and index).
        return {
            (str(record["variable"]), str(record["group"]), str(record["level"])): (
                MappingProxyType({str(name): value for name, value in record.items()})
            )
            for record in self.table1.to_dict("records")
        }

    def cell(self, variable: str, group: str, level: str = "") -> Mapping[str, Any]:
        """The Table 1 entry of one variable (and bin ``level``) in one group, read-only.

        Parameters
        ----------
        variable : str
            Column of the data dictionary the row describes.
        group : {"case", "control"}
        level : str, default ""
            A bin's or a category's printed level; ``""`` for the variable's main row.

        Returns
        -------
        Mapping
            The row's fields (see :attr:`table1`).

        Raises
        ------
        KeyError
            When Table 1 has no such entry.

        Examples
        --------
        >>> int(load_study("k2_neonates").cell("caesarean", "case")["n"])
        50
        >>> load_study("k2_neonates").cell("ga_weeks", "control", "<28 week")["n"]
        5
        """
        try:
            return self._cell_index[(variable, group, level)]
        except KeyError:
            raise KeyError(
                f"no Table 1 entry for variable={variable!r}, group={group!r}, level={level!r}"
            ) from None

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
            variable: re.sub(
                r",?\s*(?:n \(%\)|mean\s*[±(]\s*SD\)?|median \(IQR\))$", "", label
            ).strip()
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

    def levels(self, variable: str) -> pd.DataFrame:
        """The levels of a categorical or ordinal Table 1 variable, in printed order.

        Returns
        -------
        pandas.DataFrame
            One row per level: ``level, value, reference, n_case, n_control``.

        Examples
        --------
        >>> load_study("birthwt").levels("race")[["level", "value", "reference"]]
           level value  reference
        0  White     1       True
        1  Black     2      False
        2  Other     3      False
        """
        rows = self.table1[(self.table1["variable"] == variable) & (self.table1["level"] != "")]
        rows = rows[rows["value"] != ""]
        if rows.empty:
            raise KeyError(f"{variable!r} is not a categorical or ordinal Table 1 variable")
        wide = rows.pivot_table(
            index=["level", "value", "reference"], columns="group", values="n", sort=False
        ).reset_index()
        wide.columns.name = None
        return wide.rename(columns={"case": "n_case", "control": "n_control"})[
            ["level", "value", "reference", "n_case", "n_control"]
        ].astype({"n_case": int, "n_control": int})

    @property
    def defining_measurement(self) -> Mapping[str, Any] | None:
        """The measurement whose threshold defines case status, or None.

        ``report.measurement`` names it; otherwise it is the variable of the definition whose
        ``column`` is the outcome. Returns ``{"variable", "below", "unit", "definition"}``
        (``below`` and ``unit`` None when no threshold definition gives them).

        Examples
        --------
        >>> dict(load_study("k2_neonates").defining_measurement)
        {'variable': 'k2_ng_ml', 'below': 0.1, 'unit': 'ng/mL', 'definition': 'deficiency'}
        """
        named = self.report.get("measurement")
        for name, definition in self.definitions.items():
            variable = definition.get("variable")
            if definition.get("column") == self.outcome and (named in (None, variable)):
                below = definition.get("below")
                return MappingProxyType(
                    {
                        "variable": variable,
                        "below": None if below is None else float(below),
                        "unit": definition.get("unit"),
                        "definition": name,
                    }
                )
        if named is None:
            return None
        return MappingProxyType(
            {"variable": named, "below": None, "unit": None, "definition": None}
        )

    def column(self, name: str) -> ColumnSpec:
        """The data-dictionary entry for a column."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"column {name!r} is not in the data dictionary of study {self.id!r}")


# ----------------------------------------------------------------------------- building


def _read_only(value: Any) -> Any:
    """A nested copy in which mappings are read-only and lists are tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _read_only(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_read_only(item) for item in value)
    return value


def _check_design(spec: _Spec, table1: pd.DataFrame, dictionary: set[str]) -> None:
    """A matched set column or strata that the data dictionary and the screen can honour."""
    design = spec.design
    main = table1[table1["level"] == ""].drop_duplicates("variable")
    rows = {str(variable): index for index, variable in enumerate(main["variable"])}
    candidates = set(main.loc[main["candidate"], "variable"])

    def known(where: str, name: str, what: str) -> None:
        if name not in dictionary:
            raise SpecError(
                f"{where}: {name!r} is not a column of the data dictionary; add it under "
                f"`columns` ({what})"
            )
        if name == spec.outcome.column:
            raise SpecError(f"{where}: {name!r} is the outcome column; name another column")

    def not_candidate(where: str, name: str, why: str) -> None:
        if name in candidates:
            raise SpecError(
                f"{where}: {name!r} is also a screening candidate (table1[{rows[name]}]); "
                f"set `candidate: false` on that row: {why}"
            )

    matching = design.matching
    if matching is not None:
        if design.strata:
            raise SpecError(
                "design.strata: a matched design conditions on its sets (design.matching); "
                "remove `strata`, or remove `matching` for a stratified unmatched analysis"
            )
        known("design.matching.set", matching.set, "type: integer or categorical")
        column = next(c for c in spec.columns if c.name == matching.set)
        if column.type in ("id", "binary", "continuous", "date"):
            raise SpecError(
                f"design.matching.set: column {matching.set!r} has type {column.type!r}; a "
                "set id shared by a case and its controls is type: integer or categorical"
            )
        not_candidate("design.matching.set", matching.set, "a set id is not an exposure")
        for index, name in enumerate(matching.variables):
            where = f"design.matching.variables[{index}]"
            known(where, name, "the matching variable")
            not_candidate(
                where, name, "a matching variable's effect cannot be estimated within sets"
            )
    for index, name in enumerate(design.strata):
        where = f"design.strata[{index}]"
        known(where, name, "the stratification variable")
        not_candidate(where, name, "strata enter every multivariable model as factor terms")
    if len(set(design.strata)) != len(design.strata):
        raise SpecError(f"design.strata: a column is listed twice: {list(design.strata)}")


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
    table1 = table1_frame(spec.table1, group_n, spec.columns)
    univariable = odds_ratio_frame(spec.univariable, "univariable", table1)
    multivariable = odds_ratio_frame(spec.multivariable.reported, "multivariable.reported", table1)
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
    named = set(table1["variable"]) | dictionary
    for variable in spec.indications:
        if variable not in named:
            raise SpecError(f"indications.{variable}: unknown variable {variable!r}")
    report = spec.report
    for where, variable in (
        ("report.measurement", report.measurement),
        ("report.lowest_band.variable", report.lowest_band and report.lowest_band.variable),
    ):
        if variable is not None and dictionary and variable not in dictionary:
            raise SpecError(f"{where}: {variable!r} is not a column of the data dictionary")
    for name in report.case_share:
        if name not in spec.definitions:
            raise SpecError(f"report.case_share: {name!r} is not one of the definitions")
    _check_design(spec, table1, dictionary)
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
        indications=MappingProxyType(
            {
                name: MappingProxyType(indication.model_dump())
                for name, indication in spec.indications.items()
            }
        ),
        report=_read_only(spec.report.model_dump()),
        population=MappingProxyType(
            spec.population.model_dump() if spec.population else dict(_DEFAULT_POPULATION)
        ),
        provenance=MappingProxyType(spec.provenance.model_dump()),
        outcome_definition=spec.outcome.definition,
        microdata=_microdata_path(spec.microdata, path),
    )


def _microdata_path(declared: str | None, spec_path: Path | None) -> Path | None:
    """The declared microdata file, relative to the spec's folder (or as given, without one)."""
    if declared is None:
        return None
    target = Path(declared)
    if target.is_absolute() or spec_path is None:
        return target
    return (spec_path.parent / target).resolve()


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line naming the place and the problem (PyYAML's own text spans several lines)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context = f" ({error.context})" if error.context else ""
        return f"{where}{error.problem}{context}"
    return " ".join(str(error).split())


def parse_study(data: Mapping[str, Any], *, path: Path | None = None, source: str = "") -> Study:
    """Validate an already-parsed spec mapping and build a :class:`Study`.

    Parameters
    ----------
    data : Mapping
        The spec as parsed from YAML.
    path : pathlib.Path, optional
        Where it was read from (kept on the study and named in errors).
    source : str, optional
        A name for errors when there is no path (e.g. the shipped study's name).

    Raises
    ------
    SpecError
        Naming the spec, each offending field (``table1[3] (male).case``) and the fix.

    Examples
    --------
    >>> parse_study({"id": "x"}, source="x.yaml")
    Traceback (most recent call last):
    ...
    neok2.study.spec_errors.SpecError: invalid study spec 'x.yaml':
      outcome: Field required; fix: add `outcome:` here (see `neok2 schema` or docs/spec.md)
      ...
    """
    name = str(path) if path is not None else source
    if not isinstance(data, Mapping):
        raise SpecError(
            f"a study spec must be a mapping at the top level, got {type(data).__name__}"
            + (f" (in {name!r})" if name else "")
        )
    try:
        spec = _Spec.model_validate(dict(data))
    except ValidationError as error:
        raise SpecError(format_validation_error(error, _Spec, data, source=name)) from None
    try:
        return _build(spec, path)
    except SpecError as error:
        if not name:
            raise
        raise SpecError(f"{error} (in study spec {name!r})") from None


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
        text, path, source = resource.read_text(encoding="utf-8"), None, study
    else:
        if not isinstance(study, str | Path):
            raise TypeError(f"`study` must be a study name or a path, got {type(study).__name__}")
        path, source = Path(study), str(study)
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
        parsed = parse_study(data, path=path, source=source)
    except SpecError as error:
        if source in str(error):
            raise
        # the problem alone does not say which of several spec files holds it
        raise SpecError(f"study spec {source!r}: {error}") from None
    if path is None and parsed.microdata is not None and not parsed.microdata.is_absolute():
        # a shipped spec names its microdata relative to the package's studies folder
        shipped = Path(str(resources.files("neok2") / "studies"))
        parsed = replace(parsed, microdata=(shipped / parsed.microdata).resolve())
    return parsed
