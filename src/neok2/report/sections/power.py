"""Design-stage power of a crude comparison: each binary factor over a grid of true odds ratios.

A matched design is powered by Dupont's method for 1:M matched sets instead (one method,
"Dupont (matched)"), with the declared number of controls per case.

Two analytic methods for one exposure, both named "(crude)" wherever they appear: Fleiss'
formula with continuity correction and the exact power of the Wald test the paper used (by
enumeration of the two binomials). Neither applies to an adjusted odds ratio, whose power the
simulation section gives for the whole screen-then-adjust pipeline. Power is computed at
chosen true odds ratios (a design grid), never at the estimates being judged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from neok2.formatting import format_number, format_odds_ratio, format_percent
from neok2.report.prose import prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.tables import gt_table

ODDS_RATIO_GRID: tuple[float, ...] = (1.5, 2.0, 3.0, 4.0)
"""True odds ratios at which the crude design power is tabulated."""
METHODS: tuple[tuple[str, str], ...] = (
    ("fleiss", "Fleiss (crude)"),
    ("exact_wald", "exact Wald (crude)"),
)
"""``(key, label)`` of the analytic methods; the label is what tables and text print."""
MATCHED_METHOD: tuple[str, str] = ("dupont", "Dupont (matched)")
"""The method of a matched design: Dupont's (1988) power of 1:M matched sets."""
MATCHED_PHI = 0.2
"""Assumed correlation of exposure between a case and its matched controls (Dupont's phi)."""
_KEYS = {label: key for key, label in (*METHODS, MATCHED_METHOD)}


def _controls_per_case(inputs: SectionInputs, n_cases: int, n_controls: int) -> int:
    """M of the matched design: the declared ``1:M``, else the rounded controls per case."""
    ratio = str(inputs.study.design["matching"]["ratio"])
    if ratio != "variable":
        return int(ratio.split(":")[1])
    return max(1, round(n_controls / n_cases))


def _matched_grid(inputs: SectionInputs, factors: pd.DataFrame) -> pd.DataFrame:
    """The records of :func:`_crude_grid` for a matched design, by Dupont's method."""
    designs = inputs.module("neok2.stats.power_designs")
    records = []
    factor_rows: Any = factors.itertuples(index=False)
    for row in factor_rows:
        p0, cases, controls = float(row.p0), int(row.n_cases), int(row.n_controls)
        per_case = _controls_per_case(inputs, cases, controls)
        common = {"controls_per_case": per_case, "phi": MATCHED_PHI, "alpha": inputs.alpha}
        shared = {"variable": row.variable, "p0": p0, "n_cases": cases, "n_controls": controls}
        for odds_ratio in ODDS_RATIO_GRID:
            value = designs.power_matched(odds_ratio, p0, cases, None, **common)["power"].iloc[0]
            records.append(
                {
                    **shared,
                    "method": MATCHED_METHOD[1],
                    "quantity": "power",
                    "odds_ratio": odds_ratio,
                    "value": float(value),
                }
            )
        detectable = designs.power_matched(None, p0, cases, 0.8, **common)["odds_ratio"].iloc[0]
        records.append(
            {
                **shared,
                "method": MATCHED_METHOD[1],
                "quantity": "detectable_odds_ratio_80",
                "odds_ratio": math.nan,
                "value": float(detectable),
            }
        )
    return pd.DataFrame.from_records(records)


def _design_factors(inputs: SectionInputs, power: Any) -> pd.DataFrame:
    """``variable, p0, n_cases, n_controls`` of every binary factor the design is powered for.

    Replication mode: the binary factors of the published models, exposure shares from the
    published control counts, the published group sizes. Author mode: the binary factors of
    the fitted models, shares from the analysed controls, the analysed group sizes.
    """
    if not inputs.author:
        table = power.study_power(inputs.study).drop_duplicates("variable")
        return table[["variable", "p0", "n_cases", "n_controls"]].reset_index(drop=True)
    data, outcome = inputs.data, inputs.outcome
    n_cases = int((data[outcome] == 1).sum())
    n_controls = int((data[outcome] == 0).sum())
    if not n_cases or not n_controls:
        raise SectionUnavailable("the data hold no cases or no controls")
    records: list[dict[str, Any]] = []
    for model in ("univariable", "multivariable"):
        if model not in inputs.upstream:
            continue
        for variable in inputs.upstream[model]["table"]["variable"]:
            variable = str(variable)
            if variable not in data.columns or any(r["variable"] == variable for r in records):
                continue
            column = data.loc[data[outcome] == 0, variable].dropna()
            if column.empty or not column.isin([0, 1]).all():
                continue  # power by exposure share: binary factors only
            p0 = float(column.mean())
            if 0 < p0 < 1:
                records.append(
                    {"variable": variable, "p0": p0, "n_cases": n_cases, "n_controls": n_controls}
                )
    return pd.DataFrame.from_records(records, columns=["variable", "p0", "n_cases", "n_controls"])


def _model_factors(inputs: SectionInputs) -> list[str]:
    """The factors of the univariable and multivariable models, in order, each once."""
    if inputs.author:
        frames = [
            inputs.upstream[m]["table"]
            for m in ("univariable", "multivariable")
            if m in inputs.upstream
        ]
    else:
        frames = [inputs.study.univariable, inputs.study.multivariable]
    names = [str(v) for frame in frames for v in frame["variable"]]
    return list(dict.fromkeys(names))


def _not_powered(inputs: SectionInputs, powered: list[str]) -> str:
    """The model factors the crude comparison leaves out (several levels or numeric), in prose."""
    return prose_list([v for v in _model_factors(inputs) if v not in powered], inputs.labels)


def _wald_detectable(exact: Any, p0: float, n_cases: int, n_controls: int, alpha: float) -> float:
    """Smallest OR above 1 with exact Wald power 0.8 (inf if none up to 20).

    The first crossing on a log grid, refined by bisection: exact Wald power falls again at
    huge odds ratios (empty cells), so a plain bisection over a wide bracket can miss it.
    """

    def power_at(odds_ratio: float) -> float:
        row = exact.exact_power(odds_ratio, p0, n_cases, n_controls, alpha=alpha, test="wald")
        return float(row["power"].iloc[0])

    grid = np.exp(np.linspace(0.0, math.log(20.0), 41))
    above = [index for index, value in enumerate(grid) if power_at(float(value)) >= 0.8]
    if not above or above[0] == 0:
        return math.inf if not above else float(grid[0])
    low, high = math.log(grid[above[0] - 1]), math.log(grid[above[0]])
    for _ in range(20):
        middle = (low + high) / 2
        low, high = (middle, high) if power_at(math.exp(middle)) < 0.8 else (low, middle)
    return math.exp(high)


def _crude_grid(inputs: SectionInputs, factors: pd.DataFrame) -> pd.DataFrame:
    power, exact = inputs.module("neok2.stats.power"), inputs.module("neok2.stats.power_exact")
    alpha = inputs.alpha
    records = []
    factor_rows: Any = factors.itertuples(index=False)
    for row in factor_rows:
        p0, cases, controls = float(row.p0), int(row.n_cases), int(row.n_controls)
        for method, label in METHODS:
            for odds_ratio in ODDS_RATIO_GRID:
                if method == "fleiss":
                    value = power.power_case_control(
                        odds_ratio, p0, cases, None, controls_per_case=controls / cases, alpha=alpha
                    )["power"].iloc[0]
                else:
                    value = exact.exact_power(
                        odds_ratio, p0, cases, controls, alpha=alpha, test="wald"
                    )["power"].iloc[0]
                records.append(
                    {
                        "variable": row.variable,
                        "p0": p0,
                        "n_cases": cases,
                        "n_controls": controls,
                        "method": label,
                        "quantity": "power",
                        "odds_ratio": odds_ratio,
                        "value": float(value),
                    }
                )
            if method == "fleiss":
                detectable = float(
                    power.power_case_control(
                        None, p0, cases, 0.8, controls_per_case=controls / cases, alpha=alpha
                    )["odds_ratio"].iloc[0]
                )
            else:
                detectable = _wald_detectable(exact, p0, cases, controls, alpha)
            records.append(
                {
                    "variable": row.variable,
                    "p0": p0,
                    "n_cases": cases,
                    "n_controls": controls,
                    "method": label,
                    "quantity": "detectable_odds_ratio_80",
                    "odds_ratio": math.nan,
                    "value": detectable,
                }
            )
    return pd.DataFrame.from_records(records)


# One decimal, as the simulated powers beside them.
def _percent_text(value: float) -> str:
    return format_number(100 * value, 1) + "%"


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("power", data_source=inputs.data_source)
    power = inputs.module("neok2.stats.power")
    factors = _design_factors(inputs, power)
    if factors.empty:
        others = _not_powered(inputs, [])
        raise SectionUnavailable(
            "the crude power compares one exposed group with one unexposed group, and the "
            "design holds no binary factor"
            + (f" ({others} have several levels or are numeric)" if others else "")
        )
    matched = inputs.study.matched_set is not None
    grid = _matched_grid(inputs, factors) if matched else _crude_grid(inputs, factors)
    rows = []
    for (variable, label), block in grid.groupby(["variable", "method"], sort=False):
        powered = block[block["quantity"] == "power"].set_index("odds_ratio")["value"]
        detectable = float(block.loc[block["quantity"] != "power", "value"].iloc[0])
        # one group of rows per factor, headed by its name and exposure share; the rows
        # below it are the methods
        factor = inputs.labels.get(str(variable), str(variable))
        exposed = format_percent(100 * float(block["p0"].iloc[0]))
        rows.append(
            {
                "Factor": f"{factor} ({exposed}% of controls exposed)",
                "Method": label,
                **{
                    f"OR {odds_ratio:g}": _percent_text(float(powered[odds_ratio]))
                    for odds_ratio in ODDS_RATIO_GRID
                },
                "Detectable OR (80%)": format_odds_ratio(detectable)
                if math.isfinite(detectable)
                else "above 20",
            }
        )
        key = _KEYS[str(label)]
        for odds_ratio in ODDS_RATIO_GRID:
            name = f"{odds_ratio:g}".replace(".", "_")
            value = float(powered[odds_ratio])
            out.add(
                f"{variable}.{key}_or_{name}",
                value,
                format_number(100 * value, 1),
                f"{label} power (%) of this design for a true crude OR of {odds_ratio:g} "
                f"for {variable}",
            )
        out.add(
            f"{variable}.{key}_detectable_or_80",
            detectable,
            format_odds_ratio(detectable) if math.isfinite(detectable) else "above 20",
            f"smallest true crude OR of {variable} with 80% {label} power",
        )
    first = factors.iloc[0]
    design_cases, design_controls = int(first["n_cases"]), int(first["n_controls"])
    alpha_text = format_number(inputs.alpha, 2)
    source = (
        "exposure shares from the analysed controls"
        if inputs.author
        else "exposure shares from the published control counts"
    )
    if matched:
        per_case = _controls_per_case(inputs, design_cases, design_controls)
        note = (
            f"Design-stage power (two-sided alpha {alpha_text}) of the matched comparison of "
            f"one exposure with {design_cases} matched sets of one case and {per_case} "
            f"control{'s' if per_case != 1 else ''}, at true odds ratios set in advance; "
            f"{source}. Dupont (matched): Dupont's (1988) method for 1:M matched sets, "
            f"assuming a correlation of exposure within sets of {MATCHED_PHI:g}. It does not "
            "apply to adjusted odds ratios."
        )
    else:
        note = (
            f"Design-stage power (two-sided alpha {alpha_text}) of a crude comparison of one "
            f"exposure with {design_cases} cases and {design_controls} controls, at true "
            f"odds ratios set in advance; {source}. Fleiss (crude): formula with continuity "
            "correction; exact Wald (crude): exact power of the Wald test of the "
            "univariable logistic model. Neither applies to adjusted odds ratios."
        )
    shown = pd.DataFrame(rows)
    out.table(
        "power",
        grid,
        gt_table(
            shown,
            "tbl_power",
            notes=[note],
            group="Factor",
            nowrap=[column for column in shown.columns if column != "Factor"],
        ),
    )
    first_method = MATCHED_METHOD[1] if matched else METHODS[0][1]
    headline = grid[(grid["method"] == first_method) & (grid["odds_ratio"] == 2.0)]
    under = headline[headline["value"] < 0.8]
    out.add("design_n_cases", design_cases, str(design_cases), "cases of the design powered")
    out.add("design_n_controls", design_controls, str(design_controls), "controls of that design")
    out.add(
        "n_underpowered_or_2",
        len(under),
        str(len(under)),
        f"binary factors with under 80% {first_method} power for a true OR of 2",
    )
    out.add("n_factors", len(factors), str(len(factors)), "binary factors powered")
    powered_factors = [str(v) for v in factors["variable"]]
    out.add(
        "powered",
        powered_factors,
        prose_list(powered_factors, inputs.labels),
        "the binary factors powered",
    )
    others = _not_powered(inputs, powered_factors)
    out.add(
        "not_powered",
        others,
        others,
        "model factors with several levels or numeric, which the crude comparison leaves out",
    )
    data = inputs.data
    n_cases = int((data[inputs.outcome] == 1).sum())
    n_controls = int((data[inputs.outcome] == 0).sum())
    n_candidates = len([c for c in inputs.study.candidates if c in data.columns])
    if inputs.author:
        # the author's own final model: its terms, not the published model's
        multivariable = inputs.upstream.get("multivariable")
        n_entered = len(multivariable["table"]) if multivariable is not None else 0
    else:
        n_entered = len(inputs.study.multivariable_terms)
    for name, parameters in (("candidates", n_candidates), ("entered", n_entered)):
        if parameters and n_cases and n_controls:
            epv = power.events_per_variable(n_cases, n_controls, parameters)
            out.add(
                f"epv_{name}",
                epv,
                format_number(epv, 1),
                f"events per variable with the {name} as parameters",
            )
    out.export("crude_grid", grid)
    return out


SECTION = Section(
    "power",
    _compute,
    uses=("univariable", "multivariable"),
    modules={
        "neok2.stats.power": ("study_power", "events_per_variable", "power_case_control"),
        "neok2.stats.power_exact": ("exact_power",),
        "neok2.stats.power_designs": ("power_matched",),
    },
)
