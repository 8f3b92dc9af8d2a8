"""Tests for neok2.report.figures.forest: what is drawn where (data coordinates), never pixels."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neok2.report.figures.forest import NOT_ESTIMABLE, forest_plot
from neok2.stats.logistic import logistic_regression

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture
def table() -> pd.DataFrame:
    # Table 2 of the study as printed: OR and 95% CI
    return pd.DataFrame(
        {
            "term": ["(Intercept)", "caesarean", "sga", "antenatal_steroid", "unstable"],
            "odds_ratio": [0.3, 3.151, 4.898, 5.675, math.nan],
            "ci_low": [0.1, 1.586, 1.74, 2.659, math.nan],
            "ci_high": [0.9, 6.263, 13.78, 12.112, math.nan],
        }
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _points(figure) -> np.ndarray:
    axis = figure.axes[0]
    markers = [line for line in axis.get_lines() if line.get_marker() == "s"]
    return np.asarray(markers[0].get_xydata())


def _error_bars(figure) -> list[np.ndarray]:
    axis = figure.axes[0]
    return [np.asarray(segment) for segment in axis.collections[0].get_segments()]


class TestTidy:
    def test_points_and_intervals_are_drawn_at_row_positions(self, table):
        figure = forest_plot(table)
        points = _points(figure)
        # intercept left out; rows from the top at y = 0, -1, -2; the NA row is not drawn
        np.testing.assert_allclose(points, [[3.151, 0.0], [4.898, -1.0], [5.675, -2.0]])
        segments = _error_bars(figure)
        np.testing.assert_allclose(segments[0], [[1.586, 0.0], [6.263, 0.0]])
        np.testing.assert_allclose(segments[2], [[2.659, -2.0], [12.112, -2.0]])

    def test_axis_is_logarithmic_with_labels_from_the_table(self, table):
        axis = forest_plot(table).axes[0]
        assert axis.get_xscale() == "log"
        labels = [tick.get_text() for tick in axis.get_yticklabels()]
        assert labels == ["caesarean", "sga", "antenatal_steroid", "unstable"]
        np.testing.assert_allclose(axis.get_yticks(), [0, -1, -2, -3])
        low, high = axis.get_xlim()
        assert low < 1.586 and high > 13.78

    def test_not_estimable_row_shows_text_not_a_point(self, table):
        axis = forest_plot(table).axes[0]
        texts = [(text.get_text(), text.get_position()) for text in axis.texts]
        assert (NOT_ESTIMABLE, (1.0, -3.0)) in texts
        assert -3.0 not in _points(axis.figure)[:, 1]

    def test_annotations_use_the_formatting_layer(self, table):
        axis = forest_plot(table).axes[0]
        annotations = [text.get_text() for text in axis.texts if text.get_text() != NOT_ESTIMABLE]
        # 5.675 rounds half away from zero to 5.68
        assert annotations == ["3.15 (1.59-6.26)", "4.90 (1.74-13.78)", "5.68 (2.66-12.11)"]

    def test_fitted_model_with_separation_is_plotted_without_infinite_values(self):
        data = pd.read_csv(REFERENCE / "endometrial.csv")
        tidy = logistic_regression(data, "HG ~ NV + PI + EH", firth=False).tidy()
        axis = forest_plot(tidy).axes[0]
        assert [text.get_text() for text in axis.texts] == [NOT_ESTIMABLE] * 3
        assert not axis.collections

    def test_missing_column_errors_properly(self, table):
        with pytest.raises(ValueError, match=r"no column\(s\) \['or_multivariable'\]"):
            forest_plot(table, estimate="or_multivariable")

    def test_non_dataframe_errors_properly(self):
        with pytest.raises(TypeError, match="`tidy` must be a pandas DataFrame"):
            forest_plot([1, 2])  # type: ignore[arg-type]

    def test_intercept_only_errors_properly(self, table):
        with pytest.raises(ValueError, match="no rows to plot"):
            forest_plot(table.iloc[:1])


class TestColumns:
    def test_other_columns_and_display_labels(self, table):
        renamed = table.rename(
            columns={"odds_ratio": "or_multivariable", "ci_low": "lo", "ci_high": "hi"}
        )
        axis = forest_plot(
            renamed,
            estimate="or_multivariable",
            low="lo",
            high="hi",
            labels={"sga": "SGA"},
            annotate=False,
        ).axes[0]
        assert [tick.get_text() for tick in axis.get_yticklabels()][1] == "SGA"
        assert [text.get_text() for text in axis.texts] == [NOT_ESTIMABLE]


class TestAx:
    def test_draws_on_a_given_axes(self, table):
        figure, axis = plt.subplots()
        returned = forest_plot(table, ax=axis, title="Table 2")
        assert returned is figure and axis.get_title() == "Table 2"
        assert axis.get_xscale() == "log"


class TestReference:
    def test_reference_line_at_one_by_default(self, table):
        axis = forest_plot(table).axes[0]
        lines = [line for line in axis.get_lines() if line.get_label() == "reference"]
        assert list(lines[0].get_xdata()) == [1.0, 1.0]

    def test_reference_line_moves(self, table):
        axis = forest_plot(table, reference=2.0).axes[0]
        lines = [line for line in axis.get_lines() if line.get_label() == "reference"]
        assert list(lines[0].get_xdata()) == [2.0, 2.0]

    def test_non_positive_reference_errors_properly(self, table):
        with pytest.raises(ValueError, match="`reference` must be a positive number"):
            forest_plot(table, reference=0)


class TestPublishedBesideRebuilt:
    def _tables(self):
        rebuilt = pd.DataFrame(
            {
                "term": ["sga", "prom"],
                "odds_ratio": [3.5, 1.9],
                "ci_low": [1.1, 0.8],
                "ci_high": [11.1, 4.8],
            }
        )
        published = pd.DataFrame(
            {"term": ["sga"], "odds_ratio": [3.462], "ci_low": [1.103], "ci_high": [10.871]}
        )
        return rebuilt, published

    def test_both_series_and_a_labelled_legend(self):
        rebuilt, published = self._tables()
        axis = forest_plot(rebuilt, published=published).axes[0]
        legend = [text.get_text() for text in axis.get_legend().get_texts()]
        assert legend == ["Rebuilt", "Published"]
        # one published marker, drawn just above the SGA row (y = 0)
        published_line = [line for line in axis.lines if line.get_marker() == "o"]
        assert [float(y) for y in published_line[0].get_ydata()] == [0.25]

    def test_plain_log_ticks(self):
        rebuilt, published = self._tables()
        figure = forest_plot(rebuilt, published=published)
        figure.canvas.draw()
        labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
        # 0.8 to 11.1 with a margin: the nice values in between, printed plainly
        assert labels == ["1", "2", "5", "10"]
        assert all("^" not in label and "$" not in label for label in labels)
