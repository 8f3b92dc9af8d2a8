"""Phrases the manuscript text quotes: p-values, odds ratios and lists of variables.

Every helper returns plain text built from :mod:`neok2.formatting`, so a number reads the same
in a sentence as in a table. Plain text becomes markdown only through :func:`escape_markdown`
(defined in :mod:`neok2.report.escape`, re-exported here), applied once where it meets
markdown: :meth:`neok2.report.results.Results.display` for the values the manuscript quotes,
and the sections that write markdown texts for everything they put in them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

from neok2.formatting import format_ci, format_odds_ratio, format_p, odds_ratio_digits
from neok2.report.escape import code_span, escape_markdown

__all__ = [
    "CHECK_FAMILIES",
    "code_span",
    "escape_markdown",
    "humanize",
    "in_prose",
    "list_phrase",
    "or_phrase",
    "p_phrase",
    "printed_p_phrase",
    "prose_list",
]

# Capitalised words that stay capitalised inside a sentence.
_PROPER_NOUNS = frozenset({"Apgar"})


def p_phrase(p_value: float) -> str:
    """A computed p-value as a phrase.

    Examples
    --------
    >>> p_phrase(0.0123), p_phrase(0.00001)
    ('p = 0.012', 'p < 0.001')
    """
    text = format_p(p_value)
    if text[0] in "<>":
        return f"p {text[0]} {text[1:]}"
    return f"p = {text}"


def printed_p_phrase(printed: str) -> str:
    """A p-value quoted from the paper; a printed zero is flagged, not silently restated.

    Examples
    --------
    >>> printed_p_phrase("0.000"), printed_p_phrase("0.01"), printed_p_phrase("<0.001")
    ('p printed as 0.000', 'p = 0.01', 'p < 0.001')
    """
    text = printed.strip()
    if re.fullmatch(r"0*\.?0+", text):
        return f"p printed as {text}"
    if text[:1] in "<>":
        return f"p {text[0]} {text[1:].strip()}"
    return f"p = {text}"


def or_phrase(odds_ratio: float, low: float, high: float, p_value: float | None) -> str:
    """``OR x (95% CI a-b; p ...)``; the p-value part is left out when it is missing.

    Examples
    --------
    >>> or_phrase(7.0, 1.940242, 25.254586, 0.0029546)
    'OR 7.00 (95% CI 1.94-25.25; p = 0.003)'
    >>> or_phrase(2.0, 1.0, 4.0, None)
    'OR 2.00 (95% CI 1.00-4.00)'
    """
    digits = odds_ratio_digits(odds_ratio, low, high)
    text = f"OR {format_odds_ratio(odds_ratio, digits)} (95% CI {format_ci(low, high, digits)}"
    if p_value is not None and not math.isnan(p_value):
        text += f"; {p_phrase(p_value)}"
    return text + ")"


def list_phrase(items: Sequence[str]) -> str:
    """``a, b and c``; ``none`` for an empty list.

    Examples
    --------
    >>> list_phrase([]), list_phrase(["a"]), list_phrase(["a", "b", "c"])
    ('none', 'a', 'a, b and c')
    """
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def in_prose(label: str) -> str:
    """A table label as it reads inside a sentence: "Antenatal steroid" -> "antenatal steroid".

    Acronyms (SGA, PROM, PT) and proper nouns (Apgar) keep their capitals.

    Examples
    --------
    >>> in_prose("Antenatal steroid"), in_prose("SGA"), in_prose("Apgar score at 1 min")
    ('antenatal steroid', 'SGA', 'Apgar score at 1 min')
    """
    first = re.match(r"[A-Z][a-z]+(?![A-Za-z])", label)
    if first is not None and first.group() not in _PROPER_NOUNS:
        return label[0].lower() + label[1:]
    return label


def prose_list(variables: Iterable[str], labels: Mapping[str, str]) -> str:
    """Variables by their labels, as a list inside a sentence.

    Examples
    --------
    >>> prose_list(["male", "sga"], {"male": "Gender male", "sga": "SGA"})
    'gender male and SGA'
    """
    return list_phrase([in_prose(labels.get(v, v)) for v in variables])


CHECK_FAMILIES: Mapping[str, str] = {
    "percent": "Percentages against their counts",
    "text_claim": "Figures in the text against Table 1",
    "or_from_counts": "Odds ratios against the Table 1 counts",
    "ci_symmetry": "Confidence intervals: symmetry on the log scale",
    "ci_p": "Confidence intervals against p-values",
    "table1_p": "Table 1 p-values against their summaries",
    "sd_or_sem": "Spreads: standard deviation or standard error",
    "direction": "Direction of effects",
    "reporting": "Reporting",
    "totals": "Totals",
    "bin_means": "Banded counts against means",
    "screening": "The univariable screen",
}
"""Headings for the audit's check families (their identifiers never reach the page)."""


def humanize(text: str, labels: Mapping[str, str], names: Mapping[str, str] | None = None) -> str:
    """Replace identifiers in a generated message by what a reader understands.

    Variable names become their labels (as inside a sentence), other ``names`` (a text
    claim's key, say) their given phrase, and over-precise percentages ("43.284%") one decimal.

    Examples
    --------
    >>> humanize("The text states 17 for sga, but ga_weeks < 28 gives 43.284%.",
    ...          {"sga": "SGA", "ga_weeks": "Gestational age (week)"})
    'The text states 17 for SGA, but gestational age (week) < 28 gives 43.3%.'
    >>> humanize("Caesarean section", {"caesarean": "Caesarean section"})
    'Caesarean section'
    """
    # only names that cannot be ordinary words: "caesarean" stays, "sga" and "ga_weeks" go
    replacements = {
        key: in_prose(value)
        for key, value in labels.items()
        if re.search(r"[_0-9]", key) or value.lower() == key.lower()
    }
    replacements.update(names or {})
    if replacements:
        pattern = re.compile(
            r"(?<![A-Za-z0-9_])("
            + "|".join(re.escape(key) for key in sorted(replacements, key=len, reverse=True))
            + r")(?![A-Za-z0-9_])"
        )
        text = pattern.sub(lambda match: replacements[match.group(1)], text)

    def one_decimal(match: re.Match[str]) -> str:
        value = float(match.group(1))
        shown = f"{value:.1f}"
        return (shown[:-2] if shown.endswith(".0") else shown) + "%"

    return re.sub(r"(\d+\.\d{2,})%", one_decimal, text)
