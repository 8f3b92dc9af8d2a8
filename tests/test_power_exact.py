"""Exact Wald and likelihood-ratio power by enumeration of the two binomials.

Checked against a hand calculation on n = 3 per group (written out below) and against a
brute-force Monte Carlo of the same tests (wide tolerance).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from neok2.stats.power_exact import exact_power, power_methods, rejection_region


class TestHandCalculation:
    """Three cases and three controls, OR 4, p0 = 0.2, so p1 = 0.8 / 1.6 = 0.5.

    Likelihood ratio, alpha 0.05, critical chi-square(1) value 3.8415:
    * (x1, x0) = (3, 0): cells 3, 0, 0, 3 with expected 1.5 each;
      G2 = 2 (3 ln 2 + 3 ln 2) = 12 ln 2 = 8.318 > 3.8415, rejects; (0, 3) likewise.
    * (2, 0): cells a=2, b=1, c=0, d=3 with expected 1, 2, 1, 2;
      G2 = 2 (2 ln 2 + ln 0.5 + 3 ln 1.5) = 2 (1.3863 - 0.6931 + 1.2164) = 3.819 < 3.8415.
      Every other table is less extreme, so only (3, 0) and (0, 3) reject.
    Power = P(X1 = 3) P(X0 = 0) + P(X1 = 0) P(X0 = 3)
          = 0.5^3 * 0.8^3 + 0.5^3 * 0.2^3 = 0.125 * 0.512 + 0.125 * 0.008 = 0.065.
    Wald: a table with an empty cell never rejects, and the most extreme full table
    (2, 1, 1, 2) has |log 4| / sqrt(1/2 + 1 + 1 + 1/2) = 1.3863 / 1.7321 = 0.80 < 1.96,
    so the exact Wald power is 0.
    """

    def test_likelihood_ratio(self):
        row = exact_power(4.0, 0.2, 3, 3, test="lr")
        assert row["power"].iloc[0] == pytest.approx(0.065, abs=1e-12)
        assert row["method"].iloc[0] == "exact likelihood ratio"
        region = rejection_region(3, 3, test="lr")
        assert np.argwhere(region).tolist() == [[0, 3], [3, 0]]

    def test_wald(self):
        row = exact_power(4.0, 0.2, 3, 3, test="wald")
        assert row["power"].iloc[0] == 0.0
        assert row["method"].iloc[0] == "exact Wald"


def _woolf_rejects(a, b, c, d, z=1.959963984540054):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_or = np.log(a) + np.log(d) - np.log(b) - np.log(c)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        return (a > 0) & (b > 0) & (c > 0) & (d > 0) & (np.abs(log_or) / se > z)


def _deviance_rejects(a, b, c, d):
    n1, n0 = a + b, c + d
    total, exposed = n1 + n0, a + c
    expected = [
        n1 * exposed / total,
        n1 * (total - exposed) / total,
        n0 * exposed / total,
        n0 * (total - exposed) / total,
    ]
    deviance = 0.0
    for observed, value in zip((a, b, c, d), expected, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            deviance = deviance + np.where(observed > 0, observed * np.log(observed / value), 0)
    return 2 * deviance > stats.chi2.ppf(0.95, 1)


@pytest.mark.parametrize("odds_ratio, p0, n1, n0", [(3.0, 0.1, 66, 134), (2.0, 0.05, 40, 80)])
def test_against_brute_force_monte_carlo(odds_ratio, p0, n1, n0):
    rng = np.random.default_rng(7)
    p1 = p0 * odds_ratio / (1 + p0 * (odds_ratio - 1))
    draws = 40_000
    a = rng.binomial(n1, p1, draws).astype(float)
    c = rng.binomial(n0, p0, draws).astype(float)
    b, d = n1 - a, n0 - c
    for test, rejects in (("wald", _woolf_rejects), ("lr", _deviance_rejects)):
        simulated = rejects(a, b, c, d).mean()
        exact = exact_power(odds_ratio, p0, n1, n0, test=test)["power"].iloc[0]
        # Five Monte Carlo standard errors.
        assert exact == pytest.approx(simulated, abs=5 * math.sqrt(0.25 / draws))


def test_size_under_the_null_is_at_most_near_alpha():
    size = exact_power(1.0, 0.3, 66, 134)["power"].iloc[0]
    assert 0.02 < size < 0.07


def test_power_methods_name_every_row_and_agree_roughly():
    table = power_methods(3.0, 0.1, 66, 134)
    assert table["method"].tolist() == [
        "Fleiss (crude)",
        "Kelsey (crude)",
        "exact Wald",
        "exact likelihood ratio",
    ]
    assert table["power"].between(0.5, 1.0).all()
    assert table["power"].max() - table["power"].min() < 0.1


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="n_cases"):
        exact_power(2.0, 0.1, 0, 10)
    with pytest.raises(ValueError, match="test"):
        exact_power(2.0, 0.1, 10, 10, test="score")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="p0"):
        exact_power(2.0, 1.5, 10, 10)
