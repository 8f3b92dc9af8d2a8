"""The two-group tests behind Table 1 p-values: one named entry per test, used everywhere.

The baseline table (:func:`neok2.stats.baseline.baseline_table`), the synthetic cohort's
Table 1 p-values, the rebuild of a paper's tables and the audit of its printed p-values all
compute a Table 1 p through :data:`TWO_GROUP_TESTS`, so that a name such as ``"chisq"``
means the same computation in each of them. :func:`printed_test` reads the test a paper
names in its Table 1 (``"chi-square"``, ``"t-test"``) -- or the entry a study spec declares
for that name under ``design.tests`` -- as registry entries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from scipy import stats

from neok2.stats.printed import t_test_p

__all__ = [
    "TWO_GROUP_TESTS",
    "TestResult",
    "TwoGroupTest",
    "binary_table",
    "printed_test",
    "two_group_test",
]


@dataclass(frozen=True)
class TestResult:
    """A test statistic (NaN when the test has none, as Fisher's), its two-sided p, and a
    note naming how the p was computed when the test has more than one way (``"exact p"``).
    """

    statistic: float
    p_value: float
    note: str = ""


def _chisq(table: np.ndarray, *, correction: bool) -> TestResult:
    # scipy applies Yates's correction only to tables with one degree of freedom, as R does.
    result = stats.chi2_contingency(table, correction=correction)
    return TestResult(float(result.statistic), float(result.pvalue))


def _fisher(table: np.ndarray) -> TestResult:
    """Fisher's exact test; for r x c tables by network enumeration, as R's fisher.test."""
    if table.shape == (2, 2):
        return TestResult(math.nan, float(stats.fisher_exact(table).pvalue))
    from neok2.stats.fisher_exact import fisher_exact_rxc

    p_value = fisher_exact_rxc(table)
    if p_value is None:
        raise ValueError(
            f"the {table.shape[0]} x {table.shape[1]} table is too large for exact "
            "enumeration; use the 'fisher_simulated' test"
        )
    return TestResult(math.nan, float(p_value))


def _fisher_simulated(table: np.ndarray, *, n_resamples: int, seed: int) -> TestResult:
    method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
    result = stats.fisher_exact(table, method=method)
    # scipy 1.17 returns a one-element array instead of a scalar for some r x 2 tables.
    return TestResult(math.nan, float(np.asarray(result.pvalue).item()))


def _t_test(first: np.ndarray, second: np.ndarray, *, equal_var: bool) -> TestResult:
    result = stats.ttest_ind(first, second, equal_var=equal_var)
    return TestResult(float(result.statistic), float(result.pvalue))


def _mann_whitney(
    first: np.ndarray, second: np.ndarray, *, continuity: bool, exact_when_small: bool = False
) -> TestResult:
    if exact_when_small:
        pooled = np.concatenate([first, second])
        if np.unique(pooled).size == pooled.size and max(first.size, second.size) < 50:
            # R's wilcox.test: the exact distribution for small samples without ties
            exact = stats.mannwhitneyu(first, second, alternative="two-sided", method="exact")
            return TestResult(float(exact.statistic), float(exact.pvalue), "exact p")
    result = stats.mannwhitneyu(
        first, second, alternative="two-sided", use_continuity=continuity, method="asymptotic"
    )
    return TestResult(float(result.statistic), float(result.pvalue))


@dataclass(frozen=True)
class TwoGroupTest:
    """One two-group test of the registry.

    Attributes
    ----------
    name : str
        Registry key (``"chisq"``, ``"student_t"``, ...).
    label : str
        Name for tables (``"Chi-square (Yates)"``).
    short : str
        Name in the audit's messages (``"Pearson"``, ``"Yates"``, ``"Welch"``).
    kind : {"categorical", "continuous"}
        Categorical tests take a table of counts (levels x groups, either orientation);
        continuous tests take the two groups' values.
    r_equivalent : str
        The R call giving the same p-value.
    compute : callable
        ``compute(table, **options)`` or ``compute(first, second)``, returning a
        :class:`TestResult`.
    from_printed : bool
        Whether the test can be recomputed from a printed Table 1 row (counts, or means and
        SDs), as the audit does.
    equal_var : bool or None
        For t-tests, whether the variances are pooled; :meth:`on_summaries` needs it.
    options : tuple of str
        Keyword options ``compute`` requires (``n_resamples`` and ``seed`` of the Monte Carlo
        Fisher test).
    """

    name: str
    label: str
    short: str
    kind: Literal["categorical", "continuous"]
    r_equivalent: str
    compute: Callable[..., TestResult]
    from_printed: bool = False
    equal_var: bool | None = None
    options: tuple[str, ...] = ()

    def on_table(self, table: np.ndarray | list[list[int]], **options: Any) -> TestResult:
        """Run a categorical test on a table of counts.

        Examples
        --------
        >>> round(TWO_GROUP_TESTS["chisq"].on_table([[25, 13], [41, 121]]).p_value, 8)
        2e-06
        """
        if self.kind != "categorical":
            raise ValueError(f"{self.name!r} is a test of values, not of a table of counts")
        unexpected = set(options) - set(self.options)
        missing = set(self.options) - set(options)
        if unexpected or missing:
            raise TypeError(
                f"the {self.name!r} test takes the options {list(self.options)}, got "
                f"{sorted(options)}"
            )
        return self.compute(np.asarray(table), **options)

    def on_samples(self, first: np.ndarray, second: np.ndarray, **options: Any) -> TestResult:
        """Run the test on two groups' values; 0/1 values for a categorical test.

        A categorical test counts the ones and zeros of each group into the table
        ``[[ones_first, zeros_first], [ones_second, zeros_second]]``.

        Examples
        --------
        >>> test = TWO_GROUP_TESTS["student_t"]
        >>> round(test.on_samples(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])).p_value, 4)
        0.1963
        """
        first, second = np.asarray(first), np.asarray(second)
        if self.kind == "categorical":
            return self.on_table(binary_table(first, second), **options)
        return self.compute(first, second)

    def on_summaries(
        self,
        mean_first: float,
        sd_first: float,
        n_first: int,
        mean_second: float,
        sd_second: float,
        n_second: int,
    ) -> float:
        """p of a t-test from printed means, SDs and group sizes.

        Examples
        --------
        >>> test = TWO_GROUP_TESTS["welch_t"]
        >>> round(test.on_summaries(2.0, 1.0, 3, 4.0, 2.0, 3), 4)
        0.2209
        """
        if self.equal_var is None:
            raise ValueError(f"{self.name!r} cannot be recomputed from means and SDs")
        return t_test_p(
            mean_first,
            sd_first,
            n_first,
            mean_second,
            sd_second,
            n_second,
            equal_var=self.equal_var,
        )


def binary_table(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``[[ones, zeros] of first, [ones, zeros] of second]`` from two 0/1 arrays."""
    return np.array(
        [[np.sum(first == 1), np.sum(first == 0)], [np.sum(second == 1), np.sum(second == 0)]]
    )


_ENTRIES = (
    TwoGroupTest(
        "chisq",
        "Chi-square",
        "Pearson",
        "categorical",
        "chisq.test(correct = FALSE)",
        partial(_chisq, correction=False),
        from_printed=True,
    ),
    TwoGroupTest(
        "chisq_yates",
        "Chi-square (Yates)",
        "Yates",
        "categorical",
        "chisq.test(correct = TRUE)",
        partial(_chisq, correction=True),
        from_printed=True,
    ),
    TwoGroupTest(
        "fisher", "Fisher exact", "Fisher", "categorical", "fisher.test", _fisher, from_printed=True
    ),
    TwoGroupTest(
        "fisher_simulated",
        "Fisher exact (simulated p)",
        "Fisher (simulated)",
        "categorical",
        "fisher.test(simulate.p.value = TRUE)",
        _fisher_simulated,
        options=("n_resamples", "seed"),
    ),
    TwoGroupTest(
        "student_t",
        "Student t-test",
        "Student",
        "continuous",
        "t.test(var.equal = TRUE)",
        partial(_t_test, equal_var=True),
        from_printed=True,
        equal_var=True,
    ),
    TwoGroupTest(
        "welch_t",
        "Welch t-test",
        "Welch",
        "continuous",
        "t.test(var.equal = FALSE)",
        partial(_t_test, equal_var=False),
        from_printed=True,
        equal_var=False,
    ),
    TwoGroupTest(
        "mann_whitney",
        "Mann-Whitney U",
        "Mann-Whitney",
        "continuous",
        "wilcox.test() (exact p for n < 50 without ties, else correct = TRUE)",
        partial(_mann_whitney, continuity=True, exact_when_small=True),
    ),
    TwoGroupTest(
        "mann_whitney_uncorrected",
        "Mann-Whitney U (no continuity correction)",
        "Mann-Whitney (uncorrected)",
        "continuous",
        "wilcox.test(exact = FALSE, correct = FALSE)",
        partial(_mann_whitney, continuity=False),
    ),
)

#: Every two-group test by name, in the order the audit tries them.
TWO_GROUP_TESTS: Mapping[str, TwoGroupTest] = MappingProxyType(
    {test.name: test for test in _ENTRIES}
)

# Readings of a test name printed without qualification: the first is computed (by the
# rebuild and the synthetic cohort), the others are also accepted by the audit. A plain
# "chi-square" may or may not carry Yates's correction (R adds it by default, SPSS prints
# Pearson first); a plain "t-test" may pool the variances or not; a plain "Mann-Whitney" is
# read as SPSS's asymptotic p, without continuity correction.
_DEFAULTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "n_percent": ("chisq", "chisq_yates"),
        "mean_sd": ("student_t", "welch_t"),
        "median_iqr": ("mann_whitney_uncorrected", "mann_whitney"),
        # A table of several levels: Yates's correction does not apply beyond one df.
        "categorical": ("chisq",),
        "ordinal": ("chisq",),
    }
)
_COUNT_SUMMARIES = ("n_percent", "categorical", "ordinal")
_KEYWORDS = (
    ("fisher", ("fisher",)),
    ("yates", ("chisq_yates",)),
    ("pearson", ("chisq",)),
    ("welch", ("welch_t",)),
    ("student", ("student_t",)),
)


def two_group_test(name: str) -> TwoGroupTest:
    """The registry entry called ``name``.

    Examples
    --------
    >>> two_group_test("chisq_yates").r_equivalent
    'chisq.test(correct = TRUE)'
    """
    try:
        return TWO_GROUP_TESTS[name]
    except KeyError:
        raise ValueError(
            f"unknown two-group test {name!r}; choose one of {list(TWO_GROUP_TESTS)}"
        ) from None


def printed_test(
    label: str, summary: str, *, declared: Mapping[str, str] | None = None
) -> tuple[TwoGroupTest, ...]:
    """The registry tests a Table 1 test name can stand for, the one to compute first.

    Parameters
    ----------
    label : str
        The test as the paper names it (``"chi-square"``, ``"t-test"``, ``"Fisher"``, or
        ``""`` when the paper does not say).
    summary : {"n_percent", "mean_sd", "median_iqr", "categorical", "ordinal"}
        How the row is summarised; categorical and ordinal rows are tested on their levels x
        groups table of counts.
    declared : mapping, optional
        A study spec's ``design.tests``: printed name -> registry name, saying which test the
        paper used (matched without regard to case). A declared name gives one reading.

    Returns
    -------
    tuple of TwoGroupTest
        One entry when the name (or the declaration) is specific; otherwise the usual
        readings of an unqualified name for that summary, the computed one first.

    Examples
    --------
    >>> [test.name for test in printed_test("chi-square", "n_percent")]
    ['chisq', 'chisq_yates']
    >>> [t.name for t in printed_test("chi-square", "n_percent", declared={"Chi-square": "chisq"})]
    ['chisq']
    >>> [test.name for test in printed_test("Fisher's exact test", "n_percent")]
    ['fisher']
    >>> [test.name for test in printed_test("chi-square", "categorical")]
    ['chisq']
    """
    if summary not in _DEFAULTS:
        raise ValueError(f"`summary` must be one of {list(_DEFAULTS)}, got {summary!r}")
    key = label.strip().lower()
    for printed, name in (declared or {}).items():
        if printed.strip().lower() == key:
            if name not in TWO_GROUP_TESTS:
                raise ValueError(
                    f"design.tests[{printed!r}]: unknown two-group test {name!r}; choose one "
                    f"of {list(TWO_GROUP_TESTS)}"
                )
            if TWO_GROUP_TESTS[name].options:
                raise ValueError(
                    f"design.tests[{printed!r}]: {name!r} needs the options "
                    f"{list(TWO_GROUP_TESTS[name].options)} and cannot stand for a printed test"
                )
            return (TWO_GROUP_TESTS[name],)
    kind = "categorical" if summary in _COUNT_SUMMARIES else "continuous"
    for keyword, names in _KEYWORDS:
        if keyword in key and TWO_GROUP_TESTS[names[0]].kind == kind:
            return tuple(TWO_GROUP_TESTS[name] for name in names)
    return tuple(TWO_GROUP_TESTS[name] for name in _DEFAULTS[summary])
