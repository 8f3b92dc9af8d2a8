"""Fast look-up of Table 1 entries (``Study.row`` filters a DataFrame on every call)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from neok2.study.spec import Study

__all__ = ["table1_row"]

_CACHE: dict[int, tuple[pd.DataFrame, dict[tuple[str, str, str], dict[str, Any]]]] = {}


def table1_row(study: Study, variable: str, group: str, level: str = "") -> dict[str, Any]:
    """The Table 1 entry of ``variable`` (and bin ``level``) in ``group`` as a dict."""
    key = id(study.table1)
    cached = _CACHE.get(key)
    if cached is None or cached[0] is not study.table1:
        if len(_CACHE) > 16:
            _CACHE.clear()
        index: dict[tuple[str, str, str], dict[str, Any]] = {
            (str(record["variable"]), str(record["group"]), str(record["level"])): {
                str(name): value for name, value in record.items()
            }
            for record in study.table1.to_dict("records")
        }
        _CACHE[key] = (study.table1, index)
    else:
        index = cached[1]
    try:
        return index[(variable, group, level)]
    except KeyError:
        raise KeyError(
            f"no Table 1 entry for variable={variable!r}, group={group!r}, level={level!r}"
        ) from None
