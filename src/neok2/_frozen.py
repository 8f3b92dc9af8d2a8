"""Frozen all the way down: result objects never hand out something that can change them.

A frozen dataclass stops ``result.rows = other`` but not ``result.rows.loc[0, "n"] = 9``.
neok2 picks one rule for every result object and applies it with :func:`frozen_fields`:

- a pandas DataFrame or Series is copied when it is stored and copied again each time it
  is read, so what a caller gets is theirs to change;
- a numpy array is stored as a read-only copy (writing to it raises ``ValueError``); arrays
  are read in inner loops, where a copy per read would cost;
- a mapping is stored as a read-only ``MappingProxyType`` of its items, and its DataFrames
  are copied on the way out like any other.

Scalars, strings and tuples of them are immutable already and are left alone.

Examples
--------
>>> from dataclasses import dataclass
>>> import pandas as pd
>>> @frozen_fields("table")
... @dataclass(frozen=True)
... class Result:
...     table: pd.DataFrame
>>> result = Result(pd.DataFrame({"n": [1, 2]}))
>>> handed_out = result.table
>>> handed_out.loc[0, "n"] = 99
>>> result.table["n"].tolist()
[1, 2]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["frozen_fields", "handed_out", "stored"]

C = TypeVar("C", bound=type)


def stored(value: Any) -> Any:
    """The form in which a result object keeps ``value`` (a private, protected copy)."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True)
        array.flags.writeable = False
        return array
    if isinstance(value, Mapping):
        return MappingProxyType({key: stored(item) for key, item in value.items()})
    return value


def handed_out(value: Any) -> Any:
    """The form in which a result object gives a stored value to a caller."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    if isinstance(value, Mapping) and any(
        isinstance(item, pd.DataFrame | pd.Series) for item in value.values()
    ):
        return MappingProxyType({key: handed_out(item) for key, item in value.items()})
    return value


class _Protected:
    """Data descriptor standing in for one dataclass field (see :func:`frozen_fields`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            raise AttributeError(self.name)
        try:
            value = instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        return handed_out(value)

    def __set__(self, instance: object, value: Any) -> None:
        # A frozen dataclass's own __setattr__ refuses assignment before this is reached;
        # only its __init__ (through object.__setattr__) gets here.
        instance.__dict__[self.name] = stored(value)


def frozen_fields(*names: str) -> Callable[[C], C]:
    """Class decorator (placed above ``@dataclass``) protecting the named fields.

    Parameters
    ----------
    *names : str
        Fields holding DataFrames, Series, arrays or mappings.

    Returns
    -------
    callable
        The decorator; it returns the same class with each named field behind a descriptor
        that stores a protected copy and hands out copies (see the module docstring).

    Raises
    ------
    TypeError
        If the class is not a dataclass or a name is not one of its fields.
    """

    def protect(cls: C) -> C:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"frozen_fields expects a dataclass, got {cls.__name__}")
        known = {field.name for field in dataclasses.fields(cls)}
        for name in names:
            if name not in known:
                raise TypeError(f"{cls.__name__} has no field {name!r} to protect")
            setattr(cls, name, _Protected(name))
        return cls

    return protect
