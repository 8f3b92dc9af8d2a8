"""A study spec that declares a matched or stratified design, and the analysis that honours it.

Reference values: tests/reference/matched.R (survival::clogit on datasets::infert's matched
sets; stats::mantelhaen.test on the esoph microdata with alcohol >= 40 g/day by age group),
written to tests/reference/matched.csv.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from neok2.report.run import run_analysis
from neok2.stats.matched_screen import conditional_bootstrap_inclusion
from neok2.stats.power_designs import power_matched
from neok2.study.dictionary import validate_data
from neok2.study.spec import SpecError, load_study, parse_study

ROOT = Path(__file__).parents[1]
SPEC = ROOT / "tests" / "specs" / "infert_matched.yaml"
DATA = ROOT / "tests" / "specs" / "infert_matched.csv"
ESOPH_SPEC = ROOT / "src" / "neok2" / "studies" / "esoph.yaml"
ESOPH_DATA = ROOT / "src" / "neok2" / "data" / "esoph.csv"
REFERENCE = pd.read_csv(ROOT / "tests" / "reference" / "matched.csv", dtype=str)


def reference(case: str, quantity: str) -> str:
    row = REFERENCE[(REFERENCE["case"] == case) & (REFERENCE["quantity"] == quantity)]
    assert len(row) == 1, (case, quantity)
    return str(row["value"].iloc[0])


def number(case: str, quantity: str) -> float:
    return float(reference(case, quantity))


def spec_data() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def table1_row(spec: dict[str, Any], variable: str) -> dict[str, Any]:
    return next(row for row in spec["table1"] if row["variable"] == variable)


# ----------------------------------------------------------------------------- the spec


def test_matched_spec_loads_with_its_design():
    study = load_study(SPEC)
    assert study.matched_set == "stratum"
    assert study.strata == ()
    assert study.design["matching"]["ratio"] == "1:2"
    assert study.design["matching"]["variables"] == ("age", "education", "parity")
    # the matching variables are not screened
    assert study.candidates == ("induced", "spontaneous")


def test_ratio_as_a_number_reads_as_one_to_m():
    spec = spec_data()
    spec["design"]["matching"]["ratio"] = 2
    assert parse_study(spec).design["matching"]["ratio"] == "1:2"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda s: s["design"]["matching"].update(set="pair_id"),
            [
                "design.matching.set",
                "'pair_id' is not a column of the data dictionary",
                "add it under `columns`",
            ],
        ),
        (
            lambda s: s["design"]["matching"].update(set="id"),
            ["design.matching.set", "type 'id'", "type: integer or categorical"],
        ),
        (
            lambda s: s["design"]["matching"].update(set="case"),
            ["design.matching.set", "is the outcome column"],
        ),
        (
            lambda s: table1_row(s, "age").update(candidate=True),
            [
                "design.matching.variables[0]",
                "'age' is also a screening candidate",
                "set `candidate: false`",
                "cannot be estimated within sets",
            ],
        ),
        (
            lambda s: s["design"].update(strata=["education"]),
            ["design.strata", "a matched design conditions on its sets", "remove `strata`"],
        ),
        (
            lambda s: s["design"]["matching"].update(variables=["height"]),
            ["design.matching.variables[0]", "'height' is not a column"],
        ),
        (
            lambda s: s["design"]["matching"].update(ratio="2:1"),
            ["design.matching.ratio", "'2:1' is not '1:M'"],
        ),
        (
            lambda s: s["design"]["matching"].update({True: ["age"]}),
            ["design.matching", "YAML reads `on:` as true", "`variables:`"],
        ),
    ],
)
def test_spec_errors_name_the_field_and_the_fix(change, words):
    spec = spec_data()
    change(spec)
    with pytest.raises(SpecError) as error:
        parse_study(spec, source="infert_matched.yaml")
    for word in words:
        assert word in str(error.value), (word, str(error.value))


def test_set_column_cannot_be_a_candidate():
    spec = spec_data()
    spec["table1"].append(
        {
            "variable": "stratum",
            "label": "Set",
            "summary": "mean_sd",
            "case": "42.0±24.1",
            "control": "42.0±24.0",
        }
    )
    with pytest.raises(
        SpecError,
        match=r"design\.matching\.set: 'stratum' is also a screening "
        r"candidate \(table1\[4\]\); set `candidate: false`",
    ):
        parse_study(spec)


def test_strata_must_be_dictionary_columns_and_not_candidates():
    esoph = yaml.safe_load(ESOPH_SPEC.read_text(encoding="utf-8"))
    esoph.setdefault("design", {})["strata"] = ["agegp"]
    with pytest.raises(
        SpecError,
        match=r"design\.strata\[0\]: 'agegp' is also a screening "
        "candidate",
    ):
        parse_study(esoph)
    esoph["design"]["strata"] = ["age_band"]
    with pytest.raises(SpecError, match=r"design\.strata\[0\]: 'age_band' is not a column"):
        parse_study(esoph)


def test_printed_spec_values_are_rs():
    study = load_study(SPEC)
    for table, model in (
        (study.univariable, "univariable"),
        (study.multivariable, "multivariable"),
    ):
        for row in table.itertuples(index=False):
            case = f"infert_{model}_{row.variable}"
            assert row.or_printed == reference(case, "or_printed")
            assert row.ci_printed == reference(case, "ci_printed")
            assert row.p_printed == reference(case, "p_printed")


# ----------------------------------------------------------------------------- the analysis


@pytest.fixture(scope="module")
def matched_results():
    study = load_study(SPEC)
    data = pd.read_csv(DATA)
    return run_analysis(
        data,
        study,
        seed=1,
        data_source="real",
        sections=[
            "methods",
            "univariable",
            "multivariable",
            "forest",
            "power",
            "sensitivity",
            "bootstrap",
            "simulation",
            "fidelity",
        ],
    )


@pytest.mark.parametrize("model", ["univariable", "multivariable"])
def test_conditional_odds_ratios_reproduce_clogit(matched_results, model):
    table = matched_results.tables[model].set_index("term")
    assert sorted(table.index) == ["induced", "spontaneous"]
    for term in table.index:
        case = f"infert_{model}_{term}"
        row = table.loc[term]
        assert row["estimate"] == pytest.approx(number(case, "coef"), rel=1e-6)
        assert row["std_error"] == pytest.approx(number(case, "se"), rel=1e-6)
        for column in ("odds_ratio", "ci_low", "ci_high"):
            assert row[column] == pytest.approx(number(case, column), rel=1e-4)
        assert row["p_value"] == pytest.approx(number(case, "p"), rel=1e-4)
        assert row["n_sets"] == 83
        assert not row["firth"]
        # the value the manuscript quotes is R's printed one
        quoted = matched_results.values[f"{model}.{term}.odds_ratio"].display
        assert quoted == reference(case, "or_printed")
    assert matched_results.values["multivariable.formula"].value == (
        "case ~ induced + spontaneous + strata(stratum)"
    )


def test_methods_describe_the_sets(matched_results):
    values = matched_results.values
    assert values["methods.model"].value == "conditional logistic"
    assert values["methods.n_sets"].value == int(number("infert_sets", "n_sets"))
    controls = [number("infert_sets", f"controls_{name}") for name in ("min", "median", "max")]
    assert values["methods.controls_per_set"].value == controls
    assert values["methods.cases_per_set"].value == [1.0, 1.0, 1.0]
    sentence = values["methods.design_sentence"].display
    assert "conditional logistic regression stratified on the 83 matched sets" in sentence
    assert "Each set holds 1 case and 1 to 2 controls (median 2; 1:2 as designed)." in sentence
    assert "matched on age (years), education and parity" in sentence


def test_sections_that_assume_unconditional_models_say_why(matched_results):
    reasons = matched_results.sections
    for name in ("sensitivity", "simulation", "fidelity"):
        assert reasons[name].startswith("the design is matched, and "), (name, reasons[name])
    assert reasons["forest"] == ""  # the forest plot reads the conditional table unchanged
    assert "forest" in matched_results.figures


def test_matched_bootstrap_resamples_whole_sets(matched_results):
    assert matched_results.sections["bootstrap"] == ""
    table = matched_results.tables["bootstrap"].set_index("variable")
    assert (table["n_valid"] + table["n_failed"] == 100).all()
    # spontaneous abortions (conditional p = 4e-7) pass the p < 0.8 screen in every resample
    assert table.loc["spontaneous", "inclusion_frequency"] == 1.0
    assert 0.0 < table.loc["induced", "inclusion_frequency"] < 1.0
    assert "resamples of whole matched sets" in matched_results.table_html["bootstrap"]


def test_set_bootstrap_is_seeded():
    data = pd.read_csv(DATA)
    run = lambda seed: conditional_bootstrap_inclusion(  # noqa: E731
        data, "case", ["induced"], matched_set="stratum", threshold=0.8, n_boot=20, seed=seed
    )
    pd.testing.assert_frame_equal(run(3), run(3))
    assert not run(3).equals(run(4))


def test_matched_power_uses_dupont():
    spec = spec_data()
    # a binary exposure: any previous spontaneous abortion. Cells by hand from the
    # spontaneous row: cases 31 + 24 = 55 of 83 (66.3%), controls 40 + 12 = 52 of 165 (31.5%)
    spec["table1"].append(
        {
            "variable": "spontaneous_any",
            "label": "Any spontaneous abortion, n (%)",
            "summary": "n_percent",
            "case": "55 (66.3)",
            "control": "52 (31.5)",
        }
    )
    spec["columns"].append({"name": "spontaneous_any", "type": "binary"})
    study = parse_study(spec)
    data = pd.read_csv(DATA)
    data["spontaneous_any"] = (data["spontaneous"] > 0).astype(int)
    results = run_analysis(
        data,
        study,
        seed=1,
        data_source="real",
        mode="author",
        sections=["univariable", "multivariable", "power"],
    )
    grid = results.tables["power"]
    assert set(grid["method"]) == {"Dupont (matched)"}
    row = grid[(grid["variable"] == "spontaneous_any") & (grid["odds_ratio"] == 2.0)]
    # plumbing: the section's figure is power_matched's (checked against epiR elsewhere) for
    # 83 sets of one case and the declared two controls, p0 = 52 / 165, phi = 0.2
    expected = power_matched(2.0, 52 / 165, 83, None, controls_per_case=2, phi=0.2)
    assert float(row["value"].iloc[0]) == pytest.approx(float(expected["power"].iloc[0]))
    assert "power.spontaneous_any.dupont_or_2" in results.values


# ----------------------------------------------------------------------------- strata


@pytest.fixture(scope="module")
def esoph_stratified():
    spec = yaml.safe_load(ESOPH_SPEC.read_text(encoding="utf-8"))
    spec = copy.deepcopy(spec)
    spec.setdefault("design", {})["strata"] = ["agegp"]
    table1_row(spec, "agegp")["candidate"] = False
    # the dichotomy stands in for the alcohol bands (both in one model would be aliased)
    table1_row(spec, "alcgp")["candidate"] = False
    cases, controls = (
        int(number("esoph_alcohol40_by_age", name)) for name in ("cases", "controls")
    )
    exposed_cases = int(number("esoph_alcohol40_by_age", "exposed_cases"))
    exposed_controls = int(number("esoph_alcohol40_by_age", "exposed_controls"))
    spec["table1"].append(
        {
            "variable": "alcohol40",
            "label": "Alcohol 40 g/day or more, n (%)",
            "summary": "n_percent",
            "case": f"{exposed_cases} ({100 * exposed_cases / cases:.1f})",
            "control": f"{exposed_controls} ({100 * exposed_controls / controls:.1f})",
        }
    )
    spec["columns"].append({"name": "alcohol40", "type": "binary"})
    study = parse_study(spec)
    data = pd.read_csv(ESOPH_DATA)
    data["alcohol40"] = (data["alcgp"] != "0-39g/day").astype(int)
    return study, run_analysis(
        data,
        study,
        seed=1,
        data_source="real",
        sections=["methods", "univariable", "multivariable"],
    )


def test_mantel_haenszel_beside_the_crude_or(esoph_stratified):
    _, results = esoph_stratified
    table = results.tables["univariable"].set_index("term")
    row = table.loc["alcohol40"]
    case = "esoph_alcohol40_by_age"
    assert row["mh_odds_ratio"] == pytest.approx(number(case, "mh_or"), rel=1e-6)
    assert row["mh_ci_low"] == pytest.approx(number(case, "mh_ci_low"), rel=1e-6)
    assert row["mh_ci_high"] == pytest.approx(number(case, "mh_ci_high"), rel=1e-6)
    assert row["breslow_day_p"] == pytest.approx(number(case, "breslow_day_p"), rel=1e-6)
    # the crude OR stays beside it: the univariable logistic OR of a 2x2 is the cross ratio
    assert row["odds_ratio"] == pytest.approx(number(case, "crude_or"), rel=1e-6)
    # multi-level candidates get no MH estimate
    assert table.filter(like="tobgp", axis=0)["mh_odds_ratio"].isna().all()
    assert results.values["univariable.alcohol40.mh_odds_ratio"].display == "6.70"
    assert "MH OR (95% CI)" in results.table_html["univariable"]
    assert "Breslow-Day p" in results.table_html["univariable"]


def test_strata_enter_the_multivariable_model_as_factors(esoph_stratified):
    _, results = esoph_stratified
    table = results.tables["multivariable"]
    age_terms = [term for term in table["term"] if str(term).startswith("agegp[")]
    assert len(age_terms) == 5  # six age bands, the first the reference
    assert "agegp" not in results.values["multivariable.significant"].value
    sentence = results.values["methods.design_sentence"].display
    assert sentence.startswith("The analysis is stratified by age")
    assert "Mantel-Haenszel" in sentence and "as factor terms" in sentence
    assert results.values["methods.model"].value == "logistic"


def test_unmatched_shipped_study_keeps_its_logistic_models():
    study = load_study("birthwt")
    assert study.matched_set is None and study.strata == ()
    data = pd.read_csv(ROOT / "src" / "neok2" / "data" / "birthwt.csv")
    results = run_analysis(data, study, seed=1, data_source="real", sections=["methods"])
    assert results.values["methods.design"].value == "unmatched"
    assert results.values["methods.design_sentence"].value == ""


def test_docs_matched_example_is_a_valid_design():
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    section = text.split("## 12. Matched and stratified designs", 1)[1].split("## A worked", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    documented = yaml.safe_load(next(block for block in blocks if "matching:" in block))
    spec = spec_data()
    spec["design"] = documented["design"]
    assert parse_study(spec).design["matching"] == load_study(SPEC).design["matching"]


def test_matched_data_pass_their_dictionary():
    report = validate_data(pd.read_csv(DATA), load_study(SPEC))
    assert report.ok, report.summary()
