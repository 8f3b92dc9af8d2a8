"""Smaller input edges (issue 17, items 8 and 9): each gives a clear, named answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from neok2.cli.app import main
from neok2.stats.baseline import baseline_table
from neok2.stats.contingency import crosstab_2x2
from neok2.stats.logistic import logistic_regression, univariable
from neok2.study.spec import SpecError, load_study

SPECS = Path(__file__).parent / "specs"


def _frame() -> pd.DataFrame:
    # x against y: cells 3 (y=1, x=1), 1 (y=1, x=0), 1 (y=0, x=1), 3 (y=0, x=0); OR = 9
    return pd.DataFrame({"y": [1, 1, 1, 1, 0, 0, 0, 0], "x": [1, 1, 1, 0, 1, 0, 0, 0]})


class TestDataShapes:
    def test_multiindex_columns_are_refused_by_name(self):
        data = _frame()
        data.columns = pd.MultiIndex.from_tuples([("a", "y"), ("a", "x")])
        for call in (
            lambda: logistic_regression(data, "y ~ x"),
            lambda: univariable(data, "y", ["x"]),
            lambda: crosstab_2x2(data, "x", "y"),
        ):
            with pytest.raises(ValueError, match=r"MultiIndex .* columns; flatten them"):
                call()

    def test_category_outcome_coded_0_1_is_accepted(self):
        plain = _frame()
        category = plain.assign(y=plain["y"].astype("category"))
        # hand calculation: (3 * 3) / (1 * 1) = 9
        assert logistic_regression(category, "y ~ x").tidy()["odds_ratio"].iloc[1] == (
            pytest.approx(9.0)
        )
        assert univariable(category, "y", ["x"])["odds_ratio"].iloc[0] == pytest.approx(9.0)
        counts = crosstab_2x2(category, "x", "y")
        assert (counts.a, counts.b, counts.c, counts.d) == (3, 1, 1, 3)

    def test_text_category_outcome_is_still_refused(self):
        data = _frame().assign(y=lambda d: d["y"].map({1: "case", 0: "control"}).astype("category"))
        with pytest.raises(ValueError, match="must be binary"):
            logistic_regression(data, "y ~ x")

    def test_0_1_variable_with_two_stray_codes_is_an_error(self):
        data = pd.DataFrame({"y": [0, 1] * 30, "e": [0, 1, 1, 0, 0, 1] * 9 + [2, 9, 0, 1, 0, 1]})
        with pytest.raises(ValueError, match=r"'e' is a 0/1 variable except for 2 row\(s\)"):
            baseline_table(data, "y")
        # stated explicitly, the summary is the user's choice
        table = baseline_table(data, "y", summary={"e": "median_iqr"})
        assert table.tidy()["variable"].eq("e").any()


class TestFiles:
    def _run(self, *args: str):
        return CliRunner().invoke(main, list(args))

    @pytest.mark.parametrize("command", ["table1", "screen", "validate"])
    def test_dev_null_is_empty_not_missing(self, command):
        result = self._run(command, "/dev/null", *(["--group", "y"] if command == "table1" else []))
        assert result.exit_code == 2
        assert "'/dev/null' is empty" in result.output
        assert "does not exist" not in result.output

    @pytest.mark.parametrize("command", ["table1", "screen", "validate", "analyze"])
    def test_directory_as_data_is_one_line(self, command, tmp_path):
        extra = {
            "table1": ["--group", "y"],
            "analyze": ["--seed", "1", "--out", str(tmp_path / "out")],
        }.get(command, [])
        result = self._run(command, str(tmp_path), *extra)
        assert result.exit_code == 2
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [f"neok2: error: data file '{tmp_path}' is a directory; name a data file"]

    def test_spec_error_names_its_file(self, tmp_path):
        spec = yaml.safe_load((SPECS / "small_study.yaml").read_text(encoding="utf-8"))
        spec["groups"]["case"]["n"] = -3
        path = tmp_path / "broken_spec.yaml"
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        expected = r"(?s)study spec .*broken_spec\.yaml.:\s.*groups\.case\.n"
        with pytest.raises(SpecError, match=expected):
            load_study(path)


def test_unreachable_dask_scheduler_is_one_line_after_the_timeout(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from neok2.cli import main; main()",
            "power",
            "simulate",
            "--n",
            "60",
            "--replicates",
            "2",
            "--seed",
            "1",
            "--no-progress",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--connect-timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cannot reach the Dask scheduler" in lines[0]
    assert "within 1 s" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    # the import of the package dominates; the connection attempt itself is 1 s
    assert elapsed < 60
