"""Bill of materials: one line per catalog part, priced from the catalog (prices carry their own confidence)."""

from __future__ import annotations

from collections.abc import Iterable

from refarch.catalog.loader import Catalog
from refarch.plan import BomLine

__all__ = ["bom_lines"]


def bom_lines(catalog: Catalog, quantities: Iterable[tuple[str, str, int]]) -> list[BomLine]:
    """Lines for (category, catalog id, quantity) triples; the same part in one category is summed."""
    totals: dict[tuple[str, str], int] = {}
    for category, part, quantity in quantities:
        if quantity > 0:
            totals[(category, part)] = totals.get((category, part), 0) + quantity
    lines = []
    for (category, part), quantity in sorted(totals.items()):
        entry = catalog.entries[part]
        lines.append(
            BomLine(
                part=part,
                description=entry.name,
                category=category,
                quantity=quantity,
                unit_price_usd=entry.price.usd,
                extended_price_usd=round(entry.price.usd * quantity, 2),
                confidence=entry.price.confidence,
                source=entry.price.source,
            )
        )
    return lines
