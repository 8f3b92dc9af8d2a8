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


# ----------------------------------------------------------------------------- journal style
# Expected strings written out by hand from the AMA Manual of Style (11th ed., 19.7.2: no
# decimal for a percentage whose denominator is below 100) and the project's house rules
# (at most one decimal, no trailing ".0", integer scores as integers).


class TestJournalStyle:
    @pytest.mark.parametrize(
        ("value", "total", "style", "expected"),
        [
            (100.0, 200, "ama", "100"),
            (33.0, 200, "ama", "33"),
            (43.28358, 134, "ama", "43.3"),
            (12.1212, 66, "ama", "12"),
            (12.1212, 66, "vancouver", "12.1"),
            (75.7576, 66, "ama", "76"),
            (0.0, 66, "ama", "0"),
            (49.5, 200, "ama", "49.5"),
            (100.0, 66, "vancouver", "100"),
        ],
    )
    def test_percent(self, value, total, style, expected):
        from neok2.formatting import format_percent

        assert format_percent(value, total, style=style) == expected

    def test_percent_never_trailing_zero_or_three_decimals(self):
        from neok2.formatting import format_percent

        for value in (100.0, 33.0, 43.284, 0.04, 99.96):
            text = format_percent(value)
            assert not text.endswith(".0") and len(text.partition(".")[2]) <= 1

    @pytest.mark.parametrize(
        ("n", "total", "style", "expected"),
        [
            (66, 66, None, "66 (100)"),
            (8, 66, None, "8 (12.1)"),
            (8, 66, "ama", "8 (12)"),
            (58, 134, "ama", "58 (43.3)"),
            (66, 66, "ama", "66 (100)"),
            (22, 66, "ama", "22 (33)"),
        ],
    )
    def test_n_percent(self, n, total, style, expected):
        assert format_n_percent(n, total, style=style) == expected

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ((10.0, 9.0, 10.0), "10 (9, 10)"),
            ((9.5, 9.0, 10.0), "9.5 (9, 10)"),
            ((8.0, 7.0, 9.0), "8 (7, 9)"),
            ((1.574, 1.25, 1.98), "1.57 (1.25, 1.98)"),
            ((0.234, 0.1, 0.5), "0.23 (0.10, 0.50)"),
        ],
    )
    def test_median_integer_scale(self, values, expected):
        assert format_median_iqr(*values) == expected

    def test_median_forced_continuous(self):
        assert format_median_iqr(10.0, 9.0, 10.0, integer=False) == "10.00 (9.00, 10.00)"

    def test_count_share(self):
        from neok2.formatting import format_count_share

        assert format_count_share(96, 100) == "96 of 100"
        with pytest.raises(ValueError, match="`count`"):
            format_count_share(101, 100)

    def test_unknown_style(self):
        from neok2.formatting import journal_style

        with pytest.raises(ValueError, match="`style` must be one of ama, vancouver"):
            journal_style("harvard")


class TestPrintedCoverage:
    @pytest.mark.parametrize(
        ("value", "printed", "expected"),
        [
            (0.0189, "0.019", True),
            (0.0196, "0.019", False),
            (0.147, "0.849", False),
            (0.0004, "0.000", True),
            (0.0006, "0.000", False),
            (0.0009, "<0.001", True),
            (0.0011, "<0.001", False),
            (0.000932, "0.001", True),
            (0.8495, "0.849", False),
        ],
    )
    def test_p(self, value, printed, expected):
        from neok2.formatting import covers_p

        assert covers_p(value, printed) is expected

    @pytest.mark.parametrize(
        ("value", "printed", "expected"),
        [
            (3.0331, "3.033", True),
            (3.0331, "3.151", False),
            (0.5523, "2.066", False),
            (4.7284, "4.728", True),
            (0.9904, "0.99", True),
            (75.77, "75.7", False),
        ],
    )
    def test_rounding(self, value, printed, expected):
        from neok2.formatting import rounds_to_printed

        assert rounds_to_printed(value, printed) is expected
