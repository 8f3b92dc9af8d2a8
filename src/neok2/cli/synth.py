"""``neok2 synth``: generate the synthetic cohort, its fidelity report and its compromises."""

from __future__ import annotations

from pathlib import Path

import click

from neok2._io import check_replaceable, record_written
from neok2.cli.common import force_option, study_option
from neok2.study.spec import available_studies, load_study
from neok2.synth.fidelity import fidelity_report
from neok2.synth.generator import cohort_paths, synthesize_cohort, write_cohort


@click.command(name="synth")
@study_option
@click.option("--seed", type=click.IntRange(min=0), required=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Cohort CSV to write; <stem>_fidelity.csv and <stem>_compromises.csv go beside it.",
)
@force_option
def command(study: str, seed: int, out: Path, force: bool) -> None:
    """Generate a synthetic cohort calibrated to a study's published summaries.

    Writes OUT, OUT's <stem>_fidelity.csv (every published number beside its synthetic
    counterpart) and <stem>_compromises.csv (constraints that gave way), each atomically.
    The same seed gives byte-identical files. An existing file that neok2 did not write is
    never replaced without --force.
    """
    spec = load_study(study)
    protect: tuple[Path, ...] = ()
    if study not in available_studies():
        protect = (Path(study),)
    for target in cohort_paths(out, protect=protect):
        check_replaceable(target, force=force)
    result = synthesize_cohort(spec, seed=seed)
    report = fidelity_report(spec, result.data)
    written = write_cohort(result, out, fidelity=report.tidy(), protect=protect)
    record_written(*written)
    failed, checked = report.n_failed, report.n_checked
    click.echo(
        f"{written[0]}: {len(result.data)} records; fidelity {checked - failed}/{checked} "
        f"checks met; {len(result.compromises)} compromise(s) recorded"
    )
