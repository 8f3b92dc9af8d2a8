"""Fast univariable screen over many bootstrap resamples at once.

:func:`~neok2.stats.selection.bootstrap_inclusion` reruns
:func:`~neok2.stats.selection.screen_and_fit` on every resample. Each rerun builds data
frames, solves a linear program per candidate and fits a multivariable model whose numbers
are thrown away: about a third of a second per resample. Here a resample is a vector of row
counts, so the univariable model of one candidate on every resample is one grouped-binomial
batch fit (patterns = distinct values of the candidate, trials and cases = counts drawn);
only the decisions of the screen are kept.

The decisions equal those of ``screen_and_fit`` on the same resampled rows:

* a resample fails (``screen_and_fit`` raises ValueError) exactly when a candidate is
  missing or constant in it, its complete rows hold one outcome group or at most two rows,
  or the design of the multivariable model of the selected candidates is not estimable
  (a constant or aliased column, no more rows than coefficients); the multivariable design
  is checked with the very function :mod:`neok2.stats.logistic` uses;
* with one covariate, the data are separated exactly when the cases' and the controls'
  ranges of the covariate overlap in at most one point, which is what the Konis linear
  program of :func:`neok2.stats.firth.detect_separation` decides; separated fits use Firth's
  likelihood under ``firth="auto"`` as the full procedure does;
* every fit the batch does not settle cleanly (no convergence, an ML fit that diverges
  although the data are not separated, a p-value within a relative 1e-6 of the threshold)
  is redone by :func:`neok2.stats.logistic.logistic_regression` on the resampled rows;
* a candidate that is not one plain numeric column (a factor, text) is fitted on each
  resample by :func:`neok2.stats.logistic.logistic_regression` as the full procedure does, and a
  multivariable model holding one is checked by building its design on the resample.

Documented edge case: a covariate that varies but is numerically constant relative to its
magnitude (``[1, x]`` of numerical rank 1) fails the full procedure and passes here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from neok2.stats.batch import fit_binomial_batch
from neok2.stats.design import _aliased, _is_plain_numeric, design_matrix
from neok2.stats.logistic import FirthOption, _variable_p_value, logistic_regression

__all__ = ["row_counts", "screen_resamples"]

# p-values this close (relative) to the threshold are recomputed by the reference path, so
# that batch-versus-sequential rounding can never flip a decision.
_THRESHOLD_MARGIN = 1e-6


def _batchable(values: pd.Series) -> bool:
    """One plain numeric design column without infinite values."""
    if not _is_plain_numeric(values):
        return False
    return not np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).any()


def row_counts(resamples: np.ndarray, n_rows: int) -> np.ndarray:
    """``R x n`` times each row of the data is drawn in each resample."""
    # one resample at a time: no R x n integer temporaries beside the result
    counts = np.empty((len(resamples), n_rows))
    for replicate, rows in enumerate(resamples):
        counts[replicate] = np.bincount(rows, minlength=n_rows)
    return counts


class _Samples:
    """Resampled data frames, built on first use and shared by every candidate."""

    def __init__(self, data: pd.DataFrame, resamples: np.ndarray) -> None:
        self.data = data
        self.resamples = resamples
        self.frames: dict[int, pd.DataFrame] = {}

    def __getitem__(self, replicate: int | np.integer) -> pd.DataFrame:
        key = int(replicate)
        if key not in self.frames:
            self.frames[key] = self.data.iloc[self.resamples[key]].reset_index(drop=True)
        return self.frames[key]


def screen_resamples(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    resamples: np.ndarray,
    *,
    threshold: float,
    firth: FirthOption,
) -> tuple[np.ndarray, np.ndarray]:
    """Screen decisions of ``screen_and_fit(data.iloc[rows])`` for every row of ``resamples``.

    Parameters
    ----------
    data : pandas.DataFrame
        Validated by the caller: the outcome is binary, the candidates exist.
    outcome : str
    candidates : sequence of str
    resamples : numpy.ndarray
        ``R x n`` integer row positions, one resample per row.
    threshold : float
        A candidate passes when its univariable p-value is below it.
    firth : {"auto", True, False}
        As in :func:`neok2.stats.selection.screen_and_fit`.

    Returns
    -------
    selected : numpy.ndarray
        ``R x J`` booleans: candidate ``j`` passed the screen on resample ``r``.
    failed : numpy.ndarray
        ``R`` booleans: the procedure raises ValueError on the resample.

    Notes
    -----
    Wald p-values from :func:`neok2.stats.batch.fit_binomial_batch` (R ``glm``; Firth as
    ``logistf``); the rules that make the decisions equal to ``screen_and_fit``'s are in
    the module docstring.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0, 1, 0] * 8,
    ...                      "sga": [1, 1, 0, 0, 0, 1, 0, 0] * 8})
    >>> # every row once (OR 3, Wald p = 0.042); rows 0-2 only (all cases: the fit fails)
    >>> rows = np.array([np.arange(64), np.arange(64) % 3])
    >>> selected, failed = screen_resamples(data, "case", ["sga"], rows, threshold=0.1,
    ...                                     firth="auto")
    >>> selected[:, 0].tolist(), failed.tolist()
    ([True, False], [False, True])
    """
    counts = row_counts(resamples, len(data))
    samples = _Samples(data, resamples)
    y = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    selected = np.zeros((len(resamples), len(candidates)), dtype=bool)
    failed = np.zeros(len(resamples), dtype=bool)
    batched = [_batchable(data[name]) for name in candidates]
    # Batched candidates first: a resample they fail needs no per-resample fit at all.
    for j in sorted(range(len(candidates)), key=lambda j: not batched[j]):
        if batched[j]:
            x = data[candidates[j]].to_numpy(dtype=float, na_value=np.nan)
            passed, broken = _screen_candidate(
                samples,
                outcome,
                candidates[j],
                x,
                y,
                counts,
                failed,
                threshold=threshold,
                firth=firth,
            )
        else:
            passed, broken = _screen_each(
                samples, outcome, candidates[j], failed, threshold=threshold, firth=firth
            )
        selected[:, j] = passed
        failed |= broken
    failed |= _multivariable_fails(samples, outcome, candidates, batched, selected, failed)
    selected[failed] = False
    return selected, failed


def _screen_each(
    samples: _Samples,
    outcome: str,
    candidate: str,
    failed: np.ndarray,
    *,
    threshold: float,
    firth: FirthOption,
) -> tuple[np.ndarray, np.ndarray]:
    """``(passed, failed)`` from fitting ``outcome ~ candidate`` on each live resample."""
    passed = np.zeros(len(failed), dtype=bool)
    broken = np.zeros(len(failed), dtype=bool)
    for replicate in np.flatnonzero(~failed):
        p_value = _reference_p_value(samples[replicate], outcome, candidate, firth)
        if p_value is None:
            broken[replicate] = True
        else:
            passed[replicate] = p_value < threshold
    return passed, broken


def _screen_candidate(
    samples: _Samples,
    outcome: str,
    candidate: str,
    x: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    already_failed: np.ndarray,
    *,
    threshold: float,
    firth: FirthOption,
) -> tuple[np.ndarray, np.ndarray]:
    """``(passed, failed)`` over the resamples for ``outcome ~ candidate``, batched.

    Resamples in ``already_failed`` are still fitted by the batch (cheaper than leaving
    them out) but never refitted one by one.
    """
    has_x, has_y = ~np.isnan(x), ~np.isnan(y)
    complete = has_x & has_y
    # a view when no row is incomplete; the counts are whole numbers, so every sum below
    # is exact whatever its order
    drawn = counts if complete.all() else counts[:, complete]
    values, outcomes = x[complete], y[complete]
    n_complete = drawn.sum(axis=1)
    n_cases = drawn @ outcomes
    # Rows sharing a value of the candidate are one binomial cell of the likelihood.
    levels, level_of_row = np.unique(values, return_inverse=True)
    patterns = np.column_stack([np.ones(len(levels)), levels])
    trials = _sum_by_level(drawn, level_of_row, len(levels))
    successes = _sum_by_level(drawn, level_of_row, len(levels), outcomes)
    # the outcome is 0/1 (checked by the caller): successes count the drawn cases per level
    lowest, highest = _drawn_range(levels, trials > 0)
    failed = (
        (counts @ has_x.astype(float) == 0)
        | (counts @ has_y.astype(float) == 0)
        | (n_cases == 0)
        | (n_cases == n_complete)
        | (lowest == highest)
        | (n_complete <= 2)
    )
    case_low, case_high = _drawn_range(levels, successes > 0)
    control_low, control_high = _drawn_range(levels, trials - successes > 0)
    # With one covariate a separating line is a cut point: all cases on one side of it.
    separated = (control_high <= case_low) | (case_high <= control_low)

    p_values = np.full(len(counts), np.nan)
    settled = np.zeros(len(counts), dtype=bool)
    use_firth = np.full(len(counts), firth is True) | (separated & (firth == "auto"))
    for penalised in (False, True):
        fits = np.flatnonzero(~failed & (use_firth == penalised) & (penalised | ~separated))
        if fits.size == 0:
            continue
        result = fit_binomial_batch(patterns, trials[fits], successes[fits], firth=penalised)
        batch_p = result.p_value[:, 1]
        clean = (
            result.converged
            & ~result.rank_deficient
            & np.isfinite(batch_p)
            & (np.abs(batch_p - threshold) > _THRESHOLD_MARGIN * threshold)
        )
        if not penalised:
            clean &= ~result.separated
        p_values[fits[clean]] = batch_p[clean]
        settled[fits[clean]] = True
    # ML on separated data without Firth: not estimable, never selected (as the full path).
    settled |= ~failed & separated & ~use_firth
    for replicate in np.flatnonzero(~failed & ~settled & ~already_failed):
        p_value = _reference_p_value(samples[replicate], outcome, candidate, firth)
        if p_value is None:
            failed[replicate] = True
        else:
            p_values[replicate] = p_value
    with np.errstate(invalid="ignore"):
        passed = p_values < threshold
    return passed & ~failed, failed


def _sum_by_level(
    weights: np.ndarray,
    level_of_row: np.ndarray,
    n_levels: int,
    factor: np.ndarray | None = None,
) -> np.ndarray:
    """``R x K`` sums of ``weights`` (R x m), times ``factor`` (m) if given, by level.

    One resample at a time, so that no R x m temporary is made.
    """
    rows = level_of_row.ravel()
    sums = np.empty((len(weights), n_levels))
    for replicate, row_weights in enumerate(weights):
        scaled = row_weights if factor is None else row_weights * factor
        sums[replicate] = np.bincount(rows, weights=scaled, minlength=n_levels)
    return sums


def _drawn_range(levels: np.ndarray, drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample, the smallest and largest of the sorted ``levels`` drawn (R x K booleans);
    +-inf when none is drawn."""
    any_drawn = drawn.any(axis=1)
    if len(levels) == 0:
        return np.full(len(drawn), np.inf), np.full(len(drawn), -np.inf)
    first = np.argmax(drawn, axis=1)
    last = len(levels) - 1 - np.argmax(drawn[:, ::-1], axis=1)
    low = np.where(any_drawn, levels[first], np.inf)
    high = np.where(any_drawn, levels[last], -np.inf)
    return low, high


def _reference_p_value(
    sample: pd.DataFrame, outcome: str, candidate: str, firth: FirthOption
) -> float | None:
    """The screening p-value ``screen_and_fit`` computes; None when the fit raises."""
    try:
        # Wald, as screen_and_fit's default (logistic_regression's own default would switch
        # to the penalised profile on separated resamples)
        model = logistic_regression(
            sample, outcome=outcome, covariates=[candidate], firth=firth, ci="wald"
        )
    except ValueError:
        return None
    return _variable_p_value(model)


def _multivariable_fails(
    samples: _Samples,
    outcome: str,
    candidates: Sequence[str],
    batched: Sequence[bool],
    selected: np.ndarray,
    failed: np.ndarray,
) -> np.ndarray:
    """Resamples whose multivariable design :mod:`neok2.stats.logistic` would refuse."""
    data, resamples = samples.data, samples.resamples
    result = np.zeros(len(resamples), dtype=bool)
    live = np.flatnonzero(~failed & selected.any(axis=1))
    if live.size == 0:
        return result
    sets, set_of_replicate = np.unique(selected[live], axis=0, return_inverse=True)
    y_all = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    numeric = [name for name, plain in zip(candidates, batched, strict=True) if plain]
    all_values = data[numeric].to_numpy(dtype=float, na_value=np.nan)
    for set_index, chosen in enumerate(sets):
        names = [name for name, keep in zip(candidates, chosen, strict=True) if keep]
        members = live[set_of_replicate.ravel() == set_index]
        if not all(name in numeric for name in names):
            for replicate in members:
                result[replicate] = not _design_builds(samples[replicate], outcome, names)
            continue
        values = all_values[:, [numeric.index(name) for name in names]]
        complete = ~np.isnan(y_all) & ~np.isnan(values).any(axis=1)
        design = np.column_stack([np.ones(len(data)), values])
        for replicate in members:
            rows = resamples[replicate]
            rows = rows[complete[rows]]
            X, y = design[rows], y_all[rows]
            result[replicate] = (
                rows.size == 0
                or np.unique(y).size < 2
                or bool((np.ptp(X[:, 1:], axis=0) == 0).any())
                or bool(_aliased(X))
                or X.shape[0] <= X.shape[1]
            )
    return result


def _design_builds(sample: pd.DataFrame, outcome: str, names: list[str]) -> bool:
    """Whether :mod:`neok2.stats.logistic` accepts the multivariable design on the resample."""
    try:
        design_matrix(sample, None, outcome=outcome, covariates=names)
    except ValueError:
        return False
    return True
