"""A synthetic cohort rebuilt from a study's published summaries alone.

:func:`synthesize_cohort` reads a :class:`~neok2.study.spec.Study` and generates one record per
subject whose Table 1 reproduces the published one: every count exactly, every mean, SD,
median and quartile to its printed precision, the bins of binned variables exactly. On top
of the margins it calibrates the joint distribution of the multivariable model's binary
exposures (a margin-preserving swap search) so that refitting the published model gives the
published adjusted odds ratios and leaves the entered terms the text does not call
independent (``multivariable.not_significant``) with adjusted p >= alpha, chooses each
continuous variable's group means inside their printed precision so that the univariable
screen agrees with the published p-values, keeps definitions consistent (derived columns,
the outcome's range, SGA against the INTERGROWTH-21st 10th centile) and writes values at the
precision a hospital record carries.

Where the published numbers contradict each other, Table 1 wins and the result's
``compromises`` table says which constraint gave way, by how much and what was done instead.
One reading of Table 1 is itself decided from the paper: a spread printed after ``±`` is
generated as a standard error of the mean (SD = spread x sqrt(n)) when only that reading lets
the printed t-test p-value be reached (``neok2.synth.implied.spread_reading`` states the
rule); the compromises table then holds the p-values under both readings and the SDs used.

The step order is: preconditions, binary Table 1 variables (exact counts per group), joint
calibration, continuous variables (bins, thresholds and ranges as boxes; moments fitted inside
them; then the record grid), the growth rule's weight column (conditional on gestational age
and sex, matched to its bins by rank), derived columns, record identifiers and dates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from neok2._frozen import frozen_fields
from neok2._io import atomic_write_csv, refuse_overwrite_input
from neok2._validation import seed_like
from neok2.stats.growth import birthweight_centile
from neok2.study.spec import Study
from neok2.synth._calibration import calibrate_terms
from neok2.synth._compromises import (
    COMPROMISE_COLUMNS,
    CompromiseLog,
    log_screen,
    log_spec_contradictions,
    log_spread_reading,
)
from neok2.synth._continuous import (
    GROUPS,
    FloatArray,
    allocate_claims,
    mean_sd_group,
    mean_targets,
    median_iqr_variable,
    value_segments,
)
from neok2.synth._growth import growth_weights
from neok2.synth._levels import levelled_columns
from neok2.synth.rules import (
    GrowthRule,
    check_generation_preconditions,
    growth_rule,
    threshold_columns,
)

__all__ = [
    "COMPROMISE_COLUMNS",
    "SynthesisResult",
    "cohort_paths",
    "synthesize",
    "synthesize_cohort",
    "write_cohort",
]


@frozen_fields("data", "compromises")
@dataclass(frozen=True)
class SynthesisResult:
    """A generated cohort and the constraints it could not meet.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per subject, columns in data-dictionary order.
    compromises : pandas.DataFrame
        ``variable, group, constraint, published, achieved, gap, action``: every published
        number the generator could not honour and what it did instead.
    study_id : str
    seed : int
    """

    data: pd.DataFrame = field(repr=False)
    compromises: pd.DataFrame = field(repr=False)
    study_id: str
    seed: int

    def tidy(self) -> pd.DataFrame:
        """The compromises table (one row per constraint that gave way)."""
        return self.compromises.copy()


# ----------------------------------------------------------------------------- driver


def _binary_columns(rng: np.random.Generator, study: Study) -> dict[str, dict[str, FloatArray]]:
    binaries: dict[str, dict[str, FloatArray]] = {}
    rows = study.table1[(study.table1["level"] == "") & (study.table1["summary"] == "n_percent")]
    for variable in dict.fromkeys(rows["variable"]):
        binaries[variable] = {}
        for group in GROUPS:
            n, ones = study.groups[group], int(study.cell(variable, group)["n"])
            column = np.zeros(n)
            column[rng.choice(n, size=ones, replace=False)] = 1.0
            binaries[variable][group] = column
    return binaries


def _continuous_variable(
    rng: np.random.Generator,
    study: Study,
    variable: str,
    growth: GrowthRule | None,
    claims: dict[str, dict[str, tuple[float, int]]],
    log: CompromiseLog,
) -> dict[str, FloatArray]:
    """One mean (SD) or median (IQR) variable's values per group, in random order."""
    spec = study.column(variable)
    summary = str(study.cell(variable, "case")["summary"])
    if summary == "median_iqr":
        values = median_iqr_variable(rng, study, spec, growth, log)
        for group in GROUPS:
            if variable in claims[group]:
                threshold, count = claims[group][variable]
                log.add(
                    variable,
                    group,
                    f"text claim: {count} below {threshold:g}",
                    count,
                    math.nan,
                    "not imposed on a median (IQR) variable",
                )
        return values
    targets = mean_targets(study, variable)
    values = {}
    for group in GROUPS:
        segments = value_segments(study, spec, group, growth, claims[group], log)
        drawn = mean_sd_group(rng, study, spec, group, targets[group], segments, log)
        values[group] = rng.permutation(drawn)
    return values


def _records(study: Study, seed: int, n: int) -> tuple[list[str], list[date]]:
    fake = Faker()
    fake.seed_instance(seed)
    window = study.design.get("window") or {"start": "2000-01-01", "end": "2000-12-31"}
    start, end = date.fromisoformat(window["start"]), date.fromisoformat(window["end"])
    ids = [str(fake.unique.random_number(digits=8, fix_len=True)) for _ in range(n)]
    dates = [fake.date_between_dates(date_start=start, date_end=end) for _ in range(n)]
    return ids, dates


def synthesize_cohort(study: Study, *, seed: int) -> SynthesisResult:
    """Generate a synthetic cohort from a study's published summaries.

    Parameters
    ----------
    study : Study
        A validated spec (:func:`neok2.load_study`).
    seed : int, keyword-only
        Seed of the one ``numpy.random.Generator`` and of Faker; the same seed gives
        byte-identical output.

    Returns
    -------
    SynthesisResult
        ``data`` (one row per subject, data-dictionary columns in order, outcome 1 = case)
        and ``compromises`` (``variable, group, constraint, published, achieved, gap,
        action``).

    Raises
    ------
    ValueError
        Before anything is generated, when the spec cannot drive the generator: a printed
        percentage that matches neither rounding nor truncation of its count (unless the row
        carries a ``note``), min above max, a summary outside the dictionary range, an
        adjusted OR for a variable outside the model, a required column nothing describes.

    Notes
    -----
    Binary margins are exact. Continuous values sit at the quantiles of a normal truncated
    to each value's box (bin, definition range, dictionary range) whose two parameters are
    solved so the mean and SD hit their targets; the values are then rounded to the record
    grid and nudged one step at a time until the printed mean and SD are reproduced. Median
    and IQR rows pin the order statistics every quantile definition reads (R types 1-9,
    SPSS). The multivariable model's exposures are calibrated by swaps within groups that
    keep every count; entered terms listed as ``not_significant`` are aimed at an adjusted
    Wald p between ``2 * alpha`` and 0.5 (same sign as their crude association) by making
    them co-occur with the other exposures, so their crude odds ratios, fixed by the margins,
    stay. A ``mean_sd`` row whose printed p no SD inside the printed rounding
    can give, but whose spreads read as standard errors of the mean can (Student or Welch
    t-test, as the audit's ``sd_or_sem`` check computes), is generated with
    ``SD = spread x sqrt(n)``; when neither reading gives the printed p, the SEM reading is
    still taken if only it keeps p on the printed side of alpha (and of the screening
    threshold), else the printed SDs are kept; each case is recorded in ``compromises``.
    The role model is R's ``synthpop::syn()``, which draws from fitted
    conditional models of real microdata; here only published margins exist.

    References
    ----------
    Nowok B, Raab GM, Dibben C. synthpop: Bespoke creation of synthetic data in R.
    J Stat Softw 2016;74(11).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> result = synthesize_cohort(load_study("k2_neonates"), seed=1)
    >>> result.data.shape
    (200, 28)
    >>> int(result.data.query("deficiency == 1")["caesarean"].sum())
    50
    """
    seed = seed_like(seed)
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a Study (see neok2.load_study), got {type(study).__name__}"
        )
    check_generation_preconditions(study)
    seed = int(seed)
    rng = np.random.default_rng(seed)
    log = CompromiseLog()
    log_spec_contradictions(study, log)
    growth = growth_rule(study)
    claims = allocate_claims(study, growth)

    binaries = _binary_columns(rng, study)
    levelled = levelled_columns(rng, study)
    main = study.table1[study.table1["level"] == ""]
    numeric = [
        v for v in dict.fromkeys(main["variable"]) if v not in binaries and v not in levelled
    ]
    terms = set(study.multivariable_terms)
    continuous: dict[str, dict[str, FloatArray]] = {}
    # numeric model terms are drawn first: the calibration only permutes their values
    for variable in (v for v in numeric if v in terms):
        continuous[variable] = _continuous_variable(rng, study, variable, growth, claims, log)
    columns: dict[str, dict[str, Any]] = {**binaries, **levelled, **continuous}
    calibrate_terms(rng, study, columns, log)
    for store in (binaries, levelled, continuous):
        for variable in store:
            store[variable] = columns[variable]
    for variable in numeric:
        if variable in terms or (growth is not None and variable == growth.weight):
            continue
        continuous[variable] = _continuous_variable(rng, study, variable, growth, claims, log)

    if growth is not None and growth.weight in numeric:
        targets = mean_targets(study, growth.weight)
        continuous[growth.weight] = {}
        for group in GROUPS:
            sex = binaries[growth.sex][group]
            weights, ages = growth_weights(
                rng,
                study,
                growth,
                group,
                continuous[growth.gestational_age][group],
                sex,
                binaries[growth.column][group],
                targets[group],
                log,
            )
            continuous[growth.weight][group] = weights
            continuous[growth.gestational_age][group] = ages

    for variable in continuous:
        log_spread_reading(study, variable, continuous[variable], log)

    frame = pd.DataFrame(
        {
            name: np.r_[values["case"], values["control"]]
            for name, values in {**binaries, **levelled, **continuous}.items()
        }
    )
    frame[study.outcome] = np.r_[np.ones(study.groups["case"]), np.zeros(study.groups["control"])]
    for rule in threshold_columns(study):
        frame[rule.column] = (frame[rule.variable] < rule.below).astype(float)
    if growth is not None and growth.column not in frame:
        cutoff = birthweight_centile(frame[growth.gestational_age], frame[growth.sex], centile=10)
        frame[growth.column] = (frame[growth.weight] < cutoff).astype(float)
    log_screen(study, frame, log)

    ids, dates = _records(study, seed, len(frame))
    for column in study.columns:
        if column.type == "id":
            frame[column.name] = ids
        elif column.type == "date":
            frame[column.name] = [day.isoformat() for day in dates]
        elif column.name not in frame:
            frame[column.name] = np.nan
            log.add(
                column.name,
                "all",
                "optional column",
                math.nan,
                math.nan,
                "left missing: nothing in the spec describes it",
            )
        elif column.type in ("binary", "integer"):
            frame[column.name] = frame[column.name].round().astype("int64")
    order = sorted(range(len(frame)), key=lambda i: (dates[i], ids[i]))
    data = frame.iloc[order].reset_index(drop=True)[[column.name for column in study.columns]]
    return SynthesisResult(data=data, compromises=log.frame(), study_id=study.id, seed=seed)


def synthesize(study: Study, *, seed: int) -> pd.DataFrame:
    """The synthetic cohort's records only; see :func:`synthesize_cohort`.

    Parameters
    ----------
    study : Study
    seed : int, keyword-only

    Returns
    -------
    pandas.DataFrame
        One row per subject, data-dictionary columns in order.

    Notes
    -----
    ``synthesize_cohort(study, seed=seed).data``.

    References
    ----------
    Nowok B, Raab GM, Dibben C. J Stat Softw 2016;74(11).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> data = synthesize(load_study("k2_neonates"), seed=7)
    >>> int(data["deficiency"].sum()), int((data["k2_ng_ml"] < 0.05).sum())
    (66, 24)
    """
    return synthesize_cohort(study, seed=seed).data


def cohort_paths(
    out: str | Path, *, fidelity: bool = True, protect: tuple[str | Path, ...] = ()
) -> tuple[Path, ...]:
    """The files :func:`write_cohort` writes for ``out``, checked before any work is done.

    Returns ``(out, <stem>_compromises.csv[, <stem>_fidelity.csv])``.

    Raises
    ------
    ValueError
        When ``out`` is not a .csv path or a target is one of the ``protect`` inputs.
    IsADirectoryError
        When a target is a folder.

    Examples
    --------
    >>> [p.name for p in cohort_paths("synthetic/k2.csv")]
    ['k2.csv', 'k2_compromises.csv', 'k2_fidelity.csv']
    """
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise ValueError(f"`out` must name a .csv file, got {str(out)!r}")
    targets = [path, path.with_name(f"{path.stem}_compromises.csv")]
    if fidelity:
        targets.append(path.with_name(f"{path.stem}_fidelity.csv"))
    for target in targets:
        refuse_overwrite_input(target, *protect)
        if target.is_dir():
            raise IsADirectoryError(f"`out`: {str(target)!r} is a directory")
    return tuple(targets)


def write_cohort(
    result: SynthesisResult,
    out: str | Path,
    *,
    fidelity: pd.DataFrame | None = None,
    protect: tuple[str | Path, ...] = (),
) -> tuple[Path, ...]:
    """Write the cohort CSV and, next to it, ``<stem>_compromises.csv`` (and the fidelity
    report as ``<stem>_fidelity.csv`` when given), each atomically.

    Parameters
    ----------
    result : SynthesisResult
    out : str or pathlib.Path
        The cohort CSV's path; its folder is created when missing.
    fidelity : pandas.DataFrame, optional, keyword-only
        The ``.tidy()`` of a :func:`neok2.synth.fidelity.fidelity_report`, written alongside.
    protect : tuple of paths, keyword-only
        Input files that must never be overwritten (the study spec).

    Returns
    -------
    tuple of pathlib.Path
        The files written.

    Notes
    -----
    Each file is written to a temporary file in the same folder, then renamed over the
    target, so a reader never sees half a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> result = SynthesisResult(data=pd.DataFrame({"id": ["A1"], "case": [1]}),
    ...                          compromises=pd.DataFrame(columns=COMPROMISE_COLUMNS),
    ...                          study_id="demo", seed=3)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_cohort(result, folder / "k2.csv")]
    ['k2.csv', 'k2_compromises.csv']
    """
    if not isinstance(result, SynthesisResult):
        raise TypeError(f"`result` must be a SynthesisResult, got {type(result).__name__}")
    targets = cohort_paths(out, fidelity=fidelity is not None, protect=protect)
    atomic_write_csv(result.data, targets[0])
    atomic_write_csv(result.compromises, targets[1])
    if fidelity is not None:
        atomic_write_csv(fidelity, targets[2])
    return tuple(targets)
