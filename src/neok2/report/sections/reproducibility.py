"""Seed, data source, replicate counts and package versions."""

from __future__ import annotations

import pandas as pd

from neok2.report.results import package_versions
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.tables import gt_table


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("reproducibility", data_source=inputs.data_source)
    out.add("seed", inputs.seed, str(inputs.seed), "seed of every random step")
    out.add(
        "data_source",
        inputs.data_source,
        inputs.data_source,
        "synthetic cohort or the user's data",
    )
    out.add(
        "bootstrap_replicates",
        inputs.bootstrap_replicates,
        str(inputs.bootstrap_replicates),
        "bootstrap resamples",
    )
    out.add(
        "simulation_replicates",
        inputs.simulation_replicates,
        str(inputs.simulation_replicates),
        "simulated studies per scenario",
    )
    versions = package_versions()
    rows = pd.DataFrame({"package": list(versions), "version": list(versions.values())})
    out.table(
        "versions",
        rows,
        gt_table(rows.rename(columns={"package": "Package", "version": "Version"}), "tbl_versions"),
    )
    return out


SECTION = Section("reproducibility", _compute)
