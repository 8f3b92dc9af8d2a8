"""Tests of the section machinery of neok2.report: declarations, ordering, skipping, isolation.

The toy sections below count rows of a three-row frame, so every expected number is the
row count (3) or a multiple of it written out by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from neok2.cli.app import main as cli
from neok2.report.run import order_sections, run_analysis, run_sections
from neok2.report.section import Section, SectionInputs, SectionOutput, SectionUnavailable
from neok2.report.sections import REGISTRY, SECTIONS
from neok2.study.spec import SpecError, load_study, parse_study

STUDY = load_study("k2_neonates")
SMALL = pd.DataFrame({"deficiency": [1, 0, 0, 1], "k2_ng_ml": [0.04, 0.5, 0.3, 0.08]})


def toy_inputs() -> SectionInputs:
    return SectionInputs(
        data=pd.DataFrame({"x": [1, 2, 3]}),
        study=STUDY,
        seed=1,
        data_source="real",
        bootstrap_replicates=1,
        simulation_replicates=1,
        labels={},
    )


def rows(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("rows")
    out.add("n", len(inputs.data), str(len(inputs.data)), "rows")
    out.export("frame", inputs.data)
    out.export("n", len(inputs.data))
    return out


def nothing(name: str):
    def compute(inputs: SectionInputs) -> SectionOutput:
        return SectionOutput(name)

    return compute


def unavailable(inputs: SectionInputs) -> SectionOutput:
    raise SectionUnavailable("neok2.nothing is not installed")


# ----------------------------------------------------------------------------- ordering


class TestOrdering:
    def test_sections_run_after_what_they_need(self):
        order = order_sections(
            [
                Section("c", nothing("c"), requires=("b",)),
                Section("b", nothing("b"), uses=("a",)),
                Section("a", nothing("a")),
                Section("d", nothing("d")),
            ]
        )
        assert [section.name for section in order] == ["a", "b", "c", "d"]

    def test_a_cycle_is_refused(self):
        sections = [
            Section("a", nothing("a"), requires=("c",)),
            Section("b", nothing("b"), requires=("a",)),
            Section("c", nothing("c"), uses=("b",)),
        ]
        with pytest.raises(ValueError, match=r"cycle: a -> c -> b -> a"):
            order_sections(sections)
        with pytest.raises(ValueError, match=r"cycle"):
            run_sections(sections, toy_inputs())

    def test_a_section_needing_itself_is_a_cycle(self):
        with pytest.raises(ValueError, match=r"cycle: a -> a"):
            order_sections([Section("a", nothing("a"), requires=("a",))])

    def test_an_unknown_requirement_is_refused(self):
        with pytest.raises(ValueError, match=r"section 'b' needs unknown section\(s\) nope"):
            run_sections(
                [Section("a", nothing("a")), Section("b", nothing("b"), requires=("nope",))],
                toy_inputs(),
            )

    def test_two_sections_with_one_name_are_refused(self):
        with pytest.raises(ValueError, match=r"two sections are named 'a'"):
            order_sections([Section("a", nothing("a")), Section("a", nothing("a"))])

    def test_requires_must_be_a_tuple_of_names(self):
        with pytest.raises(TypeError, match=r"`requires` must be a tuple of names"):
            Section("a", nothing("a"), requires="b")  # type: ignore[arg-type]

    def test_the_shipped_registry_is_already_in_dependency_order(self):
        assert order_sections(REGISTRY) == REGISTRY
        assert SECTIONS == (
            "published",
            "cohort",
            "methods",
            "baseline",
            "measurement_figure",
            "univariable",
            "multivariable",
            "forest",
            "fidelity",
            "audit",
            "power",
            "simulation",
            "design_curves",
            "sensitivity",
            "limitations",
            "bootstrap",
            "rebuild_check",
            "reproducibility",
        )
        needs = {section.name: section.requires for section in REGISTRY}
        assert needs["forest"] == ("multivariable",)
        assert needs["sensitivity"] == ("multivariable",)
        assert needs["design_curves"] == ("simulation",)


# ----------------------------------------------------------------------------- skipping


class TestSkipping:
    def test_a_missing_requirement_skips_the_section_with_its_reason(self):
        def doubled(inputs: SectionInputs) -> SectionOutput:
            out = SectionOutput("doubled")
            out.add("n", 2 * inputs.upstream["missing"]["n"], "", "")
            return out

        runs = run_sections(
            [
                Section("missing", unavailable),
                Section("doubled", doubled, requires=("missing",)),
            ],
            toy_inputs(),
        )
        assert runs["missing"].reason == "neok2.nothing is not installed"
        assert runs["doubled"].reason == (
            "it needs the missing section, which is not available (neok2.nothing is not installed)"
        )
        assert runs["doubled"].output is None

    def test_a_requirement_not_requested_is_named(self):
        runs = run_sections(
            [Section("rows", rows), Section("after", nothing("after"), requires=("rows",))],
            toy_inputs(),
            wanted=["after"],
        )
        assert runs["rows"].reason == "not requested"
        assert runs["after"].reason == "it needs the rows section, which was not requested"

    def test_an_optional_input_may_be_missing(self):
        def count(inputs: SectionInputs) -> SectionOutput:
            out = SectionOutput("count")
            known = inputs.upstream.get("rows", {}).get("n", 0)
            out.add("n", known, str(known), "rows known")
            return out

        section = Section("count", count, uses=("rows",))
        without = run_sections([Section("rows", rows), section], toy_inputs(), wanted=["count"])
        with_rows = run_sections([Section("rows", rows), section], toy_inputs())
        assert without["count"].output.values["count.n"].value == 0
        assert with_rows["count"].output.values["count.n"].value == 3

    def test_a_missing_module_skips_the_section(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "neok2.stats.logistic", None)
        result = run_analysis(SMALL, STUDY, seed=1, sections=["cohort", "univariable"])
        assert result.sections["univariable"] == "neok2.stats.logistic is not installed"
        assert result.sections["cohort"] == ""

    def test_a_module_without_the_declared_name_skips_the_section(self):
        section = Section("x", nothing("x"), modules={"neok2.formatting": ("no_such_function",)})
        runs = run_sections([section], toy_inputs())
        assert runs["x"].reason == "neok2.formatting has no no_such_function"

    def test_the_analysis_names_why_forest_is_skipped(self):
        result = run_analysis(SMALL, STUDY, seed=1, sections=["forest"])
        assert result.sections["forest"] == "the multivariable model is not available"
        assert result.sections["sensitivity"] == "not requested"
        assert "forest" not in result.figures


# ----------------------------------------------------------------------------- isolation


class TestIsolation:
    def test_a_section_cannot_change_another_ones_outputs(self):
        seen: dict[str, object] = {}

        def vandal(inputs: SectionInputs) -> SectionOutput:
            frame = inputs.upstream["rows"]["frame"]
            frame.loc[:, "x"] = 0  # changes this reader's copy only
            inputs.data.loc[:, "x"] = 0
            with pytest.raises(TypeError):
                inputs.upstream["rows"]["frame"] = frame  # type: ignore[index]
            with pytest.raises(TypeError):
                inputs.upstream["other"] = {}  # type: ignore[index]
            return SectionOutput("vandal")

        def reader(inputs: SectionInputs) -> SectionOutput:
            seen["export"] = list(inputs.upstream["rows"]["frame"]["x"])
            seen["data"] = list(inputs.data["x"])
            return SectionOutput("reader")

        runs = run_sections(
            [
                Section("rows", rows),
                Section("vandal", vandal, requires=("rows",)),
                Section("reader", reader, requires=("rows", "vandal")),
            ],
            toy_inputs(),
        )
        assert all(run.computed for run in runs.values())
        assert seen == {"export": [1, 2, 3], "data": [1, 2, 3]}

    def test_sections_share_the_data_without_copying_it(self):
        # copy-on-write: each section reads the run's own column buffers; one that writes
        # to a column, replaces or adds one changes its own view only
        inputs = toy_inputs()
        original = inputs.data
        shared: list[bool] = []

        def writer(inputs: SectionInputs) -> SectionOutput:
            shared.append(np.shares_memory(inputs.data["x"].to_numpy(), original["x"].to_numpy()))
            inputs.data.loc[0, "x"] = 99
            inputs.data["y"] = inputs.data["x"] * 2
            inputs.data["x"] = -1
            return SectionOutput("writer")

        def reader(inputs: SectionInputs) -> SectionOutput:
            shared.append(np.shares_memory(inputs.data["x"].to_numpy(), original["x"].to_numpy()))
            assert list(inputs.data.columns) == ["x"]
            assert list(inputs.data["x"]) == [1, 2, 3]
            return SectionOutput("reader")

        runs = run_sections([Section("writer", writer), Section("reader", reader)], inputs)
        assert all(run.computed for run in runs.values())
        assert shared == [True, True]
        pd.testing.assert_frame_equal(original, pd.DataFrame({"x": [1, 2, 3]}))

    def test_k2_results_do_not_depend_on_which_sections_share_the_data(self):
        # The 200-row synthetic K2 cohort: the data sections run together on one shared
        # frame give exactly the values each gives when run alone on its own deep copy, so
        # no section's changes to its data reach another one.
        from neok2.synth.generator import synthesize

        cohort = synthesize(STUDY, seed=STUDY.default_seed)
        assert len(cohort) == 200
        kept = cohort.copy(deep=True)
        names = ["cohort", "baseline", "univariable", "multivariable"]
        together = run_analysis(cohort, STUDY, seed=1, sections=names).values
        pd.testing.assert_frame_equal(cohort, kept)
        for name in names:
            needs = ["univariable"] if name == "multivariable" else []
            alone = run_analysis(kept.copy(deep=True), STUDY, seed=1, sections=[*needs, name])
            keys = [key for key in alone.values if key.startswith(f"{name}.")]
            assert keys
            for key in keys:
                assert together[key].display == alone.values[key].display, key
                assert repr(together[key].value) == repr(alone.values[key].value), key

    def test_a_section_sees_only_what_it_declared(self):
        def nosy(inputs: SectionInputs) -> SectionOutput:
            assert set(inputs.upstream) == set()
            with pytest.raises(KeyError):
                inputs.upstream["rows"]
            with pytest.raises(KeyError, match="not declared"):
                inputs.module("neok2.formatting")
            return SectionOutput("nosy")

        runs = run_sections([Section("rows", rows), Section("nosy", nosy)], toy_inputs())
        assert runs["nosy"].computed

    def test_a_mutable_export_is_refused(self):
        def leaky(inputs: SectionInputs) -> SectionOutput:
            out = SectionOutput("leaky")
            out.export("state", {"n": 1})
            return out

        with pytest.raises(TypeError, match=r"export 'state': a dict could be changed"):
            run_sections([Section("leaky", leaky)], toy_inputs())

    def test_a_section_must_return_its_own_output(self):
        with pytest.raises(TypeError, match=r"must return SectionOutput\('a'\)"):
            run_sections([Section("a", nothing("b"))], toy_inputs())


# ----------------------------------------------------------------------------- study facts


def spec_without_report() -> dict:
    path = Path(__file__).resolve().parents[1] / "src/neok2/studies/k2_neonates.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["report"], data["indications"]
    return data


class TestStudyFacts:
    def test_the_shipped_study_names_its_report_facts(self):
        assert STUDY.default_seed == 20200701
        assert STUDY.report["measurement"] == "k2_ng_ml"
        assert STUDY.indications["antenatal_steroid"]["related"] == (
            "ga_weeks",
            "preterm",
            "caesarean",
        )

    def test_a_spec_without_report_facts_loads_with_defaults(self):
        study = parse_study(spec_without_report())
        assert study.default_seed is None and dict(study.indications) == {}
        # the plotted measurement falls back to the variable of the case definition
        result = run_analysis(SMALL, study, seed=1, sections=["cohort", "measurement_figure"])
        assert result.sections["measurement_figure"] == ""
        assert list(result.figures) == ["measurement_by_group"]
        assert "cohort.n_sga" not in result.values

    def test_an_unknown_measurement_column_is_refused(self):
        data = spec_without_report()
        data["report"] = {"measurement": "k2_typo"}
        with pytest.raises(SpecError, match=r"report.measurement: 'k2_typo' is not a column"):
            parse_study(data)

    def test_analyze_needs_a_seed_when_the_study_has_none(self, tmp_path):
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(spec_without_report()), encoding="utf-8")
        data = tmp_path / "data" / "small.csv"
        data.parent.mkdir()
        SMALL.to_csv(data, index=False)
        outcome = CliRunner().invoke(
            cli, ["analyze", str(data), "--study", str(spec), "--out", str(tmp_path / "out")]
        )
        assert outcome.exit_code != 0
        assert "--seed: study 'k2_neonates' names no default seed" in outcome.output
