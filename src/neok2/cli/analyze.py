"""``neok2 analyze DATA``: compute every artifact the manuscript quotes."""

from __future__ import annotations

from pathlib import Path

import click

from neok2._io import check_replaceable_folder
from neok2.cli.common import no_validate_option, read_validated, study_option
from neok2.report.results import file_sha256, write_results
from neok2.report.run import run_analysis
from neok2.study.spec import load_study


@click.command(name="analyze")
@click.argument("data", type=click.Path(path_type=Path))
@study_option
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed of every random step (figure jitter, bootstrap, simulation); default: the "
    "study's report.seed.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder for the artifacts; replaced as a whole once every file is written.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the --out folder even if it holds files neok2 did not write.",
)
@click.option(
    "--mode",
    type=click.Choice(["replication", "author"]),
    default="replication",
    show_default=True,
    help="replication: set DATA beside the published report; author: the author's own paper, "
    "every number from DATA and its fitted models.",
)
@click.option(
    "--data-source",
    type=click.Choice(["synthetic", "real"]),
    default="real",
    show_default=True,
    help="What DATA is: the synthetic cohort of `neok2 synth` (the manuscript then carries "
    "the synthetic-data banner) or real records. Never guessed from the file.",
)
@click.option(
    "--compare-published",
    is_flag=True,
    help="Author mode: add one marked section comparing DATA with the published study.",
)
@click.option(
    "--bootstrap",
    "bootstrap_replicates",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Bootstrap resamples of the variable selection.",
)
@click.option(
    "--simulations",
    "simulation_replicates",
    type=click.IntRange(min=1),
    default=2500,
    show_default=True,
    help="Simulated studies of the design (power and screening tables; MC SE at most one "
    "point); curves and the correlation sensitivity use a fifth of them per point.",
)
@click.option(
    "--structure",
    "exposure_structure",
    type=click.Choice(["calibrated", "independent"]),
    default="calibrated",
    show_default=True,
    help="Joint exposure model of the replication-mode simulations: calibrated (every "
    "candidate, correlated to reproduce the printed crude and adjusted ORs) or independent.",
)
@no_validate_option
def command(
    data: Path,
    study: str,
    seed: int | None,
    out_dir: Path,
    force: bool,
    mode: str,
    data_source: str,
    compare_published: bool,
    bootstrap_replicates: int,
    simulation_replicates: int,
    exposure_structure: str,
    no_validate: bool,
) -> None:
    """Analyse DATA (.csv, .sav or .dta) and write results.json, tables and figures to OUT.

    DATA is checked against the study's data dictionary first (skip with --no-validate).
    DATA is only read; OUT must not contain it. OUT is written whole: into a temporary
    folder beside it, then swapped in, so an interrupted run leaves the earlier results
    intact; an OUT holding files neok2 did not write is refused unless --force. Sections
    whose library module is missing are listed as not available. The mode and the data
    source are recorded in results.json.
    """
    if compare_published and mode != "author":
        raise click.UsageError(
            "--compare-published applies to --mode author (a replication always compares)"
        )
    data_path = data.resolve()
    out_path = out_dir.resolve()
    if out_path == data_path.parent or out_path in data_path.parents:
        raise ValueError(f"--out {str(out_dir)!r} contains DATA; choose another folder")
    # refuse before the analysis runs, not after minutes of work
    check_replaceable_folder(out_dir, force=force, argument="--out")
    spec = load_study(study)
    if seed is None:
        seed = spec.default_seed
        if seed is None:
            raise ValueError(
                f"--seed: study {spec.id!r} names no default seed (report.seed); pass --seed N"
            )
    frame = read_validated(str(data), spec, no_validate=no_validate)
    results = run_analysis(
        frame,
        spec,
        seed=seed,
        data_source=data_source,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        compare_published=compare_published,
        data_name=data_path.name,
        data_sha256=file_sha256(data_path),
        bootstrap_replicates=bootstrap_replicates,
        simulation_replicates=simulation_replicates,
        exposure_structure=exposure_structure,
    )
    written = write_results(results, out_dir, force=force)
    missing = {name: reason for name, reason in results.sections.items() if reason}
    click.echo(
        f"{data}: {len(results.values)} values, {len(results.tables)} tables, "
        f"{len(results.figures)} figures ({results.mode} mode, {results.data_source} data) "
        f"-> {written[-1]}"
    )
    for name, reason in missing.items():
        click.echo(f"  section {name} not available: {reason}", err=True)
