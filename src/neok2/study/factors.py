"""Which Table 1 variables the models take as factors, and the codes of their levels.

A categorical or ordinal Table 1 row prints one count per level. The models treat the
variable as a factor (one odds ratio per level against the reference) when the spec prints
odds ratios per level for it or the data dictionary calls the column categorical; an ordinal
count printed with one odds ratio per unit stays numeric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from neok2.study.model import code_key
from neok2.study.spec import Study

__all__ = [
    "Table1Layout",
    "factor_levels",
    "factor_variables",
    "levelled_column",
    "levels_of",
    "model_data",
    "table1_layout",
]


def factor_variables(study: Study) -> list[str]:
    """The Table 1 variables the models take as factors, in Table 1 order.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> factor_variables(load_study("birthwt"))
    ['race']
    >>> factor_variables(load_study("k2_neonates"))
    []
    """
    table1 = study.table1
    levelled = table1.loc[table1["summary"].isin(("categorical", "ordinal")), "variable"]
    per_level = set(study.univariable.loc[study.univariable["level"] != "", "variable"]) | set(
        study.multivariable.loc[study.multivariable["level"] != "", "variable"]
    )
    factors = []
    for variable in dict.fromkeys(str(name) for name in levelled):
        try:
            categorical = study.column(variable).type == "categorical"
        except KeyError:
            categorical = False
        if variable in per_level or categorical:
            factors.append(variable)
    return factors


def factor_levels(study: Study, variable: str) -> list[tuple[str, frozenset[str]]]:
    """The printed levels of a categorical Table 1 row, reference first, with their codes.

    Each level comes with the :func:`~neok2.study.model.code_key` forms that stand for it in
    data: its value (``2``) and its printed label (``Black``), so that data holding either
    are read alike.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> [(level, sorted(codes)) for level, codes in factor_levels(load_study("birthwt"), "race")]
    [('White', ['1', 'white']), ('Black', ['2', 'black']), ('Other', ['3', 'other'])]
    """
    table1 = study.table1
    rows = table1[
        (table1["variable"] == variable) & (table1["level"] != "") & (table1["group"] == "case")
    ]
    if rows.empty or (rows["value"] == "").all():
        raise ValueError(f"{variable!r} has no categorical or ordinal Table 1 row with levels")
    levels = [
        (str(level), frozenset({code_key(level), code_key(value)}))
        for level, value in zip(rows["level"], rows["value"], strict=True)
    ]
    reference = [index for index, is_ref in enumerate(rows["reference"]) if bool(is_ref)]
    if reference and reference[0] != 0:
        levels.insert(0, levels.pop(reference[0]))
    return levels


def levels_of(study: Study, variable: str) -> tuple[list[str], dict[str, str]]:
    """Printed levels of a categorical row, reference first, and ``code -> level``.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> levels_of(load_study("birthwt"), "race")[0]
    ['White', 'Black', 'Other']
    """
    levels = factor_levels(study, variable)
    by_code = {code: level for level, codes in levels for code in codes}
    return [level for level, _ in levels], by_code


def levelled_column(study: Study, data: pd.DataFrame, variable: str) -> pd.Series:
    """A categorical column as its printed levels (reference first), from codes or labels.

    Raises
    ------
    ValueError
        A value is not one of the Table 1 levels of ``variable``.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> column = levelled_column(load_study("birthwt"), pd.DataFrame({"race": [2, 1]}), "race")
    >>> list(column), list(column.cat.categories)
    (['Black', 'White'], ['White', 'Black', 'Other'])
    """
    levels, by_code = levels_of(study, variable)
    column = data[variable]
    labels = column.map(lambda value: None if pd.isna(value) else by_code.get(code_key(value)))
    unknown = column.notna() & labels.isna()
    if unknown.any():
        raise ValueError(
            f"column {variable!r} holds {column[unknown].iloc[0]!r}, which is not a Table 1 "
            "level of the study spec; add the level or correct the data"
        )
    return pd.Series(pd.Categorical(labels, categories=levels), index=column.index)


def model_data(study: Study, data: pd.DataFrame) -> pd.DataFrame:
    """The data with every factor variable as its printed levels, reference first.

    The models then estimate one odds ratio per level against the spec's reference, named
    as the spec names them (``race[Black]`` once ``[T.`` is dropped). The analysis of the
    manuscript and the rebuild check fit their models on this frame.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> frame = model_data(load_study("birthwt"), pd.DataFrame({"race": [3], "low": [1]}))
    >>> str(frame.loc[0, "race"]), int(frame.loc[0, "low"])
    ('Other', 1)
    """
    factors = [variable for variable in factor_variables(study) if variable in data.columns]
    # strata enter the models as factor terms, whatever their codes
    strata = [
        name
        for name in study.strata
        if name in data.columns
        and name not in factors
        and not isinstance(data[name].dtype, pd.CategoricalDtype)
    ]
    if not factors and not strata:
        return data
    frame = data.copy(deep=False)  # copy-on-write: only the recoded columns are new
    for variable in factors:
        frame[variable] = levelled_column(study, data, variable)
    for name in strata:
        frame[name] = pd.Categorical(frame[name])
    return frame


@dataclass(frozen=True)
class Table1Layout:
    """A data set laid out as a study's Table 1 prints it, ready for ``baseline_table``.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data, categorical and ordinal Table 1 variables as their printed levels in printed
        order, plus one ``<variable>_band`` column per binned Table 1 row.
    variables : tuple of str
        The columns to summarise, in Table 1 order (a band column right after its variable).
    summary : Mapping[str, str]
        ``"n_percent"``, ``"mean_sd"`` or ``"median_iqr"`` per column.
    bands : Mapping[str, str]
        ``band column -> variable`` it bins.
    """

    frame: pd.DataFrame = field(repr=False)
    variables: tuple[str, ...]
    summary: Mapping[str, str]
    bands: Mapping[str, str]


def _band_column(study: Study, data: pd.DataFrame, variable: str) -> pd.Series:
    """The printed bin of each value of a binned Table 1 variable (NA outside every bin)."""
    table1 = study.table1
    rows = table1[(table1["variable"] == variable) & (table1["level"] != "")]
    rows = rows.drop_duplicates("level")
    values = pd.to_numeric(data[variable], errors="coerce")
    band = pd.Series(pd.NA, index=values.index, dtype="object")
    for level, low, high in zip(rows["level"], rows["low"], rows["high"], strict=True):
        inside = values.notna()
        if not math.isnan(low):
            inside &= values >= low
        if not math.isnan(high):
            inside &= values < high
        band[inside] = level
    return pd.Series(pd.Categorical(band, categories=list(rows["level"])), index=values.index)


def table1_layout(study: Study, data: pd.DataFrame) -> Table1Layout:
    """Lay ``data`` out as the study's Table 1: printed levels, printed order, bins.

    Table 1 variables missing from ``data`` are left out (the caller decides whether that
    matters). A categorical or ordinal row becomes a categorical column in printed order;
    a row printed with bins (``low``/``high`` levels) keeps its values and gains a band column.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"low": [1, 0], "race": [1, 3], "smoke": [1, 0]})
    >>> layout = table1_layout(load_study("birthwt"), data)
    >>> layout.variables, dict(layout.summary)
    (('race', 'smoke'), {'race': 'n_percent', 'smoke': 'n_percent'})
    """
    table1 = study.table1
    heads = table1[table1["level"] == ""].drop_duplicates("variable")
    binned = set(table1.loc[(table1["level"] != "") & (table1["value"] == ""), "variable"])
    frame = data.copy()
    variables: list[str] = []
    summary: dict[str, str] = {}
    bands: dict[str, str] = {}
    for variable, kind in zip(heads["variable"], heads["summary"], strict=True):
        if variable not in frame.columns:
            continue
        variables.append(variable)
        summary[variable] = str(kind)
        if kind in ("categorical", "ordinal"):
            # printed order (ordinal bands low to high), not the reference-first model order
            printed = table1.loc[
                (table1["variable"] == variable)
                & (table1["level"] != "")
                & (table1["group"] == "case"),
                "level",
            ]
            column = levelled_column(study, data, variable)
            frame[variable] = column.cat.reorder_categories(list(printed.astype(str)))
            summary[variable] = "n_percent"
        elif variable in binned:
            band_name = f"{variable}_band"
            frame[band_name] = _band_column(study, data, variable)
            variables.append(band_name)
            summary[band_name] = "n_percent"
            bands[band_name] = variable
    return Table1Layout(
        frame=frame,
        variables=tuple(variables),
        summary=MappingProxyType(summary),
        bands=MappingProxyType(bands),
    )
