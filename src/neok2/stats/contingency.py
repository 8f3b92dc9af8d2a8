"""Odds ratios from a 2x2 table: four interval methods, zero-cell handling and the usual tests.

The cells follow the case-control layout used throughout neok2::

                  cases   controls
    exposed         a        c
    unexposed       b        d

:func:`odds_ratio_2x2` returns a frozen :class:`TwoByTwo` holding every interval method, the
chi-square tests with and without Yates' correction and Fisher's exact test;
:func:`crosstab_2x2` builds the four counts from a DataFrame of 0/1 columns and reports the
rows it could not use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from neok2._validation import column_in, probability
from neok2.formatting import format_ci, format_odds_ratio, format_p
from neok2.stats.conditional_law import ConditionalLaw

__all__ = [
    "INTERVAL_METHODS",
    "Counts2x2",
    "OddsRatioInterval",
    "TwoByTwo",
    "crosstab_2x2",
    "odds_ratio_2x2",
]

Method = Literal["woolf", "score", "exact", "midp"]
INTERVAL_METHODS: tuple[str, ...] = ("woolf", "score", "exact", "midp")
_CORRECTIONS = ("auto", "haldane", "none")
_DESIGNS = ("case-control", "cohort")
# The search for interval limits runs on log(odds ratio); beyond +/-30 the odds ratio is
# numerically 0 or infinite for any table of realistic size.
_LOG_BOUND = 30.0
_ROOT_TOLERANCE = 1e-13
# Largest cell count accepted: beyond it doubles lose whole numbers in the margins' sums and
# no study of subjects comes near it.
MAX_COUNT = 10**9


@dataclass(frozen=True)
class OddsRatioInterval:
    """One odds-ratio estimate with its confidence interval.

    Attributes
    ----------
    method : str
        ``"woolf"``, ``"score"``, ``"exact"`` or ``"midp"``.
    odds_ratio, ci_low, ci_high : float
        Estimate and limits (0 and ``inf`` are legitimate limits for tables with a zero cell).
    estimate : str
        ``"sample"`` (cross-product ratio ad/bc), ``"conditional_mle"`` (exact) or
        ``"median_unbiased"`` (mid-p: the odds ratio at which both mid-p tails are 1/2).
    corrected : bool
        Whether 0.5 was added to every cell (Haldane-Anscombe) for this row.
    """

    method: str
    odds_ratio: float
    ci_low: float
    ci_high: float
    estimate: str
    corrected: bool


@dataclass(frozen=True)
class TwoByTwo:
    """Result of :func:`odds_ratio_2x2`.

    Attributes
    ----------
    a, b, c, d : int
        Exposed cases, unexposed cases, exposed controls, unexposed controls.
    method : str
        The interval method of the headline estimate (:meth:`tidy`).
    conf_level : float
    design : str
        ``"case-control"`` or ``"cohort"``.
    interval_rows : tuple of OddsRatioInterval
        Every interval method, in :data:`INTERVAL_METHODS` order.
    chisq, p_chisq : float
        Pearson chi-square statistic (1 df) and its p-value, no continuity correction.
    chisq_yates, p_yates : float
        The same with Yates' continuity correction, as R's ``chisq.test`` default.
    p_fisher : float
        Two-sided Fisher exact p-value.
    risk_ratio, risk_ratio_low, risk_ratio_high, risk_difference, risk_difference_low, \
risk_difference_high : float
        Only for ``design="cohort"``; NaN otherwise.
    n_missing : int
        Rows left out because exposure or outcome was missing (set by :func:`crosstab_2x2`).
    notes : tuple of str
        What the reader must know: corrections applied, measures not computed and why,
        missing rows.
    """

    a: int
    b: int
    c: int
    d: int
    method: str
    conf_level: float
    design: str
    interval_rows: tuple[OddsRatioInterval, ...]
    chisq: float
    p_chisq: float
    chisq_yates: float
    p_yates: float
    p_fisher: float
    risk_ratio: float
    risk_ratio_low: float
    risk_ratio_high: float
    risk_difference: float
    risk_difference_low: float
    risk_difference_high: float
    n_missing: int
    notes: tuple[str, ...]

    def _row(self, method: str) -> OddsRatioInterval:
        for row in self.interval_rows:
            if row.method == method:
                return row
        raise ValueError(f"`method` must be one of {INTERVAL_METHODS}, got {method!r}")

    @property
    def odds_ratio(self) -> float:
        """Estimate of the headline method."""
        return self._row(self.method).odds_ratio

    @property
    def ci_low(self) -> float:
        """Lower limit of the headline method."""
        return self._row(self.method).ci_low

    @property
    def ci_high(self) -> float:
        """Upper limit of the headline method."""
        return self._row(self.method).ci_high

    @property
    def corrected(self) -> bool:
        """Whether the headline estimate used the Haldane-Anscombe correction."""
        return self._row(self.method).corrected

    @property
    def odds_ratio_sample(self) -> float:
        """Uncorrected cross-product ratio ad/bc (0, ``inf`` or NaN when a cell is zero)."""
        return _cross_product(self.a, self.b, self.c, self.d)

    @property
    def odds_ratio_conditional(self) -> float:
        """Conditional maximum-likelihood odds ratio (as R's ``fisher.test`` estimate)."""
        return self._row("exact").odds_ratio

    @property
    def wald_p(self) -> float:
        """Two-sided Wald p of the Woolf log odds ratio; NaN when the Woolf interval is undefined.

        ``p = 2 (1 - Phi(|log OR| / SE))`` with ``SE = sqrt(1/a + 1/b + 1/c + 1/d)`` (of the
        corrected cells when the Woolf row is Haldane-corrected), the p of a univariable
        logistic fit on a 0/1 exposure. The SE is read back from the Woolf limits so that p
        and interval agree to the last bit.

        Examples
        --------
        >>> f"{odds_ratio_2x2(25, 41, 13, 121).wald_p:.2e}"
        '7.15e-06'
        """
        woolf = self._row("woolf")
        if not (math.isfinite(woolf.ci_low) and math.isfinite(woolf.ci_high)):
            return math.nan
        quantile = float(stats.norm.ppf(0.5 + self.conf_level / 2))
        standard_error = (math.log(woolf.ci_high) - math.log(woolf.ci_low)) / (2 * quantile)
        if standard_error <= 0:
            return 1.0 if woolf.odds_ratio == 1 else 0.0
        return float(2 * stats.norm.sf(abs(math.log(woolf.odds_ratio)) / standard_error))

    def tidy(self) -> pd.DataFrame:
        """One row for the headline method.

        Returns
        -------
        pandas.DataFrame
            ``method, odds_ratio, ci_low, ci_high, conf_level, p_chisq, p_yates, p_fisher,
            corrected`` plus ``estimate, a, b, c, d, n_missing`` and, for a cohort design,
            ``risk_ratio, risk_ratio_low, risk_ratio_high, risk_difference,
            risk_difference_low, risk_difference_high``.
        """
        row = self._row(self.method)
        record: dict[str, Any] = {
            "method": row.method,
            "odds_ratio": row.odds_ratio,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
            "conf_level": self.conf_level,
            "p_chisq": self.p_chisq,
            "p_yates": self.p_yates,
            "p_fisher": self.p_fisher,
            "corrected": row.corrected,
            "estimate": row.estimate,
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "d": self.d,
            "n_missing": self.n_missing,
        }
        if self.design == "cohort":
            record.update(
                {
                    "risk_ratio": self.risk_ratio,
                    "risk_ratio_low": self.risk_ratio_low,
                    "risk_ratio_high": self.risk_ratio_high,
                    "risk_difference": self.risk_difference,
                    "risk_difference_low": self.risk_difference_low,
                    "risk_difference_high": self.risk_difference_high,
                }
            )
        return pd.DataFrame([record])

    def to_gt(
        self, *, title: str | None = None, digits: int = 2, table_id: str = "neok2-2x2"
    ) -> Any:
        """The four cells with their margins as a great-tables table, the OR in a note.

        ``table_id`` is the HTML id, fixed so that a result always renders to the same bytes.

        Examples
        --------
        >>> odds_ratio_2x2(39, 27, 27, 107).to_gt().__class__.__name__
        'GT'
        """
        from great_tables import GT

        cells = pd.DataFrame(
            {
                "group": ["Cases", "Controls", "Total"],
                "exposed": [self.a, self.c, self.a + self.c],
                "unexposed": [self.b, self.d, self.b + self.d],
                "total": [self.a + self.b, self.c + self.d, self.a + self.b + self.c + self.d],
            }
        )
        level = round(100 * self.conf_level)
        note = (
            f"OR {format_odds_ratio(self.odds_ratio, digits)} ({level}% CI "
            f"{format_ci(self.ci_low, self.ci_high, digits)}, {self.method}); "
            f"chi-square p {format_p(self.p_chisq)}; Fisher p {format_p(self.p_fisher)}"
        )
        table = (
            GT(cells, rowname_col="group", id=table_id)
            .tab_header(title=title or "Exposure by case status")
            .cols_label(exposed="Exposed", unexposed="Unexposed", total="Total")
            .tab_source_note(note)
        )
        for extra in self.notes:
            table = table.tab_source_note(extra)
        return table

    def _repr_html_(self) -> str:
        """The great-tables HTML of :meth:`to_gt` (what Jupyter shows)."""
        return str(self.to_gt().as_raw_html())

    def intervals(self) -> pd.DataFrame:
        """Every interval method at once.

        Returns
        -------
        pandas.DataFrame
            One row per method: ``method, odds_ratio, ci_low, ci_high, conf_level, estimate,
            corrected``.
        """
        return pd.DataFrame(
            [
                {
                    "method": row.method,
                    "odds_ratio": row.odds_ratio,
                    "ci_low": row.ci_low,
                    "ci_high": row.ci_high,
                    "conf_level": self.conf_level,
                    "estimate": row.estimate,
                    "corrected": row.corrected,
                }
                for row in self.interval_rows
            ]
        )


# ----------------------------------------------------------------------------- validation


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
        raise TypeError(f"`{name}` must be a whole-number count, got {type(value).__name__}")
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise ValueError(f"`{name}` must be a non-negative whole number, got {value!r}")
    if value > MAX_COUNT:
        shown = (
            f"{value:.3g}"
            if isinstance(value, float | np.floating)
            else f"a {len(str(int(value)))}-digit number"
        )
        raise ValueError(
            f"`{name}` is {shown}, beyond the largest count handled ({MAX_COUNT:.0e}); "
            "counts of subjects are far smaller, so check the value"
        )
    if not math.isfinite(float(value)) or float(value) != int(value) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative whole number, got {value!r}")
    return int(value)


def _check_margins(a: int, b: int, c: int, d: int) -> None:
    margins = {
        "cases (a + b)": a + b,
        "controls (c + d)": c + d,
        "exposed (a + c)": a + c,
        "unexposed (b + d)": b + d,
    }
    empty = [name for name, total in margins.items() if total == 0]
    if empty:
        raise ValueError(
            f"the 2x2 table has no {', no '.join(empty)}: the odds ratio is undefined; "
            "check the counts a, b, c, d"
        )


# ----------------------------------------------------------------------------- intervals


def _cross_product(a: float, b: float, c: float, d: float) -> float:
    numerator, denominator = a * d, b * c
    if denominator == 0:
        return math.nan if numerator == 0 else math.inf
    return numerator / denominator


def _woolf(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    estimate = _cross_product(a, b, c, d)
    if 0 in (a, b, c, d):
        # Without a correction the log odds ratio has infinite variance: no finite interval.
        return estimate, math.nan, math.nan
    log_or = math.log(estimate)
    half_width = z * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return estimate, math.exp(log_or - half_width), math.exp(log_or + half_width)


def _score_statistic(odds_ratio: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """Miettinen-Nurminen score statistic for H0: OR = odds_ratio, without their n/(n-1) factor.

    ``x1`` of ``n1`` and ``x2`` of ``n2`` are the two binomial samples; the constrained MLEs
    of the two proportions solve the quadratic below (Miettinen and Nurminen 1985, eq. 3).
    """
    if odds_ratio < 1.0:
        # Exchanging events and non-events maps the odds ratio to its inverse and leaves the
        # statistic unchanged; with odds_ratio >= 1 the quadratic below has qa >= 0 and no
        # cancellation, which at extreme odds ratios otherwise breaks the root search.
        return _score_statistic(1.0 / odds_ratio, n1 - x1, n1, n2 - x2, n2)
    proportion = x1 / n1
    if odds_ratio == 1.0:
        p2 = (x1 + x2) / (n1 + n2)
    else:
        qa = n2 * (odds_ratio - 1)
        qb = n1 * odds_ratio + n2 - (x1 + x2) * (odds_ratio - 1)
        qc = -(x1 + x2)
        root = math.sqrt(qb * qb - 4 * qa * qc)
        # The positive root, in whichever of its two algebraic forms avoids subtracting
        # nearly equal numbers.
        p2 = (-qb + root) / (2 * qa) if qb < 0 else -2 * qc / (qb + root)
    scale = 1 + p2 * (odds_ratio - 1)
    p1, q1 = p2 * odds_ratio / scale, (1 - p2) / scale
    variance = 1 / (n1 * p1 * q1) + 1 / (n2 * p2 * (1 - p2))
    return (n1 * (proportion - p1)) ** 2 * variance


def _score(a: int, b: int, c: int, d: int, conf_level: float) -> tuple[float, float, float]:
    # Exposure rows are the two binomials, as epiR:::zORscore sets them up.
    x1, n1, x2, n2 = a, a + c, b, b + d
    critical = float(stats.chi2.ppf(conf_level, 1))

    def excess(log_or: float) -> float:
        return _score_statistic(math.exp(log_or), x1, n1, x2, n2) - critical

    estimate = _cross_product(a, b, c, d)
    low_end, high_end = -_LOG_BOUND, _LOG_BOUND
    if x1 == 0 or x2 == n2:
        low = 0.0
        high = optimize.brentq(excess, low_end, high_end, xtol=_ROOT_TOLERANCE)
        return estimate, low, math.exp(high)
    if x1 == n1 or x2 == 0:
        low = optimize.brentq(excess, low_end, high_end, xtol=_ROOT_TOLERANCE)
        return estimate, math.exp(low), math.inf
    centre = math.log(estimate)
    low = optimize.brentq(excess, low_end, centre, xtol=_ROOT_TOLERANCE)
    high = optimize.brentq(excess, centre, high_end, xtol=_ROOT_TOLERANCE)
    return estimate, math.exp(low), math.exp(high)


def _cohort_measures(
    a: int, b: int, c: int, d: int, z: float
) -> tuple[float, float, float, float, float, float]:
    """Risk ratio (Wald on log RR) and risk difference (Wald), as epiR's cohort output."""
    risk_exposed, risk_unexposed = a / (a + c), b / (b + d)
    risk_difference = risk_exposed - risk_unexposed
    rd_se = math.sqrt(
        risk_exposed * (1 - risk_exposed) / (a + c)
        + risk_unexposed * (1 - risk_unexposed) / (b + d)
    )
    rd_low, rd_high = risk_difference - z * rd_se, risk_difference + z * rd_se
    if a == 0 or b == 0:
        # A zero risk leaves log RR without a finite variance: estimate only, no interval.
        risk_ratio = math.inf if b == 0 else 0.0
        return risk_ratio, math.nan, math.nan, risk_difference, rd_low, rd_high
    risk_ratio = risk_exposed / risk_unexposed
    log_se = math.sqrt(1 / a - 1 / (a + c) + 1 / b - 1 / (b + d))
    return (
        risk_ratio,
        risk_ratio * math.exp(-z * log_se),
        risk_ratio * math.exp(z * log_se),
        risk_difference,
        rd_low,
        rd_high,
    )


# ----------------------------------------------------------------------------- public


def odds_ratio_2x2(
    a: int,
    b: int,
    c: int,
    d: int,
    *,
    method: Method = "woolf",
    conf_level: float = 0.95,
    correction: Literal["auto", "haldane", "none"] = "auto",
    design: Literal["case-control", "cohort"] = "case-control",
) -> TwoByTwo:
    """Odds ratio of a 2x2 table with its confidence interval and tests of independence.

    Parameters
    ----------
    a, b, c, d : int
        Exposed cases, unexposed cases, exposed controls, unexposed controls.
    method : {"woolf", "score", "exact", "midp"}, default "woolf"
        Interval of the headline estimate (every method is available from
        :meth:`TwoByTwo.intervals`):

        - ``"woolf"``: Wald interval on the log odds ratio around the sample odds ratio ad/bc.
        - ``"score"``: Miettinen-Nurminen score interval without their n/(n-1) variance
          factor, around ad/bc; this is what ``epiR::epi.2by2`` prints as the score interval
          (epiR searches on a 0.1% grid, neok2 solves to 1e-13 on the log scale).
        - ``"exact"``: conditional maximum-likelihood estimate with Fisher's exact
          (conditional) interval, as ``fisher.test``.
        - ``"midp"``: median-unbiased estimate with the mid-p exact interval, as
          ``epitools::oddsratio.midp``.

        Every method stays fast for large tables: the conditional (exact and mid-p)
        computations run on a window of +/- 20 standard deviations around ``a``, outside
        which the probability is below 1e-87, so 10^6 counts take milliseconds.
    conf_level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    correction : {"auto", "haldane", "none"}, default "auto"
        Haldane-Anscombe correction (add 0.5 to every cell) for the Woolf row: ``"auto"``
        applies it only when a cell is zero, ``"haldane"`` always, ``"none"`` never (a zero
        cell then gives an odds ratio of 0 or ``inf`` and no Woolf interval). The score and
        exact methods handle zero cells themselves (a limit of 0 or ``inf``) and are never
        corrected.
    design : {"case-control", "cohort"}, default "case-control"
        Risk ratio and risk difference need the exposure groups to be sampled as they occur
        (``"cohort"``); in a case-control design the case fraction is fixed by the sampling,
        so they are not computed and a note says so.

    Returns
    -------
    TwoByTwo
        ``.tidy()`` gives one row: ``method, odds_ratio, ci_low, ci_high, conf_level,
        p_chisq, p_yates, p_fisher, corrected`` (plus ``estimate, a, b, c, d, n_missing``
        and the cohort measures when ``design="cohort"``); ``.intervals()`` one row per
        method.

    Notes
    -----
    Woolf: ``exp(log(ad/bc) +/- z * sqrt(1/a + 1/b + 1/c + 1/d))``. Score: the limits are the
    two odds ratios whose score statistic ``(n1 (p1_hat - p1~))^2 (1/(n1 p1~ q1~) +
    1/(n2 p2~ q2~))`` equals the chi-square(1) quantile, the tilde proportions being the
    MLEs constrained to that odds ratio (exposure rows as the two binomials). Exact: the
    noncentral hypergeometric equations of ``fisher.test`` (estimate: ``E[X] = a``; limits:
    ``P(X >= a) = alpha/2`` and ``P(X <= a) = alpha/2``). Mid-p: ``P(X > a) + P(X = a)/2 =
    alpha/2`` for the lower limit and ``P(X < a) + P(X = a)/2 = alpha/2`` for the upper; the
    estimate solves ``P(X < a) + P(X = a)/2 = 1/2`` (median-unbiased, as epitools).
    Chi-square: ``scipy.stats.chi2_contingency`` with and without Yates' correction (R's
    ``chisq.test(correct = FALSE/TRUE)``); Fisher:
    ``scipy.stats.fisher_exact`` (R's ``fisher.test``). Cohort measures: risk ratio with a
    Wald interval on its log, risk difference with a Wald interval (``epiR::epi.2by2``,
    ``method = "cohort.count"``).

    References
    ----------
    Woolf B (1955) Ann Hum Genet 19:251-253. Haldane JBS (1956) Ann Hum Genet 20:309-311.
    Miettinen O, Nurminen M (1985) Stat Med 4:213-226. Agresti A (2013) Categorical Data
    Analysis, 3rd ed., sections 3.1 and 16.6. Rothman KJ, Greenland S, Lash TL (2008) Modern
    Epidemiology, 3rd ed., chapter 14 (mid-p).

    Examples
    --------
    Antenatal steroids in the vitamin K2 study (25 of 66 cases, 13 of 134 controls):

    >>> result = odds_ratio_2x2(25, 41, 13, 121)
    >>> round(result.odds_ratio, 3), round(result.ci_low, 3), round(result.ci_high, 3)
    (5.675, 2.659, 12.112)
    >>> result.intervals()["method"].tolist()
    ['woolf', 'score', 'exact', 'midp']
    >>> odds_ratio_2x2(0, 12, 6, 30).corrected
    True
    """
    counts = tuple(
        _check_count(value, name) for value, name in zip((a, b, c, d), "abcd", strict=True)
    )
    a, b, c, d = counts
    if method not in INTERVAL_METHODS:
        raise ValueError(f"`method` must be one of {INTERVAL_METHODS}, got {method!r}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"`correction` must be one of {_CORRECTIONS}, got {correction!r}")
    if design not in _DESIGNS:
        raise ValueError(f"`design` must be one of {_DESIGNS}, got {design!r}")
    conf_level = probability(conf_level, "conf_level")
    _check_margins(a, b, c, d)

    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    has_zero = 0 in counts
    notes: list[str] = []
    apply_haldane = correction == "haldane" or (correction == "auto" and has_zero)
    shift = 0.5 if apply_haldane else 0.0
    woolf = _woolf(a + shift, b + shift, c + shift, d + shift, z)
    if apply_haldane:
        notes.append("Haldane-Anscombe correction: 0.5 added to every cell for the Woolf interval")
    elif has_zero:
        notes.append("a cell is zero and correction='none': the Woolf interval is undefined")
    score = _score(a, b, c, d, conf_level)
    conditional = ConditionalLaw(a, b, c, d)
    interval_rows = (
        OddsRatioInterval("woolf", *woolf, estimate="sample", corrected=apply_haldane),
        OddsRatioInterval("score", *score, estimate="sample", corrected=False),
        OddsRatioInterval(
            "exact",
            conditional.mle(),
            *conditional.limits(conf_level, 1.0),
            estimate="conditional_mle",
            corrected=False,
        ),
        OddsRatioInterval(
            "midp",
            conditional.median_unbiased(),
            *conditional.limits(conf_level, 0.5),
            estimate="median_unbiased",
            corrected=False,
        ),
    )

    table = np.array([[a, c], [b, d]])
    chisq, p_chisq, _, _ = stats.chi2_contingency(table, correction=False)
    chisq_yates, p_yates, _, _ = stats.chi2_contingency(table, correction=True)
    p_fisher = float(stats.fisher_exact(table).pvalue)

    cohort = (math.nan,) * 6
    if design == "cohort":
        cohort = _cohort_measures(a, b, c, d, z)
    else:
        notes.append(
            "risk ratio and risk difference not computed: in a case-control design the "
            "proportion of cases is set by the sampling (use design='cohort' if it is not)"
        )
    return TwoByTwo(
        a=a,
        b=b,
        c=c,
        d=d,
        method=method,
        conf_level=conf_level,
        design=design,
        interval_rows=interval_rows,
        chisq=float(chisq),
        p_chisq=float(p_chisq),
        chisq_yates=float(chisq_yates),
        p_yates=float(p_yates),
        p_fisher=p_fisher,
        risk_ratio=cohort[0],
        risk_ratio_low=cohort[1],
        risk_ratio_high=cohort[2],
        risk_difference=cohort[3],
        risk_difference_low=cohort[4],
        risk_difference_high=cohort[5],
        n_missing=0,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Counts2x2:
    """The four cells of a 2x2 table built from data, with the rows that could not be used.

    Attributes
    ----------
    exposure, outcome : str
        Column names.
    a, b, c, d : int
        Exposed cases, unexposed cases, exposed controls, unexposed controls.
    n_used, n_missing : int
        Rows counted, rows left out because exposure or outcome was missing.
    """

    exposure: str
    outcome: str
    a: int
    b: int
    c: int
    d: int
    n_used: int
    n_missing: int

    def tidy(self) -> pd.DataFrame:
        """The table in long form.

        Returns
        -------
        pandas.DataFrame
            ``exposure, outcome, exposed, case, n`` (four rows) with ``n_missing`` repeated.
        """
        cells = ((1, 1, self.a), (0, 1, self.b), (1, 0, self.c), (0, 0, self.d))
        return pd.DataFrame(
            [
                {
                    "exposure": self.exposure,
                    "outcome": self.outcome,
                    "exposed": exposed,
                    "case": case,
                    "n": n,
                    "n_missing": self.n_missing,
                }
                for exposed, case, n in cells
            ]
        )

    def odds_ratio(self, **options: Any) -> TwoByTwo:
        """:func:`odds_ratio_2x2` on these counts; the missing rows are carried into the notes.

        Parameters
        ----------
        **options
            Keyword options of :func:`odds_ratio_2x2`.

        Returns
        -------
        TwoByTwo
        """
        result = odds_ratio_2x2(self.a, self.b, self.c, self.d, **options)
        notes = result.notes
        if self.n_missing:
            notes = (
                *notes,
                f"{self.n_missing} row(s) with missing {self.exposure!r} or {self.outcome!r} "
                "left out",
            )
        return replace(result, n_missing=self.n_missing, notes=notes)


def _binary_column(data: pd.DataFrame, column: str, argument: str) -> pd.Series:
    column_in(data, column, argument)
    if int((data.columns == column).sum()) > 1:
        raise ValueError(
            f"`{argument}`: `data` has more than one column named {column!r}; rename or drop "
            "the duplicates"
        )
    values = data[column]
    if isinstance(values.dtype, pd.CategoricalDtype) and (
        pd.api.types.is_numeric_dtype(values.cat.categories)
    ):
        # 0/1 stored as a category (SPSS value labels, astype("category")) is still 0/1
        values = values.astype(float)
    present = values.dropna()
    if pd.api.types.is_bool_dtype(present):
        present = present.astype(int)
    if not pd.api.types.is_numeric_dtype(present):
        raise ValueError(
            f"`{argument}`: column {column!r} must hold 0/1 (or True/False), "
            f"found values such as {present.iloc[:3].tolist()}; recode it to 0/1"
        )
    # Plain Python values so the message reads [2], not [np.int64(2)].
    invalid = sorted(
        value.item() if isinstance(value, np.generic) else value
        for value in set(present.unique()) - {0, 1}
    )
    if invalid:
        raise ValueError(
            f"`{argument}`: column {column!r} must hold only 0 and 1, found {invalid[:5]}; "
            "recode it to 0/1"
        )
    return values


def crosstab_2x2(
    data: pd.DataFrame, exposure: str, outcome: str, *, weights: str | None = None
) -> Counts2x2:
    """Count the 2x2 table of a 0/1 exposure against a 0/1 outcome (1 = case).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    exposure, outcome : str
        Columns holding 0/1 (or True/False); missing values are allowed and counted.
    weights : str, optional
        Column of whole-number frequencies for grouped records: each row counts that many
        times (``n_used`` and ``n_missing`` then count subjects, not rows).

    Returns
    -------
    Counts2x2
        ``a, b, c, d, n_used, n_missing``; ``.odds_ratio(...)`` runs :func:`odds_ratio_2x2`.

    Notes
    -----
    Rows with either value missing are left out and counted in ``n_missing``, as R's
    ``table(exposure, outcome)`` with ``na.action = na.omit``.

    References
    ----------
    Rothman KJ, Greenland S, Lash TL (2008) Modern Epidemiology, 3rd ed., chapter 14.

    Examples
    --------
    >>> frame = pd.DataFrame({"steroid": [1, 1, 0, 0, None], "case": [1, 0, 1, 0, 1]})
    >>> counts = crosstab_2x2(frame, "steroid", "case")
    >>> (counts.a, counts.b, counts.c, counts.d, counts.n_missing)
    (1, 1, 1, 1, 1)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    exposed = _binary_column(data, exposure, "exposure")
    case = _binary_column(data, outcome, "outcome")
    complete = exposed.notna() & case.notna()
    exposed_used = exposed[complete].astype(int).to_numpy()
    case_used = case[complete].astype(int).to_numpy()
    frequency = np.ones(len(data), dtype=np.int64)
    if weights is not None:
        from neok2.stats.grouped import frequency_column

        values = frequency_column(data, weights)
        if np.any(values != np.round(values)):
            raise ValueError(f"`weights`: column {weights!r} must hold whole-number counts")
        frequency = values.astype(np.int64)
    used = frequency[complete.to_numpy()]
    return Counts2x2(
        exposure=exposure,
        outcome=outcome,
        a=int(used[(exposed_used == 1) & (case_used == 1)].sum()),
        b=int(used[(exposed_used == 0) & (case_used == 1)].sum()),
        c=int(used[(exposed_used == 1) & (case_used == 0)].sum()),
        d=int(used[(exposed_used == 0) & (case_used == 0)].sum()),
        n_used=int(used.sum()),
        n_missing=int(frequency[~complete.to_numpy()].sum()),
    )
