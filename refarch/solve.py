"""Stage `solve`: from sized compute to the full Plan (racks, power, cooling, BOM, assumptions)."""

from __future__ import annotations

import hashlib
import json

from refarch import __version__
from refarch.bom import bom_lines
from refarch.catalog import Catalog
from refarch.catalog_models import System
from refarch.cooling import RackCooling, cooling_plan, rack_cooling
from refarch.errors import InfeasibleError
from refarch.network_choice import choose_network
from refarch.plan import Plan, PlanMetadata, PowerPlan, RackDevice, RackPlan, SitePlan, Summary
from refarch.power import check_power_budget, choose_pdu, circuits_for, feed_loss_check, usable_w_per_circuit
from refarch.racks import MountedItem, RackLayout, layout_racks, rack_power_limit
from refarch.site_defaults import POWER_FACTOR, RACKS_PER_ROW, preset_assumptions
from refarch.sizing import Sizing
from refarch.spec import Spec
from refarch.spec_defaults import default_assumptions

__all__ = ["solve"]

HOURS_PER_YEAR = 8760


def solve(spec: Spec, catalog: Catalog, sizing: Sizing) -> Plan:
    """Lay out racks, power, cooling and the BOM for `sizing`, and check the site's limits.

    Raises:
        InfeasibleError: a rack, power, cooling, rack-count or budget limit cannot be met (names which, by how much).
    """
    items = _mounted_items(sizing)
    layout = layout_racks(spec, catalog, items)
    pdu = choose_pdu(spec, catalog)
    warnings: list[str] = []
    if not layout.packing.optimal:
        warnings.append(
            f"rack packing stopped at its work limit before proving {len(layout.packing.racks)} racks optimal "
            f"(lower bound {layout.lower_bound})"
        )
    racks = [_rack_plan(spec, layout, i, pdu.id, warnings) for i in range(len(layout.packing.racks))]
    cooling = cooling_plan([RackCooling(r.cooling, r.air_heat_kw * 1000, r.liquid_heat_kw * 1000) for r in racks])
    power = _power_plan(spec, sizing, racks)
    check_power_budget(spec, power.facility_power_kw * 1000)
    bom = bom_lines(catalog, _quantities(items, racks, layout, pdu.id))
    capex = round(sum(line.extended_price_usd for line in bom), 2)
    _check_budget(spec, capex)
    network, network_notes = choose_network(spec, catalog, list(sizing.systems.values()))
    assumptions = [*sizing.assumptions, *default_assumptions(spec), *preset_assumptions(), *network_notes]
    limit_assumption = rack_power_limit(spec)[1]
    if limit_assumption:
        assumptions.append(limit_assumption)
    return Plan(
        metadata=_metadata(spec, catalog),
        summary=_summary(spec, sizing, racks, power, capex),
        site=_site_plan(spec, layout.power_limit_w),
        network=network,
        workloads=sizing.workloads,
        compute=sizing.allocations,
        racks=racks,
        power=power,
        cooling=cooling,
        bom=bom,
        assumptions=sorted(assumptions, key=lambda a: a.id),
        warnings=warnings,
    )


def _mounted_items(sizing: Sizing) -> list[MountedItem]:
    per_platform: dict[str, int] = {}
    for allocation in sizing.allocations:
        per_platform[allocation.platform] = per_platform.get(allocation.platform, 0) + allocation.systems
    items = [MountedItem(sizing.systems[p], n, "compute") for p, n in sorted(per_platform.items())]
    items += [MountedItem(s.server, s.count, s.server.role) for s in sizing.support if s.count]
    return items


def _rack_plan(spec: Spec, layout: RackLayout, index: int, pdu_id: str, warnings: list[str]) -> RackPlan:
    name = f"r{index + 1:03d}"
    placed = layout.packing.racks[index]
    devices = [
        RackDevice(
            name=f"{d.group}-{d.index + 1:03d}",
            catalog_id=d.group,
            role=layout.items[d.group].role,
            u_position=d.u_position,
            height_u=layout.rack.height_u if _is_rack_scale(layout, d.group) else d.height_u,
            max_power_w=d.power_w,
        )
        for d in placed
    ]
    power_w = sum(d.max_power_w for d in devices)
    rack_scale = next((d.catalog_id for d in devices if _is_rack_scale(layout, d.catalog_id)), None)
    cooled = rack_cooling(spec, [layout.items[d.group].device for d in placed], name)
    if cooled.warning:
        warnings.append(cooled.warning)
    return RackPlan(
        name=name,
        catalog_id=rack_scale or layout.rack.id,
        row=index // RACKS_PER_ROW + 1,
        position=index % RACKS_PER_ROW + 1,
        height_u=layout.rack.height_u,
        used_u=sum(d.height_u for d in devices),
        power_limit_kw=layout.power_limit_w / 1000,
        it_power_kw=round(power_w / 1000, 3),
        cooling=cooled.method,
        air_heat_kw=round(cooled.air_w / 1000, 3),
        liquid_heat_kw=round(cooled.liquid_w / 1000, 3),
        circuits=circuits_for(power_w, spec.site.feed),
        pdu_model=None if rack_scale else pdu_id,
        devices=devices,
    )


def _is_rack_scale(layout: RackLayout, group: str) -> bool:
    device = layout.items[group].device
    return isinstance(device, System) and device.rack_scale


def _power_plan(spec: Spec, sizing: Sizing, racks: list[RackPlan]) -> PowerPlan:
    feed = spec.site.feed
    it_kw = round(sum(r.it_power_kw for r in racks), 3)
    facility_kw = round(it_kw * spec.site.pue, 3)
    budget_kw = spec.site.power_budget / 1000 if spec.site.power_budget else None
    per_platform: dict[str, int] = {}
    for allocation in sizing.allocations:
        per_platform[allocation.platform] = per_platform.get(allocation.platform, 0) + allocation.systems
    return PowerPlan(
        it_power_kw=it_kw,
        facility_power_kw=facility_kw,
        pue=spec.site.pue,
        power_budget_kw=budget_kw,
        headroom_kw=round(budget_kw - facility_kw, 3) if budget_kw is not None else None,
        feed_voltage_v=feed.voltage,
        feed_phases=feed.phases,
        feed_breaker_a=feed.breaker,
        feed_derating=feed.derating,
        power_factor=POWER_FACTOR,
        redundancy=feed.redundancy,
        usable_kw_per_circuit=round(usable_w_per_circuit(feed) / 1000, 3),
        circuits=sum(r.circuits for r in racks),
        feed_loss=[feed_loss_check(sizing.systems[p], n) for p, n in sorted(per_platform.items())],
    )


def _quantities(
    items: list[MountedItem], racks: list[RackPlan], layout: RackLayout, pdu_id: str
) -> list[tuple[str, str, int]]:
    quantities = [("compute" if i.role == "compute" else "support", i.device.id, i.count) for i in items]
    # A rack-scale system (GB200 NVL72) ships in its own rack with power shelves: bill neither cabinet nor PDUs.
    cabinets = [r for r in racks if r.pdu_model is not None]
    quantities.append(("rack", layout.rack.id, len(cabinets)))
    quantities.append(("power", pdu_id, sum(r.circuits for r in cabinets)))
    return quantities


def _check_budget(spec: Spec, capex: float) -> None:
    if spec.budget is not None and capex > spec.budget:
        raise InfeasibleError(
            f"the design costs ${capex:,.0f}; the budget is ${spec.budget:,.0f} (over by ${capex - spec.budget:,.0f})",
            spec.where("budget"),
            "raise the budget or reduce the system count; prices marked 'estimate' can be overridden with --catalog",
        )


def _summary(spec: Spec, sizing: Sizing, racks: list[RackPlan], power: PowerPlan, capex: float) -> Summary:
    energy_mwh = round(power.facility_power_kw * HOURS_PER_YEAR / 1000, 3)
    price = spec.site.electricity_price
    return Summary(
        accelerators=sum(a.accelerators for a in sizing.allocations),
        systems=sum(a.systems for a in sizing.allocations),
        racks=len(racks),
        it_power_kw=power.it_power_kw,
        facility_power_kw=power.facility_power_kw,
        capex_usd=capex,
        annual_energy_mwh=energy_mwh,
        annual_energy_cost_usd=round(energy_mwh * 1000 * price, 2) if price is not None else None,
    )


def _site_plan(spec: Spec, rack_power_limit_w: float) -> SitePlan:
    site = spec.site
    return SitePlan(
        power_budget_w=site.power_budget,
        rack_power_limit_w=rack_power_limit_w,
        cooling=list(site.cooling),
        rack_height_u=site.rack_height,
        max_racks=site.max_racks,
        pue=site.pue,
        electricity_price_usd_per_kwh=site.electricity_price,
        budget_usd=spec.budget,
    )


def _metadata(spec: Spec, catalog: Catalog) -> PlanMetadata:
    return PlanMetadata(
        name=spec.metadata.name,
        description=spec.metadata.description,
        refarch_version=__version__,
        spec_sha256=_sha256(spec.model_dump(mode="json", by_alias=True)),
        catalog_sha256=_sha256({i: e.model_dump(mode="json") for i, e in catalog.entries.items()}),
    )


def _sha256(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
