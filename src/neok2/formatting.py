"""The one formatting layer: every rounding and every displayed number goes through here.

Statistics modules return unrounded floats; tables, the CLI and the manuscript call these
functions to turn them into text. Parsing of printed cells ("42 (63.6)", "35.1±3.27",
"10 (9, 10)", "1.586-6.263") lives here too, so that printed precision is read in one place.
"""

from __future__ import annotations

import decimal
import math
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "STYLES",
    "JournalStyle",
    "PrintedCell",
    "covers_p",
    "decimal_places",
    "decimals_carried",
    "format_ci",
    "format_count_share",
    "format_mean_sd",
    "format_median_iqr",
    "format_n_percent",
    "format_number",
    "format_odds_ratio",
    "format_or_ci",
    "format_p",
    "format_percent",
    "format_summary_number",
    "format_truncated",
    "journal_style",
    "matches_printed",
    "odds_ratio_digits",
    "parse_cell",
    "parse_interval",
    "parse_number",
    "rounds_to_printed",
]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"


def _wide_context(digits: int) -> decimal.Context:
    # The default 28 significant digits cannot hold a large float to `digits` places
    # (quantize raises InvalidOperation from 1e28 up); 309 integer digits cover any float.
    return decimal.Context(prec=310 + digits)


def _printed_text(printed: object) -> str:
    if not isinstance(printed, str):
        raise TypeError(f"a printed number must be a string, got {type(printed).__name__}")
    return printed.strip()


def _check_digits(digits: int, name: str = "digits") -> None:
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 0:
        raise ValueError(f"`{name}` must be a non-negative integer, got {digits!r}")


def format_number(value: float | None, digits: int = 2) -> str:
    """Round half away from zero to ``digits`` places and keep trailing zeros.

    Parameters
    ----------
    value : float or None
        The number; ``None`` or NaN gives ``"NA"``, an infinite value ``"Inf"``/``"-Inf"``.
    digits : int, default 2
        Decimal places.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(2.675, 2)
    '2.68'
    >>> format_number(3.0, 1)
    '3.0'
    >>> format_number(float("nan"))
    'NA'
    """
    _check_digits(digits)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    value = float(value)
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    # Decimal rounding of the shortest repr avoids 2.675 -> 2.67 binary artefacts.
    from decimal import ROUND_HALF_UP, Decimal

    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(value)).quantize(
        quantum, rounding=ROUND_HALF_UP, context=_wide_context(digits)
    )
    text = f"{rounded:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(rounded) == 0 else text


def format_p(p: float | None, digits: int = 3, *, threshold: float | None = None) -> str:
    """Display a p-value; values below the smallest printable value show as ``"<0.001"``.

    A p-value is never printed as ``0.000``.

    Parameters
    ----------
    p : float or None
        The p-value, in [0, 1].
    digits : int, default 3
        Decimal places.
    threshold : float, optional
        Smallest value printed as a number; defaults to ``10**-digits``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_p(0.00004)
    '<0.001'
    >>> format_p(0.0123)
    '0.012'
    >>> format_p(0.9999)
    '>0.999'
    """
    _check_digits(digits)
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"`p` must lie in [0, 1], got {p!r}")
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 < threshold <= 1.0
    ):
        raise ValueError(f"`threshold` must be a number in (0, 1], got {threshold!r}")
    smallest = 10.0**-digits if threshold is None else threshold
    if p < smallest:
        return f"<{format_number(smallest, digits)}"
    text = format_number(p, digits)
    if float(text) >= 1.0 and p < 1.0:
        return f">{format_number(1 - 10.0**-digits, digits)}"
    return text


def format_odds_ratio(odds_ratio: float | None, digits: int = 2) -> str:
    """Display an odds ratio; a divergent (infinite or missing) estimate shows as ``"NA"``.

    Examples
    --------
    >>> format_odds_ratio(5.6747)
    '5.67'
    >>> format_odds_ratio(float("inf"))
    'NA'
    """
    if odds_ratio is None or not math.isfinite(float(odds_ratio)):
        return "NA"
    return format_number(odds_ratio, digits)


def format_ci(low: float | None, high: float | None, digits: int = 2, sep: str = "-") -> str:
    """Display a confidence interval as ``"low-high"``.

    Examples
    --------
    >>> format_ci(2.6588, 12.1123)
    '2.66-12.11'
    >>> format_ci(0.5, float("inf"))
    '0.50-NA'
    """
    return f"{format_odds_ratio(low, digits)}{sep}{format_odds_ratio(high, digits)}"


MAX_ODDS_RATIO_DIGITS = 4


def _one_step_from_one(text: str, digits: int) -> bool:
    return text not in {"NA", "Inf", "-Inf"} and abs(float(text) - 1.0) <= 1.5 * 10.0**-digits


def _informative(odds_ratio: float, low: float, high: float, digits: int) -> bool:
    shown = [format_odds_ratio(v, digits) for v in (odds_ratio, low, high)]
    if shown[1] == shown[2] or float(shown[1]) == 0.0:
        return False
    # an estimate strictly inside its interval prints apart from both limits
    if low < odds_ratio < high and shown[0] in (shown[1], shown[2]):
        return False
    # a limit one step or less from 1 hides how close the interval comes to 1 (and, at 1.00,
    # on which side of 1 it lies)
    return not any(_one_step_from_one(text, digits) for text in shown[1:])


def odds_ratio_digits(
    odds_ratio: float | None,
    low: float | None,
    high: float | None,
    *,
    printed: str | None = None,
    digits: int = 2,
) -> int:
    """Decimals of an odds ratio and its interval: two unless two lose the information.

    Two decimals are kept when the limits print apart from each other and from the
    estimate, and neither limit prints within one step of 1 (0.99, 1.00 or 1.01 at two
    decimals): a per-unit odds ratio of a continuous factor such as 0.986 (0.974-0.998)
    would otherwise read 0.99 (0.97-1.00), hiding that the interval excludes 1. Such a row
    gets the decimals of the published value ``printed`` beside it when there is one, and
    otherwise the fewest, at most four, that make it informative.

    Parameters
    ----------
    odds_ratio, low, high : float or None
        The estimate and its interval; a missing or infinite one keeps ``digits``.
    printed : str, optional
        The published odds ratio of the same row, as printed ("0.986", or a whole
        "0.986 (0.974-0.998)" cell); its decimals are used when more than ``digits`` are
        needed.
    digits : int, default 2
        Decimals of an informative odds ratio.

    Examples
    --------
    >>> odds_ratio_digits(3.151, 1.586, 6.263)
    2
    >>> odds_ratio_digits(0.9866, 0.9757, 0.9976)
    3
    >>> odds_ratio_digits(0.9866, 0.9757, 0.9976, printed="0.9866 (0.9757-0.9976)")
    4
    >>> odds_ratio_digits(0.9996, 0.99932, 0.99988)
    4
    """
    _check_digits(digits)
    values = [odds_ratio, low, high]
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return digits
    estimate, lower, upper = (float(v) for v in values)  # type: ignore[arg-type]
    if _informative(estimate, lower, upper, digits):
        return digits
    needed = digits + 1
    while needed < MAX_ODDS_RATIO_DIGITS and not _informative(estimate, lower, upper, needed):
        needed += 1
    if printed is not None:
        first = re.match(rf"\s*({_NUMBER})", str(printed))
        if first is not None:
            needed = max(needed, min(decimal_places(first.group(1)), MAX_ODDS_RATIO_DIGITS))
    return needed


def format_or_ci(
    odds_ratio: float | None,
    low: float | None,
    high: float | None,
    *,
    printed: str | None = None,
    digits: int | None = None,
    sep: str = "-",
) -> str:
    """Display ``"OR (low-high)"`` at the decimals of :func:`odds_ratio_digits`.

    Parameters
    ----------
    odds_ratio, low, high : float or None
    printed : str, optional
        The published odds ratio beside this one (see :func:`odds_ratio_digits`).
    digits : int, optional
        Fixed decimals instead of the rule.
    sep : str, default "-"
        Between the limits.

    Examples
    --------
    >>> format_or_ci(3.151, 1.586, 6.263)
    '3.15 (1.59-6.26)'
    >>> format_or_ci(0.9866, 0.9757, 0.9976)
    '0.987 (0.976-0.998)'
    >>> format_or_ci(0.948, 0.8926, 1.0058, printed="0.950")
    '0.948 (0.893-1.006)'
    """
    if digits is None:
        digits = odds_ratio_digits(odds_ratio, low, high, printed=printed)
    return f"{format_odds_ratio(odds_ratio, digits)} ({format_ci(low, high, digits, sep)})"


def format_n_percent(
    n: int, total: int, digits: int = 1, *, style: str | JournalStyle | None = None
) -> str:
    """Display a count with its percentage of ``total`` as ``"n (pct)"``.

    Without ``style`` the percentage keeps ``digits`` decimals, except that 100% prints as
    "100"; with a journal ``style`` it follows :func:`format_percent`.

    Examples
    --------
    >>> format_n_percent(50, 66)
    '50 (75.8)'
    >>> format_n_percent(66, 66)
    '66 (100)'
    >>> format_n_percent(50, 66, style="ama"), format_n_percent(58, 134, style="ama")
    ('50 (76)', '58 (43.3)')
    >>> format_n_percent(0, 0)
    '0 (NA)'
    """
    for name, value in (("n", n), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int | float | numbers.Integral):
            raise TypeError(f"`{name}` must be a whole-number count, got {type(value).__name__}")
        if not (math.isfinite(value) and float(value).is_integer()):
            raise ValueError(f"`{name}` must be a whole number, got {value!r}")
    if total < 0 or n < 0:
        raise ValueError(f"`n` and `total` must be non-negative, got n={n}, total={total}")
    if n > total:
        raise ValueError(f"`n` ({n}) cannot exceed `total` ({total}) in an n (%) cell")
    pct = None if total == 0 else 100.0 * n / total
    if style is not None:
        return f"{int(n)} ({format_percent(pct, total, style=style)})"
    text = format_number(pct, digits)
    return f"{int(n)} ({'100' if total and n == total else text})"


def format_mean_sd(mean: float, sd: float, digits: int = 2) -> str:
    """Display ``"mean ± sd"``.

    Examples
    --------
    >>> format_mean_sd(35.123, 3.2712)
    '35.12 ± 3.27'
    """
    return f"{format_number(mean, digits)} ± {format_number(sd, digits)}"


def format_median_iqr(
    median: float, q1: float, q3: float, digits: int = 2, *, integer: bool | None = None
) -> str:
    """Display ``"median (q1, q3)"``; scores on an integer scale print as integers.

    Parameters
    ----------
    median, q1, q3 : float
    digits : int, default 2
        Decimals of a continuous measurement.
    integer : bool, optional
        Whether the values are on an integer scale (an Apgar score); by default, when all
        three are whole numbers or halves.

    Examples
    --------
    >>> format_median_iqr(10, 9, 10)
    '10 (9, 10)'
    >>> format_median_iqr(9.5, 9, 10)
    '9.5 (9, 10)'
    >>> format_median_iqr(1.574, 1.25, 1.98)
    '1.57 (1.25, 1.98)'
    """
    values = (median, q1, q3)
    if integer is None:
        integer = all(
            v is not None and math.isfinite(float(v)) and (2 * float(v)).is_integer()
            for v in values
        )
    shown = [format_summary_number(v, digits, integer=integer) for v in values]
    return f"{shown[0]} ({shown[1]}, {shown[2]})"


# ----------------------------------------------------------------------------- parsing


def decimal_places(printed: str) -> int:
    """Number of decimal places shown in a printed number.

    Examples
    --------
    >>> decimal_places("4.47")
    2
    >>> decimal_places("35")
    0
    """
    text = _printed_text(printed)
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(f"not a printed number: {printed!r}")
    return len(text.split(".", 1)[1]) if "." in text else 0


def parse_number(printed: str) -> float:
    """Read a printed number.

    Examples
    --------
    >>> parse_number(" 7.5")
    7.5
    """
    text = _printed_text(printed)
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(f"not a printed number: {printed!r}")
    return float(text)


@dataclass(frozen=True)
class PrintedCell:
    """A table cell read from its printed form.

    ``kind`` is ``"n_percent"``, ``"mean_sd"`` or ``"median_iqr"``; ``values`` holds the
    numbers in printed order and ``decimals`` their printed decimal places.
    """

    kind: str
    printed: str
    values: tuple[float, ...]
    decimals: tuple[int, ...]


_CELL_PATTERNS = {
    "n_percent": re.compile(rf"^\s*({_NUMBER})\s*\(\s*({_NUMBER})\s*%?\s*\)\s*$"),
    "mean_sd": re.compile(rf"^\s*({_NUMBER})\s*(?:±|\+/-|\+-)\s*({_NUMBER})\s*$"),
    "median_iqr": re.compile(
        rf"^\s*({_NUMBER})\s*[\(\[]\s*({_NUMBER})\s*(?:,|-|–|to)\s*({_NUMBER})\s*[\)\]]\s*$"
    ),
}


def parse_cell(printed: str, kind: str) -> PrintedCell:
    """Parse a printed table cell of the given kind.

    Parameters
    ----------
    printed : str
        The cell as printed: ``"42 (63.6)"``, ``"35.1±3.27"`` or ``"10 (9, 10)"``.
    kind : {"n_percent", "mean_sd", "median_iqr"}
        What the cell summarises.

    Returns
    -------
    PrintedCell

    Examples
    --------
    >>> parse_cell("6 (4.47)", "n_percent").values
    (6.0, 4.47)
    >>> parse_cell("0.05±0.025", "mean_sd").decimals
    (2, 3)
    >>> parse_cell("1.57 (1.25, 1.98)", "median_iqr").values
    (1.57, 1.25, 1.98)
    """
    if kind not in _CELL_PATTERNS:
        raise ValueError(f"`kind` must be one of {sorted(_CELL_PATTERNS)}, got {kind!r}")
    if not isinstance(printed, str):
        raise TypeError(f"a printed cell must be a string, got {type(printed).__name__}")
    match = _CELL_PATTERNS[kind].match(printed)
    if match is None:
        examples = {"n_percent": "42 (63.6)", "mean_sd": "35.1±3.27", "median_iqr": "10 (9, 10)"}
        raise ValueError(
            f"cannot read {printed!r} as {kind}; expected a form like {examples[kind]!r}"
        )
    parts = match.groups()
    return PrintedCell(
        kind=kind,
        printed=printed,
        values=tuple(float(p) for p in parts),
        decimals=tuple(decimal_places(p) for p in parts),
    )


def parse_interval(printed: str) -> tuple[float, float]:
    """Read a printed interval ``"low-high"`` (also en dash, comma or "to" separated).

    Examples
    --------
    >>> parse_interval("1.586-6.263")
    (1.586, 6.263)
    """
    _printed_text(printed)
    match = re.fullmatch(rf"\s*({_NUMBER})\s*(?:-|–|,|to)\s*({_NUMBER})\s*", printed)
    if match is None:
        raise ValueError(f"cannot read {printed!r} as an interval; expected 'low-high'")
    low, high = float(match.group(1)), float(match.group(2))
    return low, high


def format_truncated(value: float, digits: int = 1) -> str:
    """Cut ``value`` to ``digits`` places toward zero, keeping trailing zeros.

    Some papers truncate instead of rounding (58/134 = 43.28% printed as "43.2").

    Examples
    --------
    >>> format_truncated(58.955, 1)
    '58.9'
    >>> format_truncated(4.4776, 2)
    '4.47'
    """
    _check_digits(digits)
    if value is None or math.isnan(float(value)):
        return "NA"
    if math.isinf(float(value)):
        return "Inf" if value > 0 else "-Inf"
    from decimal import ROUND_DOWN, Decimal

    quantum = Decimal(1).scaleb(-digits)
    cut = Decimal(repr(float(value))).quantize(
        quantum, rounding=ROUND_DOWN, context=_wide_context(digits)
    )
    text = f"{cut:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def matches_printed(value: float, printed: str | float) -> bool:
    """Whether ``value`` shows as ``printed`` when rounded half-up or truncated.

    The printed number's own decimal places set the precision; a float ``printed`` uses the
    decimals of its shortest representation.

    Examples
    --------
    >>> matches_printed(75.757, "75.7")
    True
    >>> matches_printed(12.12, "29.0")
    False
    """
    text = printed if isinstance(printed, str) else f"{float(printed):g}"
    digits = decimal_places(text)
    target = float(text)
    if math.isnan(value):
        return False
    return (
        float(format_number(value, digits)) == target
        or float(format_truncated(value, digits)) == target
    )


def rounds_to_printed(value: float, printed: str) -> bool:
    """Whether ``value`` lies in the rounding interval of ``printed`` (round half away from zero).

    Unlike :func:`matches_printed`, truncation does not count: the printed number's own
    decimal places define an interval of half a unit in the last place on either side.

    Examples
    --------
    >>> rounds_to_printed(3.0331, "3.033"), rounds_to_printed(3.0331, "3.151")
    (True, False)
    >>> rounds_to_printed(0.99, "0.99")
    True
    """
    text = _printed_text(printed)
    if value is None or not math.isfinite(float(value)):
        return False
    return float(format_number(float(value), decimal_places(text))) == float(text)


def covers_p(value: float, printed: str) -> bool:
    """Whether a printed p-value's precision covers the p-value ``value``.

    ``"0.019"`` covers [0.0185, 0.0195); ``"0.000"`` covers [0, 0.0005); ``"<0.001"`` covers
    [0, 0.001); ``">0.999"`` covers (0.999, 1]. Being on the same side of alpha is not enough.

    Examples
    --------
    >>> covers_p(0.0189, "0.019"), covers_p(0.147, "0.849"), covers_p(0.0004, "0.000")
    (True, False, True)
    >>> covers_p(0.0009, "<0.001"), covers_p(0.002, "<0.001"), covers_p(0.9995, ">0.999")
    (True, False, True)
    """
    text = _printed_text(printed).replace(" ", "")
    if value is None or not math.isfinite(float(value)):
        return False
    value = float(value)
    if text[:1] in "<>" or text[:2] in ("<=", ">="):
        bound_text = text.lstrip("<>=")
        bound = parse_number(bound_text)
        return value < bound if text[0] == "<" else value > bound
    return rounds_to_printed(value, text)


# ----------------------------------------------------------------------------- journal style


@dataclass(frozen=True)
class JournalStyle:
    """Precision rules of a journal style, applied by the ``format_*`` helpers below.

    Attributes
    ----------
    name : str
        ``"ama"`` or ``"vancouver"``.
    percent_digits : int
        Decimals of a percentage (at most one).
    whole_percent_below : int
        Denominators below this print percentages without decimals (AMA: 100).
    p_digits : int
        Decimals of a p-value.
    """

    name: str
    percent_digits: int
    whole_percent_below: int
    p_digits: int


STYLES: dict[str, JournalStyle] = {
    # AMA Manual of Style 11th ed., 19.7: no decimals for a percentage of fewer than 100.
    "ama": JournalStyle("ama", percent_digits=1, whole_percent_below=100, p_digits=3),
    # Vancouver/ICMJE leave it to the journal; one decimal throughout is the common house rule.
    "vancouver": JournalStyle("vancouver", percent_digits=1, whole_percent_below=0, p_digits=3),
}


def journal_style(name: str | JournalStyle | None = None) -> JournalStyle:
    """The :class:`JournalStyle` called ``name`` (default ``"ama"``).

    Examples
    --------
    >>> journal_style("vancouver").whole_percent_below
    0
    >>> journal_style("apa")
    Traceback (most recent call last):
    ...
    ValueError: `style` must be one of ama, vancouver, got 'apa'
    """
    if isinstance(name, JournalStyle):
        return name
    key = "ama" if name is None else str(name).strip().lower()
    if key not in STYLES:
        raise ValueError(f"`style` must be one of {', '.join(STYLES)}, got {name!r}")
    return STYLES[key]


def _trim_percent(text: str) -> str:
    # "100.0" and "33.0" carry no information in the decimal: print "100" and "33".
    return text[:-2] if text.endswith(".0") else text


def format_percent(
    value: float | None, total: float | None = None, *, style: str | JournalStyle | None = None
) -> str:
    """A percentage under the journal's precision rules, without the % sign.

    At most one decimal; none when the denominator ``total`` is below the style's limit; a
    trailing ``.0`` is dropped ("33", "100"), so "100.0" and "43.284" never appear.

    Examples
    --------
    >>> format_percent(33.0), format_percent(100.0), format_percent(43.284)
    ('33', '100', '43.3')
    >>> format_percent(12.12, total=66), format_percent(12.12, total=66, style="vancouver")
    ('12', '12.1')
    >>> format_percent(float("nan"))
    'NA'
    """
    rules = journal_style(style)
    if value is None or not math.isfinite(float(value)):
        return "NA"
    small = total is not None and float(total) < rules.whole_percent_below
    digits = 0 if small else rules.percent_digits
    return _trim_percent(format_number(float(value), digits))


def format_count_share(count: int, total: int) -> str:
    """A share of a fixed number of tries as a count: ``"96 of 100"``, never ``"96.0%"``.

    Examples
    --------
    >>> format_count_share(96, 100)
    '96 of 100'
    """
    for name, number in (("count", count), ("total", total)):
        if isinstance(number, bool) or not float(number).is_integer() or number < 0:
            raise ValueError(f"`{name}` must be a non-negative whole number, got {number!r}")
    if count > total:
        raise ValueError(f"`count` ({count}) cannot exceed `total` ({total})")
    return f"{int(count)} of {int(total)}"


def decimals_carried(values: Iterable[float], max_digits: int = 3) -> int:
    """The decimals recorded values carry: the fewest (up to ``max_digits``) that show each exactly.

    A summary of integer data (grams, visits) then prints as integers, and one of values
    recorded to two decimals at two, rather than at one fixed precision. Missing and
    infinite values are skipped; none left gives 0.

    Examples
    --------
    >>> decimals_carried([2500, 1928, 709]), decimals_carried([0.04, 0.5, 1.25])
    (0, 2)
    >>> decimals_carried([1 / 3, 0.5]), decimals_carried([1 / 3], max_digits=5)
    (3, 5)
    """
    _check_digits(max_digits, "max_digits")
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    for digits in range(max_digits + 1):
        if all(math.isclose(round(v, digits), v, rel_tol=1e-12, abs_tol=1e-12) for v in finite):
            return digits
    return max_digits


def format_summary_number(value: float | None, digits: int = 2, *, integer: bool = False) -> str:
    """A summary statistic: an integer scale (scores, counts) prints without decimals.

    With ``integer=True`` a whole value prints as an integer and a half (a median of an even
    number of scores) with one decimal; anything else keeps ``digits``.

    Examples
    --------
    >>> format_summary_number(10.0, integer=True), format_summary_number(9.5, integer=True)
    ('10', '9.5')
    >>> format_summary_number(35.123)
    '35.12'
    """
    if value is None or not math.isfinite(float(value)):
        return format_number(value, digits)
    if integer:
        doubled = 2 * float(value)
        if float(value).is_integer():
            return format_number(float(value), 0)
        if doubled.is_integer():
            return format_number(float(value), 1)
    return format_number(float(value), digits)
