"""Strict YAML reading: no duplicate keys, no aliases, bounded size, and line numbers for every path.

PyYAML's safe loader silently keeps the last of two duplicate keys and expands aliases (the "billion laughs"
bomb). Both hide mistakes in hand-written specs, so this loader composes the node tree itself and refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from refarch.errors import InputError, Location

__all__ = ["MAX_YAML_BYTES", "YamlDocument", "format_path", "read_yaml"]

MAX_YAML_BYTES = 1_048_576
_MAX_DEPTH = 64
# One loader used only for its scalar constructors (int, float, bool, null, timestamps); it reads no stream.
_SCALARS = yaml.SafeLoader("")

PathKey = tuple[str | int, ...]


def format_path(path: PathKey | tuple[Any, ...]) -> str:
    """Render ('workloads', 0, 'model') as 'workloads[0].model'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class YamlDocument:
    """Plain data from one YAML file plus the line of every mapping key and sequence item."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """Line of the deepest known ancestor of `path` (1-based)."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), None)

    def location(self, path: tuple[Any, ...]) -> Location:
        """A `Location` for `path` inside this document."""
        return Location(self.file, format_path(path), self.line_of(path))


def _refused(problem: str, event: Any) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError("while composing", None, problem, event.start_mark)


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that refuses aliases before they are expanded."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _refused("YAML aliases (*name) are not allowed", event)
        if getattr(event, "anchor", None):
            raise _refused("YAML anchors (&name) are not allowed", event)
        return super().compose_node(parent, index)


def read_yaml(file: Path, max_bytes: int = MAX_YAML_BYTES) -> YamlDocument:
    """Read one YAML file strictly.

    Raises:
        InputError: unreadable, too large, malformed, duplicate keys, aliases or anchors, too deep.
    """
    text = _read_text(file, max_bytes)
    try:
        node = yaml.compose(text, Loader=_NoAliasLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError(
            f"invalid YAML: {exc.problem or exc}", Location(file, "", line), "fix the YAML syntax at that line"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", Location(file)) from None
    doc = YamlDocument(file=file, data=None)
    doc.data = _to_python(node, (), doc, 0) if node is not None else None
    return doc


def _read_text(file: Path, max_bytes: int) -> str:
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"file is {size} bytes, larger than the {max_bytes}-byte limit for YAML inputs",
                Location(file),
                "split it or check that the right file was given",
            )
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", Location(file)) from None
    except IsADirectoryError:
        raise InputError("expected a YAML file, got a directory", Location(file)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", Location(file)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", Location(file)) from None


def _to_python(node: yaml.Node, path: PathKey, doc: YamlDocument, depth: int) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if depth > _MAX_DEPTH:
        raise InputError(f"nesting deeper than {_MAX_DEPTH} levels", doc.location(path))
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, doc, depth)
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), doc, depth + 1) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node, deep=True)


def _mapping(node: yaml.MappingNode, path: PathKey, doc: YamlDocument, depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise InputError("YAML merge keys (<<) are not allowed", doc.location(path))
        key = _to_python(key_node, path, doc, depth + 1)
        if not isinstance(key, str):
            where = Location(doc.file, format_path(path), key_node.start_mark.line + 1)
            raise InputError(f"mapping keys must be strings, got {key!r}", where)
        child = (*path, key)
        if key in result:
            first = doc.lines.get(child)
            raise InputError(
                f"duplicate key '{key}' (first defined on line {first})",
                Location(doc.file, format_path(child), key_node.start_mark.line + 1),
                "each key may appear once in a mapping; remove or merge the duplicate",
            )
        doc.lines[child] = key_node.start_mark.line + 1
        result[key] = _to_python(value_node, child, doc, depth + 1)
    return result
