"""RackPlans from a rack layout: named devices, power with optics, feed circuits and the cooling method."""

from __future__ import annotations

from collections.abc import Mapping

from refarch.design.cooling import rack_cooling
from refarch.design.power import circuits_for
from refarch.design.racks import RackLayout
from refarch.inputs.site import ResolvedSite
from refarch.plan import RackDevice, RackPlan

__all__ = ["rack_plans"]


def rack_plans(
    site: ResolvedSite,
    layout: RackLayout,
    first_number: int,
    pdu_id: str,
    optics_w: Mapping[str, float],
    warnings: list[str],
    per_row: int,
) -> list[RackPlan]:
    """One RackPlan per packed rack, numbered from `first_number` (1-based) in rows of `per_row`.

    Circuits are sized for what the packing reserved (devices plus the most optics they can take), so they do not
    change when the cabling plan later settles which optics each device really gets.
    """
    return [
        _rack_plan(site, layout, i, (first_number + i, per_row), pdu_id, optics_w, warnings)
        for i in range(len(layout.packing.racks))
    ]


def _rack_plan(
    site: ResolvedSite,
    layout: RackLayout,
    index: int,
    numbering: tuple[int, int],
    pdu_id: str,
    optics_w: Mapping[str, float],
    warnings: list[str],
) -> RackPlan:
    number, per_row = numbering
    name = f"r{number:03d}"
    placed = layout.packing.racks[index]
    items = [layout.items[d.group] for d in placed]
    devices = [
        RackDevice(
            name=item.device_name(d.index),
            catalog_id=item.device.id,
            role=item.role,
            u_position=d.u_position,
            height_u=layout.rack.height_u if item.rack_scale else d.height_u,
            max_power_w=item.device.max_power_w,
        )
        for d, item in zip(placed, items, strict=True)
    ]
    optics = sum(optics_w.get(d.name, 0.0) for d in devices)
    power_w = sum(d.max_power_w for d in devices) + optics
    rack_scale = next((item.device.id for item in items if item.rack_scale), None)
    cooled = rack_cooling(site, [item.device for item in items], name, extra_air_w=optics)
    if cooled.warning:
        warnings.append(cooled.warning)
    return RackPlan(
        name=name,
        catalog_id=rack_scale or layout.rack.id,
        row=(number - 1) // per_row + 1,
        position=(number - 1) % per_row + 1,
        height_u=layout.rack.height_u,
        used_u=sum(d.height_u for d in devices),
        power_limit_kw=layout.power_limit_w / 1000,
        it_power_kw=round(power_w / 1000, 3),
        optics_power_kw=round(optics / 1000, 3),
        cooling=cooled.method,
        air_heat_kw=round(cooled.air_w / 1000, 3),
        liquid_heat_kw=round(cooled.liquid_w / 1000, 3),
        circuits=circuits_for(layout.packing.rack_power_w(index), site.feed),
        pdu_model=None if rack_scale else pdu_id,
        devices=devices,
    )
