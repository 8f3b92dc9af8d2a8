"""Fidelity helpers for categorical Table 1 rows: level counts and factor model columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from neok2.stats.two_group import TWO_GROUP_TESTS
from neok2.study.factors import factor_levels, factor_variables
from neok2.study.model import code_key
from neok2.study.spec import Study

__all__ = ["design_columns", "level_test_p"]


def level_test_p(
    study: Study, data: pd.DataFrame, groups: dict[str, pd.Series], variable: str
) -> float:
    """Pearson chi-square p of a categorical or ordinal row on the data's level counts."""
    table1 = study.table1
    rows = table1[
        (table1["variable"] == variable) & (table1["level"] != "") & (table1["group"] == "case")
    ]
    keys = data[variable].map(lambda value: None if pd.isna(value) else code_key(value))
    counts = np.array(
        [
            [
                int((keys[groups[group]].isin({code_key(value), code_key(level)})).sum())
                for group in ("case", "control")
            ]
            for level, value in zip(rows["level"], rows["value"], strict=True)
        ]
    )
    counts = counts[counts.sum(axis=1) > 0]
    if len(counts) < 2 or (counts.sum(axis=0) == 0).any():
        return math.nan
    return float(TWO_GROUP_TESTS["chisq"].on_table(counts).p_value)


def design_columns(study: Study | None, data: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Model columns of ``terms``: a factor gives one 0/1 column per non-reference level,
    named as the spec names the term (``race[Black]``); other terms are read as numbers."""
    factors = set(factor_variables(study)) if study is not None else set()
    columns: dict[str, pd.Series] = {}
    for name in terms:
        if study is not None and name in factors:
            keys = data[name].map(lambda value: None if pd.isna(value) else code_key(value))
            for level, codes in factor_levels(study, name)[1:]:
                columns[f"{name}[{level}]"] = keys.isin(codes).astype(float).where(keys.notna())
        else:
            columns[name] = pd.to_numeric(data[name], errors="coerce")
    return pd.DataFrame(columns, index=data.index)
