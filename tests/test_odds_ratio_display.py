"""How many decimals an odds ratio prints with, and the journal tables that show them.

The rule (neok2.formatting.odds_ratio_digits): two decimals unless two lose the information
(limits equal, a limit equal to the estimate or to 0, a limit within one step of 1); then the
published row's decimals when one sits beside it, else the fewest up to four that suffice.

Reference values: tests/reference/studies.R (R's glm on MASS::birthwt, Wald intervals),
written to tests/reference/studies_tables.csv; R printed the per-pound odds ratio of the last
menstrual weight at three decimals and smoking's at two. The hand cases below are worked out
in their comments.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from neok2.formatting import format_or_ci, odds_ratio_digits
from neok2.report.run import run_analysis
from neok2.study.spec import load_study

ROOT = Path(__file__).parents[1]
REFERENCE = pd.read_csv(ROOT / "tests" / "reference" / "studies_tables.csv", dtype=str)


def printed(model: str, variable: str) -> str:
    """``"OR (low-high)"`` as R printed it for birthwt."""
    rows = REFERENCE[
        (REFERENCE["study"] == "birthwt")
        & (REFERENCE["table"] == model)
        & (REFERENCE["variable"] == variable)
    ].set_index("field")["printed"]
    return f"{rows['or']} ({rows['ci']})"


# ----------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # informative at two decimals: unchanged (the K2 paper's caesarean row)
        ((3.151, 1.586, 6.263), "3.15 (1.59-6.26)"),
        # 0.99 (0.97-1.00): the upper limit prints as 1 though the interval excludes it
        ((0.98614, 0.97419, 0.99823), "0.986 (0.974-0.998)"),
        # 0.95 (0.89-1.01): 1.01 is one step from 1; at three decimals 1.007 is seven
        ((0.9482, 0.8931, 1.0066), "0.948 (0.893-1.007)"),
        # 1.99 (1.99-3.50): the lower limit prints as the estimate
        ((1.9942, 1.9911, 3.5), "1.994 (1.991-3.500)"),
        # 0.02 (0.00-0.40): a lower limit of 0.00 says nothing
        ((0.02, 0.0012, 0.4), "0.020 (0.001-0.400)"),
        # per gram: 1.00 (1.00-1.00), then 1.000 (0.999-1.000), then four decimals (the cap)
        ((0.99961, 0.99931, 0.99991), "0.9996 (0.9993-0.9999)"),
    ],
)
def test_decimals_keep_what_the_interval_says(values, expected):
    assert format_or_ci(*values) == expected


def test_a_published_value_beside_sets_the_decimals_of_a_row_that_needs_more():
    # three decimals suffice, but the paper printed four: the row follows the paper
    assert format_or_ci(0.98614, 0.97419, 0.99823, printed="0.9861") == "0.9861 (0.9742-0.9982)"
    # an informative row keeps two whatever the paper printed (K2's 3.151 (1.586-6.263))
    assert format_or_ci(3.151, 1.586, 6.263, printed="3.151 (1.586-6.263)") == "3.15 (1.59-6.26)"
    # a published cell without a number (the en dash of a term not reported) is ignored
    assert odds_ratio_digits(0.98614, 0.97419, 0.99823, printed="–") == 3


def test_a_divergent_estimate_keeps_two_decimals():
    assert format_or_ci(float("inf"), 1.5, float("inf")) == "NA (1.50-NA)"
    assert odds_ratio_digits(None, 0.5, 2.0) == 2


# ----------------------------------------------------------------------------- the tables


@pytest.fixture(scope="module")
def birthwt():
    study = load_study("birthwt")
    data = pd.read_csv(ROOT / "src" / "neok2" / "data" / "birthwt.csv")
    return run_analysis(
        data,
        study,
        seed=1,
        data_source="real",
        bootstrap_replicates=5,
        sections=["univariable", "multivariable", "sensitivity", "forest", "power"],
    )


def text_of(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_rebuilt_per_unit_odds_ratios_print_as_r_does(birthwt):
    univariable = text_of(birthwt.table_html["univariable"])
    # published and rebuilt side by side, both as R prints the real data's estimate
    assert univariable.count(printed("univariable", "lwt")) == 2
    assert univariable.count(printed("univariable", "age")) == 2  # 0.950 (0.893-1.011)
    assert univariable.count(printed("univariable", "smoke")) == 2  # 2.02 (1.08-3.78)
    multivariable = text_of(birthwt.table_html["multivariable"])
    assert multivariable.count(printed("multivariable", "lwt")) == 2  # 0.985 (0.972-0.998)
    assert multivariable.count(printed("multivariable", "smoke")) == 2  # 2.52 (1.15-5.52)
    # the prose quotes the same decimals as the table
    assert birthwt.values["multivariable.lwt.odds_ratio"].display == "0.985"
    assert birthwt.values["multivariable.lwt.ci"].display == "0.972-0.998"


def test_sensitivity_cells_stay_on_one_line(birthwt):
    html = birthwt.table_html["sensitivity"]
    body = text_of(html)
    # the Wald column would repeat the multivariable table: the note points there instead
    assert "Wald CI" not in body.split("Profile:")[0]
    # every interval column (profile, Firth, risk ratio, E-value) is styled not to wrap; the
    # variable names take the wrapping
    nowrap_cells = re.findall(r'<td[^>]*style="[^"]*white-space: nowrap[^"]*"[^>]*>', html)
    rows = len(birthwt.tables["sensitivity"])
    assert len(nowrap_cells) == 4 * rows


def test_power_table_groups_methods_under_each_factor(birthwt):
    body = text_of(birthwt.table_html["power"])
    # birthwt's binary factors: smoking (44 of 130 controls, 33.8%), hypertension (5 of 130,
    # 3.8%) and uterine irritability (14 of 130, 10.8%); each heads its group once
    for heading in (
        "Smoking during pregnancy (33.8% of controls exposed)",
        "History of hypertension (3.8% of controls exposed)",
        "Uterine irritability (10.8% of controls exposed)",
    ):
        assert body.count(heading) == 1
    rows = body.split("Design-stage power")[0]  # the body, before the note naming the methods
    assert rows.count("Fleiss (crude)") == 3 and rows.count("exact Wald (crude)") == 3
    assert "Exposed controls" not in body
