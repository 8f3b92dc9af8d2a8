"""The data dictionary: reading a user's dataset and checking it against a study's columns.

A study spec lists its columns (name, type, unit, allowed range or levels). :func:`read_data`
reads CSV, SPSS ``.sav`` or Stata ``.dta`` files without changing them, and
:func:`validate_data` checks a DataFrame against the dictionary with pandera, returning every
problem with its row and column rather than stopping at the first.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from neok2._frozen import frozen_fields
from neok2.study.spec import ColumnSpec, Study, code_key, load_study

__all__ = [
    "DataValidationError",
    "ValidationReport",
    "apply_codes",
    "dictionary_frame",
    "read_data",
    "validate_data",
]

_READERS = {".csv": "csv", ".sav": "spss", ".dta": "stata"}
_PROBLEM_COLUMNS = ["row", "column", "check", "value", "message"]


class DataValidationError(ValueError):
    """A dataset does not match the study's data dictionary."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.summary())


def read_data(path: str | Path) -> pd.DataFrame:
    """Read a dataset from CSV, SPSS (.sav) or Stata (.dta) without modifying the file.

    Values are read as they are stored: a numeric column holding text stays text so that
    :func:`validate_data` can name the offending cells.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; its suffix chooses the reader.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When the suffix is not .csv, .sav or .dta, or the file cannot be parsed.
    """
    if isinstance(path, bool) or not isinstance(path, str | Path):
        raise TypeError(f"`path` must be a file path (str or Path), got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"data file {str(path)!r} is a directory; name a data file")
    if not path.exists():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist")
    if not path.is_file():
        # a device or pipe such as /dev/null: reading it gives no rows at all
        raise ValueError(
            f"data file {str(path)!r} is empty: it is not a regular file, so it holds no rows; "
            "name a .csv, .sav or .dta file"
        )
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"data file {path.name!r}: unsupported format {path.suffix!r}; use .csv, .sav or .dta"
        )
    try:
        if kind == "csv":
            frame = pd.read_csv(path, keep_default_na=True, na_values=[""])
        else:
            import pyreadstat

            reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
            frame, meta = reader(str(path))
            # kept for apply_codes: SPSS/Stata value labels name what each code means
            frame.attrs["value_labels"] = {
                str(column): {code_key(code): str(label) for code, label in labels.items()}
                for column, labels in (meta.variable_value_labels or {}).items()
            }
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"data file {path.name!r} cannot be parsed as {kind}: {error}") from None
    except Exception as error:  # pyreadstat raises its own exception types
        if type(error).__module__.startswith("pyreadstat"):
            raise ValueError(
                f"data file {path.name!r} cannot be parsed as {kind}: {error}"
            ) from None
        raise
    return frame


def dictionary_frame(study: Study | str) -> pd.DataFrame:
    """The data dictionary as a tidy DataFrame.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, type, unit, min, max, levels, required, description``.

    Examples
    --------
    >>> frame = dictionary_frame("k2_neonates")
    >>> row = frame.set_index("name").loc["apgar_5min"]
    >>> row["type"], float(row["min"]), float(row["max"])
    ('integer', 0.0, 10.0)
    """
    study = _as_study(study)
    records = [{**spec.model_dump(), "levels": ", ".join(spec.levels)} for spec in study.columns]
    return pd.DataFrame.from_records(
        records, columns=["name", "type", "unit", "min", "max", "levels", "required", "description"]
    )


@frozen_fields("problems", "missing")
@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in a dataset.

    Attributes
    ----------
    problems : pandas.DataFrame
        ``row, column, check, value, message``; ``row`` is the 1-based record number
        (the header is not counted) or ``None`` for column-level problems.
    n_rows : int
    missing : pandas.Series
        Missing values per dictionary column (reported, not an error).
    extra_columns : tuple of str
        Columns the dictionary does not know (kept, not an error).
    """

    problems: pd.DataFrame = field(repr=False)
    n_rows: int
    missing: pd.Series = field(repr=False)
    extra_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return self.problems.empty

    hints: tuple[tuple[str, str], ...] = ()

    def summary(self, *, details: bool | None = None) -> str:
        """What a person needs to act: one block per column, then (if few) every problem.

        Parameters
        ----------
        details : bool, optional
            List every problem with its row. By default they are listed when there are at
            most 20; otherwise the summary says how to see them.
        """
        if self.ok:
            return f"valid: {self.n_rows} rows match the data dictionary"
        by_column = self.by_column()
        lines = [
            f"{len(self.problems)} problem(s) in {self.n_rows} rows, in {len(by_column)} column(s):"
        ]
        hints = dict(self.hints)
        for record in by_column.to_dict("records"):
            where = "" if not record["first_rows"] else f" (rows {record['first_rows']})"
            counted = f"{record['n_rows']} row(s): " if record["n_rows"] else ""
            lines.append(f"  {record['column']}: {counted}{record['problem']}{where}")
            if record["column"] in hints:
                lines.append(f"    hint: {hints[record['column']]}")
        show = details if details is not None else len(self.problems) <= 20
        if show:
            lines.append("  every problem:")
            lines.extend(f"    {line}" for line in self.details())
        else:
            lines.append("  (run `neok2 validate DATA --details` for every problem with its row)")
        return "\n".join(lines)

    def details(self) -> list[str]:
        """One line per problem: ``row R, column C: message``."""
        lines = []
        for record in self.problems.to_dict("records"):
            where = f"column {record['column']}"
            if not pd.isna(record["row"]):
                where = f"row {int(record['row'])}, {where}"
            lines.append(f"{where}: {record['message']}")
        return lines

    def by_column(self) -> pd.DataFrame:
        """Problems per column and kind: ``column, problem, n_rows, first_rows``.

        ``first_rows`` lists the first three rows (1-based) with that problem; ``n_rows`` is
        0 for a problem of the whole column (such as a missing column).
        """
        records = []
        for (column, _check), group in self.problems.groupby(["column", "check"], sort=False):
            rows = group["row"].dropna().astype(int).tolist()
            message = str(group["message"].iloc[0])
            if len(group) > 1 and rows:
                message = _generic_message(group)
            shown = ", ".join(str(row) for row in rows[:3]) + (", ..." if len(rows) > 3 else "")
            records.append(
                {"column": column, "problem": message, "n_rows": len(rows), "first_rows": shown}
            )
        return pd.DataFrame.from_records(
            records, columns=["column", "problem", "n_rows", "first_rows"]
        )


def _shown(value: object) -> str:
    """A failing value as a person would type it: 2, not 2.0."""
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return str(int(number)) if number.is_integer() else str(value)


def _generic_message(group: pd.DataFrame) -> str:
    """The message of a problem repeated over rows, without the first row's own value."""
    check = str(group["check"].iloc[0])
    values = sorted({_shown(v) for v in group["value"].dropna()})[:4]
    shown = ", ".join(values) + (", ..." if group["value"].nunique() > 4 else "")
    message = str(group["message"].iloc[0])
    if message.startswith("value "):
        # "value 2 is not a valid code: must be 0 or 1" -> "values 2, 3 are not ..."
        rest = message.split(" ", 2)[2] if message.count(" ") >= 2 else message
        rest = rest.replace("is not", "are not", 1).replace("is an", "are", 1)
        rest = rest.replace("must be", "must be", 1)
        if len(values) == 1:
            return f"value {shown} {rest.replace('are not', 'is not', 1)}"
        return f"values {shown} {rest}"
    if check == "field_uniqueness":
        if len(values) == 1:
            return f"id {shown} appears more than once"
        return f"ids {shown} appear more than once"
    return message


_YES = frozenset({"yes", "y", "true", "t", "present", "positive"})
_NO = frozenset({"no", "n", "false", "f", "absent", "negative"})


def _label_codes(labels: dict[str, str], spec: ColumnSpec) -> dict[str, str | float] | None:
    """Codes implied by SPSS/Stata value labels, when they map onto the dictionary unambiguously."""
    if spec.type == "binary":
        mapping: dict[str, str | float] = {}
        for code, label in labels.items():
            word = label.strip().lower()
            if word in _YES:
                mapping[code] = 1.0
            elif word in _NO:
                mapping[code] = 0.0
            else:
                return None
        return mapping if sorted(mapping.values()) == [0.0, 1.0] else None
    if spec.type == "categorical" and spec.levels:
        levels = {level.lower(): level for level in spec.levels}
        if all(label.strip().lower() in levels for label in labels.values()):
            return {code: levels[label.strip().lower()] for code, label in labels.items()}
    return None


def apply_codes(data: pd.DataFrame, study: Study | str) -> pd.DataFrame:
    """Recode a dataset's columns to the dictionary's values; return a new frame.

    Two sources of codes, in this order: a column's ``codes:`` mapping in the data dictionary
    (e.g. ``{"1": 0, "2": 1}`` or ``{"yes": 1, "no": 0}``), and, for files read from SPSS or
    Stata, the file's value labels when they map onto the dictionary without ambiguity (a
    binary column labelled yes/no, a categorical column labelled with the dictionary's
    levels). Values without a code are kept as they are, so that validation still names
    them. The input frame is not modified.

    Parameters
    ----------
    data : pandas.DataFrame
        As read by :func:`read_data` (value labels in ``data.attrs["value_labels"]``).
    study : Study or str
        The study whose data dictionary applies.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> frame = pd.DataFrame({"male": [1, 2, 2]})
    >>> frame.attrs["value_labels"] = {"male": {"1": "No", "2": "Yes"}}
    >>> apply_codes(frame, study)["male"].tolist()
    [0.0, 1.0, 1.0]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    study = _as_study(study)
    labels = data.attrs.get("value_labels", {}) or {}
    # copy-on-write: recoded columns are replaced, the others shared with ``data``
    frame = data.copy(deep=False)
    for spec in study.columns:
        if spec.name not in frame.columns:
            continue
        codes: dict[str, str | float] | None = dict(spec.codes) or None
        if codes is None and spec.name in labels:
            codes = _label_codes(labels[spec.name], spec)
        if not codes:
            continue
        column = frame[spec.name]
        recoded = column.map(lambda value, codes=codes: codes.get(code_key(value), value))
        frame[spec.name] = recoded.where(column.notna(), column)
    return frame


def _recode_hint(values: pd.Series, spec: ColumnSpec) -> str | None:
    """A suggestion for codes that break a binary or categorical column's rule."""
    seen = {code_key(value) for value in values.dropna().unique()}
    if not seen:
        return None
    if spec.type == "binary":
        if seen <= {"1", "2"}:
            return (
                "the column looks coded 1/2; if 1 = no and 2 = yes, add "
                f'`codes: {{"1": 0, "2": 1}}` to {spec.name!r} in the data dictionary, or '
                "recode the file to 0/1"
            )
        if seen <= _YES | _NO:
            yes = sorted(seen & _YES)
            no = sorted(seen & _NO)
            pairs = ", ".join([*(f'"{y}": 1' for y in yes), *(f'"{n}": 0' for n in no)])
            return (
                f"text codes {sorted(seen)}: add `codes: {{{pairs}}}` to {spec.name!r} in the "
                "data dictionary, or recode the file to 0/1"
            )
        return (
            f"codes {sorted(seen)[:6]} are not 0/1: map each to 0 or 1 with a `codes:` entry "
            f"for {spec.name!r} in the data dictionary"
        )
    if spec.type == "categorical" and spec.levels:
        unknown = sorted(seen - {level.lower() for level in spec.levels})
        if unknown:
            return (
                f"codes {unknown[:6]} are not levels of {spec.name!r} ({list(spec.levels)}): "
                "map them with a `codes:` entry in the data dictionary"
            )
    return None


def _as_study(study: object) -> Study:
    if isinstance(study, Study):
        return study
    if isinstance(study, str | Path):
        return load_study(study)
    raise TypeError(
        f"`study` must be a Study, a shipped study name or a spec path, got {type(study).__name__}"
    )


def _scalar(value: Any) -> Any:
    """A numpy scalar as the plain Python value, so messages show 'inf', not np.float64(inf)."""
    return value.item() if isinstance(value, np.generic) else value


def _level_text(value: Any) -> Any:
    """A categorical value as the dictionary writes its levels: 2.0 -> "2"; text unchanged."""
    if isinstance(value, bool) or value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def _schema_for(spec: ColumnSpec) -> pa.Column:
    checks: list[pa.Check] = []
    dtype: Any = None
    if spec.type == "binary":
        dtype = float
        checks.append(pa.Check.isin([0, 1], error="must be 0 or 1"))
    elif spec.type in ("integer", "continuous"):
        dtype = float
        if spec.type == "integer":
            checks.append(
                pa.Check(lambda s: (s % 1) == 0, element_wise=False, error="must be a whole number")
            )
        if spec.min is not None:
            checks.append(pa.Check.ge(spec.min, error=f"must be >= {spec.min:g}"))
        if spec.max is not None:
            checks.append(pa.Check.le(spec.max, error=f"must be <= {spec.max:g}"))
    elif spec.type == "categorical" and spec.levels:
        checks.append(pa.Check.isin(list(spec.levels), error=f"must be one of {list(spec.levels)}"))
    return pa.Column(
        dtype,
        checks=checks,
        nullable=spec.type != "id",
        unique=spec.type == "id",
        required=spec.required,
        coerce=False,
        name=spec.name,
    )


def _non_numeric(frame: pd.DataFrame, spec: ColumnSpec) -> tuple[pd.Series, list[dict[str, Any]]]:
    """Coerce a numeric column, returning it and one problem per cell that is not a number."""
    raw = frame[spec.name]
    numeric = pd.to_numeric(raw, errors="coerce")
    bad = numeric.isna() & raw.notna()
    if pd.api.types.is_numeric_dtype(raw):
        infinite = raw.isin([math.inf, -math.inf])
        numeric = numeric.mask(infinite)
        bad |= infinite
    expected = "is not a 0/1 code" if spec.type == "binary" else "is not a finite number"
    problems = [
        {
            "row": int(position) + 1,
            "column": spec.name,
            "check": "numeric",
            "value": str(raw.iloc[position]),
            "message": f"value {_scalar(raw.iloc[position])!r} {expected}",
        }
        for position in bad.to_numpy().nonzero()[0]
    ]
    return numeric.astype(float), problems


def _definition_problems(frame: pd.DataFrame, study: Study) -> list[dict[str, Any]]:
    """Rows where a defined 0/1 column disagrees with its definition (e.g. preterm vs GA < 37)."""
    problems: list[dict[str, Any]] = []
    for name, definition in study.definitions.items():
        column, variable = definition.get("column"), definition.get("variable")
        below = definition.get("below")
        if not (column and variable and below is not None):
            continue
        if column not in frame or variable not in frame:
            continue
        flag, value = frame[column], frame[variable]
        known = flag.notna() & value.notna() & flag.isin([0, 1])
        expected = (value < float(below)).astype(float)
        disagree = known & (flag != expected)
        for position in disagree.to_numpy().nonzero()[0]:
            problems.append(
                {
                    "row": int(position) + 1,
                    "column": column,
                    "check": f"definition:{name}",
                    "value": str(flag.iloc[position]),
                    "message": (
                        f"{column}={flag.iloc[position]:g} disagrees with {variable}="
                        f"{value.iloc[position]:g} (definition: {variable} < {below:g})"
                    ),
                }
            )
    return problems


def validate_data(data: pd.DataFrame, study: Study | str = "k2_neonates") -> ValidationReport:
    """Check a dataset against a study's data dictionary.

    Checks: required columns present; numeric columns hold numbers (text, infinity are
    named by row); binary columns are 0/1; integer columns hold whole numbers; values lie in
    the documented range; categorical codes are known; ids are unique and present; 0/1
    columns with a definition in the spec agree with it (e.g. ``preterm`` with
    ``ga_weeks < 37``). Missing values are counted per column and reported, not rejected.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject. It is not modified.
    study : Study or str, default "k2_neonates"
        The study whose dictionary applies.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"id": ["a", "b"], "ga_weeks": [39.0, "abc"]})
    >>> report = validate_data(bad)
    >>> report.ok
    False
    >>> report.problems.query("column == 'ga_weeks'")["message"].tolist()
    ["value 'abc' is not a finite number"]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    study = _as_study(study)
    if not study.columns:
        raise ValueError(
            f"`study`: study {study.id!r} has no data dictionary (`columns` in its spec)"
        )
    frame = apply_codes(data.reset_index(drop=True), study)
    raw_frame = frame.copy(deep=False)  # copy-on-write: keeps the codes as read, for the hints
    problems: list[dict[str, Any]] = []
    dictionary_names = [spec.name for spec in study.columns]
    unknown_columns = [str(c) for c in frame.columns if str(c) not in set(dictionary_names)]
    duplicated_names = frame.columns[frame.columns.duplicated()].unique().tolist()
    for name in duplicated_names:
        problems.append(
            {
                "row": None,
                "column": str(name),
                "check": "column_unique",
                "value": None,
                "message": "column name appears more than once",
            }
        )
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for spec in study.columns:
        if spec.name not in frame:
            if spec.required:
                message = f"required column {spec.name!r} is missing"
                near = difflib.get_close_matches(spec.name, unknown_columns, n=1, cutoff=0.75)
                if near:
                    message += f"; the file has {near[0]!r}: did you mean `{spec.name}`?"
                problems.append(
                    {
                        "row": None,
                        "column": spec.name,
                        "check": "column_present",
                        "value": None,
                        "message": message,
                    }
                )
            continue
        if spec.type in ("binary", "integer", "continuous"):
            frame[spec.name], cell_problems = _non_numeric(frame, spec)
            problems.extend(cell_problems)
        elif spec.type == "categorical" and spec.levels:
            # integer-coded levels are kept as text in the dictionary ("1"), so 1 and 1.0 match
            frame[spec.name] = frame[spec.name].map(_level_text)
    schema = pa.DataFrameSchema(
        {spec.name: _schema_for(spec) for spec in study.columns if spec.name in frame},
        strict=False,
    )
    try:
        # frame is this function's own (shallow) copy and the schema coerces nothing: no
        # second copy of the data for pandera
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        for case in cases.itertuples(index=False):
            column = str(case.column)
            spec = next(s for s in study.columns if s.name == column)
            value = case.failure_case
            if case.check == "field_uniqueness":
                message = f"id {_scalar(value)!r} appears more than once"
            elif case.check == "not_nullable":
                message = "missing value in a column that must be complete"
            elif str(case.check).startswith("dtype"):
                continue  # non-numeric cells were already reported one by one above
            else:
                message = f"value {_scalar(value)!r} {_check_message(case.check, spec)}"
            row = None if case.index is None or pd.isna(case.index) else int(case.index) + 1
            problems.append(
                {
                    "row": row,
                    "column": column,
                    "check": str(case.check),
                    "value": None if value is None else str(value),
                    "message": message,
                }
            )
    problems.extend(_definition_problems(frame, study))
    table = pd.DataFrame.from_records(problems, columns=_PROBLEM_COLUMNS)
    if not table.empty:
        table["_order"] = table["row"].fillna(0)
        table = (
            table.sort_values(["_order", "column", "check"], kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )
        table["row"] = table["row"].astype("Int64")
    known = [spec.name for spec in study.columns if spec.name in frame]
    hints = []
    checks = table["check"].astype(str)
    cell_level = ~checks.isin(["column_present", "column_unique", "not_nullable"])
    code_problems = set(table.loc[cell_level & ~checks.str.startswith("definition"), "column"])
    for spec in study.columns:
        if spec.name in code_problems and spec.type in ("binary", "categorical"):
            hint = _recode_hint(raw_frame[spec.name], spec)
            if hint:
                hints.append((spec.name, hint))
    return ValidationReport(
        problems=table,
        n_rows=len(frame),
        hints=tuple(hints),
        missing=frame[known].isna().sum(),
        extra_columns=tuple(
            str(c) for c in frame.columns if c not in {s.name for s in study.columns}
        ),
    )


def _check_message(check: Any, spec: ColumnSpec) -> str:
    text = str(check)
    if spec.type == "binary":
        return "is not a valid code: must be 0 or 1"
    if text.startswith("must") or text.startswith("is"):
        return text if not text.startswith("must be one of") else f"is an unknown code; {text}"
    return f"fails check {text}"
