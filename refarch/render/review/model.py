"""The records the review templates loop over: each section's rows, computed in Python from the Plan so that the
templates (`templates/review/`) stay layout.

Every figure here is the Plan's, formatted; prose that joins figures is built in the section modules beside this
one and says where each figure came from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Alternative",
    "BomCategory",
    "Decision",
    "FailureDomain",
    "Figure",
    "ManifestEntry",
    "RackGroup",
    "Risk",
]


@dataclass(frozen=True)
class Figure:
    """One labelled figure of a table: the headline, a requirement, a budget line."""

    label: str
    value: str


@dataclass(frozen=True)
class Alternative:
    """An option a decision weighed, with what it would have taken and why it lost (or won)."""

    option: str
    outcome: str
    figures: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """A design decision: what was chosen, why, and the alternatives weighed (empty when none were)."""

    topic: str
    choice: str
    reason: str
    alternatives: tuple[Alternative, ...] = ()
    plot: str | None = None  # the key of the plot that illustrates it (`ReviewDocument.plots`), if one does


@dataclass(frozen=True)
class FailureDomain:
    """What one failed component takes down, in the plan's own terms."""

    component: str
    count: int
    impact: str


@dataclass(frozen=True)
class Risk:
    """Something a reviewer should weigh: how severe, what it is, and what would reduce it."""

    severity: str
    title: str
    detail: str
    mitigation: str


@dataclass(frozen=True)
class BomCategory:
    """The bill of materials of one category: lines, units, cost, and the share of that cost at estimated prices."""

    category: str
    lines: int
    units: int
    extended_usd: float
    estimated_usd: float


@dataclass(frozen=True)
class RackGroup:
    """Racks with the same contents and figures, drawn as one row of the rack table (names listed)."""

    racks: tuple[str, ...]
    catalog_id: str
    devices: str
    used_u: int
    height_u: int
    it_power_kw: float
    power_limit_kw: float
    cooling: str
    air_heat_kw: float
    liquid_heat_kw: float


@dataclass(frozen=True)
class ManifestEntry:
    """A file of the bundle, or a directory of many files collapsed into one line."""

    path: str
    files: int
    size_bytes: int
    sha256: str
