"""Categorical and ordinal Table 1 variables of a synthesis: exact counts per level.

Each printed level contributes exactly its printed count of subjects to its group, holding
the data code the level stands for (its ``value``, else its label). The codes are written
as the data dictionary declares the column: numbers for a numeric column (``ptl`` 0-3), whole
numbers for a categorical column whose levels are all integer codes (``race`` 1, 2, 3),
text otherwise (``esoph``'s bands).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from neok2.study.spec import Study

__all__ = ["levelled_columns", "levelled_variables"]

GROUPS = ("case", "control")


def levelled_variables(study: Study) -> list[str]:
    """The Table 1 variables printed as counts per level, in Table 1 order.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> levelled_variables(load_study("birthwt"))
    ['race', 'ptl']
    >>> levelled_variables(load_study("k2_neonates"))
    []
    """
    table1 = study.table1
    rows = table1[(table1["level"] == "") & table1["summary"].isin(("categorical", "ordinal"))]
    return [str(variable) for variable in dict.fromkeys(rows["variable"])]


def _integer_text(value: str) -> bool:
    try:
        return float(value).is_integer()
    except ValueError:
        return False


def _codes(study: Study, variable: str, values: list[str]) -> npt.NDArray[np.generic]:
    """The level values in the dtype the data dictionary gives the column."""
    kind = study.column(variable).type
    if kind in ("binary", "integer", "continuous"):
        return np.array([float(value) for value in values])
    if all(_integer_text(value) for value in values):
        return np.array([int(float(value)) for value in values], dtype=np.int64)
    return np.array(values, dtype=object)


def levelled_columns(
    rng: np.random.Generator, study: Study
) -> dict[str, dict[str, npt.NDArray[np.generic]]]:
    """Per levelled variable and group, the subjects' data codes in random order.

    Parameters
    ----------
    rng : numpy.random.Generator
    study : Study

    Returns
    -------
    dict
        ``variable -> {"case": codes, "control": codes}``; each level's code appears exactly
        as often as Table 1 prints for that group.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> columns = levelled_columns(np.random.default_rng(1), load_study("birthwt"))
    >>> sorted(columns), columns["race"]["case"].dtype.name
    (['ptl', 'race'], 'int64')
    >>> [int((columns["race"]["control"] == code).sum()) for code in (1, 2, 3)]
    [73, 15, 42]
    """
    table1 = study.table1
    columns: dict[str, dict[str, npt.NDArray[np.generic]]] = {}
    for variable in levelled_variables(study):
        rows = table1[(table1["variable"] == variable) & (table1["level"] != "")]
        columns[variable] = {}
        for group in GROUPS:
            in_group = rows[rows["group"] == group]
            values = [
                str(value) if value != "" else str(level)
                for level, value in zip(in_group["level"], in_group["value"], strict=True)
            ]
            codes = _codes(study, variable, values)
            counts = [int(count) for count in in_group["n"]]
            repeated = np.repeat(codes, counts)
            columns[variable][group] = rng.permutation(repeated)
    return columns
