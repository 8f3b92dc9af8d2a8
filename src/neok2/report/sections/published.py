"""The paper's own numbers, quoted as printed."""

from __future__ import annotations

from typing import Any

from neok2.formatting import format_ci, format_odds_ratio
from neok2.report.prose import printed_p_phrase, prose_list
from neok2.report.section import Section, SectionInputs, SectionOutput
from neok2.report.sections._common import study_words


def _compute(inputs: SectionInputs) -> SectionOutput:
    out = SectionOutput("published", data_source=inputs.data_source)
    study = inputs.study
    plural = study.population["plural"]
    out.add("n_total", study.n, str(study.n), f"{plural} in the published study")
    # the words the manuscript needs about the study, so that its prose comes from the spec
    for key, (text, description) in study_words(study).items():
        out.add(key, text, text, description)
    for group in ("case", "control"):
        out.add(f"n_{group}", study.groups[group], str(study.groups[group]), f"published {group}s")
    for model, frame in (
        ("univariable", study.univariable),
        ("multivariable", study.multivariable),
    ):
        rows: Any = frame.itertuples(index=False)
        for row in rows:
            odds_ratio = row.or_printed or format_odds_ratio(row.odds_ratio, 3)
            interval = row.ci_printed or format_ci(row.ci_low, row.ci_high, 3)
            p_text = f"; {printed_p_phrase(row.p_printed)}" if row.p_printed else ""
            # A multi-level term has one row per level: keyed on the term, e.g. race[Black].
            out.add(
                f"{model}.{row.term}.summary",
                float(row.odds_ratio),
                f"OR {odds_ratio} (95% CI {interval}{p_text})",
                f"published {model} OR of {row.term}, as printed",
            )
    terms = list(study.multivariable_terms)
    out.add(
        "multivariable_terms",
        terms,
        prose_list(terms, inputs.labels),
        "terms the paper entered into its multivariable model",
    )
    reported = list(dict.fromkeys(study.multivariable["variable"]))
    out.add(
        "multivariable_reported",
        reported,
        prose_list(reported, inputs.labels),
        "terms the paper reported as independent risk factors",
    )
    for name, claim in study.text_claims.items():
        out.add(
            f"claim.{name}",
            float(claim["value"]),
            str(claim["printed"]),
            f"the paper's text: {claim['refers_to']}",
        )
    return out


SECTION = Section("published", _compute)
