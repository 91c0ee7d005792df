"""Stage `render`: write the selected outputs of a Plan as one bundle, atomically, with one manifest.

The outputs are the plugins of `refarch.render.registry`. The shared views are built once and every selected
output renders from the same `RenderContext`; the files they return are checked (relative paths inside the bundle,
no path claimed twice, none clashing with `manifest.json`), written, and hashed into `manifest.json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from refarch.errors import OutputError
from refarch.plan import Plan
from refarch.render.bundle import write_bundle_atomically
from refarch.render.context import Output, Paper, RenderContext
from refarch.render.registry import select_outputs
from refarch.render.templating import Templates

__all__ = ["MANIFEST", "check_path", "collect_files", "manifest_json", "render"]

MANIFEST = "manifest.json"


def render(
    plan: Plan,
    outdir: Path,
    *,
    force: bool = False,
    templates: Sequence[Path] = (),
    outputs: Sequence[str] | None = None,
    paper: Paper = "a4",
) -> Path:
    """Write the bundle for `plan` into `outdir` atomically and return its absolute path.

    Args:
        plan: the resolved design.
        outdir: bundle directory; must not exist or be empty unless `force`.
        force: replace an existing non-empty directory.
        templates: user template directories searched, file by file, before the built-in templates.
        outputs: names of the outputs to write (`refarch.render.registry.output_names()`); None writes them all.
        paper: the page size of review.pdf (`a4` or `letter`).

    Raises:
        InputError: an unknown output name, a missing template directory, or a template that fails.
        OutputError: the directory cannot be written or exists without `force`; two outputs write the same file.
    """
    selected = select_outputs(outputs)
    environment = Templates(templates)

    def fill(staging: Path) -> None:
        context = RenderContext(plan, environment, paper)
        files = collect_files(selected, context)
        for name, content in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (staging / MANIFEST).write_bytes(manifest_json(files).encode("utf-8"))

    return write_bundle_atomically(outdir, fill, force)


def collect_files(outputs: Sequence[Output], context: RenderContext) -> dict[str, bytes]:
    """Every file of `outputs`, as bytes (text encoded as UTF-8), keyed by its path in the bundle.

    Outputs that describe the bundle come last and see the files of those before them.

    Raises:
        OutputError: a path is not a plain relative path, is `manifest.json`, is claimed by two outputs, or is a
            file where another output puts a directory.
    """
    files: dict[str, bytes] = {}
    owners: dict[str, str] = {}
    ordered = [o for o in outputs if not o.describes_bundle] + [o for o in outputs if o.describes_bundle]
    for output in ordered:
        seen = context.with_bundle(files) if output.describes_bundle else context
        for name, content in output.build(seen).items():
            check_path(name, output.name)
            if name in owners:
                raise OutputError(f"outputs '{owners[name]}' and '{output.name}' both write '{name}'")
            owners[name] = output.name
            files[name] = content.encode("utf-8") if isinstance(content, str) else content
    directories = {str(parent) for name in files for parent in PurePosixPath(name).parents}
    for name in sorted(files.keys() & directories):
        raise OutputError(f"output '{owners[name]}' writes a file '{name}' where another output puts a directory")
    return files


def check_path(name: str, output: str) -> None:
    """Refuse a file name that is not a plain relative path inside the bundle, or that is the manifest's.

    Raises:
        OutputError: naming `output`, the output that returned the file.
    """
    path = PurePosixPath(name)
    plain = name == str(path) and not path.is_absolute() and all(part not in ("", ".", "..") for part in path.parts)
    if not plain or "\\" in name:
        raise OutputError(f"output '{output}' names the file '{name}', which is not a plain path inside the bundle")
    if name == MANIFEST:
        raise OutputError(f"output '{output}' writes '{MANIFEST}', which the bundle writer keeps for itself")


def manifest_json(files: dict[str, bytes]) -> str:
    """The manifest: the SHA-256 of every file written (the manifest itself aside), by path, sorted."""
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}
    return json.dumps({"files": digests}, sort_keys=True, indent=2) + "\n"
