"""Load the hardware catalog: built-in YAML plus user directories that add or override entries by id.

A catalog file is a mapping with any of:
  entries:   full entries (a user entry with an existing id replaces it); `extends: <id>` inherits fields
  overrides: partial entries merged onto an existing id (e.g. a new `max_power_w`)
  prices:      {<id>: {usd, confidence, source}}    price overrides, e.g. from a quote
  lead_times:  {<id>: {weeks, confidence, source}}  lead-time overrides, e.g. from the same quote
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from refarch.catalog.models import Accelerator, CatalogEntry, LeadTime, LlmModel, Nic, Price, Server, Switch, System
from refarch.errors import CatalogError, Location
from refarch.inputs.messages import closest
from refarch.inputs.resources import builtin_catalog_dir
from refarch.inputs.yaml_source import YamlDocument, format_path, read_yaml
from refarch.types import Confidence

__all__ = ["Catalog", "load_catalog"]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(CatalogEntry)
E = TypeVar("E")


@dataclass(frozen=True)
class _QuoteTable:
    """A section of a catalog file that sets one field of existing entries by id (`prices:`, `lead_times:`)."""

    field: str
    model: type[BaseModel]
    shape: str  # what one value is, for messages

    @property
    def words(self) -> str:
        return self.field.replace("_", " ")


_CONFIDENCES = " | ".join(get_args(Confidence))
_QUOTE_TABLES = {
    "prices": _QuoteTable("price", Price, f"{{usd, confidence, source}}: usd >= 0, confidence {_CONFIDENCES}"),
    "lead_times": _QuoteTable(
        "lead_time",
        LeadTime,
        f"{{weeks, confidence, source}}: weeks from order to delivery (0 < weeks <= 520), confidence {_CONFIDENCES}",
    ),
}
_FILE_KEYS = {"entries", "overrides", *_QUOTE_TABLES}
_ENTRY_CLASSES: tuple[type[BaseModel], ...] = get_args(get_args(CatalogEntry)[0])


@dataclass
class _Raw:
    data: dict[str, Any]
    doc: YamlDocument
    path: tuple[Any, ...]


@dataclass
class _Quote:
    """One value of a quote table: `table` names the section, `path` is (section, entry id) in `doc`."""

    entry_id: str
    table: _QuoteTable
    value: Any
    doc: YamlDocument
    path: tuple[Any, ...]


@dataclass(frozen=True)
class Catalog:
    """Validated catalog entries by id, with the file each came from."""

    entries: dict[str, Any]
    origins: dict[str, Path] = field(default_factory=dict)

    def get(self, entry_id: str, kind: type[E], where: Location | None = None) -> E:
        """The entry `entry_id`, which must be of class `kind`.

        Raises:
            CatalogError: unknown id (with the closest ids) or an entry of another kind.
        """
        entry = self.entries.get(entry_id)
        label = kind.__name__.lower() if kind is not object else "catalog entry"
        if entry is None:
            options = closest(entry_id, self.ids(kind))
            hint = f"did you mean {', '.join(options)}? " if options else ""
            raise CatalogError(
                f"unknown {label} id '{entry_id}'",
                where,
                f"{hint}`refarch catalog list --kind {_kind_of(kind)}` lists them",
            )
        if not isinstance(entry, kind):
            raise CatalogError(f"'{entry_id}' is a {entry.kind}, not a {label}", where)
        return entry

    def ids(self, kind: type[Any] | None = None) -> list[str]:
        """Sorted ids, optionally only those of one entry class."""
        return sorted(i for i, e in self.entries.items() if kind is None or isinstance(e, kind))

    def all(self, kind: type[E]) -> list[E]:
        """Every entry of class `kind` (`catalog.all(Switch)` is a `list[Switch]`), sorted by id."""
        return [entry for _, entry in sorted(self.entries.items()) if isinstance(entry, kind)]

    def of_kind(self, kind_name: str) -> Iterator[Any]:
        """Entries whose `kind` field equals `kind_name`, sorted by id, untyped; `all` gives them typed by class."""
        return (self.entries[i] for i in sorted(self.entries) if self.entries[i].kind == kind_name)


def _kind_of(cls: type[Any]) -> str:
    fields = getattr(cls, "model_fields", {})
    return str(fields["kind"].annotation.__args__[0]) if "kind" in fields else "<kind>"


def load_catalog(user_dirs: Sequence[Path] = (), include_builtin: bool = True) -> Catalog:
    """Load the built-in catalog and overlay each user directory in turn (later directories win).

    Raises:
        CatalogError: a file or entry is invalid, an `extends` target is missing or cyclic, or a reference
            (accelerator, NIC, support server, switch) names no entry of the right kind.
    """
    dirs = ([builtin_catalog_dir()] if include_builtin else []) + list(user_dirs)
    raw: dict[str, _Raw] = {}
    overrides: list[_Raw] = []
    quotes: list[_Quote] = []
    for directory in dirs:
        for doc in _read_dir(directory):
            _collect(doc, raw, overrides)
            quotes += _quotes(doc)
    _apply_overrides(raw, overrides)
    _apply_quotes(raw, quotes)
    entries = {entry_id: _validate(entry_id, raw) for entry_id in sorted(raw)}
    catalog = Catalog(entries=entries, origins={i: r.doc.file for i, r in raw.items()})
    _check_references(catalog, raw)
    return catalog


def _read_dir(directory: Path) -> list[YamlDocument]:
    if not directory.is_dir():
        raise CatalogError("catalog directory not found", Location(directory), "give a directory of *.yaml files")
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [read_yaml(f) for f in files]


def _collect(doc: YamlDocument, raw: dict[str, _Raw], overrides: list[_Raw]) -> None:
    data = doc.data
    if not isinstance(data, dict) or not data or set(data) - _FILE_KEYS:
        unknown = sorted(set(data) - _FILE_KEYS) if isinstance(data, dict) else []
        raise CatalogError(
            f"a catalog file is a mapping with keys {', '.join(sorted(_FILE_KEYS))}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            doc.location((unknown[0],) if unknown else ()),
        )
    for index, item in enumerate(_list(doc, "entries")):
        entry_id = _entry_id(doc, item, ("entries", index))
        raw[entry_id] = _Raw(item, doc, ("entries", index))
    overrides += [_Raw(item, doc, ("overrides", i)) for i, item in enumerate(_list(doc, "overrides"))]


def _quotes(doc: YamlDocument) -> list[_Quote]:
    """The values of the file's quote tables (`prices:`, `lead_times:`), in file order."""
    found: list[_Quote] = []
    for key, table in _QUOTE_TABLES.items():
        values = doc.data.get(key) or {}
        if not isinstance(values, dict):
            raise CatalogError(f"'{key}' must map entry ids to {table.shape}", doc.location((key,)))
        found += [_Quote(entry_id, table, value, doc, (key, entry_id)) for entry_id, value in values.items()]
    return found


def _list(doc: YamlDocument, key: str) -> list[Any]:
    value = doc.data.get(key) or []
    if not isinstance(value, list):
        raise CatalogError(f"'{key}' must be a list of entries", doc.location((key,)))
    return value


def _entry_id(doc: YamlDocument, item: Any, path: tuple[Any, ...]) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise CatalogError("each entry must be a mapping with a string 'id'", doc.location(path))
    return str(item["id"])


def _apply_overrides(raw: dict[str, _Raw], overrides: list[_Raw]) -> None:
    for item in overrides:
        entry_id = _entry_id(item.doc, item.data, item.path)
        if entry_id not in raw:
            _unknown(entry_id, raw, item)
        base = raw[entry_id]
        raw[entry_id] = _Raw(_merge(base.data, item.data), item.doc, item.path)


def _apply_quotes(raw: dict[str, _Raw], quotes: list[_Quote]) -> None:
    """Set each quoted field on its entry, in file order (a later directory's quote wins). Like any field of an
    entry, the value reaches entries that extend it without a value of their own."""
    for quote in quotes:
        if quote.entry_id not in raw:
            _unknown(quote.entry_id, raw, quote)
        kind = _kind_in(quote.entry_id, raw)
        if kind in _FIELDS_BY_KIND and quote.table.field not in _FIELDS_BY_KIND[kind]:
            takers = sorted(k for k, fields in _FIELDS_BY_KIND.items() if quote.table.field in fields)
            raise CatalogError(
                f"'{quote.entry_id}' (kind {kind}) has no {quote.table.words}",
                quote.doc.location(quote.path),
                f"{quote.path[0]} apply to entries of kind {', '.join(takers)}",
            )
        _check_shape(quote)
        base = raw[quote.entry_id]
        raw[quote.entry_id] = _Raw({**base.data, quote.table.field: quote.value}, quote.doc, quote.path)


def _check_shape(quote: _Quote) -> None:
    """Validate a quoted value on its own, so that a wrong shape names the quote's file and path, not the entry's."""
    try:
        quote.table.model.model_validate(quote.value)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = format_path(err["loc"])
        raise CatalogError(
            f"{quote.table.words} of '{quote.entry_id}': " + (f"{field}: " if field else "") + str(err["msg"]),
            quote.doc.location((*quote.path, *err["loc"])),
            f"a {quote.table.words} is {quote.table.shape}",
        ) from None


def _kind_in(entry_id: str, raw: dict[str, _Raw]) -> str | None:
    """The `kind` an entry has or inherits through `extends`; None if there is none (validation says so later)."""
    seen: set[str] = set()
    current: Any = entry_id
    while isinstance(current, str) and current in raw and current not in seen:
        seen.add(current)
        data = raw[current].data
        if "kind" in data:
            return str(data["kind"])
        current = data.get("extends")
    return None


def _unknown(entry_id: str, raw: dict[str, _Raw], item: _Raw | _Quote) -> None:
    options = closest(entry_id, raw)
    hint = f"did you mean {', '.join(options)}?" if options else "`refarch catalog list` shows every id"
    raise CatalogError(f"no catalog entry '{entry_id}' to override", item.doc.location(item.path), hint)


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolved(entry_id: str, raw: dict[str, _Raw], chain: tuple[str, ...] = ()) -> dict[str, Any]:
    item = raw[entry_id]
    parent_id = item.data.get("extends")
    if parent_id is None:
        return dict(item.data)
    if parent_id in chain or parent_id == entry_id:
        cycle = " -> ".join((*chain, entry_id, parent_id))
        raise CatalogError(f"'extends' forms a cycle: {cycle}", item.doc.location((*item.path, "extends")))
    if parent_id not in raw:
        options = closest(str(parent_id), raw)
        hint = f"did you mean {', '.join(options)}?" if options else "it must be an id in the catalog"
        raise CatalogError(
            f"'extends' names unknown entry '{parent_id}'", item.doc.location((*item.path, "extends")), hint
        )
    parent = _resolved(parent_id, raw, (*chain, entry_id))
    child = {k: v for k, v in item.data.items() if k != "extends"}
    return _merge(parent, child)


def _validate(entry_id: str, raw: dict[str, _Raw]) -> Any:
    item = raw[entry_id]
    data = _resolved(entry_id, raw)
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if p not in _DISCRIMINATOR_TAGS)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "kind")
        where = item.doc.location((*item.path, *loc))
        msg = str(err["msg"]).removeprefix("Value error, ")
        field_path = format_path(loc) or "<entry>"
        raise CatalogError(
            f"entry '{entry_id}': {field_path}: {msg}",
            where,
            "`refarch schema catalog` prints the fields of every kind",
        ) from None


_FIELDS_BY_KIND: dict[str, frozenset[str]] = {_kind_of(cls): frozenset(cls.model_fields) for cls in _ENTRY_CLASSES}
_DISCRIMINATOR_TAGS = set(_FIELDS_BY_KIND)


def _check_references(catalog: Catalog, raw: dict[str, _Raw]) -> None:
    for entry_id, entry in catalog.entries.items():
        item = raw[entry_id]
        if isinstance(entry, System | Server):
            for i, slot in enumerate(entry.nics):
                _ref(catalog, slot.nic, Nic, item, f"nics[{i}].nic")
        if isinstance(entry, System):
            _ref(catalog, entry.accelerator, Accelerator, item, "accelerator")
            for i, role in enumerate(entry.support):
                _ref(catalog, role.server, Server, item, f"support[{i}].server")
            if entry.reference_switch:
                _ref(catalog, entry.reference_switch, Switch, item, "reference_switch")


def _ref(catalog: Catalog, ref_id: str, kind: Any, item: _Raw, field_name: str) -> None:
    where = Location(item.doc.file, format_path(item.path) + "." + field_name, item.doc.line_of(item.path))
    if kind is Any:
        if ref_id not in catalog.entries:
            raise CatalogError(f"'{field_name}' names unknown entry '{ref_id}'", where)
        return
    catalog.get(ref_id, kind, where)


__all__ += ["LlmModel"]
