"""Writing one file so that it is whole or untouched: the single-file outputs of every layer (a calibration, a
comparison CSV, a sweep's results and tables) go through `write_atomically`. Bundles are written as a directory
swapped into place (refarch.render.bundle)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file beside it, synced, then renamed over `path`.

    Raises:
        OSError: the file cannot be written (the temporary file is removed; `path` is untouched).
    """
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)  # mkstemp makes it 0600; these are ordinary files
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
