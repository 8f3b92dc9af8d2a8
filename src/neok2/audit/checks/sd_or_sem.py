"""Which reading of the spreads after ``±`` (SD or SEM) reproduces each printed t-test p."""

from __future__ import annotations

from typing import Any

from neok2.audit.checks._shared import Record, main_rows, record, show_p, t_cells
from neok2.stats.summaries import spread_readings
from neok2.study.spec import Study


def check_sd_or_sem(study: Study, **_options: Any) -> list[Record]:
    records = []
    for _, row in main_rows(study).iterrows():
        if row["summary"] != "mean_sd" or not row["p_printed"]:
            continue
        variable = row["variable"]
        readings = spread_readings(*t_cells(study, variable), str(row["p_printed"]))
        as_sem, sem_points = readings.as_sem, readings.sem_points
        sd_fits, sem_fits = readings.sd_fits, readings.sem_fits
        shown = (
            f"as SEM: Student {show_p(sem_points['Student'])}, Welch {show_p(sem_points['Welch'])}"
        )
        if sd_fits:
            severity = "ok"
            message = "Read as SDs, the spreads reproduce the printed p" + (
                " (read as SEMs they would too)." if sem_fits else "."
            )
        elif sem_fits:
            severity = "error"
            message = (
                "Read as SDs the spreads cannot give the printed p, but read as standard errors "
                "(SD = SEM x sqrt(n)) they do: the column is probably SEM, not SD."
            )
        else:
            severity = "warning"
            message = "Neither the SD nor the SEM reading of the spreads reproduces the printed p."
        low = min(i.low for i in as_sem.values())
        high = max(i.high for i in as_sem.values())
        records.append(
            record(
                "sd_or_sem",
                f"Table 1 / {row['label']} / SD",
                f"{row['printed'] or row['mean']} vs "
                f"{study.cell(variable, 'control')['printed']}, p {row['p_printed']}",
                shown,
                severity,
                message,
                low=low,
                high=high,
                variable=variable,
            )
        )
    return records
