"""Tests for neok2.stats.selection (screen, stepwise, bootstrap) and the ``neok2 screen`` command.

Reference values come from R (tests/reference/logistic.R: glm, step, drop1, add1; outputs
checked in as CSV).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from neok2.cli.app import main
from neok2.stats.bootstrap import screen_resamples
from neok2.stats.selection import bootstrap_inclusion, screen_and_fit, stepwise

REFERENCE = Path(__file__).parent / "reference"
CANDIDATES = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui"]
STEP_CANDIDATES = [*CANDIDATES, "ftv"]
STRICT = 1e-6


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "birthwt.csv")
    # a categorical keeps R's level order, so level 1 (white) is the reference as in R
    data["race"] = pd.Categorical(data["race"])
    return data


@pytest.fixture(scope="module")
def r_coefficients() -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / "logistic_birthwt_coefficients.csv")
    table["term"] = table["term"].replace({"race2": "race[T.2]", "race3": "race[T.3]"})
    return table


@pytest.fixture(scope="module")
def r_models() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "logistic_birthwt_models.csv").set_index("model")


@pytest.fixture(scope="module")
def screened(birthwt):
    return screen_and_fit(birthwt, "low", CANDIDATES)


@pytest.fixture(scope="module")
def endometrial() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "endometrial.csv")


def _r_screen_p_values(r_coefficients, r_models) -> dict[str, float]:
    """Univariable screening p-values from R: Wald p, or the 2-df LRT of race."""
    p_values = {}
    for variable in CANDIDATES:
        if variable == "race":
            model = r_models.loc["race"]
            statistic = model["null_deviance"] - model["deviance"]
            p_values[variable] = float(stats.chi2.sf(statistic, 2))
        else:
            rows = r_coefficients[r_coefficients["model"] == variable].set_index("term")
            p_values[variable] = float(rows.loc[variable, "wald_p_value"])
    return p_values


# ----------------------------------------------------------------------------- screen


class TestScreenAndFit:
    def test_selection_log_matches_r_univariable_p_values(self, screened, r_coefficients, r_models):
        log = screened.selection_log.set_index("variable")
        expected = _r_screen_p_values(r_coefficients, r_models)
        np.testing.assert_allclose(log["p_value"], [expected[v] for v in CANDIDATES], rtol=STRICT)
        # R: age p = 0.1045 is the only candidate at or above 0.1
        assert screened.selected == ("lwt", "race", "smoke", "ptl", "ht", "ui")
        assert log.loc["age", "reason"] == "p = 0.1045, not below 0.1"
        assert log.loc["ptl", "reason"] == "p = 0.0115, below 0.1"

    def test_side_by_side_table_matches_r(self, screened, r_coefficients):
        table = screened.table().set_index("term")
        uni = pd.concat(
            r_coefficients[r_coefficients["model"] == v].set_index("term").drop("(Intercept)")
            for v in CANDIDATES
        )
        np.testing.assert_allclose(table["or_univariable"], np.exp(uni["estimate"]), rtol=STRICT)
        np.testing.assert_allclose(
            table["ci_low_univariable"], np.exp(uni["wald_low"]), rtol=STRICT
        )
        multi = r_coefficients[r_coefficients["model"] == "screened"].set_index("term")
        chosen = table[table["selected"]]
        np.testing.assert_allclose(
            chosen["or_multivariable"], np.exp(multi.loc[chosen.index, "estimate"]), rtol=STRICT
        )
        np.testing.assert_allclose(
            chosen["ci_high_multivariable"],
            np.exp(multi.loc[chosen.index, "wald_high"]),
            rtol=STRICT,
        )
        np.testing.assert_allclose(
            chosen["p_multivariable"], multi.loc[chosen.index, "wald_p_value"], rtol=STRICT
        )
        assert table.loc["age", ["or_multivariable", "p_multivariable"]].isna().all()
        assert list(screened.table().columns[:7]) == [
            "variable",
            "term",
            "or_univariable",
            "ci_low_univariable",
            "ci_high_univariable",
            "p_univariable",
            "selected",
        ]
        assert screened.tidy().equals(screened.table())

    def test_models_are_kept(self, screened, r_models):
        assert screened.multivariable.aic == pytest.approx(r_models.loc["screened", "aic"])
        assert set(screened.univariable_models) == set(CANDIDATES)

    def test_input_order_is_kept(self, screened):
        assert list(screened.selection_log["variable"]) == CANDIDATES


class TestThreshold:
    def test_lower_threshold_selects_fewer(self, birthwt, r_coefficients, r_models):
        result = screen_and_fit(birthwt, "low", CANDIDATES, threshold=0.03)
        expected = _r_screen_p_values(r_coefficients, r_models)
        assert result.selected == tuple(v for v in CANDIDATES if expected[v] < 0.03)
        assert result.selected == ("lwt", "smoke", "ptl", "ui")

    def test_nothing_selected_gives_no_multivariable_model(self, birthwt):
        result = screen_and_fit(birthwt, "low", ["age", "ftv"], threshold=0.05)
        assert result.multivariable is None and result.selected == ()
        assert result.table()["or_multivariable"].isna().all()
        assert "Univariable" in result.to_gt().as_raw_html()

    @pytest.mark.parametrize("threshold", [0, 1.5, -0.1])
    def test_out_of_range_errors_properly(self, birthwt, threshold):
        with pytest.raises(ValueError, match=r"`threshold` must lie in \(0, 1\]"):
            screen_and_fit(birthwt, "low", CANDIDATES, threshold=threshold)

    def test_non_number_errors_properly(self, birthwt):
        with pytest.raises(TypeError, match="`threshold` must be a number"):
            screen_and_fit(birthwt, "low", CANDIDATES, threshold="0.1")  # type: ignore[arg-type]


class TestScreenCi:
    def test_profile_screen_uses_likelihood_ratio_p_values(self, birthwt, r_coefficients):
        result = screen_and_fit(birthwt, "low", ["age", "smoke"], ci="profile")
        for variable in ("age", "smoke"):
            rows = r_coefficients[r_coefficients["model"] == variable].set_index("term")
            p_value = result.selection_log.set_index("variable").loc[variable, "p_value"]
            assert p_value == pytest.approx(rows.loc[variable, "lrt_p_value"], rel=STRICT)


class TestScreenFirth:
    def test_separated_candidate_gets_firth_and_a_note(self, endometrial):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = screen_and_fit(endometrial, "HG", ["NV", "PI", "EH"])
            html = result.to_gt().as_raw_html()
        table = result.table().set_index("term")
        assert result.selected == ("NV", "EH")
        assert result.univariable_models["NV"].firth and result.multivariable.firth
        assert table.loc["NV", "note"].startswith("univariable: Firth estimate")
        assert np.isfinite(table[["or_univariable", "ci_high_univariable"]].to_numpy()).all()
        assert "inf" not in html.lower()

    def test_firth_false_leaves_separated_candidate_out_with_reason(self, endometrial):
        result = screen_and_fit(endometrial, "HG", ["NV", "PI", "EH"], firth=False)
        log = result.selection_log.set_index("variable")
        assert not log.loc["NV", "selected"]
        assert log.loc["NV", "reason"].startswith("not estimable: quasi-complete separation")
        assert result.selected == ("EH",)


class TestScreenToGt:
    def test_labels_and_spanners(self, screened):
        html = screened.to_gt(labels={"ht": "Hypertension", "race": "Race"}).as_raw_html()
        assert "Hypertension" in html and "Race: 2" in html
        assert "Univariable" in html and "Multivariable" in html
        # R: ht univariable OR exp(1.2135) = 3.37, Wald CI 1.02-11.09
        assert "3.37 (1.02-11.09)" in html


class TestScreenCandidates:
    def test_unknown_candidate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"unknown column\(s\) \['weight'\]"):
            screen_and_fit(birthwt, "low", ["age", "weight"])

    def test_outcome_as_candidate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="cannot also be a candidate"):
            screen_and_fit(birthwt, "low", ["low", "age"])

    def test_non_binary_outcome_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="outcome `ftv` must be binary"):
            screen_and_fit(birthwt, "ftv", ["age"])


# ----------------------------------------------------------------------------- stepwise


@pytest.fixture(scope="module")
def r_steps() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "logistic_birthwt_step.csv")


@pytest.fixture(scope="module")
def r_step_lrt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "logistic_birthwt_step_lrt.csv")


class TestStepwiseDirection:
    @pytest.mark.parametrize("direction", ["backward", "forward"])
    def test_aic_path_matches_r_step(self, birthwt, r_steps, direction):
        result = stepwise(birthwt, "low", STEP_CANDIDATES, direction=direction)
        reference = r_steps[r_steps["direction"] == direction].reset_index(drop=True)
        sign = "-" if direction == "backward" else "+"
        labels = [
            "" if action == "start" else f"{sign} {variable}"
            for action, variable in zip(
                result.steps["action"], result.steps["variable"], strict=True
            )
        ]
        assert labels == list(reference["label"].fillna(""))
        np.testing.assert_allclose(result.steps["aic"], reference["aic"], rtol=1e-9)
        np.testing.assert_allclose(result.steps["criterion_value"], reference["aic"], rtol=1e-9)
        moved = reference.iloc[1:]
        expected_p = stats.chi2.sf(moved["deviance"].abs(), moved["df"].abs())
        np.testing.assert_allclose(result.steps["p_value"].iloc[1:], expected_p, rtol=1e-6)
        assert result.model.aic == pytest.approx(reference["aic"].iloc[-1], rel=1e-9)
        assert result.selected == ("lwt", "race", "smoke", "ptl", "ht", "ui")

    def test_unknown_direction_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`direction` must be 'backward' or 'forward'"):
            stepwise(birthwt, "low", CANDIDATES, direction="both")  # type: ignore[arg-type]


class TestStepwiseCriterion:
    def test_backward_lrt_removes_the_largest_r_drop1_p_until_all_below(self, birthwt, r_step_lrt):
        result = stepwise(birthwt, "low", STEP_CANDIDATES, criterion="lrt", threshold=0.05)
        drops = r_step_lrt[r_step_lrt["kind"] == "drop1"]
        models = list(dict.fromkeys(drops["model"]))
        removed = list(result.steps["variable"].iloc[1:])
        assert removed == ["ftv", "age", "ptl"]
        for model, variable, p_value in zip(
            models, removed, result.steps["p_value"].iloc[1:], strict=False
        ):
            tests = drops[drops["model"] == model].set_index("term")["p_value"]
            assert tests.idxmax() == variable
            assert p_value == pytest.approx(tests.max(), rel=1e-6)
        last = drops[drops["model"] == models[-1]]["p_value"]
        assert (last < 0.05).all()  # R: nothing left above the threshold, so it stops
        assert result.selected == ("lwt", "race", "smoke", "ht", "ui")
        assert (
            result.steps["criterion_value"].iloc[1:].tolist()
            == result.steps["p_value"].iloc[1:].tolist()
        )

    def test_forward_lrt_adds_the_smallest_r_add1_p_while_below(self, birthwt, r_step_lrt):
        result = stepwise(
            birthwt, "low", STEP_CANDIDATES, direction="forward", criterion="lrt", threshold=0.05
        )
        adds = r_step_lrt[r_step_lrt["kind"] == "add1"]
        models = list(dict.fromkeys(adds["model"]))
        added = list(result.steps["variable"].iloc[1:])
        assert added == ["ptl", "lwt", "ht"]
        for model, variable, p_value in zip(
            models, added, result.steps["p_value"].iloc[1:], strict=False
        ):
            tests = adds[adds["model"] == model].set_index("term")["p_value"]
            assert tests.idxmin() == variable
            assert p_value == pytest.approx(tests.min(), rel=1e-6)
        assert adds[adds["model"] == models[-1]]["p_value"].min() > 0.05

    def test_unknown_criterion_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`criterion` must be 'aic' or 'lrt'"):
            stepwise(birthwt, "low", CANDIDATES, criterion="bic")  # type: ignore[arg-type]


class TestStepwiseData:
    def test_missing_rows_are_counted_once_for_every_model(self):
        data = pd.read_csv(REFERENCE / "logistic_birthwt_missing.csv")
        result = stepwise(data, "low", ["age", "lwt", "smoke"])
        assert result.n_missing == 3 and result.model.n == 186

    def test_separated_start_model_errors_properly(self, endometrial):
        with pytest.raises(ValueError, match=r"starting model .* is not estimable.*screen_and_fit"):
            stepwise(endometrial, "HG", ["NV", "PI", "EH"])


# ----------------------------------------------------------------------------- bootstrap


class TestBootstrapSeed:
    def test_same_seed_same_frequencies(self, birthwt):
        first = bootstrap_inclusion(birthwt, "low", ["age", "smoke", "ht"], n_boot=8, seed=7)
        second = bootstrap_inclusion(birthwt, "low", ["age", "smoke", "ht"], n_boot=8, seed=7)
        pd.testing.assert_frame_equal(first, second)

    def test_one_replicate_is_the_procedure_on_the_seeded_resample(self, birthwt):
        table = bootstrap_inclusion(birthwt, "low", CANDIDATES, n_boot=1, seed=11)
        rows = np.random.default_rng(11).integers(0, len(birthwt), size=len(birthwt))
        expected = screen_and_fit(birthwt.iloc[rows].reset_index(drop=True), "low", CANDIDATES)
        chosen = table.loc[table["n_selected"] == 1, "variable"]
        assert tuple(chosen) == expected.selected

    def test_generator_is_accepted(self, birthwt):
        table = bootstrap_inclusion(
            birthwt, "low", ["smoke"], n_boot=2, seed=np.random.default_rng(3)
        )
        assert table["n_valid"].item() == 2

    def test_bad_seed_errors_properly(self, birthwt):
        with pytest.raises(TypeError, match="`seed` must be a non-negative integer or a numpy"):
            bootstrap_inclusion(birthwt, "low", ["smoke"], n_boot=2, seed="x")  # type: ignore[arg-type]


class TestBootstrapProcedure:
    def test_backward_procedure_counts_final_models(self, birthwt):
        table = bootstrap_inclusion(
            birthwt, "low", ["age", "smoke", "ht"], procedure="backward", n_boot=3, seed=5
        )
        assert table["n_valid"].eq(3).all()
        assert table["inclusion_frequency"].between(0, 1).all()
        np.testing.assert_allclose(table["inclusion_frequency"], table["n_selected"] / 3)

    def test_unknown_procedure_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`procedure` must be 'screen' or 'backward'"):
            bootstrap_inclusion(birthwt, "low", ["smoke"], procedure="lasso", seed=1)  # type: ignore[arg-type]


class TestBootstrapNBoot:
    def test_failed_resamples_are_counted_not_dropped(self):
        # one exposed row in 30: most resamples of 30 rows miss it (P = (29/30)^30 = 0.36)
        # or contain it, so some replicates have a constant covariate and fail
        data = pd.DataFrame(
            {"case": [1, 0] * 15, "rare": [1] + [0] * 29, "x": np.linspace(0, 1, 30)}
        )
        table = bootstrap_inclusion(data, "case", ["rare", "x"], n_boot=12, seed=2)
        assert table["n_failed"].iloc[0] > 0
        assert (table["n_valid"] + table["n_failed"]).eq(12).all()

    @pytest.mark.parametrize(
        ("n_boot", "error"), [(0, ValueError), (-3, ValueError), (2.5, TypeError)]
    )
    def test_bad_n_boot_errors_properly(self, birthwt, n_boot, error):
        with pytest.raises(error, match="`n_boot` must be a positive integer"):
            bootstrap_inclusion(birthwt, "low", ["smoke"], n_boot=n_boot, seed=1)


class TestBootstrapFirth:
    def test_bad_firth_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`firth` must be 'auto', True or False"):
            bootstrap_inclusion(birthwt, "low", ["smoke"], n_boot=2, seed=1, firth="yes")  # type: ignore[arg-type]

    def test_firth_false_never_selects_a_separated_candidate(self, screen_data):
        # `rare` is 1 for three cases only: every resample that draws it is separated
        table = bootstrap_inclusion(
            screen_data, "low", ["smoke", "rare"], n_boot=10, seed=4, firth=False
        )
        assert table.set_index("variable").loc["rare", "n_selected"] == 0


class TestBootstrapOutcome:
    def test_text_outcome_errors_properly(self, birthwt):
        data = birthwt.assign(group=np.where(birthwt["low"] == 1, "case", "control"))
        with pytest.raises(ValueError, match="outcome `group` must be binary"):
            bootstrap_inclusion(data, "group", ["smoke"], n_boot=2, seed=1)


# ------------------------------------------------------- bootstrap fast path equivalence

SCREEN_CANDIDATES = ["age", "lwt", "smoke", "ptl", "ht", "ui", "ftv", "rare", "single"]


@pytest.fixture(scope="module")
def screen_data(birthwt) -> pd.DataFrame:
    """birthwt with every situation the screen meets on a resample.

    ``rare`` (three exposed cases) separates whenever it is drawn; ``single`` (one exposed
    case) is constant in about (188/189)^189 = 37% of resamples, which then fail; ``lwt`` and
    the outcome have missing values, so each model keeps its own complete rows.
    """
    data = birthwt.drop(columns=["race"]).copy()
    case_rows = data.index[data["low"] == 1]
    data["rare"] = 0
    data.loc[case_rows[:3], "rare"] = 1
    data["single"] = 0
    data.loc[case_rows[5], "single"] = 1
    data["lwt"] = data["lwt"].astype(float)
    data.loc[[3, 10, 40, 77], "lwt"] = np.nan
    data["low"] = data["low"].astype(float)
    data.loc[[5, 90], "low"] = np.nan
    return data


@pytest.fixture(scope="module")
def resamples(screen_data) -> np.ndarray:
    generator = np.random.default_rng(2024)
    size = len(screen_data)
    return np.stack([generator.integers(0, size, size=size) for _ in range(20)])


def _full_procedure(data, candidates, resamples, **options):
    """Per resample: selected flags and failure of screen_and_fit itself."""
    selected = np.zeros((len(resamples), len(candidates)), dtype=bool)
    failed = np.zeros(len(resamples), dtype=bool)
    for replicate, rows in enumerate(resamples):
        try:
            chosen = screen_and_fit(
                data.iloc[rows].reset_index(drop=True), "low", candidates, **options
            ).selected
        except ValueError:
            failed[replicate] = True
            continue
        selected[replicate] = [name in chosen for name in candidates]
    return selected, failed


class TestFastScreenEquivalence:
    @pytest.mark.parametrize(("firth", "n_resamples"), [("auto", 20), (True, 8), (False, 8)])
    def test_decisions_equal_screen_and_fit(self, screen_data, resamples, firth, n_resamples):
        rows = resamples[:n_resamples]
        selected, failed = screen_resamples(
            screen_data, "low", SCREEN_CANDIDATES, rows, threshold=0.1, firth=firth
        )
        expected_selected, expected_failed = _full_procedure(
            screen_data, SCREEN_CANDIDATES, rows, threshold=0.1, firth=firth
        )
        np.testing.assert_array_equal(failed, expected_failed)
        np.testing.assert_array_equal(selected, expected_selected)
        # the comparison covers failed and valid resamples and a selected separated candidate
        assert failed.any() and not failed.all()
        if firth is not False:
            assert selected[:, SCREEN_CANDIDATES.index("rare")].any()

    def test_threshold_equal_to_a_p_value_is_not_passed(self, screen_data, resamples):
        # p < threshold is false when p equals it; batch rounding must not flip that
        rows = resamples[:1]
        sample = screen_data.iloc[rows[0]].reset_index(drop=True)
        log = screen_and_fit(sample, "low", ["age", "lwt"]).selection_log
        threshold = float(log.set_index("variable").loc["lwt", "p_value"])
        selected, failed = screen_resamples(
            screen_data, "low", ["age", "lwt"], rows, threshold=threshold, firth="auto"
        )
        expected_selected, _ = _full_procedure(
            screen_data, ["age", "lwt"], rows, threshold=threshold
        )
        assert not failed.any() and not selected[0, 1]
        np.testing.assert_array_equal(selected, expected_selected)

    def test_aliased_multivariable_design_fails_the_resample(self, screen_data, resamples):
        # two copies of smoke pass the screen together, so the multivariable design is rank
        # deficient and screen_and_fit raises; when they do not pass, the resample is valid
        data = screen_data.assign(smoke_again=screen_data["smoke"])
        candidates = ["smoke", "smoke_again"]
        rows = resamples[:12]
        selected, failed = screen_resamples(
            data, "low", candidates, rows, threshold=0.05, firth="auto"
        )
        expected_selected, expected_failed = _full_procedure(data, candidates, rows, threshold=0.05)
        np.testing.assert_array_equal(failed, expected_failed)
        np.testing.assert_array_equal(selected, expected_selected)
        assert failed.any() and not failed.all()

    def test_seeded_counts_equal_the_procedure_on_each_resample(self, screen_data):
        candidates = ["age", "lwt", "smoke", "ht", "rare"]
        table = bootstrap_inclusion(screen_data, "low", candidates, n_boot=4, seed=13)
        generator = np.random.default_rng(13)
        size = len(screen_data)
        rows = np.stack([generator.integers(0, size, size=size) for _ in range(4)])
        selected, failed = _full_procedure(screen_data, candidates, rows, threshold=0.1)
        assert table["n_failed"].iloc[0] == failed.sum()
        assert table["n_selected"].tolist() == selected.sum(axis=0).tolist()

    def test_factor_candidate_is_screened_by_its_likelihood_ratio_test(self, birthwt):
        # race (a 3-level categorical) is fitted per resample with its 2-df LRT; the
        # multivariable design of a set holding it is built per resample as well
        candidates = ["age", "lwt", "race", "smoke", "ht"]
        generator = np.random.default_rng(8)
        size = len(birthwt)
        rows = np.stack([generator.integers(0, size, size=size) for _ in range(6)])
        selected, failed = screen_resamples(
            birthwt, "low", candidates, rows, threshold=0.1, firth="auto"
        )
        expected_selected, expected_failed = _full_procedure(
            birthwt, candidates, rows, threshold=0.1
        )
        np.testing.assert_array_equal(failed, expected_failed)
        np.testing.assert_array_equal(selected, expected_selected)
        assert selected[:, candidates.index("race")].any()

    def test_infinite_values_take_the_reference_path(self, screen_data):
        # the reference fit of an infinite covariate raises, so every resample drawing the
        # infinite row fails; the batch cannot take infinite patterns
        data = screen_data.assign(age=screen_data["age"].where(screen_data.index != 0, np.inf))
        rows = np.stack([np.arange(len(data)), np.arange(1, len(data) + 1) % len(data)])
        rows[1, rows[1] == 0] = 1
        selected, failed = screen_resamples(
            data, "low", ["age", "smoke"], rows, threshold=0.1, firth="auto"
        )
        expected_selected, expected_failed = _full_procedure(
            data, ["age", "smoke"], rows, threshold=0.1
        )
        np.testing.assert_array_equal(failed, expected_failed)
        np.testing.assert_array_equal(selected, expected_selected)


# ----------------------------------------------------------------------------- CLI


class TestScreenCommand:
    def test_writes_csv_selection_log_and_html(self, tmp_path):
        prefix = tmp_path / "out" / "screen"
        runner = CliRunner()
        outcome = runner.invoke(
            main,
            [
                "screen",
                "--no-validate",
                str(REFERENCE / "birthwt.csv"),
                "--outcome",
                "low",
                "--candidates",
                "age,lwt,smoke,ptl,ht,ui",
                "--out",
                str(prefix),
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        table = pd.read_csv(f"{prefix}.csv")
        log = pd.read_csv(f"{prefix}_selection.csv")
        assert list(log["variable"]) == ["age", "lwt", "smoke", "ptl", "ht", "ui"]
        assert list(log["selected"]) == [False, True, True, True, True, True]
        assert "or_multivariable" in table.columns
        assert "Multivariable" in Path(f"{prefix}.html").read_text(encoding="utf-8")
        assert "selected: lwt, smoke, ptl, ht, ui" in outcome.output

    def test_prints_table_without_out(self):
        outcome = CliRunner().invoke(
            main,
            [
                "screen",
                "--no-validate",
                str(REFERENCE / "birthwt.csv"),
                "--outcome",
                "low",
                "--candidates",
                "smoke",
            ],
        )
        assert outcome.exit_code == 0
        # R: smoke OR 2.02 (Wald 1.08-3.78), p = 0.0276
        assert outcome.stdout.startswith("smoke: 2.02 (1.08-3.78) p=0.028")
        assert "was not validated" in outcome.stderr

    def test_separation_note_is_printed(self, tmp_path):
        outcome = CliRunner().invoke(
            main,
            [
                "screen",
                "--no-validate",
                str(REFERENCE / "endometrial.csv"),
                "--outcome",
                "HG",
                "--candidates",
                "NV,EH",
                "--out",
                str(tmp_path / "endo"),
            ],
        )
        assert outcome.exit_code == 0
        assert "quasi-complete separation on NV: Firth penalised likelihood used" in outcome.output

    def test_unknown_candidate_errors_properly(self):
        outcome = CliRunner().invoke(
            main,
            [
                "screen",
                "--no-validate",
                str(REFERENCE / "birthwt.csv"),
                "--outcome",
                "low",
                "--candidates",
                "age,weight",
            ],
        )
        assert outcome.exit_code == 2
        assert "neok2: error: unknown column(s) ['weight']" in outcome.output

    def test_refuses_to_overwrite_the_input(self, tmp_path):
        data = tmp_path / "study.csv"
        data.write_text((REFERENCE / "birthwt.csv").read_text())
        before = data.read_bytes()
        outcome = CliRunner().invoke(
            main,
            [
                "screen",
                "--no-validate",
                str(data),
                "--outcome",
                "low",
                "--candidates",
                "smoke",
                "--out",
                str(tmp_path / "study"),
            ],
        )
        assert outcome.exit_code == 2 and "would overwrite the input file" in outcome.output
        assert data.read_bytes() == before


def test_screen_bootstrap_in_blocks_of_resamples_gives_the_same_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Large data are resampled a block at a time; the draws and decisions must not change."""
    import neok2.stats.selection as selection

    rng = np.random.default_rng(8)
    data = pd.DataFrame({"sga": rng.integers(0, 2, 120), "male": rng.integers(0, 2, 120)})
    data["case"] = (rng.random(120) < 0.3 + 0.3 * data["sga"]).astype(int)
    whole = selection.bootstrap_inclusion(data, "case", ["sga", "male"], n_boot=23, seed=4)
    monkeypatch.setattr(selection, "_RESAMPLE_CELLS", 5 * len(data))  # blocks of 5 resamples
    blocked = selection.bootstrap_inclusion(data, "case", ["sga", "male"], n_boot=23, seed=4)
    pd.testing.assert_frame_equal(whole, blocked)
    assert 0 < whole["n_selected"].iloc[0] < 23  # the check is not vacuous


def test_row_counts_by_hand() -> None:
    from neok2.stats.bootstrap import row_counts

    # resample 1 draws row 0 twice and row 2 once; resample 2 draws rows 1, 1, 1
    counts = row_counts(np.array([[0, 2, 0], [1, 1, 1]]), 4)
    np.testing.assert_array_equal(counts, [[2, 0, 1, 0], [0, 3, 0, 0]])
    assert counts.dtype == float


def test_batched_screen_holds_few_resample_sized_arrays() -> None:
    # the R x n draw counts are the one resample-sized array the batched screen keeps; no
    # per-candidate copy or temporary of that size is made beside it (rows complete)
    import tracemalloc

    generator = np.random.default_rng(3)
    n_rows, n_resamples = 20_000, 10
    data = pd.DataFrame(
        {
            "case": generator.integers(0, 2, n_rows).astype(float),
            "exposed": generator.integers(0, 2, n_rows).astype(float),
            "score": np.round(generator.normal(size=n_rows), 1),
        }
    )
    resamples = generator.integers(0, n_rows, size=(n_resamples, n_rows))
    one_array = n_resamples * n_rows * 8
    tracemalloc.start()
    try:
        screen_resamples(data, "case", ["exposed", "score"], resamples, threshold=0.2, firth="auto")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * one_array, peak / one_array  # 5.5 arrays before, 2.3 now
