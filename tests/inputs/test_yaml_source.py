"""Strict YAML reading: the mistakes a permissive loader would hide are refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from refarch.errors import InputError
from refarch.inputs.yaml_source import read_yaml


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_lines_are_recorded_for_nested_paths(tmp_path: Path) -> None:
    doc = read_yaml(_write(tmp_path, "a:\n  b:\n    - x\n    - y: 1\n"))
    assert doc.data == {"a": {"b": ["x", {"y": 1}]}}
    assert doc.line_of(("a", "b", 1, "y")) == 4
    assert doc.line_of(("a", "b", 1, "missing")) == 4  # falls back to the nearest ancestor


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        pytest.param("a: 1\nb: 2\na: 3\n", "duplicate key 'a'", 3, id="duplicate-key"),
        pytest.param("a: &x [1, 2]\nb: *x\n", "are not allowed", 1, id="alias"),
        pytest.param("a: &x 1\n", "anchors (&name) are not allowed", 1, id="anchor"),
        pytest.param("a: {b: 1\n", "invalid YAML", None, id="malformed"),
        pytest.param("base: &b {x: 1}\nc:\n  <<: *b\n", "not allowed", None, id="merge-key"),
        pytest.param("? [1, 2]\n: x\n", "keys must be strings", 1, id="non-string-key"),
    ],
)
def test_refused_yaml(tmp_path: Path, text: str, fragment: str, line: int | None) -> None:
    with pytest.raises(InputError) as info:
        read_yaml(_write(tmp_path, text))
    assert fragment in str(info.value)
    assert str(tmp_path / "in.yaml") in str(info.value)
    if line is not None:
        assert info.value.location is not None and info.value.location.line == line


def test_billion_laughs_is_refused_before_expansion(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(InputError, match=r"anchors|aliases"):
        read_yaml(_write(tmp_path, "\n".join(lines) + "\n"))


def test_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: " + "x" * 2_000_000 + "\n")
    with pytest.raises(InputError, match="larger than the"):
        read_yaml(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nesting deeper"):
        read_yaml(_write(tmp_path, "a: " + "[" * 100 + "]" * 100 + "\n"))


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        pytest.param("missing", "file not found", id="missing"),
        pytest.param("directory", "got a directory", id="directory"),
        pytest.param("binary", "not UTF-8", id="binary"),
    ],
)
def test_unreadable_files(tmp_path: Path, setup: str, fragment: str) -> None:
    path = tmp_path / "x.yaml"
    if setup == "directory":
        path.mkdir()
    elif setup == "binary":
        path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match=fragment):
        read_yaml(path)
