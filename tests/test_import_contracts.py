"""The import contracts of pyproject.toml ([tool.importlinter]) hold on this checkout.

`make lint` runs the same check through `lint-imports`; this test keeps it in the suite, and
a second test makes sure the contracts can fail (a contract that cannot be broken checks
nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    # grimp finds neok2 on sys.path, so PYTHONPATH picks the tree under test.
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, "
        "no_cache=True, no_logo=True))"
    )
    environment = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, cwd=ROOT
    )


def test_contracts_are_kept():
    completed = _lint_imports(ROOT / "src")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "3 kept, 0 broken" in completed.stdout


def test_a_stats_module_importing_synth_breaks_the_layers(tmp_path):
    broken = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "neok2", broken / "neok2")
    growth = broken / "neok2" / "stats" / "growth.py"
    growth.write_text(growth.read_text() + "\nimport neok2.synth.rules  # noqa: E402\n")
    completed = _lint_imports(broken)
    assert completed.returncode != 0
    assert "neok2.stats.growth -> neok2.synth.rules" in completed.stdout
