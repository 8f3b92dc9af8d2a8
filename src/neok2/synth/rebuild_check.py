"""How close is a rebuild from tables? Synthetic cohorts set against the real records.

A synthetic cohort (:func:`neok2.synth.generator.synthesize_cohort`) is built from a paper's
printed tables alone. When the study's real records exist, :func:`rebuild_check` measures,
for each synthetic cohort (one per seed), what the tables did and did not carry over:

* **Table 1 cells reproduced**: each printed case or control cell (``n (%)``, ``mean±SD``,
  ``median (Q1, Q3)``, one per level of a categorical row and per bin) recomputed on the
  cohort by the analysis's own Table 1 (:func:`neok2.stats.baseline.baseline_table` on
  :func:`neok2.study.factors.table1_layout`) and compared with the printed text at its
  printed precision (:func:`neok2.formatting.matches_printed`; counts exactly). A cell is
  reproduced when every number in it is.
* **Adjusted odds ratios**: the spec's multivariable model (``multivariable.terms_entered``,
  factors as their printed levels, as the manuscript's analysis fits it; the real records'
  screened-in terms when the spec lists none) fitted on the cohort and on the real records;
  per term ``|log(OR_synthetic / OR_real)|`` and its maximum over terms.
* **Screen and stepwise agreement**: which candidates pass the univariable screen at the
  spec's threshold (:func:`neok2.stats.selection.screen_and_fit`), and which survive
  backward elimination by AIC (:func:`neok2.stats.selection.stepwise`, R's ``step()``), on
  each data set; agreement is the share of candidates classified alike.
* **What margins cannot recover**: the distance between the correlation matrices of the Table 1
  variables on the cohort and on the real records, beside the same distance for a yardstick,
  the real records with each column permuted independently within cases and within controls
  (:func:`permute_within_groups`: every group margin kept, every association within a group
  destroyed).

The correlation matrix is Pearson's, over the rows complete in every Table 1 variable, cases
and controls pooled (the outcome itself left out). A numeric Table 1 variable (binary,
integer, continuous) enters as it is; an ordinal row as the position of its level in printed
order (0, 1, ...); a categorical (nominal) row as 0/1 indicators of its non-reference levels
(``race[Black]``, ``race[Other]``). A column without spread has no correlation; it is taken as
0 with every other column (and the ``note`` says so). Over the ``P = k (k - 1) / 2`` pairs of
distinct columns, with ``d_ij = r_ij(cohort) - r_ij(real)``:

``correlation_max_difference = max |d_ij|`` and
``correlation_rms_difference = sqrt(sum_{i<j} d_ij^2 / P) = ||R_cohort - R_real||_F / sqrt(2P)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neok2._frozen import frozen_fields
from neok2._validation import seed_like
from neok2.formatting import format_number, matches_printed, parse_cell
from neok2.stats.baseline import baseline_table
from neok2.stats.logistic import logistic_regression
from neok2.stats.selection import screen_and_fit, stepwise
from neok2.study.factors import factor_variables, levels_of, model_data, table1_layout
from neok2.study.spec import Study
from neok2.synth.generator import synthesize_cohort

if TYPE_CHECKING:
    from great_tables import GT

__all__ = [
    "REBUILD_COLUMNS",
    "RebuildCheck",
    "SynthesisRefused",
    "correlation_design",
    "correlation_distance",
    "permute_within_groups",
    "rebuild_check",
    "summarise_rebuild_checks",
    "table1_cells",
]

REBUILD_COLUMNS: tuple[str, ...] = (
    "study",
    "seed",
    "cells_reproduced",
    "cells_total",
    "cells_share",
    "max_abs_log_or_ratio",
    "screen_agreement",
    "selection_agreement",
    "correlation_max_difference",
    "correlation_rms_difference",
    "permuted_max_difference",
    "permuted_rms_difference",
    "note",
)
"""Columns of :meth:`RebuildCheck.tidy`, one row per synthetic cohort."""

_MEASURES = REBUILD_COLUMNS[2:-1]
_CELL_KINDS = ("n_percent", "mean_sd", "median_iqr")
_CELL_STATISTICS = {
    "n_percent": ("n", "percent"),
    "mean_sd": ("mean", "sd"),
    "median_iqr": ("median", "q1", "q3"),
}


class SynthesisRefused(ValueError):  # noqa: N818 (a refusal with its reason)
    """The synthesizer cannot rebuild the study from its tables; the message says why."""


# ----------------------------------------------------------------------------- result


@frozen_fields("per_seed", "cells", "terms", "selections")
@dataclass(frozen=True, eq=False)
class RebuildCheck:
    """Synthetic cohorts beside the real records (see :func:`rebuild_check`).

    Attributes
    ----------
    study_id : str
    seeds : tuple of int
        One per synthetic cohort, in the order given.
    per_seed : pandas.DataFrame
        One row per cohort, columns :data:`REBUILD_COLUMNS` (read it through :meth:`tidy`).
    cells : pandas.DataFrame
        ``seed, variable, level, group, printed, rebuilt, reproduced``: every printed Table 1
        cell, with ``seed`` -1 for the real records.
    terms : pandas.DataFrame
        ``seed, term, odds_ratio_real, odds_ratio_synthetic, abs_log_ratio``.
    selections : pandas.DataFrame
        ``seed, procedure, variable, real, synthetic, agree`` (``procedure`` "screen" or
        "stepwise"; ``real``/``synthetic`` whether the candidate is selected).
    terms_fitted : tuple of str
        The model's variables.
    real_cells_reproduced, cells_total : int
        Printed cells the real records reproduce, of all printed cells.
    """

    study_id: str
    seeds: tuple[int, ...]
    per_seed: pd.DataFrame = field(repr=False)
    cells: pd.DataFrame = field(repr=False)
    terms: pd.DataFrame = field(repr=False)
    selections: pd.DataFrame = field(repr=False)
    terms_fitted: tuple[str, ...]
    real_cells_reproduced: int
    cells_total: int

    def tidy(self) -> pd.DataFrame:
        """One row per synthetic cohort, columns :data:`REBUILD_COLUMNS` (a copy)."""
        return self.per_seed[list(REBUILD_COLUMNS)].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row: the means over cohorts (see :func:`summarise_rebuild_checks`)."""
        return summarise_rebuild_checks(self.tidy())

    def to_gt(self, *, table_id: str = "neok2-rebuild-check") -> GT:
        """The per-cohort measures as a great-tables table."""
        from great_tables import GT

        shown = self.tidy().drop(columns=["study"])
        return (
            GT(shown, id=table_id)
            .tab_header(
                title=f"Rebuild from tables against the real records ({self.study_id})",
                subtitle=(
                    f"Real records reproduce {self.real_cells_reproduced}/{self.cells_total} "
                    "printed Table 1 cells"
                ),
            )
            .fmt_number(columns=[c for c in _MEASURES if c.startswith(("max", "corr", "perm"))])
            .fmt_number(columns=["cells_share", "screen_agreement", "selection_agreement"])
            .sub_missing(missing_text="–")
        )

    def _repr_html_(self) -> str:
        return str(self.to_gt().as_raw_html())


def summarise_rebuild_checks(per_seed: pd.DataFrame) -> pd.DataFrame:
    """One row per study: each measure averaged over that study's synthetic cohorts.

    Parameters
    ----------
    per_seed : pandas.DataFrame
        Rows of :meth:`RebuildCheck.tidy` (several studies may be stacked).

    Returns
    -------
    pandas.DataFrame
        ``study, n_seeds`` and the mean of every measure of :data:`REBUILD_COLUMNS`
        (``cells_reproduced`` and ``cells_total`` too, so the share of the means can be read).

    Examples
    --------
    >>> rows = pd.DataFrame({c: [1.0, 3.0] for c in REBUILD_COLUMNS})
    >>> rows["study"], rows["seed"], rows["note"] = "demo", [1, 2], ""
    >>> summarise_rebuild_checks(rows)[["study", "n_seeds", "cells_share"]]
      study  n_seeds  cells_share
    0  demo        2          2.0
    """
    if not isinstance(per_seed, pd.DataFrame):
        raise TypeError(f"`per_seed` must be a DataFrame, got {type(per_seed).__name__}")
    missing = [c for c in REBUILD_COLUMNS if c not in per_seed.columns]
    if missing:
        raise ValueError(f"`per_seed` lacks columns {missing}; pass RebuildCheck.tidy() rows")
    grouped = per_seed.groupby("study", sort=False)
    means = grouped[list(_MEASURES)].mean().reset_index()
    means.insert(1, "n_seeds", grouped.size().to_numpy())
    return means


# ----------------------------------------------------------------------------- Table 1


def _cell_text(kind: str, values: Sequence[float], decimals: Sequence[int]) -> str:
    shown = [
        format_number(v, d) if math.isfinite(v) else "NA"
        for v, d in zip(values, decimals, strict=True)
    ]
    if kind == "n_percent":
        return f"{shown[0]} ({shown[1]})"
    if kind == "mean_sd":
        return f"{shown[0]}±{shown[1]}"
    return f"{shown[0]} ({shown[1]}, {shown[2]})"


def table1_cells(study: Study, data: pd.DataFrame) -> pd.DataFrame:
    """Every printed case or control Table 1 cell beside the same cell computed on ``data``.

    Returns
    -------
    pandas.DataFrame
        ``variable, level, group, printed, rebuilt, reproduced``; ``rebuilt`` is shown at
        the printed precision, and a cell whose column is missing from ``data`` is not
        reproduced.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("birthwt")
    >>> cells = table1_cells(study, pd.read_csv(study.microdata))
    >>> int(cells["reproduced"].sum()), len(cells)
    (28, 28)
    """
    layout = table1_layout(study, data)
    table = baseline_table(
        layout.frame,
        study.outcome,
        variables=list(layout.variables),
        summary=dict(layout.summary),
        tests="none",
        group_order=[1, 0],
        group_labels={1: "case", 0: "control"},
    ).tidy()
    computed = {
        (str(row["variable"]), str(row["level"]), str(row["group"])): row
        for row in table.to_dict("records")
    }
    records = []
    for row in study.table1.to_dict("records"):
        kind, printed = str(row["summary"]), str(row["printed"])
        if kind not in _CELL_KINDS or not printed or row["group"] not in ("case", "control"):
            continue
        variable, level, group = str(row["variable"]), str(row["level"]), str(row["group"])
        column = f"{variable}_band" if level and not str(row["value"]) else variable
        parsed = parse_cell(printed, kind)
        found = computed.get((column, level, group))
        names = _CELL_STATISTICS[kind]
        values = [math.nan if found is None else float(found[name]) for name in names]
        matched = [
            math.isfinite(value)
            and (
                value == target
                if name == "n"
                else matches_printed(value, format_number(target, digits))
            )
            for name, value, target, digits in zip(
                names, values, parsed.values, parsed.decimals, strict=True
            )
        ]
        records.append(
            {
                "variable": variable,
                "level": level,
                "group": group,
                "printed": printed,
                "rebuilt": _cell_text(kind, values, parsed.decimals),
                "reproduced": all(matched),
            }
        )
    return pd.DataFrame(
        records, columns=["variable", "level", "group", "printed", "rebuilt", "reproduced"]
    )


# ----------------------------------------------------------------------------- correlations


def correlation_design(study: Study, data: pd.DataFrame) -> pd.DataFrame:
    """The Table 1 variables of ``data`` as numbers, coded for the correlation matrix.

    Numeric variables as they are; an ordinal row as its level's position in printed order;
    a categorical (nominal) row as 0/1 indicators of its non-reference levels, named
    ``variable[level]``. The outcome and Table 1 variables missing from ``data`` are left out.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> frame = pd.DataFrame({"race": [1, 2, 3], "ptl": [0, 2, 1], "age": [20, 30, 25]})
    >>> correlation_design(load_study("birthwt"), frame)
       age  race[Black]  race[Other]  ptl
    0   20            0            0  0.0
    1   30            1            0  2.0
    2   25            0            1  1.0
    """
    table1 = study.table1
    heads = table1[table1["level"] == ""].drop_duplicates("variable")
    nominal = set(factor_variables(study)) & set(
        heads.loc[heads["summary"] == "categorical", "variable"]
    )
    laid_out = table1_layout(study, data).frame
    columns: dict[str, pd.Series] = {}
    for variable, kind in zip(heads["variable"], heads["summary"], strict=True):
        if variable == study.outcome or variable not in data.columns:
            continue
        if kind in ("categorical", "ordinal"):
            levelled = laid_out[variable]
            if variable in nominal:
                levels, _ = levels_of(study, variable)
                for level in levels[1:]:
                    columns[f"{variable}[{level}]"] = (
                        (levelled == level).astype(int).where(levelled.notna())
                    )
            else:
                codes = levelled.cat.codes.astype(float)
                columns[variable] = codes.where(codes >= 0)
        else:
            columns[variable] = pd.to_numeric(data[variable], errors="coerce")
    return pd.DataFrame(columns, index=data.index)


def _correlation_matrix(design: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    values = design.dropna().to_numpy(dtype=float)
    flat = [
        str(c) for c, spread in zip(design.columns, values.std(axis=0), strict=True) if spread == 0
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.corrcoef(values, rowvar=False)
    return np.nan_to_num(np.atleast_2d(matrix), nan=0.0), flat


def correlation_distance(
    study: Study, synthetic: pd.DataFrame, real: pd.DataFrame
) -> tuple[float, float, str]:
    """``(max |d|, RMS of d, note)`` over the pairs of Table 1 columns (see the module).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("birthwt")
    >>> real = pd.read_csv(study.microdata)
    >>> correlation_distance(study, real, real)
    (0.0, 0.0, '')
    """
    first, flat_first = _correlation_matrix(correlation_design(study, synthetic))
    second, flat_second = _correlation_matrix(correlation_design(study, real))
    if first.shape != second.shape or first.shape[0] < 2:
        raise ValueError(
            "`synthetic` and `real` must hold the same two or more Table 1 variables; "
            "check that both follow the study's data dictionary"
        )
    upper = np.triu_indices(first.shape[0], k=1)
    difference = (first - second)[upper]
    flat = sorted(set(flat_first) | set(flat_second))
    note = f"no spread in {', '.join(flat)}: taken as uncorrelated" if flat else ""
    return float(np.abs(difference).max()), float(np.sqrt(np.mean(difference**2))), note


def permute_within_groups(
    data: pd.DataFrame, outcome: str, columns: Sequence[str], *, seed: int
) -> pd.DataFrame:
    """A copy of ``data`` with each of ``columns`` shuffled independently within each group.

    Every group's margin of every column is kept; associations between columns within a group
    are destroyed (those that run through the outcome remain). One
    ``numpy.random.default_rng(seed)`` draws the permutations, column by column in the order
    given, cases first.

    Examples
    --------
    >>> frame = pd.DataFrame({"case": [1, 1, 0, 0], "x": [1, 2, 3, 4]})
    >>> shuffled = permute_within_groups(frame, "case", ["x"], seed=1)
    >>> sorted(shuffled.loc[shuffled["case"] == 1, "x"])
    [1, 2]
    """
    seed = seed_like(seed)
    if outcome not in data.columns:
        raise ValueError(f"`outcome`: {outcome!r} is not a column of `data`")
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise ValueError(f"`columns`: {absent} are not columns of `data`")
    rng = np.random.default_rng(seed)
    shuffled = data.copy()
    for column in columns:
        values = data[column].to_numpy(copy=True)
        for value in (1, 0):
            rows = np.flatnonzero((data[outcome] == value).to_numpy())
            values[rows] = values[rng.permutation(rows)]
        shuffled[column] = values
    return shuffled


# ----------------------------------------------------------------------------- models


def _odds_ratios(study: Study, data: pd.DataFrame, terms: Sequence[str]) -> pd.Series:
    fitted = logistic_regression(
        model_data(study, data), outcome=study.outcome, covariates=list(terms), ci="wald"
    ).tidy(intercept=False)
    # spec names (race[Black]), as the manuscript's tables show them
    names = [str(term).replace("[T.", "[", 1) for term in fitted["term"]]
    return pd.Series(fitted["odds_ratio"].to_numpy(dtype=float), index=names)


def _selected(study: Study, data: pd.DataFrame, procedure: str) -> tuple[str, ...] | None:
    frame = model_data(study, data)
    candidates = [c for c in study.candidates if c in frame.columns]
    if procedure == "screen":
        screened = screen_and_fit(
            frame, study.outcome, candidates, threshold=study.screening_threshold, ci="wald"
        )
        return tuple(screened.selected)
    try:
        return tuple(stepwise(frame, study.outcome, candidates).selected)
    except ValueError:  # the full model is not estimable: there is no stepwise choice
        return None


def _agreement(
    study: Study, real: tuple[str, ...] | None, synthetic: tuple[str, ...] | None
) -> tuple[float, list[dict[str, Any]]]:
    rows = []
    for variable in study.candidates:
        in_real = None if real is None else variable in real
        in_synthetic = None if synthetic is None else variable in synthetic
        agree = None if in_real is None or in_synthetic is None else in_real == in_synthetic
        rows.append(
            {"variable": variable, "real": in_real, "synthetic": in_synthetic, "agree": agree}
        )
    judged = [bool(row["agree"]) for row in rows if row["agree"] is not None]
    share = sum(judged) / len(judged) if judged and len(judged) == len(rows) else math.nan
    return share, rows


# ----------------------------------------------------------------------------- the check


def _check_frame(frame: Any, name: str, study: Study) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(frame).__name__}")
    if study.outcome not in frame.columns:
        raise ValueError(
            f"`{name}` has no outcome column {study.outcome!r}; give records in the study's "
            "data dictionary (neok2 validate DATA lists what is missing)"
        )
    return frame


def _cohorts(
    study: Study, seeds: Sequence[int] | None, cohorts: Mapping[int, pd.DataFrame] | None
) -> dict[int, pd.DataFrame]:
    if (seeds is None) == (cohorts is None):
        raise ValueError(
            "give exactly one of `seeds` (cohorts are synthesized) and `cohorts` "
            "(seed -> synthetic DataFrame)"
        )
    if cohorts is not None:
        if not isinstance(cohorts, Mapping) or not cohorts:
            raise TypeError("`cohorts` must be a non-empty mapping of seed -> DataFrame")
        return {
            seed_like(key, "cohorts key"): _check_frame(frame, f"cohorts[{key!r}]", study)
            for key, frame in cohorts.items()
        }
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise TypeError("`seeds` must be a non-empty sequence of integers, e.g. [1, 2, 3]")
    checked = [seed_like(seed, "seeds") for seed in seeds]
    if len(set(checked)) != len(checked):
        raise ValueError(f"`seeds` must not repeat a seed, got {checked}")
    built = {}
    for seed in checked:
        try:
            built[seed] = synthesize_cohort(study, seed=seed).data
        except ValueError as error:
            raise SynthesisRefused(
                f"the synthesizer cannot rebuild study {study.id!r} from its tables: {error}"
            ) from error
    return built


def rebuild_check(
    study: Study,
    real: pd.DataFrame,
    *,
    seeds: Sequence[int] | None = None,
    cohorts: Mapping[int, pd.DataFrame] | None = None,
) -> RebuildCheck:
    """Compare synthetic cohorts rebuilt from a study's tables with its real records.

    Parameters
    ----------
    study : Study
        The study whose printed tables drive the synthesizer.
    real : pandas.DataFrame
        The real records, one row per subject in the data dictionary's columns (codes
        applied: :func:`neok2.study.dictionary.apply_codes`).
    seeds : sequence of int, optional
        Build one cohort per seed with :func:`neok2.synth.generator.synthesize_cohort`.
    cohorts : mapping of int to pandas.DataFrame, optional
        Or give the cohorts, keyed by seed (any stand-in: the real records themselves, a
        permuted copy). Exactly one of ``seeds`` and ``cohorts``.

    Returns
    -------
    RebuildCheck
        ``.tidy()`` one row per cohort (:data:`REBUILD_COLUMNS`), ``.summary()`` the means,
        ``.cells``, ``.terms`` and ``.selections`` the detail. The permuted yardstick of a
        cohort uses its seed.

    Raises
    ------
    SynthesisRefused
        (a ``ValueError``) when the synthesizer cannot rebuild the study; the message says
        which rows it cannot yet build.
    TypeError, ValueError
        Bad ``study``, ``real``, ``seeds`` or ``cohorts``.

    Notes
    -----
    The measures are defined in the module docstring. There is no R function for the whole;
    the correlation yardstick follows the idea of a permutation null (margins fixed,
    association broken) used in synthpop's utility measures.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("birthwt")
    >>> real = pd.read_csv(study.microdata)
    >>> check = rebuild_check(study, real, cohorts={7: real})
    >>> row = check.tidy().iloc[0]
    >>> int(row["cells_reproduced"]), int(row["cells_total"]), float(row["max_abs_log_or_ratio"])
    (28, 28, 0.0)
    >>> float(row["screen_agreement"]), float(row["selection_agreement"])
    (1.0, 1.0)
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study (load_study(...)), got {study!r}")
    real = _check_frame(real, "real", study)
    built = _cohorts(study, seeds, cohorts)
    real_cells = table1_cells(study, real)
    terms = tuple(study.multivariable_terms) or _selected(study, real, "screen") or ()
    if not terms:
        raise ValueError(
            "`study` lists no multivariable.terms_entered and no candidate passes the screen on "
            "the real records: there is no model to compare"
        )
    real_or = _odds_ratios(study, real, terms)
    real_selected = {p: _selected(study, real, p) for p in ("screen", "stepwise")}
    described = [
        v
        for v in dict.fromkeys(study.table1["variable"])
        if v in real.columns and v != study.outcome
    ]
    rows, cells, term_rows, selection_rows = [], [real_cells.assign(seed=-1)], [], []
    for seed, synthetic in built.items():
        synthetic_cells = table1_cells(study, synthetic)
        cells.append(synthetic_cells.assign(seed=seed))
        synthetic_or = _odds_ratios(study, synthetic, terms).reindex(real_or.index)
        ratios = np.abs(np.log(synthetic_or.to_numpy() / real_or.to_numpy()))
        term_rows += [
            {
                "seed": seed,
                "term": term,
                "odds_ratio_real": float(real_or[term]),
                "odds_ratio_synthetic": float(synthetic_or[term]),
                "abs_log_ratio": float(ratio),
            }
            for term, ratio in zip(real_or.index, ratios, strict=True)
        ]
        agreements = {}
        for procedure, chosen in real_selected.items():
            share, detail = _agreement(study, chosen, _selected(study, synthetic, procedure))
            agreements[procedure] = share
            selection_rows += [{"seed": seed, "procedure": procedure, **row} for row in detail]
        max_d, rms_d, note = correlation_distance(study, synthetic, real)
        permuted = permute_within_groups(real, study.outcome, described, seed=seed)
        perm_max, perm_rms, _ = correlation_distance(study, permuted, real)
        reproduced = int(synthetic_cells["reproduced"].sum())
        rows.append(
            {
                "study": study.id,
                "seed": seed,
                "cells_reproduced": reproduced,
                "cells_total": len(synthetic_cells),
                "cells_share": reproduced / len(synthetic_cells) if len(synthetic_cells) else 0.0,
                "max_abs_log_or_ratio": float(np.max(ratios)),
                "screen_agreement": agreements["screen"],
                "selection_agreement": agreements["stepwise"],
                "correlation_max_difference": max_d,
                "correlation_rms_difference": rms_d,
                "permuted_max_difference": perm_max,
                "permuted_rms_difference": perm_rms,
                "note": note,
            }
        )
    return RebuildCheck(
        study_id=study.id,
        seeds=tuple(built),
        per_seed=pd.DataFrame(rows, columns=list(REBUILD_COLUMNS)),
        cells=pd.concat(cells, ignore_index=True)[
            ["seed", "variable", "level", "group", "printed", "rebuilt", "reproduced"]
        ],
        terms=pd.DataFrame(
            term_rows,
            columns=["seed", "term", "odds_ratio_real", "odds_ratio_synthetic", "abs_log_ratio"],
        ),
        selections=pd.DataFrame(
            selection_rows,
            columns=["seed", "procedure", "variable", "real", "synthetic", "agree"],
        ),
        terms_fitted=terms,
        real_cells_reproduced=int(real_cells["reproduced"].sum()),
        cells_total=len(real_cells),
    )
