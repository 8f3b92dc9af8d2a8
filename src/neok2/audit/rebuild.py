"""Rebuild a study's printed tables from one row per subject.

:func:`study_from_data` recomputes Table 1 (with the template's summaries and printed
precision), Table 2 (univariable logistic regression, Wald intervals, three decimals as SPSS
prints them), the p < threshold screen, the multivariable model and the text's figures, and
returns them as a :class:`~neok2.study.spec.Study`, so that the audit can be run on a rebuild
exactly as on the paper.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from neok2.formatting import format_number, format_p, parse_cell
from neok2.stats.two_group import TwoGroupTest, binary_table, printed_test, two_group_test
from neok2.study.claims import UnresolvableClaimError, claim_decimals, claim_on_data, parse_claim
from neok2.study.spec import Study, parse_study

__all__ = ["study_from_data"]

_SUMMARY_FIELDS = {"n_percent": 2, "mean_sd": 2, "median_iqr": 3}


def _decimals(printed: str, summary: str, default: int) -> tuple[int, ...]:
    if printed:
        return parse_cell(printed, summary).decimals
    return (default,) * _SUMMARY_FIELDS[summary]


def _nonzero_text(value: float, digits: int) -> str:
    """``value`` at ``digits`` places, with more places if it would otherwise print as zero."""
    text = format_number(value, digits)
    while float(text) == 0.0 and value != 0.0 and digits < 12:
        digits += 1
        text = format_number(value, digits)
    return text


def _cell(values: pd.Series, summary: str, total: int, decimals: tuple[int, ...]) -> str:
    if summary == "n_percent":
        count = int((values == 1).sum())
        return f"{count} ({format_number(100.0 * count / total, decimals[1])})"
    if summary == "mean_sd":
        mean, sd = float(values.mean()), float(values.std(ddof=1))
        return f"{format_number(mean, decimals[0])}±{format_number(sd, decimals[1])}"
    q1, median, q3 = np.percentile(values.to_numpy(dtype=float), [25, 50, 75], method="weibull")
    return (
        f"{format_number(float(median), decimals[0])} "
        f"({format_number(float(q1), decimals[1])}, {format_number(float(q3), decimals[2])})"
    )


def _table1_p(case: pd.Series, control: pd.Series, test: TwoGroupTest) -> float:
    if test.kind == "categorical":
        table = binary_table(case.to_numpy(), control.to_numpy())
        if (table.sum(axis=0) == 0).any():
            # Chi-square is undefined without both levels; Fisher's exact p is then 1.
            test = two_group_test("fisher")
        return test.on_table(table).p_value
    if test.equal_var is not None and case.std(ddof=1) == 0 and control.std(ddof=1) == 0:
        return 1.0 if case.mean() == control.mean() else 0.0
    return test.on_samples(case.to_numpy(dtype=float), control.to_numpy(dtype=float)).p_value


def _logistic(data: pd.DataFrame, outcome: str, terms: list[str]) -> pd.DataFrame:
    design = sm.add_constant(data[terms].astype(float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(data[outcome].astype(float), design).fit(
            disp=0, method="newton", maxiter=100
        )
    limits = fit.conf_int()
    frame = pd.DataFrame(
        {
            "variable": terms,
            "odds_ratio": np.exp(fit.params[terms].to_numpy()),
            "ci_low": np.exp(limits.loc[terms, 0].to_numpy()),
            "ci_high": np.exp(limits.loc[terms, 1].to_numpy()),
            "p_value": fit.pvalues[terms].to_numpy(),
        }
    )
    finite = np.isfinite(frame[["odds_ratio", "ci_low", "ci_high"]].to_numpy()).all(axis=1)
    degenerate = (frame[["odds_ratio", "ci_low"]] <= 0).any(axis=1) | ~finite
    if degenerate.any():
        names = ", ".join(frame.loc[degenerate, "variable"])
        raise ValueError(
            f"`data`: {names} separate(s) the outcome (nearly) perfectly, so the Wald odds ratio "
            "is undefined; rebuild with a larger or less extreme sample"
        )
    return frame


def _or_rows(frame: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for record in frame.to_dict(orient="records"):
        variable = str(record["variable"])
        low, high = float(record["ci_low"]), float(record["ci_high"])
        rows.append(
            {
                "variable": variable,
                "label": labels.get(variable, variable),
                "or": _nonzero_text(float(record["odds_ratio"]), 3),
                "ci": f"{_nonzero_text(low, 3)}-{_nonzero_text(high, 3)}",
                "p": format_p(float(record["p_value"]), 3),
            }
        )
    return rows


def _check_data(data: pd.DataFrame, template: Study, needed: list[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    absent = [name for name in needed if name not in data.columns]
    if absent:
        raise ValueError(f"`data` lacks the column(s) {', '.join(absent)} that the template needs")
    missing = data[needed].isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        counts = ", ".join(f"{name}: {count}" for name, count in missing.items())
        raise ValueError(
            f"`data` has missing values ({counts}); impute them or drop those rows explicitly "
            "before rebuilding, so that every table uses the same subjects"
        )
    levels = set(pd.unique(data[template.outcome]))
    if not levels <= {0, 1} or len(levels) < 2:
        raise ValueError(
            f"`data`: outcome column {template.outcome!r} must hold both 0 (control) and 1 "
            f"(case), got {sorted(levels)}"
        )


def study_from_data(data: pd.DataFrame, template: Study, *, study_id: str | None = None) -> Study:
    """Recompute a study's printed tables from subject-level data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject with the template's outcome and every Table 1 column, without
        missing values (a missing value raises, naming the column and its count).
    template : Study
        The published study whose layout, summaries, printed precision, screening threshold
        and text claims are rebuilt.
    study_id : str, optional
        Id of the rebuilt study; defaults to ``"<template id>_rebuilt"``.

    Returns
    -------
    Study
        With ``table1`` (cells printed at the template's decimals, p from the two-group test
        the template's ``test`` names, read through its ``design.tests``; see
        :func:`neok2.stats.two_group.printed_test`), ``univariable`` (one
        logistic fit per Table 2 variable and per candidate, OR and Wald CI at 3 decimals),
        ``multivariable`` (the candidates with univariable p below the template's threshold,
        fitted together) and ``text_claims`` recomputed from the data.

    Notes
    -----
    Quartiles use the weighted-average definition of SPSS (R's ``quantile(type = 6)``);
    logistic fits use ``statsmodels.Logit`` with Wald intervals ``exp(b +/- 1.96 SE)`` as R's
    ``confint.default``. Bins are half-open ``[low, high)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neok2.study.spec import parse_study
    >>> template = parse_study({
    ...     "id": "tiny", "outcome": {"column": "y"},
    ...     "groups": {"case": {"label": "case", "n": 3}, "control": {"label": "ctrl", "n": 5}},
    ...     "totals": {"n": 8},
    ...     "table1": [{"variable": "x", "summary": "n_percent", "case": "1 (33.3)",
    ...                 "control": "2 (40.0)", "p": "0.848"}]})
    >>> data = pd.DataFrame({"y": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    ...                      "x": [1, 1, 0, 0, 1, 0, 0, 0, 0, 1]})
    >>> rebuilt = study_from_data(data, template)
    >>> rebuilt.cell("x", "case")["printed"], rebuilt.cell("x", "case")["p_printed"]
    ('2 (50.0)', '0.598')
    """
    if not isinstance(template, Study):
        raise TypeError(f"`template` must be a neok2 Study, got {type(template).__name__}")
    main = template.table1[template.table1["level"] == ""]
    variables = list(dict.fromkeys(main["variable"]))
    _check_data(data, template, [template.outcome, *variables])
    outcome = template.outcome
    cases, controls = data[data[outcome] == 1], data[data[outcome] == 0]
    sizes = {"case": len(cases), "control": len(controls)}
    parts = {"case": cases, "control": controls}

    printed_labels = main.drop_duplicates("variable")["label"].str.strip().str.lower()
    repeated = set(
        main.drop_duplicates("variable").loc[printed_labels.duplicated(keep=False), "variable"]
    )
    display = template.display_labels()
    table1: list[dict[str, Any]] = []
    table1_p: dict[str, float] = {}
    for variable in variables:
        rows = main[main["variable"] == variable].set_index("group")
        summary, test = str(rows.loc["case", "summary"]), str(rows.loc["case", "test"])
        entry: dict[str, Any] = {
            "variable": variable,
            # A label the paper printed twice is replaced by the dictionary's description.
            "label": display[variable] if variable in repeated else str(rows.loc["case", "label"]),
            "summary": summary,
            "test": test,
            "candidate": bool(rows.loc["case", "candidate"]),
        }
        for group in ("case", "control"):
            decimals = _decimals(str(rows.loc[group, "printed"]), summary, 1)
            entry[group] = _cell(parts[group][variable], summary, sizes[group], decimals)
        computed = printed_test(test, summary, declared=template.design.get("tests"))[0]
        table1_p[variable] = _table1_p(cases[variable], controls[variable], computed)
        entry["p"] = format_p(table1_p[variable], 3)
        bins = template.table1[
            (template.table1["variable"] == variable) & (template.table1["level"] != "")
        ]
        entry["bins"] = []
        for level in dict.fromkeys(bins["level"]):
            bin_rows = bins[bins["level"] == level].set_index("group")
            low, high = bin_rows.loc["case", "low"], bin_rows.loc["case", "high"]
            inside = pd.Series(True, index=data.index)
            if pd.notna(low):
                inside &= data[variable] >= low
            if pd.notna(high):
                inside &= data[variable] < high
            level_entry: dict[str, Any] = {"level": level}
            if pd.notna(low):
                level_entry["low"] = float(low)
            if pd.notna(high):
                level_entry["high"] = float(high)
            for group in ("case", "control"):
                decimals = _decimals(str(bin_rows.loc[group, "printed"]), "n_percent", 1)
                count = int(inside[parts[group].index].sum())
                level_entry[group] = (
                    f"{count} ({format_number(100.0 * count / sizes[group], decimals[1])})"
                )
            entry["bins"].append(level_entry)
        table1.append(entry)

    labels = {entry["variable"]: entry["label"] for entry in table1}
    labels.update(
        dict(zip(template.univariable["variable"], template.univariable["label"], strict=True))
    )
    candidates = list(template.candidates)
    univariable_fits = pd.concat(
        [_logistic(data, outcome, [name]) for name in candidates]
        or [pd.DataFrame(columns=["variable", "odds_ratio", "ci_low", "ci_high", "p_value"])],
        ignore_index=True,
    )
    threshold = template.screening_threshold
    entered = [
        name
        for name, p in zip(univariable_fits["variable"], univariable_fits["p_value"], strict=True)
        if p < threshold
    ]
    shown = set(template.univariable["variable"]) | set(entered)
    shown |= {name for name in candidates if table1_p[name] < threshold}
    extra = [name for name in template.univariable["variable"] if name not in candidates]
    _check_data(data, template, extra)
    extra_fits = [_logistic(data, outcome, [name]) for name in extra]
    table2 = pd.concat([univariable_fits, *extra_fits], ignore_index=True)
    table2 = table2[table2["variable"].isin(shown)]

    multivariable_labels = dict(labels)
    multivariable_labels.update(
        dict(zip(template.multivariable["variable"], template.multivariable["label"], strict=True))
    )
    reported = _logistic(data, outcome, entered) if entered else None

    claims: dict[str, dict[str, Any]] = {}
    unrecomputable: list[str] = []
    for name, claim in template.text_claims.items():
        singular = name.removesuffix("s")
        places = claim_decimals(float(claim["value"]))
        if singular in ("male", "female") and "male" in data.columns:
            value = float((data["male"] == (1 if singular == "male" else 0)).sum())
        else:
            try:
                value = claim_on_data(parse_claim(name, claim, template), data, outcome)
            except UnresolvableClaimError as reason:
                raise ValueError(f"`template` text claim {name!r}: {reason}") from None
        if math.isnan(value):
            unrecomputable.append(name)
            continue
        printed = format_number(value, places)
        claims[name] = {
            "value": float(printed),
            "printed": printed,
            "refers_to": str(claim["refers_to"]),
        }

    totals: dict[str, Any] = {"n": len(data)}
    if template.totals.get("male") is not None and "male" in data.columns:
        totals["male"] = int((data["male"] == 1).sum())
        totals["female"] = len(data) - totals["male"]
    design = {
        key: (dict(value) if isinstance(value, dict) else value)
        for key, value in template.design.items()
    }
    if design.get("window") is None:
        design.pop("window", None)
    spec = {
        "id": study_id or f"{template.id}_rebuilt",
        "title": template.title,
        "source": f"rebuilt from {len(data)} subjects by neok2.audit.run.study_from_data"
        + (
            f"; text claims left out because their subset is empty: {', '.join(unrecomputable)}"
            if unrecomputable
            else ""
        ),
        "design": design,
        "outcome": {"column": outcome},
        "groups": {
            group: {"label": template.group_labels[group], "n": sizes[group]}
            for group in ("case", "control")
        },
        "totals": totals,
        "definitions": {key: dict(value) for key, value in template.definitions.items()},
        "screening": {"threshold": threshold},
        "table1": table1,
        "univariable": _or_rows(table2, labels),
        "multivariable": {
            "terms_entered": entered,
            "reported": [] if reported is None else _or_rows(reported, multivariable_labels),
        },
        "text_claims": claims,
        "columns": [column.model_dump() for column in template.columns],
    }
    return parse_study(spec)
