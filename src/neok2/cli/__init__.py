"""The ``neok2`` command line: one module per command, joined in :mod:`neok2.cli.app`."""

from neok2.cli.app import main

__all__ = ["main"]
