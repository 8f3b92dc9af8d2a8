"""Rendering the Quarto manuscript to HTML and PDF, with or without the Quarto CLI.

:func:`render_manuscript` renders a Quarto *manuscript project* (a folder whose
``_quarto.yml`` says ``project: type: manuscript``). With ``engine="quarto"`` (or ``"auto"``
when a ``quarto`` binary is on ``PATH``) it runs ``quarto render``. Otherwise the *fallback*
renders the same ``.qmd`` with real tools, and is deliberately small:

- the ``.qmd`` is read as text: YAML front matter, markdown, and ```` ```{python} ````
  cells with ``#|`` options;
- cells and `` `{python} expr` `` inline expressions run in document order in one Jupyter
  kernel (nbclient + ipykernel); a string value is inserted without quotes, a
  ``Markdown(...)`` value as markdown, anything else as its ``repr``;
- a cell labelled ``tbl-x``/``fig-x`` (with ``tbl-cap``/``fig-cap``) is numbered in order of
  appearance, and ``@tbl-x``/``@fig-x`` (or ``@Tbl-x``) become links reading "Table 1" or
  "Figure 2"; an unknown label is an error;
- citations go through pandoc ``--citeproc`` with the ``bibliography`` (and ``csl``) given;
- callouts (``::: {.callout-warning title="..."}``, the five Quarto kinds) are drawn as
  boxed notes with their title;
- HTML: pandoc (from ``pypandoc-binary``) writes one self-contained file with a small
  article stylesheet, keeping great-tables' styled HTML; PDF: pandoc writes typst, in which
  HTML tables have been rebuilt as real tables by pandoc's HTML reader (structure kept, CSS
  styling lost; a table too long for a page is set smaller and breaks with its header
  repeated, shorter ones are kept whole), and the ``typst`` package compiles it offline;
  DOCX: pandoc's docx writer, with the same rebuilt tables (captioned Word tables) and
  callouts as quoted blocks; dates fixed by ``SOURCE_DATE_EPOCH`` (default 0).

Supported cell options: ``label``, ``tbl-cap``, ``fig-cap``, ``fig-alt``, ``echo``, ``eval``,
``include``, ``output`` (``false``/``asis``), ``warning``, ``error``, ``out-width``; the
``execute:`` options of ``_quarto.yml`` and the front matter give their defaults. Not
supported, and refused rather than ignored where they can be detected: non-Python cells,
other cell options, figures or tables defined in markdown (``{#fig-x}``), sub-figures,
``@sec-``/``@eq-`` references, inline code in YAML, the ``date: today`` family (it would
make the output change daily), formats other than ``html``, ``typst`` and ``docx``, Quarto
extensions, shortcodes and Lua filters, collapsible or icon callouts and cross-reference
styling.

Outputs are written atomically (temporary file, then rename) and are deterministic: no
dates or random identifiers. Executed outputs are cached in ``<project>/.build/cache``
under a key made from the code, the options and the content of every file named in
``depends_on`` (by default ``neok2: depends-on:`` in ``_quarto.yml``), so editing only the
prose re-renders without starting a kernel.

Run ``python -m neok2.report.render.api PROJECT_DIR`` from a shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from neok2._frozen import frozen_fields
from neok2._validation import int_like

__all__ = ["RenderResult", "render_manuscript"]

Engine = Literal["auto", "quarto", "fallback"]
_FORMATS = ("html", "typst", "docx")
_OUTPUT_SUFFIX = {"html": ".html", "typst": ".pdf", "docx": ".docx"}


@frozen_fields("cross_references")
@dataclass(frozen=True)
class RenderResult:
    """What a render produced.

    Attributes
    ----------
    engine : {"quarto", "fallback"}
    outputs : tuple of pathlib.Path
        The written files (``index.html``, ``index.pdf``, ``index.docx``).
    cache_hit : bool or None
        Whether executed outputs came from the cache (None with Quarto).
    inline_values : tuple of (str, int, str)
        ``(expression, qmd line, inserted text)`` for every inline expression.
    cross_references : Mapping[str, str]
        Label -> display name, e.g. ``{"tbl-baseline": "Table 1"}``.
    warnings : tuple of str
        Messages pandoc printed (e.g. a citation key missing from the bibliography).
    """

    engine: str
    outputs: tuple[Path, ...]
    cache_hit: bool | None
    inline_values: tuple[tuple[str, int, str], ...] = ()
    cross_references: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """Inline values as a DataFrame with columns ``expression, line, text``."""
        return pd.DataFrame(list(self.inline_values), columns=["expression", "line", "text"])


def _read_project(project_dir: Path) -> dict[str, Any]:
    config_path = project_dir / "_quarto.yml"
    if not project_dir.is_dir():
        raise FileNotFoundError(f"`project_dir`: {str(project_dir)!r} is not a directory")
    if not config_path.is_file():
        raise FileNotFoundError(
            f"`project_dir`: no _quarto.yml in {str(project_dir)!r}; pass the folder of a "
            "Quarto manuscript project"
        )
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{config_path}: not valid YAML: {error}") from None
    project = config.get("project", {}) if isinstance(config, dict) else {}
    if not isinstance(project, dict) or project.get("type") != "manuscript":
        raise ValueError(
            f"{config_path}: `project: type:` must be `manuscript`, got "
            f"{project.get('type') if isinstance(project, dict) else project!r}"
        )
    return config


def _formats(
    config: Mapping[str, Any], front_matter: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    formats: dict[str, dict[str, Any]] = {}
    for source in (config.get("format"), front_matter.get("format")):
        if source is None:
            continue
        entries = {source: {}} if isinstance(source, str) else dict(source)
        for name, options in entries.items():
            options = options if isinstance(options, dict) else {}
            formats[name] = {**formats.get(name, {}), **options}
    return formats or {"html": {}}


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    temporary.replace(path)


def _render_with_quarto(
    project_dir: Path, expected: Sequence[Path], metadata: Mapping[str, Any]
) -> RenderResult:
    quarto = shutil.which("quarto")
    if quarto is None:
        raise FileNotFoundError(
            "engine='quarto' needs the `quarto` binary on PATH; install Quarto or use "
            "engine='fallback'"
        )
    completed = subprocess.run(
        [
            quarto,
            "render",
            str(project_dir),
            *(f"--metadata={key}:{value}" for key, value in metadata.items()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"quarto render failed:\n{completed.stderr.strip()}")
    missing = [str(path) for path in expected if not path.is_file()]
    if missing:
        raise RuntimeError(f"quarto render finished but did not write {', '.join(missing)}")
    return RenderResult(engine="quarto", outputs=tuple(expected), cache_hit=None)


def _typst_arguments(options: Mapping[str, Any]) -> list[str]:
    arguments: list[str] = []
    for key in ("papersize", "fontsize", "mainfont", "section-numbering", "columns"):
        if key in options:
            arguments += ["-V", f"{key}={options[key]}"]
    margin = options.get("margin")
    if isinstance(margin, Mapping):
        arguments += [f"-Vmargin.{side}={value}" for side, value in margin.items()]
    return arguments


def _html_arguments(options: Mapping[str, Any]) -> list[str]:
    arguments: list[str] = []
    if options.get("toc"):
        arguments.append("--toc")
    if options.get("number-sections"):
        arguments.append("--number-sections")
    return arguments


def _format_links(outputs: Mapping[str, Path], formats: Mapping[str, Any]) -> str:
    """Links from the HTML to the other formats of the same build (as Quarto's manuscripts)."""
    names = {"typst": "PDF", "docx": "DOCX"}
    links = [
        f'<a href="{Path(outputs["html"]).with_suffix(suffix).name}">{names[kind]}</a>'
        for kind, suffix in (("typst", ".pdf"), ("docx", ".docx"))
        if kind in outputs or kind in formats
    ]
    if not links:
        return ""
    return f'<p class="neok2-formats">Other formats: {" ".join(links)}</p>\n'


def _render_fallback(
    project_dir: Path,
    article: Path,
    config: Mapping[str, Any],
    outputs: Mapping[str, Path],
    *,
    cache: bool,
    depends_on: Sequence[Path],
    timeout: int,
    metadata: Mapping[str, Any],
) -> RenderResult:
    import json

    from neok2.report.render.execute import execute_document
    from neok2.report.render.pandoc import (
        HTML_STYLE,
        TYPST_HEADER,
        assemble_markdown,
        callouts,
        front_matter_block,
        pandoc_metadata,
        run_pandoc,
        tables_from_html,
    )
    from neok2.report.render.qmd import MarkdownChunk, parse_qmd

    document = parse_qmd(article.read_text(encoding="utf-8"))
    front = document.front_matter
    defaults = {**(config.get("execute") or {}), **(front.get("execute") or {})}
    kernel = front.get("jupyter", config.get("jupyter", "python3"))
    if not isinstance(kernel, str):
        raise ValueError("`jupyter:` must name a kernel, e.g. `jupyter: python3`")
    meta = pandoc_metadata(config, {**front, **metadata}, project_dir=project_dir)
    build_dir = project_dir / ".build"
    figure_dir = build_dir / "figures"
    if figure_dir.exists():
        shutil.rmtree(figure_dir)
    build_dir.mkdir(parents=True, exist_ok=True)

    execution = execute_document(
        document,
        cwd=project_dir,
        defaults=defaults,
        kernel=kernel,
        depends_on=depends_on,
        cache_dir=build_dir / "cache" if cache else None,
        timeout=timeout,
    )
    body, numbering = assemble_markdown(
        document, execution, defaults=defaults, figure_dir=figure_dir
    )
    warnings: list[str] = []
    ast_text = run_pandoc(
        ["-f", "markdown", "-t", "json"], front_matter_block(meta) + body, cwd=build_dir
    )
    formats = _formats(config, front)
    ast = json.loads(ast_text)
    if "html" in outputs:
        style = build_dir / "style.css"
        style.write_text(HTML_STYLE, encoding="utf-8")
        links = build_dir / "formats.html"
        links.write_text(_format_links(outputs, formats), encoding="utf-8")
        html = run_pandoc(
            [
                "-f",
                "json",
                "-t",
                "html5",
                "--standalone",
                "--embed-resources",
                "--citeproc",
                "--css",
                style.name,
                "--include-before-body",
                links.name,
                *_html_arguments(formats.get("html", {})),
            ],
            json.dumps(callouts(ast, output="html")),
            cwd=build_dir,
            warnings=warnings,
        )
        _write_atomically(outputs["html"], html.encode("utf-8"))
    if "typst" in outputs:
        import typst

        header = build_dir / "header.typ"
        header.write_text(TYPST_HEADER, encoding="utf-8")
        typst_ast = callouts(tables_from_html(ast, cwd=build_dir), output="typst")
        source = run_pandoc(
            [
                "-f",
                "json",
                "-t",
                "typst",
                "--standalone",
                "--citeproc",
                "--include-in-header",
                header.name,
                *_typst_arguments(formats.get("typst", {})),
            ],
            json.dumps(typst_ast),
            cwd=build_dir,
            warnings=warnings,
        )
        typst_file = build_dir / f"{article.stem}.typ"
        typst_file.write_text(source, encoding="utf-8")
        timestamp = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
        pdf = typst.compile(str(typst_file), root=str(build_dir), timestamp=timestamp)
        if not isinstance(pdf, bytes):
            raise RuntimeError("typst.compile returned no PDF")
        _write_atomically(outputs["typst"], pdf)
    if "docx" in outputs:
        docx_ast = callouts(tables_from_html(ast, cwd=build_dir), output="docx")
        docx_file = build_dir / f"{article.stem}.docx"
        run_pandoc(
            ["-f", "json", "-t", "docx", "--citeproc", "-o", docx_file.name],
            json.dumps(docx_ast),
            cwd=build_dir,
            warnings=warnings,
            environment={"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")},
        )
        _write_atomically(outputs["docx"], docx_file.read_bytes())

    expressions = [
        (part.expression, part.line)
        for chunk in document.chunks
        if isinstance(chunk, MarkdownChunk)
        for part in chunk.expressions
    ]
    return RenderResult(
        engine="fallback",
        outputs=tuple(outputs.values()),
        cache_hit=execution.cache_hit,
        inline_values=tuple(
            (expression, line, text)
            for (expression, line), text in zip(expressions, execution.inline_values, strict=True)
        ),
        cross_references=numbering,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def render_manuscript(
    project_dir: str | Path,
    *,
    engine: Engine = "auto",
    cache: bool = True,
    depends_on: Sequence[str | Path] | None = None,
    timeout: int = 600,
    metadata: Mapping[str, Any] | None = None,
    article: str | None = None,
) -> RenderResult:
    """Render a Quarto manuscript project to HTML, PDF and DOCX (the formats it lists).

    Parameters
    ----------
    project_dir : str or pathlib.Path
        Folder holding ``_quarto.yml`` (``project: type: manuscript``) and the article
        (``manuscript: article:``, default ``index.qmd``).
    engine : {"auto", "quarto", "fallback"}, default "auto"
        ``"auto"`` uses Quarto when a ``quarto`` binary is on ``PATH``, else the fallback.
    cache : bool, default True
        Reuse executed outputs when neither the code nor the inputs changed (fallback only).
    depends_on : sequence of path, optional
        Files or folders whose content the cells read; a change invalidates the cache.
        Relative paths are taken from ``project_dir``. Default: the ``neok2: depends-on:``
        list of ``_quarto.yml``, else nothing.
    timeout : int, default 600
        Seconds one cell may run.
    metadata : Mapping[str, Any], optional
        Front-matter values that replace the article's (``title``, ``subtitle``, ...), e.g.
        the title of the paper's mode.
    article : str, optional
        The article to render instead of ``manuscript: article:`` (a file of the project,
        e.g. the generic ``study.qmd`` for a study without its own article); fallback only.

    Returns
    -------
    RenderResult
        ``engine, outputs, cache_hit, inline_values, cross_references, warnings``;
        ``.tidy()`` gives the inline values as ``expression, line, text``.

    Raises
    ------
    FileNotFoundError
        No project, no article, or ``engine="quarto"`` without Quarto.
    ValueError
        A malformed project or a .qmd feature the fallback does not support.
    RuntimeError
        A cell, pandoc or Quarto failed.

    Notes
    -----
    The fallback mirrors ``quarto render`` for the supported subset (see the module
    docstring); output goes where Quarto puts it: ``<project>/_manuscript/<article>.html``,
    ``.pdf`` and ``.docx`` (``project: output-dir:`` overrides the folder).

    References
    ----------
    Quarto manuscripts, https://quarto.org/docs/manuscripts/ ; pandoc user's guide,
    https://pandoc.org/MANUAL.html

    Examples
    --------
    >>> import tempfile
    >>> project = Path(tempfile.mkdtemp())
    >>> _ = (project / "_quarto.yml").write_text("project:\\n  type: manuscript\\n")
    >>> _ = (project / "index.qmd").write_text("---\\ntitle: Demo\\n---\\n\\nHello.\\n")
    >>> result = render_manuscript(project, engine="fallback")
    >>> [path.name for path in result.outputs]
    ['index.html']
    """
    if engine not in ("auto", "quarto", "fallback"):
        raise ValueError(f"`engine` must be 'auto', 'quarto' or 'fallback', got {engine!r}")
    int_like(timeout, "timeout", minimum=1)
    metadata = dict(metadata or {})
    if not all(isinstance(key, str) for key in metadata):
        raise TypeError("`metadata` must map front-matter keys (str) to values")
    project_dir = Path(project_dir).resolve()
    config = _read_project(project_dir)
    manuscript = config.get("manuscript") or {}
    configured = str(manuscript.get("article", "index.qmd"))
    article_path = project_dir / (article or configured)
    if not article_path.is_file():
        raise FileNotFoundError(
            f"the article {str(article_path)!r} named by _quarto.yml does not exist"
        )
    output_dir = project_dir / str(config["project"].get("output-dir", "_manuscript"))
    formats = _formats(config, {})
    unsupported = sorted(set(formats) - set(_FORMATS))
    use_quarto = engine == "quarto" or (engine == "auto" and shutil.which("quarto") is not None)
    outputs = {
        name: output_dir / f"{article_path.stem}{_OUTPUT_SUFFIX[name]}"
        for name in _FORMATS
        if name in formats
    }
    if use_quarto:
        if article_path.name != Path(configured).name:
            raise ValueError(
                f"`article`: Quarto renders the project's configured article {configured!r}; set "
                f"`manuscript: article: {article_path.name}` in _quarto.yml or use the fallback"
            )
        return _render_with_quarto(project_dir, list(outputs.values()), metadata)
    if unsupported:
        raise ValueError(
            f"_quarto.yml: format(s) {unsupported} are not supported by the fallback renderer "
            f"(only {list(_FORMATS)}); install Quarto or remove them"
        )
    if depends_on is None:
        neok2_options = config.get("neok2") or {}
        depends_on = list(neok2_options.get("depends-on", []))
    dependencies = [project_dir / Path(path) for path in depends_on]
    return _render_fallback(
        project_dir,
        article_path,
        config,
        outputs,
        cache=cache,
        depends_on=dependencies,
        timeout=timeout,
        metadata=metadata,
    )
