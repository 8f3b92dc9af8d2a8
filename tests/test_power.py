"""Analytic sample size and power (neok2.stats.power).

Reference values come from tests/reference/power.R (epiR 2.0.57, pwr 1.3.0, base R), from
the worked example of Hsieh, Bloch & Larsen (1998) and from hand calculations written out
below.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from neok2.stats.power import (
    detectable_odds_ratio,
    events_per_variable,
    power_case_control,
    sample_size_case_control,
    sample_size_logistic,
    study_power,
)
from neok2.stats.power_proportions import cohen_h, power_two_proportions
from neok2.study.spec import load_study

REFERENCE = Path(__file__).parent / "reference"
EPIR_SIZE = pd.read_csv(REFERENCE / "power_epir_sample_size.csv")
EPIR_POWER = pd.read_csv(REFERENCE / "power_epir_power.csv")
EPIR_OR = pd.read_csv(REFERENCE / "power_epir_detectable_or.csv")
PROP_TEST = pd.read_csv(REFERENCE / "power_prop_test.csv")
PWR = pd.read_csv(REFERENCE / "power_pwr_2p2n.csv")
HSIEH = pd.read_csv(REFERENCE / "power_hsieh.csv")
# uniroot's default tolerance in R, .Machine$double.eps^0.25, bounds the error of every value
# that epiR or pwr solve for by root finding.
UNIROOT_TOL = 1.220703e-4


def _rows(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


class TestPowerCaseControlNCases:
    @pytest.mark.parametrize("row", _rows(EPIR_SIZE))
    def test_equals_epir_sample_size(self, row):
        # epi.sscc was called with r = 1/r (it attaches r to the cases), so its n.total is our
        # total and its n.case our number of controls.
        result = power_case_control(
            row["odds_ratio"],
            row["p0"],
            None,
            row["power"],
            controls_per_case=row["r"],
            alpha=row["alpha"],
            sided=int(row["sided"]),
        ).iloc[0]
        # Two-sided sizes count both rejection tails (R: uniroot on the tails written out);
        # epiR's one-tail size (its n.control) is the closed form, at most ~1e-5 larger.
        n_cases = row["n_cases_two_sided"]
        assert result["n_cases"] == pytest.approx(n_cases, rel=1e-9)
        assert result["n_controls"] == pytest.approx(row["r"] * n_cases, rel=1e-9)
        assert result["n_total"] == pytest.approx((1 + row["r"]) * n_cases, rel=1e-9)
        assert result["n_cases_needed"] == math.ceil(n_cases)
        assert n_cases <= row["n_cases"] * (1 + 1e-12)
        # one-tail check against epiR: at epiR's size the near tail alone has the power
        at_epir = power_case_control(
            row["odds_ratio"],
            row["p0"],
            row["n_cases"],
            None,
            controls_per_case=row["r"],
            alpha=row["alpha"],
            sided=int(row["sided"]),
        ).iloc[0]["power"]
        far = at_epir - row["power"]
        assert 0 <= far < 1e-4 if row["sided"] == 2 else far == pytest.approx(0, abs=1e-12)

    @pytest.mark.parametrize("row", _rows(PROP_TEST))
    def test_fleiss_one_to_one_equals_power_prop_test(self, row):
        odds_ratio = (row["p1"] / (1 - row["p1"])) / (row["p0"] / (1 - row["p0"]))
        size = power_case_control(odds_ratio, row["p0"], None, row["power"]).iloc[0]
        # power.prop.test(strict = TRUE) counts both tails, as here; it solves n with
        # uniroot(tol = .Machine$double.eps^0.25) on n ~ 100.
        assert size["n_cases"] == pytest.approx(row["n_solved_strict"], rel=1e-7)

    def test_kelsey_hand_calculation(self):
        # p0 = 0.3, OR = 2, r = 1: p1 = 0.6/1.3 = 0.4615385, d = 0.1615385, d^2 = 0.02609467;
        # pbar = 0.3807692, (r+1) pbar qbar = 0.4715680; (1.959964 + 0.8416212)^2 = 7.848880;
        # n = 7.848880 * 0.4715680 / 0.02609467 = 141.84047 counts the near tail only; the
        # far tail (power ~7e-7 there) makes the two-sided size a little smaller (< 1e-5).
        result = sample_size_case_control(2.0, 0.3, method="kelsey").iloc[0]
        assert result["n_cases"] == pytest.approx(141.84047, rel=1e-5)
        assert result["n_cases"] < 141.84047

    def test_fleiss_continuity_correction_hand_calculation(self):
        # Fleiss n = 140.6557474 (epiR row 1); c = 2 (r+1) / (r |d|) = 4 / 0.1615385 = 24.76190;
        # n_cc = n/4 (1 + sqrt(1 + c/n))^2 = 35.16394 * (1 + sqrt(1.176046))^2
        #      = 35.16394 * 2.0844566^2 = 152.78588.
        # (one-tail closed form; the far tail shrinks it by less than 1e-5)
        result = sample_size_case_control(2.0, 0.3, method="fleiss_cc").iloc[0]
        assert result["n_cases"] == pytest.approx(152.78588, rel=1e-5)
        assert result["n_cases_needed"] == 153

    def test_correction_enlarges_and_ratio_shrinks_cases(self):
        fleiss = sample_size_case_control(2.0, 0.3).iloc[0]["n_cases"]
        corrected = sample_size_case_control(2.0, 0.3, method="fleiss_cc").iloc[0]["n_cases"]
        two_controls = sample_size_case_control(2.0, 0.3, controls_per_case=2).iloc[0]["n_cases"]
        assert corrected > fleiss > two_controls


class TestPowerCaseControlPower:
    @pytest.mark.parametrize("row", _rows(EPIR_POWER))
    def test_equals_epir_power(self, row):
        result = power_case_control(
            row["odds_ratio"],
            row["p0"],
            row["n_cases"],
            None,
            controls_per_case=row["r"],
            alpha=row["alpha"],
            sided=int(row["sided"]),
        ).iloc[0]
        # two-sided power (both tails, written out in R) and, without the far tail, epiR's
        assert result["power"] == pytest.approx(row["power_two_sided"], rel=1e-12)
        assert result["power"] - row["far_tail"] == pytest.approx(row["power"], rel=1e-12)

    @pytest.mark.parametrize("row", _rows(PROP_TEST))
    def test_equals_power_prop_test(self, row):
        odds_ratio = (row["p1"] / (1 - row["p1"])) / (row["p0"] / (1 - row["p0"]))
        result = power_case_control(odds_ratio, row["p0"], row["n"], None).iloc[0]
        assert result["power"] == pytest.approx(row["power_solved_strict"], rel=1e-10)

    @pytest.mark.parametrize("method", ["kelsey", "fleiss", "fleiss_cc"])
    def test_inverts_the_sample_size(self, method):
        size = sample_size_case_control(2.5, 0.15, controls_per_case=3, power=0.9, method=method)
        back = power_case_control(
            2.5, 0.15, size.iloc[0]["n_cases"], None, controls_per_case=3, method=method
        )
        assert back.iloc[0]["power"] == pytest.approx(0.9, rel=1e-12)

    def test_null_odds_ratio_gives_alpha(self):
        # At OR = 1 the z statistic has mean 0: two-sided power = P(|Z| > z_0.975) = 0.05,
        # one-sided P(Z > z_0.95) = 0.05.
        result = power_case_control(1.0, 0.3, 100, None).iloc[0]
        assert result["power"] == pytest.approx(0.05, rel=1e-12)
        one_sided = power_case_control(1.0, 0.3, 100, None, sided=1).iloc[0]
        assert one_sided["power"] == pytest.approx(0.05, rel=1e-12)


class TestPowerCaseControlOddsRatio:
    @pytest.mark.parametrize("row", _rows(EPIR_OR))
    def test_kelsey_equals_epir(self, row):
        result = detectable_odds_ratio(
            row["p0"],
            row["n_cases"],
            power=row["power"],
            controls_per_case=row["r"],
            alpha=row["alpha"],
            sided=int(row["sided"]),
            method="kelsey",
        ).iloc[0]
        # both tails (R: uniroot at tol 1e-12 on the tails written out); epiR's one-tail
        # roots (uniroot at its default tolerance) lie within that tolerance as well
        assert result["odds_ratio"] == pytest.approx(row["odds_ratio_two_sided"], rel=1e-9)
        assert result["odds_ratio_protective"] == pytest.approx(
            row["odds_ratio_protective_two_sided"], rel=1e-9
        )
        assert result["odds_ratio"] == pytest.approx(row["odds_ratio"], abs=2 * UNIROOT_TOL)
        assert result["odds_ratio_protective"] == pytest.approx(
            row["odds_ratio_protective"], abs=2 * UNIROOT_TOL
        )

    @pytest.mark.parametrize("method", ["kelsey", "fleiss", "fleiss_cc"])
    def test_root_has_the_requested_power(self, method):
        solved = detectable_odds_ratio(0.2, 80, controls_per_case=2, method=method).iloc[0]
        for odds_ratio in (solved["odds_ratio"], solved["odds_ratio_protective"]):
            check = power_case_control(
                odds_ratio, 0.2, 80, None, controls_per_case=2, method=method
            )
            assert check.iloc[0]["power"] == pytest.approx(0.8, abs=1e-10)

    def test_unreachable_power_gives_infinity(self):
        # With 3 cases even OR -> infinity (p1 -> 1) cannot give 99.9% power.
        result = detectable_odds_ratio(0.5, 3, power=0.999).iloc[0]
        assert math.isinf(result["odds_ratio"])


class TestPowerCaseControlErrors:
    def test_exactly_one_unknown(self):
        with pytest.raises(ValueError, match="exactly one of `odds_ratio`, `n_cases`, `power`"):
            power_case_control(2.0, 0.3, 100, 0.8)
        with pytest.raises(ValueError, match="got 2 None"):
            power_case_control(None, 0.3, None, 0.8)

    def test_p0_required_and_bounded(self):
        with pytest.raises(ValueError, match="`p0`"):
            power_case_control(2.0, None, 100, None)
        with pytest.raises(ValueError, match="`p0` must lie strictly between 0 and 1"):
            power_case_control(2.0, 1.0, 100, None)
        with pytest.raises(TypeError, match="`p0` must be a number"):
            power_case_control(2.0, "0.3", 100, None)

    def test_options_validated(self):
        with pytest.raises(ValueError, match="`method` must be one of"):
            power_case_control(2.0, 0.3, 100, None, method="woolf")
        with pytest.raises(ValueError, match="`sided` must be 1 or 2"):
            power_case_control(2.0, 0.3, 100, None, sided=3)
        with pytest.raises(ValueError, match="`controls_per_case`"):
            power_case_control(2.0, 0.3, 100, None, controls_per_case=0)
        with pytest.raises(ValueError, match="`n_cases` must be a positive"):
            power_case_control(2.0, 0.3, -5, None)

    def test_null_effect_has_no_sample_size(self):
        with pytest.raises(ValueError, match="must differ from 1"):
            sample_size_case_control(1.0, 0.3)


class TestPowerTwoProportions:
    @pytest.mark.parametrize("row", _rows(PWR))
    def test_power_equals_pwr(self, row):
        alternative = {"two.sided": "two-sided"}.get(row["alternative"], row["alternative"])
        result = power_two_proportions(
            row["h"], row["n1"], row["n2"], None, alternative=alternative
        ).iloc[0]
        assert result["power"] == pytest.approx(row["power"], rel=1e-12)

    @pytest.mark.parametrize("row", _rows(PWR))
    def test_solved_quantities_equal_pwr(self, row):
        alternative = {"two.sided": "two-sided"}.get(row["alternative"], row["alternative"])
        power = row["power"]
        h = power_two_proportions(None, row["n1"], row["n2"], power, alternative=alternative)
        n1 = power_two_proportions(row["h"], None, row["n2"], power, alternative=alternative)
        n2 = power_two_proportions(row["h"], row["n1"], None, power, alternative=alternative)
        # Solved to machine precision, each recovers the input R used to compute the power...
        assert h.iloc[0]["h"] == pytest.approx(row["h"], rel=1e-9)
        assert n1.iloc[0]["n1"] == pytest.approx(row["n1"], rel=1e-9)
        assert n2.iloc[0]["n2"] == pytest.approx(row["n2"], rel=1e-9)
        # ...and agrees with pwr's own uniroot answers within uniroot's tolerance.
        assert h.iloc[0]["h"] == pytest.approx(row["h_solved"], abs=UNIROOT_TOL)
        assert n1.iloc[0]["n1"] == pytest.approx(row["n1_solved"], abs=UNIROOT_TOL * 10)
        assert n2.iloc[0]["n2"] == pytest.approx(row["n2_solved"], abs=UNIROOT_TOL * 10)

    def test_cohen_h_equals_pwr_es_h(self):
        assert cohen_h(0.5, 0.3) == pytest.approx(PWR["es_h"].iloc[0], rel=1e-12)

    def test_errors(self):
        with pytest.raises(ValueError, match="exactly one of `h`, `n1`, `n2`, `power`"):
            power_two_proportions(0.3, 50, 50, 0.8)
        with pytest.raises(ValueError, match="`n1` must be at least 2"):
            power_two_proportions(0.3, 1.5, 50, None)
        with pytest.raises(ValueError, match="`alternative` must be one of"):
            power_two_proportions(0.3, 50, 50, None, alternative="two.sided")
        with pytest.raises(ValueError, match="`p1` must lie in"):
            cohen_h(1.2, 0.3)


class TestSampleSizeLogistic:
    def test_continuous_worked_example_of_hsieh(self):
        # Hsieh et al. (1998), Table II balanced design: P = 0.5, beta* = 0.405, two-sided
        # alpha 0.05, power 0.95 -> n = 317.
        result = sample_size_logistic(
            math.exp(0.405), None, 0.95, event_rate=0.5, covariate="continuous"
        ).iloc[0]
        assert result["n_needed"] == 317
        # (1.959964 + 1.644854)^2 / (0.25 * 0.405^2) = 12.99471 / 0.04100625 = 316.8958.
        assert result["n"] == pytest.approx(316.8958, rel=1e-6)

    def test_binary_hand_calculation(self):
        # P1 = 0.2, OR = 2 -> P2 = 0.4/1.2 = 0.3333333; B = 0.3; P = 0.7*0.2 + 0.3*P2 = 0.24.
        # z_a sqrt(P(1-P)/B) = 1.959964 * sqrt(0.608) = 1.5282693;
        # z_b sqrt(P1 Q1 + P2 Q2 (1-B)/B) = 0.8416212 * sqrt(0.6785185) = 0.6932622;
        # n = (1.5282693 + 0.6932622)^2 / ((0.2 - 0.3333333)^2 * 0.7)
        #   = 4.9352022 / 0.0124444 = 396.5787; with R^2 = 0.25: 396.5787 / 0.75 = 528.7717.
        # These closed forms count the near tail only; the far tail (about 3e-5 of power at
        # n = 396) makes the two-sided sizes a little smaller (under 1e-5 relative).
        simple = sample_size_logistic(2.0, None, 0.8, event_rate=0.2, exposure_prevalence=0.3)
        adjusted = sample_size_logistic(
            2.0, None, 0.8, event_rate=0.2, exposure_prevalence=0.3, r_squared=0.25
        )
        assert simple.iloc[0]["n"] == pytest.approx(396.5787, rel=1e-5)
        assert simple.iloc[0]["n"] < 396.5787
        assert simple.iloc[0]["n_events"] == pytest.approx(simple.iloc[0]["n"] * 0.24, rel=1e-12)
        assert adjusted.iloc[0]["n"] == pytest.approx(528.7717, rel=1e-5)
        assert adjusted.iloc[0]["n"] == pytest.approx(simple.iloc[0]["n"] / 0.75, rel=1e-9)

    @pytest.mark.parametrize("row", _rows(HSIEH))
    def test_both_tails_against_r(self, row):
        # tests/reference/power.R writes Hsieh's formulas out with pnorm: two-sided power
        # counts both tails; sizes and odds ratios solved with uniroot at tol 1e-12.
        options = {
            "event_rate": row["event_rate"],
            "covariate": row["covariate"],
            "r_squared": row["r_squared"],
            "alpha": row["alpha"],
        }
        if row["covariate"] == "binary":
            options["exposure_prevalence"] = row["exposure_prevalence"]
        power = sample_size_logistic(row["odds_ratio"], row["n"], None, **options).iloc[0]
        assert power["power"] == pytest.approx(row["power_two_sided"], rel=1e-12)
        size = sample_size_logistic(row["odds_ratio"], None, row["power"], **options).iloc[0]
        assert size["n"] == pytest.approx(row["n_two_sided"], rel=1e-9)
        # one-tail checks: ours minus the far tail is the near tail alone, and at Hsieh's
        # closed-form size the near tail alone has exactly the target power
        assert power["power"] - row["far_tail"] == pytest.approx(row["power_one_tail"], rel=1e-12)
        at_closed_form = sample_size_logistic(
            row["odds_ratio"], row["n_one_tail"], None, **options
        ).iloc[0]["power"]
        assert at_closed_form - row["far_tail_at_n_one_tail"] == pytest.approx(
            row["power"], rel=1e-12
        )
        assert size["n"] < row["n_one_tail"]
        detect = sample_size_logistic(None, row["n"], row["power"], **options).iloc[0]
        assert detect["odds_ratio"] == pytest.approx(row["odds_ratio_two_sided"], rel=1e-9)

    def test_null_odds_ratio_gives_alpha(self):
        # At OR = 1 both Hsieh statistics have mean 0: two-sided power = P(|Z| > z) = alpha.
        for options in (
            {"covariate": "continuous"},
            {"covariate": "binary", "exposure_prevalence": 0.3},
        ):
            row = sample_size_logistic(1.0, 150, None, event_rate=0.2, **options).iloc[0]
            assert row["power"] == pytest.approx(0.05, rel=1e-12)

    @pytest.mark.parametrize("covariate", ["binary", "continuous"])
    def test_power_and_odds_ratio_invert_the_size(self, covariate):
        options = {"event_rate": 0.3, "covariate": covariate, "r_squared": 0.1}
        if covariate == "binary":
            options["exposure_prevalence"] = 0.4
        size = sample_size_logistic(1.8, None, 0.85, **options).iloc[0]["n"]
        power = sample_size_logistic(1.8, size, None, **options).iloc[0]["power"]
        odds_ratio = sample_size_logistic(None, size, 0.85, **options).iloc[0]["odds_ratio"]
        assert power == pytest.approx(0.85, rel=1e-12)
        assert odds_ratio == pytest.approx(1.8, rel=1e-9)

    def test_errors(self):
        with pytest.raises(ValueError, match="`exposure_prevalence` is required"):
            sample_size_logistic(2.0, None, 0.8, event_rate=0.2)
        with pytest.raises(ValueError, match="applies to a binary covariate only"):
            sample_size_logistic(
                2.0, None, 0.8, event_rate=0.2, covariate="continuous", exposure_prevalence=0.3
            )
        with pytest.raises(ValueError, match=r"`r_squared` must lie in \[0, 1\)"):
            sample_size_logistic(
                2.0, None, 0.8, event_rate=0.2, exposure_prevalence=0.3, r_squared=1.0
            )
        with pytest.raises(ValueError, match="`covariate` must be"):
            sample_size_logistic(2.0, None, 0.8, event_rate=0.2, covariate="ordinal")


class TestEventsPerVariable:
    def test_study_value(self):
        # 66 cases (the smaller group) over the 5 terms entered: 66 / 5 = 13.2.
        assert events_per_variable(66, 134, 5) == pytest.approx(13.2, rel=1e-15)
        assert events_per_variable(300, 40, 4) == pytest.approx(10.0, rel=1e-15)

    def test_errors(self):
        with pytest.raises(ValueError, match="`n_parameters` must be a positive integer"):
            events_per_variable(66, 134, 0)
        with pytest.raises(TypeError, match=r"`n_cases` must be a positive integer, got float"):
            events_per_variable(66.5, 134, 5)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return study_power(load_study("k2_neonates"))


class TestStudyPower:
    def test_rows_and_columns(self, table):
        univariable = table[table["model"] == "univariable"]["variable"].tolist()
        multivariable = table[table["model"] == "multivariable"]["variable"].tolist()
        assert univariable == [
            "caesarean",
            "sga",
            "antenatal_steroid",
            "gestational_diabetes",
            "prom",
        ]
        assert multivariable == ["antenatal_steroid", "caesarean", "sga"]
        assert table["n_cases"].eq(66).all() and table["n_controls"].eq(134).all()

    @pytest.mark.parametrize("variable", ["antenatal_steroid", "caesarean", "sga"])
    def test_published_power_equals_epir(self, table, variable):
        # Rows 2-4 of the epiR power reference are these factors at 66 cases, r = 134/66.
        row = table[(table["variable"] == variable) & (table["model"] == "univariable")].iloc[0]
        reference = EPIR_POWER[
            (EPIR_POWER["n_cases"] == 66)
            & (EPIR_POWER["odds_ratio"] == row["published_odds_ratio"])
        ].iloc[0]
        assert row["p0"] == pytest.approx(reference["p0"], rel=1e-12)
        # both rejection tails; epiR's one-tail power plus the far tail
        assert row["power_published"] == pytest.approx(reference["power_two_sided"], rel=1e-12)
        assert row["power_published"] - reference["far_tail"] == pytest.approx(
            reference["power"], rel=1e-12
        )

    def test_sizes_and_detectable_or_consistent(self, table):
        row = table[(table["variable"] == "sga") & (table["model"] == "multivariable")].iloc[0]
        direct = sample_size_case_control(3.462, 6 / 134, controls_per_case=134 / 66).iloc[0]
        assert row["n_cases_80"] == direct["n_cases_needed"]
        assert row["n_total_80"] == direct["n_cases_needed"] + direct["n_controls_needed"]
        check = power_case_control(
            row["detectable_or_80"], 6 / 134, 66, None, controls_per_case=134 / 66
        )
        assert check.iloc[0]["power"] == pytest.approx(0.8, abs=1e-10)

    def test_errors(self):
        with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
            study_power("k2_neonates")  # type: ignore[arg-type]


class TestPowerCommand:
    def test_analytic_prints_the_solved_power(self):
        from click.testing import CliRunner

        from neok2.cli.app import main

        result = CliRunner().invoke(
            main,
            [
                "power",
                "analytic",
                "--odds-ratio",
                "5.675",
                "--p0",
                str(13 / 134),
                "--n-cases",
                "66",
                "--controls-per-case",
                str(134 / 66),
            ],
        )
        assert result.exit_code == 0, result.output
        # epiR reference row 2: power 0.9947313 -> printed with 3 decimals.
        assert "power: 0.995" in result.output

    def test_analytic_two_sided_power_at_the_null_is_alpha(self):
        from click.testing import CliRunner

        from neok2.cli.app import main

        # At OR = 1 the two-sided test rejects with probability P(|Z| > z_0.975) = 0.05
        # (both tails; the near tail alone would print 0.025).
        arguments = ["power", "analytic", "--odds-ratio", "1", "--p0", "0.3", "--n-cases", "100"]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        assert "power: 0.050" in result.output

    def test_study_table_and_user_error(self):
        from click.testing import CliRunner

        from neok2.cli.app import main

        runner = CliRunner()
        table = runner.invoke(main, ["power", "study"])
        assert table.exit_code == 0 and "antenatal_steroid" in table.output
        error = runner.invoke(main, ["power", "analytic", "--p0", "0.1", "--n-cases", "66"])
        assert error.exit_code == 2
        assert "exactly one of" in error.output
