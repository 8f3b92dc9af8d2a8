"""The shipped worked examples (birthwt, esoph) and a third spec written from docs/spec.md.

Counts are recomputed here from the shipped CSVs with pandas; every other printed value is
compared with tests/reference/studies_tables.csv, written by tests/reference/studies.R.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from neok2.cli import main
from neok2.study.dictionary import apply_codes, validate_data
from neok2.study.spec import Study, load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = pd.read_csv(
    ROOT / "tests" / "reference" / "studies_tables.csv", dtype=str, keep_default_na=False
)
INFERT = ROOT / "tests" / "specs" / "infert.yaml"


def _data(name: str) -> pd.DataFrame:
    with resources.as_file(resources.files("neok2") / "data" / f"{name}.csv") as path:
        return pd.read_csv(path)


STUDIES = {
    "birthwt": lambda: load_study("birthwt"),
    "esoph": lambda: load_study("esoph"),
    "infert": lambda: load_study(INFERT),
}
DATA = {
    "birthwt": lambda: _data("birthwt"),
    "esoph": lambda: _data("esoph"),
    "infert": lambda: pd.read_csv(ROOT / "tests" / "specs" / "infert.csv"),
}


@pytest.mark.parametrize("name", ["birthwt", "esoph", "infert"])
def test_group_sizes_match_the_data(name):
    study, data = STUDIES[name](), DATA[name]()
    counts = data[study.outcome].value_counts()
    assert (int(counts[1]), int(counts[0])) == (study.groups["case"], study.groups["control"])
    assert {"birthwt": (59, 130), "esoph": (200, 775), "infert": (83, 165)}[name] == (
        int(counts[1]),
        int(counts[0]),
    )


@pytest.mark.parametrize("name", ["birthwt", "esoph", "infert"])
def test_table1_counts_equal_the_csv(name):
    study = STUDIES[name]()
    data = apply_codes(DATA[name](), study)
    outcome = data[study.outcome]
    checked = 0
    for row in study.table1[study.table1["summary"] == "n_percent"].to_dict("records"):
        in_group = data[outcome == (1 if row["group"] == "case" else 0)]
        column = in_group[row["variable"]]
        if row["value"]:  # a level of a categorical or ordinal variable
            hits = column.map(lambda v: str(int(v)) if isinstance(v, float | int) else str(v))
            expected = int((hits == row["value"]).sum())
        elif row["level"]:  # a bin of a continuous variable
            low = -math.inf if math.isnan(row["low"]) else row["low"]
            high = math.inf if math.isnan(row["high"]) else row["high"]
            expected = int(((column >= low) & (column < high)).sum())
        else:  # a binary variable
            expected = int((column == 1).sum())
        assert row["n"] == expected, (row["variable"], row["level"], row["group"])
        assert row["percent"] == round(100 * expected / len(in_group), 1)
        checked += 1
    assert checked >= {"birthwt": 20, "esoph": 28, "infert": 18}[name]


@pytest.mark.parametrize("name", ["birthwt", "infert"])
def test_table1_means_equal_the_csv(name):
    study = STUDIES[name]()
    data = DATA[name]()
    rows = study.table1[study.table1["summary"] == "mean_sd"]
    assert not rows.empty
    for row in rows.to_dict("records"):
        values = data.loc[
            data[study.outcome] == (1 if row["group"] == "case" else 0), row["variable"]
        ]
        assert row["mean"] == round(values.mean(), 1)
        assert row["sd"] == round(values.std(ddof=1), 1)


def _printed(study: Study) -> dict[tuple[str, str, str, str], str]:
    """Every printed value of a study keyed as in studies_tables.csv."""
    values: dict[tuple[str, str, str, str], str] = {}
    for row in study.table1.to_dict("records"):
        level = str(row["value"] and row["level"])
        if row["level"] and not row["value"]:
            continue
        if row["printed"]:
            values[("table1", row["variable"], level, row["group"])] = row["printed"]
        if not row["level"]:
            if row["p_printed"]:
                values[("table1", row["variable"], "", "p")] = row["p_printed"]
            if row["trend_p_printed"]:
                values[("table1", row["variable"], "", "trend_p")] = row["trend_p_printed"]
    for table, frame in (
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        for row in frame.to_dict("records"):
            key = (table, row["variable"], row["level"])
            values[(*key, "or")] = row["or_printed"]
            values[(*key, "ci")] = row["ci_printed"]
            values[(*key, "p")] = row["p_printed"]
            for field in ("joint_p", "trend_p"):
                if row[f"{field}_printed"]:
                    values[(table, row["variable"], "", field)] = row[f"{field}_printed"]
    return values


_INFERT_LABELS = {"0-5yrs": "0-5 years", "6-11yrs": "6-11 years", "12+ yrs": "12 years or more"}


@pytest.mark.parametrize("name", ["birthwt", "esoph", "infert"])
def test_printed_values_equal_the_r_reference(name):
    study = STUDIES[name]()
    printed = _printed(study)
    reference = REFERENCE[REFERENCE["study"] == name]
    assert len(reference) > 30
    for row in reference.to_dict("records"):
        level = row["level"]
        if name == "infert":
            level = _INFERT_LABELS.get(level, "2+" if level == "2" else level)
        key = (row["table"], row["variable"], level, row["field"])
        assert printed.get(key) == row["printed"], key
    # and nothing printed in a spec is missing from the reference
    table1_keys = {k for k in printed if k[0] == "table1"}
    reference_keys = {
        (
            r["table"],
            r["variable"],
            _INFERT_LABELS.get(r["level"], "2+" if r["level"] == "2" else r["level"])
            if name == "infert"
            else r["level"],
            r["field"],
        )
        for r in reference.to_dict("records")
    }
    assert table1_keys <= reference_keys


@pytest.mark.parametrize("name", ["birthwt", "esoph"])
def test_neok2_validate_passes_on_the_shipped_csv(name):
    with resources.as_file(resources.files("neok2") / "data" / f"{name}.csv") as path:
        result = CliRunner().invoke(main, ["validate", str(path), "--study", name])
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output


def test_validate_finds_a_broken_birthwt_record():
    study = load_study("birthwt")
    data = _data("birthwt")
    data.loc[3, "race"] = 4
    data.loc[5, "low"] = 1 - data.loc[5, "low"]  # now disagrees with bwt < 2500
    report = validate_data(data, study)
    assert set(report.problems["column"]) == {"race", "low"}
    assert list(report.problems["row"]) == [4, 6]


def test_spec_written_from_the_docs_validates_its_data():
    result = CliRunner().invoke(
        main, ["validate", str(ROOT / "tests" / "specs" / "infert.csv"), "--study", str(INFERT)]
    )
    assert result.exit_code == 0, result.output
    study = load_study(INFERT)
    assert study.population["plural"] == "women"
    assert list(study.univariable["term"]) == ["spontaneous[1]", "spontaneous[2+]"]


def test_worked_example_in_the_docs_loads():
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    section = text.split("## A worked example", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    study = parse_study(yaml.safe_load(block.group(1)))
    assert study.levels("spontaneous")["value"].tolist() == ["0", "1", "2"]
    report = validate_data(pd.read_csv(ROOT / "tests" / "specs" / "infert.csv"), study)
    assert report.ok, report.summary()


def test_birthwt_race_codes_and_continuous_terms():
    study = load_study("birthwt")
    assert study.column("race").levels == ("1", "2", "3")
    terms = study.multivariable.set_index("term")
    assert terms.loc["lwt", "per"] == "1 lb"
    assert terms.loc["race[Black]", "reference"] == "White"
    assert terms.loc["race[Black]", "joint_p_printed"] == "0.025"
    assert "race" in study.multivariable_terms


def test_package_data_includes_the_csvs():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/*.csv"' in text
    readme = (ROOT / "src" / "neok2" / "data" / "README.md").read_text(encoding="utf-8")
    for needle in ("Hosmer", "Breslow", "GPL", "tests/reference/studies.R"):
        assert needle in readme
