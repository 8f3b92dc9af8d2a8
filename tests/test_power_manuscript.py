"""Tests of the manuscript's power sections: methods labelled, MC SEs reported, no observed power.

The sections depend only on the study in replication mode, so a four-row frame suffices; the
simulations run with a handful of replicates (the numbers are checked for their form and for
hand-written identities, not for their size).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from neok2.cli.app import main as cli
from neok2.report.run import run_analysis
from neok2.study.spec import load_study

STUDY = load_study("k2_neonates")
SMALL = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})
ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("observed power", "post-hoc", "post hoc", "power at the published or")


@pytest.fixture(scope="module")
def independent():
    return run_analysis(
        SMALL,
        STUDY,
        seed=4,
        sections=["power", "simulation"],
        simulation_replicates=40,
        exposure_structure="independent",
    )


@pytest.fixture(scope="module")
def calibrated():
    return run_analysis(
        SMALL,
        STUDY,
        seed=4,
        sections=["power", "simulation", "design_curves"],
        simulation_replicates=20,
    )


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


class TestLabels:
    def test_analytic_power_is_labelled_crude(self, independent):
        html = text_of(independent.table_html["power"])
        assert "Fleiss (crude)" in html and "exact Wald (crude)" in html
        assert set(independent.tables["power"]["method"]) == {
            "Fleiss (crude)",
            "exact Wald (crude)",
        }

    def test_adjusted_power_sits_beside_crude_rows(self, independent):
        html = text_of(independent.table_html["simulation"])
        for label in ("Fleiss (crude)", "exact Wald (crude)", "Simulated pipeline (adjusted)"):
            assert label in html
        assert "MC SE" in html

    def test_fleiss_and_exact_wald_agree_for_sga(self, independent):
        # SGA, p0 = 6/134, 66 cases: the two crude methods agree within a few points at OR 4,
        # and an OR of 1.5 is rarely detected
        fleiss = independent.values["power.sga.fleiss_or_4"].value
        wald = independent.values["power.sga.exact_wald_or_4"].value
        assert abs(fleiss - wald) < 0.05
        assert independent.values["power.sga.exact_wald_or_1_5"].value < 0.2


class TestMonteCarloError:
    def test_power_mcse_is_the_binomial_standard_error(self, independent):
        # sqrt(p (1 - p) / R) with R = 40 simulated studies, written out
        for factor in ("antenatal_steroid", "caesarean", "sga"):
            power = independent.values[f"simulation.{factor}.power"].value
            error = independent.values[f"simulation.{factor}.power_mcse"].value
            assert error == pytest.approx(math.sqrt(power * (1 - power) / 40), rel=1e-12)

    def test_every_threshold_cell_carries_its_mcse(self, independent):
        frame = independent.tables["screening_factors"]
        # proportions always have one (a mean over a single selected study has none)
        shares = frame[frame["quantity"].isin(["power", "selection_rate", "false_inclusion"])]
        assert len(shares) and shares["mcse"].notna().all()
        assert set(frame["screen"]) == {"p < 0.05", "p < 0.1", "p < 0.2", "none"}
        # the other screens run on a fifth of the studies (40 // 5 = 8), the study's on all 40
        counts = frame.groupby("screen")["n_replicates"].first().to_dict()
        assert counts == {"p < 0.05": 8, "p < 0.1": 40, "p < 0.2": 8, "none": 8}

    def test_design_table_names_the_four_design_quantities(self, independent):
        html = text_of(independent.table_html["screening_design"])
        for heading in (
            "Any false positive",
            "Expected false positives",
            "All reported factors detected",
            "Candidates entered",
        ):
            assert heading in html


class TestExposureModel:
    def test_the_structure_is_chosen_and_recorded(self, independent, calibrated):
        assert independent.values["simulation.exposure_structure"].value == "independent"
        assert calibrated.values["simulation.exposure_structure"].value == "calibrated"
        # Table 1's 10 binary candidates against all 22 candidates
        assert independent.values["simulation.n_candidates"].value == 10
        assert calibrated.values["simulation.n_candidates"].value == 22

    def test_an_unknown_structure_is_refused(self):
        with pytest.raises(ValueError, match="exposure_structure"):
            run_analysis(SMALL, STUDY, seed=1, sections=["power"], exposure_structure="copula")

    def test_the_command_offers_the_structure(self, tmp_path):
        data = tmp_path / "d.csv"
        SMALL.to_csv(data, index=False)
        result = CliRunner().invoke(
            cli, ["analyze", str(data), "--structure", "copula", "--out", str(tmp_path / "o")]
        )
        assert result.exit_code == 2 and "--structure" in result.output

    def test_correlation_sensitivity_has_the_four_scales(self, calibrated):
        frame = calibrated.tables["correlation_sensitivity"]
        assert sorted(frame["correlation_scale"].unique()) == [0.0, 0.5, 1.0, 1.5]

    def test_curves_are_vector_figures(self, calibrated):
        for name in ("power_over_n", "power_over_or"):
            svg = calibrated.figures[name]
            assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<image" not in svg


class TestWording:
    def test_no_observed_power_in_the_manuscript_or_the_sections(self):
        sources = [ROOT / "manuscript" / "index.qmd"]
        sources += sorted((ROOT / "src" / "neok2" / "report" / "sections").glob("*.py"))
        for path in sources:
            text = path.read_text("utf-8").lower()
            for phrase in FORBIDDEN:
                assert phrase not in text, f"{path.name}: {phrase!r}"

    def test_no_observed_power_in_the_generated_tables(self, calibrated):
        for name, html in calibrated.table_html.items():
            lowered = text_of(html).lower()
            for phrase in FORBIDDEN:
                assert phrase not in lowered, f"{name}: {phrase!r}"

    def test_same_seed_same_tables(self, independent):
        again = run_analysis(
            SMALL,
            STUDY,
            seed=4,
            sections=["power", "simulation"],
            simulation_replicates=40,
            exposure_structure="independent",
        )
        assert again.table_html == independent.table_html
