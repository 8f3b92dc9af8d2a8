"""``neok2 power``: analytic and simulated sample size and power."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from neok2.cli.common import study_option
from neok2.formatting import format_number, format_odds_ratio
from neok2.stats.power import power_case_control, study_power
from neok2.stats.simulation import model_from_study, power_curve, simulate_pipeline
from neok2.study.spec import load_study


def _echo_table(frame: pd.DataFrame, digits: dict[str, int]) -> None:
    shown = frame.copy()
    for column, places in digits.items():
        if column in shown:
            shown[column] = [format_number(value, places) for value in shown[column]]
    click.echo(shown.to_string(index=False))


@click.group(name="power")
def command() -> None:
    """Sample size and power: analytic formulas, the published study, and simulation."""


@command.command(name="analytic")
@click.option("--odds-ratio", type=float, default=None, help="Odds ratio to detect.")
@click.option("--p0", type=float, required=True, help="Exposure prevalence among controls.")
@click.option("--n-cases", type=float, default=None, help="Number of cases.")
@click.option("--power", "power_", type=float, default=None, help="Power.")
@click.option("--controls-per-case", type=float, default=1.0, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--sided", type=click.IntRange(1, 2), default=2, show_default=True)
@click.option(
    "--method",
    type=click.Choice(["fleiss", "kelsey", "fleiss_cc"]),
    default="fleiss",
    show_default=True,
)
def analytic(
    odds_ratio: float | None,
    p0: float,
    n_cases: float | None,
    power_: float | None,
    controls_per_case: float,
    alpha: float,
    sided: int,
    method: str,
) -> None:
    """Unmatched case-control design: leave out one of --odds-ratio, --n-cases, --power.

    The missing quantity is solved for, e.g. ``neok2 power analytic --odds-ratio 2 --p0 0.1
    --n-cases 66 --controls-per-case 2.03`` prints the power.
    """
    row = power_case_control(
        odds_ratio,
        p0,
        n_cases,
        power_,
        controls_per_case=controls_per_case,
        alpha=alpha,
        sided=sided,
        method=method,  # type: ignore[arg-type]
    ).iloc[0]
    click.echo(f"method: {row['method']} (solved for {row['solved_for']})")
    click.echo(f"odds ratio: {format_odds_ratio(row['odds_ratio'], 3)}")
    if row["solved_for"] == "odds_ratio":
        click.echo(f"protective odds ratio: {format_odds_ratio(row['odds_ratio_protective'], 3)}")
    click.echo(
        f"exposure prevalence: controls {format_number(row['p0'], 3)}, "
        f"cases {format_number(row['p1'], 3)}"
    )
    click.echo(
        f"cases: {format_number(row['n_cases'], 1)} (recruit {row['n_cases_needed']}), "
        f"controls: {format_number(row['n_controls'], 1)} "
        f"(recruit {row['n_controls_needed']})"
    )
    click.echo(f"power: {format_number(row['power'], 3)}")


@command.command(name="study")
@study_option
@click.option("--power", "power_", type=float, default=0.8, show_default=True)
@click.option(
    "--method",
    type=click.Choice(["fleiss", "kelsey", "fleiss_cc"]),
    default="fleiss",
    show_default=True,
)
def study_command(study: str, power_: float, method: str) -> None:
    """Power of the published study for each binary risk factor it reports."""
    table = study_power(load_study(study), power=power_, method=method)  # type: ignore[arg-type]
    columns = [
        "variable",
        "model",
        "published_odds_ratio",
        "p0",
        "power_published",
        "power_or_2",
        "n_total_80",
        "detectable_or_80",
        "method_label",
    ]
    _echo_table(
        table[columns],
        {
            "published_odds_ratio": 3,
            "p0": 3,
            "power_published": 3,
            "power_or_2": 3,
            "detectable_or_80": 2,
        },
    )


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--n must be comma-separated whole numbers such as 200,400; got {text!r}"
        ) from None
    if not sizes:
        raise ValueError("--n must list at least one total sample size")
    return sizes


@command.command(name="simulate")
@study_option
@click.option(
    "--n",
    "sizes",
    default="200",
    show_default=True,
    help="Total sample sizes, comma-separated (split at the study's ratio).",
)
@click.option("--replicates", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), required=True)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Screening p-value threshold (default: the study's).",
)
@click.option("--firth", is_flag=True, help="Fit every model by Firth's penalised likelihood.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local processes (default: CPU count).",
)
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option(
    "--structure",
    type=click.Choice(["independent", "calibrated"]),
    default="independent",
    show_default=True,
    help="Exposure model: independent binary candidates, or every Table 1 candidate "
    "with latent correlations calibrated to Tables 1-3.",
)
@click.option("--no-screen", is_flag=True, help="Enter every candidate (no screening step).")
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds to wait for the Dask scheduler.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option(
    "--out",
    "prefix",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write PREFIX.csv (unrounded table) and PREFIX.png (power curve).",
)
def simulate(
    study: str,
    sizes: str,
    replicates: int,
    seed: int,
    threshold: float | None,
    firth: bool,
    chunk_size: int,
    workers: int | None,
    scheduler: str | None,
    structure: str,
    no_screen: bool,
    connect_timeout: float,
    progress: bool,
    prefix: Path | None,
) -> None:
    """Monte Carlo power of the screen-then-adjust analysis over a grid of sample sizes.

    Every simulated figure is printed with its Monte Carlo standard error (``*_mcse``).
    """
    spec = load_study(study)
    if no_screen and threshold is not None:
        raise click.UsageError("give --threshold or --no-screen, not both")
    screen = spec.screening_threshold if threshold is None else threshold
    model = model_from_study(spec, structure=structure)  # type: ignore[arg-type]
    click.echo(f"exposure model: {model.structure} ({model.source})")
    table = simulate_pipeline(
        model,
        n_total=_sizes(sizes),
        controls_per_case=spec.groups["control"] / spec.groups["case"],
        n_replicates=replicates,
        seed=seed,
        threshold=None if no_screen else screen,
        firth=firth,
        chunk_size=chunk_size,
        n_workers=workers,
        scheduler=scheduler,
        connect_timeout=connect_timeout,
        progress=progress,
    )
    columns = [
        "n_total",
        "variable",
        "true_odds_ratio",
        "power",
        "power_mcse",
        "false_inclusion",
        "false_inclusion_mcse",
        "selection_rate",
        "selection_rate_mcse",
        "bias_log_or",
        "bias_log_or_mcse",
        "coverage",
        "coverage_mcse",
        "n_separated",
    ]
    three = [
        "true_odds_ratio",
        "power",
        "power_mcse",
        "false_inclusion",
        "false_inclusion_mcse",
        "selection_rate",
        "selection_rate_mcse",
        "bias_log_or",
        "bias_log_or_mcse",
        "coverage",
        "coverage_mcse",
    ]
    _echo_table(table[columns], dict.fromkeys(three, 3))
    click.echo(f"{replicates} simulated studies per size; *_mcse: Monte Carlo standard errors")
    if prefix is not None:
        csv_path = prefix.with_name(prefix.name + ".csv")
        figure_path = prefix.with_name(prefix.name + ".png")
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(csv_path, index=False)
        power_curve(table).savefig(figure_path, dpi=150, metadata={"Software": None})
        click.echo(f"wrote {csv_path} and {figure_path}")
