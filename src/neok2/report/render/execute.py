"""Running a parsed ``.qmd`` in one Jupyter kernel, with an on-disk cache of the outputs.

Private to :mod:`neok2.report.render.api`. Cells and inline expressions run in document order in a
single kernel (nbclient + ipykernel), as Quarto's Jupyter engine does. The outputs are cached
under a key made from the code, the cell options, the kernel name and the content of every
file the caller declares as an input, so a warm re-render starts no kernel at all.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neok2.report.escape import escape_markdown
from neok2.report.render.qmd import CodeCell, MarkdownChunk, QmdDocument

__all__ = ["Execution", "cell_setting", "execute_document"]

# Bump when the cached layout or the meaning of the outputs changes.
_CACHE_FORMAT = "neok2-render-cache-1"
_QUARTO_DEFAULTS: Mapping[str, Any] = {
    "echo": True,
    "eval": True,
    "include": True,
    "output": True,
    "warning": True,
    "error": False,
}


@dataclass(frozen=True)
class Execution:
    """Outputs of one run: nbformat outputs per cell and the text of each inline value."""

    cell_outputs: tuple[tuple[Mapping[str, Any], ...], ...]
    inline_values: tuple[str, ...]
    cache_hit: bool


def cell_setting(cell: CodeCell, name: str, defaults: Mapping[str, Any]) -> Any:
    """A cell option, falling back to the document's ``execute:`` options, then Quarto's."""
    if name in cell.options:
        return cell.options[name]
    return defaults.get(name, _QUARTO_DEFAULTS[name])


def _digest_paths(paths: Sequence[Path], cwd: Path) -> list[list[str]]:
    def name(path: Path) -> str:
        # relative names, so that a copied project keeps its cache
        return os.path.relpath(path, cwd)

    entries: list[list[str]] = []
    for root in paths:
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(path for path in root.rglob("*") if path.is_file())
        else:
            entries.append([name(root), "missing"])
            continue
        for path in files:
            entries.append([name(path), hashlib.sha256(path.read_bytes()).hexdigest()])
    return entries


def _cache_key(
    document: QmdDocument,
    kernel: str,
    defaults: Mapping[str, Any],
    depends_on: Sequence[Path],
    cwd: Path,
) -> str:
    payload = {
        "format": _CACHE_FORMAT,
        "kernel": kernel,
        "defaults": {name: defaults.get(name) for name in sorted(_QUARTO_DEFAULTS)},
        "cells": [[cell.source, dict(cell.options)] for cell in document.cells],
        "inline": [
            part.expression
            for chunk in document.chunks
            if isinstance(chunk, MarkdownChunk)
            for part in chunk.expressions
        ],
        "depends_on": _digest_paths(depends_on, cwd),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _inline_text(outputs: Sequence[Mapping[str, Any]]) -> str:
    for output in outputs:
        if output.get("output_type") != "execute_result":
            continue
        data = output.get("data", {})
        if "text/markdown" in data:
            return str(_joined(data["text/markdown"]))
        plain = str(_joined(data.get("text/plain", "")))
        try:
            value = ast.literal_eval(plain)
        except (ValueError, SyntaxError):
            return escape_markdown(plain)
        # Quarto prints a string result without its quotes, as markdown (the manuscript's
        # helpers escape what they return); other values as their repr, which is plain text
        # (a list of labels, say) and is escaped here. Numbers read the same either way.
        return value if isinstance(value, str) else escape_markdown(plain)
    return ""


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _raise_on_error(outputs: Sequence[Mapping[str, Any]], where: str) -> None:
    for output in outputs:
        if output.get("output_type") == "error":
            raise RuntimeError(
                f"{where} raised {output.get('ename', 'an error')}: {output.get('evalue', '')}"
            )


def _run(notebook: Any, *, kernel: str, cwd: Path, timeout: int) -> None:
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    # A backend set in the caller's environment (e.g. Agg) would swallow the cells' figures.
    environment = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    client.execute(env=environment)


def execute_document(
    document: QmdDocument,
    *,
    cwd: Path,
    defaults: Mapping[str, Any],
    kernel: str = "python3",
    depends_on: Sequence[Path] = (),
    cache_dir: Path | None = None,
    timeout: int = 600,
) -> Execution:
    """Execute the cells and inline expressions of ``document`` (or reuse cached outputs).

    Raises
    ------
    RuntimeError
        When a cell (without ``error: true``) or an inline expression raises; the message
        names its line in the .qmd.
    """
    key = _cache_key(document, kernel, defaults, depends_on, cwd)
    cache_file = None if cache_dir is None else cache_dir / f"execution-{key}.json"
    if cache_file is not None and cache_file.is_file():
        cached = json.loads(cache_file.read_text(encoding="utf-8"))
        return Execution(
            cell_outputs=tuple(tuple(outputs) for outputs in cached["cell_outputs"]),
            inline_values=tuple(cached["inline_values"]),
            cache_hit=True,
        )

    import nbformat

    notebook = nbformat.v4.new_notebook()
    # (what, qmd line, position) for every notebook cell, in document order
    plan: list[tuple[str, int, int]] = []
    cell_index = 0
    inline_index = 0
    for chunk in document.chunks:
        if isinstance(chunk, CodeCell):
            if cell_setting(chunk, "eval", defaults):
                notebook.cells.append(nbformat.v4.new_code_cell(chunk.source))
                plan.append(("cell", chunk.line, cell_index))
            cell_index += 1
            continue
        for expression in chunk.expressions:
            notebook.cells.append(nbformat.v4.new_code_cell(expression.expression))
            plan.append(("inline", expression.line, inline_index))
            inline_index += 1

    if notebook.cells:
        _run(notebook, kernel=kernel, cwd=cwd, timeout=timeout)

    cell_outputs: list[tuple[Mapping[str, Any], ...]] = [() for _ in document.cells]
    inline_values = [""] * inline_index
    for notebook_cell, (what, line, position) in zip(notebook.cells, plan, strict=True):
        outputs = tuple(json.loads(json.dumps(notebook_cell.get("outputs", []))))
        if what == "inline":
            _raise_on_error(outputs, f"inline expression on line {line}")
            inline_values[position] = _inline_text(outputs)
            continue
        cell = document.cells[position]
        if not cell_setting(cell, "error", defaults):
            _raise_on_error(outputs, f"cell on line {line}")
        cell_outputs[position] = outputs

    execution = Execution(tuple(cell_outputs), tuple(inline_values), cache_hit=False)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        for stale in cache_file.parent.glob("execution-*.json"):
            stale.unlink()
        temporary = cache_file.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {"cell_outputs": execution.cell_outputs, "inline_values": execution.inline_values},
                sort_keys=True,
            ),
            encoding="utf-8",
        )
        temporary.replace(cache_file)
    return execution
