"""Text from a spec or a data file, made safe to place in the manuscript's markdown.

Labels, titles, file names and generated statements are plain text: a label such as
``Caesarean <script>...</script> section`` must read as those characters in the HTML, the PDF
and the DOCX, never become an HTML element, emphasis, math, a citation or a typst command.
The manuscript is pandoc markdown (read by Quarto or by the fallback renderer), and pandoc
then writes HTML, typst and DOCX, escaping plain text for each of them. So plain text is
escaped once, where it enters markdown, by :func:`escape_markdown`; every later target
receives it as literal text. Numbers need no escaping (their display strings are digits,
``.``, ``-``, ``%``, ``<`` and words) and read the same before and after.
"""

from __future__ import annotations

import re

__all__ = ["code_span", "escape_markdown"]

# Backslash-escaped: pandoc markdown's inline syntax (emphasis, code, links, math, citations,
# super/subscript, attributes, raw TeX, headings and pipe-table cells). Any ASCII punctuation
# may be backslash-escaped in pandoc markdown, and the backslash never shows.
_BACKSLASHED = frozenset("\\`*_[]{}#|$@~^!")
# HTML entities for the characters that open raw HTML or an entity of their own.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\u2028\u2029]\s*")


def escape_markdown(text: str) -> str:
    r"""Plain text as pandoc markdown that renders exactly those characters, on one line.

    Parameters
    ----------
    text : str
        A label, title, file name or generated statement (not markdown).

    Returns
    -------
    str
        The text with ``\ ` * _ [ ] { } # | $ @ ~ ^ !`` backslash-escaped, ``& < >`` as HTML
        entities, quotation marks escaped so that they are not turned into curly quotes (an
        apostrophe inside a word, as in "Apgar's", is left to typography), ``--`` and
        ``...`` kept from becoming dashes and ellipses, and line breaks made spaces (a label
        cannot start a heading, list or block).

    Raises
    ------
    TypeError
        When ``text`` is not a str.

    Notes
    -----
    Escape once, where plain text meets markdown: text escaped twice shows its backslashes.
    The fallback renderer and Quarto both read the result with pandoc, whose HTML, typst and
    DOCX writers escape literal text for their own formats.

    Examples
    --------
    >>> escape_markdown("Caesarean <script>alert('L1')</script> section")
    "Caesarean &lt;script&gt;alert(\\'L1\\')&lt;/script&gt; section"
    >>> escape_markdown("`x` *y* $z$ #import @ref a_b")
    '\\`x\\` \\*y\\* \\$z\\$ \\#import \\@ref a\\_b'
    >>> escape_markdown("OR 4.70 (95% CI 2.11-10.45; p < 0.001)")
    'OR 4.70 (95% CI 2.11-10.45; p &lt; 0.001)'
    >>> escape_markdown("Apgar's score")
    "Apgar's score"
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}; format numbers first")
    text = _LINE_BREAKS.sub(" ", text)
    pieces: list[str] = []
    for index, character in enumerate(text):
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        quote = character == '"' or (
            character == "'" and not (before.isalnum() and after.isalnum())
        )
        dash_or_dot = (character == "-" and before == "-") or (
            character == "." and before == "." and after == "."
        )
        if character in _ENTITIES:
            pieces.append(_ENTITIES[character])
        elif character in _BACKSLASHED or quote or dash_or_dot:
            pieces.append("\\" + character)
        else:
            pieces.append(character)
    return "".join(pieces)


def code_span(text: str) -> str:
    """Plain text as a markdown code span, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside, padded with spaces when
    the text starts or ends with a backtick (pandoc strips one space on each side).

    Examples
    --------
    >>> code_span("cohort.csv")
    '`cohort.csv`'
    >>> code_span("a`b.csv")
    '``a`b.csv``'
    >>> code_span("`x`")
    '`` `x` ``'
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}")
    text = _LINE_BREAKS.sub(" ", text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"
