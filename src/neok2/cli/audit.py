"""``neok2 audit``: check a published study's tables, odds ratios and text against each other."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from neok2._io import atomic_write_text, check_replaceable, record_written
from neok2.audit.run import audit_study
from neok2.cli.common import force_option, study_option
from neok2.study.spec import load_study


@click.command(name="audit")
@study_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "md", "json"]),
    default="md",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--all",
    "include_passed",
    is_flag=True,
    help="List the passed checks too, not only the findings.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "error", "warning", "note"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity or a graver one is found (for CI).",
)
@force_option
def command(
    study: str,
    output_format: str,
    out: Path | None,
    include_passed: bool,
    fail_on: str,
    force: bool,
) -> None:
    """Recompute every checkable number of STUDY and list what does not hold together.

    Each finding names its location, the printed value, the recomputed value and a severity
    (error, warning, note). The spec is only read; --out must name a different file. With
    --fail-on, the exit status is 1 when a finding of that severity or a graver one is found,
    so that the audit can gate a CI job.
    """
    loaded = load_study(study)
    if out is not None and loaded.path is not None and out.resolve() == loaded.path.resolve():
        raise ValueError(f"`--out` {str(out)!r} is the study spec itself; choose another file")
    if out is not None:
        check_replaceable(out, force=force)
    result = audit_study(loaded)
    render = {"csv": result.to_csv, "md": result.to_markdown, "json": result.to_json}
    text = render[output_format](include_passed=include_passed)
    if out is None:
        click.echo(text, nl=False)
    else:
        record_written(atomic_write_text(out, text))
        summary = result.summary().iloc[-1]
        click.echo(
            f"{out}: {summary['n_checks']} checks, {summary['n_error']} errors, "
            f"{summary['n_warning']} warnings, {summary['n_note']} notes",
            err=True,
        )
    graver = {"never": (), "error": ("error",), "warning": ("error", "warning")}
    failing = graver.get(fail_on, ("error", "warning", "note"))
    found = result.checks["severity"].isin(failing).sum()
    if found:
        click.echo(
            f"neok2: audit found {found} finding(s) at --fail-on {fail_on} or graver", err=True
        )
        sys.exit(1)
