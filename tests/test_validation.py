"""Tests for neok2._validation: one class per helper, accepted values then errors.

The expected values are the inputs themselves (the helpers convert, they do not compute), so
each test states by hand what a correct check returns or refuses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from neok2._validation import (
    column_in,
    float_like,
    int_like,
    one_of,
    positive,
    probability,
    seed_like,
    seed_or_generator,
)


class TestSeedLike:
    @pytest.mark.parametrize("seed", [0, 1, 20200701, np.int64(7), np.uint32(3), 2**40])
    def test_accepts_non_negative_integers(self, seed):
        result = seed_like(seed)
        assert result == int(seed)
        assert type(result) is int

    @pytest.mark.parametrize("seed", [True, False, np.bool_(True), 1.0, 1.5, "1", None, [1]])
    def test_wrong_kind_is_a_type_error(self, seed):
        with pytest.raises(TypeError, match="`seed` must be a non-negative integer, got "):
            seed_like(seed)

    @pytest.mark.parametrize("seed", [-1, np.int64(-5)])
    def test_negative_is_a_value_error(self, seed):
        with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer, got -\d"):
            seed_like(seed)

    def test_message_names_the_argument(self):
        with pytest.raises(TypeError, match=r"`root_seed` must be .* got str 'x'"):
            seed_like("x", "root_seed")


class TestSeedOrGenerator:
    def test_generator_is_returned_unchanged(self):
        generator = np.random.default_rng(1)
        assert seed_or_generator(generator) is generator

    def test_integer_follows_seed_rule(self):
        assert seed_or_generator(np.int32(4)) == 4
        with pytest.raises(ValueError, match="or a numpy Generator, got -2"):
            seed_or_generator(-2)

    @pytest.mark.parametrize("seed", [True, 2.0, "a", np.random.RandomState(1)])
    def test_errors_properly(self, seed):
        with pytest.raises(TypeError, match="`seed` must be a non-negative integer or a numpy"):
            seed_or_generator(seed)


class TestIntLike:
    def test_accepts_integers_and_returns_int(self):
        assert int_like(np.int16(12), "n") == 12
        assert int_like(-4, "n") == -4

    @pytest.mark.parametrize(
        ("minimum", "wording"),
        [
            (None, "an integer"),
            (0, "a non-negative integer"),
            (1, "a positive integer"),
            (100, "an integer >= 100"),
        ],
    )
    def test_wording_follows_minimum(self, minimum, wording):
        with pytest.raises(TypeError, match=f"`n` must be {wording}, got float 2.5"):
            int_like(2.5, "n", minimum=minimum)

    def test_below_minimum_is_a_value_error(self):
        with pytest.raises(ValueError, match="`n_resamples` must be an integer >= 100, got 99"):
            int_like(99, "n_resamples", minimum=100)
        assert int_like(100, "n_resamples", minimum=100) == 100

    @pytest.mark.parametrize("value", [True, 3.0, "3", None])
    def test_errors_properly(self, value):
        with pytest.raises(TypeError, match="`max_iter` must be a positive integer"):
            int_like(value, "max_iter", minimum=1)


class TestFloatLike:
    def test_accepts_ints_floats_and_numpy_scalars(self):
        assert float_like(3, "x") == 3.0
        assert float_like(np.float32(0.5), "x") == 0.5
        assert type(float_like(np.int8(2), "x")) is float

    def test_bounds_are_inclusive(self):
        assert float_like(0, "x", minimum=0, maximum=1) == 0.0
        assert float_like(1, "x", minimum=0, maximum=1) == 1.0
        with pytest.raises(ValueError, match=r"`x` must be >= 0, got -0\.1"):
            float_like(-0.1, "x", minimum=0)
        with pytest.raises(ValueError, match=r"`x` must be <= 1, got 1\.5"):
            float_like(1.5, "x", maximum=1)

    def test_nan_and_infinity(self):
        with pytest.raises(ValueError, match="`x` must be a finite number, got nan"):
            float_like(math.nan, "x", allow_infinite=True)
        with pytest.raises(ValueError, match="finite"):
            float_like(math.inf, "x")
        assert float_like(math.inf, "x", allow_infinite=True) == math.inf

    @pytest.mark.parametrize("value", [True, "0.5", None, [0.5], complex(1, 0)])
    def test_errors_properly(self, value):
        with pytest.raises(TypeError, match="`x` must be a number, got "):
            float_like(value, "x")


class TestProbability:
    def test_open_interval_refuses_the_ends(self):
        assert probability(0.05, "alpha") == 0.05
        for end in (0, 1):
            with pytest.raises(ValueError, match="`alpha` must lie strictly between 0 and 1"):
                probability(end, "alpha")

    def test_closed_interval_accepts_the_ends(self):
        assert probability(0, "p", open_interval=False) == 0.0
        assert probability(1, "p", open_interval=False) == 1.0
        with pytest.raises(ValueError, match=r"`p` must lie in \[0, 1\], got 1.01"):
            probability(1.01, "p", open_interval=False)

    def test_nan_is_outside(self):
        with pytest.raises(ValueError, match="got nan"):
            probability(math.nan, "p", open_interval=False)

    @pytest.mark.parametrize("value", [True, "0.95", None])
    def test_errors_properly(self, value):
        with pytest.raises(TypeError, match="`conf_level` must be a number"):
            probability(value, "conf_level")


class TestPositive:
    def test_accepts_positive_finite(self):
        assert positive(1e-300, "tol") == 1e-300
        assert positive(np.int64(3), "odds_ratio") == 3.0

    @pytest.mark.parametrize("value", [0, -1, math.inf, math.nan])
    def test_refuses_zero_negative_and_non_finite(self, value):
        with pytest.raises(ValueError, match="`odds_ratio` must be a positive finite number"):
            positive(value, "odds_ratio")

    @pytest.mark.parametrize("value", [True, "2", None])
    def test_errors_properly(self, value):
        with pytest.raises(TypeError, match="`odds_ratio` must be a number"):
            positive(value, "odds_ratio")


class TestOneOf:
    def test_returns_the_value(self):
        assert one_of("screen", "procedure", ("screen", "backward")) == "screen"
        assert one_of(2, "sided", (1, 2)) == 2

    def test_bool_is_not_taken_for_an_integer(self):
        with pytest.raises(ValueError, match="`sided` must be one of 1, 2; got True"):
            one_of(True, "sided", (1, 2))
        assert one_of(True, "firth", ("auto", True, False)) is True

    def test_errors_properly(self):
        with pytest.raises(ValueError, match="`procedure` must be one of 'screen', 'backward'"):
            one_of("lasso", "procedure", ("screen", "backward"))


class TestColumnIn:
    @pytest.fixture
    def data(self):
        return pd.DataFrame({f"x{i}": [0] for i in range(10)})

    def test_returns_the_name(self, data):
        assert column_in(data, "x3", "exposure") == "x3"

    def test_missing_column_lists_some_that_exist(self, data):
        with pytest.raises(
            ValueError,
            match=r"`exposure`: column 'z' is not in the data "
            r"\(columns: 'x0', .*'x7', \.\.\.\)",
        ):
            column_in(data, "z", "exposure")

    def test_errors_properly(self, data):
        with pytest.raises(TypeError, match=r"`exposure` must be a column name \(str\), got int"):
            column_in(data, 3, "exposure")
        with pytest.raises(TypeError, match="data must be a pandas DataFrame, got dict"):
            column_in({"x0": [0]}, "x0", "exposure")  # type: ignore[arg-type]


class TestEveryPublicFunctionFollowsTheSeedRule:
    """The one seed rule holds at each public entry point that takes a seed."""

    @pytest.fixture(scope="class")
    @classmethod
    def calls(cls):
        from neok2.report.analysis import run_analysis
        from neok2.stats.baseline import baseline_table
        from neok2.stats.selection import bootstrap_inclusion
        from neok2.stats.simulation import exposure_model, simulate_pipeline
        from neok2.study.spec import load_study
        from neok2.synth.generator import synthesize_cohort

        data = pd.DataFrame({"case": [0, 1] * 10, "x": [0, 1, 1, 0] * 5})
        study = load_study("k2_neonates")
        model = exposure_model({"x": 0.3})
        return {
            "baseline_table": lambda seed: baseline_table(data, "case", seed=seed),
            "bootstrap_inclusion": lambda seed: bootstrap_inclusion(
                data, "case", ["x"], n_boot=2, seed=seed
            ),
            "simulate_pipeline": lambda seed: simulate_pipeline(
                model, n_cases=10, n_controls=10, seed=seed, progress=False
            ),
            "run_analysis": lambda seed: run_analysis(data, study, seed=seed),
            "synthesize_cohort": lambda seed: synthesize_cohort(study, seed=seed),
        }

    @pytest.mark.parametrize(
        "function",
        [
            "baseline_table",
            "bootstrap_inclusion",
            "simulate_pipeline",
            "run_analysis",
            "synthesize_cohort",
        ],
    )
    @pytest.mark.parametrize(
        ("seed", "error"), [(-1, ValueError), (True, TypeError), (1.5, TypeError), ("1", TypeError)]
    )
    def test_bad_seed(self, calls, function, seed, error):
        with pytest.raises(error, match="`seed` must be a non-negative integer"):
            calls[function](seed)


class TestSimulationLevels:
    """simulate_pipeline's `threshold` and `alpha` go through float_like before the range."""

    @pytest.mark.parametrize(
        ("level", "error", "message"),
        [
            ("x", TypeError, "`threshold` must be a number, got str 'x'"),
            (True, TypeError, "`threshold` must be a number, got bool True"),
            (0, ValueError, r"`threshold` must lie in \(0, 1\], got 0"),
        ],
    )
    def test_errors_properly(self, level, error, message):
        from neok2.stats.simulation import exposure_model, simulate_pipeline

        model = exposure_model({"x": 0.3})
        with pytest.raises(error, match=message):
            simulate_pipeline(
                model, n_cases=10, n_controls=10, seed=1, threshold=level, progress=False
            )
