"""The manuscript layer: the analysis by section, results files, prose, figures, tables, render."""
