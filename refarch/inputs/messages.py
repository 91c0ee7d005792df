"""Turn pydantic validation errors into one clear message: file, path, line, problem and what is valid."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from refarch.errors import InputError, Location
from refarch.inputs.yaml_source import YamlDocument, format_path

__all__ = ["closest", "field_by_name", "model_in", "raise_validation_error"]

_MAX_REPORTED = 5


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The up to `n` choices most similar to `name` (for 'did you mean' hints)."""
    return difflib.get_close_matches(name, sorted(choices), n=n, cutoff=0.4)


def raise_validation_error(
    exc: ValidationError,
    doc: YamlDocument,
    model: type[BaseModel],
    error_type: type[InputError],
    schema: str | None = None,
) -> typing.NoReturn:
    """Raise `error_type` describing up to five problems of `exc`, located in `doc`; the hint points to
    `refarch schema SCHEMA` (by default to the spec's and the catalog's schemas)."""
    errors = exc.errors(include_url=False)
    first_loc = _data_path(errors[0]["loc"])
    if len(errors) == 1:
        raise error_type(_problem(errors[0], model), doc.location(first_loc), _hint(errors[0], schema)) from None
    lines = [_describe(err, doc, model) for err in errors[:_MAX_REPORTED]]
    if len(errors) > _MAX_REPORTED:
        lines.append(f"... and {len(errors) - _MAX_REPORTED} more problems")
    message = f"{len(errors)} problems:\n    " + "\n    ".join(lines)
    raise error_type(message, Location(doc.file), _hint(errors[0], schema)) from None


def _data_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Tagged unions add the tag as a path element (e.g. 'system'); drop elements that are not in the data.
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("function-")))


def _describe(err: Any, doc: YamlDocument, model: type[BaseModel]) -> str:
    loc = _data_path(err["loc"])
    line = doc.line_of(loc)
    where = f"line {line}: " if line else ""
    return f"{where}{format_path(loc) or '<top level>'}: {_problem(err, model)}"


def _problem(err: Any, model: type[BaseModel]) -> str:
    loc = _data_path(err["loc"])
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        valid = _valid_keys(model, loc[:-1])
        suggestion = closest(key, valid)
        did_you_mean = f" (did you mean {', '.join(repr(s) for s in suggestion)}?)" if suggestion else ""
        return f"unknown key '{key}'{did_you_mean}; valid keys: {', '.join(valid)}"
    if err["type"] == "missing":
        return "required key is missing"
    return str(err["msg"]).removeprefix("Value error, ")


def _hint(err: Any, schema: str | None) -> str:
    if err["type"] == "extra_forbidden":
        return f"remove the key or correct its spelling; `refarch schema {schema or 'spec'}` prints every valid field"
    if schema is not None:
        return f"`refarch schema {schema}` prints every field with its type and default"
    return "`refarch schema spec` / `refarch schema catalog` print every field with its type and default"


def _valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (by alias) of the model found by walking `loc` from `model`; empty when unknown."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        target = model_in(current)
        if target is None:
            return []
        field = field_by_name(target, part)
        if field is None:
            return []
        current = field.annotation
    target = model_in(current)
    if target is None:
        return []
    return sorted(f.alias or name for name, f in target.model_fields.items())


def field_by_name(model: type[BaseModel], name: str) -> Any:
    """The field of `model` called `name` (its Python name or its alias); None when there is none."""
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field
    return None


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The single pydantic model inside an annotation such as `list[X] | None`, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return model_in(typing.get_args(annotation)[0])
    if origin in (list, tuple, dict, typing.Union, types.UnionType):
        found = [m for m in map(model_in, typing.get_args(annotation)) if m is not None]
        return found[0] if len(found) == 1 else None
    return None
