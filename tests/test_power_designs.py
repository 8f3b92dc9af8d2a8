"""Matched (Dupont) and stratified (Mantel-Haenszel) power against R and by hand.

``epiR::epi.sscc(method = "matched", nfractional = TRUE)`` wrote the matched values
(tests/reference/designs.R) beside Dupont's formula written out with pnorm, which counts
both rejection tails; epiR counts the near tail only, so its power is ours minus the far
tail. epiR solves the detectable odds ratio with uniroot's default tolerance (about 1e-4 on
the odds-ratio scale), so those comparisons use 1e-4. The Mantel-Haenszel power has no R
package; designs.R writes it out, and with one stratum its near tail is epiR's.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from neok2.stats.power import power_case_control
from neok2.stats.power_designs import power_matched, power_stratified

REFERENCE = Path(__file__).parent / "reference" / "designs.csv"
CLOSED = 1e-9


def _sscc_cases() -> list[tuple[str, dict[str, float]]]:
    frame = pd.read_csv(REFERENCE)
    frame = frame[frame["case"].str.startswith("sscc_")]
    return [
        (case, dict(zip(block["quantity"], block["value"], strict=True)))
        for case, block in frame.groupby("case")
    ]


@pytest.mark.parametrize(("case", "expected"), _sscc_cases())
def test_matched_matches_epi_sscc(case: str, expected: dict[str, float]) -> None:
    match = re.fullmatch(r"sscc_or([\d.]+)_p([\d.]+)_r(\d+)_phi([\d.]+)", case)
    assert match is not None
    odds, p0, r, phi = float(match[1]), float(match[2]), int(match[3]), float(match[4])
    size = power_matched(odds_ratio=odds, p0=p0, power=0.8, controls_per_case=r, phi=phi)
    # both tails (uniroot on the formula written out in R) and below epiR's one-tail size
    n_cases = expected["n_case_two_sided"]
    assert size["n_cases"].iloc[0] == pytest.approx(n_cases, rel=CLOSED)
    assert size["n_total"].iloc[0] == pytest.approx((r + 1) * n_cases, rel=CLOSED)
    assert n_cases < expected["n_case"]
    assert size["n_total"].iloc[0] == pytest.approx(expected["n_total"], rel=1e-4)
    # one-tail check: at epiR's size our power less the far tail is epiR's 0.8
    at_epir = power_matched(
        odds_ratio=odds, p0=p0, n_cases=expected["n_case"], controls_per_case=r, phi=phi
    )
    assert 0 < at_epir["power"].iloc[0] - 0.8 < 1e-4
    one_sided = power_matched(
        odds_ratio=odds, p0=p0, power=0.8, controls_per_case=r, phi=phi, alpha=0.025, sided=1
    )
    # epiR's two-sided size at alpha 0.05 (near tail) is the one-sided size at 0.025
    assert one_sided["n_cases"].iloc[0] == pytest.approx(expected["n_case"], rel=CLOSED)
    # epiR's power branch takes the total n = 300 and has n / (1 + r) sets
    sets = 300 / (r + 1)
    power = power_matched(odds_ratio=odds, p0=p0, n_cases=sets, controls_per_case=r, phi=phi)
    ours = power["power"].iloc[0]
    assert ours == pytest.approx(expected["power_two_sided_n300"], rel=CLOSED)
    assert ours - expected["far_tail_n300"] == pytest.approx(expected["power_n300"], rel=CLOSED)
    if "or_high_n300" in expected:
        detectable = power_matched(p0=p0, n_cases=sets, power=0.8, controls_per_case=r, phi=phi)
        high = detectable["odds_ratio"].iloc[0]
        low = detectable["odds_ratio_protective"].iloc[0]
        assert high == pytest.approx(expected["or_high_two_sided_n300"], rel=CLOSED)
        assert low == pytest.approx(expected["or_low_two_sided_n300"], rel=CLOSED)
        # epiR's one-tail roots, found at uniroot's default tolerance
        assert high == pytest.approx(expected["or_high_n300"], rel=1e-4)
        assert low == pytest.approx(expected["or_low_n300"], rel=1e-4)
        again = power_matched(odds_ratio=high, p0=p0, n_cases=sets, controls_per_case=r, phi=phi)
        assert again["power"].iloc[0] == pytest.approx(0.8, abs=1e-9)


def test_matched_null_odds_ratio_gives_alpha() -> None:
    # At OR = 1 E_psi = E_1 and V_psi = V_1: two-sided power = P(|Z| > z_0.975) = 0.05.
    row = power_matched(odds_ratio=1.0, p0=0.3, n_cases=100, controls_per_case=2)
    assert row["power"].iloc[0] == pytest.approx(0.05, rel=1e-12)
    one_sided = power_matched(odds_ratio=1.0, p0=0.3, n_cases=100, controls_per_case=2, sided=1)
    assert one_sided["power"].iloc[0] == pytest.approx(0.05, rel=1e-12)


def _cmh_cases() -> dict[str, dict[str, float]]:
    frame = pd.read_csv(REFERENCE)
    frame = frame[frame["case"].str.startswith("cmh_")]
    return {
        case: dict(zip(block["quantity"], block["value"], strict=True))
        for case, block in frame.groupby("case")
    }


# the designs of tests/reference/designs.R (strata_cases)
_CMH_DESIGNS = {
    "cmh_two_strata": {"or": 2.0, "p0": [0.1, 0.3], "fractions": [1, 1], "r": 1, "n": 150},
    "cmh_three_strata": {
        "or": 1.8,
        "p0": [0.05, 0.2, 0.4],
        "fractions": [1, 2, 3],
        "r": 2,
        "n": 120,
    },
    "cmh_protective": {"or": 0.5, "p0": [0.3, 0.5], "fractions": [2, 1], "r": 3, "n": 90},
    "cmh_one_stratum": {"or": 2.5, "p0": [0.25], "fractions": [1], "r": 2, "n": 70},
}


@pytest.mark.parametrize("case", sorted(_CMH_DESIGNS))
def test_stratified_both_tails_against_r(case: str) -> None:
    design, expected = _CMH_DESIGNS[case], _cmh_cases()[case]
    options = {
        "p0": design["p0"],
        "case_fractions": design["fractions"],
        "controls_per_case": design["r"],
    }
    power = power_stratified(odds_ratio=design["or"], n_cases=design["n"], **options)
    assert power["power"].iloc[0] == pytest.approx(expected["power"], rel=CLOSED)
    size = power_stratified(odds_ratio=design["or"], power=0.8, **options)
    assert size["n_cases"].iloc[0] == pytest.approx(expected["n_cases"], rel=CLOSED)
    detect = power_stratified(n_cases=design["n"], power=0.8, **options)
    assert detect["odds_ratio"].iloc[0] == pytest.approx(expected["or_high"], rel=CLOSED)
    assert detect["odds_ratio_protective"].iloc[0] == pytest.approx(expected["or_low"], rel=CLOSED)
    if "epir_power" in expected:
        # one-tail check: ours minus the far tail is epiR's unmatched (Fleiss) power
        near = power["power"].iloc[0] - expected["far_tail"]
        assert near == pytest.approx(expected["epir_power"], rel=CLOSED)


def test_one_stratum_is_fleiss_without_correction() -> None:
    # both count both rejection tails, so one stratum gives Fleiss' size exactly
    stratified = power_stratified(odds_ratio=2.5, p0=[0.25], power=0.9, controls_per_case=2)
    unmatched = power_case_control(
        odds_ratio=2.5, p0=0.25, power=0.9, controls_per_case=2, method="fleiss"
    )
    assert stratified["n_cases"].iloc[0] == pytest.approx(unmatched["n_cases"].iloc[0], rel=1e-12)
    for sided in (1, 2):
        ours = power_stratified(odds_ratio=0.4, p0=[0.3], n_cases=80, sided=sided)
        fleiss = power_case_control(0.4, 0.3, 80, None, sided=sided)
        assert ours["power"].iloc[0] == pytest.approx(fleiss["power"].iloc[0], rel=1e-12)


def test_two_strata_by_hand() -> None:
    # OR 2, p0 = 0.1 and 0.3, half the cases in each stratum, one control per case.
    # p1 = 0.1*2/1.1 = 0.181818..., 0.3*2/1.3 = 0.461538...; per case w_k = 0.5 * 1/2 = 0.25
    p1a, p1b = 0.2 / 1.1, 0.6 / 1.3
    mean = 0.25 * (p1a - 0.1) + 0.25 * (p1b - 0.3)
    pa, pb = (p1a + 0.1) / 2, (p1b + 0.3) / 2
    var0 = 0.25 * pa * (1 - pa) + 0.25 * pb * (1 - pb)
    var1 = 0.25**2 * ((p1a * (1 - p1a) + 0.1 * 0.9) / 0.5 + (p1b * (1 - p1b) + 0.3 * 0.7) / 0.5)
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    # the closed form counts the near tail only: it is the one-sided size at alpha / 2 = 0.025
    n = (z_a * math.sqrt(var0) + z_b * math.sqrt(var1)) ** 2 / mean**2
    one_sided = power_stratified(odds_ratio=2, p0=[0.1, 0.3], power=0.8, alpha=0.025, sided=1)
    assert one_sided["n_cases"].iloc[0] == pytest.approx(n, rel=1e-12)
    # two-sided: the far tail Phi((-sqrt(n)|m| - z sqrt(V0)) / sqrt(V1)) adds power
    far = stats.norm.cdf((-math.sqrt(n) * mean - z_a * math.sqrt(var0)) / math.sqrt(var1))
    at_n = power_stratified(odds_ratio=2, p0=[0.1, 0.3], n_cases=n)
    assert at_n["power"].iloc[0] == pytest.approx(0.8 + far, rel=1e-12)
    row = power_stratified(odds_ratio=2, p0=[0.1, 0.3], power=0.8)
    size = row["n_cases"].iloc[0]
    assert size < n and size == pytest.approx(n, rel=1e-4)
    back = power_stratified(odds_ratio=2, p0=[0.1, 0.3], n_cases=size)
    assert back["power"].iloc[0] == pytest.approx(0.8, rel=1e-12)
    detect = power_stratified(p0=[0.1, 0.3], n_cases=size, power=0.8)
    assert detect["odds_ratio"].iloc[0] == pytest.approx(2.0, rel=1e-9)


def test_stratified_null_odds_ratio_gives_alpha() -> None:
    row = power_stratified(odds_ratio=1.0, p0=[0.1, 0.4], n_cases=100, case_fractions=[1, 3])
    assert row["power"].iloc[0] == pytest.approx(0.05, rel=1e-12)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        power_matched(odds_ratio=2, p0=0.2, n_cases=100, power=0.8)
    with pytest.raises(TypeError, match="whole number"):
        power_matched(odds_ratio=2, p0=0.2, power=0.8, controls_per_case=1.5)
    with pytest.raises(ValueError, match="phi"):
        power_matched(odds_ratio=2, p0=0.2, power=0.8, phi=1.0)
    with pytest.raises(TypeError, match="sequence"):
        power_stratified(odds_ratio=2, p0=0.2, power=0.8)
    with pytest.raises(ValueError, match="case_fractions"):
        power_stratified(odds_ratio=2, p0=[0.2, 0.3], power=0.8, case_fractions=[1.0])
