"""The bad-input catalogue: every public function and CLI command, fed what users really send.

Each case names the call, the input, the exception type (or CLI exit status) and a regular
expression its message must match. Every case also checks that no input file changed (each
file is hashed before and after) and that a failing CLI command leaves no output behind.
``CASE_COUNT`` is the number of cases in the catalogue.
"""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from test_dictionary import valid_frame

from neok2 import formatting
from neok2._io import atomic_output, atomic_write_bytes, atomic_write_text, refuse_overwrite_input
from neok2.audit import limitations
from neok2.audit import run as audit
from neok2.cli.app import main
from neok2.report import analysis
from neok2.report.figures import forest
from neok2.stats import (
    baseline,
    batch,
    contingency,
    growth,
    logistic,
    power,
    power_proportions,
    selection,
    simulation,
)
from neok2.study import dictionary
from neok2.study import spec as study
from neok2.study.spec import SpecError
from neok2.synth import fidelity
from neok2.synth import generator as synthesis

SHIPPED_SPEC = Path(study.__file__).parents[1] / "studies" / "k2_neonates.yaml"


# ----------------------------------------------------------------------------- inputs


def _spec_mapping() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))


def _write_inputs(folder: Path) -> None:
    """The files of the catalogue: a valid dataset and the usual ways an export goes wrong."""
    good = valid_frame(40)
    good.to_csv(folder / "good.csv", index=False)
    text = good.astype({"ga_weeks": object})
    text.loc[3, "ga_weeks"] = "abc"
    text.to_csv(folder / "text_in_numeric.csv", index=False)
    infinite = good.copy()
    infinite.loc[2, "birthweight_kg"] = math.inf
    infinite.to_csv(folder / "infinite.csv", index=False)
    duplicated = good.copy()
    duplicated.loc[1, "id"] = duplicated.loc[0, "id"]
    duplicated.to_csv(folder / "duplicated_ids.csv", index=False)
    good.assign(deficiency=1).to_csv(folder / "one_group.csv", index=False)
    good.iloc[:0].to_csv(folder / "header_only.csv", index=False)
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(b"\x00\xff\xfe\x01" * 64)
    (folder / "ragged.csv").write_text('a,b\n1,2\n"never closed\n', encoding="utf-8")
    (folder / "data.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "broken.sav").write_bytes(b"not an SPSS file")
    (folder / "broken.dta").write_bytes(b"not a Stata file")
    (folder / "spec_bad_yaml.yaml").write_text("id: [never closed\n", encoding="utf-8")
    (folder / "spec_python_tag.yaml").write_text(
        "!!python/object/apply:os.system ['echo owned']\n", encoding="utf-8"
    )
    (folder / "spec_list.yaml").write_text("- id\n- outcome\n", encoding="utf-8")
    (folder / "spec_binary.yaml").write_bytes(b"\xff\xfe\x00id: x\n")
    impossible = _spec_mapping()
    impossible["groups"]["case"]["n"] = 70  # 70 + 134 != totals.n = 200
    (folder / "spec_impossible.yaml").write_text(yaml.safe_dump(impossible), encoding="utf-8")
    too_many = _spec_mapping()
    row = next(r for r in too_many["table1"] if r["summary"] == "n_percent" and not r.get("bins"))
    row["case"] = "80 (121.2)"  # more cases with the feature than there are cases
    (folder / "spec_count_too_big.yaml").write_text(yaml.safe_dump(too_many), encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    _write_inputs(folder)
    return folder


@pytest.fixture(scope="module")
def k2() -> study.Study:
    return study.load_study("k2_neonates")


# ----------------------------------------------------------------------------- python API


@dataclass(frozen=True)
class Case:
    """One bad call: ``call(inputs, study)`` must raise ``error`` with a message matching."""

    name: str
    call: Callable[[Path, Any], object]
    error: type[BaseException]
    match: str


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case": [1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
            "exposed": [1, 0, 1, 1, 0, 1, 0, 0, 0, 1],
            "weight": [2.1, 2.5, 2.3, 2.9, 3.0, 3.2, 2.9, 3.4, 2.2, 3.1],
            "kind": list("abcabcabca"),
        }
    )


def _mixed(column: str, values: list[Any]) -> pd.DataFrame:
    frame = _frame()
    frame[column] = pd.Series(values, dtype=object)
    return frame


def _spec_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    spec = _spec_mapping()
    change(spec)
    return spec


def _first_row(spec: dict[str, Any], summary: str) -> dict[str, Any]:
    return next(r for r in spec["table1"] if r["summary"] == summary and not r.get("bins"))


_NAN = math.nan
_INF = math.inf

FORMATTING_CASES = [
    Case(
        "format_number: negative digits",
        lambda d, s: formatting.format_number(1.5, -1),
        ValueError,
        r"`digits` must be a non-negative integer, got -1",
    ),
    Case(
        "format_number: float digits",
        lambda d, s: formatting.format_number(1.5, 1.0),
        ValueError,
        r"`digits` must be a non-negative integer",
    ),
    Case(
        "format_p: above 1",
        lambda d, s: formatting.format_p(1.2),
        ValueError,
        r"`p` must lie in \[0, 1\], got 1.2",
    ),
    Case(
        "format_p: infinity",
        lambda d, s: formatting.format_p(_INF),
        ValueError,
        r"`p` must lie in \[0, 1\], got inf",
    ),
    Case(
        "format_p: negative",
        lambda d, s: formatting.format_p(-0.01),
        ValueError,
        r"`p` must lie in \[0, 1\]",
    ),
    Case(
        "format_p: threshold text",
        lambda d, s: formatting.format_p(0.5, threshold="0.01"),
        ValueError,
        r"`threshold` must be a number in \(0, 1\]",
    ),
    Case(
        "format_p: threshold 0",
        lambda d, s: formatting.format_p(0.5, threshold=0.0),
        ValueError,
        r"`threshold` must be a number in \(0, 1\]",
    ),
    Case(
        "format_odds_ratio: text",
        lambda d, s: formatting.format_odds_ratio("x"),
        ValueError,
        r"could not convert string to float: 'x'",
    ),
    Case(
        "format_ci: text limit",
        lambda d, s: formatting.format_ci("low", 2.0),
        ValueError,
        r"could not convert string to float: 'low'",
    ),
    Case(
        "format_n_percent: negative",
        lambda d, s: formatting.format_n_percent(-1, 5),
        ValueError,
        r"must be non-negative, got n=-1, total=5",
    ),
    Case(
        "format_n_percent: n above total",
        lambda d, s: formatting.format_n_percent(6, 5),
        ValueError,
        r"`n` \(6\) cannot exceed `total` \(5\)",
    ),
    Case(
        "format_n_percent: fractional count",
        lambda d, s: formatting.format_n_percent(2.7, 5),
        ValueError,
        r"`n` must be a whole number, got 2.7",
    ),
    Case(
        "format_n_percent: NaN count",
        lambda d, s: formatting.format_n_percent(_NAN, 5),
        ValueError,
        r"`n` must be a whole number, got nan",
    ),
    Case(
        "format_n_percent: text count",
        lambda d, s: formatting.format_n_percent("2", 5),
        TypeError,
        r"`n` must be a whole-number count, got str",
    ),
    Case(
        "format_n_percent: infinite total",
        lambda d, s: formatting.format_n_percent(1, _INF),
        ValueError,
        r"`total` must be a whole number, got inf",
    ),
    Case(
        "format_mean_sd: text",
        lambda d, s: formatting.format_mean_sd("a", 1.0),
        ValueError,
        r"could not convert string to float: 'a'",
    ),
    Case(
        "format_median_iqr: text",
        lambda d, s: formatting.format_median_iqr(1.0, "q1", 2.0),
        ValueError,
        r"could not convert string to float: 'q1'",
    ),
    Case(
        "format_truncated: negative digits",
        lambda d, s: formatting.format_truncated(1.0, -2),
        ValueError,
        r"`digits` must be a non-negative integer",
    ),
    Case(
        "decimal_places: number",
        lambda d, s: formatting.decimal_places(3.5),
        TypeError,
        r"a printed number must be a string, got float",
    ),
    Case(
        "decimal_places: text",
        lambda d, s: formatting.decimal_places("abc"),
        ValueError,
        r"not a printed number: 'abc'",
    ),
    Case(
        "parse_number: None",
        lambda d, s: formatting.parse_number(None),
        TypeError,
        r"a printed number must be a string, got NoneType",
    ),
    Case(
        "parse_number: decimal comma",
        lambda d, s: formatting.parse_number("1,5"),
        ValueError,
        r"not a printed number: '1,5'",
    ),
    Case(
        "parse_cell: number",
        lambda d, s: formatting.parse_cell(42, "n_percent"),
        TypeError,
        r"a printed cell must be a string, got int",
    ),
    Case(
        "parse_cell: unknown kind",
        lambda d, s: formatting.parse_cell("3 (4)", "pct"),
        ValueError,
        r"`kind` must be one of \['mean_sd', 'median_iqr', 'n_percent'\]",
    ),
    Case(
        "parse_cell: unreadable",
        lambda d, s: formatting.parse_cell("3 of 4", "n_percent"),
        ValueError,
        r"cannot read '3 of 4' as n_percent; expected a form like '42 \(63.6\)'",
    ),
    Case(
        "parse_cell: NaN text",
        lambda d, s: formatting.parse_cell("nan±1", "mean_sd"),
        ValueError,
        r"cannot read 'nan±1' as mean_sd",
    ),
    Case(
        "parse_interval: number",
        lambda d, s: formatting.parse_interval(3),
        TypeError,
        r"a printed number must be a string, got int",
    ),
    Case(
        "parse_interval: no separator",
        lambda d, s: formatting.parse_interval("1.2 3.4"),
        ValueError,
        r"cannot read '1.2 3.4' as an interval; expected 'low-high'",
    ),
    Case(
        "matches_printed: unreadable",
        lambda d, s: formatting.matches_printed(1.0, "abc"),
        ValueError,
        r"not a printed number: 'abc'",
    ),
]

STUDY_CASES = [
    Case(
        "load_study: number",
        lambda d, s: study.load_study(3),
        TypeError,
        r"`study` must be a study name or a path, got int",
    ),
    Case(
        "load_study: unknown name",
        lambda d, s: study.load_study("no_such_study"),
        FileNotFoundError,
        r"'no_such_study' is neither a shipped study \(.*k2_neonates.*\)",
    ),
    Case(
        "load_study: missing file",
        lambda d, s: study.load_study(d / "absent.yaml"),
        FileNotFoundError,
        r"absent.yaml' is neither a shipped study",
    ),
    Case(
        "load_study: directory",
        lambda d, s: study.load_study(d),
        FileNotFoundError,
        r"nor an existing spec file",
    ),
    Case(
        "load_study: broken YAML",
        lambda d, s: study.load_study(d / "spec_bad_yaml.yaml"),
        SpecError,
        r"spec_bad_yaml.yaml' is not valid YAML: line 2, column 1: expected ','",
    ),
    Case(
        "load_study: python tag",
        lambda d, s: study.load_study(d / "spec_python_tag.yaml"),
        SpecError,
        r"not valid YAML: line 1, column 1: could not determine a constructor",
    ),
    Case(
        "load_study: a list",
        lambda d, s: study.load_study(d / "spec_list.yaml"),
        SpecError,
        r"must be a mapping at the top level, got list",
    ),
    Case(
        "load_study: not UTF-8",
        lambda d, s: study.load_study(d / "spec_binary.yaml"),
        SpecError,
        r"spec_binary.yaml' is not UTF-8 text",
    ),
    Case(
        "load_study: a CSV file",
        lambda d, s: study.load_study(d / "good.csv"),
        SpecError,
        r"must be a mapping at the top level, got str",
    ),
    Case(
        "load_study: impossible group sizes",
        lambda d, s: study.load_study(d / "spec_impossible.yaml"),
        SpecError,
        r"case n \(70\) \+ control n \(134\) = 204 does not equal totals.n \(200\)",
    ),
    Case(
        "load_study: count above group size",
        lambda d, s: study.load_study(d / "spec_count_too_big.yaml"),
        SpecError,
        r"count 80 is larger than the group size 66",
    ),
    Case(
        "parse_study: None",
        lambda d, s: study.parse_study(None),
        SpecError,
        r"must be a mapping at the top level, got NoneType",
    ),
    Case(
        "parse_study: empty mapping",
        lambda d, s: study.parse_study({}),
        SpecError,
        r"invalid study spec:\n  id: Field required",
    ),
    Case(
        "parse_study: unknown key",
        lambda d, s: study.parse_study(_spec_with(lambda m: m.update(surprise=1))),
        SpecError,
        r"surprise: unknown key \(check its spelling",
    ),
    Case(
        "parse_study: negative group size",
        lambda d, s: study.parse_study(_spec_with(lambda m: m["groups"]["case"].update(n=-5))),
        SpecError,
        r"groups.case.n: Input should be greater than 0",
    ),
    Case(
        "parse_study: NaN group size",
        lambda d, s: study.parse_study(_spec_with(lambda m: m["groups"]["case"].update(n=_NAN))),
        SpecError,
        r"groups.case.n: Input should be a finite number",
    ),
    Case(
        "parse_study: empty table1",
        lambda d, s: study.parse_study(_spec_with(lambda m: m.update(table1=[]))),
        SpecError,
        r"table1 must list at least one row",
    ),
    Case(
        "parse_study: duplicated table1 row",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: m["table1"].append(dict(m["table1"][0])))
        ),
        SpecError,
        r"appears twice in table1",
    ),
    Case(
        "parse_study: NaN mean",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: _first_row(m, "mean_sd").update(case={"mean": _NAN, "sd": 1.0}))
        ),
        SpecError,
        r"mean: Input should be a finite number",
    ),
    Case(
        "parse_study: infinite count",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: _first_row(m, "n_percent").update(case={"n": _INF}))
        ),
        SpecError,
        r"n: Input should be a finite number",
    ),
    Case(
        "parse_study: negative SD",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: _first_row(m, "mean_sd").update(case={"mean": 1.0, "sd": -1.0}))
        ),
        SpecError,
        r"standard deviation must be >= 0, got -1.0",
    ),
    Case(
        "parse_study: quartiles out of order",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: _first_row(m, "median_iqr").update(case="5 (6, 7)"))
        ),
        SpecError,
        r"quartiles must satisfy q1 <= median <= q3",
    ),
    Case(
        "parse_study: reversed CI",
        lambda d, s: study.parse_study(_spec_with(lambda m: m["univariable"][0].update(ci="5-1"))),
        SpecError,
        r"univariable\[0\] \(\w+\).ci: lower limit 5.0 is above the upper limit 1.0",
    ),
    Case(
        "parse_study: text odds ratio",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: m["univariable"][0].update({"or": "big"}))
        ),
        SpecError,
        r"univariable\[0\] \(\w+\).or: not a printed number: 'big'",
    ),
    Case(
        "parse_study: NaN odds ratio",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: m["univariable"][0].update({"or": _NAN}))
        ),
        SpecError,
        r"univariable\[0\] \(\w+\)\.or.*finite number",
    ),
    Case(
        "parse_study: zero odds ratio",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: m["univariable"][0].update({"or": 0.0}))
        ),
        SpecError,
        r"odds ratios and their limits must be positive",
    ),
    Case(
        "parse_study: p above 1",
        lambda d, s: study.parse_study(_spec_with(lambda m: m["univariable"][0].update(p="1.5"))),
        SpecError,
        r"a p-value must lie in \[0, 1\], got '1.5'",
    ),
    Case(
        "parse_study: text claim value",
        lambda d, s: study.parse_study(
            _spec_with(lambda m: m.update(text_claims={"x": {"value": "many"}}))
        ),
        SpecError,
        r"text_claims.x.value: Input should be a valid number",
    ),
    Case(
        "parse_study: threshold 2",
        lambda d, s: study.parse_study(_spec_with(lambda m: m.update(screening={"threshold": 2}))),
        SpecError,
        r"screening.threshold: Input should be less than 1",
    ),
    Case(
        "parse_study: unknown outcome column",
        lambda d, s: study.parse_study(_spec_with(lambda m: m["outcome"].update(column="nope"))),
        SpecError,
        r"outcome.column: 'nope' is not in the data dictionary",
    ),
    Case(
        "Study.cell: unknown variable",
        lambda d, s: s.cell("nope", "case"),
        KeyError,
        r"no Table 1 entry for variable='nope'",
    ),
    Case(
        "Study.column: unknown column",
        lambda d, s: s.column("nope"),
        KeyError,
        r"column 'nope' is not in the data dictionary of study 'k2_neonates'",
    ),
]

DICTIONARY_CASES = [
    Case(
        "read_data: missing file",
        lambda d, s: dictionary.read_data(d / "absent.csv"),
        FileNotFoundError,
        r"data file '.*absent.csv' does not exist",
    ),
    Case(
        "read_data: directory",
        lambda d, s: dictionary.read_data(d),
        IsADirectoryError,
        r"is a directory; name a data file",
    ),
    Case(
        "read_data: number",
        lambda d, s: dictionary.read_data(3),
        TypeError,
        r"`path` must be a file path \(str or Path\), got int",
    ),
    Case(
        "read_data: Excel",
        lambda d, s: dictionary.read_data(d / "data.xlsx"),
        ValueError,
        r"unsupported format '.xlsx'; use .csv, .sav or .dta",
    ),
    Case(
        "read_data: binary bytes",
        lambda d, s: dictionary.read_data(d / "binary.csv"),
        ValueError,
        r"'binary.csv' cannot be parsed as csv",
    ),
    Case(
        "read_data: empty file",
        lambda d, s: dictionary.read_data(d / "empty.csv"),
        ValueError,
        r"'empty.csv' cannot be parsed as csv: No columns to parse",
    ),
    Case(
        "read_data: unterminated quote",
        lambda d, s: dictionary.read_data(d / "ragged.csv"),
        ValueError,
        r"'ragged.csv' cannot be parsed as csv",
    ),
    Case(
        "read_data: broken SPSS",
        lambda d, s: dictionary.read_data(d / "broken.sav"),
        ValueError,
        r"'broken.sav' cannot be parsed as spss",
    ),
    Case(
        "read_data: broken Stata",
        lambda d, s: dictionary.read_data(d / "broken.dta"),
        ValueError,
        r"'broken.dta' cannot be parsed as stata",
    ),
    Case(
        "validate_data: a list",
        lambda d, s: dictionary.validate_data([1, 2]),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "validate_data: study number",
        lambda d, s: dictionary.validate_data(_frame(), 3),
        TypeError,
        r"`study` must be a Study, a shipped study name or a spec path, got int",
    ),
    Case(
        "validate_data: unknown study",
        lambda d, s: dictionary.validate_data(_frame(), "no_such_study"),
        FileNotFoundError,
        r"neither a shipped study",
    ),
    Case(
        "validate_data: study without dictionary",
        lambda d, s: dictionary.validate_data(
            _frame(),
            study.parse_study(
                _spec_with(
                    lambda m: (
                        m.update(columns=[]),
                        m.update(univariable=[]),
                        m["multivariable"].update(
                            reported=[], terms_entered=[], not_significant=[]
                        ),
                    )
                )
            ),
        ),
        ValueError,
        r"has no data dictionary \(`columns` in its spec\)",
    ),
    Case(
        "dictionary_frame: number",
        lambda d, s: dictionary.dictionary_frame(3),
        TypeError,
        r"`study` must be a Study",
    ),
]

CONTINGENCY_CASES = [
    Case(
        "odds_ratio_2x2: text count",
        lambda d, s: contingency.odds_ratio_2x2("1", 2, 3, 4),
        TypeError,
        r"`a` must be a whole-number count, got str",
    ),
    Case(
        "odds_ratio_2x2: bool count",
        lambda d, s: contingency.odds_ratio_2x2(1, True, 3, 4),
        TypeError,
        r"`b` must be a whole-number count, got bool",
    ),
    Case(
        "odds_ratio_2x2: negative",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, -3, 4),
        ValueError,
        r"`c` must be a non-negative whole number, got -3",
    ),
    Case(
        "odds_ratio_2x2: NaN",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, _NAN),
        ValueError,
        r"`d` must be a non-negative whole number, got nan",
    ),
    Case(
        "odds_ratio_2x2: infinity",
        lambda d, s: contingency.odds_ratio_2x2(_INF, 2, 3, 4),
        ValueError,
        r"`a` must be a non-negative whole number, got inf",
    ),
    Case(
        "odds_ratio_2x2: fraction",
        lambda d, s: contingency.odds_ratio_2x2(1.5, 2, 3, 4),
        ValueError,
        r"`a` must be a non-negative whole number, got 1.5",
    ),
    Case(
        "odds_ratio_2x2: empty margin",
        lambda d, s: contingency.odds_ratio_2x2(0, 0, 3, 4),
        ValueError,
        r"the 2x2 table has no cases \(a \+ b\): the odds ratio is undefined",
    ),
    Case(
        "odds_ratio_2x2: method",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, method="wald"),
        ValueError,
        r"`method` must be one of \('woolf', 'score', 'exact', 'midp'\)",
    ),
    Case(
        "odds_ratio_2x2: conf_level 1",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, conf_level=1),
        ValueError,
        r"`conf_level` must lie strictly between 0 and 1, got 1",
    ),
    Case(
        "odds_ratio_2x2: conf_level NaN",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, conf_level=_NAN),
        ValueError,
        r"`conf_level` must lie strictly between 0 and 1, got nan",
    ),
    Case(
        "odds_ratio_2x2: conf_level text",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, conf_level="95%"),
        TypeError,
        r"`conf_level` must be a number, got str",
    ),
    Case(
        "odds_ratio_2x2: correction",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, correction="yates"),
        ValueError,
        r"`correction` must be one of \('auto', 'haldane', 'none'\)",
    ),
    Case(
        "odds_ratio_2x2: design",
        lambda d, s: contingency.odds_ratio_2x2(1, 2, 3, 4, design="rct"),
        ValueError,
        r"`design` must be one of \('case-control', 'cohort'\)",
    ),
    Case(
        "crosstab_2x2: a list",
        lambda d, s: contingency.crosstab_2x2([1], "e", "o"),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "crosstab_2x2: missing column",
        lambda d, s: contingency.crosstab_2x2(_frame(), "nope", "case"),
        ValueError,
        r"`exposure`: column 'nope' is not in the data \(columns: 'case', ",
    ),
    Case(
        "crosstab_2x2: column number",
        lambda d, s: contingency.crosstab_2x2(_frame(), 1, "case"),
        TypeError,
        r"`exposure` must be a column name \(str\), got int 1",
    ),
    Case(
        "crosstab_2x2: text exposure",
        lambda d, s: contingency.crosstab_2x2(_frame(), "kind", "case"),
        ValueError,
        r"`exposure`: column 'kind' must hold 0/1 \(or True/False\)",
    ),
    Case(
        "crosstab_2x2: code 2",
        lambda d, s: contingency.crosstab_2x2(
            _frame().assign(case=[2, 1, 1, 1, 0, 0, 0, 0, 1, 0]), "exposed", "case"
        ),
        ValueError,
        r"`outcome`: column 'case' must hold only 0 and 1, found \[2\]",
    ),
    Case(
        "crosstab_2x2: infinity",
        lambda d, s: contingency.crosstab_2x2(
            _frame().assign(exposed=[_INF, 0, 1, 1, 0, 1, 0, 0, 0, 1]), "exposed", "case"
        ),
        ValueError,
        r"must hold only 0 and 1, found \[inf\]",
    ),
    Case(
        "crosstab_2x2: '0' text among numbers",
        lambda d, s: contingency.crosstab_2x2(
            _mixed("exposed", [1, "0", 1, 1, 0, 1, 0, 0, 0, 1]), "exposed", "case"
        ),
        ValueError,
        r"must hold 0/1 \(or True/False\), found values such as \[1, '0', 1\]",
    ),
    Case(
        "crosstab_2x2: duplicated column",
        lambda d, s: contingency.crosstab_2x2(
            pd.concat([_frame(), _frame()[["exposed"]]], axis=1), "exposed", "case"
        ),
        ValueError,
        r"`data` has more than one column named 'exposed'",
    ),
    Case(
        "Counts2x2.odds_ratio: all missing",
        lambda d, s: contingency.crosstab_2x2(
            _frame().assign(exposed=_NAN), "exposed", "case"
        ).odds_ratio(),
        ValueError,
        r"the 2x2 table has no cases \(a \+ b\), no controls",
    ),
]

BASELINE_CASES = [
    Case(
        "baseline_table: a list",
        lambda d, s: baseline.baseline_table([1], "case"),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "baseline_table: missing group",
        lambda d, s: baseline.baseline_table(_frame(), "nope"),
        ValueError,
        r"`group`: column 'nope' is not in the data \(columns: 'case', ",
    ),
    Case(
        "baseline_table: three groups",
        lambda d, s: baseline.baseline_table(
            _frame().assign(case=[0, 1, 2, 0, 1, 2, 0, 1, 2, 0]), "case"
        ),
        ValueError,
        r"column 'case' must have exactly two values, found \[0, 1, 2\]",
    ),
    Case(
        "baseline_table: one group",
        lambda d, s: baseline.baseline_table(_frame().assign(case=1), "case"),
        ValueError,
        r"must have exactly two values, found \[1\]",
    ),
    Case(
        "baseline_table: no rows",
        lambda d, s: baseline.baseline_table(_frame().iloc[:0], "case"),
        ValueError,
        r"must have exactly two values, found \[\]",
    ),
    Case(
        "baseline_table: group all missing",
        lambda d, s: baseline.baseline_table(_frame().assign(case=_NAN), "case"),
        ValueError,
        r"must have exactly two values, found \[\]",
    ),
    Case(
        "baseline_table: variables as a string",
        lambda d, s: baseline.baseline_table(_frame(), "case", variables="weight"),
        TypeError,
        r"`variables` must be a sequence of column names, not a single string",
    ),
    Case(
        "baseline_table: unknown variable",
        lambda d, s: baseline.baseline_table(_frame(), "case", variables=["zz"]),
        ValueError,
        r"`variables`: \['zz'\] not in the data \(columns: ",
    ),
    Case(
        "baseline_table: infinity",
        lambda d, s: baseline.baseline_table(
            _frame().assign(weight=[_INF, 2.5, 2.3, 2.9, 3.0, 3.2, 2.9, 3.4, 2.2, 3.1]), "case"
        ),
        ValueError,
        r"column 'weight' holds infinite values \(row labels 0\)",
    ),
    Case(
        "baseline_table: all missing",
        lambda d, s: baseline.baseline_table(_frame().assign(weight=_NAN), "case"),
        ValueError,
        r"'weight' has no non-missing values; leave it out",
    ),
    Case(
        "baseline_table: text in numeric",
        lambda d, s: baseline.baseline_table(
            _mixed("weight", [2.1, "2,5", 2.3, 2.9, 3.0, 3.2, 2.9, 3.4, 2.2, 3.1]),
            "case",
            summary={"weight": "mean_sd"},
        ),
        TypeError,
        r"'weight' is not numeric, so 'mean_sd' is impossible",
    ),
    Case(
        "baseline_table: text and numbers mixed",
        lambda d, s: baseline.baseline_table(
            _mixed("kind", [1, "a", 2.5, None, "b", 1, "a", "b", 1, "a"]), "case"
        ),
        ValueError,
        r"column 'kind' mixes values of types \['float', 'int', 'str'\]",
    ),
    Case(
        "baseline_table: dates",
        lambda d, s: baseline.baseline_table(
            _frame().assign(when=pd.Timestamp("2020-01-01")), "case"
        ),
        TypeError,
        r"'when' has dtype datetime64.*cannot summarise",
    ),
    Case(
        "baseline_table: duplicated column",
        lambda d, s: baseline.baseline_table(
            pd.concat([_frame(), _frame()[["weight"]]], axis=1), "case"
        ),
        ValueError,
        r"`variables` lists a column more than once",
    ),
    Case(
        "baseline_table: summary name",
        lambda d, s: baseline.baseline_table(_frame(), "case", summary={"weight": "mean"}),
        ValueError,
        r"`summary\['weight'\]` must be one of \('mean_sd', 'median_iqr', ",
    ),
    Case(
        "baseline_table: tests name",
        lambda d, s: baseline.baseline_table(_frame(), "case", tests="chisq"),
        ValueError,
        r"`tests` must be one of \('auto', 'none'\), got 'chisq'",
    ),
    Case(
        "baseline_table: quantile type",
        lambda d, s: baseline.baseline_table(_frame(), "case", quantile_method=10),
        ValueError,
        r"`quantile_method` must be one of \(1, 2, 3, 4, 5, 6, 7, 8, 9\), got 10",
    ),
    Case(
        "baseline_table: negative seed",
        lambda d, s: baseline.baseline_table(_frame(), "case", seed=-1),
        ValueError,
        r"`seed` must be a non-negative integer, got -1",
    ),
    Case(
        "baseline_table: alpha 2",
        lambda d, s: baseline.baseline_table(_frame(), "case", normality_alpha=2),
        ValueError,
        r"`normality_alpha` must lie strictly between 0 and 1, got 2",
    ),
    Case(
        "baseline_table: group order",
        lambda d, s: baseline.baseline_table(_frame(), "case", group_order=[1, 2]),
        ValueError,
        r"`group_order` \[1, 2\] does not match the values of 'case'",
    ),
    Case(
        "baseline_table: clashing labels",
        lambda d, s: baseline.baseline_table(_frame(), "case", group_labels={1: "x", 0: "x"}),
        ValueError,
        r"`group_labels`: group names \['x', 'x'\] must be distinct",
    ),
    Case(
        "BaselineTable.to_csv: path number",
        lambda d, s: baseline.baseline_table(_frame(), "case").to_csv(3),
        TypeError,
        r"`path` must be a str or Path, got int",
    ),
    Case(
        "BaselineTable.to_csv: existing file",
        lambda d, s: baseline.baseline_table(_frame(), "case").to_csv(d / "good.csv"),
        ValueError,
        r"good.csv' exists; pass overwrite=True or choose another path",
    ),
    Case(
        "BaselineTable.to_csv: over its own input",
        lambda d, s: baseline.baseline_table(_frame(), "case", source=d / "good.csv").to_csv(
            d / "good.csv", overwrite=True
        ),
        ValueError,
        r"good.csv' is the input data file; choose another output path",
    ),
    Case(
        "BaselineTable.to_html: directory",
        lambda d, s: baseline.baseline_table(_frame(), "case").to_html(d, overwrite=True),
        IsADirectoryError,
        r"is a directory; name a file",
    ),
    Case(
        "BaselineTable.to_gt: unknown header",
        lambda d, s: baseline.baseline_table(_frame(), "case").to_gt(headers={"zz": "x"}),
        ValueError,
        r"`headers`: unknown group\(s\) \['zz'\]",
    ),
    Case(
        "BaselineTable.display: digits",
        lambda d, s: baseline.baseline_table(_frame(), "case").display(digits=-1),
        ValueError,
        r"`digits` must be a non-negative integer, got -1",
    ),
]

IO_CASES = [
    Case(
        "atomic_write_text: bytes",
        lambda d, s: atomic_write_text(d / "out.txt", b"x"),
        TypeError,
        r"`text` must be a str, got bytes",
    ),
    Case(
        "atomic_write_bytes: text",
        lambda d, s: atomic_write_bytes(d / "out.bin", "x"),
        TypeError,
        r"`data` must be bytes, got str; encode text first",
    ),
    Case(
        "atomic_output: directory",
        lambda d, s: atomic_output(d).__enter__(),
        IsADirectoryError,
        r"is a directory; name a file inside it",
    ),
    Case(
        "refuse_overwrite_input: same file",
        lambda d, s: refuse_overwrite_input(d / "good.csv", d / "good.csv"),
        ValueError,
        r"is the input file .*; neok2 never writes over its inputs",
    ),
]

LOGISTIC_CASES = [
    Case(
        "logistic_regression: a list",
        lambda d, s: logistic.logistic_regression([1], "case ~ exposed"),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "logistic_regression: formula number",
        lambda d, s: logistic.logistic_regression(_frame(), 3),
        TypeError,
        r"`formula` must be a string, got int",
    ),
    Case(
        "logistic_regression: formula syntax",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ ~ exposed +"),
        ValueError,
        r"`formula` 'case ~ ~ exposed \+' does not parse",
    ),
    Case(
        "logistic_regression: code injection",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ __import__('os').getcwd()"),
        ValueError,
        r"does not parse",
    ),
    Case(
        "logistic_regression: unknown column",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ nope"),
        ValueError,
        r"unknown column\(s\) \['nope'\] in `formula`",
    ),
    Case(
        "logistic_regression: outcome not 0/1",
        lambda d, s: logistic.logistic_regression(
            _frame().assign(case=lambda f: 2 * f["case"]), "case ~ exposed"
        ),
        ValueError,
        r"outcome `case` must be binary, coded 0/1 or True/False",
    ),
    Case(
        "logistic_regression: no outcome",
        lambda d, s: logistic.logistic_regression(_frame(), "~ exposed"),
        ValueError,
        r"needs an outcome: write 'outcome ~ covariates'",
    ),
    Case(
        "logistic_regression: all missing",
        lambda d, s: logistic.logistic_regression(_frame().assign(exposed=_NAN), "case ~ exposed"),
        ValueError,
        r"column `exposed` is entirely missing; drop it from the model",
    ),
    Case(
        "logistic_regression: constant",
        lambda d, s: logistic.logistic_regression(_frame().assign(exposed=1), "case ~ exposed"),
        ValueError,
        r"covariate `exposed` is constant",
    ),
    Case(
        "logistic_regression: one outcome group",
        lambda d, s: logistic.logistic_regression(_frame().assign(case=1), "case ~ exposed"),
        ValueError,
        r"outcome `case` has one value only",
    ),
    Case(
        "logistic_regression: conf_level",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ exposed", conf_level=2),
        ValueError,
        r"`conf_level` must lie strictly between 0 and 1, got 2",
    ),
    Case(
        "logistic_regression: ci",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ exposed", ci="exact"),
        ValueError,
        r"`ci` must be one of \['auto', 'wald', 'profile'\], got 'exact'",
    ),
    Case(
        "logistic_regression: firth",
        lambda d, s: logistic.logistic_regression(_frame(), "case ~ exposed", firth="yes"),
        ValueError,
        r"`firth` must be 'auto', True or False, got 'yes'",
    ),
    Case(
        "logistic_regression: infinite covariate",
        lambda d, s: logistic.logistic_regression(
            _frame().assign(weight=[math.inf, *_frame()["weight"][1:]]), "case ~ weight"
        ),
        ValueError,
        r"column 'weight' holds non-finite values \(inf or -inf\) in row\(s\) 0;",
    ),
    Case(
        "logistic_regression: duplicated column",
        lambda d, s: logistic.logistic_regression(
            pd.concat([_frame(), _frame()[["weight"]]], axis=1), "case ~ weight"
        ),
        ValueError,
        r"column name\(s\) \['weight'\] appear more than once in `data`",
    ),
    Case(
        "logistic_regression: text in a numeric column",
        lambda d, s: logistic.logistic_regression(
            _mixed("weight", [2.1, 2.5, 2.3, "abc", 3.0, 3.2, 2.9, 3.4, 2.2, 3.1]), "case ~ weight"
        ),
        ValueError,
        r"column 'weight' mixes numbers and text \(row 3: 'abc'\); fix those cells",
    ),
    Case(
        "logistic_regression: formula and covariates",
        lambda d, s: logistic.logistic_regression(
            _frame(), "case ~ exposed", outcome="case", covariates=["exposed"]
        ),
        ValueError,
        r"give either `formula` or `outcome` with `covariates`, not both",
    ),
    Case(
        "univariable: candidates as a string",
        lambda d, s: logistic.univariable(_frame(), "case", "exposed"),
        TypeError,
        r"`candidates` must be a list of column names",
    ),
    Case(
        "univariable: empty candidates",
        lambda d, s: logistic.univariable(_frame(), "case", []),
        ValueError,
        r"`candidates` is empty; name at least one covariate",
    ),
    Case(
        "univariable: outcome as candidate",
        lambda d, s: logistic.univariable(_frame(), "case", ["case"]),
        ValueError,
        r"the outcome `case` cannot also be a candidate",
    ),
    Case(
        "univariable: unknown candidate",
        lambda d, s: logistic.univariable(_frame(), "case", ["nope"]),
        ValueError,
        r"unknown column\(s\) \['nope'\]",
    ),
]

SELECTION_CASES = [
    Case(
        "screen_and_fit: threshold 5",
        lambda d, s: selection.screen_and_fit(_frame(), "case", ["exposed", "weight"], threshold=5),
        ValueError,
        r"`threshold` must lie in \(0, 1\], got 5",
    ),
    Case(
        "screen_and_fit: a list",
        lambda d, s: selection.screen_and_fit([1], "case", ["x"]),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "stepwise: direction",
        lambda d, s: selection.stepwise(_frame(), "case", ["exposed"], direction="up"),
        ValueError,
        r"`direction` must be 'backward' or 'forward', got 'up'",
    ),
    Case(
        "bootstrap_inclusion: zero resamples",
        lambda d, s: selection.bootstrap_inclusion(_frame(), "case", ["exposed"], n_boot=0, seed=1),
        ValueError,
        r"`n_boot` must be a positive integer, got 0",
    ),
    Case(
        "bootstrap_inclusion: text seed",
        lambda d, s: selection.bootstrap_inclusion(_frame(), "case", ["exposed"], seed="a"),
        TypeError,
        r"`seed` must be a non-negative integer or a numpy Generator, got str 'a'",
    ),
]

OTHER_CASES = [
    Case(
        "forest_plot: a list",
        lambda d, s: forest.forest_plot([1]),
        TypeError,
        r"`tidy` must be a pandas DataFrame, got list",
    ),
    Case(
        "forest_plot: missing columns",
        lambda d, s: forest.forest_plot(pd.DataFrame({"a": [1]})),
        ValueError,
        r"`tidy` has no column\(s\) \['odds_ratio', 'ci_low', 'ci_high', 'term'\]",
    ),
    Case(
        "forest_plot: no rows",
        lambda d, s: forest.forest_plot(
            pd.DataFrame({"term": [], "odds_ratio": [], "ci_low": [], "ci_high": []})
        ),
        ValueError,
        r"`tidy` has no rows to plot",
    ),
    Case(
        "forest_plot: negative OR",
        lambda d, s: forest.forest_plot(
            pd.DataFrame({"term": ["a"], "odds_ratio": [-1.0], "ci_low": [0.5], "ci_high": [2.0]})
        ),
        ValueError,
        r"must be positive; .* \(pass exp\(estimate\), not the log\)",
    ),
    Case(
        "forest_plot: text OR",
        lambda d, s: forest.forest_plot(
            pd.DataFrame({"term": ["a"], "odds_ratio": ["x"], "ci_low": [0.5], "ci_high": [2.0]})
        ),
        ValueError,
        r"column 'odds_ratio' holds a non-number \('x'\) in row 0",
    ),
    Case(
        "exposure_model: negative OR",
        lambda d, s: simulation.exposure_model({"a": 0.2}, {"a": -1}),
        ValueError,
        r"`odds_ratios` must be positive finite numbers; check \['a'\]",
    ),
    Case(
        "exposure_model: text prevalence",
        lambda d, s: simulation.exposure_model({"a": "x"}),
        TypeError,
        r"`prevalence` must map exposure names to numbers",
    ),
    Case(
        "birthweight_centile: text age",
        lambda d, s: growth.birthweight_centile("x", True),
        TypeError,
        r"`ga_weeks` must be a number or an array of numbers",
    ),
    Case(
        "power_case_control: nothing to solve",
        lambda d, s: power.power_case_control(),
        ValueError,
        r"exactly one of `odds_ratio`, `n_cases`, `power` must be None",
    ),
    Case(
        "power_case_control: negative OR",
        lambda d, s: power.power_case_control(odds_ratio=-1, p0=0.2, n_cases=50),
        ValueError,
        r"`odds_ratio` must be a positive finite number, got -1.0",
    ),
    Case(
        "power_case_control: NaN OR",
        lambda d, s: power.power_case_control(odds_ratio=_NAN, p0=0.2, n_cases=50),
        ValueError,
        r"`odds_ratio` must be a positive finite number, got nan",
    ),
    Case(
        "power_case_control: text OR",
        lambda d, s: power.power_case_control(odds_ratio="2", p0=0.2, n_cases=50),
        TypeError,
        r"`odds_ratio` must be a number, got str",
    ),
    Case(
        "power_case_control: p0 2",
        lambda d, s: power.power_case_control(odds_ratio=2, p0=2, n_cases=50),
        ValueError,
        r"`p0` must lie strictly between 0 and 1, got 2.0",
    ),
    Case(
        "sample_size_case_control: OR 1",
        lambda d, s: power.sample_size_case_control(1.0, 0.2),
        ValueError,
        r"`odds_ratio` must differ from 1 to solve for a sample size",
    ),
    Case(
        "sample_size_case_control: method",
        lambda d, s: power.sample_size_case_control(2.0, 0.2, method="x"),
        ValueError,
        r"`method` must be one of kelsey, fleiss, fleiss_cc; got 'x'",
    ),
    Case(
        "detectable_odds_ratio: negative n",
        lambda d, s: power.detectable_odds_ratio(0.2, -5),
        ValueError,
        r"`n_cases` must be a positive finite number, got -5.0",
    ),
    Case(
        "cohen_h: p above 1",
        lambda d, s: power_proportions.cohen_h(2, 0.1),
        ValueError,
        r"`p1` must lie in \[0, 1\], got 2.0",
    ),
    Case(
        "events_per_variable: zero parameters",
        lambda d, s: power.events_per_variable(10, 10, 0),
        ValueError,
        r"`n_parameters` must be a positive integer, got 0",
    ),
    Case(
        "power_two_proportions: nothing to solve",
        lambda d, s: power_proportions.power_two_proportions(h=0.2),
        ValueError,
        r"exactly one of `h`, `n1`, `n2`, `power` must be None",
    ),
    Case(
        "sample_size_logistic: nothing to solve",
        lambda d, s: power.sample_size_logistic(odds_ratio=2, event_rate=0.3),
        ValueError,
        r"exactly one of `odds_ratio`, `n`, `power` must be None",
    ),
    Case(
        "study_power: a name",
        lambda d, s: power.study_power("k2_neonates"),
        TypeError,
        r"`study` must be a neok2 Study",
    ),
    Case(
        "fit_logistic_batch: missing values",
        lambda d, s: batch.fit_logistic_batch(np.full((5, 2), np.nan), np.ones((2, 5))),
        ValueError,
        r"`X` contains 10 missing value\(s\)",
    ),
    Case(
        "fit_binomial_batch: infinite trials",
        lambda d, s: batch.fit_binomial_batch(np.ones((2, 1)), [[math.inf, 3.0]], [[1.0, 1.0]]),
        ValueError,
        r"`trials` contains infinite values",
    ),
    Case(
        "fit_binomial_batch: shapes",
        lambda d, s: batch.fit_binomial_batch(np.ones((3, 2)), np.ones(3), np.ones(2)),
        ValueError,
        r"`trials` and `successes` must both be R x K arrays of the same shape",
    ),
    Case(
        "synthesize_cohort: a name",
        lambda d, s: synthesis.synthesize_cohort("k2_neonates", seed=1),
        TypeError,
        r"`study` must be a Study \(see neok2.load_study\), got str",
    ),
    Case(
        "synthesize_cohort: negative seed",
        lambda d, s: synthesis.synthesize_cohort(s, seed=-1),
        ValueError,
        r"`seed` must be a non-negative integer, got -1",
    ),
    Case(
        "synthesize: fractional seed",
        lambda d, s: synthesis.synthesize(s, seed=1.5),
        TypeError,
        r"`seed` must be a non-negative integer, got float 1.5",
    ),
    Case(
        "write_cohort: not a result",
        lambda d, s: synthesis.write_cohort(3, d / "x.csv"),
        TypeError,
        r"`result` must be a SynthesisResult, got int",
    ),
    Case(
        "fidelity_report: no outcome",
        lambda d, s: fidelity.fidelity_report(s, pd.DataFrame()),
        ValueError,
        r"`data` has no outcome column 'deficiency'",
    ),
    Case(
        "fidelity_report: a list",
        lambda d, s: fidelity.fidelity_report(s, [1]),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "write_fidelity: a list",
        lambda d, s: fidelity.write_fidelity([1], d / "f.csv"),
        TypeError,
        r"`report` must be a FidelityReport or a DataFrame, got list",
    ),
    Case(
        "fidelity_gt: wrong columns",
        lambda d, s: fidelity.fidelity_gt(pd.DataFrame({"a": [1]})),
        ValueError,
        r"`report` lacks columns",
    ),
    Case(
        "birthweight_centile: NaN age",
        lambda d, s: growth.birthweight_centile(_NAN, True),
        ValueError,
        r"`ga_weeks` contains missing values; drop or impute them first",
    ),
    Case(
        "birthweight_centile: out of range",
        lambda d, s: growth.birthweight_centile(10, True),
        ValueError,
        r"`ga_weeks` must lie within the reference range 24-42.857 weeks",
    ),
    Case(
        "birthweight_centile: centile 7",
        lambda d, s: growth.birthweight_centile(30, True, centile=7),
        ValueError,
        r"`centile` must be 10, 50 or 90, got 7",
    ),
    Case(
        "birthweight_centile_10: infinite age",
        lambda d, s: growth.birthweight_centile_10(_INF, True),
        ValueError,
        r"`ga_weeks`",
    ),
    Case(
        "audit_study: a name",
        lambda d, s: audit.audit_study("k2_neonates"),
        TypeError,
        r"`study` must be a neok2 Study \(use neok2.load_study\), got str",
    ),
    Case(
        "audit_study: level 2",
        lambda d, s: audit.audit_study(s, level=2),
        ValueError,
        r"`level` must be a confidence level in \(0, 1\), got 2",
    ),
    Case(
        "audit_study: ci_method",
        lambda d, s: audit.audit_study(s, ci_method="x"),
        ValueError,
        r"`ci_method` must be 'wald' or 'other', got 'x'",
    ),
    Case(
        "study_from_data: no columns",
        lambda d, s: audit.study_from_data(pd.DataFrame(), s),
        ValueError,
        r"`data` lacks the column\(s\) deficiency",
    ),
    Case(
        "e_value: negative",
        lambda d, s: limitations.e_value(-1),
        ValueError,
        r"`ratio` must be a positive finite number, got -1",
    ),
    Case(
        "e_value: NaN",
        lambda d, s: limitations.e_value(_NAN),
        ValueError,
        r"`ratio` must be a positive finite number, got nan",
    ),
    Case(
        "e_value: kind",
        lambda d, s: limitations.e_value(2, kind="x"),
        ValueError,
        r"`kind` must be 'odds_ratio' or 'risk_ratio', got 'x'",
    ),
    Case(
        "risk_ratio_from_odds_ratio: risk 2",
        lambda d, s: limitations.risk_ratio_from_odds_ratio(2, 2),
        ValueError,
        r"`baseline_risk` must lie in \(0, 1\), got 2",
    ),
    Case(
        "study_limitations: a name",
        lambda d, s: limitations.study_limitations("k2_neonates"),
        TypeError,
        r"`study` must be a neok2 Study, got str",
    ),
    Case(
        "study_limitations: prevalence 3",
        lambda d, s: limitations.study_limitations(s, prevalence=3),
        ValueError,
        r"`prevalence` must lie in \(0, 1\), got 3",
    ),
    Case(
        "run_analysis: a list",
        lambda d, s: analysis.run_analysis([1], s, seed=1),
        TypeError,
        r"`data` must be a pandas DataFrame, got list",
    ),
    Case(
        "run_analysis: no outcome",
        lambda d, s: analysis.run_analysis(pd.DataFrame(), s, seed=1),
        ValueError,
        r"`data` has no outcome column 'deficiency'",
    ),
    Case(
        "run_analysis: negative seed",
        lambda d, s: analysis.run_analysis(pd.DataFrame(), s, seed=-1),
        ValueError,
        r"`seed` must be a non-negative integer, got -1",
    ),
    Case(
        "write_results: not results",
        lambda d, s: analysis.write_results(3, d / "results"),
        TypeError,
        r"`results` must come from run_analysis, got int",
    ),
    Case(
        "load_results: folder without results",
        lambda d, s: analysis.load_results(d),
        FileNotFoundError,
        r"`folder`: no results.json in",
    ),
    Case(
        "file_sha256: missing file",
        lambda d, s: analysis.file_sha256(d / "absent.csv"),
        FileNotFoundError,
        r"absent.csv",
    ),
    Case(
        "exposure_model: prevalence 2",
        lambda d, s: simulation.exposure_model({"a": 2.0}),
        ValueError,
        r"every `prevalence` must lie strictly between 0 and 1",
    ),
    Case(
        "exposure_model: correlation 2",
        lambda d, s: simulation.exposure_model({"a": 0.2, "b": 0.3}, correlation=2),
        ValueError,
        r"`correlation` 2.0 gives no valid exchangeable correlation matrix",
    ),
    Case(
        "model_from_data: missing columns",
        lambda d, s: simulation.model_from_data(pd.DataFrame(), "case", ["x"]),
        ValueError,
        r"`outcome`: column 'case' is not in the data \(it has no columns\)",
    ),
    Case(
        "model_from_study: a name",
        lambda d, s: simulation.model_from_study("k2_neonates"),
        TypeError,
        r"`study` must be a neok2 Study, got str",
    ),
    Case(
        "simulate_pipeline: negative size",
        lambda d, s: simulation.simulate_pipeline(
            simulation.exposure_model({"a": 0.2}),
            seed=1,
            n_cases=-5,
            n_controls=10,
            n_replicates=5,
            progress=False,
        ),
        ValueError,
        r"`n_cases` must hold positive whole numbers, got -5",
    ),
    Case(
        "simulate_pipeline: no sizes",
        lambda d, s: simulation.simulate_pipeline(
            simulation.exposure_model({"a": 0.2}), seed=1, n_replicates=5, progress=False
        ),
        ValueError,
        r"give `n_cases` and `n_controls`, or `n_total` and `controls_per_case`",
    ),
    Case(
        "power_curve: wrong table",
        lambda d, s: simulation.power_curve(pd.DataFrame()),
        ValueError,
        r"`result` must be a simulate_pipeline\(\) table",
    ),
]

PYTHON_CASES = [
    *FORMATTING_CASES,
    *STUDY_CASES,
    *DICTIONARY_CASES,
    *CONTINGENCY_CASES,
    *BASELINE_CASES,
    *IO_CASES,
    *LOGISTIC_CASES,
    *SELECTION_CASES,
    *OTHER_CASES,
]


@pytest.mark.parametrize("case", PYTHON_CASES, ids=lambda case: case.name)
def test_python_api_errors_properly(case: Case, inputs: Path, k2: study.Study):
    before = _snapshot(inputs)
    with pytest.raises(case.error) as raised:
        case.call(inputs, k2)
    message = str(raised.value.args[0]) if raised.value.args else ""
    assert message.strip(), f"{case.name}: empty message"
    assert raised.match(case.match), f"{case.name}: {message!r}"
    assert _snapshot(inputs) == before, f"{case.name} changed an input file"


# ----------------------------------------------------------------------------- CLI


@dataclass(frozen=True)
class CliCase:
    """One bad command line; ``{in}`` stands for the inputs folder, ``{out}`` for an empty one.

    ``exit_code`` 2 means a one-line ``neok2: error:`` message (or click's usage error); 1 is
    the validator's listing of problems.
    """

    name: str
    args: tuple[str, ...]
    match: str
    exit_code: int = 2


CLI_CASES = [
    CliCase(
        "validate: missing file",
        ("validate", "{in}/absent.csv"),
        r"neok2: error: data file '.*absent.csv' does not exist",
    ),
    CliCase(
        "validate: binary bytes",
        ("validate", "{in}/binary.csv"),
        r"neok2: error: data file 'binary.csv' cannot be parsed as csv",
    ),
    CliCase(
        "validate: empty file",
        ("validate", "{in}/empty.csv"),
        r"neok2: error: data file 'empty.csv' cannot be parsed as csv",
    ),
    CliCase(
        "validate: Excel",
        ("validate", "{in}/data.xlsx"),
        r"neok2: error: .*unsupported format '.xlsx'",
    ),
    CliCase(
        "validate: broken SPSS",
        ("validate", "{in}/broken.sav"),
        r"neok2: error: .*cannot be parsed as spss",
    ),
    CliCase(
        "validate: directory",
        ("validate", "{in}"),
        r"neok2: error: data file '.*' is a directory; name a data file",
    ),
    CliCase(
        "validate: text in numeric",
        ("validate", "{in}/text_in_numeric.csv"),
        r"row 4, column ga_weeks: value 'abc' is not a finite number",
        exit_code=1,
    ),
    CliCase(
        "validate: infinity",
        ("validate", "{in}/infinite.csv"),
        r"row 3, column birthweight_kg: value inf",
        exit_code=1,
    ),
    CliCase(
        "validate: duplicated ids",
        ("validate", "{in}/duplicated_ids.csv"),
        r"row 2, column id: id 'N0000' appears more than once",
        exit_code=1,
    ),
    CliCase(
        "validate: header only",
        ("validate", "{in}/header_only.csv"),
        r"valid: 0 rows|neok2: error:",
        exit_code=0,
    ),
    CliCase(
        "validate: broken spec",
        ("validate", "{in}/good.csv", "--study", "{in}/spec_bad_yaml.yaml"),
        r"neok2: error: study spec '.*spec_bad_yaml.yaml' is not valid YAML: line 2",
    ),
    CliCase(
        "validate: python tag in spec",
        ("validate", "{in}/good.csv", "--study", "{in}/spec_python_tag.yaml"),
        r"neok2: error: .*could not determine a constructor",
    ),
    CliCase(
        "validate: impossible spec",
        ("validate", "{in}/good.csv", "--study", "{in}/spec_impossible.yaml"),
        r"neok2: error: .*groups: case n \(70\) \+ control n \(134\) = 204.*spec_impossible.yaml",
    ),
    CliCase(
        "validate: unknown study",
        ("validate", "{in}/good.csv", "--study", "nope"),
        r"neok2: error: `study`: 'nope' is neither a shipped study",
    ),
    CliCase(
        "table1: missing file",
        ("table1", "{in}/absent.csv", "--study", "k2_neonates", "--out", "{out}/t"),
        r"neok2: error: data file '.*absent.csv' does not exist",
    ),
    CliCase(
        "table1: no group",
        ("table1", "{in}/good.csv", "--out", "{out}/t"),
        r"neok2: error: `--group`: name the grouping column",
    ),
    CliCase(
        "table1: unknown group",
        ("table1", "{in}/good.csv", "--group", "nope", "--out", "{out}/t"),
        r"neok2: error: `group`: column 'nope' is not in the data \(columns: 'id', ",
    ),
    CliCase(
        "table1: one group",
        (
            "table1",
            "{in}/one_group.csv",
            "--study",
            "k2_neonates",
            "--out",
            "{out}/t",
            "--no-validate",
        ),
        r"neok2: error: `group`: column 'deficiency' must have exactly two values",
    ),
    CliCase(
        "table1: text in numeric",
        ("table1", "{in}/text_in_numeric.csv", "--study", "k2_neonates", "--out", "{out}/t"),
        r"neok2: error: .*row 4, column ga_weeks: value 'abc' is not a finite number",
    ),
    CliCase(
        "table1: infinity",
        ("table1", "{in}/infinite.csv", "--study", "k2_neonates", "--out", "{out}/t"),
        r"neok2: error: .*row 3, column birthweight_kg: value inf is not a finite number",
    ),
    CliCase(
        "table1: output over the input",
        ("table1", "{in}/good.csv", "--study", "k2_neonates", "--out", "{in}/good"),
        r"neok2: error: `--out`: .*good.csv is the input data file; choose another",
    ),
    CliCase(
        "table1: broken spec",
        ("table1", "{in}/good.csv", "--study", "{in}/spec_list.yaml", "--out", "{out}/t"),
        r"neok2: error: .*a study spec must be a mapping at the top level, got list"
        r".*spec_list.yaml",
    ),
    CliCase(
        "screen: missing file",
        ("screen", "{in}/absent.csv"),
        r"neok2: error: data file '.*absent.csv' does not exist",
    ),
    CliCase(
        "screen: binary bytes",
        ("screen", "{in}/binary.csv"),
        r"neok2: error: data file 'binary.csv' cannot be parsed",
    ),
    CliCase(
        "screen: unknown candidates",
        ("screen", "{in}/good.csv", "--candidates", "nope,x"),
        r"neok2: error: unknown column\(s\) \['nope', 'x'\]",
    ),
    CliCase(
        "screen: threshold 5",
        ("screen", "{in}/good.csv", "--threshold", "5"),
        r"neok2: error: `threshold` must lie in \(0, 1\], got 5.0",
    ),
    CliCase(
        "screen: threshold text",
        ("screen", "{in}/good.csv", "--threshold", "low"),
        r"Invalid value for '--threshold': 'low' is not a valid float",
    ),
    CliCase(
        "screen: one group",
        ("screen", "{in}/one_group.csv", "--no-validate"),
        r"neok2: error: outcome `deficiency` has one value only",
    ),
    CliCase(
        "audit: unknown study",
        ("audit", "--study", "nope"),
        r"neok2: error: `study`: 'nope' is neither a shipped study",
    ),
    CliCase(
        "audit: broken spec",
        ("audit", "--study", "{in}/spec_bad_yaml.yaml"),
        r"neok2: error: study spec .* is not valid YAML",
    ),
    CliCase(
        "audit: data file as spec",
        ("audit", "--study", "{in}/good.csv"),
        r"neok2: error: .*a study spec must be a mapping at the top level, got str.*good.csv",
    ),
    CliCase(
        "audit: format",
        ("audit", "--format", "xlsx"),
        r"Invalid value for '--format': 'xlsx' is not one of 'csv', 'md', 'json'",
    ),
    CliCase(
        "audit: out is a directory",
        ("audit", "--out", "{out}"),
        r"Invalid value for '--out': File '.*' is a directory",
    ),
    CliCase(
        "synth: negative seed",
        ("synth", "--seed", "-1", "--out", "{out}/s.csv"),
        r"Invalid value for '--seed': -1 is not in the range x>=0",
    ),
    CliCase("synth: no seed", ("synth", "--out", "{out}/s.csv"), r"Missing option '--seed'"),
    CliCase(
        "synth: broken spec",
        ("synth", "--seed", "1", "--out", "{out}/s.csv", "--study", "{in}/spec_bad_yaml.yaml"),
        r"neok2: error: study spec .* is not valid YAML",
    ),
    CliCase(
        "synth: spec not UTF-8",
        ("synth", "--seed", "1", "--out", "{out}/s.csv", "--study", "{in}/spec_binary.yaml"),
        r"neok2: error: study spec .* is not UTF-8 text",
    ),
    CliCase(
        "analyze: missing file",
        ("analyze", "{in}/absent.csv", "--seed", "1", "--out", "{out}/r"),
        r"neok2: error: data file '.*absent.csv' does not exist",
    ),
    CliCase(
        "analyze: binary bytes",
        ("analyze", "{in}/binary.csv", "--seed", "1", "--out", "{out}/r"),
        r"neok2: error: data file 'binary.csv' cannot be parsed",
    ),
    CliCase(
        "analyze: text in numeric",
        ("analyze", "{in}/text_in_numeric.csv", "--seed", "1", "--out", "{out}/r"),
        r"neok2: error: .*row 4, column ga_weeks: value 'abc' is not a finite number",
    ),
    CliCase(
        "analyze: duplicated ids",
        ("analyze", "{in}/duplicated_ids.csv", "--seed", "1", "--out", "{out}/r"),
        r"neok2: error: .*id 'N0000' appears more than once",
    ),
    CliCase(
        "analyze: out is a file",
        ("analyze", "{in}/good.csv", "--seed", "1", "--out", "{in}/good.csv"),
        r"Invalid value for '--out': Directory '.*good.csv' is a file",
    ),
    CliCase(
        "power analytic: p0 2",
        ("power", "analytic", "--p0", "2", "--odds-ratio", "2", "--n-cases", "50"),
        r"neok2: error: `p0` must lie strictly between 0 and 1, got 2.0",
    ),
    CliCase(
        "power analytic: nothing to solve",
        ("power", "analytic", "--p0", "0.2"),
        r"neok2: error: exactly one of `odds_ratio`, `n_cases`, `power` must be None",
    ),
    CliCase(
        "power analytic: NaN",
        ("power", "analytic", "--p0", "nan", "--odds-ratio", "2", "--n-cases", "50"),
        r"neok2: error: `p0` must lie strictly between 0 and 1, got nan",
    ),
    CliCase(
        "power analytic: infinity",
        ("power", "analytic", "--p0", "0.2", "--odds-ratio", "inf", "--n-cases", "50"),
        r"neok2: error: `odds_ratio` must be a positive finite number, got inf",
    ),
    CliCase(
        "power study: unknown study",
        ("power", "study", "--study", "nope"),
        r"neok2: error: `study`: 'nope' is neither a shipped study",
    ),
    CliCase("unknown command", ("nonsense",), r"No such command 'nonsense'"),
]


def _expand(args: tuple[str, ...], inputs: Path, out: Path) -> list[str]:
    return [arg.replace("{in}", str(inputs)).replace("{out}", str(out)) for arg in args]


def _check_cli_output(case: CliCase, exit_code: int, stderr: str, stdout: str) -> None:
    combined = stdout + stderr
    assert exit_code == case.exit_code, f"{case.name}: exit {exit_code}\n{combined}"
    assert "Traceback" not in combined, f"{case.name}: traceback\n{combined}"
    assert re.search(case.match, combined, flags=re.DOTALL), f"{case.name}: {combined!r}"
    if "neok2: error:" in stderr:
        lines = stderr.strip().splitlines()
        error_lines = [line for line in lines if line.startswith("neok2: error:")]
        assert len(error_lines) == 1, f"{case.name}: {stderr!r}"
        # The error is the last thing printed; a spec listing continues on indented lines.
        first = lines.index(error_lines[0])
        assert all(line.startswith("  ") for line in lines[first + 1 :]), stderr


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda case: case.name)
def test_cli_errors_properly(case: CliCase, inputs: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(inputs)
    result = CliRunner().invoke(main, _expand(case.args, inputs, out))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{case.name}: {result.exception!r}"
    )
    _check_cli_output(case, result.exit_code, result.stderr, result.stdout)
    assert _snapshot(inputs) == before, f"{case.name} changed an input file"
    if case.exit_code != 0:
        assert list(out.iterdir()) == [], f"{case.name} left output behind"


REAL_PROCESS_CASES = [
    next(case for case in CLI_CASES if case.name == name)
    for name in ("table1: output over the input", "validate: text in numeric")
]


@pytest.mark.parametrize("case", REAL_PROCESS_CASES, ids=lambda case: case.name)
def test_installed_command_errors_properly(case: CliCase, inputs: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(inputs)
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "neok2"), *_expand(case.args, inputs, out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    _check_cli_output(case, completed.returncode, completed.stderr, completed.stdout)
    assert _snapshot(inputs) == before
    assert list(out.iterdir()) == []


CASE_COUNT = len(PYTHON_CASES) + len(CLI_CASES) + len(REAL_PROCESS_CASES)


def test_catalogue_names_are_unique():
    names = [case.name for case in (*PYTHON_CASES, *CLI_CASES)]
    assert len(names) == len(set(names))
    assert len(names) + len(REAL_PROCESS_CASES) == CASE_COUNT
