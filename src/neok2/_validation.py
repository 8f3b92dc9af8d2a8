"""Argument checks shared by every public function.

Each helper takes the value and the argument's name, returns the value converted to a plain
Python type, and raises with a message that names the argument and says what is expected:

- ``TypeError`` when the value is of the wrong kind (text where a number belongs, ``True``
  where a count belongs, ``1.5`` where a whole number belongs);
- ``ValueError`` when the kind is right but the value is not allowed (a negative seed, a
  probability of 1.2, an option that does not exist, a column that is not in the data).

``bool`` is never accepted as a number, even though Python treats it as one: ``seed=True`` is
almost always a slip. numpy scalars (``np.int64``, ``np.float64``) are accepted wherever the
Python type is, so values read out of a DataFrame can be passed straight back.

The module is the base layer: it imports nothing from neok2.

Examples
--------
>>> from neok2._validation import seed_like, probability
>>> seed_like(20200701)
20200701
>>> probability(0.05, "alpha")
0.05
>>> seed_like(-1)
Traceback (most recent call last):
ValueError: `seed` must be a non-negative integer, got -1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "column_in",
    "columns_in",
    "float_like",
    "int_like",
    "one_of",
    "positive",
    "probability",
    "seed_like",
    "seed_or_generator",
]

T = TypeVar("T")


def _kind(value: object) -> str:
    return type(value).__name__


def _is_integer(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def _is_real(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(
        value, int | float | np.integer | np.floating
    )


def seed_like(value: Any, name: str = "seed") -> int:
    """Check a random seed: a non-negative integer (numpy integers accepted, ``bool`` not).

    This is the one rule for seeds in neok2: a value of the wrong kind is a ``TypeError`` and
    a negative integer is a ``ValueError``; both messages begin "`seed` must be a
    non-negative integer".

    Parameters
    ----------
    value : Any
        The seed as given.
    name : str, default "seed"
        The argument's name, used in the message.

    Returns
    -------
    int
        The seed as a Python ``int``.

    Raises
    ------
    TypeError
        If the seed is not an integer (``bool``, ``float`` and text included).
    ValueError
        If the seed is negative.

    Examples
    --------
    >>> import numpy as np
    >>> seed_like(np.int64(7))
    7
    >>> seed_like(1.5)
    Traceback (most recent call last):
    TypeError: `seed` must be a non-negative integer, got float 1.5
    """
    return _seed(value, name, "a non-negative integer")


def seed_or_generator(value: Any, name: str = "seed") -> int | np.random.Generator:
    """Check a seed that may also be a ``numpy.random.Generator`` (returned unchanged).

    Integers follow :func:`seed_like`.

    Parameters
    ----------
    value : Any
        The seed or generator as given.
    name : str, default "seed"
        The argument's name, used in the message.

    Returns
    -------
    int or numpy.random.Generator

    Raises
    ------
    TypeError
        If the value is neither an integer nor a Generator.
    ValueError
        If the seed is negative.

    Examples
    --------
    >>> import numpy as np
    >>> isinstance(seed_or_generator(np.random.default_rng(1)), np.random.Generator)
    True
    >>> seed_or_generator("a")
    Traceback (most recent call last):
    TypeError: `seed` must be a non-negative integer or a numpy Generator, got str 'a'
    """
    if isinstance(value, np.random.Generator):
        return value
    return _seed(value, name, "a non-negative integer or a numpy Generator")


def _seed(value: Any, name: str, expected: str) -> int:
    if not _is_integer(value):
        raise TypeError(f"`{name}` must be {expected}, got {_kind(value)} {value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be {expected}, got {int(value)}")
    return int(value)


def int_like(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Check a whole number (numpy integers accepted, ``bool`` and ``float`` not).

    Parameters
    ----------
    value : Any
        The value as given.
    name : str
        The argument's name, used in the message.
    minimum : int, optional
        Smallest value allowed.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If the value is not an integer.
    ValueError
        If it is below ``minimum``.

    Examples
    --------
    >>> int_like(200, "n_replicates", minimum=1)
    200
    >>> int_like(0, "n_replicates", minimum=1)
    Traceback (most recent call last):
    ValueError: `n_replicates` must be a positive integer, got 0
    """
    expected = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}"
    )
    if not _is_integer(value):
        raise TypeError(f"`{name}` must be {expected}, got {_kind(value)} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be {expected}, got {int(value)}")
    return int(value)


def float_like(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_infinite: bool = False,
) -> float:
    """Check a real number (ints and numpy scalars accepted, ``bool`` not; NaN never).

    Parameters
    ----------
    value : Any
        The value as given.
    name : str
        The argument's name, used in the message.
    minimum, maximum : float, optional
        Inclusive bounds.
    allow_infinite : bool, default False
        Accept ``inf`` and ``-inf`` (still subject to the bounds).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If the value is not a number.
    ValueError
        If it is NaN, infinite (unless allowed) or outside the bounds.

    Examples
    --------
    >>> float_like(3, "fisher_expected", minimum=0)
    3.0
    >>> float_like(float("nan"), "tol")
    Traceback (most recent call last):
    ValueError: `tol` must be a finite number, got nan
    """
    if not _is_real(value):
        raise TypeError(f"`{name}` must be a number, got {_kind(value)} {value!r}")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not allow_infinite):
        raise ValueError(f"`{name}` must be a finite number, got {number!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {number!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {number!r}")
    return number


def probability(value: Any, name: str, *, open_interval: bool = True) -> float:
    """Check a probability: strictly inside (0, 1), or in [0, 1] with ``open_interval=False``.

    Parameters
    ----------
    value : Any
        The value as given.
    name : str
        The argument's name, used in the message.
    open_interval : bool, default True
        Refuse 0 and 1 themselves (as a significance level or a prevalence must).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If the value is not a number.
    ValueError
        If it lies outside the interval (NaN included).

    Examples
    --------
    >>> probability(1, "power", open_interval=False)
    1.0
    >>> probability(1, "alpha")
    Traceback (most recent call last):
    ValueError: `alpha` must lie strictly between 0 and 1, got 1.0
    """
    if not _is_real(value):
        raise TypeError(f"`{name}` must be a number, got {_kind(value)} {value!r}")
    number = float(value)
    inside = 0.0 < number < 1.0 if open_interval else 0.0 <= number <= 1.0
    if not inside:
        bounds = "strictly between 0 and 1" if open_interval else "in [0, 1]"
        raise ValueError(f"`{name}` must lie {bounds}, got {number!r}")
    return number


def positive(value: Any, name: str) -> float:
    """Check a strictly positive finite number.

    Parameters
    ----------
    value : Any
        The value as given.
    name : str
        The argument's name, used in the message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If the value is not a number.
    ValueError
        If it is zero, negative, NaN or infinite.

    Examples
    --------
    >>> positive(2, "odds_ratio")
    2.0
    >>> positive(0, "odds_ratio")
    Traceback (most recent call last):
    ValueError: `odds_ratio` must be a positive finite number, got 0.0
    """
    if not _is_real(value):
        raise TypeError(f"`{name}` must be a number, got {_kind(value)} {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"`{name}` must be a positive finite number, got {number!r}")
    return number


def one_of(value: T, name: str, choices: Sequence[Any]) -> T:
    """Check that a value is one of a fixed set of options.

    ``True`` is not taken for ``1`` (nor ``False`` for ``0``).

    Parameters
    ----------
    value : Any
        The value as given.
    name : str
        The argument's name, used in the message.
    choices : sequence
        The allowed values, listed in the message in this order.

    Returns
    -------
    The value, unchanged.

    Raises
    ------
    ValueError
        If the value is not among ``choices``.

    Examples
    --------
    >>> one_of("welch", "t_test", ("auto", "student", "welch"))
    'welch'
    >>> one_of("z", "t_test", ("auto", "student", "welch"))
    Traceback (most recent call last):
    ValueError: `t_test` must be one of 'auto', 'student', 'welch'; got 'z'
    """
    allowed = any(
        value == choice and isinstance(value, bool) == isinstance(choice, bool)
        for choice in choices
    )
    if not allowed:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"`{name}` must be one of {listed}; got {value!r}")
    return value


def _flat_columns(frame: pd.DataFrame) -> None:
    if isinstance(frame.columns, pd.MultiIndex):
        raise ValueError(
            "`data` has MultiIndex (multi-level) columns; flatten them to one name per "
            "column first, e.g. data.columns = ['_'.join(map(str, c)) for c in data.columns]"
        )


def column_in(frame: pd.DataFrame, column: Any, name: str) -> str:
    """Check that ``column`` names a column of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    column : Any
        The column name as given.
    name : str
        The argument's name, used in the message.

    Returns
    -------
    str
        The column name.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or ``column`` is not a string.
    ValueError
        If the column is not in the data (the message lists a few that are).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [0, 1], "sga": [1, 0]})
    >>> column_in(data, "sga", "exposure")
    'sga'
    >>> column_in(data, "steroid", "exposure")
    Traceback (most recent call last):
    ValueError: `exposure`: column 'steroid' is not in the data (columns: 'case', 'sga')
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {_kind(frame)}")
    _flat_columns(frame)
    if not isinstance(column, str):
        raise TypeError(f"`{name}` must be a column name (str), got {_kind(column)} {column!r}")
    if column not in frame.columns:
        raise ValueError(f"`{name}`: column {column!r} is not in the data ({_some(frame)})")
    return column


def columns_in(frame: pd.DataFrame, columns: Sequence[Any], name: str) -> list[str]:
    """Check that every entry of ``columns`` names a column of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    columns : sequence of str
        The column names as given (a single string is refused).
    name : str
        The argument's name, used in the message.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame, ``columns`` is a string or holds a non-string.
    ValueError
        If some columns are not in the data (all of them are listed).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [0, 1], "sga": [1, 0]})
    >>> columns_in(data, ["sga", "male", "twins"], "variables")
    Traceback (most recent call last):
    ValueError: `variables`: ['male', 'twins'] not in the data (columns: 'case', 'sga')
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {_kind(frame)}")
    _flat_columns(frame)
    if isinstance(columns, str | bytes) or not isinstance(columns, Sequence):
        raise TypeError(f"`{name}` must be a list of column names, got {_kind(columns)}")
    wrong = [column for column in columns if not isinstance(column, str)]
    if wrong:
        raise TypeError(f"`{name}` must hold column names (str), got {wrong[:5]}")
    absent = [column for column in columns if column not in frame.columns]
    if absent:
        raise ValueError(f"`{name}`: {absent} not in the data ({_some(frame)})")
    return list(columns)


def _some(frame: pd.DataFrame) -> str:
    shown = [repr(str(label)) for label in list(frame.columns)[:8]]
    more = ", ..." if frame.shape[1] > 8 else ""
    return f"columns: {', '.join(shown)}{more}" if shown else "it has no columns"
