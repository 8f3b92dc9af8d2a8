"""Speed of the audit, the rebuild and the limitations on the shipped study (plain script)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from neok2.audit.limitations import study_limitations
from neok2.audit.run import audit_study, study_from_data
from neok2.study.spec import load_study

# The seeded 200-subject simulator of the audit tests, so the rebuild is timed on the same data.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_audit import simulate


def seconds(task, repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        timings.append(time.perf_counter() - start)
    return float(np.median(timings))


study = load_study("k2_neonates")
start = time.perf_counter()
result = audit_study(study)
print(f"audit_study, first call (2x2 tables solved): {time.perf_counter() - start:.3f} s")
print(f"  {result.n_checks} checks, {result.n_errors} errors")
data = simulate(1)
rebuilt = study_from_data(data, study)
for label, task in (
    ("audit_study, median of 5 (cached tables)", lambda: audit_study(study)),
    ("study_from_data, 200 subjects", lambda: study_from_data(data, study)),
    ("audit of the rebuild", lambda: audit_study(rebuilt)),
    ("study_limitations", lambda: study_limitations(study)),
):
    print(f"{label:<44} {seconds(task):.3f} s")
