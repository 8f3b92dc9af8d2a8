"""Monte Carlo power of the screen-then-adjust pipeline (neok2.stats.simulation).

References: analytic Fleiss power from epiR-checked :mod:`neok2.stats.power` for a single-factor
design (agreement within Monte Carlo error), Sheppard's formula for a bivariate normal
orthant, and hand calculations.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from neok2.stats.power import power_case_control
from neok2.stats.simulation import (
    ExposureModel,
    exposure_model,
    model_from_data,
    model_from_study,
    power_curve,
    simulate_pipeline,
)
from neok2.study.spec import load_study


@pytest.fixture(scope="module")
def study_model() -> ExposureModel:
    return model_from_study(load_study("k2_neonates"))


def _monte_carlo_error(probability: float, n_replicates: int) -> float:
    return math.sqrt(probability * (1.0 - probability) / n_replicates)


class TestExposureModel:
    def test_case_prevalence_is_the_tilt(self):
        # Odds of exposure among cases = odds among controls x OR: 0.1/0.9 x 4 = 0.4444, so
        # prevalence among cases = 0.4444 / 1.4444 = 0.3076923.
        table = exposure_model({"steroid": 0.1, "sga": 0.05}, {"steroid": 4.0}).tidy()
        assert table["case_mean"].iloc[0] == pytest.approx(0.4 / 1.3, rel=1e-12)
        assert table["case_mean"].iloc[1] == pytest.approx(0.05, rel=1e-12)
        assert table["true_odds_ratio"].tolist() == [4.0, 1.0]

    def test_copula_cell_is_sheppards_orthant(self):
        # Both prevalences 0.5 put the thresholds at 0; with latent correlation 0.5 Sheppard's
        # formula gives P(both exposed) = 1/4 + asin(0.5) / (2 pi) = 1/4 + 1/12 = 1/3.
        model = exposure_model({"a": 0.5, "b": 0.5}, correlation=0.5)
        both = model.control_probabilities[(model.support == 1).all(axis=1)][0]
        # Quasi-Monte Carlo with 2^18 points: error of order 1e-4.
        assert both == pytest.approx(1.0 / 3.0, abs=5e-4)
        np.testing.assert_allclose(model.tidy()["control_mean"], [0.5, 0.5], atol=1e-12)

    def test_correlation_keeps_marginals(self):
        model = exposure_model({"a": 0.1, "b": 0.3, "c": 0.6}, correlation=0.3)
        np.testing.assert_allclose(model.tidy()["control_mean"], [0.1, 0.3, 0.6], atol=1e-12)

    def test_errors(self):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            exposure_model({"a": 1.2})
        with pytest.raises(ValueError, match="without a prevalence"):
            exposure_model({"a": 0.2}, {"b": 2.0})
        with pytest.raises(ValueError, match="positive semi-definite"):
            impossible = np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
            exposure_model({"a": 0.2, "b": 0.3, "c": 0.4}, correlation=impossible)
        with pytest.raises(ValueError, match="`odds_ratios` must be 1 positive"):
            ExposureModel(("a",), np.array([[0.0], [1.0]]), np.array([0.5, 0.5]), np.array([-1.0]))


class TestModelFromStudy:
    def test_prevalences_and_odds_ratios(self, study_model):
        table = study_model.tidy().set_index("variable")
        assert len(table) == 10
        assert table.loc["caesarean", "control_mean"] == pytest.approx(68 / 134, rel=1e-12)
        assert table.loc["antenatal_steroid", "true_odds_ratio"] == 4.728
        assert table.loc["prom", "true_odds_ratio"] == 1.0

    def test_errors(self):
        with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
            model_from_study("k2_neonates")  # type: ignore[arg-type]


class TestModelFromData:
    def test_odds_ratio_atoms_and_missing_rows(self):
        # Exposed: 2 cases, 1 control; unexposed: 1 case, 4 controls -> OR = (2/1)/(1/4) = 8.
        frame = pd.DataFrame(
            {"y": [1, 1, 0, 0, 0, 1, 0, 0, 1], "x": [1, 0, 1, 0, 0, 1, 0, 0, np.nan]}
        )
        model = model_from_data(frame, "y", ["x"])
        assert model.odds_ratios[0] == pytest.approx(8.0, rel=1e-9)
        assert model.n_dropped == 1
        np.testing.assert_allclose(model.control_probabilities, [4 / 5, 1 / 5])

    def test_separated_data_need_firth(self):
        frame = pd.DataFrame({"y": [1, 1, 0, 0, 0, 1], "x": [1, 1, 0, 0, 0, 0]})
        with pytest.raises(ValueError, match="use firth=True"):
            model_from_data(frame, "y", ["x"])
        assert np.isfinite(model_from_data(frame, "y", ["x"], firth=True).odds_ratios).all()

    def test_errors(self):
        frame = pd.DataFrame({"y": [1, 0, 2], "x": [1, 0, 1]})
        with pytest.raises(ValueError, match=r"`exposures`: \['z'\] not in the data"):
            model_from_data(frame, "y", ["z"])
        with pytest.raises(ValueError, match="must be coded 0/1"):
            model_from_data(frame, "y", ["x"])
        with pytest.raises(TypeError, match="`data` must be a pandas DataFrame"):
            model_from_data(frame.to_numpy(), "y", ["x"])  # type: ignore[arg-type]


class TestSimulatePipelinePower:
    def test_single_factor_matches_analytic_power(self):
        # No screen (threshold 1): the pipeline reduces to one Wald test of the factor.
        n_replicates = 4000
        model = exposure_model({"x": 0.3}, {"x": 2.0})
        row = simulate_pipeline(
            model,
            n_cases=100,
            n_controls=200,
            n_replicates=n_replicates,
            threshold=1.0,
            seed=7,
            progress=False,
            n_workers=1,
        ).iloc[0]
        analytic = power_case_control(2.0, 0.3, 100, None, controls_per_case=2).iloc[0]["power"]
        error = _monte_carlo_error(analytic, n_replicates)
        assert abs(row["power"] - analytic) < 3 * error
        # Only an estimate of exactly 0 (p = 1) fails the screen at threshold 1.
        assert row["selection_rate"] > 0.999 and row["n_replicates"] == n_replicates
        assert abs(row["coverage"] - 0.95) < 3 * _monte_carlo_error(0.95, n_replicates)

    def test_null_factor_rejects_at_alpha(self):
        n_replicates = 4000
        model = exposure_model({"x": 0.4})
        row = simulate_pipeline(
            model,
            n_cases=150,
            n_controls=150,
            n_replicates=n_replicates,
            threshold=1.0,
            seed=3,
            progress=False,
            n_workers=1,
        ).iloc[0]
        assert math.isnan(row["power"])
        assert abs(row["false_inclusion"] - 0.05) < 3 * _monte_carlo_error(0.05, n_replicates)

    def test_screen_limits_power_and_biases_selected(self, study_model):
        table = simulate_pipeline(
            study_model,
            n_total=[200],
            controls_per_case=134 / 66,
            n_replicates=400,
            seed=1,
            progress=False,
            n_workers=1,
        )
        assert table[["n_cases", "n_controls"]].iloc[0].tolist() == [66, 134]
        rows = table.set_index("variable")
        truth = rows[rows["true_odds_ratio"] != 1.0]
        assert (truth["power"] <= truth["selection_rate"]).all()
        nulls = rows[rows["true_odds_ratio"] == 1.0]
        assert nulls["power"].isna().all() and nulls["false_inclusion"].notna().all()
        # A factor can only be significant after the screen if it passed it.
        assert (nulls["false_inclusion"] <= nulls["selection_rate"]).all()


@pytest.fixture(scope="module")
def settings() -> dict:
    return {
        "n_cases": [40, 80],
        "n_controls": [80, 160],
        "n_replicates": 300,
        "chunk_size": 100,
        "seed": 2024,
        "progress": False,
    }


class TestSimulatePipelineDeterminism:
    def test_same_seed_same_result_in_process_and_in_processes(self, study_model, settings):
        in_process = simulate_pipeline(study_model, n_workers=1, **settings)
        processes = simulate_pipeline(study_model, n_workers=2, **settings)
        pd.testing.assert_frame_equal(in_process, processes, check_exact=True)
        other = simulate_pipeline(study_model, n_workers=1, **{**settings, "seed": 2025})
        assert not in_process.equals(other)

    def test_dask_cluster_gives_the_local_numbers(self, study_model, settings):
        from distributed import Client, LocalCluster

        local = simulate_pipeline(study_model, n_workers=1, **settings)
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        )
        with cluster, Client(cluster) as client:
            on_dask = simulate_pipeline(study_model, scheduler=client, **settings)
            by_address = simulate_pipeline(
                study_model, scheduler=cluster.scheduler_address, **settings
            )
        pd.testing.assert_frame_equal(local, on_dask, check_exact=True)
        pd.testing.assert_frame_equal(local, by_address, check_exact=True)


class TestSimulatePipelineErrors:
    def test_sizes(self, study_model):
        with pytest.raises(ValueError, match="not both"):
            simulate_pipeline(study_model, n_total=200, n_cases=66, seed=1)
        with pytest.raises(ValueError, match="needs a positive `controls_per_case`"):
            simulate_pipeline(study_model, n_total=200, seed=1)
        with pytest.raises(ValueError, match="same length"):
            simulate_pipeline(study_model, n_cases=[10, 20], n_controls=[10, 20, 30], seed=1)
        with pytest.raises(ValueError, match="at least 2 cases and 2 controls"):
            simulate_pipeline(study_model, n_cases=1, n_controls=10, seed=1)

    def test_options(self, study_model):
        with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
            simulate_pipeline(study_model, n_cases=10, n_controls=10, seed=-1)
        with pytest.raises(ValueError, match="`chunk_size`"):
            simulate_pipeline(study_model, n_cases=10, n_controls=10, seed=1, chunk_size=0)
        with pytest.raises(ValueError, match="`threshold`"):
            simulate_pipeline(study_model, n_cases=10, n_controls=10, seed=1, threshold=0)
        with pytest.raises(TypeError, match="`model` must be an ExposureModel"):
            simulate_pipeline({"x": 0.3}, n_cases=10, n_controls=10, seed=1)  # type: ignore[arg-type]


class TestPowerCurve:
    def test_one_line_per_factor_and_reference(self):
        model = exposure_model({"a": 0.2, "b": 0.3}, {"a": 3.0})
        table = simulate_pipeline(
            model,
            n_total=[100, 200],
            controls_per_case=1.0,
            n_replicates=50,
            seed=1,
            progress=False,
            n_workers=1,
        )
        figure = power_curve(table)
        assert isinstance(figure, Figure)
        lines = figure.axes[0].lines
        assert len(lines) == 3  # factor a, null factor b, the 80% reference
        np.testing.assert_allclose(
            lines[0].get_ydata(), table.loc[table["variable"] == "a", "power"]
        )

    def test_errors(self):
        with pytest.raises(ValueError, match="simulate_pipeline"):
            power_curve(pd.DataFrame({"n_total": [1]}))


class TestMonteCarloErrors:
    def test_mcse_columns_follow_their_formulas(self, study_model):
        table = simulate_pipeline(
            study_model,
            n_cases=66,
            n_controls=134,
            n_replicates=400,
            seed=3,
            n_workers=1,
            progress=False,
        )
        true = table[table["true_odds_ratio"] != 1]
        expected = np.sqrt(true["power"] * (1 - true["power"]) / 400)
        np.testing.assert_allclose(true["power_mcse"], expected, rtol=1e-12)
        assert (true["power_ci_low"] <= true["power"]).all()
        assert (true["power"] <= true["power_ci_high"]).all()
        assert (table["method"] == "simulated pipeline").all()
        # Unconditional coverage of a null factor: unselected replicates count as covered.
        null = table[table["true_odds_ratio"] == 1]
        assert (null["coverage_all"] >= 1 - null["selection_rate"] - 1e-12).all()

    def test_no_screen_enters_every_candidate(self, study_model):
        from neok2.stats.simulation import pipeline_summary

        row = pipeline_summary(
            study_model,
            n_cases=66,
            n_controls=134,
            n_replicates=50,
            seed=3,
            threshold=None,
            n_workers=1,
        )
        assert row["mean_entered"].iloc[0] == len(study_model.names)
        assert row["mean_entered_mcse"].iloc[0] == 0.0
        assert 0.0 <= row["familywise_false_positive"].iloc[0] <= 1.0

    def test_threshold_table_is_long_and_tidy(self, study_model):
        from neok2.stats.power_curves import screening_threshold_table

        table = screening_threshold_table(
            study_model, n_cases=66, n_controls=134, seed=4, n_replicates=60, n_workers=1
        )
        assert table["screen"].unique().tolist() == ["p < 0.05", "p < 0.1", "p < 0.2", "none"]
        power = table[(table["quantity"] == "power") & (table["variable"] == "sga")]
        # Same replicates per threshold: a looser screen never loses a selected factor.
        selection = table[(table["quantity"] == "selection_rate") & (table["variable"] == "sga")][
            "estimate"
        ].to_numpy()
        assert (np.diff(selection) >= 0).all()
        assert power["mcse"].notna().all()
