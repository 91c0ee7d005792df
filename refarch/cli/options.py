"""Options and arguments shared by several commands, defined once so that their names and help read the same
everywhere, and how their values become library inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refarch.perf.calibration.file import Calibration, default_calibration, load_calibration

__all__ = ["CalibrationOption", "CatalogDirs", "SpecArgument", "resolve_calibration"]

SpecArgument = Annotated[Path, typer.Argument(help="Workload spec (YAML).")]
CatalogDirs = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help="User catalog directory, searched before the built-in one (repeatable)."),
]
CalibrationOption = Annotated[
    Path | None, typer.Option("--calibration", help="Calibration file from `refarch calibrate` [default: shipped].")
]


def resolve_calibration(path: Path | None) -> Calibration:
    """The calibration in `path`, or the shipped default."""
    return load_calibration(path) if path is not None else default_calibration()
