"""Figures to bytes: one PNG writer for every figure of the report."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["FIGURE_DPI", "figure_png_bytes"]

FIGURE_DPI = 150


def figure_png_bytes(figure: Any, *, dpi: int = FIGURE_DPI) -> bytes:
    """PNG bytes of a matplotlib figure (or of anything with a ``.figure``), reproducibly.

    The PNG carries no Software/date metadata and SVG hashes use a fixed salt, so the bytes
    depend only on what is drawn.

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

    figure = getattr(figure, "figure", figure)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "neok2"}):
        figure.savefig(
            buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight"
        )
    return buffer.getvalue()
