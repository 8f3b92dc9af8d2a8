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
