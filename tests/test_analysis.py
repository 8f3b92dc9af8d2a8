"""Tests of neok2.report.analysis and the `neok2 analyze` command.

The small data set below has 20 cases and 40 controls:

    antenatal_steroid   cases  controls        male   cases  controls
    exposed                10         5        yes       10        20
    unexposed              10        35        no        10        20

so by hand: steroid OR = (10 * 35) / (10 * 5) = 7; Wald SE of log OR =
sqrt(1/10 + 1/10 + 1/5 + 1/35) = 0.6546537; 95% CI = exp(log 7 -+ 1.959964 * 0.6546537) =
1.940242-25.254586; Wald p = 2 (1 - Phi(log 7 / 0.6546537)) = 0.0029546. Male: OR = 1, p = 1,
so only the steroid passes the p < 0.1 screen and the multivariable model equals the
univariable one. Risk of deficiency among the unexposed p0 = 10 / 45; Zhang-Yu risk ratio
7 / (1 - p0 + 7 p0) = 3 = (10/15) / (10/45); limits 1.604908 and 3.952261; E-value
3 + sqrt(3 * 2) = 5.449490, of the lower limit 1.604908 + sqrt(1.604908 * 0.604908) = 2.590211.
Vitamin K2: cases 0.0045 * (1..20) (median 0.04725; 11 below 0.05), controls
0.2 + 0.015 * (0..39) (median 0.4925).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from neok2._io import record_written
from neok2.cli.app import main as cli
from neok2.report.analysis import (
    SECTIONS,
    AnalysisResults,
    file_sha256,
    load_results,
    run_analysis,
    write_results,
)
from neok2.report.prose import in_prose, printed_p_phrase
from neok2.study.spec import load_study

STUDY = load_study("k2_neonates")
REPLICATES = {"bootstrap_replicates": 3, "simulation_replicates": 10}


def small_data() -> pd.DataFrame:
    outcome = np.r_[np.ones(20, dtype=int), np.zeros(40, dtype=int)]
    steroid = np.r_[np.ones(10), np.zeros(10), np.ones(5), np.zeros(35)].astype(int)
    male = np.r_[np.tile([1, 0], 10), np.tile([1, 0], 20)]
    k2 = np.r_[0.0045 * np.arange(1, 21), 0.2 + 0.015 * np.arange(40)]
    return pd.DataFrame(
        {
            "id": np.arange(1, 61),
            "deficiency": outcome,
            "k2_ng_ml": k2,
            "antenatal_steroid": steroid,
            "male": male,
        }
    )


@pytest.fixture(scope="module")
def results() -> AnalysisResults:
    return run_analysis(small_data(), STUDY, seed=11, **REPLICATES)


def value(results: AnalysisResults, key: str) -> object:
    return results.values[key].value


# ----------------------------------------------------------------------------- data


class TestData:
    def test_cohort_counts_by_hand(self, results):
        assert value(results, "cohort.n_total") == 60
        assert value(results, "cohort.n_cases") == 20
        assert value(results, "cohort.prevalence_percent") == pytest.approx(100 / 3, rel=1e-12)
        # AMA style: a percentage of fewer than 100 prints without decimals
        assert results.values["cohort.prevalence_percent"].display == "33"
        assert value(results, "cohort.n_undetectable") == 11
        assert value(results, "cohort.n_male") == 30

    def test_k2_medians_by_hand(self, results):
        assert value(results, "measurement_figure.median_case") == pytest.approx(0.04725, rel=1e-12)
        assert value(results, "measurement_figure.median_control") == pytest.approx(
            0.4925, rel=1e-12
        )

    def test_univariable_odds_ratio_by_hand(self, results):
        assert value(results, "univariable.antenatal_steroid.odds_ratio") == pytest.approx(
            7.0, rel=1e-6
        )
        low, high = value(results, "univariable.antenatal_steroid.ci")
        assert (low, high) == (
            pytest.approx(1.9402417, rel=1e-6),
            pytest.approx(25.254586, rel=1e-6),
        )
        assert value(results, "univariable.antenatal_steroid.p_value") == pytest.approx(
            0.0029546, rel=1e-4
        )
        assert results.values["univariable.antenatal_steroid.summary"].display == (
            "OR 7.00 (95% CI 1.94-25.25; p = 0.003)"
        )

    def test_screen_keeps_only_the_associated_factor(self, results):
        assert value(results, "univariable.selected") == ["antenatal_steroid"]
        assert value(results, "multivariable.terms") == ["antenatal_steroid"]
        assert value(results, "multivariable.antenatal_steroid.odds_ratio") == pytest.approx(
            7.0, rel=1e-6
        )

    def test_sensitivity_by_hand(self, results):
        assert value(results, "sensitivity.antenatal_steroid.risk_ratio") == pytest.approx(
            3.0, rel=1e-9
        )
        # E-values by VanderWeele-Ding with RR = sqrt(OR) (common outcome), by hand:
        # sqrt(7) = 2.645751, E = 2.645751 + sqrt(2.645751 x 1.645751) = 4.732435;
        # lower limit 1.940242: sqrt = 1.392926, E = 1.392926 + sqrt(1.392926 x 0.392926)
        # = 2.132734
        assert value(results, "sensitivity.antenatal_steroid.e_value") == pytest.approx(
            4.732435, rel=1e-6
        )
        assert value(results, "sensitivity.antenatal_steroid.e_value_ci") == pytest.approx(
            2.132734, rel=1e-5
        )

    def test_every_section_is_computed(self, results):
        # K2's records are not public: its spec declares no microdata to check a rebuild against
        expected = dict.fromkeys(SECTIONS, "")
        expected["rebuild_check"] = results.sections["rebuild_check"]
        assert dict(results.sections) == expected
        assert "microdata" in results.sections["rebuild_check"]

    def test_tidy_lists_every_value(self, results):
        tidy = results.tidy()
        assert list(tidy.columns) == ["key", "section", "value", "display", "description"]
        assert len(tidy) == len(results.values)
        assert tidy["key"].is_unique

    def test_published_values_are_printed_as_in_the_paper(self, results):
        assert results.values["published.multivariable.sga.summary"].display == (
            "OR 3.462 (95% CI 1.103-10.871; p = 0.033)"
        )


class TestLabels:
    def test_a_label_printed_twice_takes_the_dictionary_description(self):
        labels = STUDY.display_labels()
        # the paper printed "Apgar score at 5 min" for both the 5- and the 10-minute rows
        assert labels["apgar_5min"] == "Apgar score at 5 minutes"
        assert labels["apgar_10min"] == "Apgar score at 10 minutes"
        assert labels["apgar_1min"] == "Apgar score at 1 min"
        assert labels["sga"] == "SGA"  # "SGA, n (%)" less its cell format
        assert len(set(labels.values())) == len(labels)

    def test_prose_lists_lower_case_words_but_not_acronyms_or_names(self):
        assert in_prose("Antenatal steroid") == "antenatal steroid"
        assert in_prose("Preeclampsia/eclampsia") == "preeclampsia/eclampsia"
        assert in_prose("SGA") == "SGA" and in_prose("PT (S)") == "PT (S)"
        assert in_prose("Apgar score at 1 min") == "Apgar score at 1 min"

    def test_candidates_read_as_prose(self, results):
        assert results.values["methods.candidates"].display == "gender male and antenatal steroid"

    def test_rebuilt_tables_use_the_clean_labels(self, results):
        assert "Gender male" in results.table_html["univariable"]
        assert "Gender male, n (%)" not in results.table_html["univariable"]


class TestPrintedPValues:
    def test_a_printed_zero_is_quoted_as_printed(self, results):
        assert results.values["published.univariable.antenatal_steroid.summary"].display == (
            "OR 5.675 (95% CI 2.659-12.112; p printed as 0.000)"
        )
        assert results.values["published.univariable.caesarean.summary"].display == (
            "OR 3.151 (95% CI 1.586-6.263; p = 0.001)"
        )

    @pytest.mark.parametrize(
        ("printed", "phrase"),
        [("0.000", "p printed as 0.000"), ("0.01", "p = 0.01"), ("<0.001", "p < 0.001")],
    )
    def test_phrases(self, printed, phrase):
        assert printed_p_phrase(printed) == phrase

    def test_fidelity_table_quotes_the_printed_zero(self, results):
        assert "0.000 (as printed)" in results.table_html["fidelity"]


class TestModelAgainstPaper:
    def test_terms_compared_with_the_reported_ones(self, results):
        # significant here: the steroid only; the paper reported steroid, caesarean and SGA
        assert value(results, "multivariable.significant_unreported") == []
        assert results.values["multivariable.significant_unreported"].display == "none"
        assert value(results, "multivariable.reported_not_significant") == ["caesarean", "sga"]
        assert results.values["multivariable.reported_not_significant"].display == (
            "caesarean section and SGA"
        )

    def test_firth_change_by_hand(self, results):
        # one binary covariate: Firth's estimate is the OR of the table with 0.5 added to
        # every cell, (10.5 * 35.5) / (10.5 * 5.5) = 6.454545; |6.454545 / 7 - 1| = 7.792%
        assert value(results, "sensitivity.max_firth_change_percent") == pytest.approx(
            100 * (1 - (35.5 / 5.5) / 7), rel=1e-5
        )

    def test_simulation_truth_is_the_published_adjusted_or(self, results):
        assert value(results, "simulation.antenatal_steroid.true_or") == pytest.approx(4.728)

    def test_significant_baseline_variables_leave_out_the_defining_one(self, results):
        # k2_ng_ml separates the groups by construction; it stays in the value, not the phrase
        assert "k2_ng_ml" in value(results, "baseline.significant")
        assert "Vitamin K2" not in results.values["baseline.significant"].display


class TestSeed:
    def test_same_seed_gives_identical_artifacts(self, tmp_path):
        # the sections with random steps (jitter, bootstrap, simulation) and their inputs
        sections = [
            "cohort",
            "measurement_figure",
            "univariable",
            "multivariable",
            "forest",
            "simulation",
            "bootstrap",
        ]
        first = write_results(
            run_analysis(small_data(), STUDY, seed=11, sections=sections, **REPLICATES),
            tmp_path / "a",
        )
        second = write_results(
            run_analysis(small_data(), STUDY, seed=11, sections=sections, **REPLICATES),
            tmp_path / "b",
        )
        assert [p.relative_to(tmp_path / "a") for p in first] == [
            p.relative_to(tmp_path / "b") for p in second
        ]
        for one, two in zip(first, second, strict=True):
            assert one.read_bytes() == two.read_bytes(), one.name


class TestMissingModules:
    def test_a_missing_module_is_reported_not_fatal(self, monkeypatch, tmp_path):
        monkeypatch.setitem(sys.modules, "neok2.synth.fidelity", None)
        result = run_analysis(small_data(), STUDY, seed=1, sections=["cohort", "fidelity"])
        assert result.sections["fidelity"] == "neok2.synth.fidelity is not installed"
        assert "fidelity" not in result.tables
        write_results(result, tmp_path)
        loaded = load_results(tmp_path)
        assert not loaded.available("fidelity") and loaded.available("cohort")
        assert loaded.display("fidelity.n_ok") == "[not available]"
        assert "not available" in loaded.table("fidelity").data
        with pytest.raises(KeyError, match=r"no value 'cohort\.typo'"):
            loaded.display("cohort.typo")


# ----------------------------------------------------------------------------- artifacts


class TestWriteResults:
    def test_layout_and_json(self, tmp_path, results):
        written = write_results(results, tmp_path)
        assert written[-1] == tmp_path / "results.json"
        document = json.loads((tmp_path / "results.json").read_text())
        assert document["values"]["cohort.n_cases"] == {
            "value": 20,
            "display": "20",
            "description": "cases (Vitamin K2 deficiency)",
            "section": "cohort",
        }
        assert (tmp_path / document["tables"]["baseline"]["html"]).read_text().count(
            'id="tbl_baseline"'
        ) >= 1
        assert (tmp_path / document["figures"]["forest"]).read_bytes().startswith(b"<?xml")
        frame = pd.read_csv(tmp_path / document["tables"]["univariable"]["csv"])
        steroid = frame.set_index("variable").loc["antenatal_steroid", "odds_ratio"]
        assert steroid == pytest.approx(7.0, rel=1e-6)

    def test_svg_has_no_date_or_creator(self, results):
        svg = results.figures["k2_by_group"]
        assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg and b"<dc:creator>" not in svg

    def test_stale_artifacts_are_removed(self, tmp_path, results):
        # an artifact an earlier run wrote (recorded in the manifest) does not survive
        write_results(results, tmp_path)
        (tmp_path / "tables" / "old.csv").write_text("x\n")
        record_written(tmp_path / "tables" / "old.csv")
        write_results(results, tmp_path)
        assert not (tmp_path / "tables" / "old.csv").exists()

    def test_load_results_reads_back(self, tmp_path, results):
        write_results(results, tmp_path)
        loaded = load_results(tmp_path)
        assert loaded.display("cohort.n_total") == "60"
        assert loaded.value("univariable.antenatal_steroid.odds_ratio") == pytest.approx(7.0)
        assert loaded.table_frame("univariable")["variable"].tolist() == [
            "male",
            "antenatal_steroid",
        ]
        assert "<svg" in loaded.figure("k2_by_group").data
        assert loaded.text("limitations").startswith("**Design and selection.**")


class TestErrorsProperly:
    def test_data(self):
        with pytest.raises(TypeError, match="`data` must be a pandas DataFrame"):
            run_analysis([1, 2], STUDY, seed=1)  # type: ignore[arg-type]

    def test_study(self):
        with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
            run_analysis(small_data(), "k2_neonates", seed=1)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("seed", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
    )
    def test_seed(self, seed, error):
        with pytest.raises(error, match="`seed` must be a non-negative integer"):
            run_analysis(small_data(), STUDY, seed=seed)

    def test_data_source(self):
        with pytest.raises(ValueError, match="`data_source` must be 'synthetic' or 'real'"):
            run_analysis(small_data(), STUDY, seed=1, data_source="user")  # type: ignore[arg-type]

    def test_replicates(self):
        with pytest.raises(ValueError, match="`bootstrap_replicates` must be a positive"):
            run_analysis(small_data(), STUDY, seed=1, bootstrap_replicates=0)

    def test_sections(self):
        with pytest.raises(ValueError, match=r"unknown section\(s\) \['tables'\]"):
            run_analysis(small_data(), STUDY, seed=1, sections=["tables"])

    def test_no_candidate_columns(self):
        data = small_data()[["deficiency", "k2_ng_ml"]]
        result = run_analysis(data, STUDY, seed=1, sections=["cohort", "univariable"])
        assert result.sections["univariable"] == (
            "the data hold none of the study's candidate columns"
        )
        assert result.sections["audit"] == "not requested"

    def test_outcome_missing(self):
        with pytest.raises(ValueError, match="no outcome column 'deficiency'"):
            run_analysis(small_data().drop(columns="deficiency"), STUDY, seed=1)

    def test_write_into_a_file(self, tmp_path, results):
        target = tmp_path / "file"
        target.write_text("")
        with pytest.raises(ValueError, match="exists and is not a directory"):
            write_results(results, target)
        with pytest.raises(TypeError, match="must come from run_analysis"):
            write_results({}, tmp_path)  # type: ignore[arg-type]

    def test_load(self, tmp_path):
        with pytest.raises(FileNotFoundError, match=r"no results\.json"):
            load_results(tmp_path)
        (tmp_path / "results.json").write_text(json.dumps({"schema": 0}))
        with pytest.raises(ValueError, match="schema 0 is not 2"):
            load_results(tmp_path)


# ----------------------------------------------------------------------------- command line


def _full_data() -> pd.DataFrame:
    """Every dictionary column, so that `neok2 validate` passes."""
    frame = small_data()
    rng = np.random.default_rng(5)
    n = len(frame)
    frame["k2_undetectable"] = (frame["k2_ng_ml"] < 0.05).astype(int)
    frame["ga_weeks"] = np.round(rng.uniform(30, 41, n), 1)
    frame["preterm"] = (frame["ga_weeks"] < 37).astype(int)
    frame["birthweight_kg"] = np.round(rng.uniform(1.5, 4.0, n), 2)
    for column in [
        "sga",
        "caesarean",
        "twins",
        "intrauterine_distress",
        "prom",
        "placental_abnormality",
        "gestational_diabetes",
        "preeclampsia",
    ]:
        frame[column] = rng.integers(0, 2, n)
    for column in ["apgar_1min", "apgar_5min", "apgar_10min"]:
        frame[column] = rng.integers(7, 11, n)
    for column, low, high in [
        ("pt_s", 14, 16),
        ("aptt_s", 50, 56),
        ("fibrinogen_g_l", 1, 3),
        ("glucose_mmol_l", 4, 5),
        ("calcium_mmol_l", 0.8, 1.3),
        ("phosphorus_mmol_l", 1.6, 2.3),
    ]:
        frame[column] = np.round(rng.uniform(low, high, n), 2)
    frame["maternal_age"] = rng.integers(20, 40, n)
    return frame


class TestCommand:
    def test_analyze_writes_results(self, tmp_path, monkeypatch):
        # the command's plumbing (validation, data source, file record, writing) is under
        # test here; every section runs through it in tests/test_manuscript.py
        import neok2.cli.analyze as command

        def two_sections(*args, **kwargs):
            return run_analysis(*args, sections=["cohort", "reproducibility"], **kwargs)

        monkeypatch.setattr(command, "run_analysis", two_sections)
        data = tmp_path / "data" / "cohort.csv"
        data.parent.mkdir()
        _full_data().to_csv(data, index=False)
        out = tmp_path / "results"
        outcome = CliRunner().invoke(
            cli,
            [
                "analyze",
                str(data),
                "--seed",
                "3",
                "--out",
                str(out),
                "--bootstrap",
                "2",
                "--simulations",
                "5",
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        document = json.loads((out / "results.json").read_text())
        assert document["data_source"] == "real"
        assert document["data_file"] == {
            "name": "cohort.csv",
            "sha256": file_sha256(data),
            "rows": 60,
            "columns": 27,
        }

    def test_data_source_is_never_guessed_from_neighbouring_files(self, tmp_path):
        data = tmp_path / "k2.csv"
        small_data().to_csv(data, index=False)
        (tmp_path / "k2_compromises.csv").write_text("")
        out = tmp_path / "out"
        outcome = CliRunner().invoke(
            cli,
            [
                "analyze",
                str(data),
                "--seed",
                "1",
                "--out",
                str(out),
                "--bootstrap",
                "2",
                "--simulations",
                "5",
                "--no-validate",
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        assert json.loads((out / "results.json").read_text())["data_source"] == "real"

    def test_out_must_not_contain_data(self, tmp_path):
        data = tmp_path / "cohort.csv"
        small_data().to_csv(data, index=False)
        outcome = CliRunner().invoke(
            cli, ["analyze", str(data), "--seed", "1", "--out", str(tmp_path)]
        )
        assert outcome.exit_code == 2
        assert "contains DATA" in outcome.output

    def test_invalid_data_is_refused(self, tmp_path):
        data = tmp_path / "data" / "cohort.csv"
        data.parent.mkdir()
        small_data().to_csv(data, index=False)
        outcome = CliRunner().invoke(
            cli, ["analyze", str(data), "--seed", "1", "--out", str(tmp_path / "results")]
        )
        assert outcome.exit_code == 2
        assert "neok2 validate" in outcome.output
        assert not (tmp_path / "results").exists()

    def test_file_sha256_by_hand(self, tmp_path):
        path = tmp_path / "abc.txt"
        path.write_bytes(b"abc")
        # FIPS 180-2 appendix B.1: SHA-256("abc")
        assert file_sha256(path) == (
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
