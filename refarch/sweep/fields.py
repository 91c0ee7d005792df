"""What an axis sets: a field of the base spec, or a catalog entry's price or lead time.

An axis names its field as text, resolved once against the base spec and the catalog when the sweep is read:

- a path into the spec: keys separated by dots and list items by `[index]` (`workloads[0].systems`,
  `site.power_budget`), or a workload by its name (`workloads.pretrain-70b.systems`, the same field);
- `price.<catalog id>`: the entry's unit price in USD;
- `lead_time.<catalog id>`: the entry's lead time in weeks.

A spec path must exist in the Spec model and end at a single value (not a section or a list); list items must
exist in the base spec, while a missing mapping (`site` when the base gives none) is created when set.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LeadTime, Price
from refarch.errors import InputError, Location
from refarch.inputs.messages import closest, field_by_name, model_in
from refarch.inputs.spec import Spec
from refarch.inputs.yaml_source import format_path

__all__ = [
    "CATALOG_FIELDS",
    "CatalogField",
    "SpecField",
    "Target",
    "apply_catalog",
    "apply_spec",
    "catalog_value",
    "resolve_field",
]

CatalogAttribute = Literal["price", "lead_time"]
# The catalog attribute an axis can set, with the unit its values are in.
CATALOG_FIELDS: dict[CatalogAttribute, str] = {"price": "USD per unit", "lead_time": "weeks"}
# The confidence of a price or lead time an axis sets: a value the sweep supposes, not one a source states.
AXIS_CONFIDENCE = "estimate"

_SEGMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*)(?P<indices>(?:\[[0-9]+\])*)")
_INDEX = re.compile(r"\[([0-9]+)\]")


@dataclass(frozen=True)
class SpecField:
    """A field of the spec, as the path of keys and list indices to it in the spec's data."""

    path: tuple[str | int, ...]

    def __str__(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class CatalogField:
    """A catalog entry's `price` (USD per unit) or `lead_time` (weeks)."""

    attribute: CatalogAttribute
    entry: str

    def __str__(self) -> str:
        return f"{self.attribute}.{self.entry}"


Target = SpecField | CatalogField


def resolve_field(text: str, base: dict[str, Any], catalog: Catalog, where: Location) -> Target:
    """The field `text` names, checked against the base spec's data and the catalog.

    Raises:
        InputError: the path is malformed, leaves the Spec model, indexes past a list of the base spec, ends at a
            section or a list, or names a catalog entry that has no such attribute (with the closest ids).
    """
    attribute, _, entry = text.partition(".")
    if attribute in CATALOG_FIELDS:
        return _catalog_field(attribute, entry, catalog, where)
    return SpecField(_checked(_parse(_by_name(text, base, where), where), base, where))


def catalog_value(target: CatalogField, value: Any, source: str) -> Price | LeadTime:
    """The `Price` or `LeadTime` an axis value stands for; `source` names the sweep file and the axis.

    Raises:
        ValueError: not a number, or out of the attribute's range (a price below 0, weeks outside 0-520); pydantic's
            ValidationError is one.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a {target.attribute} is a number ({CATALOG_FIELDS[target.attribute]}), got {value!r}")
    if target.attribute == "price":
        return Price(usd=value, confidence=AXIS_CONFIDENCE, source=source)
    return LeadTime(weeks=value, confidence=AXIS_CONFIDENCE, source=source)


def apply_spec(base: dict[str, Any], settings: list[tuple[SpecField, Any]]) -> dict[str, Any]:
    """A copy of the spec data `base` with each field set to its value; mappings on the way are created."""
    data: dict[str, Any] = _copy(base)
    for target, value in settings:
        node: Any = data
        for part, following in zip(target.path, target.path[1:], strict=False):
            if isinstance(part, str) and part not in node:
                node[part] = [] if isinstance(following, int) else {}
            node = node[part]
        node[target.path[-1]] = value
    return data


def apply_catalog(catalog: Catalog, settings: list[tuple[CatalogField, Price | LeadTime]]) -> Catalog:
    """A copy of `catalog` in which each entry named carries the price or lead time given (entries are frozen:
    the others are shared with `catalog`)."""
    if not settings:
        return catalog
    entries = dict(catalog.entries)
    for target, value in settings:
        entries[target.entry] = entries[target.entry].model_copy(update={target.attribute: value})
    return Catalog(entries=entries, origins=catalog.origins)


def _copy(node: Any) -> Any:
    """A copy of the mappings and lists of YAML data (scalars are immutable and shared); faster than deepcopy."""
    if isinstance(node, dict):
        return {key: _copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_copy(value) for value in node]
    return node


def _catalog_field(attribute: CatalogAttribute, entry_id: str, catalog: Catalog, where: Location) -> CatalogField:
    having = sorted(i for i, e in catalog.entries.items() if attribute in type(e).model_fields)
    if entry_id in having:
        return CatalogField(attribute, entry_id)
    options = closest(entry_id, having)
    suggestion = f"did you mean {', '.join(options)}? " if options else ""
    if entry_id in catalog.entries:
        problem = f"catalog entry '{entry_id}' (kind {catalog.entries[entry_id].kind}) has no {attribute}"
    else:
        problem = f"no catalog entry '{entry_id}'" if entry_id else f"'{attribute}.' needs a catalog id"
    raise InputError(
        problem, where, f"{suggestion}{attribute}.<id> takes the id of an entry with a {attribute}; "
        f"`refarch catalog list` lists them",
    )  # fmt: skip


def _by_name(text: str, base: dict[str, Any], where: Location) -> str:
    """`text` with a leading `workloads.<name>` written as `workloads[<index>]` (names may hold dots)."""
    if not text.startswith("workloads."):
        return text
    rest = text.removeprefix("workloads.")
    workloads = base.get("workloads")
    names = [w.get("name") for w in workloads if isinstance(w, dict)] if isinstance(workloads, list) else []
    for index, name in sorted(enumerate(names), key=lambda item: -len(str(item[1]))):
        if isinstance(name, str) and (rest == name or rest.startswith(name + ".")):
            return f"workloads[{index}]{rest.removeprefix(name)}"
    guess = rest.split(".", 1)[0]
    known = [n for n in names if isinstance(n, str)]
    options = closest(guess, known)
    suggestion = f"did you mean {', '.join(options)}? " if options else ""
    raise InputError(
        f"the base spec has no workload named '{guess}'",
        where,
        f"{suggestion}workloads.<name> takes a workload's name ({', '.join(known) or 'none'}), or write workloads[0]",
    )


def _parse(text: str, where: Location) -> tuple[str | int, ...]:
    path: list[str | int] = []
    for part in text.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise InputError(
                f"'{text}' is not a field path",
                where,
                "write keys separated by dots and list items as [index], e.g. workloads[0].systems or "
                "site.power_budget; or price.<catalog id> / lead_time.<catalog id>",
            )
        path.append(match["key"])
        path.extend(int(i) for i in _INDEX.findall(match["indices"]))
    return tuple(path)


def _checked(path: tuple[str | int, ...], base: dict[str, Any], where: Location) -> tuple[str | int, ...]:
    """`path` walked through the Spec model and the base data together, with keys as the data writes them (a
    field's alias, such as apiVersion, when it has one)."""
    annotation: Any = Spec
    node: Any = base
    checked: list[str | int] = []
    for part in path:
        here = format_path(tuple(checked)) or "the spec"
        if isinstance(part, int):
            _check_index(part, annotation, node, here, where)
            annotation, node = _item_type(annotation), node[part]
            checked.append(part)
            continue
        model = model_in(annotation)
        field = field_by_name(model, part) if model is not None else None
        if model is None or field is None:
            raise InputError(f"'{format_path((*checked, part))}' is not a spec field", where, _keys_hint(part, model))
        key = field.alias or part
        annotation = field.annotation
        node = node.get(key) if isinstance(node, dict) else None
        checked.append(key)
    _check_leaf(tuple(checked), annotation, where)
    return tuple(checked)


def _check_index(index: int, annotation: Any, node: Any, here: str, where: Location) -> None:
    if _item_type(annotation) is None:
        raise InputError(f"'{here}' is not a list: [{index}] does not apply", where)
    if not isinstance(node, list):
        raise InputError(f"the base spec has no '{here}' list to take item [{index}] of", where)
    if index >= len(node):
        raise InputError(
            f"'{here}[{index}]' is past the end of the base spec's list, which has {len(node)} item(s)",
            where,
            f"indices run from 0 to {len(node) - 1}",
        )


def _item_type(annotation: Any) -> Any:
    """The item type of a `list[X]` annotation (possibly `| None`); None when it is no list."""
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    for arg in typing.get_args(annotation):  # list[X] | None
        if typing.get_origin(arg) is list:
            return typing.get_args(arg)[0]
    return None


def _check_leaf(path: tuple[str | int, ...], annotation: Any, where: Location) -> None:
    model = model_in(annotation)
    if model is not None:
        fields = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items()))
        raise InputError(f"'{format_path(path)}' is a section, not a value", where, f"give one of its fields: {fields}")
    if _item_type(annotation) is not None:
        raise InputError(
            f"'{format_path(path)}' is a list; an axis sets one value", where, f"set one item: {format_path(path)}[0]"
        )


def _keys_hint(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return "the path goes below a single value"
    valid = sorted(f.alias or n for n, f in model.model_fields.items())
    options = closest(key, valid)
    suggestion = f"did you mean {', '.join(repr(o) for o in options)}? " if options else ""
    return f"{suggestion}valid keys here: {', '.join(valid)}"
