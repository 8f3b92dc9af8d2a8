"""``neok2 table1 DATA``: the baseline table of a dataset as CSV (tidy) and HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from neok2._io import refuse_overwrite_input
from neok2.cli.common import no_validate_option, read_validated
from neok2.stats.baseline import baseline_table
from neok2.study.dictionary import read_data
from neok2.study.spec import load_study


@click.command(name="table1")
@click.argument("data", type=click.Path(path_type=str))
@click.option(
    "--group", default=None, help="Grouping column with two values [default: the study's outcome]."
)
@click.option(
    "--study", default=None, help="Study name or spec path: its Table 1 rows, labels, summaries."
)
@click.option(
    "--out",
    "prefix",
    default="table1",
    show_default=True,
    help="Output prefix: writes PREFIX.csv (tidy) and PREFIX.html.",
)
@click.option(
    "--overall/--no-overall",
    default=False,
    show_default=True,
    help="Add a column for both groups together.",
)
@click.option(
    "--detect", is_flag=True, help="Pick summaries from the data (Shapiro-Wilk) not the study."
)
@no_validate_option
def command(
    data: str,
    group: str | None,
    study: str | None,
    prefix: str,
    overall: bool,
    detect: bool,
    no_validate: bool,
) -> None:
    """Summarise DATA (.csv, .sav or .dta) by GROUP: n (%), mean ± SD or median (IQR), the
    test behind each p-value and the standardised mean difference.

    With --study, DATA is first checked against the study's data dictionary (skip with
    --no-validate). The data file is only read; existing output files with the same prefix
    are replaced.
    """
    # Refuse before any work is done, not after the table has been computed.
    for suffix in (".csv", ".html"):
        try:
            refuse_overwrite_input(f"{prefix}{suffix}", data)
        except ValueError:
            raise ValueError(
                f"`--out`: {prefix}{suffix} is the input data file; choose another output prefix"
            ) from None
    spec = load_study(study) if study is not None else None
    if spec is not None:
        frame = read_validated(data, spec, no_validate=no_validate)
    else:
        frame = read_data(data)
        click.echo(f"note: {data} was not validated: no --study data dictionary given", err=True)
    options: dict[str, Any] = {"overall": overall, "source": Path(data)}
    headers: dict[str, str] = {}
    title = "Baseline characteristics"
    if spec is not None:
        group = group or spec.outcome
        main_rows = spec.table1[(spec.table1["level"] == "") & (spec.table1["group"] == "case")]
        absent = [v for v in main_rows["variable"] if v not in frame.columns]
        for variable in absent:
            click.echo(f"note: study variable {variable!r} is not in {data}; row left out")
        rows = main_rows[
            main_rows["variable"].isin(frame.columns) & (main_rows["variable"] != group)
        ]
        options["variables"] = list(rows["variable"])
        options["labels"] = dict(zip(rows["variable"], rows["label"], strict=True))
        if not detect:
            options["summary"] = dict(zip(rows["variable"], rows["summary"], strict=True))
        # The case-first layout of the paper applies only to its own 0/1 outcome column.
        if group == spec.outcome and set(frame[group].dropna().unique()) == {0, 1}:
            options["group_order"] = [1, 0]
            options["group_labels"] = {1: "case", 0: "control"}
            headers = dict(spec.group_labels)
        title = spec.title or title
    if group is None:
        raise ValueError("`--group`: name the grouping column (or give --study to use its outcome)")
    table = baseline_table(frame, group, **options)
    csv_path = table.to_csv(f"{prefix}.csv", overwrite=True)
    html_path = table.to_html(f"{prefix}.html", overwrite=True, title=title, headers=headers)
    for note in table.notes:
        click.echo(f"note: {note}")
    sizes = ", ".join(f"{name} n={n}" for name, n in table.group_n.items())
    click.echo(f"wrote {csv_path} and {html_path} ({sizes})")
