"""A sweep's scenarios, in a stable order with stable ids, and the fingerprint that tells one sweep from another.

`product` varies the last axis fastest (as nested loops over the axes in the file's order); `zip` takes the axes'
first values together, then their second values, and so on. A scenario's id hashes what it sets (each field, as
resolved, with its value), so it does not change when an axis is renamed or the axes are reordered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from refarch.catalog.loader import Catalog
from refarch.perf.calibration.file import Calibration
from refarch.plan import REFARCH_VERSION
from refarch.sweep.records import AxisValue
from refarch.sweep.sweepfile import Axis, Sweep

__all__ = ["RESULTS_FORMAT", "Scenario", "catalog_sha256", "calibration_sha256", "expand", "fingerprint", "scenario_id"]

# The version of the results file's records; part of the fingerprint, so that a file in an older format is not
# resumed as if it were this sweep's.
RESULTS_FORMAT = 1
_ID_HEX_DIGITS = 16


@dataclass(frozen=True)
class Scenario:
    """One point of the sweep: its position in the expansion, its id, and each axis's value (by axis name)."""

    index: int
    id: str
    values: dict[str, AxisValue]


def expand(sweep: Sweep) -> list[Scenario]:
    """Every scenario of `sweep`, in expansion order."""
    columns = [axis.values for axis in sweep.axes]
    rows: Iterable[tuple[AxisValue, ...]] = (
        itertools.product(*columns) if sweep.combine == "product" else zip(*columns, strict=True)
    )
    names = [axis.name for axis in sweep.axes]
    return [
        Scenario(index, scenario_id(sweep.axes, row), dict(zip(names, row, strict=True)))
        for index, row in enumerate(rows)
    ]


def scenario_id(axes: Iterable[Axis], row: Iterable[AxisValue]) -> str:
    """A hash of the fields a scenario sets and their values, independent of the axes' names and order; 1, 1.0 and
    '1' are different values."""
    settings = sorted((str(axis.target), value) for axis, value in zip(axes, row, strict=True))
    return _sha256(settings)[:_ID_HEX_DIGITS]


def fingerprint(sweep: Sweep, catalog_hash: str, calibration_hash: str) -> str:
    """What makes two runs the same sweep: the base spec's data, how the axes combine, each axis (name, field,
    values), the catalog's and the calibration's content, refarch's version and the results format. The sweep's
    name and description are not in it: they change the outputs, not the results."""
    return _sha256(
        {
            "format": RESULTS_FORMAT,
            "refarch": REFARCH_VERSION,
            "base": sweep.base,
            "combine": sweep.combine,
            "axes": [{"name": a.name, "field": str(a.target), "values": list(a.values)} for a in sweep.axes],
            "catalog": catalog_hash,
            "calibration": calibration_hash,
        }
    )


def catalog_sha256(catalog: Catalog) -> str:
    """A hash of every entry's content."""
    return _sha256({entry_id: entry.model_dump(mode="json") for entry_id, entry in catalog.entries.items()})


def calibration_sha256(calibration: Calibration) -> str:
    """A hash of the calibration's parameters and provenance."""
    return _sha256(dataclasses.asdict(calibration))


def _sha256(data: Any) -> str:
    # default=str: YAML dates in the base spec hash as their ISO text.
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
