"""The audit of published numbers: one module per check family, the rebuild, limitations.

Imports only :mod:`neok2.study` and :mod:`neok2.stats`.
"""
