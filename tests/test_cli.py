"""The ``neok2`` command line: version, help and ``validate``."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from test_dictionary import valid_frame

from neok2 import __version__
from neok2.cli.app import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_validate():
    result = run("--help")
    assert result.exit_code == 0
    assert "validate" in result.output


def test_installed_entry_point():
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "neok2"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"neok2, version {__version__}"


class TestValidate:
    def test_valid_file_exits_zero(self, tmp_path: Path):
        path = tmp_path / "ok.csv"
        valid_frame().to_csv(path, index=False)
        result = run("validate", str(path))
        assert result.exit_code == 0, result.output
        assert "valid: 12 rows" in result.output

    def test_malformed_file_lists_each_problem(self, tmp_path: Path):
        frame = valid_frame().drop(columns=["twins"])
        frame["caesarean"] = frame["caesarean"].astype(object)
        frame.loc[2, "caesarean"] = 7  # unknown code
        frame["pt_s"] = frame["pt_s"].astype(object)
        frame.loc[4, "pt_s"] = "clotted"  # text in a numeric column
        frame.loc[5, "apgar_1min"] = 14  # out of range
        path = tmp_path / "bad.csv"
        frame.to_csv(path, index=False)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        result = run("validate", str(path))
        assert result.exit_code == 1
        assert "column twins: required column 'twins' is missing" in result.output
        assert "row 3, column caesarean" in result.output
        assert "row 5, column pt_s: value 'clotted' is not a finite number" in result.output
        assert "row 6, column apgar_1min: value 14.0 must be <= 10" in result.output
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    def test_missing_file_is_one_line(self, tmp_path: Path):
        result = run("validate", str(tmp_path / "absent.csv"))
        assert result.exit_code == 2
        assert result.output.strip().count("\n") == 0
        assert "neok2: error:" in result.output
        assert "does not exist" in result.output

    def test_bad_study(self, tmp_path: Path):
        path = tmp_path / "ok.csv"
        valid_frame().to_csv(path, index=False)
        result = run("validate", str(path), "--study", "unknown_study")
        assert result.exit_code == 2
        assert "neither a shipped study" in result.output


def test_commands_load_lazily():
    code = (
        "import sys; from click.testing import CliRunner; from neok2.cli.app import main; "
        "CliRunner().invoke(main, ['--version']); "
        "print(sorted(m for m in sys.modules"
        " if m.startswith('neok2.cli.') and m != 'neok2.cli.app'))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.stdout.strip() == "[]", completed.stderr


def test_unknown_command():
    result = run("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def _one_two_coded(tmp_path: Path) -> Path:
    """A valid cohort whose male and twins columns are coded 1/2 (SPSS style), not 0/1."""
    frame = valid_frame(n=200)
    for column in ("male", "twins"):
        frame[column] = frame[column].astype(int) + 1
    path = tmp_path / "coded.csv"
    frame.to_csv(path, index=False)
    return path


class TestAnalysingCommandsValidateFirst:
    def test_screen_stops_on_one_two_codes(self, tmp_path: Path):
        result = run("screen", str(_one_two_coded(tmp_path)))
        assert result.exit_code == 2
        assert "male" in result.output
        assert "--no-validate" in result.output
        assert "OR" not in result.output and "|" not in result.output

    def test_screen_with_no_validate_runs_and_says_so(self, tmp_path: Path):
        data = str(_one_two_coded(tmp_path))
        result = run("screen", data, "--no-validate", "--candidates", "male,twins,caesarean")
        assert result.exit_code == 0, result.output
        assert "was not validated" in result.output
        assert "|" in result.output  # the table was printed

    def test_table1_with_a_study_stops(self, tmp_path: Path):
        out = tmp_path / "t1"
        result = run(
            "table1", str(_one_two_coded(tmp_path)), "--study", "k2_neonates", "--out", str(out)
        )
        assert result.exit_code == 2
        assert "male" in result.output
        assert not Path(f"{out}.csv").exists()

    def test_table1_without_a_study_says_it_did_not_validate(self, tmp_path: Path):
        out = tmp_path / "t1"
        data = _one_two_coded(tmp_path)
        result = run("table1", str(data), "--group", "deficiency", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert "not validated" in result.output


class TestAuditFailOn:
    def test_default_never_fails(self):
        assert run("audit", "--format", "csv").exit_code == 0

    def test_errors_fail_the_job(self):
        # the seed paper has printed inconsistencies the audit classes as errors
        result = run("audit", "--format", "csv", "--fail-on", "error")
        assert result.exit_code == 1
        assert "--fail-on error" in result.output
