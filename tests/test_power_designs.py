"""Matched (Dupont) and stratified (Mantel-Haenszel) power against R and by hand.

``epiR::epi.sscc(method = "matched", nfractional = TRUE)`` wrote the matched values
(tests/reference/designs.R). epiR solves the detectable odds ratio with uniroot's default
tolerance (about 1e-4 on the odds-ratio scale), so those comparisons use 1e-4.
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
    assert size["n_cases"].iloc[0] == pytest.approx(expected["n_case"], rel=CLOSED)
    assert size["n_total"].iloc[0] == pytest.approx(expected["n_total"], rel=CLOSED)
    # epiR's power branch takes the total n = 300 and has n / (1 + r) sets
    sets = 300 / (r + 1)
    power = power_matched(odds_ratio=odds, p0=p0, n_cases=sets, controls_per_case=r, phi=phi)
    assert power["power"].iloc[0] == pytest.approx(expected["power_n300"], rel=CLOSED)
    if "or_high_n300" in expected:
        detectable = power_matched(p0=p0, n_cases=sets, power=0.8, controls_per_case=r, phi=phi)
        assert detectable["odds_ratio"].iloc[0] == pytest.approx(expected["or_high_n300"], rel=1e-4)
        assert detectable["odds_ratio_protective"].iloc[0] == pytest.approx(
            expected["or_low_n300"], rel=1e-4
        )
        again = power_matched(
            odds_ratio=detectable["odds_ratio"].iloc[0],
            p0=p0,
            n_cases=sets,
            controls_per_case=r,
            phi=phi,
        )
        assert again["power"].iloc[0] == pytest.approx(0.8, abs=1e-9)


def test_one_stratum_is_fleiss_without_correction() -> None:
    stratified = power_stratified(odds_ratio=2.5, p0=[0.25], power=0.9, controls_per_case=2)
    unmatched = power_case_control(
        odds_ratio=2.5, p0=0.25, power=0.9, controls_per_case=2, method="fleiss"
    )
    # power_stratified keeps the near rejection tail only (its closed form);
    # power_case_control counts both tails, which shrinks the size by less than 1e-5.
    one_tail, two_tails = stratified["n_cases"].iloc[0], unmatched["n_cases"].iloc[0]
    assert two_tails == pytest.approx(one_tail, rel=1e-5) and two_tails <= one_tail


def test_two_strata_by_hand() -> None:
    # OR 2, p0 = 0.1 and 0.3, half the cases in each stratum, one control per case.
    # p1 = 0.1*2/1.1 = 0.181818..., 0.3*2/1.3 = 0.461538...; per case w_k = 0.5 * 1/2 = 0.25
    p1a, p1b = 0.2 / 1.1, 0.6 / 1.3
    mean = 0.25 * (p1a - 0.1) + 0.25 * (p1b - 0.3)
    pa, pb = (p1a + 0.1) / 2, (p1b + 0.3) / 2
    var0 = 0.25 * pa * (1 - pa) + 0.25 * pb * (1 - pb)
    var1 = 0.25**2 * ((p1a * (1 - p1a) + 0.1 * 0.9) / 0.5 + (p1b * (1 - p1b) + 0.3 * 0.7) / 0.5)
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    n = (z_a * math.sqrt(var0) + z_b * math.sqrt(var1)) ** 2 / mean**2
    row = power_stratified(odds_ratio=2, p0=[0.1, 0.3], power=0.8)
    assert row["n_cases"].iloc[0] == pytest.approx(n, rel=1e-12)
    back = power_stratified(odds_ratio=2, p0=[0.1, 0.3], n_cases=n)
    assert back["power"].iloc[0] == pytest.approx(0.8, rel=1e-12)
    detect = power_stratified(p0=[0.1, 0.3], n_cases=n, power=0.8)
    assert detect["odds_ratio"].iloc[0] == pytest.approx(2.0, rel=1e-9)


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
