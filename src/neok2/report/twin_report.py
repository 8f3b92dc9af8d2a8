"""The synthetic twin's report: utility and disclosure tables (CSV, HTML) and the
data-availability paragraph for the manuscript."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from neok2._io import atomic_write_csv, atomic_write_text, refuse_overwrite_input
from neok2.synth.twin import TwinResult
from neok2.synth.twin_utility import CaseControlComparison, PropensityUtility

__all__ = ["availability_statement", "twin_report_frame", "twin_report_html", "write_twin_report"]


def _number(value: float, digits: int = 3) -> str:
    return "NA" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def availability_statement(
    result: TwinResult,
    propensity: PropensityUtility,
    comparison: CaseControlComparison | None = None,
) -> str:
    """A data-availability paragraph naming the method, seed, utility and disclosure figures.

    Parameters
    ----------
    result : TwinResult
    propensity : PropensityUtility
    comparison : CaseControlComparison, optional
        Adds the mean confidence-interval overlap of the adjusted odds ratios.

    Returns
    -------
    str
        One paragraph of plain text (Markdown-safe).
    """
    disclosure = result.disclosure
    method = (
        f"classification and regression trees with at least {result.min_leaf} real records "
        "per leaf, each value drawn from a real record of the leaf"
        if result.method == "cart"
        else "logistic and normal linear models"
    )
    text = (
        "The individual records cannot be shared. A synthetic twin of the dataset is "
        f"available instead: {result.n_cases + result.n_controls} artificial records "
        f"({result.n_cases} cases, {result.n_controls} controls, as in the real data) "
        "generated with neok2 by sequential synthesis, the outcome first and then each "
        f"variable from {method}, using random seed {result.seed}. "
        f"Its general utility is a propensity-score mean squared error of "
        f"{_number(propensity.pmse)}, {_number(propensity.ratio)} times its expectation "
        "had both datasets come from one distribution (standardised value "
        f"{_number(propensity.standardised)})."
    )
    if comparison is not None and len(comparison.adjusted):
        text += (
            " The adjusted odds ratios estimated on the twin overlap the real-data confidence "
            f"intervals by {_number(comparison.mean_ci_overlap, 2)} on average (1 means "
            "identical intervals)."
        )
    text += (
        f" {disclosure.replicated_uniques} of the {disclosure.real_uniques} records unique in "
        f"the real data on {len(disclosure.keys)} variables are reproduced in the twin "
        f"({disclosure.replicated_uniques_rate:.1%}), and {disclosure.exact_copies} twin "
        "records copy a real record exactly. The twin supports checking the analysis code; "
        "results from it are not substitutes for the published estimates."
    )
    return text


def twin_report_frame(
    result: TwinResult,
    propensity: PropensityUtility,
    tables: pd.DataFrame,
    comparison: CaseControlComparison | None = None,
) -> pd.DataFrame:
    """Every utility and disclosure figure in one tidy frame: ``section, item, measure, value``."""
    rows: list[dict[str, object]] = []
    for record in propensity.tidy().to_dict("records"):
        rows.append(
            {
                "section": "general_utility",
                "item": "propensity",
                "measure": record["measure"],
                "value": record["value"],
            }
        )
    for record in tables.to_dict("records"):
        for measure in ("pmse", "pmse_ratio", "total_variation"):
            rows.append(
                {
                    "section": f"table_{record['way']}way",
                    "item": record["table"],
                    "measure": measure,
                    "value": record[measure],
                }
            )
    if comparison is not None:
        for record in comparison.table1.to_dict("records"):
            for measure in ("p_real", "p_twin"):
                rows.append(
                    {
                        "section": "table1",
                        "item": record["variable"],
                        "measure": measure,
                        "value": record[measure],
                    }
                )
        for record in comparison.screen.to_dict("records"):
            for measure in ("p_real", "p_twin", "selected_real", "selected_twin"):
                rows.append(
                    {
                        "section": "screen",
                        "item": record["variable"],
                        "measure": measure,
                        "value": float(record[measure]),
                    }
                )
        for record in comparison.adjusted.to_dict("records"):
            for measure in (
                "or_real",
                "ci_low_real",
                "ci_high_real",
                "or_twin",
                "ci_low_twin",
                "ci_high_twin",
                "ci_overlap",
                "std_difference",
            ):
                rows.append(
                    {
                        "section": "adjusted",
                        "item": record["term"],
                        "measure": measure,
                        "value": record[measure],
                    }
                )
    for record in result.disclosure.tidy().to_dict("records"):
        rows.append(
            {
                "section": "disclosure",
                "item": "twin",
                "measure": record["measure"],
                "value": record["value"],
            }
        )
    frame = pd.DataFrame(rows, columns=["section", "item", "measure", "value"])
    frame["value"] = frame["value"].astype(float)
    return frame


def _or_cell(odds_ratio: float, low: float, high: float) -> str:
    if not math.isfinite(odds_ratio):
        return "-"
    return f"{odds_ratio:.2f} ({low:.2f}-{high:.2f})"


def twin_report_html(
    result: TwinResult,
    propensity: PropensityUtility,
    tables: pd.DataFrame,
    comparison: CaseControlComparison | None = None,
) -> str:
    """The report as one HTML page of great-tables tables and the availability paragraph."""
    from great_tables import GT

    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Synthetic twin report</title>"
        "</head><body>",
        "<h1>Synthetic twin: utility and disclosure</h1>",
        f"<p>{availability_statement(result, propensity, comparison)}</p>",
    ]
    general = propensity.tidy()
    general["value"] = [f"{v:.4g}" for v in general["value"]]
    parts.append(
        GT(general).tab_header(title="General utility (logistic propensity model)").as_raw_html()
    )
    if comparison is not None and len(comparison.adjusted):
        shown = pd.DataFrame(
            {
                "term": comparison.adjusted["term"],
                "real": [
                    _or_cell(*row)
                    for row in comparison.adjusted[
                        ["or_real", "ci_low_real", "ci_high_real"]
                    ].itertuples(index=False)
                ],
                "twin": [
                    _or_cell(*row)
                    for row in comparison.adjusted[
                        ["or_twin", "ci_low_twin", "ci_high_twin"]
                    ].itertuples(index=False)
                ],
                "overlap": [f"{v:.2f}" for v in comparison.adjusted["ci_overlap"]],
            }
        )
        parts.append(
            GT(shown)
            .tab_header(title="Adjusted odds ratios (95% CI), real and twin")
            .cols_label(term="", real="Real", twin="Twin", overlap="CI overlap")
            .as_raw_html()
        )
    if comparison is not None:
        screen = comparison.screen.copy()
        for column in ("p_real", "p_twin"):
            screen[column] = [f"{v:.3g}" for v in screen[column]]
        parts.append(GT(screen).tab_header(title="Univariable screen").as_raw_html())
        table1 = comparison.table1.copy()
        for column in ("p_real", "p_twin"):
            table1[column] = [f"{v:.3g}" for v in table1[column]]
        parts.append(GT(table1).tab_header(title="Table 1 tests").as_raw_html())
    worst = tables.sort_values("pmse_ratio", ascending=False).head(10).copy()
    for column in ("pmse", "pmse_ratio", "total_variation"):
        worst[column] = [f"{v:.3g}" for v in worst[column]]
    parts.append(
        GT(worst).tab_header(title="Tables that differ most (highest pMSE ratio)").as_raw_html()
    )
    parts.append(result.disclosure.to_gt().as_raw_html())
    parts.append(result.to_gt().as_raw_html())
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_twin_report(
    result: TwinResult,
    propensity: PropensityUtility,
    tables: pd.DataFrame,
    out: str | Path,
    *,
    comparison: CaseControlComparison | None = None,
    protect: tuple[str | Path, ...] = (),
) -> tuple[Path, ...]:
    """Write the twin CSV at ``out`` and, beside it, ``<stem>_report.csv``,
    ``<stem>_report.html`` and ``<stem>_availability.md``; never over a ``protect``ed file."""
    out = Path(out)
    paths = (
        out,
        out.with_name(f"{out.stem}_report.csv"),
        out.with_name(f"{out.stem}_report.html"),
        out.with_name(f"{out.stem}_availability.md"),
    )
    for path in paths:
        refuse_overwrite_input(path, *protect)
    atomic_write_csv(result.data, paths[0])
    atomic_write_csv(twin_report_frame(result, propensity, tables, comparison), paths[1])
    atomic_write_text(paths[2], twin_report_html(result, propensity, tables, comparison))
    atomic_write_text(paths[3], availability_statement(result, propensity, comparison) + "\n")
    return paths
