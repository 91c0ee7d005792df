"""Size the compute fabrics (rail-optimized GPU fat trees, flat wafer-cluster Ethernet) and the storage fabric.

The counts come from `solvers.fat_tree` (the rules of fabric.md); the graphs from `solvers.fabric_graph`, which
is validated on every run. Management networks (in-band, out-of-band) are in `refarch.design.networks.management`.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Server, Switch, System
from refarch.design.context import DesignContext
from refarch.design.racks import MountedItem
from refarch.errors import CatalogError, InfeasibleError, Location
from refarch.plan import NetworkPlan
from refarch.sizing.network_choice import (
    breakout,
    compute_nics,
    endpoint_speed_gbps,
    link_count,
    nic_speed_gbps,
)
from refarch.types import Assumption, FabricTechnology
from solvers.fabric_graph import SWITCH_ROLES, Endpoint, FabricNames, build_fabric_graph, validate_fabric_graph
from solvers.fat_tree import FabricInfeasibleError, FatTree, FatTreeInstance, size_access_layer, size_fat_tree

__all__ = [
    "STORAGE_OVERSUBSCRIPTION",
    "FabricDesign",
    "FabricRequest",
    "build_fabric",
    "compute_fabrics",
    "storage_fabric",
    "storage_switch",
]

# fabric.md: storage ports 1:1, compute-node side "about 4:3".
STORAGE_OVERSUBSCRIPTION = 4 / 3
# The storage fabric's switch by catalog role: one made for storage, else the compute fabrics' kind (reference pods
# build storage on the compute switch family), else any general-purpose switch.
_STORAGE_ROLES = ("storage", "compute", "any")


@dataclass(frozen=True)
class FabricRequest:
    """What one fabric must connect and with which switch."""

    name: str
    purpose: str
    technology: FabricTechnology
    switch: Switch
    endpoints: tuple[Endpoint, ...]
    endpoint_speed_gbps: int
    rail_optimized: bool
    rails: int
    oversubscription: float = 1.0
    planes: int = 1
    manager: Server | None = None
    where: Location | None = None
    access_only: bool = False  # one tier of access switches (out-of-band management)


@dataclass(frozen=True)
class FabricDesign:
    """A sized and validated fabric: its tree (per plane), its graphs and the switches to mount."""

    request: FabricRequest
    tree: FatTree
    graphs: tuple[nx.MultiGraph, ...]

    @property
    def uplink_speed_gbps(self) -> int:
        """Switch-to-switch link speed: the switch's native port speed (or its dedicated uplinks')."""
        return self.request.switch.uplink_speed_gbps or self.request.switch.port_speed_gbps

    def switch_names(self, tier: str) -> list[str]:
        """Every switch of `tier` (leaf, spine, core) over all planes, in build order."""
        return [n for g in self.graphs for n, role in g.nodes(data="role") if role == tier]

    def mounted_items(self) -> list[MountedItem]:
        """The fabric's switches as rack items, one item per tier."""
        items = []
        for tier in SWITCH_ROLES:
            names = self.switch_names(tier)
            if names:
                role = f"{self.request.name}-{tier}"
                items.append(MountedItem(self.request.switch, len(names), role, "network", tuple(names)))
        return items


def build_fabric(request: FabricRequest) -> FabricDesign:
    """Size every plane of `request`, build its graph and validate it.

    Raises:
        InfeasibleError: the switch cannot build this fabric (radix too small for three tiers, rails too many).
    """
    ports_per_link = breakout(request.switch, request.endpoint_speed_gbps)
    manager_links = sum(e.links for e in request.endpoints if e.role == "manager")
    instance = FatTreeInstance(
        systems=_slots(request),
        rails=request.rails if request.rail_optimized else 1,
        radix=request.switch.ports,
        oversubscription=request.oversubscription,
        manager_slots=1 if manager_links and request.rail_optimized else 0,  # the manager pair shares one slot
        manager_links=manager_links,
        breakout=ports_per_link,
    )
    try:
        tree = size_access_layer(instance.systems, instance.radix) if request.access_only else size_fat_tree(instance)
    except FabricInfeasibleError as exc:
        raise InfeasibleError(
            f"the {request.name} fabric cannot be built with {request.switch.id}: {exc}",
            request.where,
            "choose a switch with more ports (`refarch catalog list --kind switch`), raise the oversubscription, "
            "or reduce the system count",
        ) from None
    graphs = tuple(_plane_graph(request, tree, plane) for plane in range(1, request.planes + 1))
    return FabricDesign(request, tree, graphs)


def _slots(request: FabricRequest) -> int:
    """Endpoint slots besides the manager's: one per device when rail-optimized, one per link when flat."""
    if request.rail_optimized:
        return sum(1 for e in request.endpoints if e.role != "manager")
    return sum(e.links for e in request.endpoints)


def _plane_graph(request: FabricRequest, tree: FatTree, plane: int) -> nx.MultiGraph:
    prefix = f"{request.name}-" + (f"p{plane}-" if request.planes > 1 else "")
    endpoints = _with_manager_slot(request, tree)
    speeds = (request.endpoint_speed_gbps, request.switch.port_speed_gbps)
    graph = build_fabric_graph(tree, endpoints, request.switch.ports, speeds, FabricNames(prefix))
    problems = validate_fabric_graph(graph, request.oversubscription)
    if problems:  # a sizing bug, not a user error: never emit a fabric that breaks its own invariants
        raise AssertionError(f"{request.name} fabric failed validation: " + "; ".join(problems[:10]))
    graph.graph.update(plane=plane, fabric=request.name)
    return graph


def _with_manager_slot(request: FabricRequest, tree: FatTree) -> list[Endpoint]:
    """Endpoints in slot order; the manager pair takes the last slot of SU 1, as in the published tables."""
    systems = [e for e in request.endpoints if e.role != "manager"]
    managers = [e for e in request.endpoints if e.role == "manager"]
    slot = min(tree.systems_per_su - 1, len(systems))
    return systems[:slot] + managers + systems[slot:]


def compute_fabrics(
    context: DesignContext, items: list[MountedItem]
) -> tuple[list[FabricDesign], list[MountedItem], list[Assumption]]:
    """One compute fabric per chassis platform (rack-scale systems are not sized yet).

    Returns:
        The fabrics, the fabric-manager appliances to mount, and what the sizing assumed.
    """
    catalog, network = context.catalog, context.network
    chassis = [
        i for i in items if isinstance(i.device, System) and not i.rack_scale and compute_nics(catalog, i.device)
    ]
    servers = [i for i in items if isinstance(i.device, Server) and i.device.nics]
    designs, managers, notes = [], [], []
    for item in chassis:
        assert isinstance(item.device, System)
        switch = catalog.get(network.switch_id(item.device), Switch, network.asked.where)
        name = "compute" if len(chassis) == 1 else f"compute-{item.device.id}"
        request, manager_item = _compute_request(context, switch, item, servers, name)
        designs.append(build_fabric(request))
        managers += [manager_item] if manager_item else []
        notes += _switch_notes(catalog, network.chosen, item.device, switch)
    notes += _compute_notes(items, designs)
    return designs, managers, notes


def _switch_notes(catalog: Catalog, network: NetworkPlan, system: System, switch: Switch) -> list[Assumption]:
    """Say so when `system`'s fabric has a switch other than the plan's, or one that holds its compute links below
    the NICs' rate."""
    notes = []
    if switch.id != network.switch:
        notes.append(
            Assumption(
                id=f"compute-switch-{system.id}",
                text=f"The {system.name} compute fabric is built on {switch.id}, the reference switch of "
                f"{system.name}: each platform gets a compute fabric of its own.",
                confidence="primary",
                source="platform reference design in the catalog (fabric.md)",
            )
        )
    nic_gbps = nic_speed_gbps(catalog, system, network.planes)
    if nic_gbps > switch.port_speed_gbps:
        notes.append(
            Assumption(
                id=f"compute-link-speed-{system.id}",
                text=f"{system.name}'s compute NICs run at {switch.port_speed_gbps} Gb/s, not their {nic_gbps} Gb/s, "
                f"on {switch.id}'s ports: the fabric gives each accelerator {switch.port_speed_gbps / nic_gbps:.0%} of "
                "its NIC's bandwidth, while the performance estimate assumes the NIC's full rate. Choose a switch "
                f"with {nic_gbps} Gb/s ports (network.switch) for the full rate.",
                confidence="derived",
                source="catalog (NIC and switch port speeds)",
            )
        )
    return notes


def _compute_request(
    context: DesignContext, switch: Switch, item: MountedItem, servers: list[MountedItem], name: str
) -> tuple[FabricRequest, MountedItem | None]:
    catalog, network = context.catalog, context.network.chosen
    system = item.device
    assert isinstance(system, System)
    links = link_count(catalog, system)
    speed = endpoint_speed_gbps(catalog, system, switch, network.planes)
    rail_optimized = links == system.accelerators  # one NIC per accelerator: rails (fabric.md)
    endpoints = [Endpoint(n, links) for n in item.names]
    if not rail_optimized:  # wafer clusters: the support servers share the systems' fabric
        endpoints += [Endpoint(n, link_count(catalog, s.device)) for s in servers for n in s.names]
    manager_item = _manager_pair(catalog, name) if network.compute == "infiniband" else None
    if manager_item:
        endpoints += _manager_endpoints(catalog, manager_item, links)
    request = FabricRequest(
        name=name,
        purpose="GPU compute, rail-optimized" if rail_optimized else "wafer-scale cluster Ethernet (flat)",
        technology="infiniband" if network.compute == "infiniband" else "ethernet",
        switch=switch, endpoints=tuple(endpoints), endpoint_speed_gbps=speed, rail_optimized=rail_optimized,
        rails=links, oversubscription=network.oversubscription, planes=network.planes,
        manager=_server(manager_item), where=context.network.asked.where,
    )  # fmt: skip
    return request, manager_item


def _server(item: MountedItem | None) -> Server | None:
    return item.device if item is not None and isinstance(item.device, Server) else None


def _manager_pair(catalog: Catalog, fabric: str) -> MountedItem | None:
    """An HA pair of fabric-manager appliances (UFM) for an InfiniBand fabric, if the catalog has one."""
    managers = sorted((s for s in catalog.of_kind("server") if s.role == "fabric-manager"), key=lambda s: s.id)
    if not managers:
        return None
    names = tuple(f"{fabric}-{managers[0].id}-{i:03d}" for i in (1, 2))
    return MountedItem(managers[0], 2, f"{fabric}-manager", "network", names)


def _manager_endpoints(catalog: Catalog, pair: MountedItem, rails: int) -> list[Endpoint]:
    """The pair shares one SU slot: the first appliance on the first rails, the second on the next ones."""
    links = min(link_count(catalog, pair.device), rails // 2)
    return [
        Endpoint(name, links, "manager", first_rail=i * links, shares_slot=i > 0) for i, name in enumerate(pair.names)
    ]


def storage_fabric(
    context: DesignContext, items: list[MountedItem]
) -> tuple[FabricDesign | None, MountedItem | None, list[Assumption]]:
    """The storage fabric over the systems' storage NICs (one port per storage card, A/B leaves), at 4:3."""
    catalog = context.catalog
    nodes = [i for i in items if compute_nics(catalog, i.device, "storage")]
    if not nodes:
        return None, None, []
    nics = [nic for i in nodes for nic, _ in compute_nics(catalog, i.device, "storage")]
    links = min(count for i in nodes for _, count in compute_nics(catalog, i.device, "storage"))
    technology: FabricTechnology = "infiniband" if context.network.chosen.compute == "infiniband" else "ethernet"
    if technology not in nics[0].technology:
        technology = "ethernet"
    speed = min(n.port_speed_gbps for n in nics)
    switch = storage_switch(catalog, technology, speed)
    manager_item = _manager_pair(catalog, "storage") if technology == "infiniband" else None
    endpoints = [Endpoint(n, links) for i in nodes for n in i.names]
    if manager_item:
        endpoints += _manager_endpoints(catalog, manager_item, links)
    request = FabricRequest(
        name="storage", purpose="storage (compute-node side)", technology=technology, switch=switch,
        endpoints=tuple(endpoints), endpoint_speed_gbps=speed,
        rail_optimized=True, rails=links, oversubscription=STORAGE_OVERSUBSCRIPTION, manager=_server(manager_item),
        where=context.network.asked.where,
    )  # fmt: skip
    return build_fabric(request), manager_item, [_storage_note(switch, links)]


def storage_switch(catalog: Catalog, technology: FabricTechnology, nic_speed_gbps: int) -> Switch:
    """The storage fabric's switch, by catalog role: of the switches of `technology` with role 'storage' (else
    'compute', else 'any'), the slowest whose ports carry the storage NICs' rate (a storage leaf gains nothing from
    faster ports), else the fastest; ties by id.

    Raises:
        CatalogError: the catalog has no switch of `technology` in any of those roles.
    """
    switches = [s for s in catalog.of_kind("switch") if isinstance(s, Switch) and s.technology == technology]
    for role in _STORAGE_ROLES:
        of_role = [s for s in switches if s.role == role]
        carrying = [s for s in of_role if s.port_speed_gbps >= nic_speed_gbps]
        if carrying:
            return min(carrying, key=lambda s: (s.port_speed_gbps, s.id))
        if of_role:
            return min(of_role, key=lambda s: (-s.port_speed_gbps, s.id))
    raise CatalogError(
        f"the catalog has no {technology} switch for the storage fabric (role {', '.join(_STORAGE_ROLES)})",
        None,
        "add one with --catalog",
    )


def _storage_note(switch: Switch, links: int) -> Assumption:
    return Assumption(
        id="storage-fabric",
        text=f"Storage fabric on {switch.id}: one port of each of the {links} storage NICs per system goes to "
        f"the storage fabric (A/B leaves), leaves {STORAGE_OVERSUBSCRIPTION * 3:g}:3 oversubscribed on the "
        "compute-node side. Storage appliances are not sized yet; they attach to free spine ports or "
        "storage leaves added at 1:1.",
        confidence="estimate",
        source="fabric.md (storage ports 1:1, compute side about 4:3); storage appliances out of scope",
    )


def _compute_notes(items: list[MountedItem], designs: list[FabricDesign]) -> list[Assumption]:
    notes = []
    rack_scale = sorted({i.device.id for i in items if i.rack_scale})
    if rack_scale:
        notes.append(
            Assumption(
                id="scope-rack-scale-fabric",
                text=f"The scale-out fabric of {', '.join(rack_scale)} is not sized: the catalog's NIC complement "
                "for rack-scale systems is an estimate and the reference has no published rail layout for them. "
                "Only their management networks are in this plan.",
                confidence="estimate",
                source="refarch scope; shared/reference/hardware.md",
            )
        )
    for design in designs:
        if not design.request.rail_optimized:
            notes.append(_wafer_note(design))
    return notes


def _wafer_note(design: FabricDesign) -> Assumption:
    request = design.request
    ports = sum(e.links for e in request.endpoints)
    return Assumption(
        id=f"wafer-fabric-{request.name}",
        text=f"No published switch counts exist for wafer-scale clusters: the {request.name} fabric is sized "
        f"from the systems' and servers' {ports} x {request.endpoint_speed_gbps} GbE ports with the balanced "
        f"fat-tree rules, on {request.switch.id} ports broken out {design.tree.breakout} ways, flat (not "
        "rail-optimized).",
        confidence="estimate",
        source="fabric.md (Cerebras Wafer-Scale Cluster: no published switch counts)",
    )
