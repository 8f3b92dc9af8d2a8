"""`neok2 analyze --out DIR` writes the results folder whole: the old folder or the new one.

The folder is written into a temporary folder beside DIR and swapped in, so a failure (or a
kill) midway leaves the complete earlier folder and no temporary folder; a folder holding a
user's file is refused unless --force; two runs give byte-identical folders.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from neok2._io import MANIFEST, atomic_folder, check_replaceable_folder
from neok2.cli.app import main as cli
from neok2.report import results as results_module
from neok2.report.results import load_results, write_results
from neok2.report.run import run_analysis
from neok2.study.spec import load_study

STUDY = load_study("k2_neonates")
SECTIONS = ["cohort", "measurement_figure", "univariable"]


def _data(shift: float = 0.0) -> pd.DataFrame:
    """A small cohort: 20 cases with low K2, 40 controls; ``shift`` changes the numbers."""
    cases, controls = 20, 40
    return pd.DataFrame(
        {
            "deficiency": [1] * cases + [0] * controls,
            "k2_ng_ml": [0.02 + 0.003 * i + shift / 100 for i in range(cases)]
            + [0.2 + 0.01 * i + shift for i in range(controls)],
            "male": [i % 2 for i in range(cases + controls)],
            "antenatal_steroid": [int(i < 14) for i in range(cases)]
            + [int(i < 10) for i in range(controls)],
        }
    )


def _results(shift: float = 0.0):
    return run_analysis(_data(shift), STUDY, seed=3, sections=SECTIONS)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) by relative path."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def test_a_failure_midway_leaves_the_old_folder_whole(tmp_path, monkeypatch):
    out = tmp_path / "results"
    write_results(_results(), out)
    before = _snapshot(out)
    assert "results.json" in before and "tables/univariable.csv" in before

    real_write = results_module._write_atomically
    calls = {"n": 0}

    def failing_write(path: Path, content: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError("disk full (simulated)")
        real_write(path, content)

    monkeypatch.setattr(results_module, "_write_atomically", failing_write)
    with pytest.raises(OSError, match="simulated"):
        write_results(_results(shift=0.05), out)
    assert calls["n"] == 4  # three new files were written before the failure
    assert _snapshot(out) == before
    assert _siblings(out) == []  # no temporary folder left beside it


def test_a_new_run_replaces_every_file(tmp_path):
    out = tmp_path / "results"
    write_results(_results(), out)
    old = _snapshot(out)
    write_results(_results(shift=0.05), out)
    new = _snapshot(out)
    assert new != old and new["results.json"] != old["results.json"]
    fresh = tmp_path / "fresh"
    write_results(_results(shift=0.05), fresh)
    assert _snapshot(fresh) == new  # nothing of the first run survives
    assert _siblings(out) == ["fresh"]


def test_two_runs_give_byte_identical_folders(tmp_path):
    write_results(_results(), tmp_path / "a")
    write_results(_results(), tmp_path / "b")
    first, second = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert first == second
    # the manifests make the folder neok2's own: every file is recorded
    assert {MANIFEST, "tables/" + MANIFEST, "figures/" + MANIFEST} <= set(first)


def test_a_folder_with_a_users_file_is_refused(tmp_path):
    out = tmp_path / "results"
    write_results(_results(), out)
    before = _snapshot(out)
    (out / "tables" / "my_notes.txt").write_text("do not lose me\n")
    with pytest.raises(ValueError, match=r"holds 1 file neok2 did not write \(tables/my_notes"):
        write_results(_results(shift=0.05), out)
    assert (out / "tables" / "my_notes.txt").read_text() == "do not lose me\n"
    # a file neok2 wrote but someone changed afterwards is the user's too
    (out / "tables" / "my_notes.txt").unlink()
    (out / "results.json").write_text("{}")
    with pytest.raises(ValueError, match=r"results\.json"):
        write_results(_results(), out)
    assert set(_snapshot(out)) == set(before)
    assert _siblings(out) == []


def test_a_file_where_the_folder_should_be_is_refused(tmp_path):
    target = tmp_path / "results"
    target.write_text("data\n")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        check_replaceable_folder(target, force=True)
    assert target.read_text() == "data\n"


def _analyze(data: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        cli,
        ["analyze", str(data), "--seed", "3", "--out", str(out), "--no-validate", *extra],
    )


@pytest.fixture()
def data_file(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "cohort.csv"
    _data().to_csv(path, index=False)
    return path


def test_cli_refuses_a_users_folder_and_force_replaces_it(tmp_path, data_file):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"my thesis")
    refused = _analyze(data_file, out, "--simulations", "1", "--bootstrap", "1")
    assert refused.exit_code == 2
    assert "holds 1 file neok2 did not write (thesis.docx)" in refused.output
    assert "--force" in refused.output
    assert _snapshot(out) == {"thesis.docx": b"my thesis"}

    forced = _analyze(data_file, out, "--simulations", "1", "--bootstrap", "1", "--force")
    assert forced.exit_code == 0, forced.output
    assert not (out / "thesis.docx").exists()
    assert load_results(out).value("cohort.n_total") == 60
    # the folder is now neok2's: a second run replaces it without --force
    again = _analyze(data_file, out, "--simulations", "1", "--bootstrap", "1")
    assert again.exit_code == 0, again.output
    assert _siblings(out) == ["data"]


def test_leftovers_of_a_killed_run_are_cleared(tmp_path):
    out = tmp_path / "results"
    write_results(_results(), out)
    # a staging folder of a process that no longer exists, half written
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    staging = tmp_path / f".results.neok2-new-{pid}-abc123"
    staging.mkdir()
    (staging / "results.json").write_text("half")
    # a complete folder set aside by a two-step swap whose second rename never happened
    other = tmp_path / "other"
    write_results(_results(shift=0.05), other)
    aside = tmp_path / f".other.neok2-old-{pid}-def456"
    other.rename(aside)
    with atomic_folder(out) as _:
        pass
    assert not staging.exists()
    with atomic_folder(other) as folder:
        # the set-aside folder went back in place before the new one was staged
        assert (other / "results.json").is_file() and not aside.exists()
        (folder / "results.json").write_text("{}")
    assert _snapshot(out) == {}  # replaced by the (empty) new folder
    assert _snapshot(other) == {"results.json": b"{}"}
    assert _siblings(out) == ["other"]


@pytest.mark.slow
def test_a_killed_analyze_leaves_the_old_or_the_new_folder(tmp_path, data_file):
    """Kill `neok2 analyze` at several moments; the folder is always one whole run."""
    out = tmp_path / "results"
    base = ["--seed", "3", "--out", str(out), "--no-validate", "--simulations", "2"]
    command = [sys.executable, "-c", "from neok2.cli import main; main()", "analyze"]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(
        [*command, str(data_file), *base, "--bootstrap", "1"],
        check=True,
        env=environment,
        capture_output=True,
    )
    old = _snapshot(out)
    new_data = data_file.with_name("other.csv")
    _data(shift=0.05).to_csv(new_data, index=False)
    new_folder = tmp_path / "new"
    subprocess.run(
        [
            *command,
            str(new_data),
            *base[:2],
            "--out",
            str(new_folder),
            *base[4:],
            "--bootstrap",
            "1",
        ],
        check=True,
        env=environment,
        capture_output=True,
    )
    new = _snapshot(new_folder)
    outcomes = set()
    for delay in (2.0, 4.0, 6.0, 8.0, 10.0, 14.0):
        process = subprocess.Popen(
            [*command, str(new_data), *base, "--bootstrap", "1"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = _snapshot(out)
        assert now in (old, new), f"mixed folder after {delay}s"
        outcomes.add("new" if now == new else "old")
        if now == new:
            break
    assert "old" in outcomes
