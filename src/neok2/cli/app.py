"""The ``neok2`` command line.

Each sub-command lives in its own ``neok2.cli.<name>`` module and is registered here.
User errors (bad arguments, bad files, bad specs) end with a one-line message on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from neok2 import __version__

__all__ = ["main"]

# name of the module neok2.cli.<name> -> it defines a click command called `command`
_COMMAND_MODULES = (
    "validate",
    "table1",
    "screen",
    "audit",
    "analyze",
    "synth",
    "power",
    "render",
    "twin",
    "schema",
    "new",
    "rebuild_check",
)
# a command whose name is not its module's: neok2 rebuild-check lives in neok2.cli.rebuild_check
_COMMAND_NAMES = {"rebuild_check": "rebuild-check"}
_MODULES_BY_COMMAND = {_COMMAND_NAMES.get(module, module): module for module in _COMMAND_MODULES}

_USER_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    PermissionError,
)


class _Neok2Group(click.Group):
    """Sub-commands are imported when used, so ``neok2 validate`` does not load statsmodels."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_MODULES_BY_COMMAND)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _MODULES_BY_COMMAND:
            return None
        module = _MODULES_BY_COMMAND[cmd_name]
        command: click.Command = importlib.import_module(f"neok2.cli.{module}").command
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _USER_ERRORS as error:
            message = str(error).strip().strip("'\"") or type(error).__name__
            click.echo(f"neok2: error: {message}", err=True)
            sys.exit(2)


@click.group(cls=_Neok2Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neok2")
def main() -> None:
    """neok2: rebuild, audit and stress-test a published case-control study."""
