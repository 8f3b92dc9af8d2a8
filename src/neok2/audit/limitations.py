"""Limitations computed from a study itself, each with its number.

:func:`study_limitations` turns a :class:`~neok2.study.spec.Study` into the numbered statements a
limitations paragraph needs: events per variable, the false positives expected among the
baseline tests and the screen, odds ratios re-expressed as risk ratios, E-values, interval
widths, what p-value screening does, confounding by indication and the design's facts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import pandas as pd

from neok2._frozen import frozen_fields
from neok2.formatting import format_number
from neok2.study.spec import Study

__all__ = [
    "KNOWN_INDICATIONS",
    "LIMITATION_COLUMNS",
    "Limitations",
    "e_value",
    "risk_ratio_from_odds_ratio",
    "study_limitations",
]

LIMITATION_COLUMNS = ["topic", "statement", "value", "unit", "source"]

KNOWN_INDICATIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "antenatal_steroid": MappingProxyType(
            {
                "indication": "threatened preterm birth",
                "consequence": "which itself brings caesarean delivery and a lower gestational age",
                "related": ("ga_weeks", "preterm", "caesarean"),
            }
        ),
    }
)
"""Exposures given *because of* a clinical situation, with the variables that situation moves."""


def risk_ratio_from_odds_ratio(odds_ratio: float, baseline_risk: float) -> float:
    """Convert an odds ratio to a risk ratio (Zhang & Yu 1998).

    Parameters
    ----------
    odds_ratio : float
        A positive odds ratio.
    baseline_risk : float
        Risk of the outcome among the unexposed, in (0, 1).

    Returns
    -------
    float
        ``RR = OR / (1 - P0 + P0 * OR)``.

    Notes
    -----
    The formula is exact for an unadjusted 2x2 table and approximate for adjusted odds
    ratios (McNutt et al. 2003). It mirrors ``sjstats::or_to_rr`` in R.

    References
    ----------
    Zhang J, Yu KF. What's the relative risk? JAMA 1998;280:1690-1691.

    Examples
    --------
    >>> round(risk_ratio_from_odds_ratio(3.0, 0.2), 4)
    2.1429
    """
    if not odds_ratio > 0 or not math.isfinite(odds_ratio):
        raise ValueError(f"`odds_ratio` must be a positive finite number, got {odds_ratio!r}")
    if not 0 < baseline_risk < 1:
        raise ValueError(f"`baseline_risk` must lie in (0, 1), got {baseline_risk!r}")
    return odds_ratio / (1 - baseline_risk + baseline_risk * odds_ratio)


def e_value(ratio: float, *, common_outcome: bool = False, kind: str = "odds_ratio") -> float:
    """E-value of a ratio estimate (VanderWeele & Ding 2017).

    Parameters
    ----------
    ratio : float
        The odds ratio or risk ratio (or one of its confidence limits).
    common_outcome : bool, default False
        For an odds ratio of a common outcome (above about 15%), first approximate the risk
        ratio by ``sqrt(OR)``; for a rare outcome the odds ratio is used as is.
    kind : {"odds_ratio", "risk_ratio"}, default "odds_ratio"

    Returns
    -------
    float
        ``E = RR + sqrt(RR (RR - 1))`` with ``RR`` taken as ``1 / RR`` when below 1.

    Notes
    -----
    Mirrors ``EValue::evalues.OR(rare = FALSE)`` in R for the point estimate. Apply it to
    the confidence limit closer to 1 for the E-value of the interval (1 when the interval
    includes 1).

    References
    ----------
    VanderWeele TJ, Ding P. Sensitivity analysis in observational research: introducing the
    E-value. Ann Intern Med 2017;167:268-274.

    Examples
    --------
    >>> round(e_value(3.9, kind="risk_ratio"), 4)
    7.263
    >>> round(e_value(4.0, common_outcome=True), 4)
    3.4142
    """
    if kind not in ("odds_ratio", "risk_ratio"):
        raise ValueError(f"`kind` must be 'odds_ratio' or 'risk_ratio', got {kind!r}")
    if not ratio > 0 or not math.isfinite(ratio):
        raise ValueError(f"`ratio` must be a positive finite number, got {ratio!r}")
    risk_ratio = math.sqrt(ratio) if kind == "odds_ratio" and common_outcome else ratio
    if risk_ratio < 1:
        risk_ratio = 1 / risk_ratio
    return risk_ratio + math.sqrt(risk_ratio * (risk_ratio - 1))


@frozen_fields("items")
@dataclass(frozen=True)
class Limitations:
    """Numbered limitations of one study.

    Attributes
    ----------
    study_id : str
    items : pandas.DataFrame
        ``topic, statement, value, unit, source``: one statement per row, ``value`` the
        unrounded number it quotes.
    """

    study_id: str
    items: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """A copy of :attr:`items`."""
        return self.items.copy()

    def to_markdown(self) -> str:
        """A markdown bullet list, one bullet per statement, for the manuscript."""
        return "\n".join(f"- **{row.topic}**: {row.statement}" for row in self.items.itertuples())


def _number(value: float, digits: int = 2) -> str:
    return format_number(value, digits)


def _percent(value: float, digits: int = 1) -> str:
    return f"{format_number(100 * value, digits)}%"


def _row(topic: str, statement: str, value: float, unit: str, source: str) -> dict[str, Any]:
    return {
        "topic": topic,
        "statement": statement,
        "value": float(value),
        "unit": unit,
        "source": source,
    }


def _stated_prevalence(study: Study) -> tuple[float, str] | None:
    for name, claim in study.text_claims.items():
        if claim["refers_to"] == study.outcome and name.endswith("_percent"):
            return float(claim["value"]) / 100, "the prevalence stated in the text"
    return None


def _exposure_shares(study: Study, variable: str) -> tuple[float, float] | None:
    frame = study.table1
    hit = frame[
        (frame["variable"] == variable) & (frame["level"] == "") & (frame["summary"] == "n_percent")
    ]
    if hit.empty:
        return None
    counts = hit.set_index("group")["n"]
    return (
        int(counts["case"]) / study.groups["case"],
        int(counts["control"]) / study.groups["control"],
    )


def _unexposed_risk(prevalence: float, shares: tuple[float, float] | None) -> float:
    """Risk among the unexposed by Bayes' rule, when cases and controls mirror the population."""
    if shares is None:
        return prevalence
    case_share, control_share = shares
    unexposed_cases = prevalence * (1 - case_share)
    unexposed_total = unexposed_cases + (1 - prevalence) * (1 - control_share)
    return unexposed_cases / unexposed_total if unexposed_total > 0 else prevalence


def _simulation_rows(simulation: Any) -> list[dict[str, Any]]:
    frame = simulation.tidy() if hasattr(simulation, "tidy") else simulation
    if not isinstance(frame, pd.DataFrame) or not {"measure", "value"} <= set(frame.columns):
        raise TypeError(
            "`simulation` must be a DataFrame (or an object whose .tidy() returns one) with "
            "columns `measure` and `value` (and optionally `unit`)"
        )
    return [
        _row(
            "p-value screening (simulation)",
            f"{row['measure']}: {_number(row['value'], 3)}"
            + (f" {row['unit']}" if row.get("unit") else "")
            + ".",
            float(row["value"]),
            str(row.get("unit") or ""),
            "neok2.stats.simulation",
        )
        for row in frame.to_dict(orient="records")
    ]


def _months(window: Mapping[str, str]) -> int:
    start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _design_rows(design: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The design's facts as limitations: only those the spec states (unset means unknown).

    Examples
    --------
    >>> [row["statement"][:30] for row in _design_rows({"centres": 2, "retrospective": None})]
    ['2 centres limits how far the p']
    >>> _design_rows({})
    []
    """
    rows: list[dict[str, Any]] = []
    centres, base = design.get("centres"), design.get("base")
    where = f" ({design['setting']})" if design.get("setting") else ""
    if base == "population":
        rows.append(
            _row(
                "design",
                f"A population-based design{where}: cases from one defined area and controls "
                "sampled from its residents, so the associations describe that population; "
                "controls who declined or could not be reached may differ from those who took "
                "part.",
                math.nan if centres is None else centres,
                "centres",
                "study design",
            )
        )
    elif centres is not None:
        rows.append(
            _row(
                "design",
                ("A single centre" if centres == 1 else f"{centres} centres")
                + f"{where} limits how far the prevalence and the associations generalise.",
                centres,
                "centres",
                "study design",
            )
        )
    if not design.get("retrospective"):
        return rows
    source = design.get("exposure_source")
    if source == "records":
        statement = (
            "Retrospective record review: exposures were recorded for care, not for this question"
        )
    elif source == "interview":
        statement = (
            "Exposures were recalled at interview after diagnosis, so cases may remember or "
            "report them differently from controls (recall bias)"
        )
    else:
        statement = (
            "Exposures were collected after the outcome was known, so their measurement may "
            "differ between cases and controls"
        )
    span = math.nan
    window = design.get("window")
    if window:
        span = _months(window)
        statement += f"; the {span}-month window ({window['start']} to {window['end']})"
        statement += " covers less than a year of seasons" if span < 12 else ""
    rows.append(_row("design", statement + ".", span, "months", "study design"))
    return rows


def study_limitations(
    study: Study,
    *,
    prevalence: float | None = None,
    common_outcome: float = 0.15,
    events_per_variable: float = 10.0,
    simulation: Any = None,
    indications: Mapping[str, Mapping[str, Any]] | None = None,
) -> Limitations:
    """Compute a study's limitations, each with the number behind it.

    Parameters
    ----------
    study : Study
        The study (published or rebuilt).
    prevalence : float, optional
        Outcome prevalence in the source population, in (0, 1). A case-control sample cannot
        estimate it, so by default the study's own stated prevalence (a text claim on the
        outcome whose name ends in ``_percent``) is used, else the sample share of cases,
        and the statement says which.
    common_outcome : float, default 0.15
        Prevalence above which the outcome counts as common, so that E-values use the
        ``sqrt(OR)`` approximation of the risk ratio.
    events_per_variable : float, default 10
        The rule-of-thumb minimum quoted next to the events-per-variable figures.
    simulation : DataFrame or object with ``.tidy()``, optional
        Screening-simulation figures (from ``neok2.stats.simulation``) with columns ``measure``,
        ``value`` and optionally ``unit``; each becomes a statement.
    indications : mapping, optional
        Exposures open to confounding by indication, as in :data:`KNOWN_INDICATIONS`
        (the default): ``variable -> {"indication", "consequence", "related"}``.

    Returns
    -------
    Limitations
        ``.tidy()`` gives ``topic, statement, value, unit, source``; ``.to_markdown()`` a
        bullet list with every number formatted.

    Notes
    -----
    Events per variable: ``min(n_cases, n_controls) / k`` (Peduzzi et al. 1996). Expected
    false positives among ``m`` independent null tests: ``m * alpha``; the chance of at least
    one: ``1 - (1 - alpha)**m``. Risk ratios: Zhang & Yu, with the unexposed risk
    ``P0 = pi (1 - e1) / (pi (1 - e1) + (1 - pi)(1 - e0))`` from the prevalence ``pi`` and the
    exposed shares ``e1, e0`` of cases and controls. E-values: VanderWeele & Ding, as R's
    ``EValue::evalues.OR``.

    References
    ----------
    Peduzzi P et al. A simulation study of the number of events per variable in logistic
    regression analysis. J Clin Epidemiol 1996;49:1373-1379.
    Zhang J, Yu KF. What's the relative risk? JAMA 1998;280:1690-1691.
    VanderWeele TJ, Ding P. Ann Intern Med 2017;167:268-274.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> items = study_limitations(load_study("k2_neonates")).tidy().set_index("topic")
    >>> float(items.loc["events per variable (final model)", "value"])
    13.2
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study, got {type(study).__name__}")
    if prevalence is not None and not 0 < prevalence < 1:
        raise ValueError(f"`prevalence` must lie in (0, 1), got {prevalence!r}")
    if not 0 < common_outcome < 1:
        raise ValueError(f"`common_outcome` must lie in (0, 1), got {common_outcome!r}")
    if not events_per_variable > 0:
        raise ValueError(f"`events_per_variable` must be positive, got {events_per_variable!r}")
    indications = KNOWN_INDICATIONS if indications is None else indications
    rows: list[dict[str, Any]] = []
    alpha = float(study.design.get("alpha", 0.05))
    threshold = study.screening_threshold
    events = min(study.groups.values())
    terms = len(study.multivariable_terms)
    candidates = len(study.candidates)
    rule = f"rule of thumb: at least {_number(events_per_variable, 0)}"

    for topic, count, what in (
        ("events per variable (final model)", terms, "terms entered in the multivariable model"),
        ("events per variable (candidate pool)", candidates, "candidate variables screened"),
    ):
        if count:
            ratio = events / count
            rows.append(
                _row(
                    topic,
                    f"{events} events for {count} {what}: {_number(ratio, 1)} "
                    f"events per variable ({rule}).",
                    ratio,
                    "events per variable",
                    "Peduzzi et al. 1996",
                )
            )

    main = study.table1[(study.table1["level"] == "") & (study.table1["group"] == "case")]
    tested = main[main["p_printed"] != ""]
    if len(tested):
        tests = len(tested)
        expected = tests * alpha
        significant = int((tested["p_value"] < alpha).sum())
        rows.append(
            _row(
                "multiple baseline tests",
                f"Table 1 reports {tests} tests; with no true differences {_number(expected, 2)} "
                f"would fall below p = {alpha:g} by chance (observed: {significant}).",
                expected,
                "expected false positives",
                "Table 1",
            )
        )
        familywise = 1 - (1 - alpha) ** tests
        rows.append(
            _row(
                "multiple baseline tests",
                f"The chance of at least one p < {alpha:g} among {tests} independent null tests is "
                f"{_percent(familywise)}.",
                familywise,
                "probability",
                "Table 1",
            )
        )
    if candidates:
        expected = candidates * threshold
        rows.append(
            _row(
                "univariable screen",
                f"Screening {candidates} candidates at p < {threshold:g} lets "
                f"{_number(expected, 1)} through by chance alone if none matters; {terms} passed.",
                expected,
                "expected false passes",
                "screening threshold",
            )
        )
    rows.append(
        _row(
            "univariable screen",
            "Selecting variables by p < threshold keeps those whose estimates happened to be "
            "large, "
            "so the retained odds ratios are biased away from 1 and their intervals and p-values "
            f"ignore the selection ({terms} of {candidates} candidates retained).",
            terms / candidates if candidates else math.nan,
            "share retained",
            "screening threshold",
        )
    )
    if simulation is not None:
        rows.extend(_simulation_rows(simulation))

    if prevalence is not None:
        used, origin = prevalence, "the prevalence supplied by the analyst"
    elif (stated := _stated_prevalence(study)) is not None:
        used, origin = stated[0], f"the study's stated prevalence ({stated[1]})"
    else:
        used, origin = study.groups["case"] / study.n, "the sample share of cases"
    rows.append(
        _row(
            "baseline risk",
            f"A case-control sample cannot estimate the outcome risk; risk ratios below use "
            f"{origin}, {_percent(used)}, which holds only if cases and controls mirror the "
            "source population.",
            used,
            "prevalence",
            origin,
        )
    )
    common = used > common_outcome

    for table, frame in (("univariable", study.univariable), ("adjusted", study.multivariable)):
        for record in frame.to_dict(orient="records"):
            odds_ratio = float(record["odds_ratio"])
            shares = _exposure_shares(study, str(record["variable"]))
            if shares is None and table == "univariable":
                continue
            baseline = _unexposed_risk(used, shares)
            risk_ratio = risk_ratio_from_odds_ratio(odds_ratio, baseline)
            # the OR as the paper printed it; a level of a factor is named with its factor
            printed = str(record.get("or_printed") or "") or _number(odds_ratio, 3)
            level = str(record.get("level") or "")
            label = f"{record['label']}: {level}" if level else str(record["label"])
            rows.append(
                _row(
                    "odds ratio read as risk",
                    f"The {table} OR of {printed} for {label} corresponds "
                    f"to a risk ratio of about {_number(risk_ratio, 2)} at an unexposed risk of "
                    f"{_percent(baseline)}; reading the OR as a "
                    f"'{_number(odds_ratio, 1)}-fold risk' "
                    "overstates it.",
                    risk_ratio,
                    "risk ratio",
                    "Zhang & Yu 1998",
                )
            )

    for record in study.multivariable.to_dict(orient="records"):
        odds_ratio, low, high = (float(record[k]) for k in ("odds_ratio", "ci_low", "ci_high"))
        point = e_value(odds_ratio, common_outcome=common)
        nearer = low if odds_ratio >= 1 else high
        limit = 1.0 if low <= 1 <= high else e_value(nearer, common_outcome=common)
        approximation = " (sqrt(OR) approximation for a common outcome)" if common else ""
        rows.append(
            _row(
                "E-value",
                f"An unmeasured confounder would need risk ratios of {_number(point, 2)} with both "
                f"exposure and outcome to explain away the adjusted OR for {record['label']}, and "
                f"{_number(limit, 2)} to move its interval to include 1{approximation}.",
                point,
                "E-value",
                "VanderWeele & Ding 2017",
            )
        )
        rows.append(
            _row(
                "interval width",
                f"The adjusted 95% CI for {record['label']} spans {_number(low, 3)} to "
                f"{_number(high, 3)}, a {_number(high / low, 1)}-fold range.",
                high / low,
                "ratio of limits",
                "multivariable model",
            )
        )

    entered = set(study.multivariable_terms)
    for variable, details in indications.items():
        reported = study.multivariable[study.multivariable["variable"] == variable]
        if reported.empty:
            reported = study.univariable[study.univariable["variable"] == variable]
        if reported.empty:
            continue
        record = reported.to_dict(orient="records")[0]
        related = [
            name for name in details.get("related", ()) if name in set(study.table1["variable"])
        ]
        labels = study.display_labels()
        adjusted = [labels.get(name, name) for name in related if name in entered]
        missing = [labels.get(name, name) for name in related if name not in entered]
        rows.append(
            _row(
                "confounding by indication",
                f"{record['label']}: given for {details['indication']}, "
                f"{details['consequence']}; "
                f"its OR of {_number(float(record['odds_ratio']), 3)} may reflect the indication "
                f"(adjusted for: {', '.join(adjusted) or 'none'}; not adjusted for: "
                f"{', '.join(missing) or 'none'}).",
                float(record["odds_ratio"]),
                "odds ratio",
                "clinical plausibility",
            )
        )

    rows.extend(_design_rows(study.design))
    if "vitamin k" in study.title.lower():
        recorded = [
            column.name
            for column in study.columns
            if "k1" in column.name.lower() or "prophylaxis" in column.description.lower()
        ]
        rows.append(
            _row(
                "design",
                "Vitamin K1 prophylaxis at birth is not recorded, so its effect on vitamin K "
                "status "
                "cannot be separated."
                if not recorded
                else f"Vitamin K1 prophylaxis is recorded in {', '.join(recorded)}.",
                len(recorded),
                "columns recording vitamin K1 prophylaxis",
                "data dictionary",
            )
        )
    return Limitations(study_id=study.id, items=pd.DataFrame(rows, columns=LIMITATION_COLUMNS))
