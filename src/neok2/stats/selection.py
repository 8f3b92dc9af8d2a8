"""Variable selection: the univariable screen, stepwise selection and bootstrap inclusion.

:func:`screen_and_fit` is the procedure of the study: each candidate alone, those with
p below a threshold enter one multivariable model. :func:`stepwise` is R's ``step()``
(AIC) or likelihood-ratio backward/forward selection; :func:`bootstrap_inclusion` repeats a
procedure on bootstrap resamples to show how stable its choice of variables is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from neok2._frozen import frozen_fields
from neok2._validation import float_like, int_like, seed_or_generator
from neok2.formatting import format_ci, format_odds_ratio, format_p
from neok2.stats import firth as _firth
from neok2.stats.bootstrap import screen_resamples
from neok2.stats.design import _check_outcome
from neok2.stats.logistic import (
    CiOption,
    FirthOption,
    LogisticResult,
    _check_candidates,
    _fit_univariable,
    _variable_p_value,
    logistic_regression,
)

__all__ = [
    "ScreenResult",
    "StepwiseResult",
    "bootstrap_inclusion",
    "screen_and_fit",
    "stepwise",
]

# Row positions held at once by the screen bootstrap (80 MB of int64): resamples of a large
# data set are drawn and screened a block at a time.
_RESAMPLE_CELLS = 10_000_000

_SIDE_BY_SIDE = [
    "variable",
    "term",
    "or_univariable",
    "ci_low_univariable",
    "ci_high_univariable",
    "p_univariable",
    "selected",
    "or_multivariable",
    "ci_low_multivariable",
    "ci_high_multivariable",
    "p_multivariable",
    "n_univariable",
    "n_multivariable",
    "note",
]


# Tidy column of a model -> stem of its side-by-side column, suffixed by the model's name.
_SIDE_BY_SIDE_STEMS = {
    "odds_ratio": "or",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "p_value": "p",
    "n": "n",
    "note": "note",
}


def _side_by_side_names(model: str) -> dict[str, str]:
    """Renaming of a tidy table's columns for ``model`` (``odds_ratio`` -> ``or_univariable``)."""
    return {column: f"{stem}_{model}" for column, stem in _SIDE_BY_SIDE_STEMS.items()}


def _check_threshold(threshold: Any) -> float:
    threshold = float_like(threshold, "threshold")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"`threshold` must lie in (0, 1], got {threshold!r}")
    return float(threshold)


# ----------------------------------------------------------------------------- screen


@frozen_fields("univariable", "selection_log", "univariable_models")
@dataclass(frozen=True, eq=False)
class ScreenResult:
    """Univariable screen followed by one multivariable model (finalfit-style table).

    Attributes
    ----------
    outcome : str
    threshold : float
        Candidates with screening p below it enter the multivariable model.
    selected : tuple of str
        Candidates that passed, in candidate order.
    univariable : pandas.DataFrame
        :func:`neok2.stats.logistic.univariable`-style tidy table of every candidate.
    selection_log : pandas.DataFrame
        Columns ``variable, p_value, selected, reason``.
    univariable_models : mapping of str to LogisticResult
    multivariable : LogisticResult or None
        None when no candidate passed.
    """

    outcome: str
    threshold: float
    selected: tuple[str, ...]
    univariable: pd.DataFrame = field(repr=False)
    selection_log: pd.DataFrame = field(repr=False)
    univariable_models: Mapping[str, LogisticResult] = field(repr=False)
    multivariable: LogisticResult | None = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Univariable and multivariable odds ratios side by side, one row per term.

        Returns
        -------
        pandas.DataFrame
            Columns ``variable, term, or_univariable, ci_low_univariable,
            ci_high_univariable, p_univariable, selected, or_multivariable,
            ci_low_multivariable, ci_high_multivariable, p_multivariable, n_univariable,
            n_multivariable, note``; multivariable cells are NaN for terms not selected.
        """
        uni = self.univariable.rename(columns=_side_by_side_names("univariable"))
        uni["selected"] = uni["variable"].isin(self.selected)
        multi_names = _side_by_side_names("multivariable")
        multi_columns = ["term", *multi_names.values()]
        multi = (
            pd.DataFrame(columns=multi_columns)
            if self.multivariable is None
            else self.multivariable.tidy(intercept=False).rename(columns=multi_names)
        )
        merged = uni.merge(multi[multi_columns], on="term", how="left")
        notes = [
            "; ".join(
                f"{model}: {text}"
                for model, text in (("univariable", u), ("multivariable", m))
                if isinstance(text, str) and text
            )
            for u, m in zip(merged["note_univariable"], merged["note_multivariable"], strict=True)
        ]
        merged["note"] = notes
        merged["n_multivariable"] = merged["n_multivariable"].astype("Int64")
        for column in (
            "or_multivariable",
            "ci_low_multivariable",
            "ci_high_multivariable",
            "p_multivariable",
        ):
            merged[column] = merged[column].astype(float)
        return merged[_SIDE_BY_SIDE]

    def tidy(self) -> pd.DataFrame:
        """Same as :meth:`table`."""
        return self.table()

    def to_gt(
        self,
        *,
        labels: Mapping[str, str] | None = None,
        title: str | None = None,
        digits: int = 2,
        table_id: str = "neok2-screen",
    ) -> Any:
        """great_tables ``GT`` with univariable and multivariable columns under spanners.

        Parameters
        ----------
        labels : mapping, optional
            Display label per variable (e.g. ``{"sga": "SGA"}``); terms of factors keep
            their level after the label.
        title : str, optional
        digits : int, default 2
            Decimal places of odds ratios and bounds.
        table_id : str, default "neok2-screen"
            HTML id, fixed so that a result always renders to the same bytes.
        """
        from great_tables import GT

        labels = dict(labels or {})
        table = self.table()

        def label(variable: str, term: str) -> str:
            shown = labels.get(variable, variable)
            if "[" not in term:
                return shown
            level = term.split("[", 1)[1].rstrip("]")
            return f"{shown}: {level.removeprefix('T.')}"

        def cell(odds_ratio: float, low: float, high: float) -> str:
            if math.isnan(odds_ratio):
                return "-"
            return f"{format_odds_ratio(odds_ratio, digits)} ({format_ci(low, high, digits)})"

        shown = pd.DataFrame(
            {
                "variable": [
                    label(v, t) for v, t in zip(table["variable"], table["term"], strict=True)
                ],
                "uni_or": [
                    cell(*row)
                    for row in table[
                        ["or_univariable", "ci_low_univariable", "ci_high_univariable"]
                    ].itertuples(index=False)
                ],
                "uni_p": [format_p(p) for p in table["p_univariable"]],
                "multi_or": [
                    cell(*row)
                    for row in table[
                        ["or_multivariable", "ci_low_multivariable", "ci_high_multivariable"]
                    ].itertuples(index=False)
                ],
                "multi_p": [
                    "-" if math.isnan(p) else format_p(p) for p in table["p_multivariable"]
                ],
            }
        )
        level = round(100 * float(self.univariable["conf_level"].iloc[0]))
        n_multi = "-" if self.multivariable is None else str(self.multivariable.n)
        notes = [
            f"Candidates with p < {self.threshold:g} in the univariable model entered the "
            f"multivariable model (n = {n_multi})."
        ]
        if self.multivariable is not None:
            notes.extend(self.multivariable.notes)
        gt = (
            GT(shown, id=table_id)
            .tab_header(title=title or f"Logistic regression of {self.outcome}")
            .tab_spanner(label="Univariable", columns=["uni_or", "uni_p"])
            .tab_spanner(label="Multivariable", columns=["multi_or", "multi_p"])
            .cols_label(
                variable="",
                uni_or=f"OR ({level}% CI)",
                uni_p="p",
                multi_or=f"OR ({level}% CI)",
                multi_p="p",
            )
        )
        for note in notes:
            gt = gt.tab_source_note(note)
        return gt

    def _repr_html_(self) -> str:
        """The great-tables HTML of :meth:`to_gt` (what Jupyter shows)."""
        return str(self.to_gt().as_raw_html())


def screen_and_fit(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    threshold: float = 0.1,
    ci: CiOption = "wald",
    firth: FirthOption = "auto",
    conf_level: float = 0.95,
) -> ScreenResult:
    """Univariable screen at ``p < threshold``, then one multivariable model of the survivors.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column coded 0/1.
    candidates : sequence of str
        Columns screened one at a time, in the order the table lists them.
    threshold : float, default 0.1
        A candidate enters the multivariable model when its univariable p is below it.
    ci, firth, conf_level
        As in :func:`neok2.stats.logistic.logistic_regression`, for every model.

    Returns
    -------
    ScreenResult
        ``.table()`` columns ``variable, term, or_univariable, ci_low_univariable,
        ci_high_univariable, p_univariable, selected, or_multivariable, ...``;
        ``.selection_log`` columns ``variable, p_value, selected, reason``.

    Notes
    -----
    A candidate's screening p-value is its coefficient's p-value (Wald, or likelihood ratio
    when ``ci="profile"``); for a factor with several levels it is the likelihood-ratio test
    of the whole factor. A candidate whose model is not estimable is not selected, and the
    log says why. This is finalfit's ``finalfit()`` with a univariable filter (R), the
    "purposeful" first step of Hosmer & Lemeshow.

    References
    ----------
    Hosmer DW, Lemeshow S, Sturdivant RX (2013). Applied Logistic Regression, 3rd ed.,
    chapter 4.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0] * 6,
    ...                      "sga": [1, 1, 0, 0, 0, 1, 0, 0] * 6,
    ...                      "male": [1, 0, 1, 0, 1, 0, 0, 1] * 6})
    >>> result = screen_and_fit(data, "case", ["sga", "male"])
    >>> result.selection_log[["variable", "selected"]]
      variable  selected
    0      sga      True
    1     male     False
    """
    candidates = _check_candidates(data, outcome, candidates)
    threshold = _check_threshold(threshold)
    models: dict[str, LogisticResult] = {}
    tables = []
    log_rows = []
    for candidate in candidates:
        model, table = _fit_univariable(
            data, outcome, candidate, ci=ci, firth=firth, conf_level=conf_level
        )
        models[candidate] = model
        tables.append(table)
        p_value = _variable_p_value(model)
        if math.isnan(p_value):
            passed, reason = False, "not estimable: " + "; ".join(model.notes)
        else:
            passed = p_value < threshold
            shown = format_p(p_value, 4)
            p_text = f"p {shown}" if shown[0] in "<>" else f"p = {shown}"
            reason = f"{p_text}, {'below' if passed else 'not below'} {threshold:g}"
        log_rows.append(
            {"variable": candidate, "p_value": p_value, "selected": passed, "reason": reason}
        )
    selected = tuple(str(row["variable"]) for row in log_rows if row["selected"])
    multivariable = (
        logistic_regression(
            data,
            outcome=outcome,
            covariates=list(selected),
            ci=ci,
            firth=firth,
            conf_level=conf_level,
        )
        if selected
        else None
    )
    return ScreenResult(
        outcome=outcome,
        threshold=threshold,
        selected=selected,
        univariable=pd.concat(tables, ignore_index=True),
        selection_log=pd.DataFrame(log_rows, columns=["variable", "p_value", "selected", "reason"]),
        univariable_models=models,
        multivariable=multivariable,
    )


# ----------------------------------------------------------------------------- stepwise


@frozen_fields("steps")
@dataclass(frozen=True, eq=False)
class StepwiseResult:
    """Stepwise selection: the step log and the final model.

    Attributes
    ----------
    direction : {"backward", "forward"}
    criterion : {"aic", "lrt"}
    threshold : float
        Likelihood-ratio p-value threshold (criterion "lrt" only).
    selected : tuple of str
        Variables of the final model, in candidate order.
    steps : pandas.DataFrame
        Columns ``step, action, variable, criterion_value, p_value, aic``; step 0 is the
        starting model.
    model : LogisticResult
        The final model, on the complete cases of all candidates.
    n_missing : int
        Rows left out because the outcome or a candidate was missing.
    """

    direction: str
    criterion: str
    threshold: float
    selected: tuple[str, ...]
    steps: pd.DataFrame = field(repr=False)
    model: LogisticResult = field(repr=False)
    n_missing: int

    def tidy(self) -> pd.DataFrame:
        """The final model's coefficients (see :meth:`LogisticResult.tidy`)."""
        return self.model.tidy()


def _fit_ml(data: pd.DataFrame, outcome: str, variables: Sequence[str]) -> LogisticResult:
    return logistic_regression(data, outcome=outcome, covariates=list(variables), firth=False)


def stepwise(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    direction: Literal["backward", "forward"] = "backward",
    criterion: Literal["aic", "lrt"] = "aic",
    threshold: float = 0.05,
    ci: CiOption = "wald",
) -> StepwiseResult:
    """Backward elimination or forward selection by AIC or likelihood-ratio p-value.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column coded 0/1.
    candidates : sequence of str
        Variables to choose from; a factor moves in and out as a whole.
    direction : {"backward", "forward"}, default "backward"
        Start from all candidates and remove, or from the intercept-only model and add.
    criterion : {"aic", "lrt"}, default "aic"
        ``"aic"``: take the step that lowers AIC most, stop when none does (R ``step()``).
        ``"lrt"``: remove the variable with the largest likelihood-ratio p above
        ``threshold`` / add the one with the smallest p below it.
    threshold : float, default 0.05
        p-value threshold of the ``"lrt"`` criterion.
    ci : {"wald", "profile"}, default "wald"
        Intervals of the final model.

    Returns
    -------
    StepwiseResult
        ``.steps`` columns ``step, action, variable, criterion_value, p_value, aic``
        (``criterion_value`` is the AIC after the step, or the step's p-value for "lrt";
        ``p_value`` is the likelihood-ratio p of the variable moved), ``.selected``,
        ``.model``.

    Notes
    -----
    Every model is an ML fit on the complete cases of the outcome and all candidates, as
    R's ``step()`` requires; those rows are counted in ``n_missing``. ``AIC = -2 l + 2k``.
    A candidate model with separated data has no AIC and is never chosen.

    References
    ----------
    Venables WN, Ripley BD (2002). Modern Applied Statistics with S, 4th ed., section 6.8.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0] * 6,
    ...                      "sga": [1, 1, 0, 0, 0, 1, 0, 0] * 6,
    ...                      "male": [1, 0, 1, 0, 1, 0, 0, 1] * 6})
    >>> stepwise(data, "case", ["sga", "male"]).steps[["step", "action", "variable"]]
       step  action variable
    0     0   start
    1     1  remove     male
    """
    candidates = _check_candidates(data, outcome, candidates)
    if direction not in ("backward", "forward"):
        raise ValueError(f"`direction` must be 'backward' or 'forward', got {direction!r}")
    if criterion not in ("aic", "lrt"):
        raise ValueError(f"`criterion` must be 'aic' or 'lrt', got {criterion!r}")
    threshold = _check_threshold(threshold)
    incomplete = data[[outcome, *candidates]].isna().any(axis=1)
    complete = data.loc[~incomplete]

    current = list(candidates) if direction == "backward" else []
    model = _fit_ml(complete, outcome, current)
    if math.isnan(model.aic):
        raise ValueError(
            f"the starting model {model.formula!r} is not estimable ({'; '.join(model.notes)}); "
            "stepwise selection needs ML fits: use screen_and_fit with firth='auto' instead"
        )
    rows: list[dict[str, Any]] = [
        {
            "step": 0,
            "action": "start",
            "variable": "",
            "criterion_value": model.aic if criterion == "aic" else math.nan,
            "p_value": math.nan,
            "aic": model.aic,
        }
    ]
    while True:
        options = (
            [v for v in current]
            if direction == "backward"
            else [v for v in candidates if v not in current]
        )
        moves = []
        for variable in options:
            proposal = (
                [v for v in current if v != variable]
                if direction == "backward"
                else [v for v in candidates if v in current or v == variable]
            )
            fitted = _fit_ml(complete, outcome, proposal)
            if math.isnan(fitted.aic):
                continue
            smaller, larger = (fitted, model) if direction == "backward" else (model, fitted)
            df = len(larger.tidy()) - len(smaller.tidy())
            statistic = max(smaller.deviance - larger.deviance, 0.0)
            p_value = float(special.chdtrc(df, statistic))
            moves.append((variable, proposal, fitted, p_value))
        if not moves:
            break
        if criterion == "aic":
            # ties go to the earliest candidate, as in R's step() (stable order of drop1 rows)
            variable, proposal, fitted, p_value = min(moves, key=lambda move: move[2].aic)
            if fitted.aic >= model.aic - 1e-7:
                break
            value = fitted.aic
        else:
            pick = max if direction == "backward" else min
            variable, proposal, fitted, p_value = pick(moves, key=lambda move: move[3])
            keep_going = p_value > threshold if direction == "backward" else p_value < threshold
            if not keep_going:
                break
            value = p_value
        current, model = proposal, fitted
        rows.append(
            {
                "step": len(rows),
                "action": "remove" if direction == "backward" else "add",
                "variable": variable,
                "criterion_value": value,
                "p_value": p_value,
                "aic": fitted.aic,
            }
        )
    final = logistic_regression(complete, outcome=outcome, covariates=current, firth=False, ci=ci)
    return StepwiseResult(
        direction=direction,
        criterion=criterion,
        threshold=threshold,
        selected=tuple(current),
        steps=pd.DataFrame(rows),
        model=final,
        n_missing=int(incomplete.sum()),
    )


# ----------------------------------------------------------------------------- bootstrap


def bootstrap_inclusion(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    procedure: Literal["screen", "backward"] = "screen",
    n_boot: int = 200,
    seed: int | np.random.Generator,
    threshold: float | None = None,
    criterion: Literal["aic", "lrt"] = "aic",
    firth: FirthOption = "auto",
) -> pd.DataFrame:
    """How often each candidate is selected when the procedure is rerun on bootstrap samples.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column coded 0/1.
    candidates : sequence of str
    procedure : {"screen", "backward"}, default "screen"
        :func:`screen_and_fit` (selected = passed the screen) or backward :func:`stepwise`.
    n_boot : int, default 200
        Bootstrap samples (rows drawn with replacement, same size as ``data``).
    seed : int or numpy.random.Generator
        Seed of the resampling; the same seed gives the same frequencies.
    threshold : float, optional
        Screening threshold (default 0.1) or the "lrt" threshold of backward selection
        (default 0.05).
    criterion : {"aic", "lrt"}, default "aic"
        Criterion of backward selection.
    firth : {"auto", True, False}, default "auto"
        Firth option of the screen.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, n_selected, n_valid, n_failed, inclusion_frequency``; a sample
        on which the procedure cannot run (say a candidate constant in it) is counted in
        ``n_failed`` and left out of ``n_valid``.

    Raises
    ------
    ValueError
        Bad options, or an outcome that is not coded 0/1 (checked once on ``data``).

    Notes
    -----
    Bootstrap inclusion frequencies (Sauerbrei & Schumacher 1992; R ``bootStepAIC``).
    Resample ``b`` is ``data.iloc[rows_b]`` with ``rows_b`` the ``b``-th draw of
    ``generator.integers(0, n, size=n)``. For ``procedure="screen"`` the univariable models
    of all resamples are fitted together (grouped-binomial Newton fits of
    :func:`neok2.stats.batch.fit_binomial_batch`, the exact one-covariate separation rule, Firth
    where :func:`screen_and_fit` would use it) and only the multivariable design is checked,
    since the decision does not depend on its estimates; the selected sets and failed
    resamples equal those of :func:`screen_and_fit` run on every resample (fits the batch
    does not settle, p-values within a relative 1e-6 of ``threshold`` and factor candidates
    are refitted by :func:`neok2.stats.logistic.logistic_regression`). ``procedure="backward"``
    reruns :func:`stepwise` on each resample.

    References
    ----------
    Sauerbrei W, Schumacher M (1992). A bootstrap resampling procedure for model building:
    application to the Cox regression model. Statistics in Medicine 11:2093-2109.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0] * 5,
    ...                      "sga": [1, 1, 0, 0, 0, 1, 0, 0] * 5,
    ...                      "male": [1, 0, 1, 0, 1, 0, 0, 1] * 5})
    >>> table = bootstrap_inclusion(data, "case", ["sga", "male"], n_boot=5, seed=1)
    >>> list(table.columns)
    ['variable', 'n_selected', 'n_valid', 'n_failed', 'inclusion_frequency']
    """
    candidates = _check_candidates(data, outcome, candidates)
    if procedure not in ("screen", "backward"):
        raise ValueError(f"`procedure` must be 'screen' or 'backward', got {procedure!r}")
    n_boot = int_like(n_boot, "n_boot", minimum=1)
    seed = seed_or_generator(seed)
    if threshold is None:
        threshold = 0.1 if procedure == "screen" else 0.05
    threshold = _check_threshold(threshold)
    if not (firth == "auto" or isinstance(firth, bool)):
        raise ValueError(f"`firth` must be 'auto', True or False, got {firth!r}")
    generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    _check_outcome(data, outcome)

    if procedure == "screen":
        # One draw per resample, in order, so a seed gives the same resamples on either path;
        # they are screened a block at a time, so memory holds _RESAMPLE_CELLS row positions
        # (not n_boot x n: 800 MB at 100 resamples of 10^6 rows) and the decisions, one
        # resample's at a time, are the same.
        block = max(1, _RESAMPLE_CELLS // len(data))
        chosen_total = np.zeros(len(candidates), dtype=np.int64)
        n_failed = 0
        for first in range(0, int(n_boot), block):
            resamples = np.stack(
                [
                    generator.integers(0, len(data), size=len(data))
                    for _ in range(min(block, int(n_boot) - first))
                ]
            )
            with _firth.one_blas_thread():
                chosen_matrix, failed = screen_resamples(
                    data, outcome, candidates, resamples, threshold=threshold, firth=firth
                )
            chosen_total += chosen_matrix.sum(axis=0)
            n_failed += int(failed.sum())
        counts = dict(zip(candidates, chosen_total.tolist(), strict=True))
    else:
        resamples = np.stack(
            [generator.integers(0, len(data), size=len(data)) for _ in range(int(n_boot))]
        )
        counts, n_failed = _bootstrap_stepwise(
            data, outcome, candidates, resamples, threshold, criterion
        )
    n_valid = int(n_boot) - n_failed
    return pd.DataFrame(
        {
            "variable": candidates,
            "n_selected": [counts[v] for v in candidates],
            "n_valid": n_valid,
            "n_failed": n_failed,
            "inclusion_frequency": [
                counts[v] / n_valid if n_valid else math.nan for v in candidates
            ],
        }
    )


def _bootstrap_stepwise(
    data: pd.DataFrame,
    outcome: str,
    candidates: list[str],
    resamples: np.ndarray,
    threshold: float,
    criterion: Literal["aic", "lrt"],
) -> tuple[dict[str, int], int]:
    """Selection counts and failures from rerunning backward selection on each resample."""
    counts = dict.fromkeys(candidates, 0)
    n_failed = 0
    for rows in resamples:
        sample = data.iloc[rows].reset_index(drop=True)
        try:
            chosen = stepwise(
                sample, outcome, candidates, criterion=criterion, threshold=threshold
            ).selected
        except ValueError:
            # a resample can make a candidate constant or one outcome group empty
            n_failed += 1
            continue
        for variable in chosen:
            counts[variable] += 1
    return counts, n_failed
