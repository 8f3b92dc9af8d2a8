"""What the synthesizer cannot rebuild yet is refused by name, before any drawing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from neok2.study.spec import load_study, parse_study
from neok2.synth.generator import synthesize_cohort
from neok2.synth.rules import check_supported_rows

STUDIES = Path(__file__).parents[1] / "src" / "neok2" / "studies"


def _spec(name: str) -> dict:
    return yaml.safe_load((STUDIES / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["k2_neonates", "birthwt", "esoph"])
def test_shipped_specs_pass_the_check(name):
    # categorical and ordinal rows, continuous and factor model terms are all rebuilt now
    check_supported_rows(load_study(name))


def test_a_model_term_the_growth_rule_redraws_is_refused():
    # K2's SGA rule redraws birth weight against gestational age after the calibration
    spec = _spec("k2_neonates")
    spec["multivariable"]["terms_entered"].append("ga_weeks")
    with pytest.raises(ValueError) as caught:
        synthesize_cohort(parse_study(spec), seed=1)
    message = str(caught.value)
    assert "multivariable term 'ga_weeks' (continuous, redrawn by the growth rule)" in message
    assert "neok2 analyze DATA --study k2_neonates" in message


def test_a_factor_called_not_significant_is_refused():
    spec = _spec("birthwt")
    spec["multivariable"]["reported"] = [
        row for row in spec["multivariable"]["reported"] if row["variable"] != "race"
    ]
    spec["multivariable"]["not_significant"] = ["race"]
    with pytest.raises(ValueError, match=r"multivariable.not_significant 'race' \(a factor\)"):
        synthesize_cohort(parse_study(spec), seed=1)
