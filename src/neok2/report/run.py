"""The analysis run behind the manuscript: order the sections, check their inputs, run them.

:func:`run_analysis` takes a validated dataset and its :class:`~neok2.study.spec.Study`, runs
every section of :data:`~neok2.report.sections.REGISTRY` (cohort description, baseline
table, univariable and multivariable logistic regression, the published-beside-rebuilt
fidelity report, the audit, power, the pipeline simulation and the sensitivity analyses) and
returns an :class:`~neok2.report.results.AnalysisResults`;
:func:`~neok2.report.results.write_results` stores it as artifacts.

:func:`run_sections` is the engine: it orders sections by what they declare they need,
refuses unknown requirements and cycles, and records a section that cannot run (a library
module not installed, a required section missing) as skipped with a one-sentence reason
instead of failing the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any

import pandas as pd

from neok2._validation import int_like, seed_like
from neok2.report.results import (
    AnalysisResults,
    DataSource,
    Mode,
    ResultValue,
    package_versions,
)
from neok2.report.section import (
    Exports,
    Section,
    SectionInputs,
    SectionOutput,
    SectionUnavailable,
    TableArtifact,
    import_requirement,
)
from neok2.report.sections import REGISTRY, SECTIONS
from neok2.report.sections._common import model_data
from neok2.study.spec import Study

__all__ = [
    "COMPARISON_SECTIONS",
    "SECTIONS",
    "SectionRun",
    "order_sections",
    "run_analysis",
    "run_sections",
]

NOT_REQUESTED = "not requested"
EXPOSURE_STRUCTURES: tuple[str, ...] = ("calibrated", "independent")
"""Joint exposure models the replication-mode simulations can use."""
COMPARISON_SECTIONS: tuple[str, ...] = ("published", "fidelity", "audit")
"""Sections that quote or check the published report; in author mode they run only on request."""
NO_COMPARISON = "author mode without the comparison with the published study (--compare-published)"


def order_sections(sections: Sequence[Section]) -> tuple[Section, ...]:
    """The sections in an order where each comes after every section it reads.

    Ties keep the given order, so sections already listed after their inputs run as listed.

    Raises
    ------
    ValueError
        Two sections share a name, a section reads a section that is not listed, or the
        requirements form a cycle.

    Examples
    --------
    >>> def nothing(inputs):
    ...     return SectionOutput("x")
    >>> ordered = order_sections([Section("b", nothing, requires=("a",)), Section("a", nothing)])
    >>> [section.name for section in ordered]
    ['a', 'b']
    >>> order_sections([Section("a", nothing, requires=("b",)), Section("b", nothing, uses=("a",))])
    Traceback (most recent call last):
    ...
    ValueError: `sections`: the requirements form a cycle: a -> b -> a
    """
    by_name: dict[str, Section] = {}
    for section in sections:
        if not isinstance(section, Section):
            raise TypeError(f"`sections` must hold Section specs, got {type(section).__name__}")
        if section.name in by_name:
            raise ValueError(f"`sections`: two sections are named {section.name!r}")
        by_name[section.name] = section
    for section in sections:
        unknown = [name for name in section.depends_on if name not in by_name]
        if unknown:
            raise ValueError(
                f"`sections`: section {section.name!r} needs unknown section(s) "
                f"{', '.join(unknown)}; known: {', '.join(by_name)}"
            )
    ordered: list[Section] = []
    state: dict[str, str] = {}  # "visiting" while on the path, "done" once placed

    def visit(section: Section, path: list[str]) -> None:
        if state.get(section.name) == "done":
            return
        if state.get(section.name) == "visiting":
            cycle = [*path[path.index(section.name) :], section.name]
            raise ValueError(f"`sections`: the requirements form a cycle: {' -> '.join(cycle)}")
        state[section.name] = "visiting"
        for name in section.depends_on:
            visit(by_name[name], [*path, section.name])
        state[section.name] = "done"
        ordered.append(section)

    for section in sections:
        visit(section, [])
    return tuple(ordered)


@dataclass(frozen=True)
class SectionRun:
    """The outcome of one section: its output, or why it was skipped (``reason``)."""

    name: str
    output: SectionOutput | None
    reason: str

    @property
    def computed(self) -> bool:
        return self.output is not None


def _skip_reason(section: Section, runs: Mapping[str, SectionRun]) -> str:
    for name in section.requires:
        if runs[name].computed:
            continue
        if section.unavailable_reason:
            return section.unavailable_reason
        why = runs[name].reason
        if why == NOT_REQUESTED:
            return f"it needs the {name} section, which was not requested"
        return f"it needs the {name} section, which is not available ({why})"
    return ""


def run_sections(
    sections: Sequence[Section],
    inputs: SectionInputs,
    *,
    wanted: Sequence[str] | None = None,
) -> dict[str, SectionRun]:
    """Run sections in dependency order; each gets only its declared inputs.

    Parameters
    ----------
    sections : sequence of Section
        The section specs (see :func:`order_sections` for the checks made first).
    inputs : SectionInputs
        The run's data and settings; ``upstream`` and ``modules`` are filled per section.
    wanted : sequence of str, optional
        Run only these; the others are recorded as ``"not requested"``.

    Returns
    -------
    dict of str to SectionRun
        One entry per section, in the order given.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> def rows(inputs):
    ...     out = SectionOutput("rows")
    ...     out.export("n", len(inputs.data))
    ...     return out
    >>> def doubled(inputs):
    ...     out = SectionOutput("doubled")
    ...     n = 2 * inputs.upstream["rows"]["n"]
    ...     out.add("n", n, str(n), "twice the rows")
    ...     return out
    >>> specs = [Section("doubled", doubled, requires=("rows",)), Section("rows", rows)]
    >>> inputs = SectionInputs(pd.DataFrame({"x": [1, 2]}), load_study("k2_neonates"), 1,
    ...                        "real", 1, 1, {})
    >>> runs = run_sections(specs, inputs)
    >>> runs["doubled"].output.values["doubled.n"].value
    4
    >>> run_sections(specs, inputs, wanted=["doubled"])["doubled"].reason
    'it needs the rows section, which was not requested'
    """
    ordered = order_sections(sections)
    chosen = {section.name for section in ordered} if wanted is None else set(wanted)
    runs: dict[str, SectionRun] = {}
    exports: dict[str, Exports] = {}
    for section in ordered:
        if section.name not in chosen:
            runs[section.name] = SectionRun(section.name, None, NOT_REQUESTED)
            continue
        try:
            modules: dict[str, ModuleType] = {
                module: import_requirement(module, names)
                for module, names in section.modules.items()
            }
            reason = _skip_reason(section, runs)
            if reason:
                raise SectionUnavailable(reason)
            own = SectionInputs(
                # pandas copy-on-write: every section shares the run's columns, and a section
                # that changes a column gets its own copy of that column only
                data=inputs.data.copy(deep=False),
                study=inputs.study,
                seed=inputs.seed,
                data_source=inputs.data_source,
                bootstrap_replicates=inputs.bootstrap_replicates,
                simulation_replicates=inputs.simulation_replicates,
                labels=inputs.labels,
                mode=inputs.mode,
                compare_published=inputs.compare_published,
                exposure_structure=inputs.exposure_structure,
                upstream=MappingProxyType(
                    {name: exports[name] for name in section.depends_on if name in exports}
                ),
                modules=MappingProxyType(modules),
            )
            output = section.compute(own)
            del own  # nothing of a section's inputs outlives it
        except SectionUnavailable as why:
            runs[section.name] = SectionRun(section.name, None, str(why))
            continue
        if not isinstance(output, SectionOutput) or output.name != section.name:
            raise TypeError(
                f"section {section.name!r} must return SectionOutput({section.name!r}), "
                f"got {output!r}"
            )
        exports[section.name] = Exports(section.name, output.exports)
        runs[section.name] = SectionRun(section.name, output, "")
    return {section.name: runs[section.name] for section in sections}


def _check_arguments(
    data: Any,
    study: Any,
    seed: Any,
    data_source: Any,
    mode: Any,
    compare_published: Any,
    replicates: Mapping[str, Any],
    sections: Sequence[str] | None,
    exposure_structure: Any = "calibrated",
) -> tuple[str, ...]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a neok2 Study (load_study(...)), got {type(study).__name__}"
        )
    seed = seed_like(seed)
    if data_source not in ("synthetic", "real"):
        raise ValueError(f"`data_source` must be 'synthetic' or 'real', got {data_source!r}")
    if mode not in ("author", "replication"):
        raise ValueError(f"`mode` must be 'author' or 'replication', got {mode!r}")
    if not isinstance(compare_published, bool):
        raise TypeError(f"`compare_published` must be True or False, got {compare_published!r}")
    if compare_published and mode != "author":
        raise ValueError(
            "`compare_published` applies to mode='author' only (a replication always compares "
            "with the published report)"
        )
    for name, count in replicates.items():
        int_like(count, name, minimum=1)
    if exposure_structure not in EXPOSURE_STRUCTURES:
        raise ValueError(
            f"`exposure_structure` must be one of {EXPOSURE_STRUCTURES}, got {exposure_structure!r}"
        )
    wanted = SECTIONS if sections is None else tuple(sections)
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown or isinstance(sections, str):
        raise ValueError(
            f"`sections`: unknown section(s) {unknown or [sections]}; choose from {SECTIONS}"
        )
    if study.outcome not in data.columns:
        raise ValueError(
            f"`data` has no outcome column {study.outcome!r}; the study's data dictionary "
            "names the columns (neok2 validate DATA lists what is missing)"
        )
    return wanted


def run_analysis(
    data: pd.DataFrame,
    study: Study,
    *,
    seed: int,
    data_source: DataSource = "synthetic",
    mode: Mode = "replication",
    compare_published: bool = False,
    data_name: str = "",
    data_sha256: str = "",
    bootstrap_replicates: int = 100,
    simulation_replicates: int = 2500,
    sections: Sequence[str] | None = None,
    exposure_structure: str = "calibrated",
) -> AnalysisResults:
    """Compute every number, table and figure the manuscript quotes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per neonate, columns as in the study's data dictionary (validate it first
        with :func:`neok2.study.dictionary.validate_data`).
    study : Study
        The published study (``load_study("k2_neonates")``).
    seed : int
        Seeds every random step (figure jitter, bootstrap, simulation).
    data_source : {"synthetic", "real"}, default "synthetic"
        Whether ``data`` is the calibrated synthetic cohort or real records; the manuscript
        shows its synthetic-data banner only for ``"synthetic"``.
    mode : {"replication", "author"}, default "replication"
        ``"replication"`` sets the data beside the published report. ``"author"`` is the
        author's own paper: power, events per variable, the simulation and the limitations
        use the data's counts and fitted models, and the sections quoting the published
        report (:data:`COMPARISON_SECTIONS`) run only with ``compare_published``.
    compare_published : bool, default False
        In author mode, also compute the comparison with the published study.
    data_name, data_sha256 : str, optional
        File name and SHA-256 of the data file, recorded for the reproducibility appendix.
    bootstrap_replicates : int, default 100
        Bootstrap resamples of the variable selection; on large data fewer are used
        (:func:`neok2.report.sections.bootstrap.resample_count`, stated in the results).
    simulation_replicates : int, default 2500
        Simulated studies of the design in the pipeline simulation (the power table and the
        screening-threshold table); the curves and the correlation sensitivity use a fifth
        of them per point (see :mod:`neok2.report.sections.simulation`).
    exposure_structure : {"calibrated", "independent"}, default "calibrated"
        Joint exposure model of the replication-mode simulations
        (:func:`neok2.stats.exposure_model.model_from_study`); author mode simulates from the
        analysed data instead.
    sections : sequence of str, optional
        Compute only these of :data:`SECTIONS` (the others are recorded as not requested).
        A section that requires another one's results (forest and sensitivity need the
        multivariable model) is skipped without it.

    Returns
    -------
    AnalysisResults
        ``values`` (key -> :class:`~neok2.report.results.ResultValue`), ``tables``,
        ``table_html``, ``figures``, ``texts``, ``sections`` (``""`` or why a section is
        missing), ``versions``; ``.tidy()`` lists the values with columns ``key, section,
        value, display, description``.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame or ``study`` not a Study.
    ValueError
        Bad ``seed``, ``data_source``, ``mode`` or replicate counts, or the outcome column
        missing.

    Notes
    -----
    The sections follow the published analysis (Table 1, univariable screen at
    ``study.screening_threshold``, multivariable model) and add what it lacks. This is the
    step R users write as a targets/drake pipeline around finalfit, gtsummary and epiR.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> data = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
    >>> results = run_analysis(data, study, seed=1, sections=["cohort", "measurement_figure"])
    >>> results.values["cohort.prevalence_percent"].display
    '50'
    """
    wanted = _check_arguments(
        data,
        study,
        seed,
        data_source,
        mode,
        compare_published,
        {
            "bootstrap_replicates": bootstrap_replicates,
            "simulation_replicates": simulation_replicates,
        },
        sections,
        exposure_structure,
    )
    inputs = SectionInputs(
        # categorical variables as their printed levels, so that models give one OR per level
        data=model_data(study, data),
        study=study,
        seed=int(seed),
        data_source=data_source,
        bootstrap_replicates=bootstrap_replicates,
        simulation_replicates=simulation_replicates,
        labels=MappingProxyType(study.display_labels()),
        mode=mode,
        compare_published=compare_published,
        exposure_structure=exposure_structure,
    )
    withheld: set[str] = set()
    if mode == "author" and not compare_published:
        withheld = {name for name in COMPARISON_SECTIONS if name in wanted}
        wanted = tuple(name for name in wanted if name not in withheld)
    runs = run_sections(REGISTRY, inputs, wanted=wanted)
    for name in withheld:
        runs[name] = SectionRun(name, None, NO_COMPARISON)
    values: dict[str, ResultValue] = {}
    tables: dict[str, TableArtifact] = {}
    figures: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    for run in runs.values():
        if run.output is None:
            continue
        values.update(run.output.values)
        tables.update(run.output.tables)
        figures.update(run.output.figures)
        texts.update(run.output.texts)
    return AnalysisResults(
        study=study.id,
        data_source=data_source,
        seed=int(seed),
        data_file={
            "name": data_name,
            "sha256": data_sha256,
            "rows": len(data),
            "columns": len(data.columns),
        },
        values=values,
        tables={name: table.frame for name, table in tables.items()},
        table_html={name: table.html for name, table in tables.items()},
        displayed={name: table.displayed for name, table in tables.items()},
        figures=figures,
        texts=texts,
        sections={name: run.reason for name, run in runs.items()},
        versions=package_versions(),
        mode=mode,
        compare_published=compare_published,
    )
