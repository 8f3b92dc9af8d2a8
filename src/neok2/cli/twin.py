"""``neok2 twin``: a shareable synthetic twin of real records, with its utility and disclosure."""

from __future__ import annotations

from pathlib import Path

import click

from neok2.cli.common import force_option, study_option


@click.command(name="twin")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@study_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Twin CSV to write; <stem>_report.csv/.html and <stem>_availability.md go beside it.",
)
@click.option("--seed", type=click.IntRange(min=0), default=20200701, show_default=True)
@click.option(
    "--method", type=click.Choice(["cart", "parametric"]), default="cart", show_default=True
)
@click.option(
    "--min-leaf",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Minimum real records per tree leaf (larger = more privacy).",
)
@click.option(
    "--max-replicated-uniques",
    type=click.FloatRange(min=0, max=1),
    default=None,
    help="Refuse to write a twin whose replicated-uniques rate exceeds this rate.",
)
@force_option
def command(
    data: Path,
    study: str,
    out: Path,
    seed: int,
    method: str,
    min_leaf: int,
    max_replicated_uniques: float | None,
    force: bool,
) -> None:
    """Synthesise a twin of DATA (validated first against the study's data dictionary).

    Writes OUT (the twin), OUT's <stem>_report.csv and <stem>_report.html (utility: pMSE,
    tables, Table 1 tests, screen and adjusted ORs beside the real ones; disclosure:
    replicated uniques, closest-record distances) and <stem>_availability.md (a paragraph for
    the manuscript's data-availability statement). The same seed gives byte-identical files.
    """
    from neok2._io import check_replaceable, record_written, refuse_overwrite_input
    from neok2.report.twin_report import write_twin_report
    from neok2.study.dictionary import (
        DataValidationError,
        apply_codes,
        read_data,
        validate_data,
    )
    from neok2.study.spec import available_studies, load_study
    from neok2.synth.twin import synthesize_from_data
    from neok2.synth.twin_utility import compare_case_control, propensity_utility, table_utility

    protect: tuple[Path, ...] = (data,)
    if study not in available_studies():
        protect = (data, Path(study))
    refuse_overwrite_input(out, *protect)
    for target in (out, *_companions(out)):
        check_replaceable(target, force=force)
    spec = load_study(study)
    real = apply_codes(read_data(data), spec)
    report = validate_data(real, spec)
    if not report.ok:
        raise DataValidationError(report)
    result = synthesize_from_data(
        real,
        spec,
        seed=seed,
        method=method,  # type: ignore[arg-type]
        min_leaf=min_leaf,
        max_replicated_uniques=max_replicated_uniques,
    )
    compared = {k: v for k, v in result.types.items() if v != "id"}
    propensity = propensity_utility(real, result.data, compared)
    tables = table_utility(real, result.data, compared)
    described = [v for v in dict.fromkeys(spec.table1["variable"]) if v in compared]
    comparison = compare_case_control(
        real,
        result.data,
        result.outcome,
        [c for c in spec.candidates if c in compared],
        types=compared,
        threshold=spec.screening_threshold,
        table1_variables=described,
        terms=[t for t in spec.multivariable_terms if t in compared] or None,
    )
    written = write_twin_report(
        result, propensity, tables, out, comparison=comparison, protect=protect
    )
    record_written(*written)
    click.echo(
        f"{written[0]}: {result.n_cases} cases, {result.n_controls} controls; "
        f"pMSE ratio {propensity.ratio:.3g}; mean CI overlap {comparison.mean_ci_overlap:.2f}; "
        f"replicated uniques {result.disclosure.replicated_uniques} "
        f"({result.disclosure.replicated_uniques_rate:.1%})"
    )


def _companions(out: Path) -> tuple[Path, ...]:
    """The report files written beside the twin."""
    return tuple(
        out.with_name(f"{out.stem}{suffix}")
        for suffix in ("_report.csv", "_report.html", "_availability.md")
    )
