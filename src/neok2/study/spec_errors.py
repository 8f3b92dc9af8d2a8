"""Spec validation errors a person can act on: the field's path, the file and the fix.

Pydantic reports a location as a tuple such as ``("table1", 3, "case", "str")``; here it
becomes ``table1[3] (male).case``, with the row's variable name when the spec has one, and a
sentence saying what to change.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["SpecError", "format_validation_error", "location_text"]


class SpecError(ValueError):
    """A study spec failed validation; the message names each offending field."""


def location_text(location: Sequence[str | int], data: Any = None) -> str:
    """A pydantic error location as a path: ``table1[3] (male).case``.

    Union-member tags that pydantic inserts (``str``, ``_Cells``, ``function-after[...]``)
    are dropped, and a list entry holding a ``variable`` or ``name`` shows it.

    Examples
    --------
    >>> location_text(("table1", 3, "case", "str"))
    'table1[3].case'
    >>> location_text(("table1", 0, "levels", 1, "case"), {"table1": [{"variable": "race"}]})
    'table1[0] (race).levels[1].case'
    """
    text = ""
    node = data
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, Sequence) and part < len(node) else None
            if isinstance(node, Mapping):
                label = node.get("variable", node.get("name"))
                if isinstance(label, str):
                    text += f" ({label})"
            continue
        if part in ("str", "float", "int", "tuple[float, float]", "_Cells", "none") or (
            "[" in part and part.split("[", 1)[0] in ("function-after", "function-before")
        ):
            continue
        text += f".{part}" if text else part
        node = node.get(part) if isinstance(node, Mapping) else None
    return text or "(top level)"


def _model_at(model: type[BaseModel], location: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model a location points into (for listing its keys), if one is found."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fields = current.model_fields
        name = next((key for key, info in fields.items() if part in (key, info.alias)), None)
        if name is None:
            return current
        current = _inner_model(fields[name].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The model class inside ``tuple[Model, ...]``, ``Model | None`` or ``dict[str, Model]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _inner_model(argument)
        if found is not None:
            return found
    return None


def _fix(item: Mapping[str, Any], model: type[BaseModel]) -> str:
    """What to change, for the common kinds of error."""
    kind = item["type"]
    location = [part for part in item["loc"] if isinstance(part, str | int)]
    if kind == "extra_forbidden":
        owner = _model_at(model, location[:-1])
        keys = [info.alias or key for key, info in (owner.model_fields if owner else {}).items()]
        near = difflib.get_close_matches(str(location[-1]), keys, n=1, cutoff=0.6)
        hint = f"did you mean `{near[0]}`? " if near else ""
        allowed = f"allowed keys here: {', '.join(keys)}" if keys else "see docs/spec.md"
        return f"unknown key (check its spelling against the spec format); {hint}{allowed}"
    if kind == "missing":
        return f"add `{location[-1]}:` here (see `neok2 schema` or docs/spec.md)"
    if kind in ("string_type", "int_type", "float_type", "bool_type", "int_parsing"):
        return "write the value in the type the field takes (see `neok2 schema`)"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"use one of {expected}"
    return ""


def format_validation_error(
    error: ValidationError, model: type[BaseModel], data: Any = None, *, source: str = ""
) -> str:
    """One line per problem: ``path: message; fix: ...``, headed by the spec's name.

    Parameters
    ----------
    error : pydantic.ValidationError
    model : type of BaseModel
        The model that failed (to list the keys a misspelt key could have been).
    data : mapping, optional
        The spec as parsed, to name rows by their variable.
    source : str
        The spec's file or shipped name.
    """
    lines = []
    for item in error.errors():
        location = location_text(
            [part for part in item["loc"] if isinstance(part, str | int)], data
        )
        message = item["msg"].removeprefix("Value error, ")
        fix = _fix(item, model)
        if item["type"] == "extra_forbidden":
            message, fix = fix, ""
        lines.append(f"{location}: {message}" + (f"; fix: {fix}" if fix else ""))
    where = f" {source!r}" if source else ""
    return f"invalid study spec{where}:\n  " + "\n  ".join(dict.fromkeys(lines))
