"""The results file: JSON lines, a header naming the sweep's fingerprint, then one `ScenarioResult` a line in the
order scenarios finish; what makes a sweep resumable.

Each line is written whole and flushed, so a killed sweep loses at most the line being written; reading drops a
torn last line, one without its newline (and cuts it off the file, so that the next line starts clean); any other
damaged line is an error. The file is locked while a sweep
appends to it: two runs into one directory would mix their lines. A finished sweep rewrites the file sorted by
scenario index (`sorted_content`), so that it too is the same whatever the order results came in.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from pydantic import ValidationError

from refarch.errors import Location, OutputError
from refarch.inputs.files import write_atomically
from refarch.sweep.records import ScenarioResult

__all__ = ["RESULTS_FILE", "ResultsLog", "header_line", "read_fingerprint", "sorted_content"]

RESULTS_FILE = "results.jsonl"
_HEADER_KEY = "refarch_sweep"


def header_line(header: dict[str, Any]) -> bytes:
    """The first line of a results file: `{"refarch_sweep": <format>, "fingerprint": ..., ...}`."""
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def read_fingerprint(path: Path) -> str | None:
    """The fingerprint in the header of the results file at `path`; None when it has no readable header."""
    try:
        with path.open("rb") as handle:
            first = handle.readline()
        header = json.loads(first)
    except (OSError, ValueError):
        return None
    fingerprint = header.get("fingerprint") if isinstance(header, dict) and _HEADER_KEY in header else None
    return fingerprint if isinstance(fingerprint, str) else None


def sorted_content(header: dict[str, Any], results: Iterable[ScenarioResult]) -> bytes:
    """The results file's content with `results` sorted by scenario index."""
    lines = [_line(r) for r in sorted(results, key=lambda r: r.index)]
    return header_line(header) + b"".join(lines)


class ResultsLog:
    """The results file, open for appending and locked; `earlier` holds the results it had when opened."""

    def __init__(self, path: Path, header: dict[str, Any], resume: bool) -> None:
        """Open `path`: with `resume`, read the results it holds (dropping a torn last line); without, start it
        with `header` alone.

        Raises:
            OutputError: another sweep holds the file, a line before the last is damaged, or it cannot be written.
        """
        self.path = path
        self.earlier: list[ScenarioResult] = []
        try:
            if not resume:
                write_atomically(path, header_line(header))
            self._file: BinaryIO = path.open("r+b")
        except OSError as exc:
            raise OutputError(f"cannot write the results file: {exc.strerror}", Location(path)) from None
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise OutputError(
                "another sweep is writing this results file", Location(path), "wait for it, or choose another -o"
            ) from None
        self.earlier = self._read() if resume else []
        self._file.seek(0, os.SEEK_END)

    def append(self, results: Iterable[ScenarioResult]) -> None:
        """Write each result as a line and flush it (one write a line: a kill tears at most the last)."""
        for result in results:
            self._file.write(_line(result))
            self._file.flush()

    def close(self) -> None:
        """Flush, unlock and close."""
        self._file.close()

    def __enter__(self) -> ResultsLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _read(self) -> list[ScenarioResult]:
        content = self._file.read()
        header_end = content.find(b"\n") + 1
        lines = content[header_end:].split(b"\n")
        results: list[ScenarioResult] = []
        good_end = header_end
        for number, line in enumerate(lines[:-1], start=2):  # lines[-1] follows the last newline: empty or torn
            try:
                results.append(ScenarioResult.model_validate_json(line))
            except ValidationError:
                raise OutputError(
                    f"line {number} of the results file is damaged", Location(self.path), "pass --force to start over"
                ) from None
            good_end += len(line) + 1
        self._file.truncate(good_end)
        return results


def _line(result: ScenarioResult) -> bytes:
    return result.model_dump_json().encode() + b"\n"
