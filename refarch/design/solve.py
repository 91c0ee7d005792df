"""Stage `solve`: from sized compute to the full Plan (racks, power, cooling, BOM, assumptions)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Server, Switch, System
from refarch.design.addressing import plan_addressing
from refarch.design.bom import bom_lines
from refarch.design.cabling import (
    CableGeometry,
    MediaChooser,
    cable_runs,
    cabling_notes,
    device_positions,
    optics_power_w,
    part_quantities,
)
from refarch.design.context import DesignContext, design_context
from refarch.design.cooling import RackCooling, cooling_plan
from refarch.design.economics import HOURS_PER_YEAR, plan_economics
from refarch.design.networks.fabric_record import fabric_plan
from refarch.design.networks.layout import design_host_fabrics, design_network_racks
from refarch.design.parts import part_plans
from refarch.design.power import choose_pdu, feed_loss_check, usable_w_per_circuit
from refarch.design.rack_plans import rack_plans
from refarch.design.racks import MountedItem, RackLayout, choose_rack, layout_racks
from refarch.design.schedule import lead_time_gaps, plan_schedule
from refarch.inputs.defaults import default_assumptions
from refarch.inputs.presets import AISLE_M, RACKS_PER_ROW, preset_assumptions, racks_per_row
from refarch.inputs.site import ResolvedSite
from refarch.inputs.spec import Spec
from refarch.plan import REFARCH_VERSION, FabricPlan, Plan, PlanMetadata, PowerPlan, RackPlan, SitePlan, Summary
from refarch.sizing.site_limits import SiteUse, check_site_limits
from refarch.sizing.stage import Sizing, systems_per_platform

__all__ = ["design", "site_use", "solve"]


def solve(spec: Spec, catalog: Catalog, sizing: Sizing) -> Plan:
    """Lay out racks, fabrics, cabling, power, cooling and the BOM for `sizing`, and check the site's limits.

    Raises:
        InfeasibleError: a rack, fabric, cable reach, power, cooling, rack-count or budget limit cannot be met
            (names which, by how much).
    """
    context = design_context(spec, catalog, sizing.systems.values())
    plan = _design(spec, context, sizing)
    check_site_limits(context.site, site_use(plan))
    return plan


def site_use(plan: Plan) -> SiteUse:
    """What `plan` takes of the site: facility power, racks (network racks included) and capital cost."""
    return SiteUse(plan.power.facility_power_kw * 1000, len(plan.racks), plan.summary.capex_usd)


def design(spec: Spec, catalog: Catalog, sizing: Sizing) -> Plan:
    """Lay out racks, fabrics, cabling, power, cooling and the BOM for `sizing`, without the site-wide limits
    (rack count, power budget, budget), so that a design over them can still be measured.

    Raises:
        InfeasibleError: a rack, fabric, cable reach, power or cooling limit cannot be met.
    """
    return _design(spec, design_context(spec, catalog, sizing.systems.values()), sizing)


def _design(spec: Spec, context: DesignContext, sizing: Sizing) -> Plan:
    """The design itself: every stage below reads `context`; the spec is read only for the plan's metadata and the
    defaults it lists."""
    catalog, site = context.catalog, context.site
    chooser = MediaChooser(catalog)
    fabrics = design_host_fabrics(context, _mounted_items(sizing), chooser)
    host_layout = layout_racks(context, fabrics.hosts)
    pdu = choose_pdu(catalog, site.feed)
    warnings = sizing.warnings + _packing_warnings(host_layout)
    host_racks = rack_plans(site, host_layout, 1, pdu.id, {}, [], RACKS_PER_ROW)

    def network_rack_plans(layout: RackLayout, per_row: int = RACKS_PER_ROW) -> list[RackPlan]:
        return rack_plans(site, layout, len(host_racks) + 1, pdu.id, {}, [], per_row)

    networks = design_network_racks(context, fabrics, host_racks, chooser, network_rack_plans)
    warnings += _packing_warnings(networks.layout)
    per_row = racks_per_row(len(host_layout.packing.racks) + len(networks.layout.packing.racks))
    geometry = _geometry(context)
    placed = [*rack_plans(site, host_layout, 1, pdu.id, {}, [], per_row), *network_rack_plans(networks.layout, per_row)]
    runs = cable_runs(networks.designs, device_positions(placed), geometry, chooser)
    all_runs = [run for fabric_runs in runs.values() for run in fabric_runs]
    switches = {n: i.device for i in networks.items if isinstance(i.device, Switch) for n in i.names}
    optics = optics_power_w(catalog, all_runs, switches)
    racks = rack_plans(site, host_layout, 1, pdu.id, optics, warnings, per_row)
    racks += rack_plans(site, networks.layout, len(racks) + 1, pdu.id, optics, warnings, per_row)
    cooling = cooling_plan([RackCooling(r.cooling, r.air_heat_kw * 1000, r.liquid_heat_kw * 1000) for r in racks])
    power = _power_plan(site, sizing, racks)
    items = [*fabrics.hosts, *networks.items]
    bom = bom_lines(catalog, _quantities(items, racks, host_layout, pdu.id, part_quantities(catalog, all_runs)))
    capex = round(sum(line.extended_price_usd for line in bom), 2)
    assumptions = [
        *sizing.assumptions, *default_assumptions(spec), *preset_assumptions(), *context.network.notes,
        *networks.assumptions, *cabling_notes(geometry),
    ]  # fmt: skip
    if site.rack_power_limit_assumption:
        assumptions.append(site.rack_power_limit_assumption)
    fabric_plans = {d.request.name: fabric_plan(d, runs[d.request.name]) for d in networks.designs}
    asked = context.network.asked
    addressing = plan_addressing(asked.prefixes, racks, runs, asked.prefix_where)
    plan = Plan(
        metadata=_metadata(spec, catalog),
        summary=_summary(site, sizing, racks, power, capex, fabric_plans),
        site=_site_plan(site, host_layout.power_limit_w),
        network=context.network.chosen,
        workloads=sizing.workloads,
        compute=sizing.allocations,
        racks=racks,
        power=power,
        cooling=cooling,
        bom=bom,
        assumptions=sorted(assumptions, key=lambda a: a.id),
        warnings=warnings,
        fabrics=fabric_plans,
        addressing=addressing,
        performance=sizing.performance,
        decisions=sizing.decisions,
        parts=part_plans(
            catalog,
            [
                *(line.part for line in bom),
                *(r.catalog_id for r in racks),
                *(d.catalog_id for r in racks for d in r.devices),
            ],
        ),
    )
    schedule = plan_schedule(plan, catalog, context.schedule, sizing.time_to_train, context.power_phases_where)
    return plan.model_copy(
        update={
            "economics": plan_economics(plan, context.finance),
            "schedule": schedule,
            "assumptions": sorted([*plan.assumptions, *lead_time_gaps(schedule)], key=lambda a: a.id),
        }
    )


def _packing_warnings(layout: RackLayout) -> list[str]:
    if layout.packing.optimal:
        return []
    return [
        f"rack packing stopped at its work limit before proving {len(layout.packing.racks)} racks optimal "
        f"(lower bound {layout.lower_bound})"
    ]


def _geometry(context: DesignContext) -> CableGeometry:
    rack = choose_rack(context)
    return CableGeometry(rack_width_m=rack.width_mm / 1000, row_pitch_m=round(rack.depth_mm / 1000 + AISLE_M, 3))


def _mounted_items(sizing: Sizing) -> list[MountedItem]:
    per_platform = systems_per_platform(sizing.allocations)
    items = [_named(sizing.systems[p], n, "compute", "compute") for p, n in sorted(per_platform.items())]
    items += [_named(s.server, s.count, s.server.role, "support") for s in sizing.support if s.count]
    return items


def _named(device: System | Server, count: int, role: str, category: str) -> MountedItem:
    return MountedItem(device, count, role, category, tuple(f"{device.id}-{i:03d}" for i in range(1, count + 1)))


def _power_plan(site: ResolvedSite, sizing: Sizing, racks: list[RackPlan]) -> PowerPlan:
    feed = site.feed
    it_kw = round(sum(r.it_power_kw for r in racks), 3)
    facility_kw = round(it_kw * site.pue, 3)
    budget_kw = site.power_budget_w / 1000 if site.power_budget_w else None
    per_platform = systems_per_platform(sizing.allocations)
    return PowerPlan(
        it_power_kw=it_kw,
        facility_power_kw=facility_kw,
        pue=site.pue,
        power_budget_kw=budget_kw,
        headroom_kw=round(budget_kw - facility_kw, 3) if budget_kw is not None else None,
        feed_voltage_v=feed.voltage_v,
        feed_phases=feed.phases,
        feed_breaker_a=feed.breaker_a,
        feed_derating=feed.derating,
        power_factor=feed.power_factor,
        redundancy=feed.redundancy,
        usable_kw_per_circuit=round(usable_w_per_circuit(feed) / 1000, 3),
        circuits=sum(r.circuits for r in racks),
        feed_loss=[feed_loss_check(sizing.systems[p], n) for p, n in sorted(per_platform.items())],
    )


def _quantities(
    items: list[MountedItem], racks: list[RackPlan], layout: RackLayout, pdu_id: str, cabling: Counter[str]
) -> list[tuple[str, str, int]]:
    quantities = [(i.category, i.device.id, i.count) for i in items]
    quantities += [("cabling", part, n) for part, n in sorted(cabling.items())]
    # A rack-scale system (GB200 NVL72) ships in its own rack with power shelves: bill neither cabinet nor PDUs.
    cabinets = [r for r in racks if r.pdu_model is not None]
    quantities.append(("rack", layout.rack.id, len(cabinets)))
    quantities.append(("power", pdu_id, sum(r.circuits for r in cabinets)))
    return quantities


def _summary(
    site: ResolvedSite,
    sizing: Sizing,
    racks: list[RackPlan],
    power: PowerPlan,
    capex: float,
    fabrics: dict[str, FabricPlan],
) -> Summary:
    energy_mwh = round(power.facility_power_kw * HOURS_PER_YEAR / 1000, 3)
    price = site.electricity_price_usd_per_kwh
    return Summary(
        accelerators=sum(a.accelerators for a in sizing.allocations),
        systems=sum(a.systems for a in sizing.allocations),
        racks=len(racks),
        switches=sum(sum(f.switches.values()) for f in fabrics.values()),
        cables=sum(len(f.cables) for f in fabrics.values()),
        it_power_kw=power.it_power_kw,
        facility_power_kw=power.facility_power_kw,
        capex_usd=capex,
        annual_energy_mwh=energy_mwh,
        annual_energy_cost_usd=round(energy_mwh * 1000 * price, 2) if price is not None else None,
    )


def _site_plan(site: ResolvedSite, rack_power_limit_w: float) -> SitePlan:
    return SitePlan(
        power_budget_w=site.power_budget_w,
        rack_power_limit_w=rack_power_limit_w,
        cooling=list(site.cooling),
        rack_height_u=site.rack_height_u,
        max_racks=site.max_racks,
        pue=site.pue,
        electricity_price_usd_per_kwh=site.electricity_price_usd_per_kwh,
        budget_usd=site.budget_usd,
    )


def _metadata(spec: Spec, catalog: Catalog) -> PlanMetadata:
    return PlanMetadata(
        name=spec.metadata.name,
        description=spec.metadata.description,
        refarch_version=REFARCH_VERSION,
        spec_sha256=_sha256(spec.model_dump(mode="json", by_alias=True)),
        catalog_sha256=_sha256({i: e.model_dump(mode="json") for i, e in catalog.entries.items()}),
    )


def _sha256(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
