"""``neok2 screen DATA``: univariable screen and multivariable logistic model, as CSV and HTML."""

from __future__ import annotations

from pathlib import Path

import click

from neok2.cli.common import no_validate_option, read_validated
from neok2.formatting import format_ci, format_odds_ratio, format_p
from neok2.stats.selection import screen_and_fit
from neok2.study.spec import DEFAULT_STUDY, load_study

_FIRTH = {"auto": "auto", "true": True, "false": False}


@click.command(name="screen")
@click.argument("data", type=click.Path(path_type=str))
@click.option("--outcome", default=None, help="0/1 outcome column [default: the study's outcome].")
@click.option(
    "--candidates",
    default=None,
    help="Comma-separated candidate columns [default: the study's Table 1 candidates].",
)
@click.option(
    "--threshold",
    default=0.1,
    show_default=True,
    type=float,
    help="Univariable p below which a candidate enters the multivariable model.",
)
@click.option(
    "--ci",
    type=click.Choice(["wald", "profile"]),
    default="wald",
    show_default=True,
    help="Wald (SPSS) or profile-likelihood intervals.",
)
@click.option(
    "--firth",
    type=click.Choice(sorted(_FIRTH)),
    default="auto",
    show_default=True,
    help="Firth's penalised likelihood: auto = only for separated data.",
)
@click.option(
    "--study",
    default=DEFAULT_STUDY,
    show_default=True,
    help="Study name or spec path giving default outcome, candidates and labels.",
)
@click.option(
    "--out",
    "prefix",
    default=None,
    help="Write PREFIX.csv (table), PREFIX_selection.csv (log) and PREFIX.html.",
)
@no_validate_option
def command(
    data: str,
    outcome: str | None,
    candidates: str | None,
    threshold: float,
    ci: str,
    firth: str,
    study: str,
    prefix: str | None,
    no_validate: bool,
) -> None:
    """Screen candidates of DATA (.csv, .sav or .dta) one at a time and fit the survivors together.

    DATA is first checked against the study's data dictionary (skip with --no-validate).
    Without --out the table is printed. The data file is only read; output files with the
    same prefix are replaced.
    """
    spec = load_study(study)
    outcome = outcome or spec.outcome
    names = (
        [name.strip() for name in candidates.split(",") if name.strip()]
        if candidates is not None
        else list(spec.candidates)
    )
    frame = read_validated(data, spec, no_validate=no_validate)
    result = screen_and_fit(
        frame,
        outcome,
        names,
        threshold=threshold,
        ci=ci,  # type: ignore[arg-type]
        firth=_FIRTH[firth],  # type: ignore[arg-type]
    )
    main_rows = spec.table1[spec.table1["level"] == ""]
    labels = dict(zip(main_rows["variable"], main_rows["label"], strict=True))
    models = list(result.univariable_models.values())
    if result.multivariable is not None:
        models.append(result.multivariable)
    for model in models:
        for note in model.notes:
            click.echo(f"note: {model.formula}: {note}")

    if prefix is None:
        table = result.table()
        for row in table.to_dict("records"):
            multi = (
                f"{format_odds_ratio(row['or_multivariable'])} "
                f"({format_ci(row['ci_low_multivariable'], row['ci_high_multivariable'])}) "
                f"p={format_p(row['p_multivariable'])}"
                if row["selected"]
                else "-"
            )
            click.echo(
                f"{row['term']}: {format_odds_ratio(row['or_univariable'])} "
                f"({format_ci(row['ci_low_univariable'], row['ci_high_univariable'])}) "
                f"p={format_p(row['p_univariable'])} | {multi}"
            )
        return
    source = Path(data).resolve()
    targets = [Path(f"{prefix}.csv"), Path(f"{prefix}_selection.csv"), Path(f"{prefix}.html")]
    for target in targets:
        if target.resolve() == source:
            raise ValueError(f"`--out` {prefix!r} would overwrite the input file {data!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
    result.table().to_csv(targets[0], index=False)
    result.selection_log.to_csv(targets[1], index=False)
    targets[2].write_text(result.to_gt(labels=labels).as_raw_html(), encoding="utf-8")
    selected = ", ".join(result.selected) or "none"
    click.echo(f"wrote {targets[0]}, {targets[1]} and {targets[2]} (selected: {selected})")
