"""Write (or check) the folder tree in the README's "Layout" section from the code itself.

Each module is listed with the first line of its docstring, so the tree cannot drift from the
package: ``python tools/readme_layout.py`` rewrites the block, ``--check`` exits 1 when the
README's block differs (tests/test_readme.py runs the check).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "neok2"
README = ROOT / "README.md"
START = "```text\nsrc/neok2/\n"
WIDTH = 100
NAME_COLUMN = 28


def _summary(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = docstring.strip().split("\n\n")[0]
    return " ".join(first.split()).rstrip(".")


def _fit(prefix: str, text: str) -> str:
    room = WIDTH - max(len(prefix), NAME_COLUMN) - 1
    # a long summary keeps its first clause, then whole words that fit
    for mark in (": ", "; ", " (", ", "):
        if len(text) > room and mark in text and len(text.split(mark)[0]) >= 24:
            text = text.split(mark)[0]
    if len(text) > room:
        words = text[: room - 4].rsplit(" ", 1)[0]
        text = words.rstrip(" ,;:") + " ..."
    return f"{prefix.ljust(NAME_COLUMN)} {text}".rstrip()


def _entries(folder: Path) -> list[Path]:
    children = [
        child
        for child in folder.iterdir()
        if (child.suffix == ".py" and child.name != "__init__.py")
        or (child.is_dir() and (child / "__init__.py").exists())
    ]
    return sorted(children, key=lambda child: (child.is_dir(), child.name))


def _tree(folder: Path, indent: str) -> list[str]:
    lines = []
    entries = _entries(folder)
    for index, entry in enumerate(entries):
        last = index == len(entries) - 1
        branch = "└── " if last else "├── "
        if entry.is_dir():
            lines.append(_fit(f"{indent}{branch}{entry.name}/", _summary(entry / "__init__.py")))
            lines.extend(_tree(entry, indent + ("    " if last else "│   ")))
        else:
            lines.append(_fit(f"{indent}{branch}{entry.name}", _summary(entry)))
    return lines


def layout_block() -> str:
    """The ```text block of the README's Layout section, made from the package."""
    lines = [_fit("├── __init__.py", _summary(PACKAGE / "__init__.py")), *_tree(PACKAGE, "")]
    return START + "\n".join(lines) + "\n```"


def _current(readme: str) -> tuple[int, int]:
    start = readme.index(START)
    end = readme.index("```", start + len(START)) + 3
    return start, end


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    start, end = _current(readme)
    block = layout_block()
    if "--check" in argv:
        if readme[start:end] != block:
            print("README Layout differs from the code; run python tools/readme_layout.py")
            return 1
        return 0
    README.write_text(readme[:start] + block + readme[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
