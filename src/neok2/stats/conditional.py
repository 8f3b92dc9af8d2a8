"""Matched case-control designs: conditional logistic regression, McNemar and pair odds ratios.

:func:`conditional_logistic` fits the exact conditional likelihood of matched sets (1:1,
1:M with M varying, and sets with several cases, as R ``survival::clogit(method =
"exact")``) and returns a frozen :class:`ConditionalResult` whose ``.tidy()`` has the columns
of :func:`neok2.stats.logistic.logistic_regression`. :func:`matched_pairs` gives McNemar's
test and the matched-pair odds ratio with its exact interval for 1:1 pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, special, stats

from neok2.formatting import format_ci, format_odds_ratio, format_p
from neok2.stats.logistic import _TIDY_COLUMNS as _LOGISTIC_COLUMNS

__all__ = [
    "ConditionalResult",
    "MatchedPairs",
    "conditional_logistic",
    "matched_pairs",
]

FloatArray = NDArray[np.float64]
_MAX_ITER = 100
_STEP_TOLERANCE = 1e-10
_MAX_STEP = 5.0
# logistic_regression's tidy columns, so the two stack; a matched fit has no Firth flag and
# counts its matched sets
_TIDY_COLUMNS = [
    column
    for name in _LOGISTIC_COLUMNS
    if name != "firth"
    for column in ((name, "n_sets") if name == "events" else (name,))
]


# ----------------------------------------------------------------------------- likelihood


@dataclass(frozen=True, eq=False)
class _Sets:
    """Covariates split by matched set, with the case rows of each set."""

    blocks: tuple[FloatArray, ...]
    case_sums: tuple[FloatArray, ...]
    case_counts: tuple[int, ...]


def _set_terms(X: FloatArray, d: int, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """``log B``, ``dB / B`` and ``d2B / B`` of one set, ``B = sum over d-subsets of exp``.

    The recursion of Gail, Lubin and Rubinstein (1981): adding member m, ``B(s) += r_m
    B(s - 1)``, with the same recursion differentiated for the score and the information.
    The linear predictors are shifted by their maximum so that nothing overflows.
    """
    eta = X @ beta
    shift = float(eta.max())
    r = np.exp(eta - shift)
    p = X.shape[1]
    if d == 1:
        # closed form for a single case: B = sum r
        total = float(r.sum())
        weighted = r @ X
        second = (X * r[:, None]).T @ X
        return math.log(total) + shift, weighted / total, second / total
    B = np.zeros(d + 1)
    B[0] = 1.0
    dB = np.zeros((d + 1, p))
    d2B = np.zeros((d + 1, p, p))
    for m in range(X.shape[0]):
        x, rm = X[m], r[m]
        outer = np.outer(x, x)
        # update s = d..1 from the previous (s - 1) values: reversed order keeps them old
        d2B[1:] += rm * (
            d2B[:-1]
            + np.einsum("i,sj->sij", x, dB[:-1])
            + np.einsum("si,j->sij", dB[:-1], x)
            + outer * B[:-1, None, None]
        )
        dB[1:] += rm * (dB[:-1] + np.outer(B[:-1], x))
        B[1:] += rm * B[:-1]
    total = float(B[d])
    return math.log(total) + d * shift, dB[d] / total, d2B[d] / total


def _loglik(sets: _Sets, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    loglik = 0.0
    p = beta.size
    score = np.zeros(p)
    information = np.zeros((p, p))
    for X, case_sum, d in zip(sets.blocks, sets.case_sums, sets.case_counts, strict=True):
        log_b, mean, second = _set_terms(X, d, beta)
        loglik += float(case_sum @ beta) - log_b
        score += case_sum - mean
        information += second - np.outer(mean, mean)
    return loglik, score, information


@dataclass(frozen=True)
class _Fit:
    coefficients: FloatArray
    covariance: FloatArray
    loglik: float
    converged: bool
    iterations: int


def _fit(
    sets: _Sets, p: int, fixed: dict[int, float] | None = None, start: FloatArray | None = None
) -> _Fit:
    """Newton-Raphson on the free coefficients, steps capped and halved until ascent."""
    fixed = fixed or {}
    free = np.array([j for j in range(p) if j not in fixed], dtype=int)
    beta = np.zeros(p) if start is None else np.array(start, dtype=float)
    for j, value in fixed.items():
        beta[j] = value
    loglik, score, information = _loglik(sets, beta)
    converged = free.size == 0
    iteration = 0
    while not converged and iteration < _MAX_ITER:
        iteration += 1
        try:
            step = np.linalg.solve(information[np.ix_(free, free)], score[free])
        except np.linalg.LinAlgError:
            break
        largest = float(np.max(np.abs(step)))
        if largest > _MAX_STEP:
            step *= _MAX_STEP / largest
        for _ in range(40):
            candidate = beta.copy()
            candidate[free] += step
            new = _loglik(sets, candidate)
            if new[0] >= loglik - 1e-12 * abs(loglik):
                break
            step /= 2.0
        beta, (loglik, score, information) = candidate, new
        converged = float(np.max(np.abs(step))) < _STEP_TOLERANCE
    try:
        covariance = np.asarray(np.linalg.inv(information), dtype=np.float64)
    except np.linalg.LinAlgError:
        covariance = np.full((p, p), np.nan)
    return _Fit(beta, covariance, loglik, converged, iteration)


def _profile(sets: _Sets, fit: _Fit, j: int, critical: float) -> tuple[float, float, float]:
    """Profile-likelihood limits and the likelihood-ratio p-value of coefficient ``j``."""
    p = fit.coefficients.size
    estimate = float(fit.coefficients[j])
    scale = math.sqrt(fit.covariance[j, j]) if fit.covariance[j, j] > 0 else 1.0

    def drop(value: float) -> float:
        constrained = _fit(sets, p, {j: value}, start=fit.coefficients)
        return 2.0 * (fit.loglik - constrained.loglik)

    def bound(direction: float) -> float:
        inner, distance = estimate, 2.0 * scale
        for _ in range(30):
            outer = estimate + direction * distance
            if drop(outer) >= critical:
                return float(
                    optimize.brentq(
                        lambda v: drop(v) - critical,
                        min(inner, outer),
                        max(inner, outer),
                        xtol=1e-12,
                        rtol=1e-12,
                    )
                )
            inner, distance = outer, 2.0 * distance
        return math.nan

    statistic = max(drop(0.0), 0.0)
    return bound(-1.0), bound(1.0), float(special.chdtrc(1, statistic))


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ConditionalResult:
    """Result of :func:`conditional_logistic`.

    Attributes
    ----------
    terms : tuple of str
    outcome, matched_set : str
    n, events, n_sets : int
        Rows, cases and matched sets used (informative sets: at least one case and one
        control).
    n_missing, n_uninformative : int
        Rows left out for missing values; sets left out for having no case or no control.
    loglik, loglik_null : float
        Conditional log-likelihood at the estimate and at all coefficients zero.
    lr_statistic, lr_df, lr_p : float, int, float
        Likelihood-ratio test of all coefficients (R ``summary(clogit)``'s first test).
    converged : bool
    ci_method : str
        ``"wald"`` or ``"profile"``.
    conf_level : float
    notes : tuple of str
    """

    terms: tuple[str, ...]
    outcome: str
    matched_set: str
    n: int
    events: int
    n_sets: int
    n_missing: int
    n_uninformative: int
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: int
    lr_p: float
    converged: bool
    ci_method: str
    conf_level: float
    notes: tuple[str, ...]
    _table: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient.

        Returns
        -------
        pandas.DataFrame
            ``term, variable, estimate, std_error, odds_ratio, ci_low, ci_high, p_value,
            ci_method, p_method, conf_level, n, events, n_sets, n_missing, note``.
        """
        return self._table.copy()

    def to_gt(self, *, title: str | None = None, digits: int = 2) -> Any:
        """A great_tables ``GT`` of the odds ratios."""
        from great_tables import GT

        table = self._table
        label = f"{round(100 * self.conf_level)}% CI"
        shown = pd.DataFrame(
            {
                "Term": table["term"],
                "OR": [format_odds_ratio(v, digits) for v in table["odds_ratio"]],
                label: [
                    format_ci(lo, hi, digits)
                    for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
                ],
                "p": [format_p(v) for v in table["p_value"]],
            }
        )
        caption = title or (
            f"Conditional logistic regression ({self.n_sets} matched sets, n = {self.n})"
        )
        return GT(shown).tab_header(title=caption).tab_source_note("; ".join(self.notes) or " ")

    def _repr_html_(self) -> str:
        return str(self._table.to_html(index=False))


# ----------------------------------------------------------------------------- public


def _design_matrix(
    complete: pd.DataFrame, formula: str | None, covariates: list[str]
) -> tuple[FloatArray, list[str], list[str]]:
    if formula is None:
        for name in covariates:
            values = complete[name]
            if not pd.api.types.is_numeric_dtype(values):
                raise TypeError(
                    f"`covariates`: column {name!r} is not numeric; use a formula with "
                    f"C({name}) for a factor"
                )
        return complete[covariates].to_numpy(dtype=float), list(covariates), list(covariates)
    from formulaic import model_matrix

    rhs = formula.split("~", 1)[1]
    # built with an intercept so that factors get treatment coding; the intercept itself
    # cancels within matched sets and is dropped
    matrix = model_matrix(rhs, complete)
    matrix = matrix.drop(columns=[c for c in matrix.columns if c == "Intercept"])
    names = [str(name) for name in matrix.columns]
    variables = []
    for name in names:
        # `race[T.Black]` or `C(race)[T.Black]` belongs to race; `agegp[...]` not to age
        owner = next(
            (c for c in covariates if name == c or name.startswith((f"{c}[", f"C({c})"))), name
        )
        variables.append(owner)
    return matrix.to_numpy(dtype=float), names, variables


def conditional_logistic(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    matched_set: str,
    outcome: str | None = None,
    covariates: Sequence[str] | None = None,
    ci: Literal["wald", "profile"] = "wald",
    conf_level: float = 0.95,
) -> ConditionalResult:
    """Conditional logistic regression for matched case-control sets.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    formula : str, optional
        ``"case ~ spontaneous + induced"`` (no intercept: it cancels within sets; a
        ``strata()`` term is not needed, the sets come from ``matched_set``). Parsed by
        formulaic, so ``C(education)`` works. Or give ``outcome`` and ``covariates``.
    matched_set : str
        Column identifying the matched set of each row.
    outcome : str, optional
        0/1 column, 1 = case.
    covariates : sequence of str, optional
        Numeric covariate columns.
    ci : {"wald", "profile"}, default "wald"
        Wald intervals and Wald p-values (R ``summary(clogit)``), or profile-likelihood
        intervals with likelihood-ratio p-values.
    conf_level : float, default 0.95

    Returns
    -------
    ConditionalResult
        ``.tidy()`` as :func:`~neok2.stats.logistic.logistic_regression`, plus ``n_sets``.

    Raises
    ------
    ValueError
        Unknown columns, outcome not 0/1, no informative set, a covariate constant within
        every set, bad options.

    Notes
    -----
    Set k with cases ``D_k`` contributes ``sum_{i in D_k} x_i'b - log sum_{|S| = d_k}
    exp(sum_{i in S} x_i'b)``; the denominator runs over every subset of the set's size
    ``d_k`` and is computed by the recursion of Gail, Lubin and Rubinstein (1981), which
    is what ``clogit(method = "exact")`` maximises. For one case per set (1:M matching,
    M varying) it reduces to ``log sum_i exp(x_i'b)``. The likelihood is maximised by
    Newton-Raphson with the exact information; sets without a case or without a control
    carry no information and are left out with a note; rows with missing values are left
    out and counted.

    References
    ----------
    Breslow NE, Day NE (1980) Statistical Methods in Cancer Research I, chapter 7. Gail MH,
    Lubin JH, Rubinstein LV (1981) Biometrika 68:703-707.

    Examples
    --------
    >>> frame = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                       "case": [1, 0, 1, 0, 1, 0, 1, 0],
    ...                       "smoker": [1, 0, 1, 0, 0, 1, 1, 1]})
    >>> result = conditional_logistic(frame, "case ~ smoker", matched_set="pair")
    >>> round(float(result.tidy()["odds_ratio"].iloc[0]), 4)  # discordant pairs 2 : 1
    2.0
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if ci not in ("wald", "profile"):
        raise ValueError(f"`ci` must be 'wald' or 'profile', got {ci!r}")
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float):
        raise TypeError(f"`conf_level` must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ValueError(f"`conf_level` must lie strictly between 0 and 1, got {conf_level!r}")
    if formula is not None:
        if outcome is not None or covariates is not None:
            raise ValueError("give either `formula` or `outcome` with `covariates`, not both")
        if not isinstance(formula, str) or "~" not in formula:
            raise ValueError(f"`formula` must read 'outcome ~ terms', got {formula!r}")
        from formulaic import Formula

        outcome = formula.split("~", 1)[0].strip()
        covariates = sorted(Formula(formula.split("~", 1)[1]).required_variables)
    elif outcome is None or covariates is None:
        raise ValueError("give a `formula`, or both `outcome` and `covariates`")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    columns = [outcome, matched_set, *covariates]
    unknown = [name for name in columns if name not in data.columns]
    if unknown:
        raise KeyError(f"column(s) {unknown} are not in `data`")
    from neok2.stats.contingency import _binary_column

    _binary_column(data, outcome, "outcome")
    incomplete = data[columns].isna().any(axis=1)
    complete = data.loc[~incomplete]
    n_missing = int(incomplete.sum())
    X, names, variables = _design_matrix(complete, formula, covariates)
    y = complete[outcome].astype(int).to_numpy()
    sets_column = complete[matched_set].to_numpy()
    notes: list[str] = []
    if n_missing:
        notes.append(f"{n_missing} row(s) with missing values left out")
    blocks, case_sums, case_counts = [], [], []
    uninformative, events, n_used = 0, 0, 0
    codes, _ = pd.factorize(sets_column, sort=True)
    order = np.argsort(codes, kind="stable")
    boundaries = np.flatnonzero(np.diff(codes[order])) + 1
    for rows in np.split(order, boundaries):
        d = int(y[rows].sum())
        if d == 0 or d == rows.size:
            uninformative += 1
            continue
        blocks.append(X[rows])
        case_sums.append(X[rows][y[rows] == 1].sum(axis=0))
        case_counts.append(d)
        events += d
        n_used += rows.size
    if not blocks:
        raise ValueError(
            f"no matched set in `{matched_set}` has both a case and a control; check the "
            "set identifier and the outcome"
        )
    if uninformative:
        notes.append(f"{uninformative} set(s) with no case or no control left out")
    within = np.vstack([block - block.mean(axis=0) for block in blocks])
    constant = [names[j] for j in range(X.shape[1]) if np.ptp(within[:, j]) == 0]
    if constant:
        raise ValueError(
            f"covariate(s) {constant} do not vary within any matched set; their effect is "
            "not estimable by conditional logistic regression: remove them"
        )
    sets = _Sets(tuple(blocks), tuple(case_sums), tuple(case_counts))
    p = X.shape[1]
    fit = _fit(sets, p)
    if not fit.converged:
        notes.append(f"iterations did not converge after {fit.iterations} steps")
    loglik_null = _loglik(sets, np.zeros(p))[0]
    lr = max(2.0 * (fit.loglik - loglik_null), 0.0)
    z = float(special.ndtri(0.5 + float(conf_level) / 2.0))
    critical = float(stats.chi2.ppf(conf_level, 1))
    rows_out = []
    for j, term in enumerate(names):
        estimate = float(fit.coefficients[j])
        std_error = math.sqrt(fit.covariance[j, j]) if fit.covariance[j, j] > 0 else math.nan
        note = ""
        if ci == "wald":
            low, high = estimate - z * std_error, estimate + z * std_error
            p_value = float(2.0 * special.ndtr(-abs(estimate / std_error)))
        else:
            low, high, p_value = _profile(sets, fit, j, critical)
            if not (math.isfinite(low) and math.isfinite(high)):
                note = "profile bound not reached"
        rows_out.append(
            {
                "term": term,
                "variable": variables[j],
                "estimate": estimate,
                "std_error": std_error,
                "odds_ratio": math.exp(estimate),
                "ci_low": math.exp(low) if math.isfinite(low) else math.nan,
                "ci_high": math.exp(high) if math.isfinite(high) else math.nan,
                "p_value": p_value,
                "ci_method": ci,
                "p_method": "wald" if ci == "wald" else "lrt",
                "conf_level": float(conf_level),
                "n": n_used,
                "events": events,
                "n_sets": len(blocks),
                "n_missing": n_missing,
                "note": note,
            }
        )
    return ConditionalResult(
        terms=tuple(names),
        outcome=str(outcome),
        matched_set=matched_set,
        n=n_used,
        events=events,
        n_sets=len(blocks),
        n_missing=n_missing,
        n_uninformative=uninformative,
        loglik=fit.loglik,
        loglik_null=loglik_null,
        lr_statistic=lr,
        lr_df=p,
        lr_p=float(special.chdtrc(p, lr)),
        converged=fit.converged,
        ci_method=ci,
        conf_level=float(conf_level),
        notes=tuple(notes),
        _table=pd.DataFrame(rows_out, columns=_TIDY_COLUMNS),
    )


# ----------------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class MatchedPairs:
    """Result of :func:`matched_pairs`: 1:1 pairs cross-classified by exposure.

    Attributes
    ----------
    both, case_only, control_only, neither : int
        Pairs with both members exposed, only the case, only the control, neither.
    odds_ratio, ci_low, ci_high : float
        ``case_only / control_only`` with the exact interval from the Clopper-Pearson
        interval of ``case_only / (case_only + control_only)``.
    mcnemar, mcnemar_p : float
        McNemar's chi-square without continuity correction and its p-value.
    mcnemar_corrected, mcnemar_corrected_p : float
        With the continuity correction (R ``mcnemar.test`` default).
    exact_p : float
        Two-sided exact binomial p-value of the discordant pairs (exact McNemar).
    conf_level : float
    n_missing : int
        Pairs left out for a missing exposure.
    """

    both: int
    case_only: int
    control_only: int
    neither: int
    odds_ratio: float
    ci_low: float
    ci_high: float
    mcnemar: float
    mcnemar_p: float
    mcnemar_corrected: float
    mcnemar_corrected_p: float
    exact_p: float
    conf_level: float
    n_missing: int

    def tidy(self) -> pd.DataFrame:
        """One row: the pair counts, the odds ratio, its interval and the three tests.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame([{name: getattr(self, name) for name in self.__dataclass_fields__}])

    def to_gt(self, *, digits: int = 2) -> Any:
        """A great_tables ``GT`` of the pair table's odds ratio and tests."""
        from great_tables import GT

        shown = pd.DataFrame(
            {
                "Discordant pairs (case : control exposed)": [
                    f"{self.case_only} : {self.control_only}"
                ],
                "OR": [format_odds_ratio(self.odds_ratio, digits)],
                f"{round(100 * self.conf_level)}% CI (exact)": [
                    format_ci(self.ci_low, self.ci_high, digits)
                ],
                "McNemar p": [format_p(self.mcnemar_corrected_p)],
                "exact p": [format_p(self.exact_p)],
            }
        )
        return GT(shown).tab_header(title="Matched-pair odds ratio")

    def _repr_html_(self) -> str:
        return str(self.tidy().to_html(index=False))


def matched_pairs(
    data: pd.DataFrame | None = None,
    exposure: str | None = None,
    outcome: str | None = None,
    matched_set: str | None = None,
    *,
    table: Sequence[Sequence[int]] | np.ndarray | None = None,
    conf_level: float = 0.95,
) -> MatchedPairs:
    """McNemar's test and the matched-pair odds ratio of 1:1 matched pairs.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per subject, two rows (one case, one control) per pair.
    exposure, outcome, matched_set : str, optional
        0/1 exposure, 0/1 outcome (1 = case) and pair identifier columns.
    table : 2x2 array-like, optional
        Instead of ``data``: pairs with rows = case exposed (yes, no) and columns = control
        exposed (yes, no), as R's ``mcnemar.test`` matrix.
    conf_level : float, default 0.95

    Returns
    -------
    MatchedPairs

    Raises
    ------
    ValueError
        A set that is not one case and one control, no discordant pair, bad counts.

    Notes
    -----
    With ``b`` pairs where only the case is exposed and ``c`` where only the control is,
    the conditional ML odds ratio is ``b / c``; given ``b + c``, ``b`` is binomial with
    ``pi = OR / (1 + OR)``, so the Clopper-Pearson limits ``pi_L, pi_U`` give the exact
    limits ``pi / (1 - pi)``. McNemar's statistic is ``(|b - c| - 1)^2 / (b + c)`` (corrected)
    or ``(b - c)^2 / (b + c)``.

    Examples
    --------
    >>> pairs = matched_pairs(table=[[794, 150], [86, 570]])
    >>> round(pairs.odds_ratio, 4), round(pairs.mcnemar_corrected, 4)
    (1.7442, 16.8178)
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float):
        raise TypeError(f"`conf_level` must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ValueError(f"`conf_level` must lie strictly between 0 and 1, got {conf_level!r}")
    n_missing = 0
    if table is not None:
        if data is not None:
            raise ValueError("give either `table` or `data`, not both")
        counts = np.asarray(table, dtype=float)
        if counts.shape != (2, 2) or np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise ValueError("`table` must be a 2x2 array of non-negative whole pair counts")
        both, case_only, control_only, neither = (int(v) for v in counts.ravel())
    else:
        if not isinstance(data, pd.DataFrame):
            raise TypeError("`data` must be a pandas DataFrame (or pass `table=`)")
        if exposure is None or outcome is None or matched_set is None:
            raise ValueError("with `data`, name the `exposure`, `outcome` and `matched_set`")
        from neok2.stats.contingency import _binary_column

        exposed = _binary_column(data, exposure, "exposure")
        case = _binary_column(data, outcome, "outcome")
        if matched_set not in data.columns:
            raise KeyError(f"`matched_set`: column {matched_set!r} is not in `data`")
        frame = pd.DataFrame({"set": data[matched_set], "case": case, "exposed": exposed})
        sizes = frame.groupby("set")["case"].agg(["size", "sum"])
        bad = sizes[(sizes["size"] != 2) | (sizes["sum"] != 1)]
        if len(bad):
            raise ValueError(
                f"`matched_set`: {len(bad)} set(s) are not one case with one control, e.g. "
                f"{list(bad.index[:5])}; use conditional_logistic for 1:M sets"
            )
        wide = frame.pivot(index="set", columns="case", values="exposed")
        missing = wide.isna().any(axis=1)
        n_missing = int(missing.sum())
        wide = wide[~missing].astype(int)
        case_x, control_x = wide[1].to_numpy(), wide[0].to_numpy()
        both = int(np.sum((case_x == 1) & (control_x == 1)))
        case_only = int(np.sum((case_x == 1) & (control_x == 0)))
        control_only = int(np.sum((case_x == 0) & (control_x == 1)))
        neither = int(np.sum((case_x == 0) & (control_x == 0)))
    discordant = case_only + control_only
    if discordant == 0:
        raise ValueError("no discordant pair: the matched-pair odds ratio is undefined")
    alpha = 1.0 - float(conf_level)
    low_p = special.betaincinv(case_only, control_only + 1, alpha / 2) if case_only else 0.0
    high_p = special.betaincinv(case_only + 1, control_only, 1 - alpha / 2) if control_only else 1.0
    statistic = (case_only - control_only) ** 2 / discordant
    corrected = (abs(case_only - control_only) - 1) ** 2 / discordant
    return MatchedPairs(
        both=both,
        case_only=case_only,
        control_only=control_only,
        neither=neither,
        odds_ratio=case_only / control_only if control_only else math.inf,
        ci_low=float(low_p / (1 - low_p)),
        ci_high=float(high_p / (1 - high_p)) if high_p < 1 else math.inf,
        mcnemar=statistic,
        mcnemar_p=float(stats.chi2.sf(statistic, 1)),
        mcnemar_corrected=corrected,
        mcnemar_corrected_p=float(stats.chi2.sf(corrected, 1)),
        exact_p=float(stats.binomtest(case_only, discordant, 0.5).pvalue),
        conf_level=float(conf_level),
        n_missing=n_missing,
    )
