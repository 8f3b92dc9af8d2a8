"""Time and peak memory of ``neok2 analyze``, ``screen`` and ``table1`` on large files.

The synthetic k2_neonates cohort (seed 20200701) is resampled with replacement to each size,
ids renumbered so that they stay unique. Each command runs in its own process; the figure
is its wall time and its peak resident memory (``ru_maxrss`` of that process).

Run ``python benchmarks/bench_scale.py`` (10^5 and 10^6 rows) or with ``--sizes 100000``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

# Runs the CLI and reports the process's own peak memory on stderr as it exits.
_RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss, file=sys.stderr))\n"
    "from neok2.cli import main\n"
    "sys.argv = ['neok2', *sys.argv[1:]]\n"
    "main()\n"
)
_TIMEOUT_SECONDS = 3600


def _cli(*args: str) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit code of one CLI run."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, *args],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
    )
    elapsed = time.perf_counter() - start
    peak = next(
        (int(line.split()[1]) / 1024 for line in result.stderr.splitlines() if "MAXRSS_KB" in line),
        float("nan"),
    )
    if result.returncode != 0:
        print(result.stderr.strip().splitlines()[-2:], file=sys.stderr)
    return elapsed, peak, result.returncode


def _data(folder: Path, sizes: list[int]) -> dict[int, Path]:
    cohort = folder / "k2.csv"
    _cli("synth", "--study", "k2_neonates", "--seed", "20200701", "--out", str(cohort))
    frame = pd.read_csv(cohort)
    paths = {}
    for size in sizes:
        sample = frame.sample(size, replace=True, random_state=1).reset_index(drop=True)
        sample["id"] = range(1, size + 1)
        paths[size] = folder / f"k2_{size}.csv"
        sample.to_csv(paths[size], index=False)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for size, path in _data(folder, sizes).items():
            commands = {
                "table1": [
                    "table1",
                    str(path),
                    "--study",
                    "k2_neonates",
                    "--out",
                    str(folder / "t1"),
                ],
                "screen": ["screen", str(path), "--out", str(folder / "screen")],
                "analyze": [
                    "analyze",
                    str(path),
                    "--study",
                    "k2_neonates",
                    "--seed",
                    "1",
                    "--out",
                    str(folder / f"results_{size}"),
                ],
            }
            for label, args in commands.items():
                seconds, peak_mb, code = _cli(*args)
                status = "" if code == 0 else f"  (exit {code})"
                print(
                    f"{label:8s} {size:>9,d} rows: {seconds:8.1f} s  peak {peak_mb:7.0f} MB{status}"
                )


if __name__ == "__main__":
    main()
