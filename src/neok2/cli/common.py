"""Options shared by several ``neok2`` sub-commands."""

from __future__ import annotations

import click

__all__ = ["force_option", "study_option"]

# Every command that works on one shipped or user study takes it the same way.
study_option = click.option(
    "--study",
    default="k2_neonates",
    show_default=True,
    help="Shipped study name or path of a study spec (YAML).",
)

# Outputs never replace a file neok2 did not write, unless asked.
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing output file even if neok2 did not write it.",
)
