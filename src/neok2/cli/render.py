"""``neok2 render PROJECT``: render the Quarto manuscript to HTML, PDF and DOCX."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from neok2._io import file_sha256
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
    "--data",
    "data",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Refuse to render unless the results were computed from this file (SHA-256).",
)
@click.option(
    "--results",
    "results_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder of results.json, checked against --data.",
)
@click.option(
    "--depends-on",
    multiple=True,
    metavar="PATH",
    help="File or folder the cells read (repeatable; default from _quarto.yml).",
)
def command(
    project: str,
    engine: Any,
    no_cache: bool,
    data: Path | None,
    results_dir: Path,
    depends_on: tuple[str, ...],
) -> None:
    """Render the manuscript project PROJECT (a folder with ``_quarto.yml``).

    With ``--data``, the render first checks that ``results.json`` records that file's
    SHA-256, so that a manuscript never presents results of other data under this file's
    name. The title and subtitle follow the mode recorded in results.json (``neok2: modes:``
    of ``_quarto.yml``). Exits 2 on a usage or input error and 1 when a cell or a tool failed.
    """
    if data is not None:
        check_results_match(results_dir, data)
    article = study_article(Path(project), results_dir)
    # the mode titles of _quarto.yml belong to the project's own article; the generic
    # article is titled by the study's spec
    metadata = (
        mode_metadata(Path(project), results_dir)
        if article is None
        else generic_metadata(results_dir)
    )
    try:
        result = render_manuscript(
            project,
            engine=engine,
            cache=not no_cache,
            depends_on=list(depends_on) or None,
            metadata=metadata,
            article=article,
        )
    except RuntimeError as error:
        click.echo(f"neok2: render failed: {error}", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"neok2: {warning}", err=True)
    cached = " (cached execution)" if result.cache_hit else ""
    for path in result.outputs:
        click.echo(f"wrote {path}{cached}")


def check_results_match(results_dir: Path, data: Path) -> None:
    """Raise ValueError unless ``results_dir/results.json`` was computed from ``data``."""
    if not data.is_file():
        raise ValueError(f"--data {str(data)!r} does not exist or is not a file")
    results_file = results_dir / "results.json"
    if not results_file.is_file():
        raise ValueError(f"{results_file} does not exist; run `neok2 analyze` first")
    try:
        recorded = json.loads(results_file.read_text(encoding="utf-8"))["data_file"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{results_file} is not a neok2 results file ({error})") from None
    actual = file_sha256(data)
    if recorded.get("sha256") != actual:
        raise ValueError(
            f"{results_file} was computed from {recorded.get('name')!r} "
            f"(SHA-256 {str(recorded.get('sha256'))[:12]}...), not from {str(data)!r} "
            f"(SHA-256 {actual[:12]}...); run `neok2 analyze {data}` again"
        )


def mode_metadata(project: Path, results_dir: Path) -> dict[str, Any]:
    """Front-matter values for the mode recorded in ``results_dir/results.json``.

    ``_quarto.yml`` may hold ``neok2: modes: <mode>: {title: ..., subtitle: ...}``; without
    a results file or such an entry nothing is replaced.
    """
    results_file = results_dir / "results.json"
    config_file = project / "_quarto.yml"
    if not results_file.is_file() or not config_file.is_file():
        return {}
    try:
        mode = json.loads(results_file.read_text(encoding="utf-8")).get("mode")
    except json.JSONDecodeError as error:
        raise ValueError(f"{results_file} is not a neok2 results file ({error})") from None
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    modes = (config.get("neok2") or {}).get("modes") or {}
    chosen = modes.get(mode) or {}
    if not isinstance(chosen, dict):
        raise ValueError(f"{config_file}: `neok2: modes: {mode}:` must map keys to values")
    return dict(chosen)


def study_article(project: Path, results_dir: Path) -> str | None:
    """The article written for the study recorded in ``results_dir/results.json``.

    ``_quarto.yml`` may hold ``neok2: articles: {<study id>: <file>, "*": <file>}``: a study
    with its own article gets it, any other study the ``"*"`` entry (the generic manuscript
    built from the spec alone). Without such an entry the configured article is rendered.
    """
    results_file = results_dir / "results.json"
    config_file = project / "_quarto.yml"
    if not results_file.is_file() or not config_file.is_file():
        return None
    try:
        study = json.loads(results_file.read_text(encoding="utf-8")).get("study")
    except json.JSONDecodeError as error:
        raise ValueError(f"{results_file} is not a neok2 results file ({error})") from None
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    articles = (config.get("neok2") or {}).get("articles") or {}
    if not isinstance(articles, dict):
        raise ValueError(f"{config_file}: `neok2: articles:` must map study ids to .qmd files")
    chosen = articles.get(study, articles.get("*"))
    configured = (config.get("manuscript") or {}).get("article")
    # the project's own article keeps its mode titles; only another article is returned
    return None if chosen is None or chosen == configured else str(chosen)


def generic_metadata(results_dir: Path) -> dict[str, Any]:
    """The title of the generic article: the study's own title from results.json, if any.

    An author's paper (``--mode author``) has no audit or published comparison, so its
    subtitle names only what it holds.
    """
    document = json.loads((results_dir / "results.json").read_text(encoding="utf-8"))
    values = document.get("values") or {}
    # the cohort carries the spec's words in every mode, the published section only in a
    # replication
    title = (values.get("cohort.title") or values.get("published.title") or {}).get("value")
    metadata = {"title": str(title)} if title else {}
    if document.get("mode") == "author":
        metadata["subtitle"] = (
            "Baseline comparison, univariable screen, multivariable model and sensitivity analyses"
        )
    return metadata
