"""What a manuscript section is: its declaration, the inputs it receives and the outputs it returns.

A section is a :class:`Section` spec: a ``name``, the earlier sections whose exports it
``requires`` (or merely ``uses`` when present), the library ``modules`` it calls, and a
``compute`` function. The runner (:mod:`neok2.report.run`) hands ``compute`` a frozen
:class:`SectionInputs` holding only what was declared, and ``compute`` returns a
:class:`SectionOutput`: quoted values, tables, figures, generated texts and the exports later
sections may read. Nothing is shared between sections except those declared exports, which
reach each reader as read-only copies.

A new manuscript section is one module in :mod:`neok2.report.sections` defining a
``SECTION = Section(...)``, listed in that package's ``REGISTRY``.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

import numpy as np
import pandas as pd

from neok2.report.displayed import DisplayedTable, displayed_table, table_title
from neok2.report.figures.png import figure_svg_bytes
from neok2.report.results import ResultValue, plain_value
from neok2.study.spec import Study

__all__ = [
    "Section",
    "SectionInputs",
    "SectionOutput",
    "SectionUnavailable",
    "TableArtifact",
    "import_requirement",
]

SYNTHETIC_LABEL = "Synthetic data"
SYNTHETIC_NOTE = f"{SYNTHETIC_LABEL}: computed on a generated cohort, not on patients."

# Exports are handed on as they are only when they cannot be changed in place.
_IMMUTABLE = (str, int, float, bool, bytes, type(None), np.generic, frozenset)


class SectionUnavailable(Exception):  # noqa: N818 (a reason, not a failure)
    """A section cannot be computed; its message is the one-sentence reason recorded."""


def import_requirement(module: str, names: tuple[str, ...] = ()) -> ModuleType:
    """Import a library module a section calls, or say in one sentence why it cannot be.

    Raises
    ------
    SectionUnavailable
        ``"<module> is not installed"`` or ``"<module> has no <names>"``.

    Examples
    --------
    >>> import_requirement("neok2.formatting", ("format_p",)).__name__
    'neok2.formatting'
    >>> import_requirement("neok2.formatting", ("no_such_name",))
    Traceback (most recent call last):
    ...
    neok2.report.section.SectionUnavailable: neok2.formatting has no no_such_name
    """
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is not None and (error.name == module or module.startswith(error.name)):
            raise SectionUnavailable(f"{module} is not installed") from None
        raise
    missing = [name for name in names if not hasattr(imported, name)]
    if missing:
        raise SectionUnavailable(f"{module} has no {', '.join(missing)}")
    return imported


def _frozen_export(key: str, value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=True)
    if isinstance(value, tuple):
        return tuple(_frozen_export(key, item) for item in value)
    if isinstance(value, _IMMUTABLE):
        return value
    raise TypeError(
        f"export {key!r}: a {type(value).__name__} could be changed by the sections reading it; "
        "export a DataFrame, a tuple or a scalar instead"
    )


class Exports(Mapping[str, Any]):
    """The read-only exports of one computed section.

    Reading a DataFrame gives a fresh copy, so a reader cannot change what another reader
    (or the section that made it) sees; the mapping itself cannot be assigned to.
    """

    def __init__(self, section: str, values: Mapping[str, Any]) -> None:
        self._section = section
        self._values = {key: _frozen_export(key, value) for key, value in values.items()}

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._values[key]
        except KeyError:
            raise KeyError(
                f"section {self._section!r} exports no {key!r}; it exports "
                f"{', '.join(self._values) or 'nothing'}"
            ) from None
        return value.copy(deep=True) if isinstance(value, pd.DataFrame) else value

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Exports({self._section!r}: {', '.join(self._values)})"


@dataclass(frozen=True)
class SectionInputs:
    """What one section may read: the run's settings, the data and its declared inputs.

    Attributes
    ----------
    data : pandas.DataFrame
        A copy of the analysed data (one per section: changing it changes nothing else).
    study : Study
    seed, bootstrap_replicates, simulation_replicates : int
    data_source : str
        ``"synthetic"`` or ``"real"``.
    labels : Mapping[str, str]
        Readable variable labels (``study.display_labels()``).
    upstream : Mapping[str, Mapping[str, Any]]
        Exports of the sections declared in ``requires`` and ``uses`` that were computed.
    modules : Mapping[str, ModuleType]
        The library modules declared in ``modules``.
    mode : str
        ``"replication"`` (the data beside the published report) or ``"author"`` (the
        author's own paper: every number from the data and its fitted models).
    compare_published : bool
        In author mode, whether the marked comparison with the published study is wanted.
    exposure_structure : str
        Joint exposure model of the replication-mode simulations: ``"calibrated"`` (every
        Table 1 candidate, correlations solved to reproduce the printed crude and adjusted
        odds ratios) or ``"independent"`` (the binary candidates, independent).
    """

    data: pd.DataFrame
    study: Study
    seed: int
    data_source: str
    bootstrap_replicates: int
    simulation_replicates: int
    labels: Mapping[str, str]
    upstream: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    modules: Mapping[str, ModuleType] = field(default_factory=lambda: MappingProxyType({}))
    mode: str = "replication"
    compare_published: bool = False
    exposure_structure: str = "calibrated"

    @property
    def author(self) -> bool:
        """Whether numbers must come from the data alone (author mode)."""
        return self.mode == "author"

    @property
    def outcome(self) -> str:
        """The 0/1 outcome column (1 = case)."""
        return self.study.outcome

    @property
    def alpha(self) -> float:
        """The study's two-sided significance level."""
        return float(self.study.design.get("alpha", 0.05))

    def candidates(self) -> list[str]:
        """The study's candidate variables present in the data (unavailable if none is)."""
        names = [name for name in self.study.candidates if name in self.data.columns]
        if not names:
            raise SectionUnavailable("the data hold none of the study's candidate columns")
        return names

    def module(self, name: str) -> Any:
        """A declared library module (typed ``Any``: its functions are looked up by name)."""
        try:
            return self.modules[name]
        except KeyError:
            raise KeyError(f"module {name!r} is not declared in the section's modules") from None


@dataclass(frozen=True)
class TableArtifact:
    """One table: the unrounded tidy frame, its great-tables HTML and the displayed table.

    ``displayed`` is read from the same great-tables object as ``html``
    (:func:`~neok2.report.displayed.displayed_table`): the cells, headers and notes an
    author submits are the ones the manuscript shows.
    """

    frame: pd.DataFrame
    html: str
    displayed: DisplayedTable


@dataclass
class SectionOutput:
    """What one section returns; built by ``compute`` and frozen by the runner.

    Examples
    --------
    >>> out = SectionOutput("cohort")
    >>> out.add("n_total", 200, "200", "neonates analysed")
    >>> out.values["cohort.n_total"].display
    '200'
    >>> out.add("n_total", 200, "200", "again")
    Traceback (most recent call last):
    ...
    RuntimeError: result key 'cohort.n_total' produced twice
    """

    name: str
    data_source: str = ""
    values: dict[str, ResultValue] = field(default_factory=dict)
    tables: dict[str, TableArtifact] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: Any, display: str, description: str) -> None:
        """Quote a number as ``<section>.<key>``: unrounded value, display text, meaning."""
        full_key = f"{self.name}.{key}"
        if full_key in self.values:
            raise RuntimeError(f"result key {full_key!r} produced twice")
        self.values[full_key] = ResultValue(
            full_key, plain_value(value), display, description, self.name
        )

    @property
    def synthetic(self) -> bool:
        """Whether the section ran on synthetic data (its tables and figures say so)."""
        return self.data_source == "synthetic"

    def table(self, name: str, frame: pd.DataFrame, gt: Any, *, title: str | None = None) -> None:
        """Store a table: its tidy frame (index dropped) and a great-tables object.

        ``gt`` is built from a frame of display text (see :mod:`neok2.report.displayed`);
        its HTML and the displayed CSV and DOCX are all made from it. ``title`` defaults to
        :func:`~neok2.report.displayed.table_title`. On synthetic data the table gets a
        "Synthetic data" source note, unless it has one.
        """
        html = gt.as_raw_html()
        if self.synthetic and SYNTHETIC_LABEL not in html:
            gt = gt.tab_source_note(SYNTHETIC_NOTE)
            html = gt.as_raw_html()
        displayed = displayed_table(gt, title if title is not None else table_title(name, gt))
        self.tables[name] = TableArtifact(frame.reset_index(drop=True), html, displayed)

    def figure(self, name: str, figure: Any) -> None:
        """Store a matplotlib figure as reproducible SVG bytes (labelled when synthetic)."""
        figure = getattr(figure, "figure", figure)
        if self.synthetic:
            figure.text(
                0.995,
                0.005,
                SYNTHETIC_LABEL,
                ha="right",
                va="bottom",
                fontsize=7,
                fontstyle="italic",
                color="0.35",
            )
        self.figures[name] = figure_svg_bytes(figure)

    def text(self, name: str, markdown: str) -> None:
        """Store a generated markdown text."""
        self.texts[name] = markdown

    def export(self, name: str, value: Any) -> None:
        """Hand a value to later sections that declare this one in ``requires``/``uses``."""
        self.exports[name] = value


@dataclass(frozen=True)
class Section:
    """The declaration of one manuscript section.

    Parameters
    ----------
    name : str
        Its key in ``results.json`` (``sections`` and the prefix of its values).
    compute : callable
        ``compute(inputs: SectionInputs) -> SectionOutput``; raises
        :class:`SectionUnavailable` with a one-sentence reason when it cannot be computed.
    requires : tuple of str
        Earlier sections it cannot do without: if one is not computed, this one is skipped.
    uses : tuple of str
        Earlier sections it reads when they were computed (it copes without them).
    modules : Mapping[str, tuple of str]
        Library modules it calls and the names it needs from each; a missing one skips the
        section with ``"<module> is not installed"``.
    unavailable_reason : str
        Reason recorded when a ``requires`` section is missing (default: names it).

    Examples
    --------
    >>> def count(inputs):
    ...     out = SectionOutput("count")
    ...     out.add("n", len(inputs.data), str(len(inputs.data)), "rows")
    ...     return out
    >>> Section("count", count).requires
    ()
    """

    name: str
    compute: Callable[[SectionInputs], SectionOutput]
    requires: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    modules: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    unavailable_reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"`name` must be an identifier-like string, got {self.name!r}")
        if not callable(self.compute):
            raise TypeError(f"section {self.name!r}: `compute` must be callable")
        for label in ("requires", "uses"):
            names = getattr(self, label)
            if isinstance(names, str) or not isinstance(names, tuple):
                raise TypeError(f"section {self.name!r}: `{label}` must be a tuple of names")
        object.__setattr__(self, "modules", MappingProxyType(dict(self.modules)))

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Every earlier section this one reads, required or not."""
        return self.requires + tuple(name for name in self.uses if name not in self.requires)


def percent(count: float, total: float) -> float:
    """``100 count / total`` (NaN when ``total`` is 0).

    Examples
    --------
    >>> percent(1, 4), math.isnan(percent(0, 0))
    (25.0, True)
    """
    return math.nan if total == 0 else 100.0 * float(count) / float(total)
