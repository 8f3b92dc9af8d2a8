"""``neok2 rebuild-check DATA``: how close synthetic cohorts built from tables come to real records.

``neok2 rebuild-check DATA --study birthwt --seeds 5 --out validation/birthwt.csv`` builds one
synthetic cohort per seed from the study's printed tables, compares each with the real
records in DATA (:func:`neok2.synth.rebuild_check.rebuild_check`) and writes one row per
cohort. ``neok2 rebuild-check --summary-of A.csv --summary-of B.csv --out summary.csv``
stacks such files into one row per study and writes the same table as markdown beside it
(``summary.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

from neok2.cli.common import force_option, study_option

# The markdown summary: what each column is called in a sentence-like header.
_SUMMARY_HEADERS = {
    "study": "Study",
    "n_seeds": "Cohorts",
    "cells_share": "Table 1 cells reproduced",
    "max_abs_log_or_ratio": "Max abs log OR ratio",
    "screen_agreement": "Screen agreement",
    "selection_agreement": "Stepwise agreement",
    "correlation_rms_difference": "Correlation distance (RMS)",
    "permuted_rms_difference": "Permuted yardstick (RMS)",
    "correlation_max_difference": "Correlation distance (max)",
    "permuted_max_difference": "Permuted yardstick (max)",
}


def mean_text(value: float) -> str:
    """A mean over cohorts: an integer when it is whole (``28``), else one decimal (``27.4``).

    Examples
    --------
    >>> mean_text(28.0), mean_text(100.0), mean_text(27.4), mean_text(99.96)
    ('28', '100', '27.4', '100.0')
    """
    from neok2.formatting import format_number

    return format_number(value, 0) if float(value).is_integer() else format_number(value, 1)


def _markdown(summary: pd.DataFrame) -> str:
    from neok2.formatting import format_number

    lines = [
        "| " + " | ".join(_SUMMARY_HEADERS.values()) + " |",
        "|" + "|".join("---" for _ in _SUMMARY_HEADERS) + "|",
    ]
    for row in summary.to_dict("records"):
        cells = []
        for column in _SUMMARY_HEADERS:
            value = row[column]
            if column == "study":
                cells.append(str(value))
            elif column == "n_seeds":
                cells.append(str(int(value)))
            elif column == "cells_share":
                cells.append(
                    f"{mean_text(row['cells_reproduced'])}/"
                    f"{format_number(row['cells_total'], 0)} ({mean_text(100 * value)}%)"
                )
            else:
                cells.append(format_number(float(value), 3))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@click.command(name="rebuild-check")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path), required=False)
@study_option
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Synthetic cohorts to build (seeds SEED, SEED+1, ...).",
)
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV to write: one row per cohort, or with --summary-of one row per study "
    "(and a markdown table beside it, same stem, .md).",
)
@click.option(
    "--summary-of",
    "summary_of",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    multiple=True,
    help="Per-cohort CSVs written by this command to summarise instead (repeat the option).",
)
@click.option(
    "--cohort",
    "cohort_files",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    multiple=True,
    hidden=True,  # stand-in cohorts (tests, or a synthesizer run elsewhere), seeds SEED, ...
)
@force_option
def command(
    data: Path | None,
    study: str,
    seeds: int,
    seed: int,
    out: Path,
    summary_of: tuple[Path, ...],
    cohort_files: tuple[Path, ...],
    force: bool,
) -> None:
    """Compare synthetic cohorts rebuilt from the study's tables with the real records DATA.

    Per cohort: printed Table 1 cells reproduced, the largest |log(OR_synthetic / OR_real)|
    of the multivariable model, agreement of the univariable screen and of backward stepwise
    selection, and the distance between the correlation matrices beside a within-group
    permuted copy of DATA. Files are written atomically; an existing file that neok2 did not
    write is never replaced without --force, and DATA never.
    """
    import pandas as pd

    from neok2._io import (
        atomic_write_csv,
        atomic_write_text,
        check_replaceable,
        record_written,
        refuse_overwrite_input,
    )

    if summary_of:
        if data is not None:
            raise ValueError("give DATA or --summary-of, not both")
        from neok2.synth.rebuild_check import summarise_rebuild_checks

        markdown = out.with_suffix(".md")
        for target in (out, markdown):
            refuse_overwrite_input(target, *summary_of)
            check_replaceable(target, force=force)
        summary = summarise_rebuild_checks(
            pd.concat(
                [pd.read_csv(path, keep_default_na=False, na_values=[""]) for path in summary_of]
            )
        )
        files = (atomic_write_csv(summary, out), atomic_write_text(markdown, _markdown(summary)))
        record_written(*files)
        click.echo(
            f"{files[0]}: {len(summary)} stud{'y' if len(summary) == 1 else 'ies'} summarised"
        )
        return
    if data is None:
        raise ValueError("give DATA (the study's real records) or --summary-of FILE")
    from neok2.study.dictionary import DataValidationError, apply_codes, read_data, validate_data
    from neok2.study.spec import available_studies, load_study
    from neok2.synth.rebuild_check import rebuild_check

    protect: tuple[Path, ...] = (data, *cohort_files)
    if study not in available_studies():
        protect = (*protect, Path(study))
    refuse_overwrite_input(out, *protect)
    check_replaceable(out, force=force)
    spec = load_study(study)
    real = apply_codes(read_data(data), spec)
    report = validate_data(real, spec)
    if not report.ok:
        raise DataValidationError(report)
    # a study the synthesizer refuses ends here with its one-line SynthesisRefused message
    if cohort_files:
        cohorts = {
            seed + index: apply_codes(read_data(path), spec)
            for index, path in enumerate(cohort_files)
        }
        result = rebuild_check(spec, real, cohorts=cohorts)
    else:
        result = rebuild_check(spec, real, seeds=list(range(seed, seed + seeds)))
    written = atomic_write_csv(result.tidy(), out)
    record_written(written)
    mean = result.summary().iloc[0]
    click.echo(
        f"{written}: {len(result.seeds)} cohort(s); Table 1 cells "
        f"{mean_text(mean['cells_reproduced'])}/{result.cells_total}; max |log OR ratio| "
        f"{mean['max_abs_log_or_ratio']:.3f}; correlation distance "
        f"{mean['correlation_rms_difference']:.3f} (permuted {mean['permuted_rms_difference']:.3f})"
    )
