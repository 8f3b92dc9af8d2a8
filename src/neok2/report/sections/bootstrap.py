"""Bootstrap stability of the variable selection (whole sets resampled in a matched design).

Each resample reruns the screen on as many rows as the data, so the work grows as rows x
resamples. Above :data:`BOOTSTRAP_ROW_RESAMPLES` row-resamples the number of resamples is
cut to fit it (never below :data:`MIN_RESAMPLES`): 100 requested resamples of 10^6 rows
become 20. The resamples keep the full size (a smaller one would change the p-values the
screen compares with its threshold). The count used is ``bootstrap.replicates``, the one
asked for ``bootstrap.replicates_requested``, and the table note states the cut.
"""

from __future__ import annotations

import pandas as pd

from neok2.formatting import format_count_share, format_percent
from neok2.report.prose import prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import matched_set_column
from neok2.report.tables import gt_table

BOOTSTRAP_ROW_RESAMPLES = 20_000_000
"""Largest rows x resamples of the selection bootstrap."""
MIN_RESAMPLES = 10
"""Fewest resamples the cut leaves."""


def resample_count(requested: int, n_rows: int) -> int:
    """Resamples used for ``requested`` ones on ``n_rows`` rows (see the module docstring).

    Examples
    --------
    >>> resample_count(100, 200), resample_count(100, 1_000_000), resample_count(5, 10**7)
    (100, 20, 5)
    """
    return min(requested, max(MIN_RESAMPLES, BOOTSTRAP_ROW_RESAMPLES // max(n_rows, 1)))


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("bootstrap", data_source=inputs.data_source)
    requested = inputs.bootstrap_replicates
    replicates = resample_count(requested, len(inputs.data))
    cut = (
        f" ({requested} requested; cut to {replicates} for {len(inputs.data):,} rows, "
        f"at most {BOOTSTRAP_ROW_RESAMPLES:,} rows x resamples)"
        if replicates < requested
        else ""
    )
    matched_set = matched_set_column(inputs)
    if matched_set is not None:
        # whole sets are resampled, so every resample keeps the matching
        table = inputs.module("neok2.stats.matched_screen").conditional_bootstrap_inclusion(
            inputs.data,
            inputs.outcome,
            inputs.candidates(),
            matched_set=matched_set,
            threshold=inputs.study.screening_threshold,
            n_boot=replicates,
            seed=inputs.seed,
        )
        unit = (
            "bootstrap resamples of whole matched sets, each screened by conditional "
            "logistic regression"
        )
    else:
        table = inputs.module("neok2.stats.selection").bootstrap_inclusion(
            inputs.data,
            inputs.outcome,
            inputs.candidates(),
            procedure="screen",
            n_boot=replicates,
            seed=inputs.seed,
            threshold=inputs.study.screening_threshold,
        )
        unit = "bootstrap resamples"
    table = table.sort_values("inclusion_frequency", ascending=False, kind="stable")
    shown = pd.DataFrame(
        {
            "Variable": [inputs.labels.get(v, v) for v in table["variable"]],
            "Passed the screen": [
                format_count_share(round(f * n), int(n))
                for f, n in zip(table["inclusion_frequency"], table["n_valid"], strict=True)
            ],
        }
    )
    out.table(
        "bootstrap",
        table,
        gt_table(
            shown,
            "tbl_bootstrap",
            notes=[
                f"{replicates} {unit}{cut} (those in which every model "
                f"could be fitted count), seed {inputs.seed}; "
                f"screen at p < {inputs.study.screening_threshold:g}."
            ],
        ),
    )
    out.add("replicates", replicates, str(replicates), "bootstrap resamples used")
    out.add(
        "replicates_requested",
        requested,
        str(requested),
        "bootstrap resamples requested (more than used when the data are large)",
    )
    for row in table.itertuples(index=False):
        n_valid = int(row.n_valid)
        out.add(
            f"{row.variable}.inclusion_count",
            round(float(row.inclusion_frequency) * n_valid),
            format_count_share(round(float(row.inclusion_frequency) * n_valid), n_valid),
            f"resamples in which {row.variable} passes the screen, of the valid ones",
        )
        out.add(
            f"{row.variable}.inclusion_percent",
            100 * float(row.inclusion_frequency),
            format_percent(100 * float(row.inclusion_frequency)),
            f"percentage of resamples in which {row.variable} passes the screen",
        )
    stable = [str(v) for v in table.loc[table["inclusion_frequency"] >= 0.8, "variable"]]
    out.add(
        "stable",
        stable,
        prose_list(stable, inputs.labels),
        "candidates selected in at least 80% of resamples",
    )
    return out


SECTION = Section(
    "bootstrap",
    _compute,
    modules={
        "neok2.stats.selection": ("bootstrap_inclusion",),
        "neok2.stats.matched_screen": ("conditional_bootstrap_inclusion",),
    },
)
