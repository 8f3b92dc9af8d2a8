"""Fuzzing of the spec loader, the data reader, the validator and the baseline table.

Random mappings, mutated copies of the shipped spec, random bytes and random DataFrames
(mixed dtypes, text, NaN, infinity) go in; the only exceptions allowed out are SpecError,
ValueError, TypeError and FileNotFoundError with a non-empty message, never a KeyError,
AttributeError, IndexError or a pydantic error leaking from inside. Hypothesis runs
derandomized and without a database, so every run tries the same inputs.
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neok2.stats.baseline import baseline_table
from neok2.study.dictionary import ValidationReport, read_data, validate_data
from neok2.study.spec import SpecError, Study, load_study, parse_study

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ALLOWED = (SpecError, ValueError, TypeError, FileNotFoundError)
SHIPPED = yaml.safe_load(
    (Path(load_study.__code__.co_filename).parents[1] / "studies" / "k2_neonates.yaml").read_text(
        encoding="utf-8"
    )
)
K2 = parse_study(SHIPPED)
SHIPPED_TEXT = yaml.safe_dump(SHIPPED)


def _call_allowing(call: Callable[[], Any]) -> Any:
    """Run ``call``; an error must be an allowed type, not pydantic's, with a message."""
    try:
        return call()
    except ALLOWED as error:
        assert not isinstance(error, pydantic.ValidationError), repr(error)
        assert str(error).strip(), f"empty message from {type(error).__name__}"
        return error


# ----------------------------------------------------------------------------- specs

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["42 (63.6)", "35.1±3.27", "10 (9, 10)", "1.5-2.5", "<0.001", "", "nan"]),
)
keys = st.one_of(
    st.sampled_from(sorted({*SHIPPED, "n", "label", "case", "control", "variable", "summary"})),
    st.text(max_size=8),
)
yamlish = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


SPEC_PATHS = [path for path in _paths(SHIPPED) if path]


def _mutate(spec: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    spec = copy.deepcopy(spec)
    parent = spec
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    else:
        parent[last] = value
    return spec


class TestSpecLoader:
    @FUZZ
    @given(yamlish)
    def test_random_mappings(self, data):
        _call_allowing(lambda: parse_study(data))

    @settings(FUZZ, max_examples=100)
    @given(st.dictionaries(keys, yamlish, max_size=8))
    def test_random_top_level_mappings(self, data):
        result = _call_allowing(lambda: parse_study(data))
        assert isinstance(result, Study | Exception)

    @settings(FUZZ, max_examples=120)
    @given(
        st.sampled_from(SPEC_PATHS),
        st.sampled_from(["replace", "delete", "duplicate"]),
        yamlish,
    )
    def test_mutated_shipped_spec(self, path, action, value):
        mutated = _mutate(SHIPPED, path, action, value)
        result = _call_allowing(lambda: parse_study(mutated))
        if isinstance(result, Study):
            # An accepted spec keeps its promises: group sizes add up to the total.
            assert sum(result.groups.values()) == result.n

    @settings(FUZZ, max_examples=60)
    @given(st.lists(st.tuples(st.sampled_from(SPEC_PATHS), yamlish), min_size=2, max_size=5))
    def test_several_mutations_at_once(self, changes):
        mutated: Any = SHIPPED
        for path, value in changes:
            try:
                mutated = _mutate(mutated, path, "replace", value)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed this path; the fuzz input, not neok2
        _call_allowing(lambda: parse_study(mutated))

    @settings(FUZZ, max_examples=100)
    @given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
    def test_random_spec_files(self, content):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "spec.yaml"
            path.write_bytes(content)
            _call_allowing(lambda: load_study(path))
            assert path.read_bytes() == content

    @settings(FUZZ, max_examples=30)
    @given(st.integers(min_value=0, max_value=len(SHIPPED_TEXT) - 1), st.text(max_size=3))
    def test_shipped_spec_text_with_an_edit(self, position, insert):
        edited = SHIPPED_TEXT[:position] + insert + SHIPPED_TEXT[position + 1 :]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "spec.yaml"
            path.write_text(edited, encoding="utf-8")
            _call_allowing(lambda: load_study(path))


# ----------------------------------------------------------------------------- data

cells = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=300),
    st.sampled_from([0, 1, "0", "1", "yes", "abc", "", " ", "NA", "1e3", "-inf", "35,5"]),
    st.text(max_size=5),
    st.booleans(),
)
DICTIONARY_NAMES = [column.name for column in K2.columns]


@st.composite
def messy_frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(min_value=0, max_value=12))
    names = draw(
        st.lists(
            st.one_of(st.sampled_from(DICTIONARY_NAMES), st.text(min_size=1, max_size=6)),
            min_size=0,
            max_size=10,
        )
    )
    columns = {}
    for position, name in enumerate(names):
        kind = draw(st.sampled_from(["mixed", "float", "int", "text"]))
        if kind == "float":
            values: list[Any] = draw(
                st.lists(st.floats(allow_nan=True), min_size=n_rows, max_size=n_rows)
            )
        elif kind == "int":
            values = draw(st.lists(st.integers(-3, 50), min_size=n_rows, max_size=n_rows))
        elif kind == "text":
            values = draw(st.lists(st.text(max_size=4), min_size=n_rows, max_size=n_rows))
        else:
            values = draw(st.lists(cells, min_size=n_rows, max_size=n_rows))
        columns[(position, name)] = pd.Series(values, dtype=object if kind == "mixed" else None)
    frame = pd.DataFrame({key: series for key, series in columns.items()})
    # Duplicated column names are part of the fuzz: real exports have them.
    frame.columns = [name for _, name in columns]
    return frame


class TestDataValidator:
    @settings(FUZZ, max_examples=30)
    @given(messy_frames())
    def test_random_frames_give_a_report(self, frame):
        before = frame.copy()
        report = validate_data(frame, K2)
        assert isinstance(report, ValidationReport)
        assert report.n_rows == len(frame)
        assert report.problems["message"].map(lambda text: bool(str(text).strip())).all()
        pd.testing.assert_frame_equal(frame, before)

    @settings(FUZZ, max_examples=20)
    @given(st.data())
    def test_valid_frame_with_random_corruption(self, data):
        from test_dictionary import valid_frame

        frame = valid_frame(12).astype(object)
        n_edits = data.draw(st.integers(min_value=1, max_value=6))
        for _ in range(n_edits):
            row = data.draw(st.integers(min_value=0, max_value=11))
            column = data.draw(st.sampled_from(list(frame.columns)))
            frame.loc[row, column] = data.draw(cells)
        report = validate_data(frame, K2)
        for record in report.problems.to_dict("records"):
            assert record["message"], record
            assert record["column"] in frame.columns

    @settings(FUZZ, max_examples=100)
    @given(st.binary(max_size=300), st.sampled_from([".csv", ".sav", ".dta", ".txt"]))
    def test_random_files(self, content, suffix):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"data{suffix}"
            path.write_bytes(content)
            result = _call_allowing(lambda: read_data(path))
            if isinstance(result, pd.DataFrame):
                _call_allowing(lambda: validate_data(result, K2))
            assert path.read_bytes() == content


# ----------------------------------------------------------------------------- baseline


@st.composite
def grouped_frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(min_value=0, max_value=16))
    group = draw(
        st.lists(st.sampled_from([0, 1, 1, 0, None, 2, "x"]), min_size=n_rows, max_size=n_rows)
    )
    frame = pd.DataFrame({"group": pd.Series(group, dtype=object)})
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["mixed", "float", "binary", "text"]))
        if kind == "float":
            values: list[Any] = draw(
                st.lists(
                    st.one_of(st.floats(min_value=-1e6, max_value=1e6), st.just(math.nan)),
                    min_size=n_rows,
                    max_size=n_rows,
                )
            )
        elif kind == "binary":
            values = draw(st.lists(st.sampled_from([0, 1, None]), min_size=n_rows, max_size=n_rows))
        elif kind == "text":
            values = draw(
                st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n_rows, max_size=n_rows)
            )
        else:
            values = draw(st.lists(cells, min_size=n_rows, max_size=n_rows))
        frame[f"v{index}"] = pd.Series(values, dtype=object if kind == "mixed" else None)
    if draw(st.booleans()):
        frame["group"] = pd.to_numeric(frame["group"], errors="coerce")
    return frame


class TestBaselineTable:
    @settings(FUZZ, max_examples=80)
    @given(grouped_frames())
    def test_random_frames(self, frame):
        before = frame.copy()
        result = _call_allowing(lambda: baseline_table(frame, "group", n_resamples=100, seed=1))
        pd.testing.assert_frame_equal(frame, before)
        if not isinstance(result, Exception):
            tidy = result.tidy()
            p_values = tidy["p_value"].dropna()
            assert ((p_values >= 0) & (p_values <= 1)).all()
            assert (tidy["n"] >= 0).all()

    def test_monte_carlo_fisher_p_is_a_number(self):
        # scipy returns a one-element array as the Monte Carlo p for this 3 x 2 table; found
        # by running `neok2 table1` on a file whose text column has many levels.
        frame = pd.DataFrame({"group": [0, 1, 0, 1], "kind": ["a", "b", "c", "c"]})
        # small r x c tables are now exact by default; ask for Monte Carlo explicitly
        tidy = baseline_table(
            frame, "group", n_resamples=200, seed=1, tests={"kind": "fisher_simulated"}
        ).tidy()
        assert set(tidy["test"]) == {"fisher_simulated"}
        assert isinstance(tidy["p_value"].iloc[0], float)
        assert 0.0 <= tidy["p_value"].iloc[0] <= 1.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(math.inf, "infinite"), (-math.inf, "infinite")],
)
def test_infinity_in_a_baseline_variable_is_named(value, expected):
    frame = pd.DataFrame({"group": [0, 0, 1, 1], "weight": [1.0, value, 2.0, 3.0]})
    with pytest.raises(
        ValueError, match=rf"column 'weight' holds {expected} values \(row labels 1\)"
    ):
        baseline_table(frame, "group")


def test_numpy_scalars_are_shown_plainly_in_validator_messages():
    frame = pd.DataFrame({"id": ["a", "b"], "ga_weeks": [np.float64(np.inf), 30.0]})
    messages = validate_data(frame, K2).problems.query("column == 'ga_weeks'")["message"]
    assert messages.tolist() == ["value inf is not a finite number"]
