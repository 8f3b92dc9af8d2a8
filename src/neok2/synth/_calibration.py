"""The multivariable model's terms calibrated onto the published adjusted odds ratios.

The model is the one the analysis fits (:func:`neok2.synth.fidelity_factors.design_columns`,
the same design the fidelity report and the report's ``model_data`` use): a factor variable
enters as one 0/1 column per non-reference level against the spec's reference level, every
other term (binary, continuous, an ordinal count with one odds ratio per unit) as its number.
Each term owns the block of its design columns; :func:`~neok2.synth.joint.calibrate_exposures`
exchanges whole blocks between subjects of one group, so every Table 1 count, mean, SD and
quartile stays as generated while the adjusted odds ratios move onto their targets:

* a reported odds ratio (each level's, or the per-unit one of a numeric term, ``per``
  converted to one unit) is a target, a numeric term's weighed per standard deviation;
* an unreported binary term or factor level keeps roughly its crude odds ratio (weight 0.05);
* a single-column term listed as ``not_significant`` is aimed at an adjusted Wald p between
  ``2 * alpha`` and 0.5 on the side of its crude association.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from neok2.formatting import format_number
from neok2.study.factors import factor_levels, factor_variables
from neok2.study.spec import Study
from neok2.synth._compromises import CompromiseLog
from neok2.synth.fidelity_factors import design_columns
from neok2.synth.joint import calibrate_exposures
from neok2.synth.rules import per_amount

__all__ = [
    "OR_TOLERANCE",
    "calibrate_terms",
    "not_significant_band",
    "not_significant_p_range",
]

GROUPS = ("case", "control")
# |log(achieved / published)| up to log(1.05): an adjusted OR within 5% of the printed one
OR_TOLERANCE = math.log(1.05)
Columns = dict[str, dict[str, npt.NDArray[np.generic]]]


def not_significant_p_range(alpha: float) -> tuple[float, float]:
    """Two-sided p range aimed at for a term the paper does not call independent.

    ``[2 * alpha, 0.5]``: clear of alpha, so the decision does not hang on the last digit of
    a fit, yet still an association in the crude direction. An alpha of 0.25 or more would
    leave no room below 0.5, so the range then moves to the upper half of ``(alpha, 1)``.

    Examples
    --------
    >>> not_significant_p_range(0.05), not_significant_p_range(0.3)
    ((0.1, 0.5), (0.6, 0.8))
    """
    low = min(2 * alpha, (1 + alpha) / 2)
    return low, 0.5 if low < 0.5 else (1 + low) / 2


def not_significant_band(alpha: float, crude_sign: float) -> tuple[float, float]:
    """The Wald z band matching :func:`not_significant_p_range`, on the crude side.

    Examples
    --------
    >>> [round(z, 3) for z in not_significant_band(0.05, 1.0)]
    [0.674, 1.645]
    """
    p_low, p_high = not_significant_p_range(alpha)
    z_high = float(stats.norm.isf(p_low / 2))
    z_low = float(stats.norm.isf(p_high / 2))
    if crude_sign > 0:
        return z_low, z_high
    if crude_sign < 0:
        return -z_high, -z_low
    return -z_high, z_high


def _full(values: Mapping[str, npt.NDArray[np.generic]]) -> npt.NDArray[np.generic]:
    return np.concatenate([values["case"], values["control"]])


def _crude_factor_targets(
    study: Study, term: str, names: list[str], first: int, targets: dict[int, tuple[float, float]]
) -> None:
    """Unreported levels of a factor keep roughly their crude odds ratio against the reference."""
    table1 = study.table1
    rows = table1[(table1["variable"] == term) & (table1["level"] != "")]
    counts = {
        (str(level), str(group)): int(n)
        for level, group, n in zip(rows["level"], rows["group"], rows["n"], strict=True)
    }
    levels = [level for level, _ in factor_levels(study, term)]
    reference = levels[0]
    for offset, level in enumerate(levels[1:]):
        if f"{term}[{level}]" != names[first + offset]:
            continue
        cells = [
            counts[(level, "case")],
            counts[(reference, "case")],
            counts[(level, "control")],
            counts[(reference, "control")],
        ]
        if min(cells) > 0:
            crude = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
            targets.setdefault(first + offset, (crude, 0.05))


def _weight(study: Study, term: str, column: npt.NDArray[np.float64]) -> float:
    """Weight of a reported term's log-OR target: 1 for a 0/1 column or a factor level.

    A numeric term's per-unit log OR is weighed per standard deviation of its values (weight
    = variance), so that its tolerance means the same change in risk across the range of
    the variable as a binary term's does.
    """
    if term in factor_variables(study) or str(study.cell(term, "case")["summary"]) == "n_percent":
        return 1.0
    variance = float(np.var(column, ddof=1))
    return variance if variance > 0 else 1.0


def calibrate_terms(
    rng: np.random.Generator, study: Study, columns: Columns, log: CompromiseLog
) -> None:
    """Rearrange the model terms' values within groups so the refit gives the published ORs.

    ``columns`` holds every generated Table 1 variable per group (case rows, then control
    rows); the entries of the model's terms are replaced by their rearranged values.
    Anything that gives way is recorded in ``log``.
    """
    terms = list(study.multivariable_terms)
    if not terms:
        return
    alpha = float(study.design.get("alpha", 0.05))
    n_case = study.groups["case"]
    outcome = np.r_[np.ones(n_case), np.zeros(study.groups["control"])]
    frame = pd.DataFrame({term: _full(columns[term]) for term in terms})
    parts = [design_columns(study, frame, [term]) for term in terms]
    names = [str(name) for part in parts for name in part.columns]
    exposures = np.column_stack([part.to_numpy(float) for part in parts])
    starts = np.cumsum([0] + [part.shape[1] for part in parts])
    blocks = [list(range(starts[i], starts[i + 1])) for i in range(len(terms))]
    reported = study.multivariable.set_index("term")
    not_significant = set(study.multivariable_not_significant)
    factors = set(factor_variables(study))
    amounts: dict[int, float] = {}
    targets: dict[int, tuple[float, float]] = {}
    bands: dict[int, tuple[float, float]] = {}
    for index, term in enumerate(terms):
        first = int(starts[index])
        for offset in range(len(blocks[index])):
            name = names[first + offset]
            if name in reported.index:
                row = reported.loc[name]
                amount = per_amount(str(row["per"]), f"multivariable.reported {name!r}.per")
                amounts[first + offset] = amount
                goal = math.log(float(row["odds_ratio"])) / amount
                targets[first + offset] = (goal, _weight(study, term, exposures[:, first]))
        if term in factors:
            _crude_factor_targets(study, term, names, first, targets)
            continue
        if first in targets:
            continue
        summary = str(study.cell(term, "case")["summary"])
        if summary == "n_percent":
            cases, controls = (int(study.cell(term, group)["n"]) for group in GROUPS)
            case_share = cases / n_case
            control_share = controls / study.groups["control"]
            crude_sign = float(np.sign(case_share - control_share))
        else:
            x = exposures[:, first]
            crude_sign = float(np.sign(x[:n_case].mean() - x[n_case:].mean()))
        if term in not_significant:
            bands[first] = not_significant_band(alpha, crude_sign)
            continue
        if summary == "n_percent":
            cells = [
                cases,
                n_case - cases,
                controls,
                study.groups["control"] - controls,
            ]
            if min(cells) > 0:
                # Unreported terms keep roughly their crude association.
                crude = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
                targets[first] = (crude, 0.05)
    calibration = calibrate_exposures(
        exposures, outcome, targets, rng, z_bands=bands, blocks=blocks
    )
    for index, term in enumerate(terms):
        full = _full(columns[term])[calibration.origin[:, index]]
        columns[term] = {"case": full[:n_case], "control": full[n_case:]}
    aimed = not_significant_p_range(alpha)
    for column, name in enumerate(names):
        if column in amounts:
            published = float(reported.loc[name, "odds_ratio"])
            achieved = math.exp(calibration.log_odds_ratios[column] * amounts[column])
            if abs(math.log(achieved / published)) > OR_TOLERANCE:
                log.add(
                    name,
                    "all",
                    "adjusted OR within 5%",
                    published,
                    achieved,
                    "closest adjusted OR the margins allow",
                )
        elif column in bands and calibration.p_values[column] < alpha:
            log.add(
                name,
                "all",
                f"multivariable p >= {alpha:g} (not reported as independent)",
                alpha,
                float(calibration.p_values[column]),
                f"aimed at p in [{aimed[0]:g}, {aimed[1]:g}] by confounding within groups; "
                "the margins and the reported adjusted ORs left it significant (adjusted OR "
                f"{format_number(math.exp(calibration.log_odds_ratios[column]), 3)})",
            )
