"""Result objects are frozen all the way down, and those with ``.to_gt()`` show in Jupyter.

For each result class: change what it hands out (a DataFrame, a mapping, an array) and check
the object still holds what it was built with. The rule is in neok2._frozen: DataFrames are
copied on the way out, arrays are read-only, mappings are read-only proxies.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neok2.audit.run import AuditResult, audit_study
from neok2.report.render.api import RenderResult
from neok2.stats.baseline import BaselineTable, baseline_table
from neok2.stats.batch import fit_logistic_batch
from neok2.stats.logistic import LogisticResult, logistic_regression
from neok2.stats.selection import ScreenResult, screen_and_fit, stepwise
from neok2.stats.simulation import exposure_model
from neok2.study.dictionary import validate_data
from neok2.study.spec import load_study
from neok2.synth.fidelity import FidelityReport, fidelity_report
from neok2.synth.generator import SynthesisResult


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.integers(0, 2, 120)
    z = rng.normal(size=120)
    y = (rng.uniform(size=120) < 1 / (1 + np.exp(-(-0.5 + 0.9 * x + 0.4 * z)))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "z": z})


@pytest.fixture(scope="module")
def study():
    return load_study("k2_neonates")


def _mutate_frame(frame: pd.DataFrame) -> None:
    assert len(frame) > 0, "pick inputs that give a non-empty frame"
    frame.index = pd.RangeIndex(100, 100 + len(frame))
    frame["extra_column"] = 1


def _assert_frame_protected(get) -> None:
    before = get().copy()
    _mutate_frame(get())
    pd.testing.assert_frame_equal(get(), before)


class TestLogisticResult:
    @pytest.fixture(scope="class")
    @classmethod
    def result(cls, data) -> LogisticResult:
        return logistic_regression(data, "y ~ x + z")

    def test_missing_and_tidy_are_copies(self, result):
        _assert_frame_protected(lambda: result.missing)
        _assert_frame_protected(result.tidy)

    def test_fields_cannot_be_reassigned(self, result):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.missing = pd.DataFrame()  # type: ignore[misc]

    def test_repr_html_is_the_gt_html(self, result):
        html = result._repr_html_()
        assert html == result.to_gt().as_raw_html()
        assert 'id="neok2-logistic"' in html


class TestScreenResult:
    @pytest.fixture(scope="class")
    @classmethod
    def result(cls, data) -> ScreenResult:
        return screen_and_fit(data, "y", ["x", "z"], threshold=0.5)

    def test_frames_are_copies(self, result):
        _assert_frame_protected(lambda: result.univariable)
        _assert_frame_protected(lambda: result.selection_log)
        _assert_frame_protected(result.tidy)

    def test_model_mapping_is_read_only(self, result):
        with pytest.raises(TypeError):
            result.univariable_models["x"] = None  # type: ignore[index]

    def test_repr_html(self, result):
        assert result._repr_html_() == result.to_gt().as_raw_html()


class TestStepwiseResult:
    def test_steps_are_copies(self, data):
        result = stepwise(data, "y", ["x", "z"])
        _assert_frame_protected(lambda: result.steps)


class TestBaselineTable:
    @pytest.fixture(scope="class")
    @classmethod
    def table(cls, data) -> BaselineTable:
        return baseline_table(data, "y", variables=["x", "z"])

    def test_rows_and_tidy_are_copies(self, table):
        _assert_frame_protected(lambda: table.rows)
        _assert_frame_protected(table.tidy)

    def test_group_sizes_are_read_only(self, table):
        with pytest.raises(TypeError):
            table.group_n["1"] = 0  # type: ignore[index]

    def test_repr_html(self, table):
        html = table._repr_html_()
        assert html == table.to_gt().as_raw_html() and 'id="neok2-baseline"' in html


class TestAuditResult:
    @pytest.fixture(scope="class")
    @classmethod
    def result(cls, study) -> AuditResult:
        return audit_study(study)

    def test_checks_and_tidy_are_copies(self, result):
        _assert_frame_protected(lambda: result.checks)
        _assert_frame_protected(result.tidy)

    def test_repr_html(self, result):
        html = result._repr_html_()
        assert html == result.to_gt().as_raw_html() and 'id="neok2-audit"' in html


class TestFidelityReport:
    @pytest.fixture(scope="class")
    @classmethod
    def report(cls, study) -> FidelityReport:
        outcome_only = pd.DataFrame({"deficiency": [1] * 66 + [0] * 134})
        return fidelity_report(study, outcome_only)

    def test_is_a_frozen_result(self, report):
        assert isinstance(report, FidelityReport) and report.study_id == "k2_neonates"
        with pytest.raises(dataclasses.FrozenInstanceError):
            report.rows = pd.DataFrame()  # type: ignore[misc]

    def test_rows_and_tidy_are_copies(self, report):
        _assert_frame_protected(lambda: report.rows)
        _assert_frame_protected(report.tidy)

    def test_counts_agree_with_the_rows(self, report):
        rows = report.tidy()
        # the two group sizes are met exactly (66 and 134 are the published counts)
        sizes = rows[(rows["variable"] == "deficiency") & (rows["statistic"] == "n")]
        assert sizes["ok"].tolist() == [True, True]
        assert report.n_checked == int(rows["ok"].notna().sum())
        assert report.n_failed == len(report.failures())
        summary = report.summary()
        assert summary["n_rows"].sum() == len(rows)
        assert summary["n_met"].sum() + summary["n_failed"].sum() == report.n_checked

    def test_repr_html(self, report):
        html = report._repr_html_()
        assert html == report.to_gt().as_raw_html() and 'id="neok2-fidelity"' in html

    def test_errors_properly(self):
        with pytest.raises(ValueError, match="`rows` lacks columns"):
            FidelityReport(study_id="x", rows=pd.DataFrame({"a": [1]}))
        with pytest.raises(TypeError, match="`rows` must be a pandas DataFrame"):
            FidelityReport(study_id="x", rows=[1])  # type: ignore[arg-type]


class TestSynthesisResult:
    def test_data_and_compromises_are_copies(self):
        result = SynthesisResult(
            data=pd.DataFrame({"id": ["A1"], "case": [1]}),
            compromises=pd.DataFrame({"what": ["x"]}),
            study_id="demo",
            seed=3,
        )
        _assert_frame_protected(lambda: result.data)
        _assert_frame_protected(lambda: result.compromises)
        _assert_frame_protected(result.tidy)

    def test_the_frame_given_in_is_copied(self):
        given = pd.DataFrame({"id": ["A1"], "case": [1]})
        result = SynthesisResult(data=given, compromises=given, study_id="d", seed=1)
        given.loc[0, "case"] = 0
        assert result.data.loc[0, "case"] == 1


class TestValidationReport:
    def test_problems_and_missing_are_copies(self):
        report = validate_data(pd.DataFrame({"id": ["a", "b"], "ga_weeks": [39.0, "abc"]}))
        _assert_frame_protected(lambda: report.problems)
        before = report.missing.copy()
        handed_out = report.missing
        handed_out.iloc[0] = 999
        pd.testing.assert_series_equal(report.missing, before)


class TestArrays:
    def test_exposure_model_arrays_are_read_only(self):
        model = exposure_model({"x": 0.3})
        for name in ("support", "control_probabilities", "odds_ratios"):
            with pytest.raises(ValueError, match="read-only"):
                getattr(model, name)[...] = 0

    def test_batch_result_arrays_are_read_only(self):
        rng = np.random.default_rng(1)
        X = np.column_stack([np.ones(40), rng.normal(size=40)])
        y = (rng.uniform(size=(3, 40)) < 0.4).astype(float)
        fit = fit_logistic_batch(X, y)
        before = fit.coef.copy()
        with pytest.raises(ValueError, match="read-only"):
            fit.coef[0, 0] = 99.0
        np.testing.assert_array_equal(fit.coef, before)
        _assert_frame_protected(fit.tidy)


class TestRenderResult:
    def test_cross_references_are_read_only(self):
        given = {"tbl-baseline": "Table 1"}
        result = RenderResult(
            engine="fallback",
            outputs=(Path("index.html"),),
            cache_hit=None,
            cross_references=given,
        )
        given["fig-forest"] = "Figure 1"
        assert dict(result.cross_references) == {"tbl-baseline": "Table 1"}
        with pytest.raises(TypeError):
            result.cross_references["x"] = "y"  # type: ignore[index]


class TestTwoByTwo:
    def test_repr_html_is_the_gt_html(self):
        from neok2.stats.contingency import odds_ratio_2x2

        result = odds_ratio_2x2(25, 41, 13, 121)
        html = result._repr_html_()
        assert html == result.to_gt().as_raw_html() and 'id="neok2-2x2"' in html
        # margins written out by hand: 25 + 41 = 66 cases, 13 + 121 = 134 controls, 200 in all
        for margin in (">66<", ">134<", ">38<", ">162<", ">200<"):
            assert margin in html
