"""Data-generating models for case-control exposures: atoms, control and case distributions.

An :class:`ExposureModel` is a discrete joint distribution of the exposures among controls
(``support`` atoms with probabilities) and the true adjusted odds ratios. Under the logistic
model, case-control sampling gives cases the control distribution tilted by the odds ratios,
``P(x | case) ∝ P(x | control) exp(beta' x)``. Models come from prevalences and a Gaussian
copula (:func:`exposure_model`), from a published study (:func:`model_from_study`, with the
joint structure named explicitly: ``"independent"`` or ``"calibrated"``, the latter built by
:mod:`neok2.stats.calibrated_model`) or from a cohort in hand (:func:`model_from_data`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from neok2._validation import column_in, columns_in
from neok2.stats.batch import fit_logistic_batch
from neok2.study.spec import Study

__all__ = [
    "ExposureModel",
    "Structure",
    "exposure_model",
    "model_from_data",
    "model_from_study",
]

Structure = Literal["independent", "calibrated"]

# Correlated binary cells come from multivariate-normal orthant probabilities; beyond this
# many exposures the 2^p cells become too many to enumerate.
_MAX_COPULA_EXPOSURES = 12


@dataclass(frozen=True, eq=False)
class ExposureModel:
    """A data-generating model for case-control exposures.

    Attributes
    ----------
    names : tuple of str
        Exposure names (the candidate variables).
    support : numpy.ndarray
        ``K x p`` exposure patterns (atoms).
    control_probabilities : numpy.ndarray
        ``K`` probabilities of the atoms among controls (sum 1).
    odds_ratios : numpy.ndarray
        ``p`` true (adjusted) odds ratios; 1 marks a null factor.
    source : str
        How the model was built.
    n_dropped : int
        Rows with missing values left out when the model was fitted from data (as R's
        ``na.action`` reports them).
    structure : str
        The joint structure: ``"independent"``, ``"copula"``, ``"calibrated"`` (see
        :mod:`neok2.stats.calibrated_model`), ``"empirical"`` (from data) or ``"custom"``.
    latent_correlation : numpy.ndarray or None
        ``p x p`` latent (copula) correlation matrix, when the model has one.
    """

    names: tuple[str, ...]
    support: np.ndarray
    control_probabilities: np.ndarray
    odds_ratios: np.ndarray
    source: str = ""
    n_dropped: int = 0
    structure: str = "custom"
    latent_correlation: np.ndarray | None = None
    _case_probabilities: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        support = np.asarray(self.support, dtype=float)
        probabilities = np.asarray(self.control_probabilities, dtype=float)
        odds_ratios = np.asarray(self.odds_ratios, dtype=float)
        n_exposures = len(self.names)
        if len(set(self.names)) != n_exposures or n_exposures == 0:
            raise ValueError("`names` must list at least one exposure, each once")
        if support.ndim != 2 or support.shape[1] != n_exposures:
            raise ValueError(f"`support` must be K x {n_exposures}, got shape {support.shape}")
        if probabilities.shape != (support.shape[0],):
            raise ValueError("`control_probabilities` must give one probability per support row")
        if (probabilities < 0).any() or not math.isclose(probabilities.sum(), 1.0, abs_tol=1e-9):
            raise ValueError("`control_probabilities` must be non-negative and sum to 1")
        if odds_ratios.shape != (n_exposures,) or not (odds_ratios > 0).all():
            raise ValueError(f"`odds_ratios` must be {n_exposures} positive numbers")
        if not np.isfinite(support).all() or not np.isfinite(odds_ratios).all():
            raise ValueError("`support` and `odds_ratios` must be finite")
        tilt = np.log(
            probabilities, where=probabilities > 0, out=np.full_like(probabilities, -np.inf)
        )
        tilt = tilt + support @ np.log(odds_ratios)
        tilted = np.exp(tilt - tilt.max())
        for name, value in (
            ("support", support),
            ("control_probabilities", probabilities),
            ("odds_ratios", odds_ratios),
            ("_case_probabilities", tilted / tilted.sum()),
        ):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "names", tuple(str(name) for name in self.names))

    @property
    def case_probabilities(self) -> np.ndarray:
        """``K`` atom probabilities among cases: the control ones tilted by the odds ratios."""
        return self._case_probabilities

    def tidy(self) -> pd.DataFrame:
        """One row per exposure.

        Returns
        -------
        pandas.DataFrame
            ``variable, true_odds_ratio, control_mean, case_mean`` (for a binary exposure the
            means are the prevalences among controls and cases).
        """
        return pd.DataFrame(
            {
                "variable": list(self.names),
                "true_odds_ratio": self.odds_ratios,
                "control_mean": self.control_probabilities @ self.support,
                "case_mean": self.case_probabilities @ self.support,
            }
        )


# ----------------------------------------------------------------------------- constructors


def _correlation_matrix(correlation: float | np.ndarray, n_exposures: int) -> np.ndarray:
    if np.isscalar(correlation):
        value = float(correlation)  # type: ignore[arg-type]
        if not -1.0 / max(n_exposures - 1, 1) <= value < 1.0:
            raise ValueError(
                f"`correlation` {value} gives no valid exchangeable correlation matrix for "
                f"{n_exposures} exposures; use a value in [-1/(p-1), 1)"
            )
        matrix = np.full((n_exposures, n_exposures), value)
        np.fill_diagonal(matrix, 1.0)
        return matrix
    matrix = np.asarray(correlation, dtype=float)
    if matrix.shape != (n_exposures, n_exposures):
        raise ValueError(
            f"`correlation` must be a scalar or a {n_exposures} x {n_exposures} matrix"
        )
    if not np.allclose(matrix, matrix.T) or not np.allclose(np.diag(matrix), 1.0):
        raise ValueError("`correlation` must be symmetric with a unit diagonal")
    if np.linalg.eigvalsh(matrix).min() < -1e-10:
        raise ValueError("`correlation` must be positive semi-definite")
    return matrix


# Correlated cells are estimated from this many scrambled Sobol points (2^18), then raked
# so that every marginal prevalence is exact.
_SOBOL_POWER = 18
_RAKING_ROUNDS = 200


def _copula_cells(prevalence: np.ndarray, correlation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_exposures = len(prevalence)
    cells = ((np.arange(2**n_exposures)[:, None] >> np.arange(n_exposures)) & 1).astype(float)
    if np.allclose(correlation, np.eye(n_exposures)):
        probabilities = np.prod(np.where(cells == 1, prevalence, 1.0 - prevalence), axis=1)
        return cells, probabilities / probabilities.sum()
    # Exposure j is present when its latent normal lies below Phi^-1(p_j). Exact box
    # probabilities (Genz) cost seconds per cell beyond two dimensions, so the 2^p cells are
    # estimated by randomised quasi-Monte Carlo with a fixed seed (reproducible models).
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    sobol = stats.qmc.Sobol(d=n_exposures, scramble=True, rng=np.random.default_rng(20240601))
    uniform = np.clip(sobol.random_base2(m=_SOBOL_POWER), 1e-16, 1.0 - 1e-16)
    latent = stats.norm.ppf(uniform) @ root.T
    present = latent < stats.norm.ppf(prevalence)
    codes = present.astype(np.int64) @ (1 << np.arange(n_exposures))
    probabilities = np.bincount(codes, minlength=2**n_exposures) / len(codes)
    # Iterative proportional fitting keeps the dependence and makes each margin exact.
    for _ in range(_RAKING_ROUNDS):
        for column in range(n_exposures):
            exposed = cells[:, column] == 1
            share = probabilities[exposed].sum()
            if 0.0 < share < 1.0:
                probabilities[exposed] *= prevalence[column] / share
                probabilities[~exposed] *= (1.0 - prevalence[column]) / (1.0 - share)
        if np.allclose(probabilities @ cells, prevalence, rtol=0.0, atol=1e-14):
            break
    return cells, probabilities / probabilities.sum()


def _numbers(mapping: Mapping[str, Any], names: tuple[str, ...], argument: str) -> np.ndarray:
    try:
        return np.array([float(mapping[name]) for name in names])
    except (TypeError, ValueError):
        raise TypeError(
            f"`{argument}` must map exposure names to numbers, got {dict(mapping)!r}"
        ) from None


def exposure_model(
    prevalence: Mapping[str, float],
    odds_ratios: Mapping[str, float] | None = None,
    *,
    correlation: float | np.ndarray = 0.0,
) -> ExposureModel:
    """A model of binary exposures: control prevalences, a Gaussian copula and true ORs.

    Parameters
    ----------
    prevalence : mapping of str to float
        Exposure prevalence among controls, per exposure, in (0, 1).
    odds_ratios : mapping of str to float, optional
        True adjusted odds ratios; exposures left out are null (OR 1).
    correlation : float or array, default 0
        Correlation of the latent normals (tetrachoric correlation): a scalar for an
        exchangeable matrix or a full ``p x p`` matrix in the order of ``prevalence``.

    Returns
    -------
    ExposureModel

    Notes
    -----
    Exposure ``j`` is ``1[Z_j < Phi^-1(p_j)]`` with ``Z ~ N(0, correlation)``. With
    independent exposures the ``2^p`` cell probabilities are exact products; otherwise they
    are multivariate-normal box probabilities estimated from 2^18 scrambled Sobol points
    (fixed seed, so models are reproducible; error about 1e-4) and then raked (iterative
    proportional fitting) so that every prevalence among controls is exact.

    References
    ----------
    Emrich LJ, Piedmonte MR (1991). A method for generating high-dimensional multivariate
    binary variates. The American Statistician 45:302-304.

    Examples
    --------
    >>> model = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0})
    >>> model.tidy().round(4).values.tolist()
    [['steroid', 4.0, 0.1, 0.3077], ['sga', 1.0, 0.05, 0.05]]
    """
    if not isinstance(prevalence, Mapping) or not prevalence:
        raise TypeError("`prevalence` must be a non-empty mapping of exposure name to prevalence")
    names = tuple(prevalence)
    if len(names) > _MAX_COPULA_EXPOSURES:
        raise ValueError(
            f"at most {_MAX_COPULA_EXPOSURES} binary exposures are supported (2^p cells); "
            f"got {len(names)}"
        )
    values = _numbers(prevalence, names, "prevalence")
    if not ((values > 0) & (values < 1)).all():
        raise ValueError("every `prevalence` must lie strictly between 0 and 1")
    odds_ratios = dict(odds_ratios or {})
    unknown = sorted(set(odds_ratios) - set(names))
    if unknown:
        raise ValueError(f"`odds_ratios` names exposures without a prevalence: {unknown}")
    if odds_ratios:
        ratios = _numbers(odds_ratios, tuple(odds_ratios), "odds_ratios")
        bad = [
            name
            for name, ratio in zip(odds_ratios, ratios, strict=True)
            if not (np.isfinite(ratio) and ratio > 0)
        ]
        if bad:
            raise ValueError(f"`odds_ratios` must be positive finite numbers; check {bad}")
    matrix = _correlation_matrix(correlation, len(names))
    cells, probabilities = _copula_cells(values, matrix)
    return ExposureModel(
        names=names,
        support=cells,
        control_probabilities=probabilities,
        odds_ratios=np.array([float(odds_ratios.get(name, 1.0)) for name in names]),
        source="binary exposures, Gaussian copula",
        structure="copula" if np.any(matrix != np.eye(len(names))) else "independent",
        latent_correlation=matrix,
    )


def model_from_study(
    study: Study,
    *,
    structure: Structure = "independent",
    correlation: float | np.ndarray = 0.0,
    correlation_scale: float = 1.0,
) -> ExposureModel:
    """The published study as a data-generating model, with its joint structure named.

    Parameters
    ----------
    study : Study
        E.g. ``neok2.load_study("k2_neonates")``.
    structure : {"independent", "calibrated"}, default "independent"
        ``"independent"``: the binary Table 1 candidates only, each with its control
        prevalence, joined by a Gaussian copula with latent ``correlation`` (0: independent,
        so every crude OR equals its adjusted one). ``"calibrated"``: every Table 1
        candidate, binary and continuous, with latent correlations solved so that Table 1's
        margins and Tables 2 and 3's crude and adjusted ORs are reproduced
        (:func:`neok2.stats.calibrated_model.calibrated_model`).
    correlation : float or array, default 0
        ``"independent"`` only: latent correlation of the binary candidates (see
        :func:`exposure_model`).
    correlation_scale : float, default 1
        ``"calibrated"`` only: multiplies the solved latent correlations (sensitivity).

    Returns
    -------
    ExposureModel
        The multivariable odds ratios the paper reports are the true ones, every other
        candidate is null (OR 1); ``model.structure`` names the structure.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> model = model_from_study(load_study("k2_neonates"))
    >>> len(model.names), int((model.odds_ratios != 1).sum()), model.structure
    (10, 3, 'independent')
    >>> len(model_from_study(load_study("k2_neonates"), structure="calibrated").names)
    22
    """
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a neok2 Study, got {type(study).__name__}")
    if structure not in ("independent", "calibrated"):
        raise ValueError(f"`structure` must be 'independent' or 'calibrated', got {structure!r}")
    if structure == "calibrated":
        if not (np.isscalar(correlation) and float(correlation) == 0.0):  # type: ignore[arg-type]
            raise ValueError(
                "`correlation` applies to structure='independent'; the calibrated structure "
                "solves its correlations (scale them with `correlation_scale`)"
            )
        from neok2.stats.calibrated_model import calibrated_model

        return calibrated_model(study, correlation_scale=correlation_scale)
    if correlation_scale != 1.0:
        raise ValueError("`correlation_scale` applies to structure='calibrated' only")
    table1 = study.table1
    binary = table1[
        (table1["summary"] == "n_percent")
        & (table1["level"] == "")
        & table1["candidate"]
        & (table1["group"] == "control")
    ]
    prevalence = {
        str(variable): float(count) / study.groups["control"]
        for variable, count in zip(binary["variable"], binary["n"], strict=True)
    }
    if not prevalence:
        raise ValueError(
            f"study {study.id!r} has no binary candidate row in Table 1, and the exposure model "
            "draws binary exposures only (categorical, ordinal and continuous terms are not "
            "simulated)"
        )
    reported = dict(
        zip(study.multivariable["variable"], study.multivariable["odds_ratio"], strict=True)
    )
    model = exposure_model(
        prevalence,
        {name: float(value) for name, value in reported.items() if name in prevalence},
        correlation=correlation,
    )
    return ExposureModel(
        names=model.names,
        support=model.support,
        control_probabilities=model.control_probabilities,
        odds_ratios=model.odds_ratios,
        source=f"study {study.id}: Table 1 control prevalences, reported multivariable ORs",
        structure=model.structure,
        latent_correlation=model.latent_correlation,
    )


def model_from_data(
    data: pd.DataFrame,
    outcome: str,
    exposures: Sequence[str],
    *,
    firth: bool = False,
) -> ExposureModel:
    """A model fitted to a dataset: its controls' joint exposure distribution and its ORs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (e.g. the synthetic cohort of ``neok2.synth.generator``).
    outcome : str
        0/1 outcome column (1 = case).
    exposures : sequence of str
        Numeric exposure columns (binary or continuous).
    firth : bool, default False
        Estimate the odds ratios by Firth's penalised likelihood (needed when the data are
        separated).

    Returns
    -------
    ExposureModel
        Atoms are the distinct control exposure rows, with their relative frequencies; the
        true odds ratios are those of the multivariable logistic fit of ``outcome`` on
        ``exposures``. Rows with a missing value in any of these columns are left out and
        counted in ``n_dropped``.

    Notes
    -----
    The empirical control distribution keeps every dependence between the exposures; the
    cases of the simulated studies follow the fitted logistic model exactly (tilted control
    distribution), not the observed cases.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [1, 1, 0, 0, 0, 1, 0, 0], "x": [1, 0, 1, 0, 0, 1, 0, 0]})
    >>> model = model_from_data(frame, "y", ["x"])
    >>> round(float(model.odds_ratios[0]), 4), model.support.ravel().tolist()
    (8.0, [0.0, 1.0])
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(exposures, str) or not exposures:
        raise TypeError("`exposures` must be a non-empty list of column names")
    column_in(data, outcome, "outcome")
    columns_in(data, exposures, "exposures")
    columns = [outcome, *exposures]
    if len(set(exposures)) != len(exposures) or outcome in exposures:
        raise ValueError("`exposures` must be distinct columns other than `outcome`")
    frame = data[columns]
    complete = frame.notna().all(axis=1).to_numpy()
    frame = frame[complete]
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise TypeError("`outcome` and `exposures` must be numeric columns") from None
    y, x = values[:, 0], values[:, 1:]
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"`{outcome}` must be coded 0/1 (1 = case)")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError(f"`{outcome}` needs both cases and controls among the complete rows")
    design = np.column_stack([np.ones(len(y)), x])
    fit = fit_logistic_batch(design, y, firth=firth)
    if fit.rank_deficient[0]:
        raise ValueError("the exposures are linearly dependent; drop a redundant column")
    if not np.isfinite(fit.coef).all():
        raise ValueError(
            "the logistic fit of the data is separated (an odds ratio is infinite); use firth=True"
        )
    support, counts = np.unique(x[y == 0], axis=0, return_counts=True)
    return ExposureModel(
        names=tuple(exposures),
        support=support,
        control_probabilities=counts / counts.sum(),
        odds_ratios=np.exp(fit.coef[0, 1:]),
        source=f"fitted to data ({len(y)} complete rows, {int((y == 0).sum())} controls)",
        n_dropped=int((~complete).sum()),
    )
