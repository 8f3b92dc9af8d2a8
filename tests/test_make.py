"""`make paper` cannot lie: content-hashed data, no stale outputs, one build at a time.

Each test builds in a scratch checkout that shares this checkout's sources and virtual
environment (by symbolic links, so Make sees the installed stamp as current) and has a tiny
manuscript whose only cell prints the SHA-256 that results.json records. The analysis runs
for real, with few replicates, and the render goes through `neok2 render` like `make paper`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NEOK2 = str(Path(sys.executable).parent / "neok2")
QUICK = "ANALYZE_OPTIONS=--simulations 5 --bootstrap 2"

ARTICLE = """---
title: Stamp
---

```{python}
import json
from pathlib import Path
recorded = json.loads((Path("..") / "results" / "results.json").read_text())
```

Data: `{python} recorded["data_file"]["sha256"]`
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> dict[str, Path]:
    """Two valid, different data files of the shipped study."""
    folder = tmp_path_factory.mktemp("cohorts")
    paths = {}
    for name, seed in (("first", 1), ("second", 2)):
        path = folder / f"{name}.csv"
        subprocess.run(
            [NEOK2, "synth", "--study", "k2_neonates", "--seed", str(seed), "--out", str(path)],
            check=True,
            capture_output=True,
        )
        paths[name] = path
    return paths


@pytest.fixture
def checkout(make_checkout) -> Path:
    root = make_checkout()
    manuscript = root / "manuscript"
    manuscript.mkdir()
    (manuscript / "_quarto.yml").write_text(
        "project:\n  type: manuscript\n  output-dir: _manuscript\nmanuscript:\n"
        "  article: index.qmd\nformat:\n  html: default\n"
        "neok2:\n  depends-on:\n    - ../results\n",
        encoding="utf-8",
    )
    (manuscript / "index.qmd").write_text(ARTICLE, encoding="utf-8")
    return root


def make(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "MAKEFLAGS"}
    return subprocess.run(
        ["make", "--no-print-directory", "paper", QUICK, "STAMP=installed.stamp", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def shown_hash(root: Path) -> str:
    html = (root / "manuscript" / "_manuscript" / "index.html").read_text(encoding="utf-8")
    recorded = json.loads((root / "results" / "results.json").read_text())["data_file"]
    assert recorded["sha256"] in html
    return str(recorded["sha256"])


def test_an_older_replacement_file_is_rebuilt(checkout: Path, cohorts: dict[str, Path]):
    data = checkout / "data.csv"
    shutil.copy(cohorts["first"], data)
    assert make(checkout, "DATA=data.csv").returncode == 0
    assert shown_hash(checkout) == sha256(cohorts["first"])
    # a different file, dated a day before the first build
    shutil.copy(cohorts["second"], data)
    yesterday = data.stat().st_mtime - 86_400
    os.utime(data, (yesterday, yesterday))
    completed = make(checkout, "DATA=data.csv")
    assert completed.returncode == 0, completed.stderr
    assert shown_hash(checkout) == sha256(cohorts["second"])
    # nothing changed: nothing is rebuilt
    assert "neok2 analyze" not in make(checkout, "DATA=data.csv").stdout


def test_a_failed_build_leaves_no_manuscript_of_other_data(
    checkout: Path, cohorts: dict[str, Path]
):
    assert make(checkout, f"DATA={cohorts['first']}").returncode == 0
    assert (checkout / "manuscript" / "_manuscript" / "index.html").exists()
    broken = checkout / "broken.csv"
    text = cohorts["second"].read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    column = header.index("ga_weeks")
    row = text[1].split(",")
    row[column] = "-34"
    broken.write_text("\n".join([text[0], ",".join(row), *text[2:]]) + "\n", encoding="utf-8")
    completed = make(checkout, "DATA=broken.csv")
    assert completed.returncode != 0
    assert not (checkout / "manuscript" / "_manuscript").exists()
    assert not (checkout / "results" / "results.json").exists()
    assert not (checkout / "results" / "tables").exists()
    assert not (checkout / "results" / "figures").exists()


def test_a_missing_data_file_is_one_line_from_neok2(checkout: Path):
    completed = make(checkout, "DATA=nowhere.csv")
    assert completed.returncode != 0
    assert "No rule to make target" not in completed.stderr
    assert "neok2: error:" in completed.stderr
    assert "nowhere.csv" in completed.stderr


def test_concurrent_builds_wait_for_each_other(checkout: Path, cohorts: dict[str, Path]):
    outcomes: dict[str, subprocess.CompletedProcess[str]] = {}

    def build(name: str) -> None:
        outcomes[name] = make(checkout, f"DATA={cohorts[name]}")

    threads = [threading.Thread(target=build, args=(name,)) for name in cohorts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(outcome.returncode == 0 for outcome in outcomes.values()), outcomes
    # whichever ran last, the manuscript shows the data its results were computed from
    shown = shown_hash(checkout)
    assert shown in {sha256(path) for path in cohorts.values()}
    stamp = (checkout / ".neok2-data-stamp").read_text().split()[0]
    assert stamp == shown
    # and asking again for the other data set rebuilds it
    other = next(name for name, path in cohorts.items() if sha256(path) != shown)
    assert make(checkout, f"DATA={cohorts[other]}").returncode == 0
    assert shown_hash(checkout) == sha256(cohorts[other])


def test_render_refuses_results_of_other_data(checkout: Path, cohorts: dict[str, Path]):
    assert make(checkout, f"DATA={cohorts['first']}").returncode == 0
    completed = subprocess.run(
        [NEOK2, "render", "manuscript", "--data", str(cohorts["second"])],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "was computed from" in completed.stderr
