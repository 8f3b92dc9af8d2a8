"""Synthetic cohorts calibrated to published tables, and their fidelity report.

Imports only :mod:`neok2.study` and :mod:`neok2.stats`.
"""
