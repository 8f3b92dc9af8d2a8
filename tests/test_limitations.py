"""neok2.audit.limitations: numbers behind each limitation, against R and hand calculations."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd
import pytest

from neok2.audit.limitations import (
    KNOWN_INDICATIONS,
    Limitations,
    e_value,
    risk_ratio_from_odds_ratio,
    study_limitations,
)
from neok2.study.spec import load_study, parse_study

R_LIMITS = pd.read_csv(Path(__file__).parent / "reference" / "audit_limitations.csv")
R_LIMITS = R_LIMITS.set_index("variable")


@pytest.fixture(scope="module")
def seed() -> Limitations:
    return study_limitations(load_study("k2_neonates"))


def values(result: Limitations, topic: str) -> list[float]:
    items = result.tidy()
    return items.loc[items["topic"] == topic, "value"].tolist()


# ============================================================== e_value


@pytest.mark.parametrize("variable", R_LIMITS.index)
def test_e_value_matches_r(variable):
    ref = R_LIMITS.loc[variable]
    assert e_value(ref["odds_ratio"], common_outcome=True) == pytest.approx(
        ref["e_value_point"], rel=1e-12
    )
    assert e_value(ref["odds_ratio"]) == pytest.approx(ref["e_value_rare"], rel=1e-12)
    assert e_value(ref["ci_low"], common_outcome=True) == pytest.approx(
        ref["e_value_limit"], rel=1e-12
    )


def test_e_value_of_protective_ratio_uses_its_inverse():
    # RR 0.5 -> 2 + sqrt(2 * 1) = 3.4142 (VanderWeele & Ding 2017, Table).
    assert e_value(0.5, kind="risk_ratio") == pytest.approx(2 + math.sqrt(2))


@pytest.mark.parametrize("ratio", [0, -1, math.inf, math.nan])
def test_e_value_ratio_errors_properly(ratio):
    with pytest.raises(ValueError, match="`ratio`"):
        e_value(ratio)


def test_e_value_kind_errors_properly():
    with pytest.raises(ValueError, match="`kind`"):
        e_value(2.0, kind="hazard_ratio")


# ============================================================== risk_ratio_from_odds_ratio


@pytest.mark.parametrize("variable", R_LIMITS.index)
def test_risk_ratio_matches_r(variable):
    ref = R_LIMITS.loc[variable]
    assert risk_ratio_from_odds_ratio(ref["odds_ratio"], ref["unexposed_risk"]) == pytest.approx(
        ref["risk_ratio"], rel=1e-12
    )


def test_risk_ratio_equals_odds_ratio_when_outcome_is_rare():
    # P0 -> 0 gives RR = OR / 1.
    assert risk_ratio_from_odds_ratio(3.0, 1e-12) == pytest.approx(3.0, rel=1e-9)


@pytest.mark.parametrize(
    ("odds_ratio", "baseline", "name"),
    [(0.0, 0.2, "`odds_ratio`"), (2.0, 0.0, "`baseline_risk`"), (2.0, 1.0, "`baseline_risk`")],
)
def test_risk_ratio_errors_properly(odds_ratio, baseline, name):
    with pytest.raises(ValueError, match=name):
        risk_ratio_from_odds_ratio(odds_ratio, baseline)


# ============================================================== study_limitations: study


def test_events_per_variable(seed):
    # 66 events / 5 terms = 13.2; 66 events / 22 candidates = 3.0.
    assert values(seed, "events per variable (final model)") == [pytest.approx(13.2)]
    assert values(seed, "events per variable (candidate pool)") == [pytest.approx(3.0)]


def test_multiple_testing_figures(seed):
    # 23 Table 1 p-values: 23 * 0.05 = 1.15 expected; 1 - 0.95**23 = 0.6926.
    expected, familywise = values(seed, "multiple baseline tests")
    assert expected == pytest.approx(1.15)
    assert familywise == pytest.approx(1 - 0.95**23)
    # 22 candidates * 0.1 = 2.2 expected false passes; 5 of 22 retained.
    assert values(seed, "univariable screen") == [pytest.approx(2.2), pytest.approx(5 / 22)]


def test_risk_ratios_for_adjusted_ors_match_r(seed):
    items = seed.tidy()
    adjusted = items[
        (items["topic"] == "odds ratio read as risk")
        & items["statement"].str.startswith("The adjusted OR")
    ]
    assert adjusted["value"].tolist() == pytest.approx(
        R_LIMITS.loc[["antenatal_steroid", "caesarean", "sga"], "risk_ratio"].tolist(), rel=1e-12
    )
    assert "33.0%" in items.loc[items["topic"] == "baseline risk", "statement"].iloc[0]


def test_e_values_and_widths(seed):
    assert values(seed, "E-value") == pytest.approx(
        R_LIMITS.loc[["antenatal_steroid", "caesarean", "sga"], "e_value_point"].tolist()
    )
    # 10.908 / 2.049, 5.492 / 1.165, 10.871 / 1.103.
    assert values(seed, "interval width") == pytest.approx(
        [10.908 / 2.049, 5.492 / 1.165, 10.871 / 1.103]
    )
    statement = seed.tidy().query("topic == 'E-value'")["statement"].iloc[0]
    assert "3.77" in statement and "2.22" in statement


def test_confounding_by_indication_and_design(seed):
    items = seed.tidy().set_index("topic")
    statement = items.loc["confounding by indication", "statement"]
    assert "4.728" in statement and "not adjusted for: Gestational age (week)" in statement
    design = seed.tidy().query("topic == 'design'")
    assert design["value"].tolist()[:2] == [1.0, 7.0]  # one centre; July 2020 - January 2021
    assert "Vitamin K1 prophylaxis" in design["statement"].iloc[2]


def test_interval_including_one_has_e_value_limit_one():
    spec = {
        "id": "tiny",
        "title": "tiny",
        "outcome": {"column": "y"},
        "groups": {"case": {"label": "a", "n": 10}, "control": {"label": "b", "n": 90}},
        "totals": {"n": 100},
        "table1": [
            {
                "variable": "x",
                "summary": "n_percent",
                "case": "5 (50.0)",
                "control": "30 (33.3)",
                "p": "0.3",
            }
        ],
        "multivariable": {
            "terms_entered": ["x"],
            "reported": [{"variable": "x", "or": "2.0", "ci": "0.5-8.0"}],
        },
    }
    result = study_limitations(parse_study(spec))
    statement = result.tidy().query("topic == 'E-value'")["statement"].iloc[0]
    # Rare outcome (10%): E = 2 + sqrt(2) = 3.41 for the OR; the interval includes 1 -> 1.
    assert "3.41" in statement and "and 1.00 to move" in statement
    assert (
        "sample share of cases"
        in result.tidy().query("topic == 'baseline risk'")["statement"].iloc[0]
    )
    assert "confounding by indication" not in set(result.tidy()["topic"])


def test_study_errors_properly():
    with pytest.raises(TypeError, match="`study` must be a neok2 Study"):
        study_limitations("k2_neonates")  # type: ignore[arg-type]


# ============================================================== options


def test_prevalence_overrides_the_stated_one():
    result = study_limitations(load_study("k2_neonates"), prevalence=0.10)
    assert values(result, "baseline risk") == [0.10]


@pytest.mark.parametrize(
    ("option", "value"),
    [("prevalence", 1.2), ("common_outcome", 0.0), ("events_per_variable", -1.0)],
)
def test_options_error_properly(option, value):
    with pytest.raises(ValueError, match=f"`{option}`"):
        study_limitations(load_study("k2_neonates"), **{option: value})


def test_simulation_hook_adds_statements():
    figures = pd.DataFrame(
        {"measure": ["median inflation of retained ORs"], "value": [1.31], "unit": ["ratio"]}
    )
    result = study_limitations(load_study("k2_neonates"), simulation=figures)
    rows = result.tidy().query("topic == 'p-value screening (simulation)'")
    assert rows["value"].tolist() == [1.31]
    assert rows["statement"].iloc[0] == "median inflation of retained ORs: 1.310 ratio."


def test_simulation_errors_properly():
    with pytest.raises(TypeError, match="`simulation`"):
        study_limitations(load_study("k2_neonates"), simulation=pd.DataFrame({"x": [1]}))


def test_indications_can_be_replaced():
    custom = copy.deepcopy({k: dict(v) for k, v in KNOWN_INDICATIONS.items()})
    custom["caesarean"] = {
        "indication": "fetal distress",
        "consequence": "an urgent delivery",
        "related": ("intrauterine_distress",),
    }
    result = study_limitations(load_study("k2_neonates"), indications=custom)
    statements = result.tidy().query("topic == 'confounding by indication'")["statement"]
    assert len(statements) == 2
    assert "not adjusted for: Intrauterine distress" in statements.iloc[1]


# ============================================================== outputs


def test_markdown_has_one_bullet_per_statement(seed):
    lines = seed.to_markdown().splitlines()
    assert len(lines) == len(seed.tidy())
    assert lines[0].startswith("- **events per variable (final model)**: 66 events for 5 terms")


def test_tidy_columns_and_determinism(seed):
    assert list(seed.tidy().columns) == ["topic", "statement", "value", "unit", "source"]
    pd.testing.assert_frame_equal(study_limitations(load_study("k2_neonates")).tidy(), seed.tidy())


def _design_statements(name: str) -> list[str]:
    items = study_limitations(load_study(name)).tidy()
    return items.loc[items["topic"] == "design", "statement"].tolist()


def test_design_limitations_follow_each_spec():
    # esoph: population-based, consumption recalled at interview, number of hospitals not given
    esoph = " ".join(_design_statements("esoph"))
    assert "single centre" not in esoph and "record review" not in esoph
    assert "A population-based design (Ille-et-Vilaine, Brittany, France)" in esoph
    assert "recalled at interview" in esoph
    # birthwt: one hospital's records
    birthwt = _design_statements("birthwt")
    assert birthwt[0].startswith("A single centre (Baystate Medical Center")
    assert birthwt[1].startswith("Retrospective record review")
    # the matched infert spec states no centre, base or retrospective collection: nothing
    specs = Path(__file__).parent / "specs"
    assert _design_statements(str(specs / "infert_matched.yaml")) == []


def test_e_values_name_each_level_of_a_factor():
    # birthwt's adjusted race ORs: Black 3.54 (1.26-9.93), Other 2.37 (1.00-5.60); low birth
    # weight is common (31.2%), so RR = sqrt(OR) and E = RR + sqrt(RR (RR - 1)):
    #   Black: RR = 1.8815, E = 1.8815 + sqrt(1.8815 x 0.8815) = 3.17; lower limit 1.26 ->
    #          RR = 1.1225, E = 1.1225 + sqrt(1.1225 x 0.1225) = 1.49
    #   Other: RR = 1.5395, E = 1.5395 + sqrt(1.5395 x 0.5395) = 2.45; the CI holds 1 -> 1.00
    from neok2.report.run import run_analysis

    data = pd.read_csv(Path(__file__).parents[1] / "src" / "neok2" / "data" / "birthwt.csv")
    sections = ["cohort", "published", "univariable", "multivariable", "audit", "limitations"]
    text = run_analysis(data, load_study("birthwt"), seed=1, sections=sections).texts["limitations"]
    assert "race: Black 3.17 (1.49) published" in text
    assert "race: Other 2.45 (1.00) published" in text
