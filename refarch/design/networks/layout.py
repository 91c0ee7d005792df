"""Design every network of a plan and the racks its switches go in.

Order matters: compute and storage fabrics depend only on the systems; the out-of-band network reaches every
device and rack PDU, including the network racks' own, and its switches uplink into the in-band fabric. So the
in-band fabric, the network racks and the out-of-band layer are solved together until the count of out-of-band
switches stops changing (it only grows, so this takes two or three rounds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from refarch.design.cabling import MediaChooser, optics_allowance_w
from refarch.design.context import DesignContext
from refarch.design.networks.host_fabrics import FabricDesign, compute_fabrics, storage_fabric
from refarch.design.networks.management import (
    INBAND_LINKS,
    inband_fabric,
    management_notes,
    management_switch,
    oob_fabric,
)
from refarch.design.power import circuits_for
from refarch.design.racks import MountedItem, RackLayout, layout_racks, racks_lower_bound
from refarch.plan import RackPlan
from refarch.types import Assumption
from solvers.fabric_graph import FabricNames

__all__ = ["HostFabrics", "NetworkRacks", "design_host_fabrics", "design_network_racks"]

_MAX_ROUNDS = 20
# Network racks hold a few switch types of near-equal power: CP-SAT rarely closes the last one-rack gap to the
# bound, so a quarter of the host budget keeps each design round short without changing typical results.
NETWORK_PACKING_EFFORT = 0.25


@dataclass(frozen=True)
class HostFabrics:
    """Compute and storage fabrics, the fabric managers, and the hosts with their optics allowance."""

    designs: list[FabricDesign]
    managers: list[MountedItem]
    hosts: list[MountedItem]
    assumptions: list[Assumption]
    allowance_w: dict[str, float]  # optics allowance per device over `designs`


@dataclass(frozen=True)
class NetworkRacks:
    """All fabrics (management included), the network items and their rack layout."""

    designs: list[FabricDesign]
    items: list[MountedItem]
    layout: RackLayout
    assumptions: list[Assumption]


def design_host_fabrics(context: DesignContext, hosts: list[MountedItem], chooser: MediaChooser) -> HostFabrics:
    """Compute and storage fabrics; hosts get the optics allowance of all their fabric links (in-band included)."""
    designs, managers, notes = compute_fabrics(context, hosts)
    storage, storage_managers, storage_notes = storage_fabric(context, hosts)
    if storage is not None:
        designs.append(storage)
        managers += [storage_managers] if storage_managers else []
    notes += storage_notes
    allowance = _allowance(designs, chooser)
    inband_speed = management_switch(context.catalog, "inband").port_speed_gbps
    inband_w = INBAND_LINKS * chooser.allowance_w(inband_speed, at_switch=False)
    hosts = [_with_allowance(item, allowance, inband_w) for item in hosts]
    managers = [_with_allowance(item, allowance, inband_w) for item in managers]
    return HostFabrics(designs, managers, hosts, notes, allowance)


def design_network_racks(
    context: DesignContext,
    fabrics: HostFabrics,
    host_racks: list[RackPlan],
    chooser: MediaChooser,
    rack_plans: Callable[[RackLayout], list[RackPlan]],
) -> NetworkRacks:
    """In-band, out-of-band and the network racks, solved together (see the module docstring).

    Args:
        rack_plans: turns a network layout into RackPlans (named and numbered after the host racks).
    """
    catalog = context.catalog
    oob_switch = management_switch(catalog, "oob")
    oob_names = _first_guess(context, fabrics, host_racks)
    for _ in range(_MAX_ROUNDS):
        inband = inband_fabric(catalog, [*fabrics.hosts, *fabrics.managers], oob_names)
        oob_item = MountedItem(oob_switch, len(oob_names), "oob-leaf", "network", tuple(oob_names))
        designs = [*fabrics.designs, inband]
        # only switch entries are read, and switch names belong to one fabric, so the union loses nothing
        allowance = fabrics.allowance_w | _allowance([inband], chooser)
        items = _network_items(designs, fabrics.managers, allowance) + ([oob_item] if oob_names else [])
        layout = layout_racks(context, items, NETWORK_PACKING_EFFORT)
        oob = oob_fabric(catalog, _oob_endpoints([*host_racks, *rack_plans(layout)]))
        needed = [FabricNames("oob-").leaf(i, 0, 1) for i in range(oob.tree.leaves)]
        if needed == oob_names:
            notes = management_notes(inband, oob, any(i.rack_scale for i in fabrics.hosts))
            return NetworkRacks([*designs, oob], items, layout, [*fabrics.assumptions, *notes])
        oob_names = needed
    raise AssertionError("the out-of-band switch count did not settle")  # it only grows, bounded by devices


def _first_guess(context: DesignContext, fabrics: HostFabrics, host_racks: list[RackPlan]) -> list[str]:
    """Out-of-band switch names for the first round: every device so far, and the PDUs of full network racks."""
    catalog, site = context.catalog, context.site
    inband = inband_fabric(catalog, [*fabrics.hosts, *fabrics.managers], [])
    items = _network_items([*fabrics.designs, inband], fabrics.managers, fabrics.allowance_w)
    devices = sum(i.count for i in items)
    pdus_per_rack = circuits_for(site.rack_power_limit_w, site.feed)
    endpoints = len(_oob_endpoints(host_racks)) + devices + pdus_per_rack * racks_lower_bound(context, items)
    ports = management_switch(catalog, "oob").ports
    return [FabricNames("oob-").leaf(i, 0, 1) for i in range(math.ceil(endpoints / ports))]


def _allowance(designs: list[FabricDesign], chooser: MediaChooser) -> dict[str, float]:
    total: dict[str, float] = {}
    for design in designs:
        for device, watts in optics_allowance_w(design, chooser).items():
            total[device] = total.get(device, 0.0) + watts
    return total


def _with_allowance(item: MountedItem, allowance: dict[str, float], extra_w: float = 0.0) -> MountedItem:
    names = [item.device_name(i) for i in range(item.count)]
    worst = max((allowance.get(n, 0.0) for n in names), default=0.0)
    return replace(item, extra_power_w=round(worst + extra_w, 3))


def _network_items(
    designs: list[FabricDesign], managers: list[MountedItem], allowance: dict[str, float]
) -> list[MountedItem]:
    """Switches of every fabric, each tier with the optics allowance of its busiest switch, and the managers."""
    items = [item for design in designs for item in design.mounted_items()]
    return [_with_allowance(item, allowance) for item in items] + managers


def _oob_endpoints(racks: list[RackPlan]) -> list[str]:
    """Every mounted device and every rack PDU, rack by rack (PDUs are named <rack>-pdu<n>).

    Out-of-band switches are left out: they are managed through their uplinks into the in-band fabric.
    """
    names = []
    for rack in racks:
        names += [d.name for d in rack.devices if d.role != "oob-leaf"]
        names += rack.pdu_names
    return names
