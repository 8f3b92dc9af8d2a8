"""The univariable screen and multivariable model of a matched design, on its matched sets.

:func:`matched_set_sizes` counts the cases and controls of each matched set;
:func:`conditional_univariable` fits one conditional logistic regression per candidate and
:func:`conditional_screen_and_fit` screens them and fits one conditional model of those that
pass, as :func:`neok2.stats.selection.screen_and_fit` does for an unmatched design, and
:func:`conditional_bootstrap_inclusion` repeats the screen on resamples of whole sets. The tidy
frames have the columns of :func:`neok2.stats.logistic.univariable` (``firth`` always False)
plus ``n_sets``, so tables and plots built for logistic models take them unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neok2._frozen import frozen_fields
from neok2.formatting import format_p
from neok2.stats.conditional import ConditionalResult, conditional_logistic
from neok2.stats.logistic import _TIDY_COLUMNS as _LOGISTIC_COLUMNS

__all__ = [
    "ConditionalScreen",
    "MatchedSetSizes",
    "conditional_bootstrap_inclusion",
    "conditional_screen_and_fit",
    "conditional_univariable",
    "matched_set_sizes",
]

TIDY_COLUMNS: list[str] = [*_LOGISTIC_COLUMNS, "n_sets"]
"""Columns of the tidy frames: logistic_regression's, then ``n_sets``."""


@dataclass(frozen=True)
class MatchedSetSizes:
    """Cases and controls per matched set (from :func:`matched_set_sizes`).

    Attributes
    ----------
    n_sets : int
        Sets with at least one row.
    n_informative : int
        Sets with at least one case and one control (those a conditional model uses).
    cases_min, cases_median, cases_max : float
    controls_min, controls_median, controls_max : float
        Smallest, median and largest number of cases and of controls per set.
    n_missing : int
        Rows without a set id.
    """

    n_sets: int
    n_informative: int
    cases_min: float
    cases_median: float
    cases_max: float
    controls_min: float
    controls_median: float
    controls_max: float
    n_missing: int

    def tidy(self) -> pd.DataFrame:
        """One row with every attribute as a column."""
        return pd.DataFrame([{name: getattr(self, name) for name in self.__dataclass_fields__}])


def matched_set_sizes(data: pd.DataFrame, outcome: str, matched_set: str) -> MatchedSetSizes:
    """Count the sets, and the cases and controls in each.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    outcome : str
        0/1 column, 1 = case.
    matched_set : str
        Column holding the matched-set id.

    Returns
    -------
    MatchedSetSizes

    Raises
    ------
    KeyError
        A named column is not in ``data``.
    ValueError
        No row has a set id and an outcome.

    Examples
    --------
    >>> frame = pd.DataFrame({"set": [1, 1, 1, 2, 2], "case": [1, 0, 0, 1, 0]})
    >>> sizes = matched_set_sizes(frame, "case", "set")
    >>> sizes.n_sets, sizes.controls_min, sizes.controls_median, sizes.controls_max
    (2, 1.0, 1.5, 2.0)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    for argument, name in (("outcome", outcome), ("matched_set", matched_set)):
        if name not in data.columns:
            raise KeyError(f"`{argument}`: column {name!r} is not in `data`")
    known = data[[matched_set, outcome]].dropna()
    if known.empty:
        raise ValueError(f"no row has both a set id in {matched_set!r} and an outcome")
    counts = known.groupby(matched_set)[outcome].agg(["size", "sum"])
    cases = counts["sum"].astype(float)
    controls = (counts["size"] - counts["sum"]).astype(float)
    return MatchedSetSizes(
        n_sets=len(counts),
        n_informative=int(((cases > 0) & (controls > 0)).sum()),
        cases_min=float(cases.min()),
        cases_median=float(cases.median()),
        cases_max=float(cases.max()),
        controls_min=float(controls.min()),
        controls_median=float(controls.median()),
        controls_max=float(controls.max()),
        n_missing=int(data[matched_set].isna().sum()),
    )


def _as_logistic_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A conditional tidy frame in logistic_regression's columns, ``firth`` False."""
    return frame.assign(firth=False).reindex(columns=TIDY_COLUMNS)


def _fit(
    data: pd.DataFrame, outcome: str, variables: Sequence[str], matched_set: str, conf_level: float
) -> ConditionalResult:
    """One conditional model; a factor column goes through the formula for its dummies."""
    numeric = all(
        pd.api.types.is_numeric_dtype(data[name])
        and not isinstance(data[name].dtype, pd.CategoricalDtype)
        for name in variables
    )
    if numeric:
        return conditional_logistic(
            data,
            outcome=outcome,
            covariates=list(variables),
            matched_set=matched_set,
            conf_level=conf_level,
        )
    formula = f"{outcome} ~ " + " + ".join(variables)
    return conditional_logistic(data, formula, matched_set=matched_set, conf_level=conf_level)


def _not_estimable(candidate: str, why: str, conf_level: float) -> pd.DataFrame:
    row: dict[str, object] = {column: math.nan for column in TIDY_COLUMNS}
    row.update(
        term=candidate,
        variable=candidate,
        ci_method="wald",
        p_method="wald",
        conf_level=conf_level,
        firth=False,
        note=f"not estimable within matched sets: {why}",
    )
    return pd.DataFrame([row], columns=TIDY_COLUMNS)


def _screen_p(result: ConditionalResult) -> float:
    """A candidate's screening p: its coefficient's Wald p, or the LR test of a factor."""
    table = result.tidy()
    return float(table["p_value"].iloc[0]) if len(table) == 1 else float(result.lr_p)


def _univariable(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    matched_set: str,
    conf_level: float,
) -> tuple[pd.DataFrame, dict[str, float], dict[str, str]]:
    tables, p_values, failures = [], {}, {}
    for candidate in candidates:
        try:
            result = _fit(data, outcome, [candidate], matched_set, conf_level)
        except ValueError as why:
            tables.append(_not_estimable(candidate, str(why), conf_level))
            p_values[candidate], failures[candidate] = math.nan, str(why)
            continue
        tables.append(_as_logistic_columns(result.tidy().assign(variable=candidate)))
        p_values[candidate] = _screen_p(result)
    return pd.concat(tables, ignore_index=True), p_values, failures


def _check(data: pd.DataFrame, outcome: str, candidates: Sequence[str], matched_set: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(candidates, str) or not all(isinstance(name, str) for name in candidates):
        raise TypeError("`candidates` must be a list of column names, e.g. ['smoke', 'age']")
    unknown = [name for name in (outcome, matched_set, *candidates) if name not in data.columns]
    if unknown:
        raise KeyError(f"column(s) {unknown} are not in `data`")
    if matched_set in candidates or outcome in candidates:
        raise ValueError(
            "`candidates` must not hold the outcome or the matched-set column; remove it"
        )


def conditional_univariable(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    matched_set: str,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """One conditional logistic regression per candidate, on the matched sets.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        0/1 column, 1 = case.
    candidates : sequence of str
        Columns fitted one at a time (a categorical column gives one row per level).
    matched_set : str
        Column holding the matched-set id.
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per term with :data:`TIDY_COLUMNS`; ``variable`` is the candidate. A
        candidate that does not vary within any set (a matching variable) gets one row of
        NaN with the reason in ``note``.

    Examples
    --------
    >>> frame = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                       "case": [1, 0, 1, 0, 1, 0, 1, 0],
    ...                       "smoker": [1, 0, 1, 0, 0, 1, 1, 1]})
    >>> table = conditional_univariable(frame, "case", ["smoker"], matched_set="pair")
    >>> table[["term", "odds_ratio", "n_sets"]]
         term  odds_ratio  n_sets
    0  smoker         2.0       4
    """
    _check(data, outcome, candidates, matched_set)
    return _univariable(data, outcome, candidates, matched_set, conf_level)[0]


@frozen_fields("univariable", "selection_log")
@dataclass(frozen=True, eq=False)
class ConditionalScreen:
    """Result of :func:`conditional_screen_and_fit`.

    Attributes
    ----------
    outcome, matched_set : str
    threshold : float
    selected : tuple of str
        Candidates whose screening p is below ``threshold``, in candidate order.
    univariable : pandas.DataFrame
        :func:`conditional_univariable`'s frame.
    selection_log : pandas.DataFrame
        ``variable, p_value, selected, reason``.
    multivariable : ConditionalResult or None
        The conditional model of the selected candidates (None if none passed).
    formula : str
        That model as ``outcome ~ terms + strata(matched_set)`` (R's clogit notation).
    """

    outcome: str
    matched_set: str
    threshold: float
    selected: tuple[str, ...]
    univariable: pd.DataFrame = field(repr=False)
    selection_log: pd.DataFrame = field(repr=False)
    multivariable: ConditionalResult | None = field(repr=False)
    formula: str

    def tidy(self) -> pd.DataFrame:
        """The multivariable model's rows (:data:`TIDY_COLUMNS`); empty if none passed."""
        if self.multivariable is None:
            return pd.DataFrame(columns=TIDY_COLUMNS)
        return _as_logistic_columns(self.multivariable.tidy())


def conditional_screen_and_fit(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    matched_set: str,
    threshold: float = 0.1,
    conf_level: float = 0.95,
) -> ConditionalScreen:
    """Univariable conditional screen at ``p < threshold``, then one conditional model.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        0/1 column, 1 = case.
    candidates : sequence of str
    matched_set : str
        Column holding the matched-set id.
    threshold : float, default 0.1
        A candidate enters the multivariable model when its univariable p is below it (the
        Wald p of its coefficient; the likelihood-ratio p of a factor with several levels).
    conf_level : float, default 0.95

    Returns
    -------
    ConditionalScreen

    Notes
    -----
    The matched analogue of :func:`neok2.stats.selection.screen_and_fit`: every model
    conditions on the sets (R ``survival::clogit(case ~ x + strata(set))``), so effects of
    the matching variables, constant within sets, are not estimated; such a candidate is
    logged as not estimable and not selected.

    Examples
    --------
    >>> frame = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4] * 3,
    ...                       "case": [1, 0] * 12,
    ...                       "smoker": [1, 0, 1, 0, 0, 1, 1, 1] * 3})
    >>> frame["pair"] += frame.index // 8 * 10  # three copies, each with its own pairs
    >>> screen = conditional_screen_and_fit(frame, "case", ["smoker"], matched_set="pair",
    ...                                     threshold=0.5)
    >>> screen.selected, screen.formula
    (('smoker',), 'case ~ smoker + strata(pair)')
    """
    _check(data, outcome, candidates, matched_set)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise TypeError(f"`threshold` must be a number in (0, 1), got {threshold!r}")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"`threshold` must lie strictly between 0 and 1, got {threshold!r}")
    table, p_values, failures = _univariable(data, outcome, candidates, matched_set, conf_level)
    log_rows = []
    for candidate in candidates:
        p_value = p_values[candidate]
        if candidate in failures:
            passed, reason = False, "not estimable: " + failures[candidate]
        else:
            passed = bool(p_value < threshold)
            shown = format_p(p_value, 4)
            p_text = f"p {shown}" if shown[0] in "<>" else f"p = {shown}"
            reason = f"{p_text}, {'below' if passed else 'not below'} {threshold:g}"
        log_rows.append(
            {"variable": candidate, "p_value": p_value, "selected": passed, "reason": reason}
        )
    selected = tuple(str(row["variable"]) for row in log_rows if row["selected"])
    model = _fit(data, outcome, selected, matched_set, conf_level) if selected else None
    terms = " + ".join([*selected, f"strata({matched_set})"])
    return ConditionalScreen(
        outcome=outcome,
        matched_set=matched_set,
        threshold=float(threshold),
        selected=selected,
        univariable=table,
        selection_log=pd.DataFrame(log_rows, columns=["variable", "p_value", "selected", "reason"]),
        multivariable=model,
        formula=f"{outcome} ~ {terms}",
    )


def conditional_bootstrap_inclusion(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    matched_set: str,
    threshold: float = 0.1,
    n_boot: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """How often each candidate passes the conditional screen when whole sets are resampled.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        0/1 column, 1 = case.
    candidates : sequence of str
    matched_set : str
        Column holding the matched-set id; sets are drawn with replacement, each copy a set
        of its own, so the resamples keep the matching.
    threshold : float, default 0.1
        Screening p as in :func:`conditional_screen_and_fit`.
    n_boot : int, default 100
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``variable, n_selected, n_valid, n_failed, inclusion_frequency`` as
        :func:`neok2.stats.selection.bootstrap_inclusion`; a resample in which a candidate's
        model cannot be fitted counts in its ``n_failed``.

    Examples
    --------
    >>> frame = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4] * 3,
    ...                       "case": [1, 0] * 12,
    ...                       "smoker": [1, 0, 1, 0, 0, 1, 1, 1] * 3})
    >>> frame["pair"] += frame.index // 8 * 10
    >>> table = conditional_bootstrap_inclusion(frame, "case", ["smoker"], matched_set="pair",
    ...                                         threshold=0.5, n_boot=5, seed=1)
    >>> int(table["n_valid"].iloc[0] + table["n_failed"].iloc[0])
    5
    """
    _check(data, outcome, candidates, matched_set)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"`n_boot` must be a whole number of at least 1, got {n_boot!r}")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"`threshold` must lie strictly between 0 and 1, got {threshold!r}")
    frame = data.loc[data[matched_set].notna()]
    groups = [rows for _, rows in frame.groupby(matched_set, sort=True).indices.items()]
    generator = np.random.default_rng(seed)
    selected = dict.fromkeys(candidates, 0)
    failed = dict.fromkeys(candidates, 0)
    for _ in range(n_boot):
        drawn = generator.integers(0, len(groups), size=len(groups))
        positions = np.concatenate([groups[index] for index in drawn])
        sample = frame.iloc[positions].copy()
        # each drawn copy is its own set, as in a cluster bootstrap
        sample[matched_set] = np.repeat(np.arange(len(drawn)), [groups[i].size for i in drawn])
        for candidate in candidates:
            try:
                result = _fit(sample, outcome, [candidate], matched_set, 0.95)
                p_value = _screen_p(result)
            except ValueError:
                failed[candidate] += 1
                continue
            if not math.isfinite(p_value):
                failed[candidate] += 1
            elif p_value < threshold:
                selected[candidate] += 1
    rows = []
    for candidate in candidates:
        valid = n_boot - failed[candidate]
        rows.append(
            {
                "variable": candidate,
                "n_selected": selected[candidate],
                "n_valid": valid,
                "n_failed": failed[candidate],
                "inclusion_frequency": selected[candidate] / valid if valid else math.nan,
            }
        )
    return pd.DataFrame(rows)
