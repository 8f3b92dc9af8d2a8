"""Options shared by several ``neok2`` sub-commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

    from neok2.study.spec import Study

from neok2.study.spec import DEFAULT_STUDY

__all__ = ["force_option", "no_validate_option", "read_validated", "study_option"]

# Every command that works on one shipped or user study takes it the same way.
study_option = click.option(
    "--study",
    default=DEFAULT_STUDY,
    show_default=True,
    help="Shipped study name or path of a study spec (YAML).",
)

# Outputs never replace a file neok2 did not write, unless asked.
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing output file even if neok2 did not write it.",
)

# Every command that analyses data checks it against the study's dictionary first.
no_validate_option = click.option(
    "--no-validate",
    is_flag=True,
    help="Analyse DATA without checking it against the study's data dictionary first.",
)


def read_validated(data: str, study: Study, *, no_validate: bool) -> pd.DataFrame:
    """Read DATA, apply the dictionary's codes, and stop when it breaks the dictionary.

    With ``no_validate`` the file is read as it is and a note on standard error says so.
    """
    from neok2.study.dictionary import apply_codes, read_data, validate_data

    frame = apply_codes(read_data(data), study)
    if no_validate:
        click.echo(
            f"note: {data} was not validated against the data dictionary (--no-validate)", err=True
        )
        return frame
    report = validate_data(frame, study)
    if not report.ok:
        raise ValueError(
            f"{data}: {report.summary()}\n"
            "  (fix the file or the data dictionary, or pass --no-validate to analyse it as it is)"
        )
    return frame
