"""Plan.parts: every catalog part a plan uses, once, with the fields of its kind from the catalog."""

from __future__ import annotations

import pytest

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from refarch.catalog.models import Rack, System

from ..conftest import REPO


@pytest.mark.parametrize("example", ["dgx-h100-su", "cerebras-cs3", "gb200-nvl72-pod"])
def test_parts_cover_racks_devices_and_bom_once(catalog: Catalog, example: str) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / f"{example}.yaml"), catalog)
    ids = [p.id for p in plan.parts]
    assert ids == sorted(set(ids))
    used = {line.part for line in plan.bom} | {r.catalog_id for r in plan.racks}
    used |= {d.catalog_id for r in plan.racks for d in r.devices}
    assert set(ids) == used
    for part in plan.parts:
        entry = catalog.entries[part.id]
        assert (part.kind, part.name, part.vendor, part.confidence) == (
            entry.kind,
            entry.name,
            entry.vendor,
            entry.confidence,
        )
        if isinstance(entry, Rack):
            assert (part.height_u, part.width_mm, part.rack_standard) == (
                entry.height_u,
                entry.width_mm,
                entry.standard,
            )
        if isinstance(entry, System):
            assert part.max_power_w == entry.max_power_w and part.height_u == entry.height_u
            assert part.power_supplies == (entry.psu.count if entry.psu else None)
