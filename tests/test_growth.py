"""Tests for neok2.stats.growth (INTERGROWTH-21st birth-weight centiles).

Reference numbers are read from the published INTERGROWTH-21st newborn size centile tables
(Villar et al., Lancet 2014, 33+0 to 42+6 weeks; Villar et al., Lancet 2016, very preterm
24+0 to 32+6 weeks), columns 10th and 50th centile of birth weight in kg.
"""

from __future__ import annotations

import numpy as np
import pytest

from neok2.stats.growth import GROWTH_REFERENCE_RANGE, birthweight_centile, birthweight_centile_10


class TestGaWeeks:
    @pytest.mark.parametrize(
        ("ga_weeks", "male", "expected"),
        [
            (24.0, True, 0.50),  # boys 24+0, 10th centile
            (28.0, False, 0.79),  # girls 28+0
            (32.0, True, 1.36),  # boys 32+0 (very-preterm chart)
            (33.0, True, 1.43),  # boys 33+0 (newborn standard)
            (37.0, False, 2.33),  # girls 37+0
            (40.0, True, 2.88),  # boys 40+0
            (42 + 6 / 7, False, 3.04),  # girls 42+6, last tabulated day
        ],
    )
    def test_matches_published_tenth_centile_at_whole_weeks(self, ga_weeks, male, expected):
        assert float(birthweight_centile_10(ga_weeks, male)) == pytest.approx(expected, abs=1e-12)

    @pytest.mark.parametrize(
        ("days", "male", "published"),
        [
            (3, True, 1.55),  # boys 33+3: published 1.55; interpolation 1.43 + 3/7 * 0.28 = 1.550
            (4, False, 1.82),  # girls 34+4: published 1.82; 1.68 + 4/7 * 0.24 = 1.817
            (5, True, 2.52),  # boys 37+5: published 2.52; 2.38 + 5/7 * 0.19 = 2.516
        ],
    )
    def test_interpolation_within_a_week_stays_within_20_g_of_daily_table(
        self, days, male, published
    ):
        week = {3: 33, 4: 34, 5: 37}[days]
        value = float(birthweight_centile_10(week + days / 7, male))
        assert abs(value - published) <= 0.02

    def test_vectorised_over_infants(self):
        values = birthweight_centile_10([24.0, 40.0], [False, True])
        # girls 24+0 = 0.47, boys 40+0 = 2.88 (published table)
        np.testing.assert_allclose(values, [0.47, 2.88], atol=1e-12)

    def test_increases_with_gestational_age_within_each_chart(self):
        weeks = np.arange(24.0, 32.9, 0.1)
        values = birthweight_centile_10(weeks, np.ones_like(weeks, dtype=bool))
        assert np.all(np.diff(values) > 0)

    def test_errors_properly_outside_reference_range(self):
        low, high = GROWTH_REFERENCE_RANGE
        with pytest.raises(ValueError, match="ga_weeks"):
            birthweight_centile_10(low - 0.1, True)
        with pytest.raises(ValueError, match="ga_weeks"):
            birthweight_centile_10(high + 0.2, True)

    def test_errors_properly_on_missing_values(self):
        with pytest.raises(ValueError, match="missing"):
            birthweight_centile_10([30.0, float("nan")], [True, True])


class TestMale:
    def test_boys_are_heavier_than_girls_at_40_weeks(self):
        # boys 40+0 = 2.88 kg, girls 40+0 = 2.78 kg (published table)
        assert float(birthweight_centile_10(40.0, True)) == pytest.approx(2.88)
        assert float(birthweight_centile_10(40.0, False)) == pytest.approx(2.78)

    def test_accepts_zero_one_integers(self):
        assert float(birthweight_centile_10(40.0, 1)) == float(birthweight_centile_10(40.0, True))

    def test_errors_properly_on_non_boolean(self):
        with pytest.raises(TypeError, match="male"):
            birthweight_centile_10(40.0, "boy")
        with pytest.raises(ValueError, match="male"):
            birthweight_centile_10(40.0, 2)


class TestCentile:
    @pytest.mark.parametrize(
        ("centile", "expected"),
        [(10, 2.50), (50, 2.97), (90, 3.51)],  # girls 38+0: 10th, 50th, 90th centiles
    )
    def test_published_centiles(self, centile, expected):
        assert float(birthweight_centile(38.0, False, centile=centile)) == pytest.approx(expected)

    def test_errors_properly_on_unknown_centile(self):
        with pytest.raises(ValueError, match="centile"):
            birthweight_centile(38.0, False, centile=25)
