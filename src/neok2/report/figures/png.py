"""Figures to bytes: one writer for every figure of the report (SVG, and PNG for the CLI).

Every figure is drawn in :data:`FIGURE_FONT`, the manuscript's body font (the typst PDF and
the HTML set their text in it too), and saved without dates or random ids, so that the bytes
depend only on what is drawn. Text is drawn literally: labels come from a spec, and a ``$`` in
one is a dollar sign, not the start of mathtext (matplotlib's SVG writer escapes the text it
keeps in comments itself).
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["FIGURE_DPI", "FIGURE_FONT", "FIGURE_STYLE", "figure_png_bytes", "figure_svg_bytes"]

FIGURE_DPI = 150
FIGURE_FONT = "DejaVu Serif"
FIGURE_STYLE: Any = {
    "font.family": "serif",
    "font.serif": [FIGURE_FONT],
    # texts created before the style applies keep the default family: map it to the same font
    "font.sans-serif": [FIGURE_FONT],
    "mathtext.fontset": "dejavuserif",
    "svg.hashsalt": "neok2",
    "svg.fonttype": "path",
    # texts created while the style applies (tick labels made at draw time) are literal
    "text.parse_math": False,
}
"""rcParams under which every report figure is drawn and saved (use with ``rc_context``)."""


def _literal_text(figure: Any) -> Any:
    """Turn mathtext off for every text the figure already holds; return the figure."""
    from matplotlib.text import Text

    figure = getattr(figure, "figure", figure)
    for text in figure.findobj(Text):
        text.set_parse_math(False)
    return figure


def figure_png_bytes(figure: Any, *, dpi: int = FIGURE_DPI) -> bytes:
    """PNG bytes of a matplotlib figure (or of anything with a ``.figure``), reproducibly.

    The PNG carries no Software/date metadata, so the bytes depend only on what is drawn.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(1, 1))
    >>> figure_png_bytes(figure)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> figure_png_bytes(figure) == figure_png_bytes(figure)
    True
    """
    import matplotlib

    figure = _literal_text(figure)
    buffer = io.BytesIO()
    with matplotlib.rc_context(FIGURE_STYLE):
        figure.savefig(
            buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight"
        )
    return buffer.getvalue()


def figure_svg_bytes(figure: Any) -> bytes:
    """SVG bytes of a matplotlib figure: text as paths, fixed hash salt, no date or creator.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(1, 1))
    >>> figure.text(0.5, 0.5, "OR")  # doctest: +ELLIPSIS
    Text(...)
    >>> svg = figure_svg_bytes(figure)
    >>> svg.startswith(b"<?xml") and b"<dc:date>" not in svg
    True
    >>> svg == figure_svg_bytes(figure)
    True

    A ``$`` in a label is a dollar sign, so ``$x$`` draws three glyphs, not one italic x:

    >>> dollars = Figure(figsize=(1, 1))
    >>> _ = dollars.text(0.1, 0.5, "$x$")
    >>> figure_svg_bytes(dollars).count(b"<use xlink:href")
    3
    """
    import matplotlib

    figure = _literal_text(figure)
    buffer = io.BytesIO()
    with matplotlib.rc_context(FIGURE_STYLE):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",
        )
    return buffer.getvalue()
