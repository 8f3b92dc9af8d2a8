"""The study spec format: the pydantic model every spec is validated against.

Each field carries a description, so that :func:`spec_json_schema` (``neok2 schema``) prints a
JSON Schema that documents the format; ``docs/spec.md`` walks through it with an example.
:mod:`neok2.study.spec` builds a :class:`~neok2.study.spec.Study` from a validated model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = ["ColumnSpec", "code_key", "spec_json_schema"]


class _Strict(BaseModel):
    # NaN or infinity is never a printed figure; rejecting them here names the field.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


def _printed_text(value: Any) -> Any:
    """Integer codes (``1``, ``2.0``) become their printed text; true/false is refused."""
    if isinstance(value, bool):
        raise ValueError(
            'a level read as true/false: quote yes/no/on/off in YAML, e.g. level: "yes"'
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


# A level name or code: text, or a number kept as its printed text (1 -> "1").
_Text = Annotated[
    str,
    BeforeValidator(_printed_text),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]}),
]
_P = str | float | None


def _describe(text: str, **kwargs: Any) -> Any:
    """``Field(description=...)`` with the text on one line in the JSON Schema."""
    return Field(description=" ".join(text.split()), **kwargs)


class _Group(_Strict):
    label: str = _describe("The group's name as printed, e.g. 'Vitamin K2 deficiency'.")
    n: int = _describe("Number of subjects in the group as printed.", gt=0)


class _Groups(_Strict):
    case: _Group = _describe("The cases (outcome = 1).")
    control: _Group = _describe("The controls (outcome = 0).")


class _Totals(_Strict):
    n: int = _describe("Total number of subjects; must equal case n + control n.", gt=0)
    male: int | None = _describe("Number of males, if printed.", default=None, ge=0)
    female: int | None = _describe("Number of females, if printed.", default=None, ge=0)


class _Window(_Strict):
    start: str = _describe("First day of recruitment, ISO date (YYYY-MM-DD).")
    end: str = _describe("Last day of recruitment, ISO date (YYYY-MM-DD).")


def _ratio_text(value: Any) -> Any:
    """A whole number of controls per case M becomes ``"1:M"``; text is kept."""
    if isinstance(value, bool):
        raise ValueError('a ratio read as true/false: write "1:2" or "variable"')
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"1:{int(value)}"
    return value


class _Matching(_Strict):
    set: str = _describe(
        "Data-dictionary column holding each subject's matched-set id: a case and the "
        "controls matched to it share one value."
    )
    ratio: Annotated[
        str,
        BeforeValidator(_ratio_text),
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]}),
    ] = _describe(
        "Controls per case as designed: '1:1', '1:2', ... (or the number M), or 'variable' "
        "when the sets differ in size. The analysis counts the actual sets from the data.",
        default="variable",
    )
    # not `on`: YAML 1.1 reads the key `on` as true
    variables: tuple[str, ...] = _describe(
        "Variables the controls were matched on (data-dictionary columns); their effects "
        "cannot be estimated within sets, so they are not screening candidates.",
        default=(),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_yaml_on(cls, data: Any) -> Any:
        if isinstance(data, dict) and True in data:
            raise ValueError(
                "a key read as true: YAML reads `on:` as true; list the matching variables "
                "under `variables:`"
            )
        return data

    @field_validator("ratio")
    @classmethod
    def _ratio_form(cls, value: str) -> str:
        if value == "variable":
            return value
        head, _, tail = value.partition(":")
        if head.strip() != "1" or not tail.strip().isdigit() or int(tail) < 1:
            raise ValueError(
                f"ratio {value!r} is not '1:M' (M controls per case, e.g. '1:2') or 'variable'"
            )
        return f"1:{int(tail)}"


class _Design(_Strict):
    type: Literal["case-control"] = _describe("Study design.", default="case-control")
    # unset means the paper does not say: the limitations then make no claim about it
    retrospective: bool | None = _describe(
        "True when exposures were collected after the outcome (from records or by recall); "
        "unset when the paper does not say.",
        default=None,
    )
    centres: int | None = _describe(
        "Number of recruiting centres; unset when the paper does not say.", default=None, ge=1
    )
    base: Literal["hospital", "population"] | None = _describe(
        "Where the subjects come from: 'hospital' (patients of the recruiting centres) or "
        "'population' (the cases of a defined area, controls sampled from its residents).",
        default=None,
    )
    exposure_source: Literal["records", "interview"] | None = _describe(
        "How exposures were obtained: 'records' (abstracted from records kept for care) or "
        "'interview' (recalled by the subjects).",
        default=None,
    )
    setting: str = _describe("Where the study took place.", default="")
    window: _Window | None = _describe("Recruitment period, if printed.", default=None)
    software: str = _describe("Statistics software the paper names.", default="")
    alpha: float = _describe("Significance level the paper uses.", default=0.05, gt=0, lt=1)
    tests: dict[str, str] = _describe(
        "Each printed Table 1 test name -> the neok2.stats.two_group entry the paper used, "
        'e.g. {"chi-square": "chisq"} for Pearson without continuity correction.',
        default={},
    )
    matching: _Matching | None = _describe(
        "A matched design: the set-id column, the ratio and the matching variables. The "
        "models become conditional logistic regressions on the sets.",
        default=None,
    )
    strata: tuple[str, ...] = _describe(
        "Stratification columns of an unmatched design (e.g. age band): binary factors get "
        "the Mantel-Haenszel odds ratio over them, and the multivariable model includes them "
        "as factor terms.",
        default=(),
    )


class _Outcome(_Strict):
    column: str = _describe("Data-dictionary column holding case status (1 = case, 0 = control).")
    definition: str = _describe("How case status is defined, in words.", default="")


class _Population(_Strict):
    singular: str = _describe("Noun for one subject in prose, e.g. 'neonate', 'woman'.")
    plural: str = _describe("Noun for several subjects, e.g. 'neonates', 'women'.")


class _Screening(_Strict):
    threshold: float = _describe(
        "Univariable p below which a variable enters the multivariable model.",
        default=0.1,
        gt=0,
        lt=1,
    )
    candidates_from: Literal["table1"] = _describe(
        "Where screening candidates come from: the Table 1 rows with candidate: true.",
        default="table1",
    )
    method: str = _describe("How the paper screened and modelled, in words.", default="")


class _Cells(_Strict):
    """A cell given as numbers instead of its printed form."""

    n: int | None = _describe("Count (n_percent cells).", default=None, ge=0)
    percent: float | None = _describe("Percentage of the group (n_percent cells).", default=None)
    mean: float | None = _describe("Mean (mean_sd cells).", default=None)
    sd: float | None = _describe("Standard deviation (mean_sd cells).", default=None)
    median: float | None = _describe("Median (median_iqr cells).", default=None)
    q1: float | None = _describe("First quartile (median_iqr cells).", default=None)
    q3: float | None = _describe("Third quartile (median_iqr cells).", default=None)


_Cell = str | _Cells
_CELL_HELP = (
    "printed form ('12 (18.1)', '35.1±3.27', '10 (9, 10)') or numbers ({n: 12, percent: 18.1})"
)


class _Bin(_Strict):
    level: _Text = _describe("The bin's printed label, e.g. '<28 week'.")
    low: float | None = _describe(
        "Lower bound (inclusive); omit for an open first bin.", default=None
    )
    high: float | None = _describe(
        "Upper bound (exclusive); omit for an open last bin.", default=None
    )
    case: _Cell = _describe(f"Cases in the bin, n (%): {_CELL_HELP}.")
    control: _Cell = _describe(f"Controls in the bin, n (%): {_CELL_HELP}.")
    note: str = _describe("Anything odd about the printed cells.", default="")


class _Level(_Strict):
    level: _Text = _describe("The level's printed label, e.g. 'White' or 1.")
    value: _Text | None = _describe(
        "The value the data hold for this level (a data-dictionary level or code); defaults "
        "to the label.",
        default=None,
    )
    reference: bool = _describe(
        "True for the reference level of the odds ratios (default: the first level).",
        default=False,
    )
    case: _Cell = _describe(f"Cases at this level, n (%): {_CELL_HELP}.")
    control: _Cell = _describe(f"Controls at this level, n (%): {_CELL_HELP}.")
    note: str = _describe("Anything odd about the printed cells.", default="")


_LEVELLED = ("categorical", "ordinal")


class _Table1Row(_Strict):
    variable: str = _describe("Data-dictionary column the row describes.")
    label: str = _describe("Row label as printed.", default="")
    summary: Literal["n_percent", "mean_sd", "median_iqr", "categorical", "ordinal"] = _describe(
        "Cell format: n_percent (binary), mean_sd, median_iqr, or categorical / ordinal "
        "(one n (%) per level under `levels`)."
    )
    test: str = _describe("Test the paper names for the row's p, e.g. 't-test'.", default="")
    case: _Cell | None = _describe(
        f"Cases' cell: {_CELL_HELP}. Not used for categorical and ordinal rows.", default=None
    )
    control: _Cell | None = _describe(
        f"Controls' cell: {_CELL_HELP}. Not used for categorical and ordinal rows.", default=None
    )
    p: _P = _describe("Printed p-value ('0.001', '<0.001') of the row's test.", default=None)
    bins: tuple[_Bin, ...] = _describe(
        "Counts of a continuous variable in printed bands, below its mean_sd row.", default=()
    )
    levels: tuple[_Level, ...] = _describe(
        "Levels of a categorical or ordinal row, in printed order (ordinal: low to high).",
        default=(),
    )
    trend_p: _P = _describe("Printed p of a trend test across ordinal levels.", default=None)
    trend_test: str = _describe("Name of the trend test, e.g. 'Cochran-Armitage'.", default="")
    candidate: bool = _describe(
        "False to keep the row out of the univariable screen.", default=True
    )
    note: str = _describe("Anything odd about the printed row.", default="")

    @model_validator(mode="after")
    def _cells_or_levels(self) -> _Table1Row:
        if self.summary in _LEVELLED:
            if self.case is not None or self.control is not None:
                raise ValueError(
                    f"a {self.summary} row has no case/control cell of its own: put the counts "
                    "under `levels`, one entry per level"
                )
            if len(self.levels) < 2:
                raise ValueError(f"a {self.summary} row needs `levels` with at least two levels")
            if self.bins:
                raise ValueError(f"a {self.summary} row takes `levels`, not `bins`")
        else:
            missing = [name for name in ("case", "control") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"a {self.summary} row needs `case` and `control` cells (missing: "
                    f"{', '.join(missing)}); use summary: categorical with `levels` for a "
                    "variable with several levels"
                )
            if self.levels:
                raise ValueError(
                    f"`levels` need summary: categorical or ordinal, not {self.summary}"
                )
        if (self.trend_p is not None or self.trend_test) and self.summary != "ordinal":
            raise ValueError("`trend_p` and `trend_test` belong to ordinal rows only")
        return self


class _OddsRatioLevel(_Strict):
    level: _Text = _describe("The level (as in Table 1) compared with the reference.")
    or_: str | float = _describe("Odds ratio against the reference level.", alias="or")
    ci: str | tuple[float, float] = _describe(
        "95% interval as printed ('1.08-3.78') or [low, high]."
    )
    p: _P = _describe("Printed p of this level's odds ratio.", default=None)


class _OddsRatioRow(_Strict):
    variable: str = _describe("Data-dictionary column (or Table 1 variable) of the term.")
    label: str = _describe("Term label as printed.", default="")
    or_: str | float | None = _describe(
        "Odds ratio of a binary or continuous term; omit for a term with `levels`.",
        default=None,
        alias="or",
    )
    ci: str | tuple[float, float] | None = _describe(
        "95% interval as printed ('1.08-3.78') or [low, high]; omit for a term with `levels`.",
        default=None,
    )
    p: _P = _describe("Printed p of the odds ratio.", default=None)
    per: str = _describe(
        "Increment a continuous term's odds ratio refers to, e.g. '1 year'.", default=""
    )
    reference: _Text | None = _describe(
        "Reference level of a term with `levels` (default: Table 1's reference level).",
        default=None,
    )
    levels: tuple[_OddsRatioLevel, ...] = _describe(
        "One odds ratio per non-reference level of a categorical or ordinal term.", default=()
    )
    joint_p: _P = _describe("Printed p of the joint test of all levels.", default=None)
    joint_test: str = _describe("Name of the joint test, e.g. 'likelihood ratio'.", default="")
    trend_p: _P = _describe("Printed p of a trend test over ordered levels.", default=None)
    trend_test: str = _describe("Name of the trend test.", default="")

    @model_validator(mode="after")
    def _estimate_or_levels(self) -> _OddsRatioRow:
        if self.levels:
            if self.or_ is not None or self.ci is not None:
                raise ValueError(
                    "a term with `levels` prints one odds ratio per level: move `or` and `ci` "
                    "into its `levels` entries"
                )
        else:
            if self.or_ is None or self.ci is None:
                raise ValueError(
                    "a term needs `or` and `ci` (or `levels` with one odds ratio per level)"
                )
            if self.reference is not None or self.joint_p is not None:
                raise ValueError("`reference` and `joint_p` belong to terms with `levels`")
        return self


class _Multivariable(_Strict):
    terms_entered: tuple[str, ...] = _describe(
        "Variables entered into the multivariable model (a categorical variable once).",
        default=(),
    )
    reported: tuple[_OddsRatioRow, ...] = _describe(
        "Adjusted odds ratios as printed, in the univariable row format.", default=()
    )
    not_significant: tuple[str, ...] = _describe(
        "Entered variables the text calls not significant though it prints no estimate.",
        default=(),
    )


class _Claim(_Strict):
    value: float = _describe("The number the text states.")
    printed: str = _describe("The words as printed, e.g. '66 (33%)'.", default="")
    refers_to: str = _describe(
        "What it counts: a variable, 'variable < threshold', '... in cases'.", default=""
    )


class _Provenance(_Strict):
    table1: str = _describe("Where the Table 1 values come from.", default="")
    univariable: str = _describe("Where the univariable odds ratios come from.", default="")
    multivariable: str = _describe("Where the multivariable odds ratios come from.", default="")
    text_claims: str = _describe("Where the text claims come from.", default="")
    data: str = _describe("Where the microdata come from, and their licence.", default="")


def code_key(value: Any) -> str:
    """The form in which a data value is looked up in a ``codes`` mapping.

    Whole numbers lose their decimal point and text is compared in lower case, so ``2``,
    ``2.0`` and ``"2"`` are one code, and so are ``"Yes"`` and ``"yes"``.

    Examples
    --------
    >>> code_key(2.0), code_key("Yes "), code_key(1)
    ('2', 'yes', '1')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


class ColumnSpec(_Strict):
    """One column of the data dictionary."""

    name: str = _describe("Column name in the data file.")
    type: Literal["id", "binary", "integer", "continuous", "categorical", "date"] = _describe(
        "id (unique), binary (0/1), integer, continuous, categorical (one of `levels`) or date."
    )
    unit: str = _describe("Unit of a numeric column, e.g. 'kg'.", default="")
    min: float | None = _describe("Smallest allowed value.", default=None)
    max: float | None = _describe("Largest allowed value.", default=None)
    levels: tuple[_Text, ...] = _describe(
        "Allowed values of a categorical column; integer codes are kept as text ('1').",
        default=(),
    )
    required: bool = _describe("False when the file may lack the column.", default=True)
    description: str = _describe("What the column holds; for codes, what each means.", default="")
    # Applied by neok2.study.dictionary.apply_codes before validation.
    codes: dict[str, str | float] = _describe(
        "How the file's codes map to the dictionary's values, e.g. {1: 0, 2: 1} or "
        "{yes: 1, no: 0}; keys compared as text, case-insensitively.",
        default={},
    )

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        keys = [key for key in value if isinstance(key, bool)]
        if keys:
            raise ValueError(
                "a code read as true/false: quote yes/no/on/off keys in YAML, e.g. "
                '{"yes": 1, "no": 0}'
            )
        return {code_key(key): code for key, code in value.items()}


class _Indication(_Strict):
    indication: str = _describe("The clinical situation the exposure is given for.")
    consequence: str = _describe("What that situation itself brings.", default="")
    related: tuple[str, ...] = _describe("Variables the indication also moves.", default=())


class _CohortFlag(_Strict):
    count: str = _describe("Words for the count, e.g. 'small-for-gestational-age neonates'.")
    percent: str = _describe("Words for the percentage, e.g. 'percentage SGA'.")


class _LowestBand(_Strict):
    name: str = _describe("Name of the band below the lowest Table 1 bin.")
    variable: str = _describe("Binned variable whose lowest band is counted.")


class _Report(_Strict):
    seed: int | None = _describe("Default seed of the analysis and manuscript.", default=None, ge=0)
    measurement: str | None = _describe(
        "The continuous variable whose threshold defines case status (the defining "
        "measurement); default: the variable of the definition whose column is the outcome.",
        default=None,
    )
    measurement_figure: str = _describe(
        "Name of the figure of the defining measurement by group.", default="measurement_by_group"
    )
    sex_column: str = _describe("Binary column coding sex (1 = male).", default="male")
    lowest_band: _LowestBand | None = _describe(
        "Count subjects below the lowest Table 1 bin of a variable.", default=None
    )
    case_share: tuple[str, ...] = _describe(
        "Threshold definitions whose case percentage the prose quotes.", default=()
    )
    flags: dict[str, _CohortFlag] = _describe(
        "Binary columns counted in the cohort description.", default={}
    )
    style: Literal["ama", "vancouver"] = _describe(
        "Journal precision rules for printed numbers (neok2.formatting.journal_style).",
        default="ama",
    )


class _Spec(_Strict):
    id: str = _describe("Short name of the study (letters, digits, underscores).")
    title: str = _describe("Title of the paper or study.", default="")
    source: str = _describe("Citation or description of where the study was published.", default="")
    population: _Population | None = _describe(
        "Nouns for the subjects in prose (default: participant / participants).", default=None
    )
    design: _Design = _describe("Design and setting.", default=_Design())
    outcome: _Outcome = _describe("The case-status column and its definition.")
    groups: _Groups = _describe("Case and control groups with their printed sizes.")
    totals: _Totals = _describe("Overall counts.")
    definitions: dict[str, dict[str, Any]] = _describe(
        "Named definitions; {variable, below, column} makes `column` = (`variable` < `below`), "
        "which the validator and the generator enforce.",
        default={},
    )
    screening: _Screening = _describe("The univariable screen.", default=_Screening())
    table1: tuple[_Table1Row, ...] = _describe("Table 1 (baseline characteristics), row by row.")
    univariable: tuple[_OddsRatioRow, ...] = _describe(
        "Table 2: univariable odds ratios as printed.", default=()
    )
    multivariable: _Multivariable = _describe(
        "The multivariable model: terms entered and adjusted odds ratios.",
        default=_Multivariable(),
    )
    text_claims: dict[str, _Claim] = _describe(
        "Figures the text states on its own, by name.", default={}
    )
    provenance: _Provenance = _describe(
        "Where each table's values come from: transcribed (with citation) or computed.",
        default=_Provenance(),
    )
    columns: tuple[ColumnSpec, ...] = _describe(
        "The data dictionary: one entry per column of the data file.", default=()
    )
    microdata: str | None = _describe(
        "Path of a CSV of the study's real records, one row per subject in the data "
        "dictionary's columns, relative to the spec file's folder. A study that declares it "
        "gets the rebuild check: synthetic cohorts built from the tables alone are compared "
        "with these records.",
        default=None,
        min_length=1,
    )
    indications: dict[str, _Indication] = _describe(
        "Exposures given because of a clinical situation (confounding by indication).",
        default={},
    )
    report: _Report = _describe("How the analysis report treats the study.", default=_Report())

    @field_validator("table1")
    @classmethod
    def _table1_not_empty(cls, rows: tuple[_Table1Row, ...]) -> tuple[_Table1Row, ...]:
        if not rows:
            raise ValueError("table1 must list at least one row")
        return rows


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a study spec, every field described (``neok2 schema`` prints it).

    Examples
    --------
    >>> schema = spec_json_schema()
    >>> schema["title"], "table1" in schema["required"]
    ('neok2 study spec', True)
    """
    schema = _Spec.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "neok2 study spec"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = (
        "What a case-control paper printed: groups, Table 1, univariable and multivariable "
        "odds ratios, text claims, definitions and the data dictionary. See docs/spec.md."
    )
    return schema
