"""``neok2 validate DATA``: check a dataset against a study's data dictionary."""

from __future__ import annotations

import sys

import click

from neok2.cli.common import study_option
from neok2.study.dictionary import read_data, validate_data
from neok2.study.spec import load_study


@click.command(name="validate")
@click.argument("data", type=click.Path(path_type=str))
@study_option
@click.option(
    "--details",
    is_flag=True,
    help="List every problem with its row (by default only when there are at most 20).",
)
def command(data: str, study: str, details: bool) -> None:
    """Check DATA (.csv, .sav or .dta) against the study's data dictionary.

    Prints a summary per column first (problem, number of rows, first rows, a recoding hint
    where one fits), then every problem when there are few or with --details. Exits 1 when
    there is any problem and 0 on a valid file. The file is only read.
    """
    report = validate_data(read_data(data), load_study(study))
    if report.ok:
        click.echo(f"{data}: {report.summary()}")
        missing = report.missing[report.missing > 0]
        for column, count in missing.items():
            click.echo(f"  note: {count} missing value(s) in {column}")
        for column in report.extra_columns:
            click.echo(f"  note: column {column!r} is not in the data dictionary (kept, not used)")
        return
    click.echo(f"{data}: {report.summary(details=details or None)}", err=True)
    sys.exit(1)
