"""Binary logistic regression with Wald or profile-likelihood intervals, Firth and separation.

:func:`logistic_regression` fits one model from an R-style formula (or an outcome and a list
of covariates) and returns a frozen :class:`LogisticResult`; :func:`univariable` fits each
candidate alone. Rows with missing values are counted and reported, never dropped silently;
separated data are detected by linear programming and, by default, fitted with Firth's
penalised likelihood so that no divergent odds ratio is ever shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from neok2._frozen import frozen_fields
from neok2._validation import probability
from neok2.formatting import format_ci, format_odds_ratio, format_p
from neok2.stats import firth as _firth
from neok2.stats import formula as _formula
from neok2.stats import grouped as _grouped
from neok2.stats.design import (
    INTERCEPT,
    Design,
    _check_columns,
    _check_covariate_names,
    design_matrix,
)

__all__ = [
    "CI_METHODS",
    "LogisticResult",
    "logistic_regression",
    "univariable",
]

CI_METHODS = ("auto", "wald", "profile")
CiOption = Literal["auto", "wald", "profile"]
FirthOption = Literal["auto"] | bool


_TIDY_COLUMNS = [
    "term",
    "variable",
    "estimate",
    "std_error",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "ci_method",
    "p_method",
    "conf_level",
    "firth",
    "n",
    "events",
    "n_missing",
    "note",
]


@frozen_fields("missing")
@dataclass(frozen=True, eq=False)
class LogisticResult:
    """A fitted binary logistic regression.

    Attributes
    ----------
    formula : str
        The model formula as fitted (``outcome ~ terms``).
    outcome : str
        The outcome column (1 = event/case, 0 = control).
    n, events : int
        Complete rows used and, among them, rows with outcome 1.
    n_missing : int
        Rows left out because the outcome or a covariate was missing (R's ``na.omit``).
    missing : pandas.DataFrame
        Columns ``variable, n_missing``: missing values per column the model uses.
    loglik : float
        Unpenalised log-likelihood at the estimates.
    penalised_loglik : float or None
        Firth-penalised log-likelihood at the estimates; None for an ML fit.
    aic, deviance, null_deviance : float
        ``-2 loglik + 2k``, ``-2 loglik`` and the intercept-only deviance on the same rows.
    converged : bool
        Whether the iterations converged; False for an ML fit of separated data.
    separation : {None, "complete", "quasi-complete"}
        Result of the linear-programming check; ``separated_terms`` names the columns whose
        ML estimate diverges.
    firth : bool
        Whether Firth's penalised likelihood was used.
    ci_method : str
        ``"wald"``, ``"profile"`` or ``"penalised_profile"``.
    conf_level : float
    notes : tuple of str
        Everything the reader must know about this fit (missing rows, separation, Firth).
    """

    formula: str
    outcome: str
    n: int
    events: int
    n_missing: int
    missing: pd.DataFrame = field(repr=False)
    loglik: float
    penalised_loglik: float | None
    aic: float
    deviance: float
    null_deviance: float
    converged: bool
    separation: str | None
    separated_terms: tuple[str, ...]
    firth: bool
    ci_method: str
    conf_level: float
    notes: tuple[str, ...]
    _table: pd.DataFrame = field(repr=False)
    _design: Design = field(repr=False)
    _fit: _firth.Fit = field(repr=False)

    def tidy(self, *, intercept: bool = True) -> pd.DataFrame:
        """One row per coefficient.

        Parameters
        ----------
        intercept : bool, default True
            Keep the ``(Intercept)`` row.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, variable, estimate, std_error, odds_ratio, ci_low, ci_high,
            p_value, ci_method, p_method, conf_level, firth, n, events, n_missing, note``.
            ``estimate`` is the log odds ratio; ``ci_low``/``ci_high`` are on the odds-ratio
            scale. A coefficient that cannot be estimated has NaN numbers and a ``note``.
        """
        table = self._table.copy()
        if not intercept:
            table = table[table["term"] != INTERCEPT].reset_index(drop=True)
        return table

    def drop1(self) -> pd.DataFrame:
        """Likelihood-ratio test for dropping each formula term, as R's ``drop1(test="LRT")``.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, df, deviance, aic, lrt, p_value, p_method``; the first row,
            ``"<none>"``, is the full model. For a Firth fit the statistic compares penalised
            log-likelihoods with the full model's penalty (``p_method`` ``"penalised_lrt"``).
        """
        design, fit = self._design, self._fit
        n_coefficients = design.X.shape[1]
        rows: list[dict[str, Any]] = [
            {
                "term": "<none>",
                "df": np.nan,
                "deviance": self.deviance,
                "aic": self.aic,
                "lrt": np.nan,
                "p_value": np.nan,
            }
        ]
        for term, indices in design.terms.items():
            if term == INTERCEPT:
                continue
            constrained = _firth.fit_logistic(
                design.X,
                design.y,
                firth=self.firth,
                fixed=dict.fromkeys(indices, 0.0),
                start=fit.coefficients,
                frequency=design.frequency,
                covariance=False,
            )
            statistic = max(2.0 * (fit.objective - constrained.objective), 0.0)
            deviance = -2.0 * constrained.loglik
            df = len(indices)
            not_estimable = not self.converged and not self.firth
            rows.append(
                {
                    "term": term,
                    "df": df,
                    "deviance": np.nan if not_estimable else deviance,
                    "aic": np.nan if not_estimable else deviance + 2.0 * (n_coefficients - df),
                    "lrt": np.nan if not_estimable else statistic,
                    "p_value": np.nan if not_estimable else float(special.chdtrc(df, statistic)),
                }
            )
        table = pd.DataFrame(rows)
        table["df"] = table["df"].astype("Int64")
        table["p_method"] = "penalised_lrt" if self.firth else "lrt"
        return table

    def to_gt(
        self, *, title: str | None = None, digits: int = 2, table_id: str = "neok2-logistic"
    ) -> Any:
        """A great_tables ``GT`` of the odds ratios (intercept left out).

        ``table_id`` is the HTML id, fixed so that a result always renders to the same bytes.

        Examples
        --------
        >>> import pandas as pd
        >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": [1, 2, 2, 3, 4, 1, 5, 3]})
        >>> logistic_regression(data, "y ~ x").to_gt().__class__.__name__
        'GT'
        """
        from great_tables import GT

        table = self.tidy(intercept=False)
        label = f"{round(100 * self.conf_level)}% CI"
        shown = pd.DataFrame(
            {
                "Term": table["term"],
                "OR": [format_odds_ratio(v, digits) for v in table["odds_ratio"]],
                label: [
                    format_ci(lo, hi, digits)
                    for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
                ],
                "p": [format_p(p) for p in table["p_value"]],
            }
        )
        caption = title or f"Logistic regression: {self.formula} (n = {self.n})"
        return (
            GT(shown, id=table_id)
            .tab_header(title=caption)
            .tab_source_note("; ".join(self.notes) or " ")
        )

    def _repr_html_(self) -> str:
        """The great-tables HTML of :meth:`to_gt` (what Jupyter shows)."""
        return str(self.to_gt().as_raw_html())


# ----------------------------------------------------------------------------- validation


def _check_options(ci: Any, firth: Any, conf_level: Any) -> None:
    if ci not in CI_METHODS:
        raise ValueError(f"`ci` must be one of {list(CI_METHODS)}, got {ci!r}")
    if not (firth == "auto" or isinstance(firth, bool)):
        raise ValueError(f"`firth` must be 'auto', True or False, got {firth!r}")
    probability(conf_level, "conf_level")


# ----------------------------------------------------------------------------- fitting


def logistic_regression(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    outcome: str | None = None,
    covariates: Sequence[str] | None = None,
    ci: CiOption = "auto",
    firth: FirthOption = "auto",
    conf_level: float = 0.95,
    weights: str | None = None,
    allow_formula_code: bool = False,
) -> LogisticResult:
    """Fit a binary logistic regression and report odds ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    formula : str, optional
        R-style formula, ``"deficiency ~ antenatal_steroid + caesarean + sga"``, checked
        against a small grammar before anything is evaluated (:mod:`neok2.stats.formula`):
        column names (in backticks when not plain), ``C(race)``, ``I(age ** 2)``, ``:`` and
        ``*`` interactions, ``- 1``. Text columns enter as treatment-coded factors. Give either
        ``formula`` or ``outcome`` with ``covariates``.
    outcome : str, optional
        Outcome column coded 0/1 (or True/False); 1 is the event (case).
    covariates : sequence of str, optional
        Covariate columns, entered additively.
    ci : {"auto", "wald", "profile"}, default "auto"
        Wald intervals with Wald z p-values (SPSS, R ``confint.default``), or profile
        likelihood intervals with likelihood-ratio p-values (R ``confint`` on a glm,
        ``drop1(test="LRT")``). ``"auto"`` (the default) is Wald for an ML fit and, for a
        Firth fit (forced, or switched on by separation), the penalised-likelihood profile
        interval with the penalised likelihood-ratio test, logistf's default; give
        ``ci="wald"`` to keep Wald intervals under Firth.
    firth : {"auto", True, False}, default "auto"
        Firth's penalised likelihood: ``"auto"`` uses it exactly when the data are separated.
        With ``False`` on separated data every number of the model is NaN and flagged.
    conf_level : float, default 0.95
    weights : str, optional
        Column of frequency weights for grouped records (one row per covariate pattern and
        outcome): the fit, SEs, intervals and tests equal those of the data with each row
        repeated ``weights`` times; ``n`` and ``events`` count subjects (``n_missing`` counts
        grouped rows). Rows of weight 0 are left out with a note. Grouped case/control counts
        are written as R writes them, ``"cbind(ncases, ncontrols) ~ agegp + alcgp"``; the
        outcome is then named ``"case"``.
    allow_formula_code : bool, default False
        Hand ``formula`` to formulaic unchecked, so that Python such as ``np.log(x)`` runs.
        Only for a formula you wrote yourself: it executes whatever code the text holds.

    Returns
    -------
    LogisticResult
        ``.tidy()`` has columns ``term, variable, estimate, std_error, odds_ratio, ci_low,
        ci_high, p_value, ci_method, p_method, conf_level, firth, n, events, n_missing, note``;
        ``.drop1()`` gives per-term likelihood-ratio tests.

    Raises
    ------
    ValueError
        Unknown or duplicated column, outcome not 0/1, a single outcome group, an all-missing
        or constant covariate, infinite values (in a column or made by the formula), a text
        column that is mostly numbers with a few text cells, a rank-deficient design, a
        formula that does not parse, bad options.
    TypeError
        ``data`` is not a DataFrame or arguments have the wrong type.

    Notes
    -----
    The log-likelihood ``l(b) = sum_i y_i x_i'b - log(1 + exp(x_i'b))`` is maximised by
    Newton-Raphson (R ``glm(family = binomial)``). Firth's estimate maximises
    ``l(b) + 0.5 log|X'W X|`` (Jeffreys prior; R ``logistf``, ``brglm2`` type ``"AS_mean"``).
    Wald: ``b_j +- z se_j``. Profile: the ``b`` where ``2 (l(b_hat) - max l(b | b_j = b))``
    equals the chi-square(1) quantile, found by Brent's method; under Firth the penalised
    likelihood is profiled with the full model's penalty, as in logistf, and p-values are
    penalised likelihood-ratio tests. Separation is checked by the linear program of
    Konis (2007) (R ``detectseparation``). Rows with a missing outcome or covariate are left
    out and counted (R ``na.action = na.omit``).

    References
    ----------
    Firth D (1993). Bias reduction of maximum likelihood estimates. Biometrika 80:27-38.
    Heinze G, Schemper M (2002). A solution to the problem of separation in logistic
    regression. Statistics in Medicine 21:2409-2419.
    Konis K (2007). Linear programming algorithms for detecting separated data in binary
    logistic regression models. DPhil thesis, University of Oxford.
    Venables WN, Ripley BD (2002). Modern Applied Statistics with S, 4th ed., section 7.2.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0], "sga": [1, 1, 0, 0, 0, 1, 0, 0]})
    >>> result = logistic_regression(data, "case ~ sga")
    >>> round(float(result.tidy(intercept=False)["odds_ratio"].iloc[0]), 4)  # (2*3)/(1*2)
    3.0
    >>> result.separation is None, result.firth
    (True, False)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    _check_options(ci, firth, conf_level)
    _formula.check_flat_columns(data)
    if formula is None:
        if outcome is None or covariates is None:
            raise ValueError("give a `formula`, or both `outcome` and `covariates`")
        _check_covariate_names(outcome, covariates)
        _check_columns(data, [outcome, *covariates], "outcome/covariates")
    elif outcome is not None or covariates is not None:
        raise ValueError("give either `formula` or `outcome` with `covariates`, not both")
    elif not isinstance(formula, str):
        raise TypeError(f"`formula` must be a string, got {type(formula).__name__}")
    data, formula, frequency, n_zero = _grouped.grouped_records(data, formula, weights)
    design = design_matrix(
        data,
        formula,
        outcome=outcome,
        covariates=covariates,
        frequency=frequency,
        allow_formula_code=allow_formula_code is True,
    )
    with _firth.one_blas_thread():
        result = _fit_design(design, ci=ci, firth=firth, conf_level=float(conf_level))
    if n_zero:
        notes = (*result.notes, f"{n_zero} grouped row(s) of weight 0 left out")
        result = replace(result, notes=notes)
    return result


def _fit_design(
    design: Design, *, ci: str, firth: FirthOption, conf_level: float
) -> LogisticResult:
    X, y = design.X, design.y
    # Unless Firth is forced, the ML fit comes first: when it converges its score equation
    # usually certifies non-separation, which spares the linear programs.
    frequency = design.frequency
    ml_fit = None if firth is True else _firth.fit_logistic(X, y, firth=False, frequency=frequency)
    separation = _firth.detect_separation(X, y, ml_fit=ml_fit, frequency=frequency)
    separated_terms = tuple(design.columns[j] for j in separation.infinite)
    use_firth = firth is True or (firth == "auto" and separation.kind is not None)
    fit = (
        ml_fit
        if ml_fit is not None and not use_firth
        else _firth.fit_logistic(X, y, firth=use_firth, frequency=frequency)
    )
    not_estimable = separation.kind is not None and not use_firth

    notes: list[str] = []
    if design.n_missing:
        notes.append(f"{design.n_missing} row(s) with missing values left out")
    if separation.kind is not None:
        where = ", ".join(separated_terms)
        if use_firth:
            notes.append(
                f"{separation.kind} separation on {where}: Firth penalised likelihood used"
            )
        else:
            notes.append(
                f"{separation.kind} separation on {where}: the ML estimates diverge and are "
                "not estimable; refit with firth=True or firth='auto'"
            )
    elif use_firth:
        notes.append("Firth penalised likelihood used")
    if not fit.converged and not not_estimable:
        notes.append(f"iterations did not converge after {fit.iterations} steps")

    critical = float(stats.chi2.ppf(conf_level, 1))
    z = float(special.ndtri(0.5 + conf_level / 2.0))
    if ci == "auto":
        ci = "profile" if use_firth else "wald"
    if ci == "wald":
        ci_method, p_method = "wald", "wald"
    else:
        ci_method = "penalised_profile" if use_firth else "profile"
        p_method = "penalised_lrt" if use_firth else "lrt"

    rows = []
    for j, term in enumerate(design.columns):
        estimate = float(fit.coefficients[j])
        variance = float(fit.covariance[j, j])
        std_error = math.sqrt(variance) if math.isfinite(variance) and variance > 0 else math.nan
        note = ""
        if ci == "wald":
            low, high = estimate - z * std_error, estimate + z * std_error
            p_value = _firth.wald_p_value(estimate / std_error) if std_error > 0 else math.nan
        elif not_estimable:
            low = high = p_value = math.nan
        else:
            low, high, p_value, profile_converged = _firth.profile_interval(
                X, y, fit, j, firth=use_firth, critical=critical, frequency=frequency
            )
            if not (math.isfinite(low) and math.isfinite(high)):
                note = "profile bound not reached"
            elif not profile_converged:
                note = "a profile refit did not converge"
        if not_estimable:
            estimate = std_error = low = high = p_value = math.nan
            note = (
                f"not estimable: {separation.kind} separation"
                if j in separation.infinite
                else "not estimable: the model has separated data"
            )
        elif use_firth and j in separation.infinite:
            note = f"Firth estimate ({separation.kind} separation)"
        rows.append(
            {
                "term": term,
                "variable": design.column_variables[j],
                "estimate": estimate,
                "std_error": std_error,
                "odds_ratio": math.exp(estimate) if math.isfinite(estimate) else math.nan,
                "ci_low": math.exp(low) if math.isfinite(low) else math.nan,
                "ci_high": math.exp(high) if math.isfinite(high) else math.nan,
                "p_value": p_value,
                "note": note,
            }
        )
    weight = np.ones_like(y) if frequency is None else frequency
    n_subjects = round(float(weight.sum()))
    events = round(float(weight @ y))
    shared = {
        "ci_method": ci_method,
        "p_method": p_method,
        "conf_level": conf_level,
        "firth": use_firth,
        "n": n_subjects,
        "events": events,
        "n_missing": design.n_missing,
    }
    table = pd.DataFrame([{**row, **shared} for row in rows], columns=_TIDY_COLUMNS)

    mean = float(weight @ y) / float(weight.sum())
    null_deviance = (
        -2.0 * float(weight.sum()) * (mean * math.log(mean) + (1 - mean) * math.log1p(-mean))
    )
    loglik = math.nan if not_estimable else fit.loglik
    return LogisticResult(
        formula=design.formula,
        outcome=design.outcome,
        n=n_subjects,
        events=events,
        n_missing=design.n_missing,
        missing=design.missing,
        loglik=loglik,
        penalised_loglik=fit.objective if use_firth else None,
        aic=-2.0 * loglik + 2.0 * X.shape[1],
        deviance=-2.0 * loglik,
        null_deviance=null_deviance,
        converged=fit.converged,
        separation=separation.kind,
        separated_terms=separated_terms,
        firth=use_firth,
        ci_method=ci_method,
        conf_level=conf_level,
        notes=tuple(notes),
        _table=table,
        _design=design,
        _fit=fit,
    )


def univariable(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    ci: CiOption = "auto",
    firth: FirthOption = "auto",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Fit ``outcome ~ candidate`` for each candidate on its own.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Outcome column coded 0/1.
    candidates : sequence of str
        Columns to test one at a time; each model leaves out only its own missing rows.
    ci, firth, conf_level
        As in :func:`logistic_regression`.

    Returns
    -------
    pandas.DataFrame
        One row per model term (intercepts left out), in candidate order, with the columns of
        :meth:`LogisticResult.tidy`; ``variable`` is the candidate.

    Notes
    -----
    The univariable column of finalfit's ``finalfit()`` / gtsummary's ``tbl_uvregression``
    (R), one ``glm`` per candidate.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0],
    ...                      "sga": [1, 1, 0, 0, 0, 1, 0, 0], "prom": [1, 0, 1, 0, 1, 0, 0, 0]})
    >>> univariable(data, "case", ["sga", "prom"])[["variable", "odds_ratio"]]
      variable  odds_ratio
    0      sga         3.0
    1     prom         3.0
    """
    candidates = _check_candidates(data, outcome, candidates)
    tables = [
        _fit_univariable(data, outcome, candidate, ci=ci, firth=firth, conf_level=conf_level)[1]
        for candidate in candidates
    ]
    return pd.concat(tables, ignore_index=True)


def _fit_univariable(
    data: pd.DataFrame,
    outcome: str,
    candidate: str,
    *,
    ci: CiOption,
    firth: FirthOption,
    conf_level: float,
) -> tuple[LogisticResult, pd.DataFrame]:
    """``outcome ~ candidate`` and its tidy rows without the intercept, labelled by candidate."""
    model = logistic_regression(
        data, outcome=outcome, covariates=[candidate], ci=ci, firth=firth, conf_level=conf_level
    )
    table = model.tidy(intercept=False)
    table["variable"] = candidate
    return model, table


def _check_candidates(data: Any, outcome: Any, candidates: Any) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    _formula.check_flat_columns(data)
    if not isinstance(outcome, str):
        raise TypeError(f"`outcome` must be a column name (str), got {type(outcome).__name__}")
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise TypeError("`candidates` must be a list of column names, e.g. ['sga', 'prom']")
    candidates = list(candidates)
    if not candidates:
        raise ValueError("`candidates` is empty; name at least one covariate")
    if not all(isinstance(name, str) for name in candidates):
        raise TypeError("`candidates` must contain column names (str) only")
    if len(set(candidates)) != len(candidates):
        raise ValueError(f"`candidates` lists a column twice: {candidates}")
    if outcome in candidates:
        raise ValueError(f"the outcome `{outcome}` cannot also be a candidate")
    _check_columns(data, [outcome, *candidates], "outcome/candidates")
    return candidates


def _variable_p_value(result: LogisticResult) -> float:
    """A univariable model's p-value: its coefficient's, or the whole-term LRT for a factor."""
    table = result.tidy(intercept=False)
    if len(table) == 1:
        return float(table["p_value"].iloc[0])
    tests = result.drop1()
    return float(tests["p_value"].iloc[1])
