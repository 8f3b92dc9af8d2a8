"""Audit a published case-control study: do its tables, odds ratios and text hold together?

:func:`audit_study` recomputes every number of a :class:`~neok2.study.spec.Study` that can be
recomputed from the others -- percentages from counts, Table 1 p-values from counts or from
means and SDs, odds ratios and Woolf intervals from 2x2 counts, p-values from intervals, the
text's figures from the tables -- and compares each with what was printed, allowing for the
printed rounding. :func:`study_from_data` rebuilds the same tables from one row per subject so
that a rebuilt study can be audited the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from neok2._frozen import frozen_fields
from neok2.audit.checks import CHECK_FAMILIES, FINDING_COLUMNS, run_checks
from neok2.audit.rebuild import study_from_data
from neok2.formatting import format_number
from neok2.study.spec import Study

__all__ = ["SEVERITIES", "AuditResult", "audit_study", "study_from_data"]

SEVERITIES = ("error", "warning", "note", "ok")
_DISPLAY_COLUMNS = ["check", "location", "reported", "recomputed", "severity", "message"]


@frozen_fields("checks")
@dataclass(frozen=True)
class AuditResult:
    """Every check run on one study, passed ones included.

    Attributes
    ----------
    study_id : str
        The audited study.
    checks : pandas.DataFrame
        One row per check: ``check, location, reported, recomputed, recomputed_low,
        recomputed_high, severity, message, variable``; ``severity`` is ``"error"``,
        ``"warning"``, ``"note"`` or ``"ok"``.
    """

    study_id: str
    checks: pd.DataFrame = field(repr=False)

    @property
    def findings(self) -> pd.DataFrame:
        """The checks that did not pass (severity error, warning or note)."""
        return self.checks[self.checks["severity"] != "ok"].reset_index(drop=True)

    @property
    def n_checks(self) -> int:
        """Number of checks run."""
        return len(self.checks)

    @property
    def n_errors(self) -> int:
        """Number of error-severity findings."""
        return int((self.checks["severity"] == "error").sum())

    def tidy(self, *, include_passed: bool = False) -> pd.DataFrame:
        """The findings (or, with ``include_passed=True``, every check) as a DataFrame."""
        frame = self.checks if include_passed else self.findings
        return frame.reset_index(drop=True).copy()

    def summary(self) -> pd.DataFrame:
        """Checks run and their outcome per check family.

        Returns
        -------
        pandas.DataFrame
            ``check, n_checks, n_ok, n_note, n_warning, n_error`` with a final ``total`` row.
        """
        counts = (
            pd.crosstab(self.checks["check"], self.checks["severity"])
            .reindex(index=list(CHECK_FAMILIES), columns=list(SEVERITIES), fill_value=0)
            .fillna(0)
            .astype(int)
        )
        counts = counts[counts.sum(axis=1) > 0]
        frame = pd.DataFrame(
            {
                "check": counts.index,
                "n_checks": counts.sum(axis=1).to_numpy(),
                "n_ok": counts["ok"].to_numpy(),
                "n_note": counts["note"].to_numpy(),
                "n_warning": counts["warning"].to_numpy(),
                "n_error": counts["error"].to_numpy(),
            }
        )
        total = frame.drop(columns="check").sum().to_dict()
        return pd.concat([frame, pd.DataFrame([{"check": "total", **total}])], ignore_index=True)

    def to_gt(self, *, include_passed: bool = False, table_id: str = "neok2-audit") -> Any:
        """The findings as a great-tables table, grouped by check family.

        ``table_id`` is the HTML id, fixed so that a result always renders to the same bytes.
        """
        from great_tables import GT

        frame = self.tidy(include_passed=include_passed)[_DISPLAY_COLUMNS]
        summary = self.summary().iloc[-1]
        return (
            GT(frame, groupname_col="check", id=table_id)
            .tab_header(
                title=f"Audit of {self.study_id}",
                subtitle=(
                    f"{summary['n_checks']} checks: {summary['n_error']} errors, "
                    f"{summary['n_warning']} warnings, {summary['n_note']} notes"
                ),
            )
            .cols_label(
                location="Where",
                reported="Printed",
                recomputed="Recomputed",
                severity="Severity",
                message="Finding",
            )
        )

    def _repr_html_(self) -> str:
        """The great-tables HTML of :meth:`to_gt` (what Jupyter shows)."""
        return str(self.to_gt().as_raw_html())

    def to_csv(self, path: str | Path | None = None, *, include_passed: bool = False) -> str:
        """Write the findings as CSV to ``path`` (or return the text when ``path`` is None)."""
        text = str(
            self.tidy(include_passed=include_passed).to_csv(index=False, lineterminator="\n")
        )
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_json(self, path: str | Path | None = None, *, include_passed: bool = False) -> str:
        """The study id, per-family summary and findings as JSON (NaN written as null)."""

        def clean(value: Any) -> Any:
            return None if isinstance(value, float) and math.isnan(value) else value

        payload = {
            "study": self.study_id,
            "summary": self.summary().to_dict(orient="records"),
            "findings": [
                {key: clean(value) for key, value in record.items()}
                for record in self.tidy(include_passed=include_passed).to_dict(orient="records")
            ],
        }
        text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_markdown(self, path: str | Path | None = None, *, include_passed: bool = False) -> str:
        """A markdown summary table and the findings as a pipe table."""
        summary = self.summary()
        lines = [f"# Audit of {self.study_id}", "", _pipe_table(summary.astype(str)), ""]
        frame = self.tidy(include_passed=include_passed)[_DISPLAY_COLUMNS]
        lines += ["## Findings", "", _pipe_table(frame) if len(frame) else "No findings.", ""]
        text = "\n".join(lines)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _pipe_table(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        text = format_number(value, 3) if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def audit_study(
    study: Study,
    *,
    ci_method: Literal["wald", "other"] = "wald",
    level: float = 0.95,
    alpha: float | None = None,
) -> AuditResult:
    """Recompute every checkable number of a published study and compare it with the print.

    Parameters
    ----------
    study : Study
        A study from :func:`neok2.load_study` or :func:`neok2.study.spec.parse_study`.
    ci_method : {"wald", "other"}, default "wald"
        How the paper's odds-ratio intervals were computed. With ``"wald"`` (SPSS, R's
        ``confint.default``) intervals must be symmetric on the log scale and reproduce the
        p-value, so a mismatch is an error; with ``"other"`` (profile likelihood, Firth) it is
        a warning.
    level : float, default 0.95
        Confidence level of the printed intervals.
    alpha : float, optional
        Significance level used to grade Table 1 p mismatches; defaults to the study's.

    Returns
    -------
    AuditResult
        ``.checks`` holds every check (``check, location, reported, recomputed,
        recomputed_low, recomputed_high, severity, message, variable``); ``.findings`` and
        ``.tidy()`` keep those not passed; ``.summary()`` counts checks per family.

    Notes
    -----
    A printed number ``x`` with ``d`` decimals stands for the interval
    ``[x - 0.5 * 10**-d, x + 0.5 * 10**-d]``; every comparison asks whether the recomputed
    value (or range) meets that interval. Check families:

    * ``percent`` -- ``100 n / N`` against the printed percentage, by rounding or truncation
      (truncation-only matches are notes), in the spirit of GRIM (Brown & Heathers 2017);
    * ``totals``, ``text_claim``, ``bin_mean`` -- stated totals and the text's figures against
      Table 1's rows and bins, and each binned mean against the range its bins allow;
    * ``or_from_counts`` -- ``ad / bc`` with the Woolf interval
      ``exp(log OR +/- z sqrt(1/a + 1/b + 1/c + 1/d))`` and Wald p, as R's
      ``epiR::epi.2by2``; a univariable logistic fit on a binary variable gives exactly these;
    * ``ci_symmetry`` -- the OR against the geometric mean ``sqrt(low * high)`` of its limits;
    * ``ci_p`` -- ``SE = log(high / low) / (2 z)``, ``p = 2 (1 - Phi(|log OR| / SE))``;
    * ``table1_p`` -- ``chisq.test`` with and without Yates's correction, ``fisher.test``,
      Student and Welch ``t.test`` from summaries, with the p range spanned by the rounding of
      the printed means and SDs; Mann-Whitney p cannot be recomputed (a note);
    * ``sd_or_sem`` -- the same t-tests with ``SD = SEM sqrt(n)``, to tell which reading fits;
    * ``direction`` -- a univariable logistic slope has the sign of the difference in group
      means (the score at zero is proportional to it), so an OR on the wrong side of 1 is an
      error; the normal-discriminant OR ``exp((mean_1 - mean_0) / s_pooled^2)`` is shown;
    * ``reporting`` -- p printed as zero, p decimals out of line, repeated labels or rows,
      label units against the data dictionary, and the spec's transcription notes;
    * ``screening`` -- the univariable p against the stated screen and the entered terms.

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8:363-369.
    Nuijten MB et al. The prevalence of statistical reporting errors in psychology.
    Behav Res Methods 2016;48:1205-1226.
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ 2011;343:d2304.

    Examples
    --------
    >>> from neok2.study.spec import load_study
    >>> result = audit_study(load_study("k2_neonates"))
    >>> row = result.findings.set_index("location").loc["Table 2 / PROM / 95% CI"]
    >>> row["reported"], row["recomputed"], row["severity"]
    ('1.278-5.426', '1.228-5.426', 'error')
    """
    if not isinstance(study, Study):
        raise TypeError(
            f"`study` must be a neok2 Study (use neok2.load_study), got {type(study).__name__}"
        )
    if ci_method not in ("wald", "other"):
        raise ValueError(f"`ci_method` must be 'wald' or 'other', got {ci_method!r}")
    if not isinstance(level, float | int) or not 0 < level < 1:
        raise ValueError(f"`level` must be a confidence level in (0, 1), got {level!r}")
    if alpha is None:
        alpha = float(study.design.get("alpha", 0.05))
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must lie in (0, 1), got {alpha!r}")
    checks = run_checks(study, ci_method=ci_method, level=float(level), alpha=float(alpha))
    order = {severity: rank for rank, severity in enumerate(SEVERITIES)}
    family = {name: rank for rank, name in enumerate(CHECK_FAMILIES)}
    checks = (
        checks.assign(_family=checks["check"].map(family), _severity=checks["severity"].map(order))
        .sort_values(["_family", "_severity"], kind="stable")
        .drop(columns=["_family", "_severity"])
        .reset_index(drop=True)[FINDING_COLUMNS]
    )
    return AuditResult(study_id=study.id, checks=checks)
