"""The calibrated joint exposure model reproduces what the K2 paper printed.

Published values are read from the study file (Tables 1-3 as printed); the replicates are
drawn here with numpy from the model's atoms, independently of the pipeline's sampler.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neok2.stats.batch import fit_logistic_batch
from neok2.stats.calibrated_model import calibrated_model, model_check, study_margins
from neok2.stats.exposure_model import model_from_study
from neok2.stats.simulation import pipeline_tables, simulate_pipeline
from neok2.study.spec import load_study

REPORTED = ["antenatal_steroid", "caesarean", "sga"]
PUBLISHED_CRUDE = {"antenatal_steroid": 5.675, "caesarean": 3.151, "sga": 4.898}
PUBLISHED_ADJUSTED = {"antenatal_steroid": 4.728, "caesarean": 2.529, "sga": 3.462}


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


@pytest.fixture(scope="module")
def model(study):
    return model_from_study(study, structure="calibrated")


def test_every_table1_candidate_is_in_the_model(study, model):
    assert model.names == study.candidates
    assert len(model.names) == 22
    assert model.structure == "calibrated"
    assert model.latent_correlation is not None
    assert np.allclose(model.latent_correlation, model.latent_correlation.T)
    assert np.linalg.eigvalsh(model.latent_correlation).min() > -1e-8


def test_table1_margins(study, model):
    check = model_check(model, study)
    margins = study_margins(study).set_index("variable")
    binary = margins.index[margins["kind"] == "binary"]
    rows = check[check["quantity"].isin(["control_mean", "case_mean"])]
    for row in rows.itertuples(index=False):
        if row.variable in binary:
            # Counts of Table 1 over 66 and 134: within a fifth of one subject's share.
            assert row.implied == pytest.approx(row.published, abs=0.2 / 134), row
        elif row.quantity == "control_mean":
            assert row.implied == pytest.approx(row.published, rel=1e-9), row
        else:
            # Case means of continuous candidates: within 0.15 control SD (PT and glucose
            # reach the loading bound; see the model notes).
            spread = margins.loc[row.variable, "control_sd"]
            assert abs(row.implied - row.published) <= 0.15 * spread, row


def _replicate_odds_ratios(model, n_cases, n_controls, n_replicates, seed):
    rng = np.random.default_rng(seed)
    atoms = len(model.support)
    cases = rng.choice(atoms, size=(n_replicates, n_cases), p=model.case_probabilities)
    controls = rng.choice(atoms, size=(n_replicates, n_controls), p=model.control_probabilities)
    columns = [model.names.index(name) for name in REPORTED]
    rows = np.concatenate([cases, controls], axis=1)
    exposures = model.support[:, columns][rows]
    outcome = np.concatenate([np.ones(n_cases), np.zeros(n_controls)])
    crude = {}
    for index, name in enumerate(REPORTED):
        exposed = exposures[:, :, index]
        a = exposed[:, :n_cases].sum(axis=1)
        c = exposed[:, n_cases:].sum(axis=1)
        crude[name] = np.log(a * (n_controls - c) / ((n_cases - a) * c))
    design = np.concatenate([np.ones((*rows.shape, 1)), exposures], axis=2)
    fit = fit_logistic_batch(design, np.broadcast_to(outcome, rows.shape))
    adjusted = {name: fit.coef[:, index + 1] for index, name in enumerate(REPORTED)}
    return crude, adjusted


def test_published_crude_and_adjusted_odds_ratios_within_ten_percent(model):
    # Ten times the study's size keeps small-sample bias out of the average.
    crude, adjusted = _replicate_odds_ratios(model, 660, 1340, 100, seed=11)
    for name in REPORTED:
        mean_crude = float(np.exp(np.mean(crude[name])))
        mean_adjusted = float(np.exp(np.mean(adjusted[name])))
        assert mean_crude == pytest.approx(PUBLISHED_CRUDE[name], rel=0.10), name
        assert mean_adjusted == pytest.approx(PUBLISHED_ADJUSTED[name], rel=0.10), name
    # Confounding is what the calibration adds: crude above adjusted for every factor.
    for name in REPORTED:
        assert np.mean(crude[name]) > np.mean(adjusted[name]) + 0.05


def test_independent_structure_cannot_reproduce_the_crude_odds_ratios(study):
    model = model_from_study(study, structure="independent")
    crude, _ = _replicate_odds_ratios(model, 660, 1340, 60, seed=3)
    # Crude equals adjusted there, so SGA's crude OR sits near 3.46, far from 4.90.
    assert float(np.exp(np.mean(crude["sga"]))) < 0.85 * PUBLISHED_CRUDE["sga"]


def test_correlation_scale_zero_makes_crude_equal_adjusted(study):
    independent = calibrated_model(study, correlation_scale=0.0)
    assert np.allclose(independent.latent_correlation, np.eye(22))
    check = model_check(independent, study)
    crude = check[check["quantity"] == "crude_odds_ratio"].set_index("variable")["implied"]
    # Independent latents: crude equals adjusted up to the chance dependence of 2^14 atoms.
    for name in REPORTED:
        assert crude[name] == pytest.approx(PUBLISHED_ADJUSTED[name], rel=0.02)


def test_pipeline_runs_on_the_calibrated_model(model):
    design, factors = pipeline_tables(
        model, n_cases=66, n_controls=134, n_replicates=60, seed=5, n_workers=1, progress=False
    )
    assert len(factors) == 22
    assert factors.loc[factors["true_odds_ratio"] != 1, "power"].notna().all()
    # The paper's screen lets the null candidates correlated with the factors in as well.
    assert design["mean_entered"].iloc[0] > 3


def test_calibrated_results_equal_across_schedulers(model):
    settings = {
        "n_cases": 66,
        "n_controls": 134,
        "n_replicates": 40,
        "chunk_size": 20,
        "seed": 9,
        "progress": False,
    }
    local = simulate_pipeline(model, n_workers=1, **settings)
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        on_dask = simulate_pipeline(model, scheduler=client, **settings)
    pd.testing.assert_frame_equal(local, on_dask, check_exact=True)


def test_structure_is_checked(study):
    with pytest.raises(ValueError, match="structure"):
        model_from_study(study, structure="copula")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="correlation_scale"):
        model_from_study(study, correlation_scale=0.5)
    with pytest.raises(ValueError, match="correlation"):
        model_from_study(study, structure="calibrated", correlation=0.2)


def test_frequency_weights_equal_duplicated_rows():
    from neok2.stats.logistic_many import fit_logistic_many

    X = np.column_stack([np.ones(6), [0, 0, 1, 1, 1, 0]])
    y = np.array([0, 1, 1, 1, 0, 0.0])
    doubled = fit_logistic_many(np.vstack([X, X]), np.concatenate([y, y]))
    weighted = fit_logistic_many(X, y, weights=np.full(6, 2.0))
    np.testing.assert_allclose(weighted.coef, doubled.coef, rtol=1e-10)
    np.testing.assert_allclose(weighted.cov, doubled.cov, rtol=1e-8)
    # 2 of 3 exposed are cases, 1 of 3 unexposed: log OR = log 4 (hand calculation).
    assert weighted.coef[0, 1] == pytest.approx(np.log(4.0), abs=1e-10)


def test_model_check_recovers_the_true_odds_ratios(study, model):
    check = model_check(model, study)
    adjusted = check[check["quantity"] == "adjusted_odds_ratio"]
    np.testing.assert_allclose(adjusted["implied"], adjusted["published"], rtol=1e-6)


def test_a_factor_of_several_levels_is_named_with_its_level_count():
    # birthwt prints race as White, Black and Other: three levels, no single summary row
    from neok2.stats.calibrated_model import study_margins
    from neok2.study.spec import load_study

    with pytest.raises(ValueError, match=r"'race' is a factor of 3 levels"):
        study_margins(load_study("birthwt"))
