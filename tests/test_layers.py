"""Layering and size rules: audit and synth read only study, stats and the base modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "neok2"
# What each layer may import from neok2 (besides itself).
ALLOWED = {
    "audit": {"study", "stats", "formatting", "_io", "_validation", "_frozen"},
    "synth": {"study", "stats", "formatting", "_io", "_validation", "_frozen"},
    "stats": {"study", "formatting", "_io", "_validation", "_frozen"},
    "study": {"formatting", "_io", "_validation", "_frozen"},
}


def _neok2_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("neok2"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("neok2"))
    return names


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_lies_below(layer):
    wrong = {}
    for path in sorted((SOURCE / layer).rglob("*.py")):
        for module in _neok2_imports(path):
            parts = module.split(".")
            if module == "neok2" or (parts[1] != layer and parts[1] not in ALLOWED[layer]):
                wrong.setdefault(path.name, []).append(module)
    assert not wrong, f"{layer} imports from layers above it: {wrong}"


@pytest.mark.parametrize("layer", ["study", "audit", "synth"])
def test_no_module_over_800_lines(layer):
    long = {
        str(path.relative_to(SOURCE)): count
        for path in (SOURCE / layer).rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not long, long
