"""The output registry and the render stage: stable names, checked selections, any subset of outputs written with
one manifest that lists exactly its files, and no two outputs writing one path."""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.errors import InputError, Location, OutputError
from refarch.plan import Plan
from refarch.render.context import Files, Output, RenderContext
from refarch.render.registry import OUTPUTS, output_names, select_outputs
from refarch.render.stage import MANIFEST, collect_files, render
from refarch.render.templating import Templates

# The files each output writes for the tiny plan: exact names, or a folder whose files it owns alone.
OWNS: dict[str, Callable[[str], bool]] = {
    "plan": lambda path: path == "plan.json",
    "summary": lambda path: path == "summary.md",
    "bom": lambda path: path == "bom.csv",
    "workbook": lambda path: path == "bom.xlsx",
    "cabling": lambda path: path == "cabling.csv",
    "diagrams": lambda path: path.startswith("diagrams/") and path.endswith((".dot", ".svg")),
    "validation": lambda path: path.startswith("validation/") and path.endswith((".p2p.csv", ".topo.dot")),
    "ansible": lambda path: path.startswith("ansible/"),
    "terraform": lambda path: path.startswith("terraform/") and path.endswith((".tf", "README.md")),
    "review": lambda path: path in ("review.pdf", "review.html"),
}


def _bundle(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def full_bundle(tiny_plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _bundle(render(tiny_plan, tmp_path_factory.mktemp("full") / "bundle"))


def test_the_registry_names_are_stable() -> None:
    """Users select outputs by these names; renaming one breaks their scripts."""
    assert output_names() == (
        "plan", "summary", "bom", "workbook", "cabling", "diagrams", "validation", "ansible", "terraform",
        "review",
    )  # fmt: skip
    assert all(o.description and "\n" not in o.description for o in OUTPUTS)


def test_every_output_module_is_registered() -> None:
    defined = set()
    package = importlib.import_module("refarch.render")  # `refarch.render` the attribute is the stage function
    for module in pkgutil.iter_modules(package.__path__):
        found = getattr(importlib.import_module(f"refarch.render.{module.name}"), "OUTPUT", None)
        if isinstance(found, Output):
            defined.add(found.name)
    assert defined == set(output_names())


def test_every_file_of_the_full_bundle_belongs_to_exactly_one_output(full_bundle: dict[str, bytes]) -> None:
    for path in full_bundle.keys() - {MANIFEST}:
        assert sum(owns(path) for owns in OWNS.values()) == 1, path
    manifest = json.loads(full_bundle[MANIFEST])
    assert manifest == {
        "files": {p: hashlib.sha256(c).hexdigest() for p, c in sorted(full_bundle.items()) if p != MANIFEST}
    }


SUBSETS = [[name] for name in OWNS] + [["bom", "summary"]]


@pytest.mark.parametrize("names", SUBSETS, ids=[",".join(s) for s in SUBSETS])
def test_a_subset_writes_exactly_its_files_and_a_manifest_of_them(
    tiny_plan: Plan, full_bundle: dict[str, bytes], tmp_path: Path, names: list[str]
) -> None:
    written = _bundle(render(tiny_plan, tmp_path / "bundle", outputs=names))
    expected = {p for p in full_bundle if any(OWNS[n](p) for n in names)}
    assert expected  # every output writes something for the tiny plan
    assert set(written) == expected | {MANIFEST}
    # selecting changes no file, but for the review's manifest, which lists the files of the outputs selected
    assert all(written[p] == full_bundle[p] for p in expected if not OWNS["review"](p))
    digests = json.loads(written[MANIFEST])["files"]
    assert digests == {p: hashlib.sha256(written[p]).hexdigest() for p in sorted(expected)}


BAD_SELECTIONS = [
    ("unknown", ["summary", "bomm"], "unknown output 'bomm' (did you mean 'bom'?)"),
    ("unknown-far", ["xyz"], "unknown output 'xyz'"),
    ("empty-list", [], "no output given"),
    ("empty-name", [""], "no output given"),
    ("blank-between", ["bom", " ", "plan"], "an empty output name"),
    ("repeated", ["bom", "plan", "bom"], "output bom given more than once"),
]


@pytest.mark.parametrize(("names", "message"), [b[1:] for b in BAD_SELECTIONS], ids=[b[0] for b in BAD_SELECTIONS])
def test_a_bad_selection_names_what_is_valid(names: list[str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        select_outputs(names, Location(None, "--outputs"))
    text = caught.value.render()
    assert message in text and text.startswith("option --outputs: ")
    assert "valid outputs: plan, summary, bom, workbook, cabling, diagrams, validation" in text


def test_a_selection_keeps_the_registry_order() -> None:
    assert [o.name for o in select_outputs([" validation", "plan "])] == ["plan", "validation"]
    assert select_outputs(None) == OUTPUTS


def _fake(name: str, files: Files) -> Output:
    return Output(name, f"test output {name}", lambda _context: files)


CLASHES = [
    ("same-path", [_fake("a", {"x/y.txt": "1"}), _fake("b", {"x/y.txt": "2"})], "outputs 'a' and 'b' both write 'x/y.txt'"),
    ("file-over-folder", [_fake("a", {"x": "1"}), _fake("b", {"x/y.txt": "2"})], "writes a file 'x' where another output puts a directory"),
    ("manifest", [_fake("a", {MANIFEST: "{}"})], "which the bundle writer keeps for itself"),
    ("parent", [_fake("a", {"../escape.txt": "1"})], "not a plain path inside the bundle"),
    ("absolute", [_fake("a", {"/etc/passwd": "1"})], "not a plain path inside the bundle"),
    ("double-slash", [_fake("a", {"x//y": "1"})], "not a plain path inside the bundle"),
    ("dot", [_fake("a", {"./x": "1"})], "not a plain path inside the bundle"),
    ("backslash", [_fake("a", {"x\\y": "1"})], "not a plain path inside the bundle"),
]  # fmt: skip


@pytest.mark.parametrize(("outputs", "message"), [c[1:] for c in CLASHES], ids=[c[0] for c in CLASHES])
def test_outputs_cannot_claim_one_path_or_leave_the_bundle(
    tiny_plan: Plan, outputs: list[Output], message: str
) -> None:
    context = RenderContext(tiny_plan, Templates())
    with pytest.raises(OutputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        collect_files(outputs, context)


def test_text_and_bytes_are_written_as_given(tiny_plan: Plan) -> None:
    context = RenderContext(tiny_plan, Templates())
    files = collect_files([_fake("a", {"a.txt": "ü\n"}), _fake("b", {"b/c.bin": b"\x00\xff"})], context)
    assert files == {"a.txt": "ü\n".encode(), "b/c.bin": b"\x00\xff"}


def test_an_unknown_output_fails_before_anything_is_written(tiny_plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown output 'sumary'"):
        render(tiny_plan, tmp_path / "bundle", outputs=["sumary"])
    assert not (tmp_path / "bundle").exists()


def test_outputs_that_read_no_views_do_not_build_them(tiny_plan: Plan) -> None:
    context = RenderContext(tiny_plan, Templates())
    collect_files([o for o in OUTPUTS if o.name in ("plan", "bom", "workbook", "validation")], context)
    assert not context.computed("views")
    collect_files([o for o in OUTPUTS if o.name == "cabling"], context)
    assert context.computed("views") and context.views.cables
