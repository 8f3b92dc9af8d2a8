"""Render timings of the manuscript: a cold render (cells executed) and a warm one (cached).

Needs `results/` (run `make results` first). Prints seconds per render; the warm target is
under 60 s on a 2-core machine.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from neok2.report.render.api import render_manuscript

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    if not (ROOT / "results" / "results.json").is_file():
        raise SystemExit("bench_render: run `make results` first")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "results", work / "results")
        project = work / "manuscript"
        project.mkdir()
        for name in ("_quarto.yml", "index.qmd", "references.bib"):
            shutil.copy(ROOT / "manuscript" / name, project / name)
        for label in ("cold (cells executed)", "warm (cached execution)"):
            start = time.perf_counter()
            result = render_manuscript(project, engine="fallback")
            elapsed = time.perf_counter() - start
            size = sum(path.stat().st_size for path in result.outputs)
            print(
                f"render {label}: {elapsed:.1f} s, cache hit {result.cache_hit}, "
                f"{len(result.inline_values)} inline values, {size / 1e6:.2f} MB written"
            )


if __name__ == "__main__":
    main()
