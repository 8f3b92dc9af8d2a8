"""Reading a Quarto ``.qmd`` file into front matter, markdown chunks and Python cells.

Private to :mod:`neok2.report.render.api`. Only the subset of Quarto syntax that the fallback
renderer supports is recognised; anything executable it cannot run (``{r}``, ``{ojs}``, ...) is an
error rather than being passed through silently.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "CodeCell",
    "InlineExpression",
    "MarkdownChunk",
    "QmdDocument",
    "Verbatim",
    "parse_qmd",
    "resolve_cross_references",
]

_CELL_OPEN = re.compile(r"^(?P<fence>`{3,})\{(?P<lang>[A-Za-z0-9_+-]+)(?P<rest>[^}]*)\}\s*$")
_PLAIN_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
_OPTION_LINE = re.compile(r"^#\|\s?(?P<text>.*)$")
_CODE_SPAN = re.compile(r"(?P<ticks>`+)(?P<body>.+?)(?P=ticks)", re.DOTALL)
_INLINE_PYTHON = re.compile(r"^\{python\}\s+(?P<expr>.+)$", re.DOTALL)
_CROSS_REFERENCE = re.compile(
    r"(?<![\w@.\-])@(?P<kind>[Tt]bl|[Ff]ig)-(?P<name>[A-Za-z0-9_-]*[A-Za-z0-9])"
)
_CELL_LABEL = re.compile(r"^(tbl|fig)-[A-Za-z0-9_-]+$")
_CELL_OPTIONS = {
    "label",
    "tbl-cap",
    "fig-cap",
    "fig-alt",
    "echo",
    "eval",
    "include",
    "output",
    "warning",
    "error",
    "fig-width",
    "out-width",
}


@dataclass(frozen=True)
class CodeCell:
    """An executable ``{python}`` cell: its code without option lines, and its options."""

    source: str
    options: Mapping[str, Any]
    line: int

    @property
    def label(self) -> str:
        return str(self.options.get("label", ""))


@dataclass(frozen=True)
class InlineExpression:
    """A `` `{python} expr` `` span inside markdown."""

    expression: str
    line: int


@dataclass(frozen=True)
class Verbatim:
    """A fenced block inside markdown, kept exactly as written."""

    text: str


@dataclass(frozen=True)
class MarkdownChunk:
    """Markdown between cells, split into prose, fenced blocks and inline expressions.

    ``parts`` holds ``str`` (prose, where cross-references are resolved), :class:`Verbatim`
    (fenced blocks, kept as written) and :class:`InlineExpression` in document order.
    """

    parts: tuple[str | Verbatim | InlineExpression, ...]
    line: int

    @property
    def expressions(self) -> tuple[InlineExpression, ...]:
        return tuple(part for part in self.parts if isinstance(part, InlineExpression))


@dataclass(frozen=True)
class QmdDocument:
    """A parsed ``.qmd``: YAML front matter and the chunks in document order."""

    front_matter: Mapping[str, Any]
    chunks: tuple[MarkdownChunk | CodeCell, ...]
    cells: tuple[CodeCell, ...] = field(init=False)

    def __post_init__(self) -> None:
        cells = tuple(chunk for chunk in self.chunks if isinstance(chunk, CodeCell))
        object.__setattr__(self, "cells", cells)

    def numbering(self, skip: Collection[str] = ()) -> dict[str, str]:
        """Map each ``tbl-``/``fig-`` label to its display name ("Table 1", "Figure 2").

        Labels in ``skip`` (cells that displayed nothing) get no number.
        """
        counters = {"tbl": 0, "fig": 0}
        names = {"tbl": "Table", "fig": "Figure"}
        numbers: dict[str, str] = {}
        for cell in self.cells:
            label = cell.label
            if not label or label in skip:
                continue
            kind = label.split("-", 1)[0]
            counters[kind] += 1
            numbers[label] = f"{names[kind]} {counters[kind]}"
        return numbers


def _split_front_matter(text: str) -> tuple[dict[str, Any], list[str], int]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, lines, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:index])) or {}
            except yaml.YAMLError as error:
                raise ValueError(f"the .qmd front matter is not valid YAML: {error}") from None
            if not isinstance(meta, dict):
                raise ValueError("the .qmd front matter must be a YAML mapping")
            return meta, lines[index + 1 :], index + 2
    raise ValueError("the .qmd front matter starting with '---' on line 1 is never closed")


def _cell_options(body: list[str], line: int) -> tuple[dict[str, Any], str]:
    option_lines: list[str] = []
    index = 0
    while index < len(body):
        match = _OPTION_LINE.match(body[index])
        if match is None:
            break
        option_lines.append(match.group("text"))
        index += 1
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {} if option_lines else {}
    except yaml.YAMLError as error:
        raise ValueError(
            f"cell on line {line}: its '#|' options are not valid YAML: {error}"
        ) from None
    if not isinstance(options, dict):
        raise ValueError(f"cell on line {line}: its '#|' options must be `key: value` lines")
    unknown = sorted(set(options) - _CELL_OPTIONS)
    if unknown:
        raise ValueError(
            f"cell on line {line}: option(s) {unknown} are not supported by the fallback "
            f"renderer; supported: {sorted(_CELL_OPTIONS)}"
        )
    label = options.get("label")
    if label is not None and not _CELL_LABEL.match(str(label)):
        raise ValueError(
            f"cell on line {line}: label {label!r} must start with 'tbl-' or 'fig-' followed by "
            "letters, digits, '-' or '_'"
        )
    if label is not None:
        kind = str(label).split("-", 1)[0]
        if f"{kind}-cap" not in options:
            raise ValueError(f"cell on line {line}: label {label!r} needs a `{kind}-cap` option")
    return options, "\n".join(body[index:])


def _markdown_parts(
    lines: list[str], first_line: int
) -> tuple[str | Verbatim | InlineExpression, ...]:
    """Split markdown into kept text and inline expressions, leaving fenced blocks alone."""
    parts: list[str | Verbatim | InlineExpression] = []
    prose: list[str] = []
    prose_line = first_line

    def flush_prose() -> None:
        if prose:
            parts.extend(_inline_parts("\n".join(prose) + "\n", prose_line))
            prose.clear()

    index = 0
    while index < len(lines):
        fence = _PLAIN_FENCE.match(lines[index])
        if fence is None:
            if not prose:
                prose_line = first_line + index
            prose.append(lines[index])
            index += 1
            continue
        flush_prose()
        marker = fence.group("fence")
        end = index + 1
        while end < len(lines) and not lines[end].startswith(marker):
            end += 1
        parts.append(Verbatim("\n".join(lines[index : end + 1]) + "\n"))
        index = end + 1
    flush_prose()
    return tuple(parts)


def _inline_parts(text: str, line: int) -> Iterator[str | InlineExpression]:
    position = 0
    for match in _CODE_SPAN.finditer(text):
        inline = _INLINE_PYTHON.match(match.group("body"))
        if inline is None:
            continue
        yield text[position : match.start()]
        yield InlineExpression(
            inline.group("expr").strip(), line + text.count("\n", 0, match.start())
        )
        position = match.end()
    yield text[position:]


def parse_qmd(text: str) -> QmdDocument:
    """Parse the text of a ``.qmd`` file.

    Raises
    ------
    ValueError
        On an unclosed cell, a non-Python executable cell, bad cell options or a label used
        twice; the message names the line.
    """
    front_matter, lines, first_line = _split_front_matter(text)
    chunks: list[MarkdownChunk | CodeCell] = []
    markdown: list[str] = []
    markdown_line = first_line
    seen_labels: dict[str, int] = {}
    in_plain_fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        number = first_line + index
        if in_plain_fence is not None:
            if line.startswith(in_plain_fence):
                in_plain_fence = None
            markdown.append(line)
            index += 1
            continue
        opening = _CELL_OPEN.match(line)
        if opening is None:
            plain = _PLAIN_FENCE.match(line)
            if plain is not None:
                in_plain_fence = plain.group("fence")
            if not markdown:
                markdown_line = number
            markdown.append(line)
            index += 1
            continue
        language = opening.group("lang")
        if language != "python":
            raise ValueError(
                f"line {number}: `{{{language}}}` cells are not supported by the fallback "
                "renderer, which runs Python cells only; install Quarto to render them"
            )
        fence = opening.group("fence")
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != fence:
            end += 1
        if end == len(lines):
            raise ValueError(f"line {number}: the {{python}} cell opened here is never closed")
        if markdown:
            chunks.append(MarkdownChunk(_markdown_parts(markdown, markdown_line), markdown_line))
            markdown = []
        options, source = _cell_options(lines[index + 1 : end], number)
        label = options.get("label")
        if label is not None:
            if label in seen_labels:
                raise ValueError(
                    f"line {number}: label {label!r} is already used by the cell on line "
                    f"{seen_labels[label]}"
                )
            seen_labels[label] = number
        chunks.append(CodeCell(source=source, options=options, line=number))
        index = end + 1
    if markdown:
        chunks.append(MarkdownChunk(_markdown_parts(markdown, markdown_line), markdown_line))
    return QmdDocument(front_matter=front_matter, chunks=tuple(chunks))


def resolve_cross_references(text: str, numbering: Mapping[str, str]) -> str:
    """Turn ``@tbl-x``/``@fig-x`` into links reading "Table 1"/"Figure 2".

    ``@Tbl-x`` and ``@Fig-x`` give the same capitalised text. Code spans are left alone.

    Raises
    ------
    ValueError
        When a reference names a label no cell defines.
    """
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_resolve_prose(text[position : span.start()], numbering))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_resolve_prose(text[position:], numbering))
    return "".join(pieces)


def _resolve_prose(text: str, numbering: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        label = f"{match.group('kind').lower()}-{match.group('name')}"
        if label not in numbering:
            known = ", ".join(sorted(numbering)) or "none"
            raise ValueError(
                f"cross-reference @{label} names no cell label; defined labels: {known}"
            )
        return f"[{numbering[label]}](#{label})"

    return _CROSS_REFERENCE.sub(replace, text)
