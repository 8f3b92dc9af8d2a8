"""A joint exposure model calibrated to what a case-control paper printed.

Every Table 1 candidate is a margin of a Gaussian copula among controls: a binary candidate
is exposed when its latent normal lies in the upper ``p0`` tail, a continuous one is
``mean + sd * latent`` (median and IQR / 1.349 for candidates summarised by quartiles). The
reported multivariable factors carry the true log odds ratios of Table 3; every other
candidate is null given them. Cases are the control distribution tilted by those odds ratios.

What the paper printed then fixes the latent correlations:

* the correlations among the reported factors (``q (q - 1) / 2`` of them) are solved so
  that their case margins, and so their crude odds ratios (Table 2), come out as printed,
  while their adjusted odds ratios stay the reported ones by construction (the true model
  holds only them, so any model that includes them estimates exactly those ORs);
* each null candidate ``j`` loads on the reported factors' latent risk score ``s``
  (``Z_j = lambda_j s + sqrt(1 - lambda_j^2) e_j``); ``lambda_j`` is solved so that its case
  margin (prevalence or mean) matches Table 1, which gives null candidates such as PROM the
  crude association the paper saw without an adjusted effect.

The population is held as ``2^14`` atoms from a scrambled Sobol sequence with a fixed seed
(the same model every time); control margins are made exact on these atoms (ranks for binary
candidates, standardisation for continuous ones), so the model's control margins are
Table 1's to machine precision, and the solved case margins to the solver tolerance.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from neok2.stats.exposure_model import ExposureModel
from neok2.stats.logistic_many import fit_logistic_many
from neok2.study.spec import Study

__all__ = ["calibrated_model", "model_check", "study_margins"]

_ATOM_POWER = 14
_SOBOL_SEED = 20240615
# Solved correlations and loadings stay inside this bound: a latent correlation of 1 makes
# two candidates identical (a rank-deficient design in every replicate).
_BOUND = 0.97
# IQR of a standard normal: quartile-summarised candidates get sd = IQR / 1.349.
_NORMAL_IQR = 2.0 * float(stats.norm.ppf(0.75))


def study_margins(study: Study) -> pd.DataFrame:
    """Case and control margins of every Table 1 screening candidate.

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        ``variable, kind, control_mean, control_sd, case_mean, case_sd``: a binary candidate
        (``kind = "binary"``) has its prevalences as means; a continuous one its mean and SD,
        or median and IQR / 1.349 when Table 1 gives quartiles. A zero IQR (values piled on
        one score) is given unit spread: the screen's Wald test does not depend on scale.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> margins = study_margins(load_study("k2_neonates"))
    >>> len(margins), int((margins["kind"] == "binary").sum())
    (22, 10)
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study, got {type(study).__name__}")
    table1 = study.table1
    records = []
    for variable in study.candidates:
        rows = table1[table1["variable"] == variable]
        record: dict[str, Any] = {"variable": variable}
        for group in ("control", "case"):
            mine = rows[rows["group"] == group]
            binary = mine[(mine["summary"] == "n_percent") & (mine["level"] == "")]
            mean_sd = mine[mine["summary"] == "mean_sd"]
            quartiles = mine[mine["summary"] == "median_iqr"]
            if len(binary):
                record["kind"] = "binary"
                mean = float(binary["n"].iloc[0]) / float(study.groups[group])
                spread = math.sqrt(mean * (1.0 - mean))
            elif len(mean_sd):
                record["kind"] = "continuous"
                mean, spread = float(mean_sd["mean"].iloc[0]), float(mean_sd["sd"].iloc[0])
            elif len(quartiles):
                record["kind"] = "continuous"
                row = quartiles.iloc[0]
                mean = float(row["median"])
                spread = float(row["q3"] - row["q1"]) / _NORMAL_IQR
            elif (mine["level"] != "").any():
                n_levels = mine.loc[mine["level"] != "", "level"].nunique()
                raise ValueError(
                    f"candidate {variable!r} is a factor of {n_levels} levels; "
                    "the calibrated exposure model takes binary and continuous candidates only"
                )
            else:
                raise ValueError(
                    f"candidate {variable!r} has no {group} summary in Table 1 (counts, mean "
                    "and SD, or median and quartiles); add one to the study file"
                )
            record[f"{group}_mean"] = mean
            record[f"{group}_sd"] = spread if spread > 0 else 1.0
        records.append(record)
    columns = ["variable", "kind", "control_mean", "control_sd", "case_mean", "case_sd"]
    return pd.DataFrame.from_records(records, columns=columns)


class _Population:
    """The atoms of the copula for given latent parameters, with exact control margins."""

    def __init__(self, margins: pd.DataFrame, reported: np.ndarray, beta: np.ndarray) -> None:
        n_candidates = len(margins)
        sobol = stats.qmc.Sobol(
            d=n_candidates, scramble=True, rng=np.random.default_rng(_SOBOL_SEED)
        )
        uniform = np.clip(sobol.random_base2(m=_ATOM_POWER), 1e-12, 1.0 - 1e-12)
        normals = stats.norm.ppf(uniform)
        self.normals = (normals - normals.mean(axis=0)) / normals.std(axis=0)
        self.binary = (margins["kind"] == "binary").to_numpy()
        self.control_mean = margins["control_mean"].to_numpy(dtype=float)
        self.control_sd = margins["control_sd"].to_numpy(dtype=float)
        self.case_mean = margins["case_mean"].to_numpy(dtype=float)
        self.reported, self.beta = reported, beta
        self.nulls = np.setdiff1d(np.arange(n_candidates), reported)
        # The risk score's direction on the latent scale (per-SD effects).
        scale = np.where(self.binary[reported], 1.0, self.control_sd[reported])
        self.direction = beta * scale
        self.n_exposed = np.round(self.control_mean * len(self.normals)).astype(int)

    def exposure(self, column: int, latent: np.ndarray) -> np.ndarray:
        if self.binary[column]:
            exposed = np.zeros(len(latent))
            exposed[np.argsort(-latent, kind="stable")[: self.n_exposed[column]]] = 1.0
            return exposed
        standard = (latent - latent.mean()) / latent.std()
        return self.control_mean[column] + self.control_sd[column] * standard

    def reported_block(self, correlation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exposures of the reported factors and the standardised latent risk score."""
        root = np.linalg.cholesky(correlation)
        latent = self.normals[:, self.reported] @ root.T
        exposures = np.column_stack(
            [self.exposure(column, latent[:, index]) for index, column in enumerate(self.reported)]
        )
        spread = math.sqrt(float(self.direction @ correlation @ self.direction))
        score = latent @ self.direction / spread if spread > 0 else np.zeros(len(latent))
        return exposures, score

    def case_weights(self, exposures: np.ndarray) -> np.ndarray:
        tilt = exposures @ self.beta
        weights = np.exp(tilt - tilt.max())
        return weights / weights.sum()

    def null_column(self, column: int, loading: float, score: np.ndarray) -> np.ndarray:
        latent = loading * score + math.sqrt(1.0 - loading**2) * self.normals[:, column]
        return self.exposure(column, latent)


def _correlation(values: np.ndarray, size: int) -> np.ndarray:
    matrix = np.eye(size)
    matrix[np.triu_indices(size, 1)] = values
    return np.triu(matrix, 1) + np.triu(matrix, 1).T + np.eye(size)


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    # Scaled-up correlations can leave the positive-definite cone; clip the eigenvalues and
    # rescale to a unit diagonal (Higham's first projection).
    values, vectors = np.linalg.eigh(matrix)
    clipped = vectors @ np.diag(np.clip(values, 1e-3, None)) @ vectors.T
    scale = np.sqrt(np.diag(clipped))
    return clipped / np.outer(scale, scale)


def _margin_gap(
    population: _Population, column: int, value: np.ndarray, weights: np.ndarray
) -> float:
    implied, target = float(weights @ value), population.case_mean[column]
    if population.binary[column]:
        implied = min(max(implied, 1e-9), 1 - 1e-9)
        return float(np.log(implied / (1 - implied)) - np.log(target / (1 - target)))
    return (implied - target) / population.control_sd[column]


def calibrated_model(study: Study, *, correlation_scale: float = 1.0) -> ExposureModel:
    """The study as a correlated population of all its Table 1 candidates.

    Parameters
    ----------
    study : Study
        E.g. ``neok2.load_study("k2_neonates")``.
    correlation_scale : float, default 1
        Multiplies every solved latent correlation and loading (0 makes the candidates
        independent, 1.5 strengthens the dependence); the control margins and the true odds
        ratios stay fixed, so the case margins and crude odds ratios move with it. Used by
        the sensitivity analysis.

    Returns
    -------
    ExposureModel
        ``structure = "calibrated"``, 2^14 atoms over every candidate, true odds ratios
        from the reported multivariable model (per unit for continuous factors), 1 for all
        other candidates, and the full latent correlation matrix.

    Notes
    -----
    See the module notes. The reported factors' correlations are found by least squares on
    the logit (binary) or standardised (continuous) gaps of their case margins, each null
    loading by Brent's method on its own gap; a gap that no loading in (-0.97, 0.97) closes
    is left at the nearest bound (:func:`model_check` shows what is reached).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> model = calibrated_model(load_study("k2_neonates"))
    >>> len(model.names), model.structure, int((model.odds_ratios != 1).sum())
    (22, 'calibrated', 3)
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study, got {type(study).__name__}")
    if isinstance(correlation_scale, bool) or not isinstance(correlation_scale, int | float):
        raise TypeError("`correlation_scale` must be a number such as 0, 0.5, 1 or 1.5")
    if not 0.0 <= float(correlation_scale) <= 3.0:
        raise ValueError(f"`correlation_scale` must lie in [0, 3], got {correlation_scale!r}")
    margins = study_margins(study)
    names = list(margins["variable"])
    reported_names = [name for name in study.multivariable["variable"] if name in names]
    if not reported_names:
        raise ValueError("the study reports no multivariable factor among its candidates")
    odds = study.multivariable.set_index("variable")["odds_ratio"]
    key = (
        tuple(tuple(row) for row in margins.itertuples(index=False)),
        tuple(reported_names),
        tuple(float(odds[name]) for name in reported_names),
    )
    population, correlation, loadings = _solve(key)
    return _build(population, names, correlation, loadings, float(correlation_scale), study)


# The solve costs seconds and depends only on the printed numbers, so the sensitivity
# analysis (several correlation scales of one study) solves once.
@functools.lru_cache(maxsize=8)
def _solve(key: tuple[Any, ...]) -> tuple[_Population, np.ndarray, np.ndarray]:
    """Latent correlations of the reported factors and loadings of the null candidates."""
    rows, reported_names, odds_ratios = key
    columns = ["variable", "kind", "control_mean", "control_sd", "case_mean", "case_sd"]
    margins = pd.DataFrame(list(rows), columns=columns)
    names = list(margins["variable"])
    reported = np.array([names.index(name) for name in reported_names])
    beta = np.log(np.array(odds_ratios, dtype=float))
    population = _Population(margins, reported, beta)
    size = len(reported)

    def reported_gaps(values: np.ndarray) -> np.ndarray:
        correlation = _correlation(values, size)
        if np.linalg.eigvalsh(correlation).min() < 1e-6:
            return np.full(size, 10.0)
        exposures, _ = population.reported_block(correlation)
        weights = population.case_weights(exposures)
        return np.array(
            [
                _margin_gap(population, column, exposures[:, index], weights)
                for index, column in enumerate(reported)
            ]
        )

    n_pairs = size * (size - 1) // 2
    if n_pairs:
        # Solved on 1 + correlation: least_squares scales its finite-difference step by |x|,
        # and steps of about 0.01 in correlation stay far above the atoms' granularity.
        solution = optimize.least_squares(
            lambda shifted: reported_gaps(shifted - 1.0),
            np.ones(n_pairs),
            bounds=(1.0 - _BOUND, 1.0 + _BOUND),
            diff_step=0.01,
            xtol=1e-10,
            ftol=1e-12,
        )
        pairs = solution.x - 1.0
    else:
        pairs = np.zeros(0)
    correlation = _correlation(pairs, size)
    exposures, score = population.reported_block(correlation)
    weights = population.case_weights(exposures)
    loadings = np.zeros(len(names))
    for column in population.nulls:

        def gap(loading: float, column: int = column) -> float:
            value = population.null_column(column, loading, score)
            return _margin_gap(population, column, value, weights)

        low, high = gap(-_BOUND), gap(_BOUND)
        if low * high < 0:
            loadings[column] = optimize.brentq(gap, -_BOUND, _BOUND, xtol=1e-6)
        else:
            loadings[column] = -_BOUND if abs(low) < abs(high) else _BOUND
    correlation.setflags(write=False)
    loadings.setflags(write=False)
    return population, correlation, loadings


def _build(
    population: _Population,
    names: list[str],
    correlation: np.ndarray,
    loadings: np.ndarray,
    scale: float,
    study: Study,
) -> ExposureModel:
    reported = population.reported
    scaled = np.eye(len(reported)) + scale * (correlation - np.eye(len(reported)))
    if np.linalg.eigvalsh(scaled).min() < 1e-6:
        scaled = _nearest_correlation(scaled)
    loadings = np.clip(scale * loadings, -0.99, 0.99)
    exposures, score = population.reported_block(scaled)
    support = np.zeros((len(population.normals), len(names)))
    support[:, reported] = exposures
    for column in population.nulls:
        support[:, column] = population.null_column(column, loadings[column], score)
    # Latent correlation matrix implied by the construction (see the module notes).
    direction = population.direction
    spread = math.sqrt(float(direction @ scaled @ direction))
    with_score = scaled @ direction / spread
    latent = np.outer(loadings, loadings)
    latent[np.ix_(reported, reported)] = scaled
    for column in population.nulls:
        latent[column, reported] = latent[reported, column] = loadings[column] * with_score
    np.fill_diagonal(latent, 1.0)
    odds_ratios = np.ones(len(names))
    odds_ratios[reported] = np.exp(population.beta)
    return ExposureModel(
        names=tuple(names),
        support=support,
        control_probabilities=np.full(len(support), 1.0 / len(support)),
        odds_ratios=odds_ratios,
        structure="calibrated",
        latent_correlation=latent,
        source=(
            f"study {study.id}: every Table 1 candidate, Gaussian copula calibrated to "
            f"Tables 1-3 (correlation scale {scale:g})"
        ),
    )


def model_check(model: ExposureModel, study: Study) -> pd.DataFrame:
    """What a model implies beside what the paper printed.

    Parameters
    ----------
    model : ExposureModel
    study : Study

    Returns
    -------
    pandas.DataFrame
        ``variable, quantity, published, implied``, quantities ``control_mean`` and
        ``case_mean`` (Table 1; prevalences for binary candidates) for every candidate of
        the model, ``crude_odds_ratio`` (Table 2, binary factors) and
        ``adjusted_odds_ratio`` (Table 3: the population fit of the reported model, cases
        and controls weighted by the study's group sizes).

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> study = load_study("k2_neonates")
    >>> check = model_check(calibrated_model(study), study)
    >>> row = check.query("variable == 'sga' and quantity == 'crude_odds_ratio'")
    >>> round(float(row["implied"].iloc[0]), 2)
    4.74
    """
    if not isinstance(model, ExposureModel):
        raise TypeError(f"`model` must be an ExposureModel, got {type(model).__name__}")
    margins = {str(row["variable"]): row for row in study_margins(study).to_dict("records")}
    control = model.control_probabilities @ model.support
    case = model.case_probabilities @ model.support
    records = []
    crude = {
        str(name): float(value)
        for name, value in zip(
            study.univariable["variable"], study.univariable["odds_ratio"], strict=True
        )
    }
    for column, name in enumerate(model.names):
        if name not in margins:
            continue
        row = margins[name]
        records.append((name, "control_mean", float(row["control_mean"]), float(control[column])))
        records.append((name, "case_mean", float(row["case_mean"]), float(case[column])))
        if row["kind"] == "binary" and name in crude:
            implied = case[column] / (1 - case[column]) / (control[column] / (1 - control[column]))
            records.append((name, "crude_odds_ratio", float(crude[name]), float(implied)))
    reported = [name for name in study.multivariable["variable"] if name in model.names]
    columns = [model.names.index(name) for name in reported]
    atoms = len(model.support)
    design = np.column_stack([np.ones(2 * atoms), np.vstack([model.support[:, columns]] * 2)])
    outcome = np.concatenate([np.ones(atoms), np.zeros(atoms)])
    weights = np.concatenate(
        [
            study.groups["case"] * model.case_probabilities,
            study.groups["control"] * model.control_probabilities,
        ]
    )
    fit = fit_logistic_many(design, outcome, weights=weights)
    published = dict(
        zip(study.multivariable["variable"], study.multivariable["odds_ratio"], strict=True)
    )
    for index, name in enumerate(reported):
        records.append(
            (
                name,
                "adjusted_odds_ratio",
                float(published[name]),
                float(np.exp(fit.coef[0, index + 1])),
            )
        )
    return pd.DataFrame.from_records(
        records, columns=["variable", "quantity", "published", "implied"]
    )
