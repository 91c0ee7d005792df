"""Write a bundle directory atomically: build it beside the target, then move it into place.

A crash or an error while rendering never leaves a half-written bundle, and an existing non-empty directory
is replaced only with `force=True` (the old one is removed only after the new one is in place).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from refarch.errors import Location, OutputError

__all__ = ["write_bundle_atomically"]


def write_bundle_atomically(target: Path, fill: Callable[[Path], None], force: bool = False) -> Path:
    """Create `target` by calling `fill(staging_dir)` and renaming the staging directory into place.

    Raises:
        OutputError: `target` is a non-empty directory and `force` is false, is a file, or is not writable.
    """
    target = target.absolute()
    _check_target(target, force)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output directory: {exc.strerror}", Location(target)) from None
    try:
        fill(staging)
        staging.chmod(0o755)  # mkdtemp makes it 0700; a bundle is an ordinary directory
        _swap_into_place(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the bundle: {exc.strerror or exc}", Location(target)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _check_target(target: Path, force: bool) -> None:
    if target.is_file() or target.is_symlink():
        raise OutputError("output path exists and is not a directory", Location(target), "choose another -o path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise OutputError(
            "output directory exists and is not empty; refusing to overwrite it",
            Location(target),
            "pass --force to replace it, or choose another -o path",
        )


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)  # put the previous bundle back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
