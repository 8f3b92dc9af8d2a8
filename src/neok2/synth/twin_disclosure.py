"""Disclosure checks of a synthetic twin: replicated uniques and distance to the closest record.

* **Replicated uniques** (R synthpop ``replicated.uniques``): a twin record that is unique in
  the twin on the key variables and whose key values are those of a record unique in the real
  data. Such a record reproduces a real person's combination exactly; its rate is the count
  divided by the number of twin records.
* **Distance to the closest record** (DCR): the Gower distance from each twin record to the
  nearest real record, beside the distance from each real record to its nearest *other* real
  record. Twin records much closer to real ones than real records are to each other are
  near-copies.

:func:`check_replicated_uniques` refuses a twin whose replicated-uniques rate exceeds a
threshold the user sets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DisclosureReport",
    "check_replicated_uniques",
    "closest_record_distances",
    "disclosure_report",
    "replicated_uniques",
]

_NUMERIC_TYPES = ("binary", "integer", "continuous", "date")
_MISSING_KEY = "\x00<missing>"


@dataclass(frozen=True)
class DisclosureReport:
    """Disclosure figures of a twin against its real records.

    Attributes
    ----------
    keys : tuple of str
        Key variables of the uniqueness check.
    n_real, n_twin : int
    real_uniques : int
        Real records unique on the keys.
    replicated_uniques : int
        Twin records unique in the twin that reproduce a real unique's key values.
    replicated_uniques_rate : float
        ``replicated_uniques / n_twin``.
    exact_copies : int
        Twin records identical to some real record on every compared variable.
    distances : pandas.DataFrame
        ``quantity, median, p05, minimum``: twin-to-real and real-to-real nearest Gower
        distances.
    """

    keys: tuple[str, ...]
    n_real: int
    n_twin: int
    real_uniques: int
    replicated_uniques: int
    replicated_uniques_rate: float
    exact_copies: int
    distances: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per figure: ``measure, value, note``."""
        rows: list[dict[str, Any]] = [
            {"measure": "n_real", "value": float(self.n_real), "note": ""},
            {"measure": "n_twin", "value": float(self.n_twin), "note": ""},
            {
                "measure": "real_uniques",
                "value": float(self.real_uniques),
                "note": f"unique on {len(self.keys)} key variable(s)",
            },
            {"measure": "replicated_uniques", "value": float(self.replicated_uniques), "note": ""},
            {
                "measure": "replicated_uniques_rate",
                "value": self.replicated_uniques_rate,
                "note": "replicated uniques / twin records",
            },
            {"measure": "exact_copies", "value": float(self.exact_copies), "note": ""},
        ]
        for record in self.distances.to_dict("records"):
            for statistic in ("median", "p05", "minimum"):
                rows.append(
                    {
                        "measure": f"{record['quantity']}_{statistic}",
                        "value": float(record[statistic]),
                        "note": "Gower distance",
                    }
                )
        return pd.DataFrame(rows, columns=["measure", "value", "note"])

    def to_gt(self, *, title: str | None = None) -> Any:
        """great_tables ``GT`` of :meth:`tidy`."""
        from great_tables import GT

        table = self.tidy()
        table["value"] = [f"{v:.4g}" for v in table["value"]]
        return GT(table).tab_header(title=title or "Disclosure of the synthetic twin")

    def _repr_html_(self) -> str:
        return str(self.to_gt().as_raw_html())


def _key_frame(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Key columns as text, missing values as a value of their own (so they can match)."""
    out = pd.DataFrame(index=range(len(frame)))
    for key in keys:
        column = frame[key].reset_index(drop=True)
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().sum() == column.notna().sum():
            text = numeric.map(lambda v: _MISSING_KEY if pd.isna(v) else repr(float(v)))
        else:
            text = column.map(lambda v: _MISSING_KEY if pd.isna(v) else str(v))
        out[key] = text.astype(object)
    return out


def _check_keys(real: pd.DataFrame, twin: pd.DataFrame, keys: Sequence[str] | None) -> list[str]:
    for name, frame in (("real", real), ("twin", twin)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(frame).__name__}")
    if keys is None:
        keys = [c for c in real.columns if c in twin.columns]
    keys = [str(k) for k in keys]
    if not keys:
        raise ValueError("`keys`: no key variables; name the columns that could identify someone")
    missing = [k for k in keys if k not in real.columns or k not in twin.columns]
    if missing:
        raise ValueError(f"`keys`: {missing} are not columns of both the real data and the twin")
    return keys


def replicated_uniques(
    real: pd.DataFrame, twin: pd.DataFrame, keys: Sequence[str] | None = None
) -> tuple[int, int, npt.NDArray[np.bool_]]:
    """Twin records that reproduce a record unique in the real data.

    Parameters
    ----------
    real, twin : pandas.DataFrame
    keys : sequence of str, optional
        Key variables; default every column the two frames share.

    Returns
    -------
    tuple
        ``(real_uniques, replicated, flags)``: real records unique on the keys, twin records
        that are unique in the twin and match a real unique, and one flag per twin record.

    Examples
    --------
    >>> real = pd.DataFrame({"sex": [0, 0, 1, 1, 1], "age": [30, 30, 41, 52, 52]})
    >>> twin = pd.DataFrame({"sex": [1, 0, 0, 1, 1], "age": [41, 30, 30, 52, 60]})
    >>> uniques, replicated, flags = replicated_uniques(real, twin)
    >>> uniques, replicated, flags.tolist()   # only (1, 41) is unique in both and matches
    (1, 1, [True, False, False, False, False])
    """
    keys = _check_keys(real, twin, keys)
    real_keys = _key_frame(real, keys)
    twin_keys = _key_frame(twin, keys)
    real_tuples = list(real_keys.itertuples(index=False, name=None))
    twin_tuples = list(twin_keys.itertuples(index=False, name=None))
    real_counts = pd.Series(real_tuples, dtype=object).value_counts()
    twin_counts = pd.Series(twin_tuples, dtype=object).value_counts()
    real_unique = {key for key, count in real_counts.items() if count == 1}
    flags = np.array(
        [key in real_unique and twin_counts[key] == 1 for key in twin_tuples], dtype=bool
    )
    return len(real_unique), int(flags.sum()), flags


def _gower_blocks(
    real: pd.DataFrame, other: pd.DataFrame, types: Mapping[str, str]
) -> list[tuple[npt.NDArray[Any], npt.NDArray[Any], bool, float]]:
    blocks = []
    for name, kind in types.items():
        if kind in _NUMERIC_TYPES:
            a = pd.to_numeric(real[name], errors="coerce").to_numpy(dtype=float)
            b = pd.to_numeric(other[name], errors="coerce").to_numpy(dtype=float)
            spread = float(np.nanmax(a) - np.nanmin(a)) if np.isfinite(a).any() else 0.0
            blocks.append((a, b, True, spread if spread > 0 else 1.0))
        else:
            a = real[name].map(lambda v: _MISSING_KEY if pd.isna(v) else str(v)).to_numpy()
            b = other[name].map(lambda v: _MISSING_KEY if pd.isna(v) else str(v)).to_numpy()
            blocks.append((a, b, False, 1.0))
    return blocks


def _nearest(
    real: pd.DataFrame, other: pd.DataFrame, types: Mapping[str, str], *, exclude_self: bool
) -> npt.NDArray[np.float64]:
    """Gower distance from each row of ``other`` to its nearest row of ``real``."""
    blocks = _gower_blocks(real, other, types)
    nearest = np.empty(len(other))
    chunk = 256
    for start in range(0, len(other), chunk):
        stop = min(start + chunk, len(other))
        total = np.zeros((stop - start, len(real)))
        for a, b, numeric, spread in blocks:
            part_b = b[start:stop]
            if numeric:
                diff = np.abs(part_b[:, None] - a[None, :]) / spread
                both_missing = np.isnan(part_b)[:, None] & np.isnan(a)[None, :]
                # One value missing: the variables disagree fully; both missing: they agree.
                diff = np.where(np.isnan(diff), np.where(both_missing, 0.0, 1.0), diff)
            else:
                diff = (part_b[:, None] != a[None, :]).astype(float)
            total += diff
        total /= max(len(blocks), 1)
        if exclude_self:
            total[np.arange(stop - start), np.arange(start, stop)] = np.inf
        nearest[start:stop] = total.min(axis=1)
    return nearest


def closest_record_distances(
    real: pd.DataFrame, twin: pd.DataFrame, types: Mapping[str, str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Nearest Gower distances: twin-to-real, and real-to-real (each record's nearest other).

    Parameters
    ----------
    real, twin : pandas.DataFrame
    types : Mapping[str, str]
        Variable name to type; numeric types (binary, integer, continuous, date) use
        ``|x - y| / range`` with the range of the real values, others 0/1 mismatch.

    Returns
    -------
    tuple of numpy.ndarray
        ``(twin_to_real, real_to_real)``.

    Examples
    --------
    >>> real = pd.DataFrame({"x": [0.0, 10.0, 4.0], "g": ["a", "b", "a"]})
    >>> twin = pd.DataFrame({"x": [0.0, 5.0], "g": ["a", "b"]})
    >>> twin_to_real, real_to_real = closest_record_distances(real, twin, {"x": "continuous",
    ...                                                                    "g": "categorical"})
    >>> twin_to_real.tolist()     # (0 + 0) / 2 and, to (10, "b"), (|5 - 10| / 10 + 0) / 2
    [0.0, 0.25]
    >>> real_to_real.tolist()     # nearest other record of each real record
    [0.2, 0.8, 0.2]
    """
    if not types:
        raise ValueError("`types`: no variables to compare")
    twin_to_real = _nearest(real, twin, types, exclude_self=False)
    real_to_real = _nearest(real, real, types, exclude_self=True) if len(real) > 1 else np.array([])
    return twin_to_real, real_to_real


def disclosure_report(
    real: pd.DataFrame,
    twin: pd.DataFrame,
    types: Mapping[str, str],
    *,
    keys: Sequence[str] | None = None,
) -> DisclosureReport:
    """Replicated uniques and closest-record distances of a twin.

    Parameters
    ----------
    real, twin : pandas.DataFrame
    types : Mapping[str, str]
        Compared variables and their types (identifiers left out).
    keys : sequence of str, optional
        Key variables of the uniqueness check; default the variables of ``types``.

    Returns
    -------
    DisclosureReport

    Examples
    --------
    >>> real = pd.DataFrame({"a": [0, 1, 1], "b": [1, 1, 1]})
    >>> report = disclosure_report(real, real.iloc[[0, 0, 1]], {"a": "binary", "b": "binary"})
    >>> report.real_uniques, report.replicated_uniques, report.exact_copies
    (1, 0, 3)
    """
    names = list(types)
    keys = list(keys) if keys is not None else names
    real_uniques, replicated, _ = replicated_uniques(real[names], twin[names], keys)
    twin_to_real, real_to_real = closest_record_distances(real, twin, types)
    rows = []
    for quantity, values in (("twin_to_real", twin_to_real), ("real_to_real", real_to_real)):
        if values.size == 0:
            rows.append(
                {"quantity": quantity, "median": math.nan, "p05": math.nan, "minimum": math.nan}
            )
            continue
        rows.append(
            {
                "quantity": quantity,
                "median": float(np.median(values)),
                "p05": float(np.quantile(values, 0.05)),
                "minimum": float(values.min()),
            }
        )
    return DisclosureReport(
        keys=tuple(keys),
        n_real=len(real),
        n_twin=len(twin),
        real_uniques=real_uniques,
        replicated_uniques=replicated,
        replicated_uniques_rate=replicated / len(twin) if len(twin) else 0.0,
        exact_copies=int((twin_to_real == 0).sum()),
        distances=pd.DataFrame(rows, columns=["quantity", "median", "p05", "minimum"]),
    )


def check_replicated_uniques(
    report: DisclosureReport, max_replicated_uniques: float | None
) -> None:
    """Raise ValueError when the twin's replicated-uniques rate exceeds the threshold.

    Parameters
    ----------
    report : DisclosureReport
    max_replicated_uniques : float or None
        Highest acceptable rate (0 to 1); None accepts any rate.

    Examples
    --------
    >>> real = pd.DataFrame({"a": [0, 1]})
    >>> report = disclosure_report(real, real, {"a": "binary"})
    >>> check_replicated_uniques(report, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: `max_replicated_uniques`: the twin replicates 2 real unique record(s) ...
    """
    if max_replicated_uniques is None:
        return
    if isinstance(max_replicated_uniques, bool) or not isinstance(
        max_replicated_uniques, int | float
    ):
        raise TypeError(
            "`max_replicated_uniques` must be a rate between 0 and 1, got "
            f"{type(max_replicated_uniques).__name__}"
        )
    if not 0 <= max_replicated_uniques <= 1:
        raise ValueError(
            f"`max_replicated_uniques` must lie between 0 and 1, got {max_replicated_uniques!r}"
        )
    if report.replicated_uniques_rate > max_replicated_uniques:
        raise ValueError(
            f"`max_replicated_uniques`: the twin replicates {report.replicated_uniques} real "
            f"unique record(s) ({report.replicated_uniques_rate:.2%} of {report.n_twin}), "
            f"above the allowed {max_replicated_uniques:.2%}; the twin is not released. "
            "Raise `min_leaf`, use fewer key variables, or change the seed or method"
        )
