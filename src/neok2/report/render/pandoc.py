"""Turning executed cells into pandoc markdown, and pandoc markdown into HTML and PDF.

Private to :mod:`neok2.report.render.api`. The pandoc binary is the one shipped by
``pypandoc-binary``
(3.x, with ``--citeproc`` and the typst writer); the PDF is compiled by the ``typst`` package.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from neok2.report.render.execute import Execution, cell_setting
from neok2.report.render.qmd import (
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
    "callouts",
    "pandoc_binary",
    "pandoc_metadata",
    "run_pandoc",
    "tables_from_html",
]

# The fallback's only stylesheet (Quarto styles its own route). The great-tables CSS that
# travels with each table is scoped by the table's id, which outranks any class selector, so
# the few table rules that must win carry !important.
HTML_STYLE = """\
:root {
  --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --zebra: #f4f6f8; --link: #0b5394;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --serif: "DejaVu Serif", "Source Serif 4", Charter, Georgia, Cambria, serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
html { font-size: 17px; }
body {
  max-width: 45em; margin: 0 auto; padding: 2.5em 1.25em 5em; color: var(--ink);
  background: #fff; font-family: var(--serif); line-height: 1.55; hyphens: auto;
}
h1, h2, h3, h4, header, nav, figcaption, table, .neok2-caption, .neok2-callout-title {
  font-family: var(--sans);
}
header#title-block-header { border-bottom: 1px solid var(--rule); padding-bottom: 1em; }
h1.title { font-size: 1.85em; line-height: 1.2; margin: 0 0 0.35em; }
p.subtitle { font-size: 1.1em; color: var(--muted); margin: 0 0 0.8em; line-height: 1.35; }
p.author { font-weight: 600; margin: 0.2em 0; }
h2 { font-size: 1.4em; margin: 2.2em 0 0.6em; padding-bottom: 0.2em;
     border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.12em; margin: 1.8em 0 0.5em; }
p { margin: 0.7em 0; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font-family: var(--mono); font-size: 0.86em; background: var(--zebra);
       padding: 0.1em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
nav#TOC { font-size: 0.88em; background: var(--zebra); border: 1px solid var(--rule);
          border-radius: 4px; padding: 0.6em 1.2em; margin: 1.5em 0 2em; }
nav#TOC ul { margin: 0.15em 0; padding-left: 1.2em; }
nav#TOC > ul { padding-left: 0; list-style: none; columns: 2; column-gap: 2em; }
nav#TOC > ul > li { break-inside: avoid; }
figure { margin: 2em 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, .neok2-caption { font-size: 0.86em; line-height: 1.4; color: var(--muted); }
figcaption { margin-top: 0.6em; }
.neok2-caption { color: var(--ink); font-weight: 600; margin-bottom: 0.5em; }
.neok2-table { margin: 2em 0; overflow-x: auto; }
.neok2-table > div { padding: 0 !important; }
.neok2-table table { border-collapse: collapse; width: 100% !important;
                     font-size: 0.78rem !important; color: var(--ink) !important; }
.neok2-table thead th { font-weight: 600 !important; border-bottom: 1.5px solid var(--ink); }
.neok2-table td, .neok2-table th { padding: 0.3em 0.5em !important; }
.neok2-table tbody tr:nth-child(even) > td,
.neok2-table tbody tr:nth-child(even) > th { background-color: var(--zebra) !important; }
.neok2-table tbody tr > td { border-top: 1px solid var(--rule) !important; }
.neok2-table tfoot td { color: var(--muted); font-size: 0.95em; }
.neok2-callout { margin: 1.5em 0; padding: 0.7em 1em; border: 1px solid var(--rule);
                 border-left: 5px solid #0969da; border-radius: 4px; background: #f1f8ff; }
.neok2-callout > :first-child { margin-top: 0; }
.neok2-callout > :last-child { margin-bottom: 0; }
.neok2-callout-title { font-weight: 700; margin: 0 0 0.3em; }
.neok2-callout-warning, .neok2-callout-caution { border-left-color: #bf8700;
                                                  background: #fff8e5; }
.neok2-callout-important { border-left-color: #cf222e; background: #fff5f5; }
.neok2-callout-tip { border-left-color: #1a7f37; background: #f0fff4; }
div.csl-entry { margin-bottom: 0.6em; padding-left: 1.5em; text-indent: -1.5em; }
.neok2-formats { font-family: var(--sans); font-size: 0.88em; margin: 0.8em 0 0; }
.neok2-formats a { margin-right: 0.8em; }
/* Quarto's manuscript layout on a wide screen: the contents stick in a column at the left */
@media (min-width: 1250px) {
  body { margin-left: max(18em, calc(50% - 22.5em)); }
  nav#TOC { position: fixed; top: 2.5em; left: 1.25em; width: 14em; max-height: 85vh;
            overflow-y: auto; margin: 0; background: #fff; }
  nav#TOC > ul { columns: 1; }
  nav#TOC::before { content: "On this page"; display: block; font-weight: 600;
                    margin-bottom: 0.4em; }
}
@media print { body { max-width: none; } nav#TOC { display: none; } }
"""

# The table/figure number is already part of each caption (so that HTML and PDF agree), so
# typst's own "Table 1:" supplement is suppressed. Tables are captioned above, and a table
# stays on one page unless it is long (see _LONG_TABLE_LINES), in which case the typst
# writer's `table.header` repeats on every page and the source notes print once at the end.
TYPST_HEADER = """\
#set document(date: none)
#show figure.caption: it => it.body
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.where(kind: table): set block(breakable: false)
#set table(stroke: (x, y) => if y == 0 { (top: 0.8pt, bottom: 0.5pt) }, inset: (x: 4pt, y: 3pt))
#set table.footer(repeat: false)
#show table: set text(size: 8.5pt, hyphenate: false)
#show table: set par(justify: false)
#show table.cell.where(x: 0): set align(left)
"""

# A long table is set smaller and may break across pages; anything shorter than this many
# estimated text lines at 8.5 pt fits on one A4 page with the project's margins. An A4 page
# holds about 45 such lines, but the estimate runs short when typst narrows a column more
# than the estimate does (the K2 Table 1: 39 estimated, some 52 set), hence the margin.
_LONG_TABLE_LINES = 34
_LONG_TABLE_OPEN = """\
#[
#show figure.where(kind: table): set block(breakable: true)
#show table: set text(size: 7.5pt)
"""
# Characters of 8.5 pt text on one line across the full text width of the page.
_CHARACTERS_PER_LINE = 105
_CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution")
_CALLOUT_COLOURS = {
    "note": ("#f1f8ff", "#0969da"),
    "tip": ("#f0fff4", "#1a7f37"),
    "important": ("#fff5f5", "#cf222e"),
    "warning": ("#fff8e5", "#bf8700"),
    "caution": ("#fff8e5", "#bf8700"),
}

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
    arguments: Sequence[str],
    text: str,
    *,
    cwd: Path,
    warnings: list[str] | None = None,
    environment: Mapping[str, str] | None = None,
) -> str:
    """Run pandoc on ``text`` and return its standard output.

    ``environment`` adds variables to pandoc's environment (``SOURCE_DATE_EPOCH`` makes the
    DOCX writer's dates and zip timestamps fixed).

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
        env={**os.environ, **environment} if environment else None,
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
    if "image/svg+xml" in data:
        # SVG travels as text: vector figures in the HTML and in the typst PDF
        return ".svg", _joined(data["image/svg+xml"]).encode("utf-8")
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

    Figures are written as PNG files into ``figure_dir`` and linked by relative path. A
    labelled cell that displays nothing (a table or figure the paper's mode leaves out) is
    dropped and gets no number; ``@tbl-``/``@fig-`` references inside a cell's markdown output
    are resolved like those of the prose.

    Returns
    -------
    tuple of (str, dict)
        The markdown and the cross-reference numbering (label -> "Table 1").
    """
    empty = {
        cell.label
        for cell, outputs in zip(document.cells, execution.cell_outputs, strict=True)
        if cell.label and not any(_displays(output) for output in outputs)
    }
    numbering = document.numbering(skip=empty)
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


def _displays(output: Mapping[str, Any]) -> bool:
    return output.get("output_type") in ("display_data", "execute_result", "stream")


def _cell_markdown(
    cell: CodeCell,
    outputs: Sequence[Mapping[str, Any]],
    numbering: Mapping[str, str],
    defaults: Mapping[str, Any],
    figure_dir: Path,
) -> str:
    if not cell_setting(cell, "include", defaults):
        return ""
    if cell.label and cell.label not in numbering:
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
        quoted = alt.replace("\\", "\\\\").replace('"', '\\"')
        alt_attribute = f' fig-alt="{quoted}"' if alt else ""
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
        text = _output_markdown(output, asis, show_warnings)
        if "text/markdown" in output.get("data", {}):
            text = resolve_cross_references(text, numbering)
        body.append(text)
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
    A table too long for one page is set in a smaller font and allowed to break across
    pages; any other table is kept whole.
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
                converted.extend(_fitted(_captioned_table(block, convert)))
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


def _fitted(blocks: list[Any]) -> list[Any]:
    found = _find_table(blocks)
    if found is None:
        return blocks
    container, index = found
    if _estimated_lines(container[index]) <= _LONG_TABLE_LINES:
        return blocks
    return [
        {"t": "RawBlock", "c": ["typst", _LONG_TABLE_OPEN]},
        *blocks,
        {"t": "RawBlock", "c": ["typst", "]"]},
    ]


def _unwrap_divs(blocks: list[Any]) -> list[Any]:
    # great-tables wraps its <table> in a <div>; a table inside a div is not a typst figure.
    unwrapped: list[Any] = []
    for block in blocks:
        if block.get("t") == "Div":
            unwrapped.extend(_unwrap_divs(block["c"][1]))
        else:
            unwrapped.append(block)
    return unwrapped


def _text_inlines(text: str) -> list[Any]:
    inlines: list[Any] = []
    for index, word in enumerate(text.split()):
        if index:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return inlines


def _callout_kind(classes: Sequence[str]) -> str | None:
    for name in classes:
        if name.startswith("callout-") and name[len("callout-") :] in _CALLOUT_KINDS:
            return name[len("callout-") :]
    return None


def callouts(ast: dict[str, Any], *, output: str) -> dict[str, Any]:
    """Draw Quarto callouts (``::: {.callout-warning title="..."}``) as boxed notes.

    HTML gets a ``div.neok2-callout`` styled by :data:`HTML_STYLE`; typst gets a tinted
    ``#block``; DOCX a quoted block opening with the bold title.
    The title comes from the ``title`` attribute (default: the kind, as Quarto
    does). Other callout features (collapse, icons, a heading as title) are not supported.
    """
    if output not in ("html", "typst", "docx"):
        raise ValueError(f"`output` must be 'html', 'typst' or 'docx', got {output!r}")

    def convert(blocks: list[Any]) -> list[Any]:
        converted: list[Any] = []
        for block in blocks:
            if block.get("t") != "Div":
                converted.append(block)
                continue
            (identifier, classes, attributes), inner = block["c"]
            inner = convert(inner)
            kind = _callout_kind(classes)
            if kind is None:
                converted.append({"t": "Div", "c": [[identifier, classes, attributes], inner]})
                continue
            options = dict(attributes)
            title = options.pop("title", kind.capitalize())
            heading = {"t": "Para", "c": [{"t": "Strong", "c": _text_inlines(title)}]}
            if output == "html":
                title_div = {"t": "Div", "c": [["", ["neok2-callout-title"], []], [heading]]}
                kept = [c for c in classes if not c.startswith("callout-")]
                attr = [identifier, ["neok2-callout", f"neok2-callout-{kind}", *kept], []]
                converted.append({"t": "Div", "c": [attr, [title_div, *inner]]})
            elif output == "docx":
                # Word has no boxed note: the title and text stand as one quoted block
                converted.append({"t": "BlockQuote", "c": [heading, *inner]})
            else:
                fill, stroke = _CALLOUT_COLOURS[kind]
                opening = (
                    f'#block(width: 100%, inset: 8pt, radius: 2pt, fill: rgb("{fill}"), '
                    f'stroke: (left: 3pt + rgb("{stroke}")))['
                )
                converted.extend(
                    [
                        {"t": "RawBlock", "c": ["typst", opening]},
                        heading,
                        *inner,
                        {"t": "RawBlock", "c": ["typst", "]"]},
                    ]
                )
        return converted

    return {**ast, "blocks": convert(ast["blocks"])}


def _plain_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("t") == "Str":
            return str(node["c"])
        if node.get("t") in ("Space", "SoftBreak", "LineBreak"):
            return " "
        return _plain_text(node.get("c", []))
    if isinstance(node, list):
        return "".join(_plain_text(item) for item in node)
    return ""


def _estimated_lines(table: dict[str, Any]) -> int:
    """Text lines a pandoc Table needs at 8.5 pt on the full text width (a rough count).

    Columns of fixed width wrap at their share of the line; columns of default width are
    sized by their longest cell, as typst's ``auto`` columns are, narrow ones first, and the
    wide ones share what is left of the line.
    """
    _attr, _caption, colspecs, head, bodies, foot = table["c"]
    rows = [*head[1]]
    for body in bodies:
        rows.extend(body[2])
        rows.extend(body[3])
    rows.extend(foot[1])
    count = len(colspecs)
    texts: list[list[tuple[int, int, str]]] = []
    natural = [1] * count
    for row in rows:
        cells = []
        column = 0
        for cell in row[1]:
            span = int(cell[3])
            text = _plain_text(cell[4])
            cells.append((column, span, text))
            if span == 1 and column < count:
                natural[column] = max(natural[column], len(text))
            column += span
        texts.append(cells)
    fixed = [spec[1]["c"] if spec[1]["t"] == "ColWidth" else None for spec in colspecs]
    if all(share is None for share in fixed):
        # narrow columns keep their natural width; the wide ones share what is left
        shares = [0.0] * count
        left, remaining = float(_CHARACTERS_PER_LINE), count
        for column in sorted(range(count), key=lambda index: natural[index]):
            width = min(float(natural[column] + 1), left / remaining)
            shares[column] = width / _CHARACTERS_PER_LINE
            left -= width
            remaining -= 1
    else:
        default = 1.0 / max(count, 1)
        shares = [share if share else default for share in fixed]
    lines = 0
    for cells in texts:
        height = 1
        for column, span, text in cells:
            share = min(sum(shares[column : column + span]), 1.0) or 1.0
            capacity = max(int(share * _CHARACTERS_PER_LINE), 4)
            height = max(height, -(-len(text) // capacity))
        lines += height
    return lines
