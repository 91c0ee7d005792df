"""The YAML writer of the Ansible bundle: literal round trips of hostile strings, one-line rows, and the same
text from libyaml's emitter as from PyYAML's Python emitter (so output does not depend on which one is present)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from refarch.render.ansible.yaml_files import FlowMapping, Unsafe, dumper_class, yaml_file

HOSTILE = [
    'it\'s "quoted"',
    "key: value",
    "{{ lookup('pipe', 'id') }}",
    "# not a comment",
    "line one\nline two\n",
    "- dash",
    "* star",
    "&anchor",
    "!tag",
    "yes",
    "null",
    "0o17",
    "1e3",
    "",
    " padded ",
    "naïve ünïcode",
    "tab\there",
]


class _AnsibleLoader(yaml.SafeLoader):
    """Reads `!unsafe` as the plain string Ansible would see."""


def _construct_unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_AnsibleLoader.add_constructor("!unsafe", _construct_unsafe)


def _document() -> dict[str, Any]:
    return {
        "plain": HOSTILE,
        "unsafe": [Unsafe(text) for text in HOSTILE],
        "rows": [
            FlowMapping({"zeta": text, "alpha": k, "flag": k % 2 == 0, "none": None, "unsafe": Unsafe(text)})
            for k, text in enumerate(HOSTILE)
        ],
        **{f"key {text}": k for k, text in enumerate(HOSTILE) if text},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def test_every_hostile_string_reads_back_literally() -> None:
    document = _document()
    assert yaml.load(yaml_file(document), Loader=_AnsibleLoader) == _plain(document)


def test_unsafe_strings_carry_ansibles_tag_and_plain_ones_do_not() -> None:
    text = yaml_file({"a": Unsafe("{{ x }}"), "b": "{{ x }}"})
    assert "a: !unsafe '{{ x }}'" in text
    assert "b: '{{ x }}'" in text


def test_a_row_is_one_line_with_sorted_keys() -> None:
    text = yaml_file({"ports": [FlowMapping({"port": "p1", "cable_id": "c-1", "speed_gbps": 400, "peer": "true"})]})
    assert "- {cable_id: c-1, peer: 'true', port: p1, speed_gbps: 400}\n" in text


def test_comment_lines_precede_the_document_start() -> None:
    text = yaml_file({"a": 1}, "first\n\nthird")
    assert text.startswith("# first\n#\n# third\n---\na: 1\n")


def test_no_aliases_even_for_shared_objects() -> None:
    shared = {"x": [1, 2]}
    text = yaml_file({"a": shared, "b": shared})
    assert "&" not in text and "*" not in text


def test_libyaml_is_present_and_writes_what_the_python_emitter_writes() -> None:
    # The bundle relies on libyaml for speed (bench/bench_outputs.py); PyYAML's wheels include it.
    assert yaml.__with_libyaml__
    document = _document()
    options: dict[str, Any] = {"explicit_start": True, "width": 10_000, "allow_unicode": True}
    with_c = yaml.dump(document, Dumper=dumper_class(yaml.CSafeDumper), **options)
    with_python = yaml.dump(document, Dumper=dumper_class(yaml.SafeDumper), **options)
    assert with_c == with_python


@pytest.mark.parametrize("sort_keys", [True, False])
def test_key_order_follows_sort_keys(sort_keys: bool) -> None:
    text = yaml_file({"name": "n", "a": 1}, sort_keys=sort_keys)
    assert text.index("a: 1") < text.index("name: n") if sort_keys else text.index("name: n") < text.index("a: 1")
