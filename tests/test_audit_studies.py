"""The audit on the worked-example studies: no false alarm, and planted errors are found.

The printed tables of ``birthwt`` and ``esoph`` are computed from their microdata by
tests/reference/studies.R, so they are consistent by construction: every error the audit
reports on them would be a false alarm. Each planted change below is written out with the
hand calculation that makes it inconsistent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neok2.audit.run import AuditResult, audit_study
from neok2.stats.trend import exposure_trend
from neok2.stats.two_group import printed_test
from neok2.study.spec import load_study

STUDIES = Path(__file__).parents[1] / "src" / "neok2" / "studies"


def _planted(tmp_path: Path, name: str, old: str, new: str) -> AuditResult:
    """Audit a copy of a shipped spec with one printed value changed."""
    text = (STUDIES / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {name}.yaml"
    copy = tmp_path / f"{name}_planted.yaml"
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return audit_study(load_study(copy))


def _errors(result: AuditResult) -> pd.DataFrame:
    checks = result.checks
    return checks[checks["severity"] == "error"]


@pytest.fixture(scope="module", params=["birthwt", "esoph"])
def clean(request: pytest.FixtureRequest) -> AuditResult:
    return audit_study(load_study(request.param))


def test_no_false_alarm_on_consistent_tables(clean):
    assert clean.n_errors == 0, _errors(clean)[["location", "message"]].to_string()
    assert not (clean.checks["severity"] == "warning").any()


def test_every_level_odds_ratio_and_its_interval_is_checked(clean):
    # One OR, one interval and one p check per printed univariable level or binary term.
    study = load_study(clean.study_id)
    checked = clean.checks[clean.checks["check"] == "or_from_counts"]
    levels = study.univariable[study.univariable["level"] != ""]
    assert len(levels) > 0
    for _, row in levels.iterrows():
        where = f"Table 2 / {row['label']} / {row['level']}"
        assert (checked["location"] == f"{where} / OR").sum() == 1
        assert (checked["location"] == f"{where} / 95% CI").sum() == 1
    # Locations stay unique although a variable has several rows.
    assert not clean.checks["location"].duplicated().any()


def test_categorical_p_is_pearson_on_the_level_counts():
    # birthwt race: cases 23/11/25, controls 73/15/42 (white/black/other).
    # R: chisq.test(cbind(c(23, 11, 25), c(73, 15, 42))) gives X2 = 5.0048 on 2 df and
    # p = 0.081888 (on 2 df, p = exp(-X2 / 2)); printed 0.082.
    result = audit_study(load_study("birthwt"))
    row = result.checks[result.checks["location"] == "Table 1 / Race, n (%) / p"].iloc[0]
    assert row["severity"] == "ok"
    assert row["recomputed_low"] == pytest.approx(0.0818877, abs=5e-7)
    assert [test.name for test in printed_test("chi-square", "categorical")] == ["chisq"]


def test_ordinal_trend_p_uses_the_level_codes():
    # birthwt ptl: R prop.trend.test(c(41, 16, 2, 0), c(159, 24, 5, 1), score = 0:3) gives
    # p = 0.0070229 (tests/reference/studies.R prints 0.007); the same with scores 1..4.
    result = audit_study(load_study("birthwt"))
    location = "Table 1 / Previous premature labours, n (%) / trend p"
    row = result.checks[result.checks["location"] == location].iloc[0]
    assert row["severity"] == "ok"
    shifted = exposure_trend(cases=[41, 16, 2, 0], controls=[118, 8, 3, 1])
    assert row["recomputed_low"] == pytest.approx(0.007022946, abs=5e-9)
    assert shifted.p_value == pytest.approx(row["recomputed_low"], rel=1e-12)


def test_glm_last_digit_is_a_note_not_an_error():
    # esoph agegp 35-44: Woolf 95% interval from 9/190 vs 1/115 is 0.6813-43.556 (exact ML,
    # also R glm with epsilon = 1e-14); R's default glm stops early and prints 43.55.
    result = audit_study(load_study("esoph"))
    location = "Table 2 / Age group (years) / 35-44 / 95% CI"
    row = result.checks[result.checks["location"] == location].iloc[0]
    assert row["severity"] == "note"
    assert row["recomputed_high"] == pytest.approx(43.556, abs=5e-4)


def test_planted_level_count_in_birthwt_is_found(tmp_path):
    # Move two black cases to "other": black 9 (15.3%), other 27 (45.8%); totals unchanged.
    # R: chisq.test(cbind(c(23, 9, 27), c(73, 15, 42))) gives X2 = 4.8093, p = 0.090298, which
    # does not round to the printed 0.082; the black OR becomes 9*73/(23*15) = 1.904, not 2.33.
    text_old = (
        '- {level: Black, value: 2, case: "11 (18.6)", control: "15 (11.5)"}\n'
        '      - {level: Other, value: 3, case: "25 (42.4)", control: "42 (32.3)"}'
    )
    text_new = (
        '- {level: Black, value: 2, case: "9 (15.3)", control: "15 (11.5)"}\n'
        '      - {level: Other, value: 3, case: "27 (45.8)", control: "42 (32.3)"}'
    )
    result = _planted(tmp_path, "birthwt", text_old, text_new)
    errors = _errors(result)
    assert "Table 2 / Race / Black / OR" in set(errors["location"])
    p_row = result.checks[result.checks["location"] == "Table 1 / Race, n (%) / p"].iloc[0]
    # Both p lie above 0.05, so the conclusion holds: a warning, not an error.
    assert p_row["severity"] == "warning"
    assert p_row["recomputed_low"] == pytest.approx(0.09029846, abs=5e-8)


def test_planted_odds_ratio_in_birthwt_is_found(tmp_path):
    # Black vs white: 11*73 / (23*15) = 2.327, printed 2.33; planted 2.83.
    result = _planted(
        tmp_path,
        "birthwt",
        '{level: Black, or: "2.33", ci: "0.94-5.77", p: "0.068"}',
        '{level: Black, or: "2.83", ci: "0.94-5.77", p: "0.068"}',
    )
    locations = set(_errors(result)["location"])
    assert "Table 2 / Race / Black / OR" in locations
    assert "Table 2 / Race / Black / OR vs 95% CI" in locations


def test_planted_trend_p_in_birthwt_is_found(tmp_path):
    result = _planted(tmp_path, "birthwt", 'trend_p: "0.007"', 'trend_p: "0.070"')
    locations = set(_errors(result)["location"])
    assert "Table 1 / Previous premature labours, n (%) / trend p" in locations


def test_planted_level_counts_in_esoph_are_found(tmp_path):
    # Swap the cases of the two highest tobacco bands: 20-29 has 31, 30+ has 33. OR of 30+
    # against 0-9 g/day becomes 33*447 / (78*51) = 3.708, not the printed 3.48.
    text_old = (
        '- {level: "20-29", case: "33 (16.5)", control: "99 (12.8)"}\n'
        '      - {level: "30+", case: "31 (15.5)", control: "51 (6.6)"}'
    )
    text_new = (
        '- {level: "20-29", case: "31 (15.5)", control: "99 (12.8)"}\n'
        '      - {level: "30+", case: "33 (16.5)", control: "51 (6.6)"}'
    )
    result = _planted(tmp_path, "esoph", text_old, text_new)
    locations = set(_errors(result)["location"])
    assert "Table 2 / Tobacco consumption / 30+ / OR" in locations
    assert "Table 2 / Tobacco consumption / 20-29 / OR" in locations


def test_planted_odds_ratio_in_esoph_is_found(tmp_path):
    # 80-119 vs 0-39 g/day: 51*386 / (29*87) = 7.803, printed 7.80; planted 8.70.
    result = _planted(
        tmp_path,
        "esoph",
        '{level: "80-119", or: "7.80", ci: "4.68-13.02", p: "<0.001"}',
        '{level: "80-119", or: "8.70", ci: "4.68-13.02", p: "<0.001"}',
    )
    locations = set(_errors(result)["location"])
    assert "Table 2 / Alcohol consumption / 80-119 / OR" in locations


def test_planted_joint_p_breaks_the_screen(tmp_path):
    # esoph screens at p < 0.1 and enters all three exposures; a joint p of 0.300 for tobacco
    # fails the screen although the term was entered.
    text = (STUDIES / "esoph.yaml").read_text(encoding="utf-8")
    marker = '    reference: "0-9g/day"\n    joint_p: "<0.001"'
    assert text.count(marker) == 1
    copy = tmp_path / "esoph_screen.yaml"
    copy.write_text(
        text.replace(marker, '    reference: "0-9g/day"\n    joint_p: "0.300"'), encoding="utf-8"
    )
    result = audit_study(load_study(copy))
    locations = set(_errors(result)["location"])
    assert "Table 2 / Tobacco consumption / screen" in locations
