"""Fidelity report: every published number beside the same statistic computed on a data set.

:func:`fidelity_report` recomputes, on any data set in the study's dictionary format (the
synthetic cohort or real records), every figure the study spec transcribes: Table 1 counts,
percentages, means, SDs, medians, quartiles and bins, the Table 1 test p-values, the text
claims, the Table 2 univariable odds ratios, the multivariable adjusted odds ratios, the
adjusted p-values of the terms the text does not call independent (``p (multivariable)``,
which must reach alpha) and the univariable screen's selection, plus the spec's definitions
(derived columns, outcome range, SGA against the growth reference). Where a published number
contradicts Table 1, Table 1 wins: the row is checked against what Table 1 implies and its
``note`` says why. Where a printed spread must be a standard error of the mean for the
printed p to be reachable (the generator's rule, ``neok2.synth.implied.spread_reading``),
the SD is checked against ``spread x sqrt(n)`` and the note says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from neok2._io import atomic_write_csv
from neok2.formatting import decimal_places, format_number, matches_printed, parse_cell
from neok2.stats.growth import GROWTH_REFERENCE_RANGE, birthweight_centile_10
from neok2.stats.logistic_many import fit_logistic_many, wald_p
from neok2.study.claims import UnresolvableClaimError, claim_on_data, claim_on_table1, parse_claim
from neok2.study.model import code_key
from neok2.study.spec import Study
from neok2.synth.fidelity_factors import design_columns, level_test_p
from neok2.synth.fidelity_result import REPORT_COLUMNS, FidelityReport, fidelity_gt
from neok2.synth.implied import (
    SEM_READING,
    implied_by_table1,
    or_contradiction,
    p_contradiction,
    spread_reading,
    table1_test_p,
)
from neok2.synth.rules import growth_rule, outcome_bounds, threshold_columns

__all__ = [
    "NOT_SIGNIFICANT_STATISTIC",
    "REPORT_COLUMNS",
    "FidelityReport",
    "fidelity_gt",
    "fidelity_report",
    "write_fidelity",
]

GROUPS = ("case", "control")
_OR_TOLERANCE = 0.05
_CI_TOLERANCE = 0.10
_SEM_NOTE = f"{SEM_READING} (see compromises)"
NOT_SIGNIFICANT_STATISTIC = "p (multivariable)"


class _Rows:
    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        source: str,
        variable: str,
        statistic: str,
        published: float,
        synthetic: float,
        tolerance: float,
        criterion: str,
        ok: bool | None,
        *,
        group: str = "all",
        level: str = "",
        note: str = "",
    ) -> None:
        difference = synthetic - published
        self.rows.append(
            {
                "source": source,
                "variable": variable,
                "group": group,
                "level": level,
                "statistic": statistic,
                "published": float(published),
                "synthetic": float(synthetic),
                "difference": float(difference),
                "tolerance": float(tolerance),
                "criterion": criterion,
                "ok": pd.NA if ok is None else bool(ok),
                "note": note,
            }
        )

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame.from_records(self.rows, columns=REPORT_COLUMNS)
        frame["ok"] = frame["ok"].astype("boolean")
        return frame


def _numeric(data: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(data[column], errors="coerce")


def _spss_quantile(values: np.ndarray, probability: float) -> float:
    # SPSS's default (weighted average at (n + 1)p) is R's quantile type 6.
    return float(np.quantile(values, probability, method="weibull")) if values.size else math.nan


def _log_ratio_ok(synthetic: float, published: float, tolerance: float) -> bool:
    if not (synthetic > 0 and published > 0 and math.isfinite(synthetic)):
        return False
    return abs(math.log(synthetic / published)) <= tolerance


def _table1(study: Study, data: pd.DataFrame, groups: dict[str, pd.Series], rows: _Rows) -> None:
    for _, row in study.table1.iterrows():
        variable, group, level = str(row["variable"]), str(row["group"]), str(row["level"])
        if variable not in data.columns:
            rows.add(
                "table1",
                variable,
                "present",
                1.0,
                0.0,
                0.0,
                "column present",
                False,
                group=group,
                level=level,
                note="column missing from the data",
            )
            continue
        if row["summary"] in ("categorical", "ordinal"):
            continue  # counts sit on the level rows; the p is checked with the tests
        if level and row["value"]:
            # a category: the data hold its code (2) or, prepared for the models, its label
            raw = data[variable][groups[group]]
            present = raw.dropna()
            wanted = {code_key(row["value"]), code_key(level)}
            count = float(present.map(code_key).isin(wanted).sum())
            rows.add(
                "table1_level",
                variable,
                "n",
                float(row["n"]),
                count,
                0.0,
                "exact",
                count == float(row["n"]),
                group=group,
                level=level,
            )
            continue
        values = _numeric(data, variable)[groups[group]]
        present = values.dropna()
        missing = int(values.isna().sum())
        note = f"{missing} missing value(s) excluded" if missing else ""
        printed = str(row["printed"])
        group_n = float(present.size)
        source = "table1_bin" if level else "table1"
        if row["summary"] == "n_percent":
            if level:
                low = -math.inf if math.isnan(row["low"]) else float(row["low"])
                high = math.inf if math.isnan(row["high"]) else float(row["high"])
                count = float(((present >= low) & (present < high)).sum())
            else:
                count = float((present == 1).sum())
            rows.add(
                source,
                variable,
                "n",
                float(row["n"]),
                count,
                0.0,
                "exact",
                count == float(row["n"]),
                group=group,
                level=level,
                note=note,
            )
            if row["percent"] is None or math.isnan(float(row["percent"])):
                continue
            digits = parse_cell(printed, "n_percent").decimals[1] if printed else 1
            text = f"{float(row['percent']):.{digits}f}"
            percent = 100.0 * count / group_n if group_n else math.nan
            own = 100.0 * float(row["n"]) / study.groups[group]
            if matches_printed(own, text):
                criterion, ok, percent_note = (
                    "rounds or truncates to printed",
                    matches_printed(percent, text),
                    note,
                )
            else:
                criterion, ok, percent_note = (
                    "matches the printed count's percentage",
                    matches_printed(percent, f"{own:.{digits}f}") or abs(percent - own) < 1e-9,
                    f"printed {text}% contradicts its count {row['n']}/"
                    f"{study.groups[group]} = {own:.2f}%; Table 1's count wins",
                )
            rows.add(
                source,
                variable,
                "percent",
                float(row["percent"]),
                percent,
                0.5 * 10.0**-digits,
                criterion,
                ok,
                group=group,
                level=level,
                note=percent_note,
            )
            continue
        statistics = {"mean_sd": ("mean", "sd"), "median_iqr": ("median", "q1", "q3")}
        names = statistics[str(row["summary"])]
        decimals = (
            parse_cell(printed, str(row["summary"])).decimals
            if printed
            else tuple(decimal_places(f"{float(row[n]):g}") for n in names)
        )
        array = present.to_numpy(float)
        computed = {
            "mean": float(array.mean()) if array.size else math.nan,
            "sd": float(array.std(ddof=1)) if array.size > 1 else math.nan,
            "median": _spss_quantile(array, 0.5),
            "q1": _spss_quantile(array, 0.25),
            "q3": _spss_quantile(array, 0.75),
        }
        criterion = (
            "rounds to printed"
            if row["summary"] == "mean_sd"
            else "rounds to printed (SPSS / R type 6 quantile)"
        )
        reading = spread_reading(study, variable) if row["summary"] == "mean_sd" else None
        for name, digits in zip(names, decimals, strict=True):
            published = float(row[name])
            synthetic = computed[name]
            if name == "sd" and reading is not None and reading.reading == "sem":
                _sem_sd_row(rows, study, row, synthetic, digits, note)
                continue
            ok = math.isfinite(synthetic) and float(format_number(synthetic, digits)) == float(
                format_number(published, digits)
            )
            rows.add(
                source,
                variable,
                name,
                published,
                synthetic,
                0.5 * 10.0**-digits,
                criterion,
                ok,
                group=group,
                note=note,
            )


def _sem_sd_row(
    rows: _Rows, study: Study, row: pd.Series, synthetic: float, digits: int, note: str
) -> None:
    """An SD row whose printed spread is read as a standard error of the mean: the data's SD
    is set beside ``spread x sqrt(n)`` and must give back the printed spread on division."""
    group = str(row["group"])
    root_n = math.sqrt(study.groups[group])
    printed = float(row["sd"])
    ok = math.isfinite(synthetic) and float(format_number(synthetic / root_n, digits)) == float(
        format_number(printed, digits)
    )
    explained = (
        f"{_SEM_NOTE}: printed {format_number(printed, digits)} x "
        f"sqrt({study.groups[group]}) = {format_number(printed * root_n, digits + 1)}"
    )
    rows.add(
        "table1",
        str(row["variable"]),
        "sd",
        printed * root_n,
        synthetic,
        0.5 * 10.0**-digits * root_n,
        "SD / sqrt(n) rounds to printed",
        ok,
        group=group,
        note="; ".join(part for part in (explained, note) if part),
    )


def _sem_note(study: Study, variable: str) -> str:
    if str(study.cell(variable, "case")["summary"]) != "mean_sd":
        return ""  # only a mean_sd row has spreads to read
    reading = spread_reading(study, variable)
    return _SEM_NOTE if reading.reading == "sem" else ""


def _same_side(synthetic: float, published: float, alpha: float, note: str) -> bool | None:
    if not math.isfinite(synthetic):
        return None
    expected_below = published < alpha
    if note:
        expected_below = not expected_below
    return (synthetic < alpha) == expected_below


def _table1_tests(
    study: Study, data: pd.DataFrame, groups: dict[str, pd.Series], rows: _Rows
) -> None:
    alpha = float(study.design.get("alpha", 0.05))
    main = study.table1[(study.table1["level"] == "") & (study.table1["group"] == "case")]
    for _, row in main.iterrows():
        variable = str(row["variable"])
        if variable not in data.columns or math.isnan(float(row["p_value"])):
            continue
        published = float(row["p_value"])
        if row["summary"] in ("categorical", "ordinal"):
            p_value = level_test_p(study, data, groups, variable)
            ok = _same_side(p_value, published, alpha, "")
            rows.add(
                "table1_test",
                variable,
                "p_value",
                published,
                p_value,
                alpha,
                f"same side of alpha = {alpha:g}",
                ok,
                note="Pearson chi-square on the levels x groups counts",
            )
            continue
        values = _numeric(data, variable)
        case = values[groups["case"]].dropna().to_numpy(float)
        control = values[groups["control"]].dropna().to_numpy(float)
        p_value = table1_test_p(study, variable, case, control)
        note = p_contradiction(study, variable, published, alpha)
        if math.isnan(p_value):
            note = note or f"test {row['test']!r} not recomputed"
        ok = _same_side(p_value, published, alpha, note)
        rows.add(
            "table1_test",
            variable,
            "p_value",
            published,
            p_value,
            alpha,
            f"same side of alpha = {alpha:g}",
            ok,
            note="; ".join(part for part in (note, _sem_note(study, variable)) if part),
        )


_Fitted = tuple[np.ndarray, np.ndarray, np.ndarray, int, list[str]]


def _fit(
    data: pd.DataFrame, outcome: str, terms: list[str], study: Study | None = None
) -> _Fitted | None:
    design_frame = design_columns(study, data, terms)
    frame = pd.concat([_numeric(data, outcome).rename(outcome), design_frame], axis=1)
    complete = frame.dropna()
    dropped = len(frame) - len(complete)
    if complete.empty or complete[outcome].nunique() < 2:
        return None
    names = list(design_frame.columns)
    design = np.column_stack([np.ones(len(complete)), complete[names].to_numpy(float)])
    fit = fit_logistic_many(design, complete[outcome].to_numpy(float))
    if not fit.converged[0]:
        return None
    se = np.sqrt(np.diag(fit.cov[0]))
    return fit.coef[0], se, wald_p(fit)[0], dropped, names


def _fit_or_failure(
    data: pd.DataFrame, outcome: str, terms: list[str], study: Study | None = None
) -> tuple[_Fitted | None, str, str]:
    """The fit, or None with the criterion it fails and why (a row records the failure)."""
    if any(term not in data.columns for term in terms) or outcome not in data:
        return None, "model terms present", "columns missing"
    fitted = _fit(data, outcome, terms, study)
    if fitted is None:
        return None, "model converges", "the fit did not converge"
    return fitted, "", ""


def _odds_ratio_rows(study: Study, data: pd.DataFrame, rows: _Rows) -> None:
    alpha = float(study.design.get("alpha", 0.05))
    z = float(stats.norm.isf(alpha / 2))
    models = [
        ("univariable", row, [str(row["variable"])]) for _, row in study.univariable.iterrows()
    ]
    terms = list(study.multivariable_terms)
    models += [("multivariable", row, terms) for _, row in study.multivariable.iterrows()]
    for source, row, model_terms in models:
        # a factor's level is reported under its term (race[Black]), as the spec names it
        variable = str(row["term"]) if row["level"] else str(row["variable"])
        fitted, failed_criterion, failure = _fit_or_failure(data, study.outcome, model_terms, study)
        if fitted is None:
            rows.add(
                source,
                variable,
                "odds_ratio",
                float(row["odds_ratio"]),
                math.nan,
                _OR_TOLERANCE,
                failed_criterion,
                False,
                note=failure,
            )
            continue
        coef, se, p_values, dropped, names = fitted
        term = str(row["term"]) if row["term"] in names else str(row["variable"])
        index = names.index(term) + 1
        odds_ratio = math.exp(coef[index])
        low, high = math.exp(coef[index] - z * se[index]), math.exp(coef[index] + z * se[index])
        dropped_note = f"{dropped} row(s) with missing values excluded" if dropped else ""
        contradiction = (
            or_contradiction(study, row) if source == "univariable" and not row["level"] else ""
        )
        note = "; ".join(part for part in (contradiction, dropped_note) if part)
        if contradiction:
            implied = implied_by_table1(study, variable)
            lower = math.exp(implied.log_or_low - _OR_TOLERANCE)
            upper = math.exp(implied.log_or_high + _OR_TOLERANCE)
            ok_or = lower <= odds_ratio <= upper
            criterion = "within 5% of what Table 1 implies"
        else:
            ok_or = _log_ratio_ok(odds_ratio, float(row["odds_ratio"]), _OR_TOLERANCE)
            criterion = "|log ratio| <= 0.05"
        rows.add(
            source,
            variable,
            "odds_ratio",
            float(row["odds_ratio"]),
            odds_ratio,
            _OR_TOLERANCE,
            criterion,
            ok_or,
            note=note,
        )
        for name, value in (("ci_low", low), ("ci_high", high)):
            rows.add(
                source,
                variable,
                name,
                float(row[name]),
                value,
                _CI_TOLERANCE,
                "|log ratio| <= 0.10",
                None if contradiction else _log_ratio_ok(value, float(row[name]), _CI_TOLERANCE),
                note="belongs to a printed OR that contradicts Table 1"
                if contradiction
                else dropped_note,
            )
        if not math.isnan(float(row["p_value"])):
            rows.add(
                source,
                variable,
                "p_value",
                float(row["p_value"]),
                float(p_values[index]),
                alpha,
                f"same side of alpha = {alpha:g}",
                _same_side(float(p_values[index]), float(row["p_value"]), alpha, ""),
                note=note,
            )


def _not_significant_rows(study: Study, data: pd.DataFrame, rows: _Rows) -> None:
    """Entered terms the text does not call independent: their adjusted p must reach alpha."""
    alpha = float(study.design.get("alpha", 0.05))
    terms = list(study.multivariable_terms)
    published = f"≥ {alpha:g} (not reported as independent)"
    for variable in study.multivariable_not_significant:
        fitted, failed_criterion, failure = _fit_or_failure(data, study.outcome, terms, study)
        if fitted is None:
            rows.add(
                "multivariable",
                variable,
                NOT_SIGNIFICANT_STATISTIC,
                alpha,
                math.nan,
                alpha,
                failed_criterion,
                False,
                note=f"published {published}; {failure}",
            )
            continue
        _, _, p_values, dropped, names = fitted
        if variable not in names:
            continue  # a factor has no single adjusted p
        p_value = float(p_values[names.index(variable) + 1])
        dropped_note = f"{dropped} row(s) with missing values excluded" if dropped else ""
        rows.add(
            "multivariable",
            variable,
            NOT_SIGNIFICANT_STATISTIC,
            alpha,
            p_value,
            alpha,
            f"p >= alpha = {alpha:g}",
            p_value >= alpha,
            note="; ".join(part for part in (f"published {published}", dropped_note) if part),
        )


def _screen(study: Study, data: pd.DataFrame, rows: _Rows) -> None:
    threshold = study.screening_threshold
    published = set(study.multivariable_terms)
    for variable in study.candidates:
        if variable not in data.columns:
            continue
        fitted = _fit(data, study.outcome, [variable], study)
        # a factor passes the screen when one of its levels does
        p_value = math.nan if fitted is None else float(np.min(fitted[2][1:]))
        selected = float(p_value < threshold) if math.isfinite(p_value) else math.nan
        table1_p = float(study.cell(variable, "case")["p_value"])
        levelled = str(study.cell(variable, "case")["summary"]) in ("categorical", "ordinal")
        note = "" if levelled else p_contradiction(study, variable, table1_p, threshold)
        expected = float(variable in published)
        if note:
            implied = implied_by_table1(study, variable)
            expected = float(implied.p_high < threshold)
        rows.add(
            "screen",
            variable,
            "selected",
            float(variable in published),
            selected,
            0.0,
            f"univariable Wald p < {threshold:g} (synthetic p = {p_value:.3g})",
            None if math.isnan(selected) else selected == expected,
            note="; ".join(part for part in (note, _sem_note(study, variable)) if part),
        )


def _claims(study: Study, data: pd.DataFrame, rows: _Rows) -> None:
    for name, content in study.text_claims.items():
        statistic = "percent" if name.endswith("_percent") else "count"
        try:
            claim = parse_claim(name, content, study)
        except UnresolvableClaimError as problem:
            value, why = float(content["value"]), str(problem)
            rows.add(
                "text_claim", name, statistic, value, math.nan, 0.0, "evaluated", None, note=why
            )
            continue
        try:
            synthetic = claim_on_data(claim, data, study.outcome)
        except UnresolvableClaimError:
            synthetic = math.nan
        implied = claim_on_table1(claim, study)
        digits = decimal_places(f"{claim.value:g}")
        note, reference = "", f"{claim.value:g}"
        if implied is not None and not matches_printed(implied, reference):
            note = f"Table 1 gives {format_number(implied, 2)}; Table 1 wins"
            reference = f"{implied:.{digits}f}"
        ok = math.isfinite(synthetic) and (
            matches_printed(synthetic, reference)
            or (implied is not None and note != "" and abs(synthetic - implied) < 1e-9)
        )
        rows.add(
            "text_claim",
            name,
            statistic,
            claim.value,
            synthetic,
            0.0 if not claim.percent else 0.5 * 10.0**-digits,
            "rounds or truncates to printed",
            ok,
            note=note,
        )


def _definitions(
    study: Study, data: pd.DataFrame, groups: dict[str, pd.Series], rows: _Rows
) -> None:
    for rule in threshold_columns(study):
        if rule.column in data and rule.variable in data:
            values = _numeric(data, rule.variable)
            flags = _numeric(data, rule.column)
            usable = values.notna() & flags.notna()
            agree = float(((values[usable] < rule.below).astype(float) == flags[usable]).mean())
            rows.add(
                "definition",
                rule.column,
                f"agrees with {rule.variable} < {rule.below:g}",
                1.0,
                agree,
                0.0,
                "all records agree",
                agree == 1.0,
            )
    bounds = outcome_bounds(study)
    if bounds is not None and bounds[0] in data:
        variable, ranges = bounds
        values = _numeric(data, variable)
        for group, (low, high) in ranges.items():
            inside = values[groups[group]].dropna()
            if group == "case":
                share = float((inside < high).mean()) if inside.size else math.nan
                label = f"{variable} < {high:g}"
            else:
                share = (
                    float(((inside >= low) & (inside <= high)).mean()) if inside.size else math.nan
                )
                label = f"{low:g} <= {variable} <= {high:g}"
            rows.add(
                "definition",
                variable,
                f"share with {label}",
                1.0,
                share,
                0.0,
                "all records inside",
                share == 1.0,
                group=group,
            )
    growth = growth_rule(study)
    if growth is not None and all(
        c in data for c in (growth.column, growth.weight, growth.gestational_age, growth.sex)
    ):
        frame = (
            data[[growth.column, growth.weight, growth.gestational_age, growth.sex]]
            .apply(pd.to_numeric, errors="coerce")
            .dropna()
        )
        low, high = GROWTH_REFERENCE_RANGE
        usable = frame[
            (frame[growth.gestational_age] >= low) & (frame[growth.gestational_age] <= high)
        ]
        outside = len(frame) - len(usable)
        cutoff = birthweight_centile_10(
            usable[growth.gestational_age], usable[growth.sex].astype(int)
        )
        agree = float(
            ((usable[growth.weight] < cutoff).astype(float) == usable[growth.column]).mean()
        )
        rows.add(
            "definition",
            growth.column,
            f"agrees with {growth.weight} < INTERGROWTH-21st 10th centile",
            1.0,
            agree,
            0.0,
            "all records agree",
            agree == 1.0,
            note=f"{outside} record(s) outside 24-42+6 weeks not checked" if outside else "",
        )


def fidelity_report(study: Study, data: pd.DataFrame) -> FidelityReport:
    """Set every published number beside the same statistic computed on ``data``.

    Parameters
    ----------
    study : Study
        The published study (:func:`neok2.load_study`).
    data : pandas.DataFrame
        Records in the study's data-dictionary format (synthetic or real); the outcome
        column holds 1 for cases and 0 for controls.

    Returns
    -------
    FidelityReport
        Frozen; ``.tidy()`` gives one row per published number: ``source``
        (``table1``, ``table1_bin``,
        ``table1_test``, ``text_claim``, ``univariable``, ``multivariable``, ``screen``,
        ``definition``), ``variable``, ``group``, ``level``, ``statistic``, ``published``,
        ``synthetic`` (the value on ``data``), ``difference``, ``tolerance``, ``criterion``
        (the rule ``ok`` applies), ``ok`` (nullable boolean; NA where nothing can be
        checked) and ``note`` (why Table 1 wins over a contradicting number, missing
        values excluded, ...).

    Notes
    -----
    Counts must be equal; percentages must round (half-up) or truncate to the printed
    value; means, SDs, medians and quartiles must round to the printed value (quartiles by
    SPSS's definition, R's ``quantile(type = 6)``); odds ratios must lie within 5% on the
    log scale (``|log(OR_data / OR_published)| <= 0.05``), CI limits within 10%; p-values must
    fall on the published side of alpha. A term entered in the multivariable model but not
    reported as an independent factor (``multivariable.not_significant``) gets a row with
    statistic ``p (multivariable)``, ``published`` = alpha and ``ok`` when its adjusted Wald
    p is at least alpha. Odds ratios come from maximum-likelihood logistic
    regression with Wald intervals, as R's ``glm(family = binomial)`` with
    ``confint.default()``; t-tests (pooled variance), Pearson chi-square without continuity
    correction and the asymptotic Mann-Whitney test mirror R's ``t.test(var.equal = TRUE)``,
    ``chisq.test(correct = FALSE)`` and ``wilcox.test(correct = FALSE)``. Rows with missing
    values are excluded per statistic and counted in ``note``.

    References
    ----------
    Hosmer DW, Lemeshow S, Sturdivant RX. Applied Logistic Regression. 3rd ed. Wiley; 2013.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> outcome_only = pd.DataFrame({"deficiency": [1] * 66 + [0] * 134})
    >>> report = fidelity_report(study, outcome_only).tidy()
    >>> report.loc[report["variable"] == "deficiency", ["group", "published", "synthetic"]].head(2)
         group  published  synthetic
    0     case       66.0       66.0
    1  control      134.0      134.0
    """
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a Study (see neok2.load_study), got {type(study).__name__}"
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if study.outcome not in data.columns:
        raise ValueError(
            f"`data` has no outcome column {study.outcome!r}; rename the column holding "
            "1 = case, 0 = control"
        )
    outcome = _numeric(data, study.outcome)
    unknown = ~outcome.isin([0, 1]) & outcome.notna()
    if unknown.any():
        raise ValueError(
            f"`data`: outcome {study.outcome!r} must be 0/1 (1 = case); found "
            f"{sorted(outcome[unknown].unique())[:5]}"
        )
    groups = {"case": outcome == 1, "control": outcome == 0}
    rows = _Rows()
    missing_outcome = int(outcome.isna().sum())
    if missing_outcome:
        rows.add(
            "data",
            study.outcome,
            "missing",
            0.0,
            float(missing_outcome),
            0.0,
            "no missing outcome",
            False,
            note="rows without an outcome are excluded",
        )
    for group in GROUPS:
        rows.add(
            "table1",
            study.outcome,
            "n",
            float(study.groups[group]),
            float(groups[group].sum()),
            0.0,
            "exact",
            float(groups[group].sum()) == float(study.groups[group]),
            group=group,
        )
    _table1(study, data, groups, rows)
    _table1_tests(study, data, groups, rows)
    _claims(study, data, rows)
    _odds_ratio_rows(study, data, rows)
    _not_significant_rows(study, data, rows)
    _screen(study, data, rows)
    _definitions(study, data, groups, rows)
    return FidelityReport(study_id=study.id, rows=rows.frame())


def write_fidelity(report: FidelityReport | pd.DataFrame, path: str | Path) -> Path:
    """Write a fidelity report to CSV atomically (temporary file, then rename).

    Parameters
    ----------
    report : FidelityReport or pandas.DataFrame
        From :func:`fidelity_report` (or its ``.tidy()``).
    path : str or pathlib.Path
        Target ``.csv`` file.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> frame = pd.DataFrame({"source": ["table1"], "ok": [True]})
    >>> write_fidelity(frame, pathlib.Path(tempfile.mkdtemp()) / "f.csv").name
    'f.csv'
    """
    if isinstance(report, FidelityReport):
        report = report.tidy()
    if not isinstance(report, pd.DataFrame):
        raise TypeError(
            f"`report` must be a FidelityReport or a DataFrame, got {type(report).__name__}"
        )
    target = Path(path)
    if target.suffix.lower() != ".csv":
        raise ValueError(f"`path` must name a .csv file, got {str(path)!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(report, target)
    return target
