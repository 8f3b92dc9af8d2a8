"""Rendering the Quarto manuscript: Quarto when present, else pandoc, Jupyter and typst."""
