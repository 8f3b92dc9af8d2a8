"""Which Table 1 variables the models take as factors, and the codes of their levels.

A categorical or ordinal Table 1 row prints one count per level. The models treat the
variable as a factor (one odds ratio per level against the reference) when the spec prints
odds ratios per level for it or the data dictionary calls the column categorical; an ordinal
count printed with one odds ratio per unit stays numeric.
"""

from __future__ import annotations

from neok2.study.model import code_key
from neok2.study.spec import Study

__all__ = ["factor_levels", "factor_variables"]


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
