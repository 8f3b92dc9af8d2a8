"""Turning executed cells into pandoc markdown, and pandoc markdown into HTML and PDF.

Private to :mod:`neok2.render`. The pandoc binary is the one shipped by ``pypandoc-binary``
(3.x, with ``--citeproc`` and the typst writer); the PDF is compiled by the ``typst`` package.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from neok2._render_execute import Execution, cell_setting
from neok2._render_qmd import (
    CodeCell,
    InlineExpression,
    QmdDocument,
    Verbatim,
    resolve_cross_references,
)

__all__ = [
    "HTML_STYLE",
    "TYPST_HEADER",
    "assemble_markdown",
    "pandoc_binary",
    "pandoc_metadata",
    "run_pandoc",
    "tables_from_html",
]

HTML_STYLE = """\
body { max-width: 56em; font-family: "Source Serif Pro", Georgia, serif; line-height: 1.5; }
h1.title { font-size: 1.9em; }
figure { margin: 1.5em 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption, .neok2-caption { font-size: 0.92em; text-align: left; }
.neok2-caption { margin-bottom: 0.4em; }
.neok2-table { margin: 1.5em 0; overflow-x: auto; }
div.csl-entry { margin-bottom: 0.5em; }
"""

# The figure/table number is already part of each caption (so that HTML and PDF agree), so
# typst's own "Figure 1:" supplement is suppressed; long tables may break across pages.
TYPST_HEADER = """\
#set document(date: none)
#show figure.caption: it => it.body
#show figure: set block(breakable: true)
#set table(stroke: (x, y) => if y == 0 { (top: 0.8pt, bottom: 0.5pt) })
#show table: set text(size: 8.5pt)
"""

_METADATA_KEYS = (
    "title",
    "subtitle",
    "author",
    "date",
    "abstract",
    "abstract-title",
    "keywords",
    "lang",
    "bibliography",
    "csl",
    "link-citations",
    "reference-section-title",
    "nocite",
)
_UNSTABLE_DATES = {"today", "now", "last-modified"}


def pandoc_binary() -> str:
    """Path of the pandoc 3.x binary shipped by pypandoc-binary."""
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def run_pandoc(
    arguments: Sequence[str], text: str, *, cwd: Path, warnings: list[str] | None = None
) -> str:
    """Run pandoc on ``text`` and return its standard output.

    Raises
    ------
    RuntimeError
        When pandoc fails; the message carries pandoc's own error.
    """
    completed = subprocess.run(
        [pandoc_binary(), *arguments],
        input=text.encode("utf-8"),
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    message = completed.stderr.decode("utf-8", errors="replace").strip()
    if completed.returncode != 0:
        raise RuntimeError(f"pandoc {' '.join(arguments)} failed: {message}")
    if message and warnings is not None:
        warnings.extend(line for line in message.splitlines() if line.strip())
    return completed.stdout.decode("utf-8")


def pandoc_metadata(
    project_meta: Mapping[str, Any], front_matter: Mapping[str, Any], *, project_dir: Path
) -> dict[str, Any]:
    """Metadata pandoc understands, merged from ``_quarto.yml`` and the front matter.

    Quarto's structured authors are reduced to their names; file paths are made absolute;
    dates such as ``today`` are refused because they would change the output every day.
    """
    merged = {**project_meta, **front_matter}
    meta: dict[str, Any] = {key: merged[key] for key in _METADATA_KEYS if key in merged}
    if "author" in meta:
        authors = meta["author"] if isinstance(meta["author"], list) else [meta["author"]]
        names = []
        for author in authors:
            name = author.get("name", "") if isinstance(author, Mapping) else author
            if isinstance(name, Mapping):
                name = name.get("literal") or " ".join(
                    str(name.get(part, "")) for part in ("given", "family")
                )
            names.append(str(name).strip())
        meta["author"] = names
    if str(meta.get("date", "")).strip().lower() in _UNSTABLE_DATES:
        raise ValueError(
            f"date: {meta['date']!r} changes the output from day to day; give a literal date "
            "or leave `date` out"
        )
    for key in ("bibliography", "csl"):
        if key in meta:
            paths = meta[key] if isinstance(meta[key], list) else [meta[key]]
            resolved = []
            for path in paths:
                full = (project_dir / str(path)).resolve()
                if not full.is_file():
                    raise FileNotFoundError(f"{key}: {str(path)!r} not found in {project_dir}")
                resolved.append(str(full))
            meta[key] = resolved if isinstance(meta[key], list) else resolved[0]
    return meta


def _fence(content: str, info: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", content)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"\n{ticks}{info}\n{content.rstrip(chr(10))}\n{ticks}\n\n"


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _image_output(output: Mapping[str, Any]) -> tuple[str, bytes] | None:
    data = output.get("data", {})
    for mime, suffix in (("image/png", ".png"), ("image/jpeg", ".jpg")):
        if mime in data:
            return suffix, base64.b64decode(_joined(data[mime]))
    return None


def _output_markdown(output: Mapping[str, Any], asis: bool, show_warnings: bool) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        text = _joined(output.get("text", ""))
        if output.get("name") == "stderr" and not show_warnings:
            return ""
        return f"\n{text}\n" if asis else _fence(text, "")
    if kind not in ("display_data", "execute_result"):
        return ""
    data = output.get("data", {})
    if "text/markdown" in data:
        return f"\n{_joined(data['text/markdown'])}\n\n"
    if "text/html" in data:
        return _fence(_joined(data["text/html"]), "{=html}")
    if "text/plain" in data:
        return _fence(_joined(data["text/plain"]), "")
    return ""


def assemble_markdown(
    document: QmdDocument,
    execution: Execution,
    *,
    defaults: Mapping[str, Any],
    figure_dir: Path,
) -> tuple[str, dict[str, str]]:
    """Build the pandoc markdown body: prose with values and links, then each cell's output.

    Figures are written as PNG files into ``figure_dir`` and linked by relative path.

    Returns
    -------
    tuple of (str, dict)
        The markdown and the cross-reference numbering (label -> "Table 1").
    """
    numbering = document.numbering()
    pieces: list[str] = []
    inline_values = iter(execution.inline_values)
    cell_outputs = iter(execution.cell_outputs)
    figure_dir.mkdir(parents=True, exist_ok=True)
    for chunk in document.chunks:
        if not isinstance(chunk, CodeCell):
            for part in chunk.parts:
                if isinstance(part, InlineExpression):
                    pieces.append(next(inline_values))
                elif isinstance(part, Verbatim):
                    pieces.append(part.text)
                else:
                    pieces.append(resolve_cross_references(part, numbering))
            continue
        outputs = next(cell_outputs)
        pieces.append(_cell_markdown(chunk, outputs, numbering, defaults, figure_dir))
    return "".join(pieces), numbering


def _cell_markdown(
    cell: CodeCell,
    outputs: Sequence[Mapping[str, Any]],
    numbering: Mapping[str, str],
    defaults: Mapping[str, Any],
    figure_dir: Path,
) -> str:
    if not cell_setting(cell, "include", defaults):
        return ""
    parts: list[str] = []
    if cell_setting(cell, "echo", defaults):
        parts.append(_fence(cell.source, "python"))
    output_setting = cell_setting(cell, "output", defaults)
    if output_setting is False:
        return "".join(parts)
    asis = output_setting == "asis"
    show_warnings = bool(cell_setting(cell, "warning", defaults))
    label = cell.label
    width = str(cell.options.get("out-width", "85%"))
    images = [image for image in map(_image_output, outputs) if image is not None]
    if label.startswith("fig-"):
        if len(images) != 1:
            raise ValueError(
                f"cell on line {cell.line} ({label}): a figure cell must display exactly one "
                f"image, it displayed {len(images)}"
            )
        suffix, content = images[0]
        path = figure_dir / f"{label}{suffix}"
        path.write_bytes(content)
        caption = f"{numbering[label]}: {cell.options['fig-cap']}"
        alt = str(cell.options.get("fig-alt", ""))
        alt_attribute = f' fig-alt="{alt}"' if alt else ""
        relative = f"{figure_dir.name}/{path.name}"
        parts.append(f"\n![{caption}]({relative}){{#{label} width={width}{alt_attribute}}}\n\n")
        return "".join(parts)
    body: list[str] = []
    image_number = 0
    for output in outputs:
        image = _image_output(output)
        if image is not None:
            image_number += 1
            suffix, content = image
            path = figure_dir / f"cell-{cell.line}-{image_number}{suffix}"
            path.write_bytes(content)
            body.append(f"\n![]({figure_dir.name}/{path.name}){{width={width}}}\n\n")
            continue
        body.append(_output_markdown(output, asis, show_warnings))
    if label.startswith("tbl-"):
        caption = f"{numbering[label]}: {cell.options['tbl-cap']}"
        parts.append(
            f"\n::: {{#{label} .neok2-table}}\n\n"
            f"::: {{.neok2-caption}}\n{caption}\n:::\n\n{''.join(body)}\n:::\n\n"
        )
    else:
        parts.extend(body)
    return "".join(parts)


def front_matter_block(meta: Mapping[str, Any]) -> str:
    """A YAML metadata block for the top of a pandoc markdown document."""
    return "---\n" + yaml.safe_dump(dict(meta), sort_keys=True, allow_unicode=True) + "---\n\n"


def tables_from_html(ast: dict[str, Any], *, cwd: Path) -> dict[str, Any]:
    """Replace raw HTML blocks in a pandoc AST by the blocks pandoc's HTML reader makes of them.

    A ``.neok2-table`` div (a labelled table cell) becomes the table itself, carrying the
    caption and the label, so that the typst writer emits a captioned, referenceable table.
    """
    cache: dict[str, list[Any]] = {}

    def parse_html(html: str) -> list[Any]:
        if html not in cache:
            parsed = json.loads(run_pandoc(["-f", "html", "-t", "json"], html, cwd=cwd))
            cache[html] = _drop_raw(parsed["blocks"])
        return cache[html]

    def convert(blocks: list[Any]) -> list[Any]:
        converted: list[Any] = []
        for block in blocks:
            kind = block.get("t")
            if kind == "RawBlock" and block["c"][0] == "html":
                converted.extend(parse_html(block["c"][1]))
            elif kind == "Div" and "neok2-table" in block["c"][0][1]:
                converted.extend(_captioned_table(block, convert))
            elif kind in ("Div", "BlockQuote"):
                inner = block["c"][1] if kind == "Div" else block["c"]
                new_inner = convert(inner)
                block = {"t": kind, "c": [block["c"][0], new_inner] if kind == "Div" else new_inner}
                converted.append(block)
            else:
                converted.append(block)
        return converted

    return {**ast, "blocks": convert(ast["blocks"])}


def _drop_raw(blocks: list[Any]) -> list[Any]:
    # <style> and <script> come through as raw HTML; outside HTML they mean nothing.
    kept = []
    for block in blocks:
        if block.get("t") == "RawBlock":
            continue
        if block.get("t") == "Div":
            block = {"t": "Div", "c": [block["c"][0], _drop_raw(block["c"][1])]}
        kept.append(block)
    return kept


def _find_table(blocks: list[Any]) -> tuple[list[Any], int] | None:
    for index, block in enumerate(blocks):
        if block.get("t") == "Table":
            return blocks, index
        if block.get("t") == "Div":
            found = _find_table(block["c"][1])
            if found is not None:
                return found
    return None


def _captioned_table(div: dict[str, Any], convert: Any) -> list[Any]:
    label = div["c"][0][0]
    inner = div["c"][1]
    caption_blocks: list[Any] = []
    rest: list[Any] = []
    for block in inner:
        if block.get("t") == "Div" and "neok2-caption" in block["c"][0][1] and not caption_blocks:
            caption_blocks = block["c"][1]
        else:
            rest.append(block)
    content = convert(rest)
    found = _find_table(content)
    if found is None:
        return [*caption_blocks, *content]
    container, index = found
    table = container[index]
    attr, _caption, *table_rest = table["c"]
    container[index] = {
        "t": "Table",
        "c": [[label, attr[1], attr[2]], [None, caption_blocks], *table_rest],
    }
    return _unwrap_divs(content)


def _unwrap_divs(blocks: list[Any]) -> list[Any]:
    # great-tables wraps its <table> in a <div>; a table inside a div is not a typst figure.
    unwrapped: list[Any] = []
    for block in blocks:
        if block.get("t") == "Div":
            unwrapped.extend(_unwrap_divs(block["c"][1]))
        else:
            unwrapped.append(block)
    return unwrapped
