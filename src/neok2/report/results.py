"""The analysis artifacts: writing ``results.json``, tables and figures, and reading them back.

:func:`write_results` stores an :class:`AnalysisResults` as

- ``results.json``: every quoted number under a stable key, unrounded ``value`` plus a
  ``display`` string made by :mod:`neok2.formatting`, the data source, seed, data-file hash
  and package versions;
- ``tables/<name>.html`` (great-tables) and ``tables/<name>.csv`` (the unrounded tidy frame);
- ``tables/displayed/<name>.csv`` and ``tables/displayed/<name>.docx``: each table as the
  manuscript displays it (title, headers, formatted cells, footnotes), for submission
  (:mod:`neok2.report.displayed`);
- ``figures/<name>.svg`` (no date, fixed hash salt, so the bytes depend only on the data).

The folder is written whole: into a temporary folder beside it, then swapped in.

:func:`load_results` reads them back for the manuscript, which does no analysis itself.
"""

from __future__ import annotations

import html
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from neok2._frozen import frozen_fields
from neok2._io import atomic_folder, file_sha256, record_written
from neok2.report.displayed import DisplayedTable
from neok2.report.escape import code_span, escape_markdown

__all__ = [
    "AnalysisResults",
    "DataSource",
    "Mode",
    "ResultValue",
    "Results",
    "file_sha256",
    "load_results",
    "package_versions",
    "plain_value",
    "write_results",
]

DataSource = Literal["synthetic", "real"]
"""Whether the analysed file is the calibrated synthetic cohort or real records."""
Mode = Literal["author", "replication"]
"""``"author"``: the author's own paper, every number from the data; ``"replication"``: the
data set beside the published report."""

SCHEMA_VERSION = 2
_PACKAGES = (
    "neok2",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "great-tables",
    "matplotlib",
    "formulaic",
    "pandera",
)


@dataclass(frozen=True)
class ResultValue:
    """One quoted number: unrounded ``value``, its ``display`` text and what it is."""

    key: str
    value: Any
    display: str
    description: str
    section: str


@frozen_fields(
    "data_file",
    "values",
    "tables",
    "table_html",
    "displayed",
    "figures",
    "texts",
    "sections",
    "versions",
)
@dataclass(frozen=True)
class AnalysisResults:
    """Everything :func:`~neok2.report.run.run_analysis` computed.

    Attributes
    ----------
    study : str
        The study id.
    data_source : {"synthetic", "real"}
    seed : int
    data_file : Mapping
        ``name``, ``sha256``, ``rows``, ``columns`` of the analysed file (name only, so that
        the results do not depend on where the file lies).
    values : Mapping[str, ResultValue]
        Every quoted number by key (``"cohort.n_total"``, ...).
    tables : Mapping[str, pandas.DataFrame]
        Unrounded tidy tables by name.
    table_html : Mapping[str, str]
        great-tables HTML of each table.
    displayed : Mapping[str, DisplayedTable]
        Each table as displayed (title, headers, text cells, footnotes), read from the same
        great-tables object as its HTML.
    figures : Mapping[str, bytes]
        SVG (or PNG) bytes of each figure.
    texts : Mapping[str, str]
        Generated markdown (limitations list, ...).
    sections : Mapping[str, str]
        ``""`` for every section computed, else why it is not available.
    versions : Mapping[str, str]
        Python and package versions.
    mode : {"replication", "author"}
        Whether the manuscript sets the data beside the published report or is the author's
        own paper.
    compare_published : bool
        In author mode, whether the marked comparison with the published study is included.
    """

    study: str
    data_source: str
    seed: int
    data_file: Mapping[str, Any]
    values: Mapping[str, ResultValue]
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    table_html: Mapping[str, str] = field(repr=False)
    displayed: Mapping[str, DisplayedTable] = field(repr=False)
    figures: Mapping[str, bytes] = field(repr=False)
    texts: Mapping[str, str] = field(repr=False)
    sections: Mapping[str, str] = field(repr=False)
    versions: Mapping[str, str] = field(repr=False)
    mode: str = "replication"
    compare_published: bool = False

    def tidy(self) -> pd.DataFrame:
        """One row per quoted number: ``key, section, value, display, description``."""
        return pd.DataFrame(
            [(v.key, v.section, v.value, v.display, v.description) for v in self.values.values()],
            columns=["key", "section", "value", "display", "description"],
        )


# ----------------------------------------------------------------------------- artifacts


def plain_value(value: Any) -> Any:
    """JSON-ready copy of a value: numpy scalars become Python numbers, NaN stays NaN.

    Examples
    --------
    >>> plain_value({"n": np.int64(3), "ci": (np.float64(0.5), 2.0)})
    {'n': 3, 'ci': [0.5, 2.0]}
    """
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def package_versions() -> dict[str, str]:
    """Python and package versions, for the reproducibility appendix."""
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def figure_suffix(content: bytes) -> str:
    """``".svg"`` for SVG bytes, ``".png"`` otherwise.

    Examples
    --------
    >>> figure_suffix(b"<?xml version='1.0'?><svg/>"), figure_suffix(bytes([137, 80]))
    ('.svg', '.png')
    """
    head = content[:256].lstrip()
    return ".svg" if head.startswith(b"<?xml") or head.startswith(b"<svg") else ".png"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in results.json")


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    temporary.replace(path)


def write_results(
    results: AnalysisResults, out_dir: str | Path, *, force: bool = False
) -> list[Path]:
    """Write the artifacts of :func:`~neok2.report.run.run_analysis` into ``out_dir``, whole.

    Parameters
    ----------
    results : AnalysisResults
    out_dir : str or pathlib.Path
        The results folder. Everything is written to a temporary folder beside it, which
        then replaces it in one step (:func:`neok2._io.atomic_folder`): a failure or a kill
        at any point leaves either the complete earlier folder or the complete new one, and
        nothing of an earlier run survives into the new one.
    force : bool, default False
        Replace ``out_dir`` even when it holds files neok2 did not write; without it such a
        folder is refused, since the whole folder is replaced.

    Returns
    -------
    list of pathlib.Path
        The files written (paths inside ``out_dir``), ``results.json`` last.

    Raises
    ------
    TypeError
        When ``results`` does not come from ``run_analysis``.
    ValueError
        When ``out_dir`` is a file, or holds a file neok2 did not write and ``force`` is false.

    Notes
    -----
    CSV tables hold the unrounded tidy frames (``repr`` precision); HTML tables are
    great-tables output; ``tables/displayed/`` holds each table as displayed, as CSV and as a
    Word table (dates fixed by ``SOURCE_DATE_EPOCH``, default 0); figures are saved without
    dates, so two runs with the same data and seed give byte-identical folders. Each folder
    carries a manifest of the files neok2 wrote (``.neok2-written.json``), by which a later
    run knows it may replace them.

    Examples
    --------
    >>> import tempfile
    >>> from neok2.report.run import run_analysis
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> results = run_analysis(data, load_study("k2_neonates"), seed=1, sections=["cohort"])
    >>> written = write_results(results, tempfile.mkdtemp())
    >>> written[-1].name
    'results.json'
    """
    if not isinstance(results, AnalysisResults):
        raise TypeError(f"`results` must come from run_analysis, got {type(results).__name__}")
    out = Path(out_dir)
    relative: list[str] = []
    with atomic_folder(out, force=force, argument="out_dir") as staging:

        def put(name: str, content: bytes) -> None:
            _write_atomically(staging / name, content)
            relative.append(name)

        for name, frame in sorted(results.tables.items()):
            put(f"tables/{name}.csv", frame.to_csv(index=False, lineterminator="\n").encode())
            put(f"tables/{name}.html", results.table_html[name].encode("utf-8"))
            shown = results.displayed[name]
            put(f"tables/displayed/{name}.csv", shown.csv_text().encode("utf-8"))
            put(f"tables/displayed/{name}.docx", shown.docx_bytes())
        for name, content in sorted(results.figures.items()):
            put(f"figures/{name}{figure_suffix(content)}", content)
        put("results.json", _results_json(results).encode("utf-8"))
        record_written(*(staging / name for name in relative))
    return [out / name for name in relative]


def _results_json(results: AnalysisResults) -> str:
    document = {
        "schema": SCHEMA_VERSION,
        "study": results.study,
        "mode": results.mode,
        "data_source": results.data_source,
        "compare_published": results.compare_published,
        "seed": results.seed,
        "data_file": dict(results.data_file),
        "sections": dict(results.sections),
        "values": {
            key: {
                "value": value.value,
                "display": value.display,
                "description": value.description,
                "section": value.section,
            }
            for key, value in sorted(results.values.items())
        },
        "tables": {
            name: {
                "title": results.displayed[name].title,
                "csv": f"tables/{name}.csv",
                "html": f"tables/{name}.html",
                "displayed_csv": f"tables/displayed/{name}.csv",
                "docx": f"tables/displayed/{name}.docx",
            }
            for name in sorted(results.tables)
        },
        "figures": {
            name: f"figures/{name}{figure_suffix(content)}"
            for name, content in sorted(results.figures.items())
        },
        "texts": dict(sorted(results.texts.items())),
        "versions": dict(results.versions),
    }
    text = json.dumps(document, indent=2, sort_keys=False, allow_nan=True, default=_json_default)
    return text + "\n"


# ----------------------------------------------------------------------------- reading back


@dataclass(frozen=True)
class Results:
    """The artifacts of one analysis, read back for the manuscript.

    Use :meth:`display` for a number as the text quotes it, :meth:`value` for the unrounded
    value, :meth:`table` / :meth:`figure` for displayable objects in a notebook cell.
    """

    folder: Path
    document: Mapping[str, Any] = field(repr=False)

    @property
    def data_source(self) -> str:
        return str(self.document["data_source"])

    @property
    def synthetic(self) -> bool:
        return self.data_source == "synthetic"

    @property
    def mode(self) -> str:
        """``"author"`` or ``"replication"``."""
        return str(self.document["mode"])

    @property
    def author(self) -> bool:
        """Whether this is the author's own paper (no published numbers outside the comparison)."""
        return self.mode == "author"

    @property
    def compare_published(self) -> bool:
        """Whether an author-mode paper includes the marked comparison with the published study."""
        return bool(self.document.get("compare_published", False))

    def available(self, section: str) -> bool:
        """Whether ``section`` was computed."""
        sections = self.document["sections"]
        if section not in sections:
            raise KeyError(f"unknown section {section!r}; known: {', '.join(sections)}")
        return sections[section] == ""

    def reason(self, section: str) -> str:
        """Why ``section`` is not available (``""`` if it is)."""
        return str(self.document["sections"].get(section, f"unknown section {section!r}"))

    def _missing_sections(self) -> str:
        sections = self.document["sections"]
        return "; ".join(f"{name}: {reason}" for name, reason in sections.items() if reason)

    def display(self, key: str) -> str:
        """The display text of a quoted number, escaped for the manuscript's markdown.

        The manuscript inserts what this returns as markdown, and a display text may hold
        spec labels (a list of selected factors, say), so it is escaped with
        :func:`~neok2.report.escape.escape_markdown`: a label reads literally in every output
        format, and a number reads as before. :meth:`plain` gives the text unescaped.
        A key of a section that was not computed reads ``"[not available]"``; any other
        unknown key is an error, so that a typo cannot slip into the text.
        """
        values = self.document["values"]
        if key in values:
            return escape_markdown(str(values[key]["display"]))
        return self._not_available(key)

    def plain(self, key: str) -> str:
        """The display text of a quoted number as stored in results.json (not escaped)."""
        values = self.document["values"]
        if key in values:
            return str(values[key]["display"])
        return self._not_available(key)

    def _not_available(self, key: str) -> str:
        section = key.split(".", 1)[0]
        if self.document["sections"].get(section):
            return "[not available]"
        raise KeyError(f"results.json has no value {key!r}")

    def value(self, key: str) -> Any:
        """The unrounded value of a quoted number."""
        if key not in self.document["values"]:
            raise KeyError(f"results.json has no value {key!r}")
        return self.document["values"][key]["value"]

    def has(self, key: str) -> bool:
        return key in self.document["values"]

    def table_frame(self, name: str) -> pd.DataFrame:
        """The unrounded CSV of a table."""
        return pd.read_csv(self.folder / self.document["tables"][name]["csv"])

    def table(self, name: str) -> Any:
        """An ``IPython.display.HTML`` of a great-tables table (a notice if not computed)."""
        from IPython.display import HTML

        if name not in self.document["tables"]:
            missing = self._missing_sections()
            if not missing:
                raise KeyError(f"results.json has no table {name!r}")
            # the reasons may quote column names: escaped like any text from the data
            notice = html.escape(f"Table not available ({missing})")
            return HTML(f"<table><tr><td>{notice}</td></tr></table>")
        return HTML((self.folder / self.document["tables"][name]["html"]).read_text("utf-8"))

    def figure(self, name: str) -> Any:
        """An ``IPython.display.SVG`` (or ``Image``) of a figure (a notice if not computed)."""
        from IPython.display import SVG, Image

        if name not in self.document["figures"]:
            missing = self._missing_sections()
            if not missing:
                raise KeyError(f"results.json has no figure {name!r}")
            from matplotlib.figure import Figure

            from neok2.report.figures.png import figure_png_bytes

            notice = Figure(figsize=(6, 1))
            notice.text(
                0.5,
                0.5,
                f"Figure not available ({missing})",
                ha="center",
                va="center",
                wrap=True,
                fontsize=8,
                parse_math=False,
            )
            return Image(data=figure_png_bytes(notice))
        path = self.folder / self.document["figures"][name]
        if path.suffix == ".svg":
            return SVG(filename=str(path))
        return Image(filename=str(path))

    def text(self, name: str) -> str:
        """A generated markdown text (e.g. the limitations list).

        The sections that write these texts escape every label and statement in them with
        :func:`~neok2.report.escape.escape_markdown`; only their own markup stays markdown.
        """
        return str(self.document["texts"][name])

    @property
    def data_file_code(self) -> str:
        """The analysed file's name as a markdown code span, safe whatever characters it holds."""
        return code_span(str(self.document["data_file"]["name"]))


def load_results(folder: str | Path) -> Results:
    """Read the artifacts written by :func:`write_results`.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding ``results.json``.

    Returns
    -------
    Results

    Examples
    --------
    >>> import tempfile
    >>> from neok2.report.run import run_analysis
    >>> from neok2.study.spec import load_study
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> folder = tempfile.mkdtemp()
    >>> results = run_analysis(data, load_study("k2_neonates"), seed=1, sections=["cohort"])
    >>> _ = write_results(results, folder)
    >>> load_results(folder).display("cohort.n_cases")
    '2'
    """
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"`folder`: no results.json in {str(folder)!r}; run `neok2 analyze DATA --out "
            f"{folder}` first"
        )
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema {document.get('schema')!r} is not {SCHEMA_VERSION}; re-run the "
            "analysis with this version of neok2"
        )
    return Results(folder=Path(folder), document=document)
