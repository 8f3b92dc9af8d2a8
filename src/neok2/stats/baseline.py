"""The baseline table ("Table 1"): summaries by group, the test behind each p-value, SMDs.

:func:`baseline_table` summarises each variable in two groups the way finalfit's
``summary_factorlist`` and gtsummary's ``tbl_summary`` do: n (%) for binary and categorical
variables, mean (SD) or median (IQR) for continuous ones, with the test chosen per variable
and named in the output, the standardised mean difference as R's tableone defines it and the
missing values counted per group. The result is a frozen :class:`BaselineTable` with a tidy
long form, a formatted display form, a great-tables rendering and a safe CSV writer.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from great_tables import GT, loc, style
from scipy import stats

from neok2._io import atomic_write_text
from neok2.formatting import (
    format_mean_sd,
    format_median_iqr,
    format_n_percent,
    format_number,
    format_p,
)

__all__ = [
    "QUANTILE_TYPES",
    "SUMMARIES",
    "TESTS",
    "BaselineTable",
    "baseline_table",
]

SUMMARIES: tuple[str, ...] = ("mean_sd", "median_iqr", "n_percent")
TESTS: tuple[str, ...] = (
    "student_t",
    "welch_t",
    "mann_whitney",
    "chisq",
    "chisq_yates",
    "fisher",
    "fisher_simulated",
)
# R's quantile(type = k) -> numpy's method name (Hyndman and Fan 1996 numbering).
QUANTILE_TYPES: Mapping[int, str] = MappingProxyType(
    {
        1: "inverted_cdf",
        2: "averaged_inverted_cdf",
        3: "closest_observation",
        4: "interpolated_inverted_cdf",
        5: "hazen",
        6: "weibull",
        7: "linear",
        8: "median_unbiased",
        9: "normal_unbiased",
    }
)
_TEST_NAMES = {
    "student_t": "Student t-test",
    "welch_t": "Welch t-test",
    "mann_whitney": "Mann-Whitney U",
    "chisq": "Chi-square",
    "chisq_yates": "Chi-square (Yates)",
    "fisher": "Fisher exact",
    "fisher_simulated": "Fisher exact (simulated p)",
}
_CONTINUOUS_TESTS = ("student_t", "welch_t", "mann_whitney")
_CATEGORICAL_TESTS = ("chisq", "chisq_yates", "fisher", "fisher_simulated")
_OVERALL = "overall"
_RESERVED = ("characteristic", "variable", "level", "test", "p_value", "smd")
_TIDY_COLUMNS = [
    "variable",
    "label",
    "summary",
    "level",
    "group",
    "n",
    "percent",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "n_missing",
    "test",
    "statistic",
    "p_value",
    "smd",
    "note",
]


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class BaselineTable:
    """Result of :func:`baseline_table`.

    Attributes
    ----------
    rows : pandas.DataFrame
        The tidy long form (see :meth:`tidy`); read it through :meth:`tidy`, which copies.
    group : str
        The grouping column.
    groups : tuple of str
        Group names in display order (``"overall"`` last when requested).
    group_n : Mapping[str, int]
        Subjects per group.
    n_missing_group : int
        Rows left out because the grouping column was missing.
    quantile_type : int
        R ``quantile`` type used for the median and quartiles.
    notes : tuple of str
        Rows left out, tests that could not be run.
    source : pathlib.Path or None
        The file the data came from; :meth:`to_csv` refuses to write over it.
    """

    rows: pd.DataFrame = field(repr=False)
    group: str
    groups: tuple[str, ...]
    group_n: Mapping[str, int]
    n_missing_group: int
    quantile_type: int
    notes: tuple[str, ...]
    source: Path | None = None

    def tidy(self) -> pd.DataFrame:
        """The table in long form, one row per variable, level and group.

        Returns
        -------
        pandas.DataFrame
            ``variable, label, summary, level, group, n, percent, mean, sd, median, q1, q3,
            n_missing`` and the per-variable ``test, statistic, p_value, smd, note`` (repeated
            on each row of the variable; NaN or "" on ``"overall"`` rows). ``level`` is ""
            for a continuous or 0/1 variable (whose ``n`` counts the 1s) and the category
            otherwise; ``n`` is the count in the level, or the number of non-missing values
            for a continuous variable; ``percent`` uses the non-missing values of the group.
        """
        return self.rows.copy()

    def _non_missing(self, cell: pd.Series) -> int:
        return int(self.group_n[str(cell["group"])] - cell["n_missing"])

    def display(
        self,
        *,
        digits: int = 2,
        percent_digits: int = 1,
        p_digits: int = 3,
        smd_digits: int = 3,
        show_missing: bool = True,
    ) -> pd.DataFrame:
        """The table as printed: one text cell per group, formatted through neok2.formatting.

        Parameters
        ----------
        digits : int, default 2
            Decimal places of means, SDs, medians and quartiles.
        percent_digits : int, default 1
            Decimal places of percentages.
        p_digits : int, default 3
            Decimal places of p-values (never printed as 0.000).
        smd_digits : int, default 3
            Decimal places of standardised mean differences.
        show_missing : bool, default True
            Add a "Missing" row under each variable that has missing values.

        Returns
        -------
        pandas.DataFrame
            ``variable, level, characteristic``, one column per group, then ``test, p_value,
            smd``, all text.
        """
        frame = self.rows
        records: list[dict[str, str]] = []
        for variable, block in frame.groupby("variable", sort=False):
            first = block.iloc[0]
            head = {
                "variable": str(variable),
                "level": "",
                "characteristic": str(first["label"]),
                "test": _TEST_NAMES.get(str(first["test"]), ""),
                "p_value": format_p(_float_or_none(first["p_value"]), p_digits),
                "smd": format_number(_float_or_none(first["smd"]), smd_digits),
            }
            if head["p_value"] == "NA":
                head["p_value"] = ""
            if head["smd"] == "NA":
                head["smd"] = ""
            levels = list(dict.fromkeys(block["level"]))
            if levels == [""]:
                for group in self.groups:
                    cell = block[block["group"] == group].iloc[0]
                    head[group] = _format_cell(
                        cell, self._non_missing(cell), digits, percent_digits
                    )
                records.append(head)
            else:
                records.append({**head, **dict.fromkeys(self.groups, "")})
                for level in levels:
                    record = {
                        "variable": str(variable),
                        "level": str(level),
                        "characteristic": str(level),
                        "test": "",
                        "p_value": "",
                        "smd": "",
                    }
                    for group in self.groups:
                        cell = block[(block["group"] == group) & (block["level"] == level)].iloc[0]
                        record[group] = _format_cell(
                            cell, self._non_missing(cell), digits, percent_digits
                        )
                    records.append(record)
            missing = {
                group: int(block[block["group"] == group]["n_missing"].iloc[0])
                for group in self.groups
            }
            if show_missing and any(missing.values()):
                records.append(
                    {
                        "variable": str(variable),
                        "level": "(missing)",
                        "characteristic": "Missing",
                        "test": "",
                        "p_value": "",
                        "smd": "",
                        **{g: str(n) for g, n in missing.items()},
                    }
                )
        columns = ["variable", "level", "characteristic", *self.groups, "test", "p_value", "smd"]
        return pd.DataFrame.from_records(records, columns=columns)

    def to_gt(
        self,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        table_id: str = "neok2-baseline",
        **display_options: Any,
    ) -> GT:
        """Render with great-tables.

        Parameters
        ----------
        title : str, optional
            Table heading.
        headers : Mapping[str, str], optional
            Column heading per group name; defaults to ``"<group> (n = N)"``.
        table_id : str, default "neok2-baseline"
            HTML id, fixed so that the same table always renders to the same bytes.
        **display_options
            Passed to :meth:`display` (``digits``, ``p_digits``, ...).

        Returns
        -------
        great_tables.GT
        """
        shown = self.display(**display_options)
        headers = dict(headers or {})
        unknown = sorted(set(headers) - set(self.groups))
        if unknown:
            raise ValueError(
                f"`headers`: unknown group(s) {unknown}; groups are {list(self.groups)}"
            )
        column_labels: dict[str, Any] = {"test": "Test", "p_value": "p", "smd": "SMD"}
        for group in self.groups:
            column_labels[group] = f"{headers.get(group, group)} (n = {self.group_n[group]})"
        table = (
            GT(shown.drop(columns=["variable", "level"]), rowname_col="characteristic", id=table_id)
            .cols_label(cases=column_labels)
            .cols_align("center", columns=[*self.groups, "p_value", "smd"])
        )
        level_rows = [index for index, level in enumerate(shown["level"]) if level]
        if level_rows:
            table = table.tab_stub_indent(rows=level_rows, indent=2)
        header_rows = [index for index, level in enumerate(shown["level"]) if not level]
        table = table.tab_style(
            style=style.text(weight="bold"), locations=loc.stub(rows=header_rows)
        )
        if title:
            table = table.tab_header(title=title)
        notes = ["Continuous: mean ± SD or median (Q1, Q3); categorical: n (%) of non-missing."]
        if self.n_missing_group:
            notes.append(f"{self.n_missing_group} row(s) with missing {self.group!r} left out.")
        for note in notes:
            table = table.tab_source_note(note)
        return table

    def to_csv(self, path: str | Path, *, formatted: bool = False, overwrite: bool = False) -> Path:
        """Write the tidy (default) or the formatted table to a CSV file, atomically.

        Parameters
        ----------
        path : str or pathlib.Path
            Destination.
        formatted : bool, default False
            Write :meth:`display` instead of :meth:`tidy`.
        overwrite : bool, default False
            Replace an existing file (never the data file the table was built from).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = self._check_target(path, overwrite)
        frame = self.display() if formatted else self.tidy()
        atomic_write_text(target, frame.to_csv(index=False, lineterminator="\n"))
        return target

    def to_html(self, path: str | Path, *, overwrite: bool = False, **gt_options: Any) -> Path:
        """Write the great-tables rendering as an HTML fragment, atomically.

        Parameters
        ----------
        path : str or pathlib.Path
            Destination.
        overwrite : bool, default False
            Replace an existing file (never the data file the table was built from).
        **gt_options
            Passed to :meth:`to_gt`.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = self._check_target(path, overwrite)
        atomic_write_text(target, self.to_gt(**gt_options).as_raw_html())
        return target

    def _check_target(self, path: str | Path, overwrite: bool) -> Path:
        if not isinstance(path, str | Path):
            raise TypeError(f"`path` must be a str or Path, got {type(path).__name__}")
        target = Path(path)
        if self.source is not None and _same_file(target, self.source):
            raise ValueError(
                f"`path`: {str(target)!r} is the input data file; choose another output path"
            )
        if target.is_dir():
            raise IsADirectoryError(f"`path`: {str(target)!r} is a directory; name a file")
        if target.exists() and not overwrite:
            raise ValueError(
                f"`path`: {str(target)!r} exists; pass overwrite=True or choose another path"
            )
        return target


# ----------------------------------------------------------------------------- helpers


def _float_or_none(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _format_cell(cell: pd.Series, total: int, digits: int, percent_digits: int) -> str:
    summary = cell["summary"]
    if summary == "n_percent":
        return format_n_percent(int(cell["n"]), total, percent_digits)
    if int(cell["n"]) == 0:
        return "NA"
    if summary == "mean_sd":
        return format_mean_sd(float(cell["mean"]), float(cell["sd"]), digits)
    return format_median_iqr(float(cell["median"]), float(cell["q1"]), float(cell["q3"]), digits)


def _same_file(first: Path, second: Path) -> bool:
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


def _level_text(level: Any) -> str:
    if isinstance(level, float | np.floating) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _is_binary(values: pd.Series) -> bool:
    present = values.dropna()
    if pd.api.types.is_bool_dtype(present):
        return True
    if not pd.api.types.is_numeric_dtype(present):
        return False
    return bool(present.isin([0, 1]).all())


def _check_stray_codes(variable: str, values: pd.Series) -> None:
    """Refuse a 0/1 column with a few other codes, which would pass for a continuous one."""
    present = values.dropna()
    if not pd.api.types.is_numeric_dtype(present) or present.empty:
        return
    stray = present[~present.isin([0, 1])]
    if (
        0 < stray.nunique() <= 2
        and len(stray) <= 0.05 * len(present)
        and present.isin([0, 1]).any()
    ):
        shown = sorted({float(value) for value in stray})
        raise ValueError(
            f"`data`: {variable!r} is a 0/1 variable except for {len(stray)} row(s) holding "
            f"{shown} (rows {stray.index[:5].tolist()}); fix or blank those cells, or pass "
            f"summary={{{variable!r}: 'median_iqr'}} if the values are real"
        )


def _levels(values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        # Text and numbers mixed in one column (a messy export): the order is undefined and
        # 1 and "1" would show as two levels with the same label.
        kinds = sorted({type(value).__name__ for value in present})
        raise ValueError(
            f"column {values.name!r} mixes values of types {kinds} (e.g. "
            f"{[str(value) for value in present[:4]]}); recode it to one type"
        ) from None


def _quantiles(values: np.ndarray, quantile_type: int) -> tuple[float, float, float]:
    method: Any = QUANTILE_TYPES[quantile_type]
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75], method=method)
    return float(median), float(q1), float(q3)


def _normality(samples: list[np.ndarray], alpha: float) -> tuple[bool, str]:
    """Shapiro-Wilk in each group; normal only if no group rejects at ``alpha``."""
    p_values = []
    for sample in samples:
        if sample.size < 3:
            return False, "fewer than 3 values in a group: Shapiro-Wilk not possible"
        if np.ptp(sample) == 0:
            return False, "a group has no spread: treated as not normal"
        p_values.append(float(stats.shapiro(sample).pvalue))
    smallest = min(p_values)
    rule = f"Shapiro-Wilk smallest group p = {smallest:.3g}"
    return smallest >= alpha, rule


def _continuous_smd(first: np.ndarray, second: np.ndarray) -> float:
    if first.size < 2 or second.size < 2:
        return math.nan
    difference = abs(float(first.mean()) - float(second.mean()))
    pooled = (float(first.var(ddof=1)) + float(second.var(ddof=1))) / 2
    if pooled == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / math.sqrt(pooled)


def _categorical_smd(counts: np.ndarray) -> float:
    """tableone's SMD for a k-level variable: Mahalanobis distance of the level proportions.

    ``counts`` is levels x 2 groups; the first level is the reference.
    """
    totals = counts.sum(axis=0)
    if np.any(totals == 0):
        return math.nan
    proportions = counts[1:, :] / totals
    first, second = proportions[:, 0], proportions[:, 1]

    def covariance(p: np.ndarray) -> np.ndarray:
        matrix = -np.outer(p, p)
        np.fill_diagonal(matrix, p * (1 - p))
        return matrix

    pooled = (covariance(first) + covariance(second)) / 2
    difference = second - first
    if not np.any(pooled):
        return 0.0 if not np.any(difference) else math.inf
    return float(np.sqrt(difference @ np.linalg.pinv(pooled) @ difference))


def _check_option(value: Any, allowed: Sequence[Any], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}, got {value!r}")


def _check_probability(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"`{name}` must be a number, got {type(value).__name__}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"`{name}` must lie strictly between 0 and 1, got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------- per variable


@dataclass
class _Choice:
    summary: str
    note: str


def _choose_summary(
    variable: str,
    values: pd.Series,
    samples: list[pd.Series],
    requested: str | None,
    normality_alpha: float,
) -> _Choice:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if requested is not None:
        _check_option(requested, SUMMARIES, f"summary[{variable!r}]")
        if requested != "n_percent" and not numeric:
            raise TypeError(
                f"`summary`: {variable!r} is not numeric, so {requested!r} is impossible; "
                "use 'n_percent'"
            )
        return _Choice(requested, "summary as requested")
    if _is_binary(values):
        return _Choice("n_percent", "0/1 variable: n (%) of 1")
    _check_stray_codes(variable, values)
    if not numeric:
        return _Choice("n_percent", "categorical: n (%) per level")
    normal, rule = _normality(
        [sample.dropna().to_numpy(dtype=float) for sample in samples], normality_alpha
    )
    if normal:
        return _Choice("mean_sd", f"{rule} >= {normality_alpha}: mean (SD)")
    return _Choice("median_iqr", f"{rule}: median (IQR)")


def _continuous_test(
    test: str | None,
    choice: _Choice,
    samples: list[np.ndarray],
    t_test: str,
    levene_alpha: float,
) -> tuple[str, float, float, str]:
    first, second = samples
    if test is None:
        if choice.summary == "median_iqr":
            test = "mann_whitney"
        elif t_test == "auto":
            if min(first.size, second.size) < 2:
                test = "student_t"
            else:
                # Groups without spread make Levene's statistic 0/0; the NaN is handled below.
                with np.errstate(divide="ignore", invalid="ignore"):
                    levene = float(stats.levene(first, second, center="mean").pvalue)
                # Student unless Levene rejects equal variances (SPSS's two-row choice).
                test = "student_t" if math.isnan(levene) or levene >= levene_alpha else "welch_t"
        else:
            test = f"{t_test}_t"
    if min(first.size, second.size) < (1 if test == "mann_whitney" else 2):
        return test, math.nan, math.nan, "too few values in a group for the test"
    pooled = np.concatenate([first, second])
    if np.ptp(pooled) == 0:
        return test, math.nan, math.nan, "all values are equal: no test"
    if test == "mann_whitney":
        result = stats.mannwhitneyu(first, second, use_continuity=True, method="asymptotic")
    else:
        if first.var(ddof=1) == 0 and second.var(ddof=1) == 0:
            return test, math.nan, math.nan, "no spread within either group: no t-test"
        result = stats.ttest_ind(first, second, equal_var=test == "student_t")
    return test, float(result.statistic), float(result.pvalue), ""


def _categorical_test(
    test: str | None,
    counts: np.ndarray,
    yates: bool,
    fisher_expected: float,
    n_resamples: int,
    seed: int,
) -> tuple[str, float, float, str]:
    table = counts[counts.sum(axis=1) > 0]
    if table.shape[0] < 2 or np.any(table.sum(axis=0) == 0):
        return test or "chisq", math.nan, math.nan, "a single level or an empty group: no test"
    expected = stats.contingency.expected_freq(table)
    smallest = float(expected.min())
    two_by_two = table.shape == (2, 2)
    reason = ""
    if test is None:
        if smallest < fisher_expected:
            test = "fisher" if two_by_two else "fisher_simulated"
            reason = f"smallest expected count {smallest:.2f} < {fisher_expected:g}"
        else:
            test = "chisq_yates" if yates and two_by_two else "chisq"
    if test == "fisher" and not two_by_two:
        test = "fisher_simulated"
    if test in ("chisq", "chisq_yates"):
        result = stats.chi2_contingency(table, correction=test == "chisq_yates" and two_by_two)
        return test, float(result.statistic), float(result.pvalue), reason
    if test == "fisher":
        return test, math.nan, float(stats.fisher_exact(table).pvalue), reason
    method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
    result = stats.fisher_exact(table, method=method)
    reason = f"{reason}; " if reason else ""
    # scipy 1.17 returns a one-element array instead of a scalar for some r x 2 tables.
    p_value = float(np.asarray(result.pvalue).item())
    return (
        test,
        math.nan,
        p_value,
        f"{reason}Monte Carlo p from {n_resamples} tables (seed {seed})",
    )


# ----------------------------------------------------------------------------- public


def baseline_table(
    data: pd.DataFrame,
    group: str,
    *,
    variables: Sequence[str] | None = None,
    summary: Mapping[str, str] | None = None,
    tests: Literal["auto", "none"] | Mapping[str, str] = "auto",
    overall: bool = False,
    labels: Mapping[str, str] | None = None,
    group_order: Sequence[Any] | None = None,
    group_labels: Mapping[Any, str] | None = None,
    normality_alpha: float = 0.05,
    t_test: Literal["auto", "student", "welch"] = "auto",
    levene_alpha: float = 0.05,
    yates: bool = True,
    fisher_expected: float = 5.0,
    quantile_method: int = 7,
    n_resamples: int = 20000,
    seed: int = 20200701,
    source: str | Path | None = None,
) -> BaselineTable:
    """Summarise variables by a two-level group, with a test and an SMD for each variable.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    group : str
        Column with exactly two non-missing values (e.g. the 0/1 case indicator). Rows with
        it missing are left out and counted in ``n_missing_group``.
    variables : sequence of str, optional
        Columns to summarise, in display order; default every column except ``group``.
    summary : Mapping[str, str], optional
        Per-variable ``"mean_sd"``, ``"median_iqr"`` or ``"n_percent"``. Others are
        detected: 0/1, boolean and non-numeric columns give n (%); a numeric column gives
        mean (SD) when the Shapiro-Wilk test does not reject normality at
        ``normality_alpha`` in either group, median (IQR) otherwise (also when a group has
        fewer than 3 values or no spread).
    tests : "auto", "none" or Mapping[str, str], default "auto"
        ``"auto"``: mean (SD) -> Student t, or Welch t when Levene's test (mean-centred, as
        SPSS) rejects equal variances at ``levene_alpha`` (see ``t_test``); median (IQR) ->
        Mann-Whitney U (normal approximation with continuity and tie corrections); n (%) ->
        chi-square (Yates-corrected for a 2x2 table when ``yates``) or Fisher's exact test
        when any expected count is below ``fisher_expected`` (a Monte Carlo Fisher p-value
        for tables larger than 2x2). A mapping overrides the choice per variable with a name
        from :data:`TESTS`; ``"none"`` runs no test.
    overall : bool, default False
        Add an ``"overall"`` column (both groups together; no test).
    labels : Mapping[str, str], optional
        Display label per variable (default: the column name).
    group_order : sequence, optional
        The two group values in display order; default sorted.
    group_labels : Mapping, optional
        Name per group value used in the output (default: the value as text).
    normality_alpha, levene_alpha : float, default 0.05
        Levels of the Shapiro-Wilk and Levene decisions.
    t_test : {"auto", "student", "welch"}, default "auto"
        Which t-test for mean (SD) variables.
    yates : bool, default True
        Continuity correction for 2x2 chi-square tests (R's ``chisq.test`` default).
    fisher_expected : float, default 5
        Expected count below which Fisher's exact test replaces the chi-square test.
    quantile_method : int, default 7
        R ``quantile`` type (1-9, Hyndman and Fan 1996) for the median and quartiles: 7 is
        R's and numpy's default, 6 is what SPSS reports.
    n_resamples : int, default 20000
        Tables drawn for a Monte Carlo Fisher p-value.
    seed : int, default 20200701
        Seed of the ``numpy.random.Generator`` of the Monte Carlo Fisher test.
    source : str or pathlib.Path, optional
        The file ``data`` was read from; :meth:`BaselineTable.to_csv` will not write over it.

    Returns
    -------
    BaselineTable
        ``.tidy()`` columns: ``variable, label, summary, level, group, n, percent, mean, sd,
        median, q1, q3, n_missing, test, statistic, p_value, smd, note``.

    Notes
    -----
    Tests: ``scipy.stats.ttest_ind`` (R ``t.test(var.equal = TRUE/FALSE)``),
    ``scipy.stats.mannwhitneyu`` (R ``wilcox.test(exact = FALSE, correct = TRUE)``; the
    statistic is U of the first group, R's W), ``scipy.stats.chi2_contingency`` (R
    ``chisq.test``), ``scipy.stats.fisher_exact`` (R ``fisher.test``). The standardised mean
    difference follows R's tableone: ``|m1 - m2| / sqrt((s1^2 + s2^2) / 2)`` for numeric
    variables (also those shown as median (IQR)) and, for k levels with proportions p1, p2
    of the k - 1 non-reference levels, ``sqrt((p2 - p1)' S^+ (p2 - p1))`` with S the mean of
    the two multinomial covariance matrices (for a 0/1 variable this is ``|p1 - p2| /
    sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2)``). Percentages use the non-missing values of each
    group; missing values are counted per group in ``n_missing``.

    References
    ----------
    Hyndman RJ, Fan Y (1996) Am Stat 50:361-365. Yang D, Dalton JE (2012) SAS Global Forum
    paper 335. Austin PC (2009) Commun Stat Simul Comput 38:1228-1234. Levene H (1960) in
    Contributions to Probability and Statistics, 278-292.

    Examples
    --------
    >>> frame = pd.DataFrame({"case": [1, 1, 1, 0, 0, 0], "steroid": [1, 1, 0, 0, 0, 1],
    ...                       "weight": [2.1, 2.5, 2.3, 3.0, 3.2, 2.9]})
    >>> table = baseline_table(frame, "case", group_order=[1, 0],
    ...                        group_labels={1: "case", 0: "control"})
    >>> table.display()[["characteristic", "case", "control", "test"]]
      characteristic          case       control            test
    0        steroid     2 (66.7)      1 (33.3)    Fisher exact
    1         weight   2.30 ± 0.20   3.03 ± 0.15  Student t-test
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(group, str) or group not in data.columns:
        raise KeyError(f"`group`: column {group!r} is not in `data`")
    if variables is None:
        variables = [column for column in data.columns if column != group]
    elif isinstance(variables, str):
        raise TypeError("`variables` must be a sequence of column names, not a single string")
    variables = list(variables)
    unknown = [variable for variable in variables if variable not in data.columns]
    if unknown:
        raise KeyError(f"`variables`: {unknown} not in `data`")
    if group in variables:
        raise ValueError(f"`variables` must not include the grouping column {group!r}")
    if len(set(variables)) != len(variables):
        raise ValueError("`variables` lists a column more than once")
    if not variables:
        raise ValueError("`variables` is empty: name at least one column to summarise")
    summary = dict(summary or {})
    labels = dict(labels or {})
    for name, mapping in (("summary", summary), ("labels", labels)):
        extra = sorted(set(mapping) - set(variables))
        if extra:
            raise ValueError(f"`{name}` names {extra}, which are not among `variables`")
    if isinstance(tests, str):
        _check_option(tests, ("auto", "none"), "tests")
        test_overrides: dict[str, str] = {}
    elif isinstance(tests, Mapping):
        test_overrides = dict(tests)
        for variable, test in test_overrides.items():
            if variable not in variables:
                raise ValueError(f"`tests` names {variable!r}, which is not among `variables`")
            _check_option(test, TESTS, f"tests[{variable!r}]")
    else:
        raise TypeError(f"`tests` must be 'auto', 'none' or a mapping, got {type(tests).__name__}")
    _check_option(t_test, ("auto", "student", "welch"), "t_test")
    _check_option(quantile_method, tuple(QUANTILE_TYPES), "quantile_method")
    normality_alpha = _check_probability(normality_alpha, "normality_alpha")
    levene_alpha = _check_probability(levene_alpha, "levene_alpha")
    if isinstance(fisher_expected, bool) or not isinstance(fisher_expected, int | float):
        raise TypeError("`fisher_expected` must be a number")
    if fisher_expected < 0:
        raise ValueError(f"`fisher_expected` must be >= 0, got {fisher_expected!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise ValueError(f"`n_resamples` must be an integer >= 100, got {n_resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")

    present_groups = _levels(data[group])
    if group_order is None:
        group_order = present_groups
    group_order = list(group_order)
    if len(group_order) != 2 or len(present_groups) != 2:
        raise ValueError(
            f"`group`: column {group!r} must have exactly two values, found {present_groups}"
            + ("" if len(group_order) == 2 else f"; `group_order` lists {group_order}")
        )
    if set(group_order) != set(present_groups):
        raise ValueError(
            f"`group_order` {group_order} does not match the values of {group!r}: {present_groups}"
        )
    group_labels = dict(group_labels or {})
    names = [str(group_labels.get(value, _level_text(value))) for value in group_order]
    if len(set(names)) != 2 or set(names) & {_OVERALL, *_RESERVED}:
        raise ValueError(
            f"`group_labels`: group names {names} must be distinct and not one of "
            f"{(_OVERALL, *_RESERVED)}"
        )
    in_group = data[group].notna()
    n_missing_group = int((~in_group).sum())
    used = data[in_group]
    masks = [(used[group] == value).to_numpy() for value in group_order]
    shown_groups = [*names, _OVERALL] if overall else names
    group_n = {name: int(mask.sum()) for name, mask in zip(names, masks, strict=True)}
    if overall:
        group_n[_OVERALL] = len(used)

    records: list[dict[str, Any]] = []
    notes: list[str] = []
    if n_missing_group:
        notes.append(f"{n_missing_group} row(s) with missing {group!r} left out")
    for variable in variables:
        values = used[variable]
        if values.notna().sum() == 0:
            raise ValueError(f"`variables`: {variable!r} has no non-missing values; leave it out")
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any():
                bad_rows = [str(label) for label in values.index[infinite][:5]]
                raise ValueError(
                    f"`data`: column {variable!r} holds infinite values (row labels "
                    f"{', '.join(bad_rows)}); replace them with the true value or NaN (missing)"
                )
        if not (
            pd.api.types.is_numeric_dtype(values)
            or pd.api.types.is_bool_dtype(values)
            or pd.api.types.is_object_dtype(values)
            or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            raise TypeError(
                f"`variables`: {variable!r} has dtype {values.dtype}, which a baseline table "
                "cannot summarise; leave it out or convert it"
            )
        group_values = [values[mask] for mask in masks]
        start = len(records)
        choice = _choose_summary(
            variable, values, group_values, summary.get(variable), normality_alpha
        )
        parts = list(zip(names, group_values, strict=True))
        if overall:
            parts.append((_OVERALL, values))
        common = {
            "variable": variable,
            "label": labels.get(variable, variable),
            "summary": choice.summary,
        }
        override = test_overrides.get(variable)
        if override is not None:
            family = _CONTINUOUS_TESTS if choice.summary != "n_percent" else _CATEGORICAL_TESTS
            if override not in family:
                raise ValueError(
                    f"`tests`: {override!r} does not fit {variable!r} summarised as "
                    f"{choice.summary!r}; use one of {family}"
                )
        if choice.summary == "n_percent":
            binary = _is_binary(values)
            levels = [1] if binary else _levels(values)
            all_levels = [0, 1] if binary else levels
            counts = np.array(
                [[int((sample == level).sum()) for sample in group_values] for level in all_levels]
            )
            for name, sample in parts:
                present = sample.dropna()
                for level in levels:
                    count = int((present == level).sum())
                    records.append(
                        {
                            **common,
                            "level": "" if binary else _level_text(level),
                            "group": name,
                            "n": count,
                            "percent": 100.0 * count / len(present) if len(present) else math.nan,
                            "n_missing": int(sample.isna().sum()),
                        }
                    )
            smd = _categorical_smd(counts)
            if tests == "none":
                test, statistic, p_value, reason = "", math.nan, math.nan, ""
            else:
                test, statistic, p_value, reason = _categorical_test(
                    override, counts, yates, float(fisher_expected), n_resamples, seed
                )
        else:
            arrays = [sample.dropna().to_numpy(dtype=float) for sample in group_values]
            for name, sample in parts:
                present = sample.dropna().to_numpy(dtype=float)
                record = {
                    **common,
                    "level": "",
                    "group": name,
                    "n": int(present.size),
                    "n_missing": int(sample.isna().sum()),
                }
                if present.size:
                    median, q1, q3 = _quantiles(present, quantile_method)
                    record.update(
                        mean=float(present.mean()),
                        sd=float(present.std(ddof=1)) if present.size > 1 else math.nan,
                        median=median,
                        q1=q1,
                        q3=q3,
                    )
                records.append(record)
            smd = _continuous_smd(arrays[0], arrays[1])
            if tests == "none":
                test, statistic, p_value, reason = "", math.nan, math.nan, ""
            else:
                test, statistic, p_value, reason = _continuous_test(
                    override, choice, arrays, t_test, levene_alpha
                )
        note = "; ".join(part for part in (choice.note, reason) if part)
        if reason and math.isnan(p_value):
            notes.append(f"{variable}: {reason}")
        for record in records[start:]:
            on_overall = record["group"] == _OVERALL
            record.update(
                test="" if on_overall else test,
                statistic=math.nan if on_overall else statistic,
                p_value=math.nan if on_overall else p_value,
                smd=math.nan if on_overall else smd,
                note=note,
            )
    rows = pd.DataFrame.from_records(records, columns=_TIDY_COLUMNS)
    rows["n"] = rows["n"].astype("int64")
    rows["n_missing"] = rows["n_missing"].astype("int64")
    for column in ("percent", "mean", "sd", "median", "q1", "q3", "statistic", "p_value", "smd"):
        rows[column] = rows[column].astype("float64")
    return BaselineTable(
        rows=rows,
        group=group,
        groups=tuple(shown_groups),
        group_n=MappingProxyType(group_n),
        n_missing_group=n_missing_group,
        quantile_type=quantile_method,
        notes=tuple(notes),
        source=None if source is None else Path(source),
    )
