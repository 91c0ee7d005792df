"""Which sheet of bom.xlsx each BOM line goes to: one sheet per group of categories, in a buyer's order.

The design bills its lines under a handful of category strings (`refarch/design/solve.py`: `compute`, `support`,
`network`, `cabling`, `rack`, `power`). Each maps to a sheet here; a category the map does not know (one a later
design adds, or a typo) lands on `Other`, so no line is ever dropped from the workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from refarch.plan import BomLine

__all__ = ["OTHER", "SHEET_OF_CATEGORY", "SHEET_ORDER", "SheetLines", "group_lines"]

OTHER: Final = "Other"
# Sheets in the order a buyer reads a quote: what computes, what connects it, what houses, powers and cools it.
SHEET_ORDER: Final[tuple[str, ...]] = (
    "Compute", "Network", "Optics & cables", "Racks", "Power", "Cooling", "Storage", OTHER,
)  # fmt: skip
SHEET_OF_CATEGORY: Final[dict[str, str]] = {
    "compute": "Compute",
    # Servers the systems need to run (wafer-cluster MemoryX, SwarmX, workers) are bought with them.
    "support": "Compute",
    # Switches of every fabric and the fabric managers (UFM appliances).
    "network": "Network",
    # Cables, patch cords and transceivers: the design bills optics with the cabling they terminate.
    "cabling": "Optics & cables",
    "rack": "Racks",
    "power": "Power",
    # Not billed by the design yet (CDUs and rear doors are sized but not priced, storage appliances not sized);
    # named so that the lines land on their own sheet the day they are.
    "cooling": "Cooling",
    "storage": "Storage",
}


@dataclass(frozen=True)
class SheetLines:
    """The BOM lines of one sheet, in the plan's order."""

    sheet: str
    lines: tuple[BomLine, ...]


def group_lines(bom: Sequence[BomLine]) -> tuple[SheetLines, ...]:
    """The BOM split into sheets in `SHEET_ORDER`, each line exactly once; sheets without a line are left out."""
    by_sheet: dict[str, list[BomLine]] = {sheet: [] for sheet in SHEET_ORDER}
    for line in bom:
        by_sheet[SHEET_OF_CATEGORY.get(line.category, OTHER)].append(line)
    return tuple(SheetLines(sheet, tuple(lines)) for sheet, lines in by_sheet.items() if lines)
