"""The sweep's output directory: which directories a sweep may use, and its finished files, written atomically
with a manifest.

A missing directory is created; an existing one is used when it is empty, or resumed when it holds this sweep's
results file. Anything else (another sweep's results, other files) needs `force`, which empties the directory and
starts over, except when it holds the sweep's own inputs. A path that is not a directory is never replaced.

When every scenario is done, the outputs (`refarch.sweep.outputs.sweep_files`), the results file sorted by index and
`manifest.json` (the SHA-256 of each, as a bundle's) are written, each through a temporary file and a rename.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from refarch.errors import Location, OutputError
from refarch.inputs.files import write_atomically
from refarch.render.stage import MANIFEST, check_path, manifest_json
from refarch.sweep.results_file import RESULTS_FILE, read_fingerprint

__all__ = ["prepare_directory", "write_files"]

_OUTPUTS = "sweep outputs"


def prepare_directory(outdir: Path, fingerprint: str, force: bool, inputs: Sequence[Path] = ()) -> bool:
    """Make `outdir` ready for the sweep `fingerprint` names; True when it holds this sweep's results to resume.

    Raises:
        OutputError: `outdir` is not a directory; it holds another sweep's results or other files and `force` is
            false; `force` would delete one of `inputs` (the sweep file, its base spec); it cannot be created.
    """
    if (outdir.exists() or outdir.is_symlink()) and not outdir.is_dir():
        raise OutputError("output path exists and is not a directory", Location(outdir), "choose another -o path")
    if not outdir.exists():
        try:
            outdir.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output directory: {exc.strerror}", Location(outdir)) from None
        return False
    if force:
        _clear(outdir, inputs)
        return False
    results = outdir / RESULTS_FILE
    if results.is_file():
        if read_fingerprint(results) == fingerprint:
            return True
        raise OutputError(
            "the output directory holds the results of another sweep (its base spec, axes, catalog, calibration "
            "or refarch version differ)",
            Location(results),
            "pass --force to start over, or choose another -o path",
        )
    if any(outdir.iterdir()):
        raise OutputError(
            "output directory exists, is not empty and holds no results of this sweep",
            Location(outdir),
            "pass --force to empty it and start over, or choose another -o path",
        )
    return False


def write_files(outdir: Path, outputs: dict[str, bytes], results: bytes) -> list[str]:
    """Write `outputs`, the results file's final `results` and the manifest; return the files' names, sorted.

    Raises:
        OutputError: an output names a path outside the directory, or the results file or the manifest; a file
            cannot be written.
    """
    for name in outputs:
        check_path(name, _OUTPUTS)
        if name == RESULTS_FILE:
            raise OutputError(f"{_OUTPUTS} write '{RESULTS_FILE}', which the sweep keeps for its results")
    files = {**outputs, RESULTS_FILE: results}
    try:
        for name, content in sorted(files.items()):
            path = outdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)
        write_atomically(outdir / MANIFEST, manifest_json(files).encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the sweep's files: {exc.strerror or exc}", Location(outdir)) from None
    return sorted([*files, MANIFEST])


def _clear(outdir: Path, inputs: Sequence[Path]) -> None:
    directory = outdir.resolve()
    for path in inputs:
        if path.resolve().is_relative_to(directory):
            raise OutputError(
                f"--force would delete {path}, an input of this sweep, with the rest of the directory",
                Location(outdir),
                "choose another -o path",
            )
    try:
        for child in outdir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    except OSError as exc:
        raise OutputError(f"cannot empty the output directory: {exc.strerror}", Location(outdir)) from None
