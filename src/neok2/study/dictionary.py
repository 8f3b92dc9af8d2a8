"""The data dictionary: reading a user's dataset and checking it against a study's columns.

A study spec lists its columns (name, type, unit, allowed range or levels). :func:`read_data`
reads CSV, SPSS ``.sav`` or Stata ``.dta`` files without changing them, and
:func:`validate_data` checks a DataFrame against the dictionary with pandera, returning every
problem with its row and column rather than stopping at the first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from neok2.study.spec import ColumnSpec, Study, load_study

__all__ = [
    "DataValidationError",
    "ValidationReport",
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
            frame, _meta = reader(str(path))
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

    def summary(self) -> str:
        """One line per problem, for people."""
        if self.ok:
            return f"valid: {self.n_rows} rows match the data dictionary"
        lines = [f"{len(self.problems)} problem(s) in {self.n_rows} rows:"]
        for record in self.problems.to_dict("records"):
            where = f"column {record['column']}"
            if not pd.isna(record["row"]):
                where = f"row {int(record['row'])}, {where}"
            lines.append(f"  {where}: {record['message']}")
        return "\n".join(lines)


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
    problems = [
        {
            "row": int(position) + 1,
            "column": spec.name,
            "check": "numeric",
            "value": str(raw.iloc[position]),
            "message": f"value {_scalar(raw.iloc[position])!r} is not a finite number",
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
    frame = data.reset_index(drop=True).copy()
    problems: list[dict[str, Any]] = []
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
                problems.append(
                    {
                        "row": None,
                        "column": spec.name,
                        "check": "column_present",
                        "value": None,
                        "message": f"required column {spec.name!r} is missing",
                    }
                )
            continue
        if spec.type in ("binary", "integer", "continuous"):
            frame[spec.name], cell_problems = _non_numeric(frame, spec)
            problems.extend(cell_problems)
    schema = pa.DataFrameSchema(
        {spec.name: _schema_for(spec) for spec in study.columns if spec.name in frame},
        strict=False,
    )
    try:
        schema.validate(frame, lazy=True)
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
    return ValidationReport(
        problems=table,
        n_rows=len(frame),
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
