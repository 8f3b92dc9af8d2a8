"""Tests for neok2.stats.logistic: ML and Firth logistic regression, intervals, separation.

Reference values come from R (tests/reference/logistic.R and firth.R, outputs checked in as
CSV) and from hand calculations written out below.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from neok2.formatting import format_ci, format_odds_ratio
from neok2.stats import firth as _firth
from neok2.stats.logistic import INTERCEPT, logistic_regression, univariable

REFERENCE = Path(__file__).parent / "reference"
MULTIVARIABLE = "low ~ age + lwt + C(race) + smoke + ptl + ht + ui"
R_TO_FORMULAIC = {"race2": "C(race)[T.2]", "race3": "C(race)[T.3]"}
STRICT = 1e-6  # both sides converge to 1e-10 or better; agreement is limited by R's output


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "birthwt.csv")


@pytest.fixture(scope="module")
def r_coefficients() -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / "logistic_birthwt_coefficients.csv")
    table["term"] = table["term"].replace(R_TO_FORMULAIC)
    return table


@pytest.fixture(scope="module")
def r_models() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "logistic_birthwt_models.csv").set_index("model")


@pytest.fixture(scope="module")
def firth_reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "firth_coefficients.csv")


@pytest.fixture(scope="module")
def endometrial() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "endometrial.csv")


@pytest.fixture(scope="module")
def profile_fit(birthwt: pd.DataFrame):
    return logistic_regression(birthwt, MULTIVARIABLE, ci="profile")


def _r_model(table: pd.DataFrame, model: str) -> pd.DataFrame:
    return table[table["model"] == model].set_index("term")


# ----------------------------------------------------------------------------- formula


class TestFormula:
    def test_estimates_and_wald_match_r_glm(self, birthwt, r_coefficients):
        tidy = logistic_regression(birthwt, MULTIVARIABLE).tidy().set_index("term")
        reference = _r_model(r_coefficients, "multivariable")
        assert list(tidy.index) == list(reference.index)
        for column, r_column in [("estimate", "estimate"), ("std_error", "std_error")]:
            np.testing.assert_allclose(tidy[column], reference[r_column], rtol=STRICT)
        np.testing.assert_allclose(tidy["ci_low"], np.exp(reference["wald_low"]), rtol=STRICT)
        np.testing.assert_allclose(tidy["ci_high"], np.exp(reference["wald_high"]), rtol=STRICT)
        np.testing.assert_allclose(tidy["p_value"], reference["wald_p_value"], rtol=STRICT)
        np.testing.assert_allclose(tidy["odds_ratio"], np.exp(reference["estimate"]), rtol=STRICT)
        assert set(tidy["ci_method"]) == {"wald"} and set(tidy["p_method"]) == {"wald"}

    def test_model_summaries_match_r(self, birthwt, r_models):
        result = logistic_regression(birthwt, MULTIVARIABLE)
        reference = r_models.loc["multivariable"]
        assert (result.n, result.events, result.n_missing) == (189, 59, 0)
        for name in ("loglik", "aic", "deviance", "null_deviance"):
            assert getattr(result, name) == pytest.approx(reference[name], rel=1e-9)
        assert result.converged and result.separation is None and not result.firth

    def test_variable_column_names_the_data_column(self, birthwt):
        tidy = logistic_regression(birthwt, MULTIVARIABLE).tidy()
        assert tidy.loc[tidy["term"] == "C(race)[T.3]", "variable"].item() == "race"
        assert tidy.loc[tidy["term"] == INTERCEPT, "variable"].item() == INTERCEPT

    def test_intercept_row_can_be_left_out(self, birthwt):
        tidy = logistic_regression(birthwt, "low ~ smoke").tidy(intercept=False)
        assert list(tidy["term"]) == ["smoke"]

    def test_text_covariate_becomes_treatment_coded_factor(self, birthwt):
        labelled = birthwt.assign(race=birthwt["race"].map({1: "a_white", 2: "black", 3: "other"}))
        tidy = logistic_regression(labelled, "low ~ race").tidy(intercept=False)
        assert list(tidy["term"]) == ["race[T.black]", "race[T.other]"]

    def test_unparsable_formula_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`formula` 'low ~ age \\+' does not parse"):
            logistic_regression(birthwt, "low ~ age +")

    def test_formula_without_outcome_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="needs an outcome"):
            logistic_regression(birthwt, "age + lwt")

    def test_transformed_outcome_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="left-hand side must be one 0/1 column"):
            logistic_regression(birthwt, "I(bwt / 2500) ~ age")

    def test_unknown_column_in_formula_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"unknown column\(s\) \['weight'\] in `formula`"):
            logistic_regression(birthwt, "low ~ age + weight")

    def test_unknown_outcome_in_formula_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"unknown column\(s\) \['lbw'\]"):
            logistic_regression(birthwt, "lbw ~ age")

    def test_non_string_formula_errors_properly(self, birthwt):
        with pytest.raises(TypeError, match="`formula` must be a string"):
            logistic_regression(birthwt, 42)  # type: ignore[arg-type]


class TestOutcomeCovariates:
    def test_same_fit_as_the_formula(self, birthwt, r_coefficients):
        tidy = logistic_regression(birthwt, outcome="low", covariates=["age", "smoke"]).tidy()
        formula = logistic_regression(birthwt, "low ~ age + smoke").tidy()
        pd.testing.assert_frame_equal(tidy, formula)

    def test_univariable_model_matches_r(self, birthwt, r_coefficients):
        tidy = logistic_regression(birthwt, outcome="low", covariates=["lwt"]).tidy()
        reference = _r_model(r_coefficients, "lwt")
        np.testing.assert_allclose(tidy["estimate"], reference["estimate"], rtol=STRICT)

    def test_column_names_needing_quotes_work(self, birthwt):
        renamed = birthwt.rename(columns={"smoke": "smoked in pregnancy"})
        tidy = logistic_regression(
            renamed, outcome="low", covariates=["smoked in pregnancy"]
        ).tidy()
        assert tidy["term"].iloc[1] == "smoked in pregnancy"

    def test_empty_covariates_fit_the_null_model(self, birthwt, r_models):
        result = logistic_regression(birthwt, outcome="low", covariates=[])
        assert result.deviance == pytest.approx(r_models.loc["age", "null_deviance"], rel=1e-9)

    def test_unknown_covariate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"unknown column\(s\) \['weight'\]"):
            logistic_regression(birthwt, outcome="low", covariates=["weight"])

    def test_formula_and_covariates_together_error_properly(self, birthwt):
        with pytest.raises(ValueError, match="either `formula` or `outcome`"):
            logistic_regression(birthwt, "low ~ age", outcome="low", covariates=["age"])

    def test_neither_formula_nor_outcome_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="give a `formula`"):
            logistic_regression(birthwt)

    def test_covariates_as_string_errors_properly(self, birthwt):
        with pytest.raises(TypeError, match="`covariates` must be a list"):
            logistic_regression(birthwt, outcome="low", covariates="age")  # type: ignore[arg-type]

    def test_outcome_among_covariates_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="cannot also be a covariate"):
            logistic_regression(birthwt, outcome="low", covariates=["low"])

    def test_duplicate_covariate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="lists a column twice"):
            logistic_regression(birthwt, outcome="low", covariates=["age", "age"])


class TestData:
    def test_non_dataframe_errors_properly(self):
        with pytest.raises(TypeError, match="`data` must be a pandas DataFrame"):
            logistic_regression({"y": [0, 1]}, "y ~ x")  # type: ignore[arg-type]

    def test_outcome_with_three_values_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="outcome `race` must be binary"):
            logistic_regression(birthwt, "race ~ age")

    def test_text_outcome_errors_properly(self, birthwt):
        labelled = birthwt.assign(group=np.where(birthwt["low"] == 1, "case", "control"))
        with pytest.raises(ValueError, match=r"must be binary.*recode it"):
            logistic_regression(labelled, "group ~ age")

    def test_boolean_outcome_is_accepted(self, birthwt):
        flagged = birthwt.assign(low=birthwt["low"].astype(bool))
        assert logistic_regression(flagged, "low ~ age").events == 59

    def test_one_outcome_group_errors_properly(self, birthwt):
        controls = birthwt[birthwt["low"] == 0]
        with pytest.raises(ValueError, match=r"has one value only .* needs both cases"):
            logistic_regression(controls, "low ~ age")

    def test_constant_covariate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"covariate `one` is constant.*remove it"):
            logistic_regression(birthwt.assign(one=1), "low ~ age + one")

    def test_all_missing_column_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="column `blank` is entirely missing"):
            logistic_regression(birthwt.assign(blank=np.nan), "low ~ age + blank")

    def test_all_missing_outcome_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="outcome column `low` is entirely missing"):
            logistic_regression(birthwt.assign(low=np.nan), "low ~ age")

    def test_rank_deficient_design_errors_properly(self, birthwt):
        doubled = birthwt.assign(age_again=2 * birthwt["age"])
        with pytest.raises(ValueError, match=r"\['age_again'\] are linear combinations"):
            logistic_regression(doubled, "low ~ age + age_again")

    def test_too_few_rows_errors_properly(self):
        tiny = pd.DataFrame({"y": [0, 1], "x": [1.0, 2.0]})
        with pytest.raises(ValueError, match="2 complete rows cannot estimate 2 coefficients"):
            logistic_regression(tiny, "y ~ x")

    @pytest.mark.parametrize("path", ["formula", "covariates"])
    @pytest.mark.parametrize("value", [np.inf, -np.inf])
    def test_infinite_covariate_errors_properly(self, path, value):
        # The reported reproducer: infinity used to pass as a "rank deficient" design.
        data = pd.DataFrame({"case": [0, 1] * 5, "z": [value, *range(2, 11)]})
        data.loc[6, "z"] = value
        arguments = (
            {"formula": "case ~ z"}
            if path == "formula"
            else {"outcome": "case", "covariates": ["z"]}
        )
        with pytest.raises(
            ValueError,
            match=r"column 'z' holds non-finite values \(inf or "
            r"-inf\) in row\(s\) 0, 6; replace them .* or with NaN",
        ):
            logistic_regression(data, **arguments)

    def test_infinity_made_by_the_formula_errors_properly(self, birthwt):
        # 159 of the 189 mothers had no premature labour (R: table(MASS::birthwt$ptl) gives
        # 159, 24, 5, 1), so log(ptl) is -inf in 159 rows: the first five are shown.
        expected = (
            r"model column `np.log\(ptl\)` is not finite in row\(s\) 0, 1, 2, 3, 4 and "
            r"154 more; the transformation is undefined there"
        )
        with np.errstate(divide="ignore"), pytest.raises(ValueError, match=expected):
            logistic_regression(birthwt, "low ~ np.log(ptl)", allow_formula_code=True)
        # Without the opt-in the same formula is refused before anything is evaluated, and
        # the checked grammar's own arithmetic reaches the same check (1/0 is inf in 159 rows).
        with pytest.raises(ValueError, match=r"`np.log\(` calls a function"):
            logistic_regression(birthwt, "low ~ np.log(ptl)")
        expected = r"model column `I\(1 / ptl\)` is not finite in row\(s\) 0, 1, 2, 3, 4 and 154"
        with np.errstate(divide="ignore"), pytest.raises(ValueError, match=expected):
            logistic_regression(birthwt, "low ~ I(1 / ptl)")

    @pytest.mark.parametrize("path", ["formula", "covariates"])
    def test_duplicated_column_name_errors_properly(self, birthwt, path):
        doubled = pd.concat([birthwt, birthwt[["age"]]], axis=1)
        arguments = (
            {"formula": "low ~ age + lwt"}
            if path == "formula"
            else {"outcome": "low", "covariates": ["age", "lwt"]}
        )
        with pytest.raises(
            ValueError,
            match=r"column name\(s\) \['age'\] appear more than "
            r"once in `data`.*rename or drop the duplicates",
        ):
            logistic_regression(doubled, **arguments)

    def test_duplicated_outcome_name_errors_properly(self, birthwt):
        doubled = pd.concat([birthwt, birthwt[["low"]]], axis=1)
        with pytest.raises(ValueError, match=r"\['low'\] appear more than once"):
            logistic_regression(doubled, "low ~ age")

    def test_duplicated_column_the_model_does_not_use_is_harmless(self, birthwt):
        doubled = pd.concat([birthwt, birthwt[["ftv"]]], axis=1)
        pd.testing.assert_frame_equal(
            logistic_regression(doubled, "low ~ age").tidy(),
            logistic_regression(birthwt, "low ~ age").tidy(),
        )

    def test_text_cell_in_numeric_column_errors_properly(self, birthwt):
        typed = birthwt.assign(lwt=birthwt["lwt"].astype(object))
        typed.loc[3, "lwt"] = "abc"
        typed.loc[[10, 11], "lwt"] = ["?", "1O5"]
        with pytest.raises(
            ValueError,
            match=r"column 'lwt' mixes numbers and text \(row 3: "
            r"'abc', row 10: '\?', row 11: '1O5'\); fix those cells, then make "
            r"the column numeric with pd.to_numeric",
        ):
            logistic_regression(typed, "low ~ age + lwt")

    def test_text_cell_in_numeric_string_column_errors_properly(self, birthwt):
        # Read as text, as a CSV column with a stray note would be.
        typed = birthwt.assign(age=birthwt["age"].astype(str))
        typed.loc[0, "age"] = "unknown"
        with pytest.raises(
            ValueError,
            match=r"column 'age' mixes numbers and text \(row 0: "
            r"'unknown'\)",
        ):
            logistic_regression(typed, "low ~ age")

    def test_text_categories_with_a_number_label_stay_a_factor(self, birthwt):
        # 67 of 189 values ("3") look like numbers: a minority, so this is a genuine factor
        # and fits the same model as C(race): same log-likelihood, one row per other level.
        labelled = birthwt.assign(race=birthwt["race"].map({1: "white", 2: "black", 3: "3"}))
        result = logistic_regression(labelled, "low ~ race")
        assert result.tidy(intercept=False)["term"].tolist() == ["race[T.black]", "race[T.white]"]
        assert result.loglik == pytest.approx(
            logistic_regression(birthwt, "low ~ C(race)").loglik, rel=1e-12
        )

    def test_text_column_half_numbers_stays_a_factor(self):
        # Exactly half the values parse as numbers: not "more than half", so still a factor.
        data = pd.DataFrame({"case": [1, 0, 0, 1, 1, 0, 1, 0, 0, 1], "g": ["1", "a"] * 5})
        table = logistic_regression(data, "case ~ g").tidy(intercept=False)
        # "1" rows hold 3 cases of 5, "a" rows 2 of 5: OR = (2/3) / (3/2) = 4/9.
        assert table["term"].tolist() == ["g[T.a]"]
        assert table["odds_ratio"].iloc[0] == pytest.approx(4.0 / 9.0, rel=1e-9)

    def test_input_is_not_modified(self, birthwt):
        before = birthwt.copy()
        logistic_regression(birthwt, MULTIVARIABLE)
        pd.testing.assert_frame_equal(birthwt, before)


class TestMissingRows:
    def test_missing_rows_are_counted_and_fit_matches_r_na_omit(self, r_coefficients, r_models):
        data = pd.read_csv(REFERENCE / "logistic_birthwt_missing.csv")
        result = logistic_regression(data, "low ~ age + lwt + smoke")
        reference = r_models.loc["missing"]
        assert (result.n, result.n_missing) == (reference["n"], reference["n_missing"]) == (186, 3)
        tidy = result.tidy().set_index("term")
        np.testing.assert_allclose(
            tidy["estimate"], _r_model(r_coefficients, "missing")["estimate"], rtol=STRICT
        )
        assert set(tidy["n_missing"]) == {3}
        assert result.null_deviance == pytest.approx(reference["null_deviance"], rel=1e-9)

    @pytest.mark.parametrize("nullable", ["Int64", "Float64"])
    def test_nullable_columns_with_na_match_r_na_omit(self, r_coefficients, nullable):
        data = pd.read_csv(REFERENCE / "logistic_birthwt_missing.csv")
        data = data.astype({"age": nullable, "lwt": nullable, "low": "Int64"})
        result = logistic_regression(data, outcome="low", covariates=["age", "lwt", "smoke"])
        assert (result.n, result.n_missing) == (186, 3)
        np.testing.assert_allclose(
            result.tidy()["estimate"], _r_model(r_coefficients, "missing")["estimate"], rtol=STRICT
        )

    def test_missing_report_counts_each_column(self):
        data = pd.read_csv(REFERENCE / "logistic_birthwt_missing.csv")
        result = logistic_regression(data, "low ~ age + lwt + smoke")
        # age blank in rows 3, 10, 50 and lwt in row 10: 4 missing cells, 3 incomplete rows
        report = result.missing.set_index("variable")["n_missing"].to_dict()
        assert report == {"low": 0, "age": 3, "lwt": 1, "smoke": 0}
        assert "3 row(s) with missing values left out" in result.notes


# ----------------------------------------------------------------------------- ci


class TestCi:
    @pytest.mark.parametrize("model", ["multivariable", "age", "lwt", "race", "smoke", "ht"])
    def test_profile_intervals_match_exact_r_profile(self, birthwt, r_coefficients, model):
        formula = MULTIVARIABLE if model == "multivariable" else f"low ~ {model}"
        formula = formula.replace("~ race", "~ C(race)")
        tidy = logistic_regression(birthwt, formula, ci="profile").tidy().set_index("term")
        reference = _r_model(r_coefficients, model)
        np.testing.assert_allclose(
            np.log(tidy["ci_low"]), reference["profile_low_exact"], rtol=STRICT, atol=1e-9
        )
        np.testing.assert_allclose(
            np.log(tidy["ci_high"]), reference["profile_high_exact"], rtol=STRICT, atol=1e-9
        )
        np.testing.assert_allclose(tidy["p_value"], reference["lrt_p_value"], rtol=STRICT)

    def test_profile_intervals_agree_with_mass_confint(self, profile_fit, r_coefficients):
        # MASS interpolates a spline through a grid of profile points, so its printed bounds
        # carry an interpolation error of up to about 3e-4 relative; the exact roots above are
        # the tight check.
        tidy = profile_fit.tidy().set_index("term")
        reference = _r_model(r_coefficients, "multivariable")
        np.testing.assert_allclose(
            np.log(tidy["ci_low"]), reference["profile_low_mass"], rtol=2e-3, atol=5e-5
        )
        np.testing.assert_allclose(
            np.log(tidy["ci_high"]), reference["profile_high_mass"], rtol=2e-3, atol=5e-5
        )

    def test_profile_labels_methods(self, profile_fit):
        tidy = profile_fit.tidy()
        assert set(tidy["ci_method"]) == {"profile"} and set(tidy["p_method"]) == {"lrt"}
        assert profile_fit.ci_method == "profile"

    def test_unknown_ci_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"`ci` must be one of \['auto', 'wald', 'profile'\]"):
            logistic_regression(birthwt, "low ~ age", ci="score")  # type: ignore[arg-type]


class TestConfLevel:
    def test_wald_interval_at_90_percent(self, birthwt, r_coefficients):
        tidy = logistic_regression(birthwt, "low ~ smoke", conf_level=0.9).tidy()
        reference = _r_model(r_coefficients, "smoke").loc["smoke"]
        # hand calculation: exp(b -+ qnorm(0.95) * se) with R's b and se
        z = stats.norm.ppf(0.95)
        expected = np.exp(reference["estimate"] + np.array([-z, z]) * reference["std_error"])
        np.testing.assert_allclose(tidy.loc[1, ["ci_low", "ci_high"]], expected, rtol=STRICT)
        assert tidy["conf_level"].iloc[0] == 0.9

    @pytest.mark.parametrize("level", [0.0, 1.0, 95])
    def test_out_of_range_errors_properly(self, birthwt, level):
        with pytest.raises(ValueError, match="`conf_level` must lie strictly between 0 and 1"):
            logistic_regression(birthwt, "low ~ age", conf_level=level)

    def test_non_number_errors_properly(self, birthwt):
        with pytest.raises(TypeError, match="`conf_level` must be a number"):
            logistic_regression(birthwt, "low ~ age", conf_level="0.95")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- firth


class TestFirth:
    @pytest.mark.parametrize(
        ("dataset", "formula"),
        [
            ("endometrial", "HG ~ NV + PI + EH"),
            ("complete", "y ~ x + z"),
            ("zero_cell", "case ~ exposed"),
        ],
    )
    def test_profile_penalised_fit_matches_r(self, firth_reference, dataset, formula):
        files = {
            "endometrial": "endometrial.csv",
            "complete": "firth_complete.csv",
            "zero_cell": "firth_zero_cell.csv",
        }
        data = pd.read_csv(REFERENCE / files[dataset])
        result = logistic_regression(data, formula, ci="profile")
        tidy = result.tidy().set_index("term")
        reference = firth_reference[firth_reference["dataset"] == dataset].set_index("term")
        assert result.firth and tidy["firth"].all()
        np.testing.assert_allclose(tidy["estimate"], reference["estimate"], rtol=STRICT)
        np.testing.assert_allclose(tidy["std_error"], reference["std_error"], rtol=STRICT)
        np.testing.assert_allclose(np.log(tidy["ci_low"]), reference["profile_low"], rtol=1e-5)
        np.testing.assert_allclose(np.log(tidy["ci_high"]), reference["profile_high"], rtol=1e-5)
        np.testing.assert_allclose(tidy["p_value"], reference["p_value"], rtol=1e-5)
        assert result.penalised_loglik == pytest.approx(reference["penalised_loglik"].iloc[0])
        assert result.loglik == pytest.approx(reference["loglik"].iloc[0], rel=STRICT)
        assert set(tidy["ci_method"]) == {"penalised_profile"}
        assert set(tidy["p_method"]) == {"penalised_lrt"}

    def test_wald_intervals_use_the_penalised_estimates(self, endometrial, firth_reference):
        tidy = (
            logistic_regression(endometrial, "HG ~ NV + PI + EH", ci="wald")
            .tidy()
            .set_index("term")
        )
        reference = firth_reference[firth_reference["dataset"] == "endometrial"].set_index("term")
        np.testing.assert_allclose(np.log(tidy["ci_low"]), reference["wald_low"], rtol=STRICT)
        np.testing.assert_allclose(np.log(tidy["ci_high"]), reference["wald_high"], rtol=STRICT)

    def test_default_interval_under_automatic_firth_is_the_penalised_profile(
        self, endometrial, firth_reference
    ):
        # logistf's default: separation switches Firth on, and with it the profile interval
        result = logistic_regression(endometrial, "HG ~ NV + PI + EH")
        tidy = result.tidy().set_index("term")
        reference = firth_reference[firth_reference["dataset"] == "endometrial"].set_index("term")
        assert result.separation is not None and result.firth
        assert set(tidy["ci_method"]) == {"penalised_profile"}
        assert set(tidy["p_method"]) == {"penalised_lrt"}
        np.testing.assert_allclose(np.log(tidy["ci_low"]), reference["profile_low"], rtol=1e-5)
        np.testing.assert_allclose(np.log(tidy["ci_high"]), reference["profile_high"], rtol=1e-5)
        np.testing.assert_allclose(tidy["p_value"], reference["p_value"], rtol=1e-5)

    def test_endometrial_matches_heinze_schemper_2002(self, endometrial):
        # Heinze & Schemper (2002), table: NV 2.929 (profile 95% CI 0.609 to 7.855), p = 0.009
        tidy = logistic_regression(endometrial, "HG ~ NV + PI + EH", ci="profile").tidy()
        row = tidy.set_index("term").loc["NV"]
        assert round(row["estimate"], 3) == 2.929
        assert math.log(row["ci_low"]) == pytest.approx(0.609, abs=1e-3)
        assert math.log(row["ci_high"]) == pytest.approx(7.855, abs=1e-3)
        assert round(row["p_value"], 3) == 0.009

    def test_zero_cell_two_by_two_is_haldane_corrected(self):
        # A saturated 2x2 model: Firth's estimate equals adding 1/2 to every cell, so the odds
        # ratio is (10.5 * 20.5) / (0.5 * 5.5) = 215.25 / 2.75 = 78.2727...
        data = pd.read_csv(REFERENCE / "firth_zero_cell.csv")
        tidy = logistic_regression(data, "case ~ exposed").tidy(intercept=False)
        assert tidy["odds_ratio"].item() == pytest.approx(215.25 / 2.75, rel=1e-9)

    def test_firth_true_without_separation_is_flagged(self, birthwt):
        result = logistic_regression(birthwt, "low ~ smoke", firth=True)
        assert result.firth and result.separation is None
        assert result.notes == ("Firth penalised likelihood used",)
        # Firth shrinks towards zero: 2x2 with 1/2 added, smoke 30/74 cases, no smoke 29/115
        # -> log((30.5 * 86.5) / (44.5 * 29.5)) = 0.6965
        estimate = result.tidy(intercept=False)["estimate"].item()
        assert estimate == pytest.approx(math.log((30.5 * 86.5) / (44.5 * 29.5)), rel=1e-9)

    def test_auto_without_separation_is_ml(self, birthwt):
        assert not logistic_regression(birthwt, "low ~ smoke").firth

    def test_bad_firth_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match="`firth` must be 'auto', True or False"):
            logistic_regression(birthwt, "low ~ age", firth="yes")  # type: ignore[arg-type]


class TestSeparation:
    def test_endometrial_is_quasi_complete_on_nv(self, endometrial):
        result = logistic_regression(endometrial, "HG ~ NV + PI + EH")
        assert result.separation == "quasi-complete"
        assert result.separated_terms == ("NV",)
        assert result.notes == ("quasi-complete separation on NV: Firth penalised likelihood used",)
        assert result.tidy().set_index("term").loc["NV", "note"].startswith("Firth estimate")

    def test_r_ml_fit_diverges_exactly_on_the_flagged_term(self, endometrial):
        # R's glm, stopped after 25 and 50 iterations: NV keeps growing, the others settle.
        path = pd.read_csv(REFERENCE / "firth_endometrial_ml_divergence.csv").set_index("term")
        change = (path["iter50"] - path["iter25"]).abs()
        diverging = tuple(change[change > 1.0].index)
        assert diverging == logistic_regression(endometrial, "HG ~ NV + PI + EH").separated_terms

    def test_complete_separation_flags_every_direction(self):
        data = pd.read_csv(REFERENCE / "firth_complete.csv")
        result = logistic_regression(data, "y ~ x + z")
        assert result.separation == "complete"
        assert result.separated_terms == (INTERCEPT, "x", "z")

    def test_zero_cell_is_quasi_complete_on_the_exposure(self):
        data = pd.read_csv(REFERENCE / "firth_zero_cell.csv")
        result = logistic_regression(data, "case ~ exposed")
        assert (result.separation, result.separated_terms) == ("quasi-complete", ("exposed",))

    def test_no_separation_in_birthwt(self, birthwt):
        assert logistic_regression(birthwt, MULTIVARIABLE).separation is None

    def test_ml_score_certificate_agrees_with_the_linear_program(self, birthwt, monkeypatch):
        # a converged ML fit spares the LP only when it proves the same answer
        data = birthwt.dropna()
        X = np.column_stack([np.ones(len(data)), data[["age", "lwt", "smoke"]].to_numpy(float)])
        y = data["low"].to_numpy(float)
        fit = _firth.fit_logistic(X, y, firth=False)
        assert fit.converged
        solved = _firth.detect_separation(X, y)

        def no_solver(*arguments):
            raise AssertionError("the certificate should have answered without the LP")

        monkeypatch.setattr(_firth, "_linprog", no_solver)
        certified = _firth.detect_separation(X, y, ml_fit=fit)
        assert certified == solved == _firth.Separation(None, ())

    def test_converged_looking_fit_of_separated_data_still_runs_the_lp(self, endometrial):
        # a fit flagged converged far out along the separating direction has fitted
        # probabilities of 0 or 1, so its certificate fails and the LP decides
        X = np.column_stack([np.ones(len(endometrial)), endometrial[["NV", "PI", "EH"]]])
        y = endometrial["HG"].to_numpy(float)
        ml = _firth.fit_logistic(X, y, firth=False)
        forged = _firth.Fit(
            coefficients=ml.coefficients,
            covariance=ml.covariance,
            loglik=ml.loglik,
            objective=ml.objective,
            converged=True,
            iterations=ml.iterations,
        )
        separation = _firth.detect_separation(X, y, ml_fit=forged)
        assert (separation.kind, separation.infinite) == ("quasi-complete", (1,))

    def test_firth_false_gives_flagged_na_never_a_number(self, endometrial):
        result = logistic_regression(endometrial, "HG ~ NV + PI + EH", firth=False, ci="profile")
        tidy = result.tidy()
        numbers = tidy[["estimate", "std_error", "odds_ratio", "ci_low", "ci_high", "p_value"]]
        assert numbers.isna().all().all()
        assert (
            tidy.set_index("term").loc["NV", "note"] == "not estimable: quasi-complete separation"
        )
        assert "refit with firth=True" in result.notes[0]
        assert not result.converged and math.isnan(result.aic)
        assert {format_odds_ratio(v) for v in tidy["odds_ratio"]} == {"NA"}
        assert result.drop1()["p_value"].isna().all()

    @pytest.mark.parametrize("firth", ["auto", True, False])
    @pytest.mark.parametrize("ci", ["wald", "profile"])
    def test_no_warning_leaks_and_no_absurd_odds_ratio(self, endometrial, firth, ci):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = logistic_regression(endometrial, "HG ~ NV + PI + EH", firth=firth, ci=ci)
            tidy = result.tidy()
            html = result.to_gt().as_raw_html()
        shown = tidy[["odds_ratio", "ci_low", "ci_high"]].to_numpy()
        assert not np.isinf(shown).any()
        assert np.all(np.isnan(shown) | (shown < 1e4))
        assert "inf" not in html.lower()
        printed = [
            format_ci(lo, hi) for lo, hi in zip(tidy["ci_low"], tidy["ci_high"], strict=True)
        ]
        assert all("Inf" not in text for text in printed)


# ----------------------------------------------------------------------------- drop1


class TestDrop1:
    def test_matches_r_drop1_lrt(self, birthwt):
        reference = pd.read_csv(REFERENCE / "logistic_birthwt_drop1.csv")
        reference["term"] = reference["term"].replace({"race": "C(race)"})
        table = logistic_regression(birthwt, MULTIVARIABLE).drop1()
        assert list(table["term"]) == list(reference["term"])
        for column in ("deviance", "aic", "lrt", "p_value"):
            np.testing.assert_allclose(table[column], reference[column], rtol=STRICT)
        assert list(table["df"].iloc[1:]) == list(reference["df"].iloc[1:].astype(int))

    def test_firth_drop1_equals_penalised_lrt_per_coefficient(self, endometrial, firth_reference):
        table = logistic_regression(endometrial, "HG ~ NV + PI + EH").drop1().set_index("term")
        reference = firth_reference[firth_reference["dataset"] == "endometrial"].set_index("term")
        np.testing.assert_allclose(
            table.loc[["NV", "PI", "EH"], "lrt"],
            reference.loc[["NV", "PI", "EH"], "penalised_lrt"],
            rtol=1e-5,
        )
        assert set(table["p_method"]) == {"penalised_lrt"}


class TestToGt:
    def test_table_prints_formatted_odds_ratios(self, birthwt):
        html = logistic_regression(birthwt, "low ~ smoke").to_gt(title="Smoking").as_raw_html()
        # R: exp(0.704059) = 2.0219, Wald 95% CI 1.0807-3.7831
        assert "Smoking" in html and "2.02" in html and "1.08-3.78" in html


# ----------------------------------------------------------------------------- univariable


class TestUnivariable:
    def test_each_candidate_matches_its_own_r_glm(self, birthwt, r_coefficients):
        candidates = ["age", "lwt", "smoke", "ptl", "ht", "ui"]
        table = univariable(birthwt, "low", candidates, ci="profile")
        assert list(table["variable"]) == candidates
        for candidate in candidates:
            row = table[table["variable"] == candidate].iloc[0]
            reference = _r_model(r_coefficients, candidate).loc[candidate]
            assert row["estimate"] == pytest.approx(reference["estimate"], rel=STRICT)
            assert math.log(row["ci_low"]) == pytest.approx(
                reference["profile_low_exact"], rel=STRICT
            )
            assert row["p_value"] == pytest.approx(reference["lrt_p_value"], rel=STRICT)

    def test_factor_candidate_gives_one_row_per_level(self, birthwt):
        labelled = birthwt.assign(race=birthwt["race"].map({1: "a_white", 2: "black", 3: "other"}))
        table = univariable(labelled, "low", ["race"])
        assert list(table["term"]) == ["race[T.black]", "race[T.other]"]
        assert set(table["variable"]) == {"race"}

    def test_each_model_drops_only_its_own_missing_rows(self):
        data = pd.read_csv(REFERENCE / "logistic_birthwt_missing.csv")
        table = univariable(data, "low", ["age", "lwt", "smoke"]).set_index("variable")
        assert table["n_missing"].to_dict() == {"age": 3, "lwt": 1, "smoke": 0}

    def test_empty_candidates_error_properly(self, birthwt):
        with pytest.raises(ValueError, match="`candidates` is empty"):
            univariable(birthwt, "low", [])

    def test_unknown_candidate_errors_properly(self, birthwt):
        with pytest.raises(ValueError, match=r"unknown column\(s\) \['weight'\]"):
            univariable(birthwt, "low", ["age", "weight"])

    def test_string_candidates_error_properly(self, birthwt):
        with pytest.raises(TypeError, match="`candidates` must be a list"):
            univariable(birthwt, "low", "age")  # type: ignore[arg-type]


def test_profile_on_many_rows_uses_chord_steps_and_matches_the_grouped_fit() -> None:
    """Above 20,000 rows the profile's constrained fits take chord steps; the bounds and
    LRT p-values must equal those of the same data as grouped rows (exact Newton steps)."""
    rng = np.random.default_rng(11)
    n = 24_000
    exposure = rng.integers(0, 2, n)
    stratum = rng.integers(0, 3, n)
    logit = -1.0 + 0.7 * exposure + 0.3 * stratum
    case = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    rows = pd.DataFrame({"case": case, "exposure": exposure, "stratum": stratum})
    grouped = rows.value_counts().rename("w").reset_index()
    assert len(grouped) == 12 and len(rows) > _firth._EXACT_CURVATURE_ROWS
    formula = "case ~ exposure + stratum"
    expanded = logistic_regression(rows, formula, ci="profile").tidy()
    compact = logistic_regression(grouped, formula, ci="profile", weights="w").tidy()
    for column in ("ci_low", "ci_high"):
        np.testing.assert_allclose(expanded[column], compact[column], rtol=1e-9)
    np.testing.assert_allclose(expanded["p_value"], compact["p_value"], rtol=1e-6)


def test_chord_steps_reach_the_newton_estimate() -> None:
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 2))])
    y = (rng.random(500) < 0.4).astype(float)
    full = _firth.fit_logistic(X, y, firth=False)
    information = np.linalg.inv(full.covariance)
    newton = _firth.fit_logistic(X, y, firth=False, fixed={1: 0.3})
    chord = _firth.fit_logistic(
        X, y, firth=False, fixed={1: 0.3}, curvature=information, covariance=False
    )
    np.testing.assert_allclose(chord.coefficients, newton.coefficients, rtol=0, atol=1e-9)
    assert chord.converged and np.isnan(chord.covariance).all()
