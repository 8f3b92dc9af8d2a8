"""A shareable synthetic twin of real case-control records (sequential synthesis, synthpop-style).

:func:`synthesize_from_data` replaces every value of a real dataset by a draw from a model of
the real records, one variable at a time in a *visit order*: the outcome first (its case and
control counts are kept exactly), then each covariate drawn from a CART or parametric model
fitted on the variables visited before it (:mod:`neok2.synth.twin_models`). The twin keeps
the data dictionary:

* types, ranges and codes: values are real donor values (CART) or draws kept inside the
  dictionary range (parametric), integers stay whole, categories stay known codes;
* missing values: whether a value is missing is synthesised first, as a 0/1 indicator drawn
  from its own model, and the value only where the indicator says "observed";
* definitions: the variable that defines the outcome (e.g. vitamin K2 < 0.1 ng/mL) is drawn
  separately for cases and controls, so every case lies below the threshold and every
  control at or above it; 0/1 columns defined by a threshold (``preterm``,
  ``k2_undetectable``) and the SGA column (birth weight below the INTERGROWTH-21st 10th
  centile, :mod:`neok2.stats.growth`) are recomputed from the synthesised values wherever the
  rule can be evaluated, and drawn by their model only where it cannot.

The identifier column gets fresh identifiers (1, 2, ...), never real ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from neok2.stats.growth import GROWTH_REFERENCE_RANGE, birthweight_centile_10
from neok2.study.dictionary import DataValidationError, validate_data
from neok2.study.spec import Study, load_study
from neok2.synth.rules import growth_rule, threshold_columns
from neok2.synth.twin_disclosure import (
    DisclosureReport,
    check_replicated_uniques,
    disclosure_report,
)
from neok2.synth.twin_models import draw_classes, draw_numeric, encode_predictor

__all__ = ["VARIABLE_TYPES", "TwinResult", "synthesize_from_data"]

VARIABLE_TYPES = ("binary", "integer", "continuous", "categorical", "id", "date")
_NUMERIC = ("binary", "integer", "continuous", "date")
_EPOCH = pd.Timestamp("1970-01-01")


@dataclass(frozen=True)
class _Rule:
    """``column`` derived from synthesised values (None where the rule does not apply)."""

    column: str
    sources: tuple[str, ...]
    text: str
    kind: Literal["below", "growth"]
    below: float = math.nan


@dataclass(frozen=True)
class TwinResult:
    """A synthetic twin and how it was made.

    Attributes
    ----------
    study_id : str or None
    outcome : str
    method : {"cart", "parametric"}
    seed : int
    min_leaf : int
    visit_order : tuple of str
        Variables in the order they were synthesised.
    types : Mapping[str, str]
        Type of every twin column.
    n_cases, n_controls : int
        Kept exactly from the real records.
    disclosure : DisclosureReport
        Replicated uniques and closest-record distances against the real records.
    notes : tuple of str
    """

    _data: pd.DataFrame = field(repr=False)
    _variables: pd.DataFrame = field(repr=False)
    study_id: str | None
    outcome: str
    method: str
    seed: int
    min_leaf: int
    visit_order: tuple[str, ...]
    types: Mapping[str, str] = field(repr=False)
    n_cases: int
    n_controls: int
    disclosure: DisclosureReport = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def data(self) -> pd.DataFrame:
        """The twin, one row per synthetic record (a copy: the result itself never changes)."""
        return self._data.copy()

    @property
    def settings(self) -> dict[str, Any]:
        """How the twin was made: study, outcome, method, seed, minimum leaf, visit order."""
        return {
            "study": self.study_id,
            "outcome": self.outcome,
            "method": self.method,
            "seed": self.seed,
            "min_leaf": self.min_leaf,
            "visit_order": list(self.visit_order),
        }

    def tidy(self) -> pd.DataFrame:
        """One row per variable: ``variable, type, role, position, model, rule,
        n_missing_real, n_missing_twin``."""
        return self._variables.copy()

    def to_gt(self, *, title: str | None = None) -> Any:
        """great_tables ``GT`` of :meth:`tidy`, with the settings as source notes."""
        from great_tables import GT

        gt = GT(self.tidy()).tab_header(
            title=title or "Synthetic twin",
            subtitle=(
                f"{self.n_cases} cases, {self.n_controls} controls; method {self.method}, "
                f"seed {self.seed}, minimum leaf {self.min_leaf}"
            ),
        )
        for note in self.notes:
            gt = gt.tab_source_note(note)
        return gt

    def _repr_html_(self) -> str:
        return str(self.to_gt().as_raw_html())


# ----------------------------------------------------------------------------- variables


def _infer_type(values: pd.Series) -> str:
    observed = values.dropna()
    numeric = pd.to_numeric(observed, errors="coerce")
    if len(observed) and numeric.notna().all():
        if set(numeric.unique()) <= {0, 1}:
            return "binary"
        return "integer" if bool((numeric % 1 == 0).all()) else "continuous"
    return "categorical"


def _resolve_types(
    frame: pd.DataFrame, study: Study | None, variables: Mapping[str, str] | Sequence[str] | None
) -> dict[str, str]:
    types: dict[str, str] = {}
    if study is not None:
        types = {c.name: c.type for c in study.columns if c.name in frame.columns}
    if variables is not None:
        if isinstance(variables, str):
            raise TypeError("`variables` must be a mapping name -> type or a list of names")
        if isinstance(variables, Mapping):
            for name, kind in variables.items():
                if kind not in VARIABLE_TYPES:
                    raise ValueError(
                        f"`variables`: type {kind!r} of {name!r} is not one of {VARIABLE_TYPES}"
                    )
                types[str(name)] = str(kind)
        else:
            for name in variables:
                if name not in frame.columns:
                    raise ValueError(f"`variables`: {name!r} is not a column of `frame`")
                types.setdefault(str(name), _infer_type(frame[name]))
    elif study is None:
        raise ValueError(
            "`variables`: without a `study`, list the variables (a mapping name -> type, "
            f"types among {VARIABLE_TYPES}, or a list of names whose types are inferred)"
        )
    absent = [name for name in types if name not in frame.columns]
    if absent:
        raise ValueError(f"`variables`: {absent} are not columns of `frame`")
    unknown = [str(c) for c in frame.columns if c not in types]
    if unknown:
        raise ValueError(
            f"`frame`: columns {unknown} are neither in the study's data dictionary nor in "
            "`variables`; give their types in `variables` or drop them before synthesis"
        )
    return {str(c): types[str(c)] for c in frame.columns}


def _rules(study: Study | None, types: Mapping[str, str], outcome: str) -> list[_Rule]:
    if study is None:
        return []
    rules: list[_Rule] = []
    seen: set[str] = set()
    candidates = [
        (str(d["column"]), str(d["variable"]), float(d["below"]))
        for d in study.definitions.values()
        if d.get("column") and d.get("variable") and d.get("below") is not None
    ]
    candidates += [(r.column, r.variable, r.below) for r in threshold_columns(study)]
    for column, variable, below in candidates:
        if column == outcome or column in seen or column not in types or variable not in types:
            continue
        seen.add(column)
        rules.append(
            _Rule(column, (variable,), f"{variable} < {below:g}", kind="below", below=below)
        )
    growth = growth_rule(study)
    if growth is not None and growth.column in types and growth.column not in seen:
        sources = (growth.weight, growth.gestational_age, growth.sex)
        if all(s in types for s in sources):
            rules.append(
                _Rule(
                    growth.column,
                    sources,
                    f"{growth.weight} below the INTERGROWTH-21st 10th centile for "
                    f"{growth.gestational_age} and {growth.sex}",
                    kind="growth",
                )
            )
    return rules


def _outcome_definition(study: Study | None, outcome: str) -> tuple[str, float] | None:
    if study is None:
        return None
    definition = study.definitions.get(outcome)
    if not definition or "variable" not in definition or "below" not in definition:
        return None
    return str(definition["variable"]), float(definition["below"])


def _visit_order(
    types: Mapping[str, str],
    outcome: str,
    rules: Sequence[_Rule],
    defining: str | None,
    visit_order: Sequence[str] | None,
) -> tuple[str, ...]:
    synthesised = [n for n, k in types.items() if k != "id"]
    derived = {rule.column: rule for rule in rules}
    if visit_order is not None:
        given = [str(v) for v in visit_order]
        if sorted(given) != sorted(synthesised):
            raise ValueError(
                "`visit_order` must list every non-identifier column exactly once: "
                f"missing {sorted(set(synthesised) - set(given))}, "
                f"unknown or repeated {sorted(set(given) - set(synthesised)) or 'none'}"
            )
        if given[0] != outcome:
            raise ValueError(f"`visit_order` must start with the outcome {outcome!r}")
        for rule in rules:
            late = [s for s in rule.sources if given.index(s) > given.index(rule.column)]
            if late:
                raise ValueError(
                    f"`visit_order`: {rule.column!r} is derived from {late}; visit it after them"
                )
        return tuple(given)
    first = [outcome] + ([defining] if defining else [])
    rest = [n for n in synthesised if n not in first and n not in derived]
    order: list[str] = []
    pending = list(derived)
    for name in [*first, *rest]:
        order.append(name)
        for column in list(pending):
            if all(s in order for s in derived[column].sources):
                order.append(column)
                pending.remove(column)
    return tuple(order + pending)


# ----------------------------------------------------------------------------- synthesis


def _as_numbers(values: pd.Series, kind: str) -> np.ndarray:
    if kind == "date":
        stamps = pd.to_datetime(values, errors="raise")
        days = (stamps - _EPOCH).dt.days
        return days.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values, errors="raise").to_numpy(dtype=float)


def _bounds(frame: pd.DataFrame, name: str, kind: str, study: Study | None) -> tuple[float, float]:
    observed = _as_numbers(frame[name], kind)
    low, high = float(np.nanmin(observed)), float(np.nanmax(observed))
    if study is not None and kind != "date" and name in {c.name for c in study.columns}:
        spec = study.column(name)
        low = spec.min if spec.min is not None else low
        high = spec.max if spec.max is not None else high
    if kind == "binary":
        low, high = 0.0, 1.0
    return low, high


def _apply_rule(rule: _Rule, twin: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rule values and where the rule applies."""
    if rule.kind == "below":
        source = pd.to_numeric(twin[rule.sources[0]]).to_numpy(dtype=float)
        applies = ~np.isnan(source)
        return np.where(applies, (source < rule.below).astype(float), np.nan), applies
    weight, ga, sex = (pd.to_numeric(twin[s]).to_numpy(dtype=float) for s in rule.sources)
    low, high = GROWTH_REFERENCE_RANGE
    applies = ~np.isnan(weight) & ~np.isnan(ga) & np.isin(sex, (0.0, 1.0))
    applies &= (ga >= low) & (ga <= high + 1e-9)
    values = np.full(len(twin), np.nan)
    if applies.any():
        cut = birthweight_centile_10(ga[applies], sex[applies].astype(int))
        values[applies] = (weight[applies] < cut).astype(float)
    return values, applies


def _check_frame(frame: Any, outcome: Any) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.columns.duplicated().any():
        raise ValueError("`frame` has duplicated column names; rename them")
    if len(frame) < 4:
        raise ValueError(f"`frame` needs at least 4 records to synthesise, got {len(frame)}")
    if not isinstance(outcome, str) or outcome not in frame.columns:
        raise ValueError(f"`outcome`: {outcome!r} is not a column of `frame`")
    values = frame[outcome]
    if values.isna().any() or not set(pd.to_numeric(values, errors="coerce").unique()) <= {0, 1}:
        raise ValueError(f"`outcome`: {outcome!r} must be coded 0/1 with no missing values")
    if values.nunique() < 2:
        raise ValueError(f"`outcome`: {outcome!r} needs both cases (1) and controls (0)")


def synthesize_from_data(
    frame: pd.DataFrame,
    study: Study | str | None,
    *,
    seed: int,
    method: Literal["cart", "parametric"] = "cart",
    min_leaf: int = 5,
    visit_order: Sequence[str] | None = None,
    outcome: str | None = None,
    variables: Mapping[str, str] | Sequence[str] | None = None,
    keys: Sequence[str] | None = None,
    max_replicated_uniques: float | None = None,
) -> TwinResult:
    """A synthetic twin of real records, drawn variable by variable (synthpop-style).

    Parameters
    ----------
    frame : pandas.DataFrame
        The real records, one row per subject. Not modified.
    study : Study, str or None
        The study whose data dictionary applies (types, ranges, codes, definitions); the
        data are validated against it first. None: give ``outcome`` and ``variables``.
    seed : int
        Seed of the only random generator used; same inputs and seed give the same twin.
    method : {"cart", "parametric"}, default "cart"
        CART with donor values from the leaf (synthpop ``cart``), or logistic / normal
        linear models (synthpop ``logreg``, ``polyreg``, ``norm``).
    min_leaf : int, default 5
        Minimum real records per tree leaf: the privacy knob of CART (synthpop's
        ``minbucket``). Larger values blur more.
    visit_order : sequence of str, optional
        Order of synthesis (outcome first, derived columns after their sources); default:
        outcome, the variable that defines it, then the columns in file order, each derived
        column right after its sources.
    outcome : str, optional
        The 0/1 case indicator; default the study's outcome.
    variables : Mapping[str, str] or sequence of str, optional
        Types of columns the dictionary does not list (``binary, integer, continuous,
        categorical, id, date``); a list of names has its types inferred. Required without
        a study.
    keys : sequence of str, optional
        Key variables of the replicated-uniques check; default every non-identifier column.
    max_replicated_uniques : float, optional
        Refuse (ValueError) a twin whose replicated-uniques rate exceeds this rate.

    Returns
    -------
    TwinResult
        ``.data`` is the twin; ``.tidy()`` one row per variable; ``.disclosure`` the
        disclosure figures.

    Raises
    ------
    DataValidationError
        When ``frame`` breaks the study's data dictionary.
    ValueError
        Unknown columns, bad outcome, bad options, or a replicated-uniques rate above
        ``max_replicated_uniques``.

    Notes
    -----
    synthpop's ``syn()`` draws the first variable from its marginal; here the outcome
    column is a random permutation of the real one, so the twin has exactly the real case
    and control counts. Predictors of each model are all variables visited before it
    (missing values encoded with an indicator). Trees are scikit-learn's
    ``DecisionTreeClassifier``/``DecisionTreeRegressor`` grown to ``min_samples_leaf``
    (synthpop grows rpart trees with ``cp = 1e-8`` and ``minbucket = 5``).

    References
    ----------
    Nowok B, Raab GM, Dibben C (2016). synthpop: bespoke creation of synthetic data in R.
    J Stat Softw 74(11):1-26. Reiter JP (2005). Using CART to generate partially synthetic
    public use microdata. J Off Stat 21:441-462.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 0, 0] * 5,
    ...                      "smoker": [1, 1, 0, 0, 0, 1, 0, 0] * 5,
    ...                      "age": [31, 35, 29, 40, 38, 33, 27, 45] * 5})
    >>> twin = synthesize_from_data(real, None, seed=1, outcome="case",
    ...                             variables={"case": "binary", "smoker": "binary",
    ...                                        "age": "integer"})
    >>> int(twin.data["case"].sum()), len(twin.data)
    (15, 40)
    >>> set(twin.data["age"]) <= set(real["age"])
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")
    if method not in ("cart", "parametric"):
        raise ValueError(f"`method` must be 'cart' or 'parametric', got {method!r}")
    if isinstance(min_leaf, bool) or not isinstance(min_leaf, int) or min_leaf < 1:
        raise ValueError(f"`min_leaf` must be a positive integer, got {min_leaf!r}")
    spec: Study | None = None
    if study is not None:
        spec = study if isinstance(study, Study) else load_study(study)
        report = validate_data(frame, spec)
        if not report.ok:
            raise DataValidationError(report)
        outcome = outcome or spec.outcome
    if outcome is None:
        raise ValueError("`outcome`: name the 0/1 case column (no study gives it)")
    _check_frame(frame, outcome)
    real = frame.reset_index(drop=True)
    types = _resolve_types(real, spec, variables)
    if types[outcome] != "binary":
        raise ValueError(f"`variables`: the outcome {outcome!r} must have type 'binary'")
    rules = _rules(spec, types, outcome)
    definition = _outcome_definition(spec, outcome)
    defining = definition[0] if definition and definition[0] in types else None
    order = _visit_order(types, outcome, rules, defining, visit_order)
    derived = {rule.column: rule for rule in rules}

    rng = np.random.default_rng(int(seed))
    n = len(real)
    twin = pd.DataFrame(index=range(n))
    is_case = real[outcome].astype(float).to_numpy() == 1
    twin_case = rng.permutation(is_case)
    twin[outcome] = twin_case.astype(float)
    blocks_real: list[np.ndarray] = []
    blocks_twin: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    notes: list[str] = []

    def add_predictor(name: str) -> None:
        kind = types[name]
        real_values = real[name] if kind != "date" else pd.Series(_as_numbers(real[name], kind))
        block_real, block_twin = encode_predictor(
            real_values, twin[name], categorical=kind == "categorical"
        )
        blocks_real.append(block_real)
        blocks_twin.append(block_twin)

    add_predictor(outcome)
    records.append(
        {"variable": outcome, "role": "outcome", "model": "fixed counts (permuted)", "rule": ""}
    )
    for name in order[1:]:
        kind = types[name]
        X_real = np.column_stack(blocks_real)
        X_twin = np.column_stack(blocks_twin)
        rule = derived.get(name)
        strata = (
            [(is_case, twin_case), (~is_case, ~twin_case)]
            if name == defining
            else [(np.ones(n, bool), np.ones(n, bool))]
        )
        values = _draw_column(
            rng,
            real,
            name,
            kind,
            X_real,
            X_twin,
            strata,
            method,
            min_leaf,
            _bounds(real, name, kind, spec) if kind in _NUMERIC else None,
            definition[1] if name == defining and definition else None,
        )
        model: str = method
        if rule is not None:
            rule_values, applies = _apply_rule(rule, twin.assign(**{name: values}))
            values = np.where(applies, rule_values, values) if kind != "categorical" else values
            model = "rule" if applies.all() else f"rule where it applies, else {method}"
        twin[name] = values
        add_predictor(name)
        records.append(
            {
                "variable": name,
                "role": "derived" if rule else "covariate",
                "model": model,
                "rule": rule.text if rule else "",
            }
        )
        if name == defining and definition:
            records[-1]["rule"] = f"{outcome} = 1 exactly when {name} < {definition[1]:g}"

    for name, kind in types.items():
        if kind == "id":
            numeric_ids = pd.to_numeric(real[name], errors="coerce").notna().all()
            twin[name] = (
                np.arange(1, n + 1)
                if numeric_ids
                else [f"twin-{i:0{len(str(n))}d}" for i in range(1, n + 1)]
            )
            records.append(
                {"variable": name, "role": "identifier", "model": "new identifiers", "rule": ""}
            )
            notes.append(f"{name}: fresh identifiers 1..{n}; no real identifier is kept")
    twin = _finish(twin[list(real.columns)], real, types)
    compared = {k: v for k, v in types.items() if v != "id"}
    disclosure = disclosure_report(real, twin, compared, keys=keys)
    check_replicated_uniques(disclosure, max_replicated_uniques)
    variables_table = _variables_table(records, real, twin, types, order)
    return TwinResult(
        _data=twin,
        _variables=variables_table,
        study_id=spec.id if spec is not None else None,
        outcome=outcome,
        method=method,
        seed=int(seed),
        min_leaf=min_leaf,
        visit_order=order,
        types=dict(types),
        n_cases=int(twin_case.sum()),
        n_controls=int((~twin_case).sum()),
        disclosure=disclosure,
        notes=tuple(notes),
    )


def _draw_column(
    rng: np.random.Generator,
    real: pd.DataFrame,
    name: str,
    kind: str,
    X_real: np.ndarray,
    X_twin: np.ndarray,
    strata: list[tuple[np.ndarray, np.ndarray]],
    method: Literal["cart", "parametric"],
    min_leaf: int,
    bounds: tuple[float, float] | None,
    below: float | None,
) -> np.ndarray:
    """One column of the twin: missingness indicator first, then values where observed."""
    n_twin = len(X_twin)
    numeric = kind in _NUMERIC
    y_all = _as_numbers(real[name], kind) if numeric else real[name].to_numpy(dtype=object)
    missing_all = np.asarray(pd.isna(y_all), dtype=bool)
    out = np.full(n_twin, np.nan) if numeric else np.full(n_twin, None, dtype=object)
    for stratum, (real_rows, twin_rows) in enumerate(strata):
        if not twin_rows.any():
            continue
        Xr, Xt = X_real[real_rows], X_twin[twin_rows]
        missing = missing_all[real_rows]
        twin_missing = np.zeros(len(Xt), dtype=bool)
        if missing.any():
            drawn = draw_classes(
                rng, missing.astype(int).astype(object), Xr, Xt, method=method, min_leaf=min_leaf
            )
            twin_missing = drawn.astype(int) == 1
        observed = ~missing
        targets = ~twin_missing
        if not targets.any():
            continue
        if not observed.any():
            raise ValueError(f"{name}: no observed value to draw from in stratum {stratum}")
        y = y_all[real_rows][observed]
        if numeric and kind != "binary":
            assert bounds is not None
            low, high = bounds
            limit_low, limit_high = low, high

            def accept(
                values: np.ndarray, lo: float = limit_low, hi: float = limit_high, s: int = stratum
            ) -> np.ndarray:
                good = (values >= lo) & (values <= hi)
                if below is not None:
                    good &= (values < below) if s == 0 else (values >= below)
                return np.asarray(good, dtype=bool)

            drawn_values: np.ndarray = draw_numeric(
                rng,
                y.astype(float),
                Xr[observed],
                Xt[targets],
                method=method,
                min_leaf=min_leaf,
                accept=accept,
                integer=kind in ("integer", "date"),
            )
        else:
            drawn_values = draw_classes(
                rng, y.astype(object), Xr[observed], Xt[targets], method=method, min_leaf=min_leaf
            )
        positions = np.flatnonzero(twin_rows)[targets]
        out[positions] = drawn_values.astype(float) if numeric else drawn_values
    return out


def _finish(twin: pd.DataFrame, real: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """Columns in the real file's types: whole numbers as integers, dates as ISO text."""
    out = twin.copy()
    for name, kind in types.items():
        if kind in ("binary", "integer"):
            values = pd.to_numeric(out[name])
            out[name] = values.astype("Int64") if values.isna().any() else values.astype("int64")
        elif kind == "continuous":
            out[name] = pd.to_numeric(out[name]).astype(float)
        elif kind == "date":
            days = pd.to_numeric(out[name])
            stamps = _EPOCH + pd.to_timedelta(days, unit="D")
            out[name] = [None if pd.isna(s) else s.strftime("%Y-%m-%d") for s in stamps]
        elif kind == "categorical":
            out[name] = out[name].astype(object)
            if pd.api.types.is_numeric_dtype(real[name]):
                out[name] = pd.to_numeric(out[name]).astype(real[name].dtype)
    return out


def _variables_table(
    records: list[dict[str, Any]],
    real: pd.DataFrame,
    twin: pd.DataFrame,
    types: Mapping[str, str],
    order: Sequence[str],
) -> pd.DataFrame:
    rows = []
    for record in records:
        name = record["variable"]
        rows.append(
            {
                "variable": name,
                "type": types[name],
                "role": record["role"],
                "position": order.index(name) + 1 if name in order else 0,
                "model": record["model"],
                "rule": record["rule"],
                "n_missing_real": int(real[name].isna().sum()),
                "n_missing_twin": int(twin[name].isna().sum()),
            }
        )
    table = pd.DataFrame(rows)
    table["_column"] = [list(real.columns).index(v) for v in table["variable"]]
    return table.sort_values("_column").drop(columns="_column").reset_index(drop=True)
