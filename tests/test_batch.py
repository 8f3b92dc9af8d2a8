"""Vectorised logistic regression across replicates (neok2.stats.batch).

References: statsmodels ``Logit`` on random designs (the brief's cross-check), R ``glm`` and
``brglm2`` (Firth) fits written by tests/reference/power.R and tests/reference/batch_firth.R,
and hand calculations.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from neok2.stats.batch import (
    LogisticBatchResult,
    _cholesky,
    _inverse_factor,
    _solve,
    fit_binomial_batch,
    fit_logistic_batch,
)

REFERENCE = Path(__file__).parent / "reference"
DATA = pd.read_csv(REFERENCE / "power_batch_data.csv")
COEFFICIENTS = pd.read_csv(REFERENCE / "power_batch_coefficients.csv")
FIRTH_COUNTS = pd.read_csv(REFERENCE / "batch_firth_data.csv")
FIRTH_ROWS = pd.read_csv(REFERENCE / "batch_firth_rows.csv")
FIRTH_COEFFICIENTS = pd.read_csv(REFERENCE / "batch_firth_coefficients.csv")


def _simulated(
    n_replicates: int, n_obs: int, seed: int, *, continuous: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    exposures = (rng.random((n_replicates, n_obs, 4)) < [0.1, 0.25, 0.4, 0.6]).astype(float)
    columns = [np.ones((n_replicates, n_obs, 1)), exposures]
    if continuous:
        columns.append(rng.normal(size=(n_replicates, n_obs, 1)))
    X = np.concatenate(columns, axis=2)
    beta = np.array([-0.8, 0.9, -0.4, 0.3, 0.6, 0.5][: X.shape[2]])
    Y = (rng.random((n_replicates, n_obs)) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(float)
    return X, Y


def _statsmodels(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    return np.asarray(fit.params), np.asarray(fit.bse)


def _r_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = DATA[DATA["dataset"] == name]
    X = np.column_stack([np.ones(len(rows)), rows[["x1", "x2", "x3"]].to_numpy(float)])
    return X, rows["y"].to_numpy(float)


def _firth_counts(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patterns (with the model's columns), trials and successes of a batch_firth.R dataset."""
    rows = FIRTH_COUNTS[FIRTH_COUNTS["dataset"] == name]
    x1, x2 = rows["x1"].to_numpy(float), rows["x2"].to_numpy(float)
    columns = {
        "single_case": [x1],
        "single_control": [x1],
        "main_effects": [x1, x2],
        "interaction": [x1, x2, x1 * x2],
    }[name]
    patterns = np.column_stack([np.ones(len(rows)), *columns])
    return patterns, rows[["trials"]].to_numpy(float).T, rows[["successes"]].to_numpy(float).T


def _firth_reference(name: str) -> pd.DataFrame:
    return FIRTH_COEFFICIENTS[FIRTH_COEFFICIENTS["dataset"] == name]


class TestFitLogisticBatchX:
    @pytest.mark.parametrize("continuous", [False, True])
    def test_replicate_designs_equal_statsmodels(self, continuous):
        X, Y = _simulated(60, 150, seed=11, continuous=continuous)
        fit = fit_logistic_batch(X, Y)
        usable = np.flatnonzero(~fit.separated & ~fit.rank_deficient)
        assert usable.size >= 50
        for replicate in usable:
            coef, error = _statsmodels(X[replicate], Y[replicate])
            np.testing.assert_allclose(fit.coef[replicate], coef, rtol=0, atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], error, rtol=1e-8)

    def test_shared_design_equals_statsmodels(self):
        X, Y = _simulated(40, 120, seed=5, continuous=True)
        fit = fit_logistic_batch(X[0], Y)
        for replicate in np.flatnonzero(~fit.separated):
            coef, error = _statsmodels(X[0], Y[replicate])
            np.testing.assert_allclose(fit.coef[replicate], coef, rtol=0, atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], error, rtol=1e-8)

    def test_equals_r_glm(self):
        X, y = _r_dataset("ordinary")
        reference = COEFFICIENTS[
            (COEFFICIENTS["dataset"] == "ordinary") & (COEFFICIENTS["method"] == "ml")
        ]
        fit = fit_logistic_batch(X, y)
        np.testing.assert_allclose(fit.coef[0], reference["estimate"], rtol=0, atol=1e-8)
        # glm's summary uses the weights of its last IRLS iteration, one step behind the
        # returned coefficients: agreement to about 1e-7 relative.
        np.testing.assert_allclose(fit.std_error[0], reference["std_error"], rtol=1e-6)

    def test_many_binary_columns_renumbered_patterns_equal_statsmodels(self):
        # 1 + 8 columns give 2^9 = 512 possible codes for n = 90 rows, so the codes present are
        # renumbered through a lookup table; each row has at most one exposure (9 patterns).
        rng = np.random.default_rng(21)
        n_replicates, n_obs, n_exposures = 12, 90, 8
        exposure = rng.integers(0, n_exposures + 1, size=(n_replicates, n_obs))
        onehot = (exposure[:, :, None] == np.arange(1, n_exposures + 1)).astype(float)
        X = np.concatenate([np.ones((n_replicates, n_obs, 1)), onehot], axis=2)
        Y = (rng.random((n_replicates, n_obs)) < 0.5).astype(float)
        fit = fit_logistic_batch(X, Y)
        usable = np.flatnonzero(~fit.separated & ~fit.rank_deficient)
        assert usable.size >= 6
        for replicate in usable:
            coef, error = _statsmodels(X[replicate], Y[replicate])
            np.testing.assert_allclose(fit.coef[replicate], coef, rtol=0, atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], error, rtol=1e-8)

    @pytest.mark.parametrize("intercept", [True, False])
    def test_binary_design_with_more_patterns_than_half_the_rows(self, intercept):
        # n = 40 rows and over 20 distinct patterns, so the subject-level rows are fitted
        # directly: 1 + 6 columns (128 possible codes) or 5 columns without intercept (32).
        rng = np.random.default_rng(4)
        exposures = (rng.random((8, 40, 6 if intercept else 5)) < 0.5).astype(float)
        X = np.concatenate([np.ones((8, 40, 1)), exposures], axis=2) if intercept else exposures
        Y = (rng.random((8, 40)) < 0.5).astype(float)
        fit = fit_logistic_batch(X, Y)
        usable = np.flatnonzero(~fit.separated & ~fit.rank_deficient)
        assert usable.size >= 4
        for replicate in usable:
            coef, error = _statsmodels(X[replicate], Y[replicate])
            np.testing.assert_allclose(fit.coef[replicate], coef, rtol=0, atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], error, rtol=1e-8)

    def test_twelve_columns_equal_statsmodels(self):
        rng = np.random.default_rng(9)
        X = np.concatenate([np.ones((5, 300, 1)), rng.normal(size=(5, 300, 11))], axis=2)
        Y = (rng.random((5, 300)) < 1.0 / (1.0 + np.exp(-0.3 * X.sum(axis=2)))).astype(float)
        fit = fit_logistic_batch(X, Y)
        assert not fit.separated.any()
        for replicate in range(5):
            coef, error = _statsmodels(X[replicate], Y[replicate])
            np.testing.assert_allclose(fit.coef[replicate], coef, rtol=0, atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], error, rtol=1e-8)

    def test_negative_zero_counts_as_zero(self):
        X, Y = _simulated(10, 80, seed=6)
        signed = np.where(X == 0.0, -0.0, X)
        expected, fit = fit_logistic_batch(X, Y), fit_logistic_batch(signed, Y)
        np.testing.assert_array_equal(fit.coef, expected.coef)
        np.testing.assert_array_equal(fit.std_error, expected.std_error)

    def test_one_dimensional_outcome_is_one_replicate(self):
        X, y = _r_dataset("ordinary")
        assert fit_logistic_batch(X, y).coef.shape == (1, 4)


class TestFitLogisticBatchSeparation:
    def test_hand_example(self):
        # Replicate 0: unexposed 1/3 cases, exposed 2/3: log odds -log 2 and log 4 = 1.3863.
        # Replicate 1: every exposed subject is a case and none of the unexposed: separated.
        X = np.column_stack([np.ones(6), [0, 0, 1, 1, 1, 0]])
        Y = np.array([[0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0]])
        fit = fit_logistic_batch(X, Y)
        np.testing.assert_allclose(fit.coef[0], [-np.log(2), np.log(4)], atol=1e-12)
        assert fit.separated.tolist() == [False, True]
        assert fit.converged.tolist() == [True, False]
        assert np.isnan(fit.coef[1]).all() and np.isnan(fit.std_error[1]).all()

    def test_quasi_separation_flagged_and_nan(self):
        X, y = _r_dataset("separated")
        fit = fit_logistic_batch(X, y)
        assert fit.separated[0] and np.isnan(fit.coef).all()

    def test_collinear_continuous_column_is_rank_deficient(self):
        X, Y = _simulated(3, 60, seed=12, continuous=True)
        X[2, :, 5] = X[2, :, 1] + 2.0 * X[2, :, 2]
        fit = fit_logistic_batch(X, Y)
        assert fit.rank_deficient.tolist() == [False, False, True]
        assert np.isnan(fit.coef[2]).all() and np.isnan(fit.std_error[2]).all()

    def test_rank_deficient_replicate(self):
        X, Y = _simulated(3, 50, seed=2)
        X[1, :, 1] = 0.0  # nobody exposed in replicate 1: the column is not estimable
        fit = fit_logistic_batch(X, Y)
        assert fit.rank_deficient.tolist() == [False, True, False]
        assert np.isnan(fit.coef[1]).all() and np.isfinite(fit.coef[[0, 2]]).all()


class TestFitLogisticBatchFirth:
    @pytest.mark.parametrize("dataset", ["ordinary", "separated"])
    def test_equals_brglm2(self, dataset):
        X, y = _r_dataset(dataset)
        reference = COEFFICIENTS[
            (COEFFICIENTS["dataset"] == dataset) & (COEFFICIENTS["method"] == "firth")
        ]
        fit = fit_logistic_batch(X, y, firth=True)
        assert fit.converged[0]
        np.testing.assert_allclose(fit.coef[0], reference["estimate"], rtol=0, atol=1e-8)
        np.testing.assert_allclose(fit.std_error[0], reference["std_error"], rtol=1e-8)

    def test_replicate_specific_design_equals_brglm2(self):
        # The same dataset as two replicates of a 3-D design with continuous columns.
        X, y = _r_dataset("ordinary")
        reference = COEFFICIENTS[
            (COEFFICIENTS["dataset"] == "ordinary") & (COEFFICIENTS["method"] == "firth")
        ]
        fit = fit_logistic_batch(np.stack([X, X]), np.stack([y, y]), firth=True)
        for replicate in range(2):
            np.testing.assert_allclose(fit.coef[replicate], reference["estimate"], atol=1e-8)
            np.testing.assert_allclose(fit.std_error[replicate], reference["std_error"], rtol=1e-8)

    def test_separation_still_reported(self):
        X, y = _r_dataset("separated")
        fit = fit_logistic_batch(X, y, firth=True)
        assert fit.separated[0] and fit.firth

    def test_shrinks_towards_zero(self):
        X, Y = _simulated(30, 80, seed=8)
        ml = fit_logistic_batch(X, Y)
        firth = fit_logistic_batch(X, Y, firth=True)
        usable = ~ml.separated
        assert (np.abs(firth.coef[usable, 1:]) <= np.abs(ml.coef[usable, 1:]) + 1e-12).mean() > 0.9


class TestFitBinomialBatch:
    def test_grouped_equals_expanded(self):
        X, Y = _simulated(20, 200, seed=3)
        expanded = fit_logistic_batch(X, Y)
        codes = (X[:, :, 1:] @ (2 ** np.arange(4))).astype(int)
        patterns = np.column_stack([np.ones(16), (np.arange(16)[:, None] >> np.arange(4)) & 1])
        trials = np.stack([np.bincount(row, minlength=16) for row in codes])
        successes = np.stack(
            [np.bincount(row, weights=y, minlength=16) for row, y in zip(codes, Y, strict=True)]
        )
        grouped = fit_binomial_batch(patterns, trials, successes)
        np.testing.assert_allclose(grouped.coef, expanded.coef, atol=1e-10, equal_nan=True)
        np.testing.assert_allclose(
            grouped.std_error, expanded.std_error, rtol=1e-10, equal_nan=True
        )

    def test_hand_example(self):
        # 1/3 and 2/3 cases: log odds -log 2 and the log OR log 4.
        fit = fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[3, 3]], [[1, 2]])
        np.testing.assert_allclose(fit.coef, [[-np.log(2), np.log(4)]], atol=1e-12)
        # Var(log OR) = 1/1 + 1/2 + 1/2 + 1/1 = 3 (Woolf), which equals the inverse information.
        assert fit.std_error[0, 1] == pytest.approx(np.sqrt(3.0), rel=1e-12)

    def test_errors(self):
        with pytest.raises(ValueError, match="0 <= successes <= trials"):
            fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[3, 3]], [[4, 2]])
        with pytest.raises(ValueError, match="`patterns` must be K x p"):
            fit_binomial_batch([[1.0, 0.0]], [[3, 3]], [[1, 2]])
        with pytest.raises(ValueError, match="same shape"):
            fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[3, 3]], [[1, 2, 0]])


class TestFitBinomialBatchFirth:
    """Firth fits where a covariate pattern holds a single subject (or a few, all alike)."""

    def test_single_case_pattern_hand_calculation(self):
        # The model is saturated (two patterns, two coefficients), so every pattern has leverage
        # h = 1 and Firth's modified score sets mu_k = (s_k + 1/2) / (m_k + 1) exactly:
        # intercept = logit(40.5 / 189) = log(40.5 / 148.5) = -1.2992830 and
        # log OR = logit(1.5 / 2) - intercept = log 3 + 1.2992830 = 2.3978953.
        fit = fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[188, 1]], [[40, 1]], firth=True)
        assert fit.converged[0] and fit.separated[0]
        intercept = np.log(40.5 / 148.5)
        np.testing.assert_allclose(fit.coef[0], [intercept, np.log(3.0) - intercept], atol=1e-12)
        # Fisher scoring on X'WX alone used to oscillate here for ever: the estimate now takes
        # a handful of Newton steps.
        assert fit.n_iter[0] <= 10

    @pytest.mark.parametrize(
        "dataset", ["single_case", "single_control", "main_effects", "interaction"]
    )
    def test_sparse_patterns_equal_brglm2(self, dataset):
        patterns, trials, successes = _firth_counts(dataset)
        reference = _firth_reference(dataset)
        fit = fit_binomial_batch(patterns, trials, successes, firth=True)
        assert fit.converged[0]
        np.testing.assert_allclose(fit.coef[0], reference["estimate"], rtol=0, atol=1e-8)
        np.testing.assert_allclose(fit.std_error[0], reference["std_error"], rtol=1e-8)

    def test_sparse_patterns_as_one_batch_equal_brglm2(self):
        # The two single-subject datasets share their patterns and run as one stack of
        # replicates, alongside an ordinary replicate (1/3 and 2/3 cases).
        patterns, first_trials, first_successes = _firth_counts("single_case")
        _, second_trials, second_successes = _firth_counts("single_control")
        trials = np.vstack([first_trials, second_trials, [[3.0, 3.0]]])
        successes = np.vstack([first_successes, second_successes, [[1.0, 2.0]]])
        fit = fit_binomial_batch(patterns, trials, successes, firth=True)
        assert fit.converged.all()
        for replicate, dataset in enumerate(["single_case", "single_control"]):
            expected = _firth_reference(dataset)["estimate"]
            np.testing.assert_allclose(fit.coef[replicate], expected, rtol=0, atol=1e-8)
        # Saturated again: mu = 1.5/4 and 2.5/4, so the Firth log OR is 2 log(5/3) = 1.0216512.
        assert fit.coef[2, 1] == pytest.approx(2.0 * np.log(5.0 / 3.0), abs=1e-12)

    def test_grouped_equals_expanded_rows(self):
        patterns, trials, successes = _firth_counts("main_effects")
        counts = trials[0].astype(int)
        X = np.repeat(patterns, counts, axis=0)
        cases = successes[0].astype(int)
        y = np.concatenate(
            [np.arange(total) < count for total, count in zip(counts, cases, strict=True)]
        )
        grouped = fit_binomial_batch(patterns, trials, successes, firth=True)
        expanded = fit_logistic_batch(X, y.astype(float), firth=True)
        np.testing.assert_allclose(expanded.coef, grouped.coef, rtol=0, atol=1e-10)
        np.testing.assert_allclose(expanded.std_error, grouped.std_error, rtol=1e-10)

    def test_continuous_separated_rows_equal_brglm2(self):
        # Complete separation with continuous covariates: the first Newton steps meet a
        # penalised likelihood that is not concave and steps that must be halved.
        X = np.column_stack(
            [np.ones(len(FIRTH_ROWS)), FIRTH_ROWS[["x1", "x2", "x3", "x4"]].to_numpy(float)]
        )
        reference = _firth_reference("continuous_separated")
        fit = fit_logistic_batch(X, FIRTH_ROWS["y"].to_numpy(float), firth=True)
        assert fit.converged[0] and fit.separated[0]
        np.testing.assert_allclose(fit.coef[0], reference["estimate"], rtol=0, atol=1e-8)
        np.testing.assert_allclose(fit.std_error[0], reference["std_error"], rtol=1e-8)


class TestResult:
    def test_tidy_and_p_values(self):
        fit = fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[3, 3]], [[1, 2]])
        table = fit.tidy(["(Intercept)", "exposed"])
        assert list(table.columns) == [
            "replicate",
            "term",
            "estimate",
            "std_error",
            "statistic",
            "p_value",
            "odds_ratio",
            "ci_low",
            "ci_high",
            "converged",
            "separated",
        ]
        row = table.iloc[1]
        # z = log 4 / sqrt 3 = 1.3862944 / 1.7320508 = 0.8003774; two-sided normal tail
        # p = 2 (1 - Phi(0.8003774)) = 0.4234922; CI low = 4 exp(-1.959964 sqrt 3) = 0.1341948.
        assert row["statistic"] == pytest.approx(0.8003774, rel=1e-6)
        assert row["p_value"] == pytest.approx(0.4234922, rel=1e-6)
        assert row["ci_low"] == pytest.approx(0.1341948, rel=1e-6)
        assert isinstance(fit, LogisticBatchResult)

    def test_tidy_errors(self):
        fit = fit_binomial_batch([[1.0, 0.0], [1.0, 1.0]], [[3, 3]], [[1, 2]])
        with pytest.raises(ValueError, match="`terms` must name all 2"):
            fit.tidy(["only one"])
        with pytest.raises(ValueError, match="`conf_level`"):
            fit.tidy(conf_level=95)


class TestFitLogisticBatchErrors:
    def test_missing_values_named(self):
        X, y = _r_dataset("ordinary")
        X[3, 1] = np.nan
        with pytest.raises(ValueError, match="`X` contains 1 missing value"):
            fit_logistic_batch(X, y)

    def test_missing_and_infinite_values_in_replicate_designs(self):
        X, Y = _simulated(4, 30, seed=1)
        X[2, 5, 3] = np.nan
        with pytest.raises(ValueError, match="`X` contains 1 missing value"):
            fit_logistic_batch(X, Y)
        X[2, 5, 3] = np.inf
        with pytest.raises(ValueError, match="`X` contains infinite values"):
            fit_logistic_batch(X, Y)
        Y[0, 0] = np.nan
        with pytest.raises(ValueError, match="`Y` contains 1 missing value"):
            fit_logistic_batch(X[0], Y)

    def test_outcome_must_be_binary(self):
        X, y = _r_dataset("ordinary")
        with pytest.raises(ValueError, match="0/1 outcomes"):
            fit_logistic_batch(X, y * 2)

    def test_shapes(self):
        X, y = _r_dataset("ordinary")
        with pytest.raises(ValueError, match="rows but `Y` has"):
            fit_logistic_batch(X[:-1], y)
        with pytest.raises(ValueError, match="a 3-D `X` must be R x n x p"):
            fit_logistic_batch(X[None, :-1], y)
        with pytest.raises(TypeError, match="`X` must be numeric"):
            fit_logistic_batch([["a", "b"]], [1, 0])

    def test_options(self):
        X, y = _r_dataset("ordinary")
        with pytest.raises(ValueError, match="`max_iter`"):
            fit_logistic_batch(X, y, max_iter=0)
        with pytest.raises(ValueError, match="`tol`"):
            fit_logistic_batch(X, y, tol=2.0)
        with pytest.raises(TypeError, match="`firth`"):
            fit_logistic_batch(X, y, firth="yes")


class TestCholeskyHelpers:
    """The replicate-batched factorisation against LAPACK (numpy.linalg) matrix by matrix."""

    @staticmethod
    def _stack(n_terms: int, n_replicates: int, seed: int) -> np.ndarray:
        rows = np.random.default_rng(seed).normal(size=(n_replicates, 3 * n_terms, n_terms))
        return np.einsum("rkp,rkq->pqr", rows, rows)

    @pytest.mark.parametrize("n_terms", [1, 2, 6, 15])
    def test_factor_solve_and_inverse_equal_lapack(self, n_terms):
        matrix = self._stack(n_terms, 7, seed=n_terms)
        rhs = np.random.default_rng(0).normal(size=(n_terms, 7))
        lower, pivots, failed = _cholesky(matrix)
        factor = _inverse_factor(lower)
        assert not failed.any()
        for replicate in range(7):
            square = matrix[:, :, replicate]
            expected = np.linalg.cholesky(square)
            np.testing.assert_allclose(lower[:, :, replicate], expected, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(pivots[:, replicate], np.diag(expected) ** 2, rtol=1e-12)
            np.testing.assert_allclose(
                _solve(lower, rhs)[:, replicate],
                np.linalg.solve(square, rhs[:, replicate]),
                rtol=1e-9,
                atol=1e-12,
            )
            np.testing.assert_allclose(
                factor[:, :, replicate].T @ factor[:, :, replicate],
                np.linalg.inv(square),
                rtol=1e-9,
                atol=1e-12,
            )

    def test_singular_and_nan_matrices_flagged(self):
        matrix = self._stack(3, 4, seed=1)
        matrix[:, :, 1] = [[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]]  # rank 2
        matrix[:, :, 2] = -matrix[:, :, 2]
        matrix[0, 0, 3] = np.nan
        lower, _, failed = _cholesky(matrix)
        assert failed.tolist() == [False, True, True, True]
        assert np.isfinite(lower[:, :, :3]).all()
