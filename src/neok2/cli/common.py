"""Options shared by several ``neok2`` sub-commands."""

from __future__ import annotations

import click

from neok2.study.spec import DEFAULT_STUDY

__all__ = ["study_option"]

# Every command that works on one shipped or user study takes it the same way.
study_option = click.option(
    "--study",
    default=DEFAULT_STUDY,
    show_default=True,
    help="Shipped study name or path of a study spec (YAML).",
)
