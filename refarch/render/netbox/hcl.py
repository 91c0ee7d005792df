"""HCL values for the Terraform bundle, laid out as `terraform fmt` lays them out.

The bundle keeps each object's data in a `locals` map keyed by the object's stable key, one single-line object per
entry, so that a resource block can `for_each` over it. `terraform fmt` aligns the `=` of consecutive map entries,
so keys are padded to the longest in the map; a test runs fmt over every generated file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from refarch.render.filters import hcl_string

__all__ = ["hcl_map", "hcl_object", "hcl_value"]


def hcl_value(value: object) -> str:
    """A literal: strings quoted with nothing interpolated, numbers, booleans, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return hcl_string(value)


def hcl_object(fields: Mapping[str, object]) -> str:
    """`{ name = value, ... }` on one line, fields in the given order."""
    if not fields:
        return "{}"
    return "{ " + ", ".join(f"{name} = {hcl_value(value)}" for name, value in fields.items()) + " }"


def hcl_map(records: Iterable[Any], indent: int = 4) -> str:
    """A map of single-line objects from dataclass records, keyed by each record's `key` (its other fields are the
    object), `=` aligned.

    The result starts with `{` and ends with `}` at `indent - 2` spaces, ready to follow `name = `."""
    rows = [(hcl_string(r.key), _fields(r)) for r in records]
    if not rows:
        return "{}"
    width = max(len(key) for key, _ in rows)
    pad = " " * indent
    body = "".join(f"{pad}{key.ljust(width)} = {hcl_object(fields)}\n" for key, fields in rows)
    return "{\n" + body + " " * (indent - 2) + "}"


def _fields(record: Any) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "key"}
