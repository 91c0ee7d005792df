"""One exception hierarchy for everything refarch reports to a user.

The CLI maps these to exit codes in one place (`refarch.cli.app`); library users catch `RefarchError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CatalogError",
    "InfeasibleError",
    "InputError",
    "NotSupportedError",
    "OutputError",
    "RefarchError",
    "SpecError",
    "Location",
]


@dataclass(frozen=True)
class Location:
    """Where in an input file a problem sits: file, dotted path inside it, and line when known."""

    file: Path | None
    path: str = ""
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None and self.path.startswith("--"):
            return f"option {self.path}"  # a command-line option, not a place in a file
        parts = [str(self.file) if self.file else "<input>"]
        if self.line is not None:
            parts[0] += f":{self.line}"
        if self.path:
            parts.append(f"at '{self.path}'")
        return " ".join(parts)


class RefarchError(Exception):
    """Base of every error refarch raises on purpose. `exit_code` is what the CLI returns."""

    exit_code = 1

    def __init__(
        self, message: str, location: Location | None = None, hint: str = "", field: tuple[str, ...] = ()
    ) -> None:
        self.message = message
        self.location = location
        self.hint = hint
        # The offending field relative to the workload it concerns (e.g. ("parallelism", "tp")): the library
        # that raises knows the field but not the spec; a caller that knows both turns it into a location.
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        """One human-readable message: where, what, and what would be valid."""
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class InputError(RefarchError):
    """The user's input (spec, catalog, calibration file) is malformed or invalid."""

    exit_code = 2


class SpecError(InputError):
    """The workload spec is invalid."""


class CatalogError(InputError):
    """A catalog file or entry is invalid, or a referenced id does not exist."""


class NotSupportedError(RefarchError):
    """The input is valid but asks for a capability refarch does not have yet."""

    exit_code = 2


class InfeasibleError(RefarchError):
    """No design satisfies the constraints; the message names the binding constraint and by how much."""

    exit_code = 3


class OutputError(RefarchError):
    """The bundle cannot be written (target exists and is not empty, no permission, ...)."""

    exit_code = 4
