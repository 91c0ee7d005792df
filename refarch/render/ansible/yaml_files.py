"""YAML for Ansible variable and inventory files, written by a serialiser rather than a template.

Every scalar is quoted by PyYAML's emitter, so `yes`, `no`, `null`, `: `, `#`, a leading `-`, `*` or `&` and
newlines stay strings. Ansible also templates the strings it reads (`{{ ... }}`); free text that came from the
spec or the catalog is wrapped in `Unsafe` and written with Ansible's `!unsafe` tag, so that Ansible never
evaluates it. Output is deterministic: keys sorted, a document start, no line folding.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["Unsafe", "yaml_file"]

_UNSAFE_TAG = "!unsafe"


class Unsafe(str):
    """A string Ansible must read literally (a description, a catalog name): written as `!unsafe '...'`."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes `Unsafe` with Ansible's tag and never emits aliases (each host's vars stand alone)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key, as yamllint's and ansible-lint's defaults expect.
        super().increase_indent(flow, False)


def _represent_unsafe(dumper: yaml.SafeDumper, value: Unsafe) -> yaml.ScalarNode:
    return dumper.represent_scalar(_UNSAFE_TAG, str(value), style="'")


_Dumper.add_representer(Unsafe, _represent_unsafe)


def yaml_file(data: object, comment: str = "", *, sort_keys: bool = True) -> str:
    """`data` as one YAML document, keys sorted (or in insertion order, for playbooks whose `name` leads),
    preceded by `comment` lines (each prefixed `# `)."""
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=sort_keys, explicit_start=True, width=10_000, allow_unicode=True,
                     default_flow_style=False)  # fmt: skip
    return header + body
