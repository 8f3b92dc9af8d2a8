"""Fixtures shared by several test files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parents[1]


@pytest.fixture
def make_checkout(tmp_path: Path) -> Callable[[], Path]:
    """A scratch checkout for running the real Makefile without reinstalling anything.

    It holds a copy of the Makefile and symbolic links to this checkout's sources and virtual
    environment, and a fresh stamp of its own (pass ``STAMP=installed.stamp`` to make) so
    that Make never reinstalls the shared environment from there. The caller adds the
    manuscript folder it needs.
    """

    def build() -> Path:
        if not (VENV / ".neok2-installed").exists():
            pytest.skip("needs the virtual environment made by `make install`")
        root = tmp_path / "checkout"
        root.mkdir()
        (root / "Makefile").write_bytes((ROOT / "Makefile").read_bytes())
        for name in ("src", "pyproject.toml", "requirements.lock"):
            (root / name).symlink_to(ROOT / name)
        (root / ".venv").symlink_to(VENV)
        (root / "installed.stamp").touch()
        return root

    return build
