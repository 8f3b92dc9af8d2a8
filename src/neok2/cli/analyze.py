"""``neok2 analyze DATA``: compute every artifact the manuscript quotes."""

from __future__ import annotations

from pathlib import Path

import click

from neok2.cli.common import study_option
from neok2.report.analysis import file_sha256, run_analysis, write_results
from neok2.study.dictionary import read_data, validate_data
from neok2.study.spec import load_study


def _data_source(path: Path, choice: str) -> str:
    if choice != "auto":
        return choice
    # neok2 synth writes <stem>_compromises.csv beside every cohort it generates
    return "synthetic" if path.with_name(f"{path.stem}_compromises.csv").is_file() else "user"


@click.command(name="analyze")
@click.argument("data", type=click.Path(path_type=Path))
@study_option
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    required=True,
    help="Seed of every random step (figure jitter, bootstrap, simulation).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder for the artifacts.",
)
@click.option(
    "--data-source",
    type=click.Choice(["auto", "synthetic", "user"]),
    default="auto",
    show_default=True,
    help="How the manuscript describes DATA; auto = synthetic when neok2 synth's "
    "<stem>_compromises.csv lies beside DATA.",
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
    default=200,
    show_default=True,
    help="Simulated studies per scenario.",
)
def command(
    data: Path,
    study: str,
    seed: int,
    out_dir: Path,
    data_source: str,
    bootstrap_replicates: int,
    simulation_replicates: int,
) -> None:
    """Analyse DATA (.csv, .sav or .dta) and write results.json, tables and figures to OUT.

    DATA is only read; OUT must not contain it. Sections whose library module is missing
    are listed as not available.
    """
    data_path = data.resolve()
    out_path = out_dir.resolve()
    if out_path == data_path.parent or out_path in data_path.parents:
        raise ValueError(f"--out {str(out_dir)!r} contains DATA; choose another folder")
    spec = load_study(study)
    frame = read_data(data_path)
    report = validate_data(frame, spec)
    if not report.ok:
        raise ValueError(f"{data}: {report.summary()} (run `neok2 validate {data}` for details)")
    results = run_analysis(
        frame,
        spec,
        seed=seed,
        data_source=_data_source(data_path, data_source),  # type: ignore[arg-type]
        data_name=data_path.name,
        data_sha256=file_sha256(data_path),
        bootstrap_replicates=bootstrap_replicates,
        simulation_replicates=simulation_replicates,
    )
    written = write_results(results, out_dir)
    missing = {name: reason for name, reason in results.sections.items() if reason}
    click.echo(
        f"{data}: {len(results.values)} values, {len(results.tables)} tables, "
        f"{len(results.figures)} figures ({results.data_source} data) -> {written[-1]}"
    )
    for name, reason in missing.items():
        click.echo(f"  section {name} not available: {reason}", err=True)
