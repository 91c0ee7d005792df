"""The catalog parts a plan uses, as records the outputs can read without the catalog (`Plan.parts`)."""

from __future__ import annotations

from collections.abc import Iterable

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Rack, System
from refarch.plan import PartPlan

__all__ = ["part_plans"]


def part_plans(catalog: Catalog, part_ids: Iterable[str]) -> list[PartPlan]:
    """One record per distinct id, sorted by id."""
    return [_part(catalog, part_id) for part_id in sorted(set(part_ids))]


def _part(catalog: Catalog, part_id: str) -> PartPlan:
    entry = catalog.entries[part_id]
    fields = {
        "id": entry.id, "kind": entry.kind, "name": entry.name, "vendor": entry.vendor,
        "confidence": entry.confidence, "source": entry.source,
        "height_u": getattr(entry, "height_u", None), "max_power_w": getattr(entry, "max_power_w", None),
        "typical_power_w": getattr(entry, "typical_power_w", None),
    }  # fmt: skip
    if isinstance(entry, System) and entry.psu is not None:
        fields |= {"power_supplies": entry.psu.count, "power_supplies_required": entry.psu.required}
    if isinstance(entry, Rack):
        fields |= {
            "width_mm": entry.width_mm,
            "depth_mm": entry.depth_mm,
            "height_u": entry.height_u,
            "rack_standard": entry.standard,
        }
    return PartPlan.model_validate(fields)
