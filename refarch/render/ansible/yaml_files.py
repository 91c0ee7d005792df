"""YAML for Ansible variable and inventory files, written by a serialiser rather than a template.

Every scalar is quoted by the YAML emitter as its value needs, so `yes`, `no`, `null`, `: `, `#`, a leading `-`,
`*` or `&` and newlines stay strings. Ansible also templates the strings it reads (`{{ ... }}`); free text that
came from the spec or the catalog is wrapped in `Unsafe` and written with Ansible's `!unsafe` tag, so that Ansible
never evaluates it. Output is deterministic: keys sorted, a document start, no line folding.

The emitter is libyaml's (PyYAML's C extension, in every PyYAML wheel): a 16,384-GPU plan has 2.3 million
scalars in its host_vars, and PyYAML's pure-Python emitter takes 25 s over them where libyaml takes under 4 s
(bench/results.md). libyaml writes block sequences unindented under their key (`ports:` then `- ...`); the bundle's
`.yamllint` asks for that consistently within a file. Without the extension PyYAML's Python emitter, which
writes the same text, is used.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

__all__ = ["FlowMapping", "Unsafe", "dumper_class", "yaml_file"]

_UNSAFE_TAG = "!unsafe"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_MAP_TAG = "tag:yaml.org,2002:map"
_EMITTER: type[Any] = yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper


class Unsafe(str):
    """A string Ansible must read literally (a description, a catalog name): written as `!unsafe '...'`."""

    __slots__ = ()


class FlowMapping(dict[str, object]):
    """One row of a table (a port, a rail): written on one line, `{key: value, ...}`, keys sorted."""


_RESOLVER = yaml.resolver.Resolver()


@functools.lru_cache(maxsize=1 << 16)
def _scalar_tag(value: str, implicit: tuple[bool, bool]) -> str:
    return str(_RESOLVER.resolve(ScalarNode, value, implicit))  # type: ignore[no-untyped-call]  # untyped in the stubs


def _represent_unsafe(dumper: yaml.SafeDumper, value: Unsafe) -> ScalarNode:
    return dumper.represent_scalar(_UNSAFE_TAG, str(value), style="'")


def _represent_row(dumper: yaml.SafeDumper, row: Mapping[str, object]) -> MappingNode:
    # Strings and integers, nearly every value of a row, become nodes here directly; the rest go through the
    # dumper's representers. Booleans are ints in Python, hence the exact type test.
    pairs: list[tuple[Node, Node]] = []
    for key in sorted(row):
        value = row[key]
        if type(value) is str:
            node: Node = ScalarNode(_STR_TAG, value)
        elif type(value) is int:
            node = ScalarNode(_INT_TAG, str(value))
        else:
            node = dumper.represent_data(value)
        pairs.append((ScalarNode(_STR_TAG, key), node))
    return MappingNode(_MAP_TAG, pairs, flow_style=True)


def dumper_class(emitter: type[Any]) -> type[Any]:
    """A safe dumper on `emitter` (libyaml's `CSafeDumper` or PyYAML's `SafeDumper`) that writes `Unsafe` with
    Ansible's tag, `FlowMapping` on one line, and never emits aliases (each host's vars stand alone)."""

    class Dumper(emitter):  # type: ignore[misc]  # the emitter class is chosen at run time
        def ignore_aliases(self, data: Any) -> bool:
            return True

        # The emitter asks, for every scalar, which tag its text would resolve to (to decide whether it must be
        # quoted); the answers are memoised, as the same keys and values repeat across thousands of rows.
        def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                return _scalar_tag(value, implicit)
            return str(super().resolve(kind, value, implicit))

        # No path resolvers are registered, so the per-node bookkeeping for them is skipped.
        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    Dumper.add_representer(Unsafe, _represent_unsafe)
    Dumper.add_representer(FlowMapping, _represent_row)
    return Dumper


_DUMPER = dumper_class(_EMITTER)


def yaml_file(data: object, comment: str = "", *, sort_keys: bool = True) -> str:
    """`data` as one YAML document, keys sorted (or in insertion order, for playbooks whose `name` leads),
    preceded by `comment` lines (each prefixed `# `)."""
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    body = yaml.dump(data, Dumper=_DUMPER, sort_keys=sort_keys, explicit_start=True, width=10_000, allow_unicode=True,
                     default_flow_style=False)  # fmt: skip
    return header + body
