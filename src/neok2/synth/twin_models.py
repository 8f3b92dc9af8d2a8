"""The per-variable models of the synthetic twin: CART donors and parametric draws.

Each variable of the twin is drawn from a model of the real records fitted on the variables
visited before it (:mod:`neok2.synth.twin`). Two families, as in R's synthpop:

* **CART** (synthpop ``syn.cart``): a classification or regression tree with at least
  ``min_leaf`` real records per leaf; each synthetic record is dropped down the tree and
  receives the value of a real record drawn at random from its leaf (a *donor*). Values are
  therefore always values the real data holds; a larger ``min_leaf`` mixes more records per
  leaf, which protects privacy at some cost in fidelity.
* **Parametric** (synthpop ``logreg``/``polyreg``/``norm``): a logistic model (binary) or a
  multinomial logistic model (more than two classes) whose fitted probabilities are sampled,
  or a normal linear model ``X b + e``, ``e ~ N(0, s^2)``, whose draws are kept only inside
  the allowed range (redrawn up to :data:`MAX_REDRAWS` times, then replaced by a donor value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MAX_REDRAWS", "draw_classes", "draw_numeric", "encode_predictor"]

Method = Literal["cart", "parametric"]
FloatArray = npt.NDArray[np.float64]
Accept = Callable[[FloatArray], npt.NDArray[np.bool_]]

MAX_REDRAWS = 100
# Below every observed value, so that a tree can put missing predictor values on one side.
_MISSING_OFFSET = 1.0


def encode_predictor(
    real: pd.Series, twin: pd.Series, *, categorical: bool
) -> tuple[FloatArray, FloatArray]:
    """Numeric design columns of one visited variable, for the real and the twin records.

    A numeric variable gives its value (missing values put below the observed minimum) plus a
    missing-value indicator when the real records have missing values; a categorical
    variable gives one 0/1 column per real level (missing values as a level of their own).

    Examples
    --------
    >>> real = pd.Series([1.0, None, 3.0]); twin = pd.Series([3.0, 1.0, None])
    >>> a, b = encode_predictor(real, twin, categorical=False)
    >>> a.tolist(), b.tolist()
    ([[1.0, 0.0], [0.0, 1.0], [3.0, 0.0]], [[3.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    """
    if categorical:
        levels = sorted({_level_key(v) for v in real}, key=str)
        real_keys = np.array([_level_key(v) for v in real], dtype=object)
        twin_keys = np.array([_level_key(v) for v in twin], dtype=object)
        real_block = np.column_stack([(real_keys == level) for level in levels]).astype(float)
        twin_block = np.column_stack([(twin_keys == level) for level in levels]).astype(float)
        return real_block, twin_block
    real_values = pd.to_numeric(real, errors="raise").to_numpy(dtype=float)
    twin_values = pd.to_numeric(twin, errors="raise").to_numpy(dtype=float)
    real_missing = np.isnan(real_values)
    if real_missing.all():
        return np.zeros((len(real_values), 0)), np.zeros((len(twin_values), 0))
    fill = float(np.nanmin(real_values)) - _MISSING_OFFSET
    columns_real = [np.where(real_missing, fill, real_values)]
    columns_twin = [np.where(np.isnan(twin_values), fill, twin_values)]
    if real_missing.any():
        columns_real.append(real_missing.astype(float))
        columns_twin.append(np.isnan(twin_values).astype(float))
    return np.column_stack(columns_real), np.column_stack(columns_twin)


def _level_key(value: object) -> object:
    return "<missing>" if pd.isna(value) else value  # type: ignore[call-overload]


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _leaf_donors(
    rng: np.random.Generator,
    leaves_real: npt.NDArray[np.int64],
    leaves_twin: npt.NDArray[np.int64],
    donors: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """For each twin record, the position of a real record drawn from its leaf."""
    chosen = np.empty(len(leaves_twin), dtype=np.int64)
    for leaf in np.unique(leaves_twin):
        targets = np.flatnonzero(leaves_twin == leaf)
        pool = donors[leaves_real == leaf]
        chosen[targets] = rng.choice(pool, size=len(targets), replace=True)
    return chosen


def _standardise(X_real: FloatArray, X_twin: FloatArray) -> tuple[FloatArray, FloatArray]:
    centre = X_real.mean(axis=0) if len(X_real) else np.zeros(X_real.shape[1])
    scale = X_real.std(axis=0) if len(X_real) else np.ones(X_real.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    return (X_real - centre) / scale, (X_twin - centre) / scale


def draw_classes(
    rng: np.random.Generator,
    y_real: npt.NDArray[np.object_],
    X_real: FloatArray,
    X_twin: FloatArray,
    *,
    method: Method,
    min_leaf: int,
) -> npt.NDArray[np.object_]:
    """Draw a binary or categorical variable for the twin records.

    Parameters
    ----------
    rng : numpy.random.Generator
    y_real : numpy.ndarray
        The variable on the real records (no missing values).
    X_real, X_twin : numpy.ndarray
        Encoded predictors of the real and twin records (same columns).
    method : {"cart", "parametric"}
    min_leaf : int
        Minimum real records per leaf (CART).

    Returns
    -------
    numpy.ndarray of object
        One value per twin record, always one of the values of ``y_real``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = np.array([0, 0, 1, 1], dtype=object); X = np.array([[0.0], [0.0], [1.0], [1.0]])
    >>> draw_classes(rng, y, X, X, method="cart", min_leaf=2).tolist()
    [0, 0, 1, 1]
    """
    n_twin = len(X_twin)
    classes = sorted(set(y_real.tolist()), key=str)
    if len(classes) == 1:
        return np.full(n_twin, classes[0], dtype=object)
    codes = np.array([classes.index(v) for v in y_real], dtype=np.int64)
    if method == "cart" or X_real.shape[1] == 0:
        from sklearn.tree import DecisionTreeClassifier

        if X_real.shape[1] == 0:
            chosen = rng.choice(len(y_real), size=n_twin, replace=True)
            return y_real[chosen]
        tree = DecisionTreeClassifier(min_samples_leaf=min_leaf, random_state=_seed(rng))
        tree.fit(X_real, codes)
        chosen = _leaf_donors(
            rng, tree.apply(X_real), tree.apply(X_twin), np.arange(len(y_real), dtype=np.int64)
        )
        return y_real[chosen]
    from sklearn.linear_model import LogisticRegression

    scaled_real, scaled_twin = _standardise(X_real, X_twin)
    # A mild ridge keeps the fit finite when a predictor separates the classes.
    model = LogisticRegression(C=100.0, max_iter=2000)
    model.fit(scaled_real, codes)
    probabilities = model.predict_proba(scaled_twin)
    cumulative = np.cumsum(probabilities, axis=1)
    uniform = rng.random(n_twin)[:, None]
    picked = np.minimum((uniform > cumulative).sum(axis=1), len(model.classes_) - 1)
    return np.array([classes[int(model.classes_[i])] for i in picked], dtype=object)


def draw_numeric(
    rng: np.random.Generator,
    y_real: FloatArray,
    X_real: FloatArray,
    X_twin: FloatArray,
    *,
    method: Method,
    min_leaf: int,
    accept: Accept,
    integer: bool,
) -> FloatArray:
    """Draw a numeric variable for the twin records.

    Parameters
    ----------
    rng : numpy.random.Generator
    y_real : numpy.ndarray of float
        The variable on the real records (no missing values; every value accepted).
    X_real, X_twin : numpy.ndarray
        Encoded predictors.
    method : {"cart", "parametric"}
    min_leaf : int
    accept : callable
        Marks the drawn values that respect the variable's range and definitions.
    integer : bool
        Round parametric draws to whole numbers.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> y = np.array([1.0, 2.0, 30.0, 31.0]); X = np.array([[0.0], [0.0], [1.0], [1.0]])
    >>> values = draw_numeric(rng, y, X, X, method="cart", min_leaf=2,
    ...                       accept=lambda v: v >= 0, integer=False)
    >>> bool(values[0] in (1.0, 2.0) and values[3] in (30.0, 31.0))
    True
    """
    n_twin = len(X_twin)
    if method == "cart" or X_real.shape[1] == 0 or len(y_real) < 3:
        if X_real.shape[1] == 0 or len(y_real) < 2 * min_leaf:
            return y_real[rng.choice(len(y_real), size=n_twin, replace=True)]
        from sklearn.tree import DecisionTreeRegressor

        tree = DecisionTreeRegressor(min_samples_leaf=min_leaf, random_state=_seed(rng))
        tree.fit(X_real, y_real)
        chosen = _leaf_donors(
            rng, tree.apply(X_real), tree.apply(X_twin), np.arange(len(y_real), dtype=np.int64)
        )
        return y_real[chosen]
    design_real = np.column_stack([np.ones(len(X_real)), X_real])
    design_twin = np.column_stack([np.ones(n_twin), X_twin])
    coefficients, _, rank, _ = np.linalg.lstsq(design_real, y_real, rcond=None)
    residuals = y_real - design_real @ coefficients
    degrees = max(len(y_real) - int(rank), 1)
    sigma = float(np.sqrt(residuals @ residuals / degrees))
    mean = design_twin @ coefficients
    values = np.full(n_twin, np.nan)
    pending = np.arange(n_twin)
    for _ in range(MAX_REDRAWS):
        if pending.size == 0:
            break
        draws = mean[pending] + sigma * rng.standard_normal(pending.size)
        if integer:
            draws = np.round(draws)
        good = accept(draws)
        values[pending[good]] = draws[good]
        pending = pending[~good]
    if pending.size:
        # The normal model keeps missing the allowed range here: fall back to real values.
        values[pending] = y_real[rng.choice(len(y_real), size=pending.size, replace=True)]
    return values
