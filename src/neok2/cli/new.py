"""``neok2 new NAME``: scaffold a commented study spec with its data dictionary."""

from __future__ import annotations

import re
from pathlib import Path

import click

from neok2._io import atomic_write_text

TEMPLATE = """\
# Study spec for {name}: what the paper printed, field by field (see docs/spec.md and
# `neok2 schema`). Replace every value below with the paper's own; keep cells as printed.
# Check it with:  neok2 validate DATA.csv --study {name}.yaml

id: {name}
title: Title of the paper
source: Authors. Title. Journal Year;Volume:Pages.
population: {{singular: participant, plural: participants}}   # nouns used in the prose
design:
  type: case-control
  # delete what the paper does not state: the limitations then claim nothing about it
  retrospective: true                # records collected after the fact
  centres: 1                         # recruiting centres
  base: hospital                     # hospital | population (where the subjects come from)
  exposure_source: records           # records | interview (how exposures were obtained)
  setting: Where the study took place
  software: Statistics software the paper names
  alpha: 0.05

outcome:
  column: case                       # 0/1 column of the data: 1 = case, 0 = control
  definition: how case status was defined
groups:                              # group sizes as printed; they must add up to totals.n
  case: {{label: Cases, n: 40}}
  control: {{label: Controls, n: 60}}
totals: {{n: 100}}

# Named definitions; {{variable, below, column}} makes `column` = (`variable` < `below`).
definitions: {{}}

screening:
  threshold: 0.1                     # univariable p below which a variable enters the model
  method: univariable logistic regression, p < 0.1 enters the multivariable model

provenance:                          # where each table comes from: transcribed or computed
  table1: transcribed from Table 1 of the paper
  univariable: transcribed from Table 2
  multivariable: transcribed from Table 3

# Table 1, one entry per printed row. summary: n_percent (binary), mean_sd, median_iqr,
# or categorical / ordinal with one n (%) per level. Cells stay strings as printed.
table1:
  - {{variable: exposed, label: "Exposed, n (%)", summary: n_percent, test: chi-square,
     case: "20 (50.0)", control: "15 (25.0)", p: "0.010"}}
  - {{variable: age, label: "Age (years)", summary: mean_sd, test: t-test,
     case: "54.2±8.1", control: "52.9±7.7", p: "0.420"}}
  - variable: group3
    label: Three-level group, n (%)
    summary: categorical             # ordinal: levels from low to high, plus trend_p
    test: chi-square
    p: "0.300"
    levels:                          # value: the code the data hold (default: the label)
      - {{level: A, value: 1, reference: true, case: "10 (25.0)", control: "20 (33.3)"}}
      - {{level: B, value: 2, case: "14 (35.0)", control: "22 (36.7)"}}
      - {{level: C, value: 3, case: "16 (40.0)", control: "18 (30.0)"}}

# Table 2: univariable odds ratios as printed ("OR", "low-high", "p").
univariable:
  - {{variable: exposed, label: Exposed, or: "3.00", ci: "1.28-7.03", p: "0.011"}}
  - {{variable: age, label: Age, or: "1.02", ci: "0.97-1.08", p: "0.418", per: "1 year"}}
  - variable: group3
    label: Three-level group
    reference: A
    joint_p: "0.310"
    levels:
      - {{level: B, or: "1.27", ci: "0.47-3.42", p: "0.633"}}
      - {{level: C, or: "1.78", ci: "0.65-4.87", p: "0.263"}}

# The multivariable model: what entered and the adjusted odds ratios as printed.
multivariable:
  terms_entered: [exposed]
  reported:
    - {{variable: exposed, label: Exposed, or: "3.00", ci: "1.28-7.03", p: "0.011"}}

# Figures the text states on its own: name -> value, printed words, what they count.
text_claims:
  cases_n: {{value: 40, printed: "40 cases", refers_to: case}}

# Data dictionary: one entry per column of the data file.
# type: id, binary (0/1), integer, continuous, categorical (levels), date.
# codes: maps the file's codes to the dictionary's values, e.g. {{1: 0, 2: 1}} or {{yes: 1, no: 0}}.
columns:
  - {{name: id, type: id, description: record identifier}}
  - {{name: case, type: binary, description: "1 = case, 0 = control"}}
  - {{name: exposed, type: binary, codes: {{"yes": 1, "no": 0}}, description: "1 = exposed"}}
  - {{name: age, type: continuous, unit: year, min: 18, max: 100, description: age at enrolment}}
  - {{name: group3, type: categorical, levels: [1, 2, 3], description: "1 = A, 2 = B, 3 = C"}}
"""


@click.command(name="new")
@click.argument("name")
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write NAME.yaml into (created if absent).",
)
def command(name: str, out_dir: Path) -> None:
    """Write NAME.yaml: a commented study spec template with its data dictionary.

    The template loads as it is (its numbers are placeholders to replace with the paper's).
    An existing file is never replaced.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ValueError(
            f"`NAME`: {name!r} is not a valid study name; use letters, digits and underscores, "
            "starting with a letter (e.g. my_study)"
        )
    target = out_dir / f"{name}.yaml"
    if target.exists():
        raise FileExistsError(
            f"refusing to overwrite {str(target)!r}: it already exists; choose another NAME or "
            "--out folder"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, TEMPLATE.format(name=name))
    click.echo(
        f"wrote {target}; edit it, then check it with `neok2 validate DATA --study {target}`"
    )
