"""The top-level namespace: every public name resolves, lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import neok2


@pytest.mark.parametrize("name", neok2.__all__)
def test_every_public_name_resolves(name):
    assert getattr(neok2, name) is not None


def test_unknown_name():
    with pytest.raises(AttributeError, match="no attribute 'odds_ratio'"):
        neok2.odds_ratio  # noqa: B018


def test_import_does_not_load_heavy_modules():
    code = "import sys, neok2; print(any(m in sys.modules for m in ('statsmodels', 'matplotlib')))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.stdout.strip() == "False"


def test_reexport_is_the_same_object():
    from neok2.stats.contingency import odds_ratio_2x2

    assert neok2.odds_ratio_2x2 is odds_ratio_2x2


def test_all_lists_every_lazy_name():
    assert set(neok2._LAZY) <= set(neok2.__all__)
