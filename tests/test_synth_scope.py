"""What the synthesizer cannot rebuild yet is refused by name, before any drawing."""

from __future__ import annotations

import pytest

from neok2.study.spec import load_study
from neok2.synth.generator import synthesize_cohort


def test_birthwt_names_every_unsupported_row_and_term():
    with pytest.raises(ValueError) as caught:
        synthesize_cohort(load_study("birthwt"), seed=1)
    message = str(caught.value)
    for part in (
        "table1 'race' (categorical, 3 levels)",
        "table1 'ptl' (ordinal, 4 levels)",
        "multivariable term 'age' (continuous)",
        "multivariable term 'lwt' (continuous)",
        "neok2 analyze DATA --study birthwt",
    ):
        assert part in message
    # binary rows and terms are supported, so they are not named
    assert "'smoke'" not in message


def test_esoph_names_its_ordinal_bands():
    with pytest.raises(ValueError, match=r"table1 'agegp' \(ordinal, 6 levels\)"):
        synthesize_cohort(load_study("esoph"), seed=1)


def test_k2_still_passes_the_check():
    # k2_neonates has binary, mean_sd and median_iqr rows and binary model terms only
    from neok2.synth.rules import check_supported_rows

    check_supported_rows(load_study("k2_neonates"))
