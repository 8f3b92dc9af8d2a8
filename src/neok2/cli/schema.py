"""``neok2 schema``: print the JSON Schema of the study spec format."""

from __future__ import annotations

import json

import click

from neok2.study.model import spec_json_schema


@click.command(name="schema")
def command() -> None:
    """Print the JSON Schema of a study spec (every field described; see docs/spec.md).

    Editors that read JSON Schema (e.g. VS Code with the YAML extension) can use it to check
    and complete a spec while it is written.
    """
    click.echo(json.dumps(spec_json_schema(), indent=2, ensure_ascii=False))
