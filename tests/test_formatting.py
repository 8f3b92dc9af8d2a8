"""The formatting layer: rounding, p-value display and parsing of printed cells."""

from __future__ import annotations

import math

import pytest

from neok2.formatting import (
    decimal_places,
    format_ci,
    format_mean_sd,
    format_median_iqr,
    format_n_percent,
    format_number,
    format_odds_ratio,
    format_p,
    parse_cell,
    parse_interval,
)


class TestFormatNumber:
    @pytest.mark.parametrize(
        ("value", "digits", "expected"),
        [
            (2.675, 2, "2.68"),
            (2.665, 2, "2.67"),
            (0.125, 2, "0.13"),
            (-0.0001, 2, "0.00"),
            (1e6, 0, "1000000"),
            (3.0, 3, "3.000"),
            (-2.5, 0, "-3"),
        ],
    )
    def test_half_away_from_zero(self, value, digits, expected):
        assert format_number(value, digits) == expected

    def test_missing_and_infinite(self):
        assert format_number(None) == "NA"
        assert format_number(math.nan) == "NA"
        assert format_number(-math.inf) == "-Inf"

    def test_digits_validated(self):
        with pytest.raises(ValueError, match="`digits`"):
            format_number(1.0, -1)


class TestFormatP:
    @pytest.mark.parametrize(
        ("p", "expected"),
        [
            (0.0, "<0.001"),
            (0.0004999, "<0.001"),
            (0.001, "0.001"),
            (0.0496, "0.050"),
            (0.5, "0.500"),
            (0.99951, ">0.999"),
            (1.0, "1.000"),
        ],
    )
    def test_display(self, p, expected):
        assert format_p(p) == expected

    def test_never_zero(self):
        assert format_p(1e-12) != "0.000"

    def test_digits(self):
        assert format_p(0.04, digits=1) == "<0.1"
        assert format_p(0.0123, digits=2) == "0.01"

    def test_out_of_range(self):
        with pytest.raises(ValueError, match=r"`p` must lie in \[0, 1\]"):
            format_p(1.2)


class TestComposite:
    def test_odds_ratio_divergent(self):
        assert format_odds_ratio(math.inf) == "NA"
        assert format_odds_ratio(math.nan) == "NA"

    def test_ci(self):
        assert format_ci(2.659, 12.112, digits=3) == "2.659-12.112"

    def test_n_percent(self):
        # 6 / 134 = 0.044776... -> 4.5 at one decimal
        assert format_n_percent(6, 134) == "6 (4.5)"
        assert format_n_percent(6, 134, digits=2) == "6 (4.48)"

    def test_n_percent_negative(self):
        with pytest.raises(ValueError, match="non-negative"):
            format_n_percent(-1, 10)

    def test_mean_sd_and_median(self):
        assert format_mean_sd(2.28, 0.68) == "2.28 ± 0.68"
        assert format_median_iqr(1.57, 1.25, 1.98) == "1.57 (1.25, 1.98)"


class TestParsing:
    def test_decimal_places(self):
        assert decimal_places("4.47") == 2
        assert decimal_places("29.0") == 1
        assert decimal_places("0") == 0
        with pytest.raises(ValueError, match="not a printed number"):
            decimal_places("4,47")

    @pytest.mark.parametrize(
        ("text", "kind", "values"),
        [
            ("42 (63.6)", "n_percent", (42, 63.6)),
            ("5 ( 7.5)", "n_percent", (5, 7.5)),
            ("35±3.72", "mean_sd", (35, 3.72)),
            ("1.6(1.25, 2.6)", "median_iqr", (1.6, 1.25, 2.6)),
            ("10(9, 10)", "median_iqr", (10, 9, 10)),
        ],
    )
    def test_parse_cell(self, text, kind, values):
        assert parse_cell(text, kind).values == values

    def test_parse_cell_errors(self):
        with pytest.raises(ValueError, match=r"expected a form like '42 \(63\.6\)'"):
            parse_cell("42 of 66", "n_percent")
        with pytest.raises(ValueError, match="`kind`"):
            parse_cell("1", "mode")
        with pytest.raises(TypeError, match="must be a string"):
            parse_cell(42, "n_percent")  # type: ignore[arg-type]

    def test_parse_interval(self):
        assert parse_interval("0.91-1.077") == (0.91, 1.077)
        assert parse_interval("1.74 – 13.78") == (1.74, 13.78)
        with pytest.raises(ValueError, match="low-high"):
            parse_interval("1.74")
