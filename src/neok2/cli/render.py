"""``neok2 render PROJECT``: render the Quarto manuscript to HTML and PDF."""

from __future__ import annotations

import sys
from typing import Any

import click

from neok2.report.render.api import render_manuscript


@click.command(name="render")
@click.argument("project", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--engine",
    type=click.Choice(["auto", "quarto", "fallback"]),
    default="auto",
    show_default=True,
    help="Quarto when on PATH (auto), or the pandoc/Jupyter/typst fallback.",
)
@click.option("--no-cache", is_flag=True, help="Always re-execute the cells.")
@click.option(
    "--depends-on",
    multiple=True,
    metavar="PATH",
    help="File or folder the cells read (repeatable; default from _quarto.yml).",
)
def command(project: str, engine: Any, no_cache: bool, depends_on: tuple[str, ...]) -> None:
    """Render the manuscript project PROJECT (a folder with ``_quarto.yml``).

    Exits 2 on a usage or input error and 1 when a cell or a tool failed.
    """
    try:
        result = render_manuscript(
            project,
            engine=engine,
            cache=not no_cache,
            depends_on=list(depends_on) or None,
        )
    except RuntimeError as error:
        click.echo(f"neok2: render failed: {error}", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"neok2: {warning}", err=True)
    cached = " (cached execution)" if result.cache_hit else ""
    for path in result.outputs:
        click.echo(f"wrote {path}{cached}")
