"""Figures of the manuscript (matplotlib)."""
