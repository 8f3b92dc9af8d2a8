"""The audit's check families; each returns one record per check run, passed or not."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
from scipy import stats

from neok2.formatting import decimal_places, format_number, format_p, parse_cell
from neok2.stats.printed import (
    Interval,
    TwoByTwo,
    discriminant_odds_ratio,
    overlaps,
    p_interval,
    printed_interval,
    rounding_interval,
    truncation_interval,
    two_by_two,
    wald_p_from_ci,
    wald_p_range_from_ci,
)
from neok2.stats.summaries import mean_sd_intervals, spread_readings, t_p_points, t_p_ranges
from neok2.study.claims import (
    UnresolvableClaimError,
    claim_decimals,
    count_range,
    outcome_rule,
    parse_claim,
    percent_range,
)
from neok2.study.spec import Study

__all__ = ["CHECK_FAMILIES", "FINDING_COLUMNS", "run_checks"]

FINDING_COLUMNS = [
    "check",
    "location",
    "reported",
    "recomputed",
    "recomputed_low",
    "recomputed_high",
    "severity",
    "message",
    "variable",
]

Record = dict[str, Any]


def _record(
    check: str,
    location: str,
    reported: str,
    recomputed: str,
    severity: str,
    message: str,
    *,
    low: float = math.nan,
    high: float = math.nan,
    variable: str = "",
) -> Record:
    return {
        "check": check,
        "location": location,
        "reported": reported,
        "recomputed": recomputed,
        "recomputed_low": float(low),
        "recomputed_high": float(high),
        "severity": severity,
        "message": message,
        "variable": variable,
    }


def _show_p(p: float) -> str:
    if math.isnan(p):
        return "NA"
    return format_p(p, 4)


def _show_range(interval: Interval, show: Callable[[float], str]) -> str:
    low, high = show(interval.low), show(interval.high)
    return low if low == high else f"{low}-{high}"


def _main_rows(study: Study) -> pd.DataFrame:
    frame = study.table1
    return frame[(frame["level"] == "") & (frame["group"] == "case")]


class _CellIndex:
    """Table 1 cells keyed by ``(variable, group, level)`` for the table seen last.

    The check families look cells up hundreds of times per audit; filtering the DataFrame
    each time dominated the run time, so the last table's rows are kept as a dictionary and
    rebuilt whenever a different table arrives.
    """

    def __init__(self) -> None:
        self._table: pd.DataFrame | None = None
        self._cells: dict[tuple[str, str, str], dict[Any, Any]] = {}

    def get(self, study: Study, variable: str, group: str, level: str) -> dict[Any, Any]:
        if study.table1 is not self._table:
            records = study.table1.to_dict(orient="records")
            self._cells = {
                (str(r["variable"]), str(r["group"]), str(r["level"])): r for r in records
            }
            self._table = study.table1
        try:
            return self._cells[(variable, group, level)]
        except KeyError:
            raise KeyError(
                f"no Table 1 entry for variable={variable!r}, group={group!r}, level={level!r}"
            ) from None


_CELLS = _CellIndex()


def _cell(study: Study, variable: str, group: str, level: str = "") -> Any:
    return _CELLS.get(study, variable, group, level)


def _exposure_table(
    study: Study, exposed_cases: int, exposed_controls: int, *, level: float = 0.95
) -> TwoByTwo:
    """2x2 table of a binary row: the unexposed are the rest of each group."""
    return two_by_two(
        exposed_cases,
        study.groups["case"] - exposed_cases,
        exposed_controls,
        study.groups["control"] - exposed_controls,
        level=level,
    )


def _binary_variables(study: Study) -> set[str]:
    rows = _main_rows(study)
    return set(rows.loc[rows["summary"] == "n_percent", "variable"])


def _significance_flips(printed: Interval, recomputed: list[Interval], alpha: float) -> bool:
    """True when every recomputed p sits on the other side of alpha from the printed p."""
    if printed.high < alpha:
        return all(interval.low >= alpha for interval in recomputed)
    if printed.low >= alpha:
        return all(interval.high < alpha for interval in recomputed)
    return False


def _or_tables(study: Study) -> Iterator[tuple[str, pd.Series]]:
    for name, frame in (("Table 2", study.univariable), ("Multivariable", study.multivariable)):
        for _, row in frame.iterrows():
            yield name, row


def _or_intervals(row: pd.Series) -> tuple[Interval, Interval, Interval]:
    if row["ci_printed"]:
        low_text, high_text = re.split(
            r"\s*(?:-|–|,|to)\s*", str(row["ci_printed"]).strip(), maxsplit=1
        )
    else:
        low_text = high_text = ""
    return (
        printed_interval(str(row["or_printed"]), float(row["odds_ratio"])),
        printed_interval(low_text, float(row["ci_low"])),
        printed_interval(high_text, float(row["ci_high"])),
    )


def _or_reported(row: pd.Series) -> str:
    odds_ratio = row["or_printed"] or repr(float(row["odds_ratio"]))
    ci = row["ci_printed"] or f"{row['ci_low']!r}-{row['ci_high']!r}"
    return f"{odds_ratio} ({ci})"


# ----------------------------------------------------------------------------- percentages


def check_percentages(study: Study, **_options: Any) -> list[Record]:
    frame = study.table1
    records = []
    for _, cell in frame[frame["summary"] == "n_percent"].iterrows():
        if cell["printed"]:
            parsed = parse_cell(str(cell["printed"]), "n_percent")
            printed_percent, decimals = parsed.values[1], parsed.decimals[1]
            reported = str(cell["printed"])
        elif pd.notna(cell["percent"]):
            printed_percent = float(cell["percent"])
            decimals = claim_decimals(printed_percent)
            reported = f"{cell['n']} ({cell['percent']!r})"
        else:
            continue
        total = study.groups[cell["group"]]
        count = int(cell["n"])
        exact = 100.0 * count / total
        where = f"Table 1 / {cell['label']}" + (f" / {cell['level']}" if cell["level"] else "")
        location = f"{where} / {cell['group']} %"
        recomputed = f"{count}/{total} = {format_number(exact, decimals + 2)}%"
        rounded = rounding_interval(printed_percent, decimals)
        if rounded.contains(exact):
            severity = "ok"
            message = f"The percentage matches {count} of {total} after rounding."
        elif truncation_interval(printed_percent, decimals).contains(exact):
            severity = "note"
            message = (
                f"{count} of {total} is {format_number(exact, decimals + 2)}%, which rounds to "
                f"{format_number(exact, decimals)}; the printed value truncates it instead."
            )
        else:
            severity = "error"
            fitting = [k for k in range(total + 1) if rounded.contains(100.0 * k / total)]
            if fitting:
                shown_percent = format_number(printed_percent, decimals)
                alternative = (
                    f"a count of {' or '.join(map(str, fitting))} would print {shown_percent}%"
                )
            else:
                alternative = f"no count out of {total} gives this percentage"
            message = (
                f"{count} of {total} is {format_number(exact, decimals + 2)}%, not the printed "
                f"{format_number(printed_percent, decimals)}% under rounding or truncation; "
                f"{alternative}."
            )
        records.append(
            _record(
                "percent",
                location,
                reported,
                recomputed,
                severity,
                message,
                low=exact,
                high=exact,
                variable=cell["variable"],
            )
        )
    return records


# ----------------------------------------------------------------------------- totals, claims


def _sex_counts(study: Study) -> dict[str, int] | None:
    if "male" in _binary_variables(study):
        male = sum(int(_cell(study, "male", group)["n"]) for group in ("case", "control"))
        return {"male": male, "female": study.n - male}
    if "female" in _binary_variables(study):
        female = sum(int(_cell(study, "female", group)["n"]) for group in ("case", "control"))
        return {"male": study.n - female, "female": female}
    return None


def check_totals(study: Study, **_options: Any) -> list[Record]:
    counts = _sex_counts(study)
    records = []
    for sex in ("male", "female"):
        stated = study.totals.get(sex)
        if stated is None or counts is None:
            continue
        table = counts[sex]
        ok = int(stated) == table
        message = (
            f"The stated number of {sex}s equals the Table 1 sex row summed over both groups."
            if ok
            else f"{stated} {sex}s are stated, but the Table 1 sex row sums to {table}."
        )
        records.append(
            _record(
                "totals",
                f"Totals / {sex}",
                str(stated),
                str(table),
                "ok" if ok else "error",
                message,
                low=table,
                high=table,
                variable=sex,
            )
        )
    return records


def _claim_interval(value: float, kind: str) -> tuple[Interval, Interval]:
    if kind == "count":
        return Interval(value, value), Interval(value, value)
    decimals = claim_decimals(value)
    return rounding_interval(value, decimals), truncation_interval(value, decimals)


def _undetectable_mean_check(
    study: Study, name: str, value: float, variable: str, threshold: float
) -> Record | None:
    """A count below a threshold under the case cut-off bounds the cases' mean."""
    rule = outcome_rule(study)
    frame = study.table1
    hit = frame[
        (frame["variable"] == variable)
        & (frame["group"] == "case")
        & (frame["level"] == "")
        & (frame["summary"] == "mean_sd")
    ]
    if rule is None or hit.empty or threshold >= rule[1]:
        return None
    try:
        minimum = study.column(variable).min
    except KeyError:
        return None
    if minimum is None:
        return None
    size, below = study.groups["case"], value
    low = (below * minimum + (size - below) * threshold) / size
    high = (below * threshold + (size - below) * rule[1]) / size
    mean, _ = mean_sd_intervals(hit.iloc[0])
    ok = overlaps(mean, Interval(low, high))
    shown = f"{format_number(low, 4)}-{format_number(high, 4)}"
    message = (
        f"With {int(below)} of {size} cases below {threshold:g} and the rest below {rule[1]:g}, "
        f"the cases' mean must lie in {shown}"
        + ("; the printed mean does." if ok else "; the printed mean does not.")
    )
    return _record(
        "text_claim",
        f"Text / {name} / vs case mean",
        str(hit.iloc[0]["printed"] or hit.iloc[0]["mean"]),
        shown,
        "ok" if ok else "error",
        message,
        low=low,
        high=high,
        variable=variable,
    )


def check_text_claims(study: Study, **_options: Any) -> list[Record]:
    records = []
    sex_counts = _sex_counts(study)
    for name, claim in study.text_claims.items():
        value = float(claim["value"])
        reported = str(claim["printed"] or format_number(value, claim_decimals(value)))
        location = f"Text / {name}"
        singular = name.removesuffix("s")
        if singular in ("male", "female") and sex_counts is not None:
            table = sex_counts[singular]
            ok = value == table
            records.append(
                _record(
                    "text_claim",
                    location,
                    reported,
                    str(table),
                    "ok" if ok else "error",
                    f"The text's {singular} count {'equals' if ok else 'differs from'} the Table 1 "
                    f"sex row ({table}).",
                    low=table,
                    high=table,
                    variable=singular,
                )
            )
            continue
        try:
            query = parse_claim(name, str(claim["refers_to"] or name))
            if query.kind == "count" and query.among is None:
                low = float(
                    sum(count_range(study, query.subset, g)[0] for g in ("case", "control"))
                )
                high = float(
                    sum(count_range(study, query.subset, g)[1] for g in ("case", "control"))
                )
                shown = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            else:
                low, high = percent_range(study, query)
                shown = (
                    format_number(low, 2)
                    if low == high
                    else f"{format_number(low, 2)}-{format_number(high, 2)}"
                ) + "%"
        except UnresolvableClaimError as reason:
            records.append(
                _record(
                    "text_claim",
                    location,
                    reported,
                    "not recomputable",
                    "note",
                    f"The claim cannot be recomputed from the tables: {reason}.",
                )
            )
            continue
        rounded, truncated = _claim_interval(value, query.kind)
        recomputed = Interval(float(low), float(high))
        refers = claim["refers_to"] or name
        if overlaps(rounded, recomputed):
            severity, message = "ok", f"The text's figure for {refers} agrees with the tables."
        elif overlaps(truncated, recomputed):
            severity = "note"
            message = f"The text's figure for {refers} matches the tables only by truncation."
        else:
            severity = "error"
            message = f"The text states {reported} for {refers}, but the tables give {shown}."
        records.append(
            _record(
                "text_claim",
                location,
                reported,
                shown,
                severity,
                message,
                low=low,
                high=high,
                variable=query.subset.variable,
            )
        )
        if query.kind == "count" and query.subset.operator in ("<", "<=") and query.among is None:
            extra = _undetectable_mean_check(
                study, name, value, query.subset.variable, float(query.subset.threshold or 0.0)
            )
            if extra is not None:
                records.append(extra)
    return records


def check_bin_means(study: Study, **_options: Any) -> list[Record]:
    frame = study.table1
    records = []
    for _, main in frame[(frame["summary"] == "mean_sd") & (frame["level"] == "")].iterrows():
        bins = frame[
            (frame["variable"] == main["variable"])
            & (frame["group"] == main["group"])
            & (frame["level"] != "")
        ]
        if bins.empty:
            continue
        try:
            column = study.column(str(main["variable"]))
            minimum, maximum = column.min, column.max
        except KeyError:
            minimum = maximum = None
        lows = bins["low"].fillna(-math.inf if minimum is None else minimum).astype(float)
        highs = bins["high"].fillna(math.inf if maximum is None else maximum).astype(float)
        counts = bins["n"].astype(float)
        size = study.groups[main["group"]]
        low, high = float((lows * counts).sum() / size), float((highs * counts).sum() / size)
        if not (math.isfinite(low) and math.isfinite(high)):
            continue
        mean, _ = mean_sd_intervals(main)
        ok = overlaps(mean, Interval(low, high))
        shown = f"{format_number(low, 3)}-{format_number(high, 3)}"
        message = (
            f"The bin counts allow a {main['group']} mean between {shown}; the printed mean "
            + ("lies inside." if ok else "lies outside.")
        )
        records.append(
            _record(
                "bin_mean",
                f"Table 1 / {main['label']} / {main['group']} mean",
                str(main["printed"] or main["mean"]),
                shown,
                "ok" if ok else "error",
                message,
                low=low,
                high=high,
                variable=main["variable"],
            )
        )
    return records


# ----------------------------------------------------------------------------- odds ratios


def check_or_from_counts(
    study: Study, *, ci_method: str, level: float, **_options: Any
) -> list[Record]:
    binary = _binary_variables(study)
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for _, row in study.univariable.iterrows():
        variable = row["variable"]
        if variable not in binary:
            continue
        exposed_cases = int(_cell(study, variable, "case")["n"])
        exposed_controls = int(_cell(study, variable, "control")["n"])
        table = _exposure_table(study, exposed_cases, exposed_controls, level=level)
        where = f"Table 2 / {row['label']}"
        counts = (
            f"{exposed_cases}/{study.groups['case']} vs "
            f"{exposed_controls}/{study.groups['control']}"
        )
        if math.isnan(table.odds_ratio):
            records.append(
                _record(
                    "or_from_counts",
                    f"{where} / OR",
                    _or_reported(row),
                    "undefined",
                    "note",
                    f"A zero cell in {counts} leaves the Woolf odds ratio undefined.",
                    variable=variable,
                )
            )
            continue
        odds_ratio, ci_low, ci_high = _or_intervals(row)
        ok = odds_ratio.contains(table.odds_ratio)
        records.append(
            _record(
                "or_from_counts",
                f"{where} / OR",
                row["or_printed"] or repr(row["odds_ratio"]),
                format_number(table.odds_ratio, 3),
                "ok" if ok else failure,
                f"The 2x2 odds ratio from Table 1's counts ({counts}) is "
                f"{format_number(table.odds_ratio, 3)}"
                + ("." if ok else f", not the printed {row['or_printed'] or row['odds_ratio']}."),
                low=table.odds_ratio,
                high=table.odds_ratio,
                variable=variable,
            )
        )
        low_ok, high_ok = ci_low.contains(table.ci_low), ci_high.contains(table.ci_high)
        shown = f"{format_number(table.ci_low, 3)}-{format_number(table.ci_high, 3)}"
        if low_ok and high_ok:
            message = f"The Woolf interval from the counts is {shown}, as printed."
        else:
            if not (low_ok or high_ok):
                wrong = "both printed limits differ"
            else:
                wrong = f"the printed {'upper' if low_ok else 'lower'} limit differs"
            message = f"The Woolf interval from the counts is {shown}; {wrong}."
        records.append(
            _record(
                "or_from_counts",
                f"{where} / 95% CI",
                row["ci_printed"] or f"{row['ci_low']}-{row['ci_high']}",
                shown,
                "ok" if low_ok and high_ok else failure,
                message,
                low=table.ci_low,
                high=table.ci_high,
                variable=variable,
            )
        )
        if row["p_printed"]:
            ok = p_interval(str(row["p_printed"])).contains(table.wald_p)
            records.append(
                _record(
                    "or_from_counts",
                    f"{where} / p",
                    str(row["p_printed"]),
                    _show_p(table.wald_p),
                    "ok" if ok else failure,
                    f"The Wald p of the 2x2 log odds ratio is {_show_p(table.wald_p)}"
                    + ("." if ok else ", which the printed p does not round from."),
                    low=table.wald_p,
                    high=table.wald_p,
                    variable=variable,
                )
            )
    return records


def check_ci_symmetry(study: Study, *, ci_method: str, **_options: Any) -> list[Record]:
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for table, row in _or_tables(study):
        odds_ratio, ci_low, ci_high = _or_intervals(row)
        centre = math.sqrt(float(row["ci_low"]) * float(row["ci_high"]))
        compatible = Interval(
            math.sqrt(max(ci_low.low, 0.0) * ci_high.low), math.sqrt(ci_low.high * ci_high.high)
        )
        ok = overlaps(odds_ratio, compatible)
        message = f"The geometric mean of the printed limits is {format_number(centre, 3)}" + (
            ", matching the odds ratio."
            if ok
            else ", so the interval is not symmetric around the odds ratio on the log scale."
        )
        records.append(
            _record(
                "ci_symmetry",
                f"{table} / {row['label']} / OR vs 95% CI",
                _or_reported(row),
                format_number(centre, 3),
                "ok" if ok else failure,
                message,
                low=compatible.low,
                high=compatible.high,
                variable=row["variable"],
            )
        )
    return records


def check_ci_p(study: Study, *, ci_method: str, level: float, **_options: Any) -> list[Record]:
    failure = "error" if ci_method == "wald" else "warning"
    records = []
    for table, row in _or_tables(study):
        if not row["p_printed"]:
            continue
        odds_ratio, ci_low, ci_high = _or_intervals(row)
        point = wald_p_from_ci(
            float(row["odds_ratio"]), float(row["ci_low"]), float(row["ci_high"]), level=level
        )
        compatible = wald_p_range_from_ci(odds_ratio, ci_low, ci_high, level=level)
        printed = p_interval(str(row["p_printed"]))
        ok = overlaps(printed, compatible)
        shown = f"{_show_p(point)} ({_show_range(compatible, _show_p)})"
        message = f"The p implied by the OR and its interval is {_show_p(point)}" + (
            "." if ok else ", which the printed p does not round from."
        )
        if not ok:
            quantile = float(stats.norm.ppf(0.5 + level / 2))
            log_or = math.log(float(row["odds_ratio"]))
            halves = {
                "lower": (log_or - math.log(float(row["ci_low"]))) / quantile,
                "upper": (math.log(float(row["ci_high"])) - log_or) / quantile,
            }
            for half, standard_error in halves.items():
                if standard_error > 0:
                    half_p = 2 * float(stats.norm.sf(abs(log_or) / standard_error))
                    if printed.contains(half_p):
                        message += (
                            f" The {half} half of the interval alone gives {_show_p(half_p)}."
                        )
        records.append(
            _record(
                "ci_p",
                f"{table} / {row['label']} / p vs 95% CI",
                f"{row['p_printed']} with {_or_reported(row)}",
                shown,
                "ok" if ok else failure,
                message,
                low=compatible.low,
                high=compatible.high,
                variable=row["variable"],
            )
        )
    return records


# ----------------------------------------------------------------------------- Table 1 p


def _t_cells(study: Study, variable: str) -> tuple[dict[Any, Any], dict[Any, Any], int, int]:
    return (
        _cell(study, variable, "case"),
        _cell(study, variable, "control"),
        study.groups["case"],
        study.groups["control"],
    )


def check_table1_p(study: Study, *, alpha: float, **_options: Any) -> list[Record]:
    records = []
    for _, row in _main_rows(study).iterrows():
        if not row["p_printed"]:
            continue
        variable, label = row["variable"], row["label"]
        location = f"Table 1 / {label} / p"
        printed = p_interval(str(row["p_printed"]))
        reported = str(row["p_printed"])
        if row["summary"] == "median_iqr":
            records.append(
                _record(
                    "table1_p",
                    location,
                    reported,
                    "not recomputable",
                    "note",
                    "A Mann-Whitney p needs the ranks, so it cannot be recomputed from medians and "
                    "quartiles.",
                    variable=variable,
                )
            )
            continue
        if row["summary"] == "n_percent":
            exposed_cases = int(row["n"])
            exposed_controls = int(_cell(study, variable, "control")["n"])
            table = _exposure_table(study, exposed_cases, exposed_controls)
            variants = {
                "Pearson": table.pearson_p,
                "Yates": table.yates_p,
                "Fisher": table.fisher_p,
            }
            ranges = {name: Interval(p, p) for name, p in variants.items() if not math.isnan(p)}
            stated = ("Fisher",) if "fisher" in str(row["test"]).lower() else ("Pearson", "Yates")
        else:
            cells = _t_cells(study, variable)
            ranges = t_p_ranges(*cells, scale_by_root_n=False)
            variants = t_p_points(*cells, scale_by_root_n=False)
            stated = ("Student", "Welch")
        matching = [name for name, interval in ranges.items() if overlaps(printed, interval)]
        shown = ", ".join(
            f"{name} {_show_p(variants[name])}"
            + (
                ""
                if ranges[name].low == ranges[name].high
                else f" ({_show_range(ranges[name], _show_p)})"
            )
            for name in ranges
        )
        everything = Interval(
            min(i.low for i in ranges.values()), max(i.high for i in ranges.values())
        )
        if any(name in stated for name in matching):
            severity = "ok"
            message = f"The printed p is reproduced by the {' and '.join(matching)} test."
        elif matching:
            severity = "note"
            message = (
                f"The printed p matches the {' and '.join(matching)} test rather than the stated "
                f"{row['test'] or 'test'}."
            )
        else:
            flips = _significance_flips(printed, list(ranges.values()), alpha)
            severity = "error" if flips else "warning"
            message = "No standard test reproduces the printed p from the printed summaries" + (
                f", and the conclusion at alpha {alpha:g} changes." if flips else "."
            )
        records.append(
            _record(
                "table1_p",
                location,
                reported,
                shown,
                severity,
                message,
                low=everything.low,
                high=everything.high,
                variable=variable,
            )
        )
    return records


def check_sd_or_sem(study: Study, **_options: Any) -> list[Record]:
    records = []
    for _, row in _main_rows(study).iterrows():
        if row["summary"] != "mean_sd" or not row["p_printed"]:
            continue
        variable = row["variable"]
        readings = spread_readings(*_t_cells(study, variable), str(row["p_printed"]))
        as_sem, sem_points = readings.as_sem, readings.sem_points
        sd_fits, sem_fits = readings.sd_fits, readings.sem_fits
        shown = (
            f"as SEM: Student {_show_p(sem_points['Student'])}, "
            f"Welch {_show_p(sem_points['Welch'])}"
        )
        if sd_fits:
            severity = "ok"
            message = "Read as SDs, the spreads reproduce the printed p" + (
                " (read as SEMs they would too)." if sem_fits else "."
            )
        elif sem_fits:
            severity = "error"
            message = (
                "Read as SDs the spreads cannot give the printed p, but read as standard errors "
                "(SD = SEM x sqrt(n)) they do: the column is probably SEM, not SD."
            )
        else:
            severity = "warning"
            message = "Neither the SD nor the SEM reading of the spreads reproduces the printed p."
        low = min(i.low for i in as_sem.values())
        high = max(i.high for i in as_sem.values())
        records.append(
            _record(
                "sd_or_sem",
                f"Table 1 / {row['label']} / SD",
                f"{row['printed'] or row['mean']} vs "
                f"{_cell(study, variable, 'control')['printed']}, p {row['p_printed']}",
                shown,
                severity,
                message,
                low=low,
                high=high,
                variable=variable,
            )
        )
    return records


# ----------------------------------------------------------------------------- direction


def check_direction(study: Study, **_options: Any) -> list[Record]:
    rows = _main_rows(study).set_index("variable")
    records = []
    for _, row in study.univariable.iterrows():
        variable = row["variable"]
        if variable not in rows.index:
            continue
        odds_ratio, _, _ = _or_intervals(row)
        location = f"Table 2 / {row['label']} / OR direction"
        above = None if odds_ratio.contains(1.0) else odds_ratio.low > 1.0
        summary = rows.loc[variable, "summary"]
        case, control = _cell(study, variable, "case"), _cell(study, variable, "control")
        severity_on_conflict = "error"
        recomputed_value = math.nan
        if summary == "n_percent":
            case_share = int(case["n"]) / study.groups["case"]
            control_share = int(control["n"]) / study.groups["control"]
            difference = Interval(case_share - control_share, case_share - control_share)
            described = (
                f"case {format_number(100 * case_share, 1)}% vs control "
                f"{format_number(100 * control_share, 1)}%"
            )
            recomputed_value = _exposure_table(study, int(case["n"]), int(control["n"])).odds_ratio
        elif summary == "mean_sd":
            mean_case, _ = mean_sd_intervals(case)
            mean_control, _ = mean_sd_intervals(control)
            difference = Interval(
                mean_case.low - mean_control.high, mean_case.high - mean_control.low
            )
            described = (
                f"case mean {case['printed'] or case['mean']} vs "
                f"control {control['printed'] or control['mean']}"
            )
            recomputed_value = discriminant_odds_ratio(
                float(case["mean"]),
                float(case["sd"]),
                study.groups["case"],
                float(control["mean"]),
                float(control["sd"]),
                study.groups["control"],
            )
        else:
            gap = float(case["median"]) - float(control["median"])
            difference = Interval(gap, gap)
            described = f"case median {case['median']:g} vs control {control['median']:g}"
            # Medians need not move with the logistic slope, which follows the means.
            severity_on_conflict = "note"
        shown = (
            described
            if math.isnan(recomputed_value)
            else f"{described}; OR about {format_number(recomputed_value, 3)}"
        )
        if above is None or difference.contains(0.0) or (difference.low < 0 < difference.high):
            severity = "ok"
            message = (
                "The direction cannot be contradicted: the OR or the group difference is "
                "compatible with no effect."
            )
        elif (difference.low > 0) == above:
            severity = "ok"
            message = "The odds ratio points the same way as the Table 1 difference."
        else:
            severity = severity_on_conflict
            message = (
                f"The printed OR {'exceeds' if above else 'is below'} 1, but Table 1 has "
                f"{described}, so the univariable OR should lie on the other side of 1"
                + (
                    " (perhaps the outcome or the variable was coded in reverse)."
                    if severity == "error"
                    else "; medians only suggest the direction."
                )
            )
        records.append(
            _record(
                "direction",
                location,
                str(row["or_printed"] or row["odds_ratio"]),
                shown,
                severity,
                message,
                low=recomputed_value,
                high=recomputed_value,
                variable=variable,
            )
        )
    return records


# ----------------------------------------------------------------------------- conventions


def _p_rows(study: Study) -> Iterator[tuple[str, str, str, str]]:
    for _, row in _main_rows(study).iterrows():
        if row["p_printed"]:
            yield "Table 1", str(row["label"]), str(row["variable"]), str(row["p_printed"])
    for table, row in _or_tables(study):
        if row["p_printed"]:
            yield table, str(row["label"]), str(row["variable"]), str(row["p_printed"])


def _p_decimals(printed: str) -> int:
    return decimal_places(printed.lstrip("<>=").strip())


def _describe(study: Study, variable: str) -> str:
    try:
        column = study.column(variable)
    except KeyError:
        return variable
    return column.description + (f" ({column.unit})" if column.unit else "") or variable


def check_reporting(study: Study, **_options: Any) -> list[Record]:
    records = []
    rows = list(_p_rows(study))
    for table, label, variable, printed in rows:
        if not printed.startswith("<") and float(printed.lstrip(">=")) == 0.0:
            records.append(
                _record(
                    "reporting",
                    f"{table} / {label} / p",
                    printed,
                    f"<{format_number(10.0 ** -_p_decimals(printed), _p_decimals(printed))}",
                    "warning",
                    "A p-value cannot be zero; it should be printed as below the smallest "
                    "printable value.",
                    low=0.0,
                    high=0.5 * 10.0 ** -_p_decimals(printed),
                    variable=variable,
                )
            )
    for table in dict.fromkeys(table for table, *_ in rows):
        decimals = Counter(_p_decimals(p) for t, _, _, p in rows if t == table)
        usual = decimals.most_common(1)[0][0]
        for t, label, variable, printed in rows:
            if t == table and _p_decimals(printed) != usual:
                records.append(
                    _record(
                        "reporting",
                        f"{table} / {label} / p",
                        printed,
                        f"{usual} decimals",
                        "note",
                        f"This p has {_p_decimals(printed)} decimal places while {table} prints "
                        f"{usual} elsewhere.",
                        variable=variable,
                    )
                )
    main = _main_rows(study)
    seen: dict[str, str] = {}
    for _, row in main.iterrows():
        label = str(row["label"]).strip().lower()
        if label in seen:
            records.append(
                _record(
                    "reporting",
                    f"Table 1 / {row['label']} / label",
                    str(row["label"]),
                    _describe(study, row["variable"]),
                    "warning",
                    f"The label is printed twice (also for {seen[label]}); this row describes "
                    f"{_describe(study, row['variable'])}.",
                    variable=row["variable"],
                )
            )
        else:
            seen[label] = str(row["variable"])
    signatures: dict[tuple[str, str, str], str] = {}
    for _, row in main.iterrows():
        control = _cell(study, row["variable"], "control")
        signature = (str(row["printed"]), str(control["printed"]), str(row["p_printed"]))
        if row["printed"] and signature in signatures:
            records.append(
                _record(
                    "reporting",
                    f"Table 1 / {row['label']} / row",
                    " | ".join(signature),
                    f"same as {signatures[signature]}",
                    "warning",
                    f"Every cell and the p repeat the {signatures[signature]} row, which "
                    "suggests a copied row.",
                    variable=row["variable"],
                )
            )
        else:
            signatures[signature] = str(row["variable"])
    for _, row in main.iterrows():
        unit_match = re.search(r"\(([^()]*)\)\s*$", str(row["label"]))
        try:
            unit = study.column(str(row["variable"])).unit
        except KeyError:
            continue
        if unit_match is None or not unit or "%" in unit_match.group(1):
            continue
        printed_unit = unit_match.group(1).replace(" ", "").lower()
        ok = printed_unit == unit.replace(" ", "").lower()
        records.append(
            _record(
                "reporting",
                f"Table 1 / {row['label']} / unit",
                unit_match.group(1),
                unit,
                "ok" if ok else "warning",
                "The label's unit matches the data dictionary."
                if ok
                else f"The label's unit {unit_match.group(1)!r} contradicts the dictionary.",
                variable=row["variable"],
            )
        )
    frame = study.table1
    notes = frame[(frame["note"] != "") & (frame["group"] == "case")]
    for _, row in notes.iterrows():
        where = f"Table 1 / {row['label']}" + (f" / {row['level']}" if row["level"] else "")
        records.append(
            _record(
                "reporting",
                f"{where} / transcription note",
                str(row["note"]),
                _describe(study, row["variable"]),
                "note",
                "The spec carries a transcription note for this row; the recomputed column "
                "shows the data dictionary's definition.",
                variable=row["variable"],
            )
        )
    return records


# ----------------------------------------------------------------------------- screening


def check_screening(study: Study, **_options: Any) -> list[Record]:
    threshold = study.screening_threshold
    entered = set(study.multivariable_terms)
    records = []
    if entered:
        for _, row in study.univariable.iterrows():
            if not row["p_printed"]:
                continue
            printed = p_interval(str(row["p_printed"]))
            is_entered = row["variable"] in entered
            passes = printed.low < threshold
            fails = printed.high >= threshold
            ok = passes if is_entered else fails
            records.append(
                _record(
                    "screening",
                    f"Table 2 / {row['label']} / screen",
                    str(row["p_printed"]),
                    "entered" if is_entered else "not entered",
                    "ok" if ok else "error",
                    (
                        f"The univariable p {'passes' if passes else 'fails'} the "
                        f"p < {threshold:g} screen and the variable was "
                        f"{'entered' if is_entered else 'not entered'}"
                    )
                    + ("." if ok else ", against the stated rule."),
                    variable=row["variable"],
                )
            )
        for _, row in study.multivariable.iterrows():
            ok = row["variable"] in entered
            records.append(
                _record(
                    "screening",
                    f"Multivariable / {row['label']} / term",
                    row["variable"],
                    "entered" if ok else "not entered",
                    "ok" if ok else "error",
                    "The reported term was entered into the model."
                    if ok
                    else "A reported adjusted OR belongs to a variable that was not entered.",
                    variable=row["variable"],
                )
            )
    listed = set(study.univariable["variable"])
    for _, row in _main_rows(study).iterrows():
        if not row["candidate"] or not row["p_printed"]:
            continue
        if p_interval(str(row["p_printed"])).high < threshold:
            ok = row["variable"] in listed
            records.append(
                _record(
                    "screening",
                    f"Table 1 / {row['label']} / screen",
                    str(row["p_printed"]),
                    "in Table 2" if ok else "missing from Table 2",
                    "ok" if ok else "warning",
                    "The candidate passing the screen in Table 1 has a univariable OR."
                    if ok
                    else f"Table 1 gives p < {threshold:g}, but Table 2 has no univariable OR.",
                    variable=row["variable"],
                )
            )
    return records


CHECK_FAMILIES: dict[str, Callable[..., list[Record]]] = {
    "percent": check_percentages,
    "totals": check_totals,
    "text_claim": check_text_claims,
    "bin_mean": check_bin_means,
    "or_from_counts": check_or_from_counts,
    "ci_symmetry": check_ci_symmetry,
    "ci_p": check_ci_p,
    "table1_p": check_table1_p,
    "sd_or_sem": check_sd_or_sem,
    "direction": check_direction,
    "reporting": check_reporting,
    "screening": check_screening,
}


def _disambiguated(study: Study) -> Study:
    """The study with ``[variable]`` appended to Table 1 labels printed more than once."""
    main = study.table1[study.table1["level"] == ""].drop_duplicates("variable")
    repeated = main["label"].str.strip().str.lower().duplicated(keep=False)
    names = set(main.loc[repeated, "variable"])
    if not names:
        return study
    table1 = study.table1.copy()
    hit = table1["variable"].isin(names)
    table1.loc[hit, "label"] = table1.loc[hit, "label"] + " [" + table1.loc[hit, "variable"] + "]"
    return replace(study, table1=table1)


def run_checks(study: Study, *, ci_method: str, level: float, alpha: float) -> pd.DataFrame:
    """Run every check family and return one row per check, passed ones included.

    Locations name rows by their printed label; a label printed twice gets its variable
    appended so that locations stay distinct (the reporting family reports the repeat).
    """
    labelled = _disambiguated(study)
    records: list[Record] = []
    for name, family in CHECK_FAMILIES.items():
        target = study if name == "reporting" else labelled
        records.extend(family(target, ci_method=ci_method, level=level, alpha=alpha))
    return pd.DataFrame.from_records(records, columns=FINDING_COLUMNS)
