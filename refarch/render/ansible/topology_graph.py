"""The facts Slurm's topology needs, read from the Plan: Slurm node names and the compute fabric's cable graph.

The topology file and its checker both start here, so the file is checked against the cables, not against
the code that wrote it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from refarch.plan import Plan

__all__ = ["COMPUTE_FABRIC", "FabricGraph", "fabric_graph", "nvlink_domains", "os_host_names", "slurm_nodes"]

COMPUTE_FABRIC = "compute"
# Cable tiers that go up the fat tree, with the level of their B end (leaves are level 1).
_UP_TIERS = {"leaf-spine": 2, "spine-core": 3}


def os_host_names(device: str, hosts_per_system: int) -> list[str]:
    """Slurm node (and inventory) names of a system: the device itself, or one per tray (`<device>-n01`...)."""
    if hosts_per_system <= 1:
        return [device]
    width = max(2, len(str(hosts_per_system)))
    return [f"{device}-n{k:0{width}d}" for k in range(1, hosts_per_system + 1)]


def _hosts_per_platform(plan: Plan) -> dict[str, int]:
    """Platform -> OS hosts per system, for GPU systems only: a wafer system is driven by its support servers,
    which are no Slurm compute nodes."""
    return {a.platform: a.hosts_per_system for a in plan.compute if a.architecture == "gpu"}


def slurm_nodes(plan: Plan) -> dict[str, list[str]]:
    """Compute device -> its Slurm node names, for every GPU system racked in the plan."""
    hosts = _hosts_per_platform(plan)
    return {
        device.name: os_host_names(device.name, hosts[device.catalog_id])
        for rack in plan.racks
        for device in rack.devices
        if device.role == "compute" and device.catalog_id in hosts
    }


def nvlink_domains(plan: Plan) -> dict[str, list[str]]:
    """Device -> trays of each multi-host (NVLink-domain) system, e.g. the 18 trays of a GB200 NVL72."""
    return {device: names for device, names in slurm_nodes(plan).items() if len(names) > 1}


@dataclass(frozen=True)
class FabricGraph:
    """One plane of the compute fabric as Slurm sees it.

    `leaf_nodes`: leaf -> Slurm nodes cabled to it (fabric managers and other non-compute endpoints left out);
    `node_leaves`: the reverse; `parents`: switch -> switches cabled above it; `level`: switch -> 1 leaf,
    2 spine, 3 core; `switches`: every switch of the fabric on any plane (names a topology may use).
    """

    plane: int
    leaf_nodes: dict[str, frozenset[str]]
    node_leaves: dict[str, frozenset[str]]
    parents: dict[str, frozenset[str]]
    level: dict[str, int]
    switches: frozenset[str]


def fabric_graph(plan: Plan) -> FabricGraph | None:
    """The graph of the plan's compute fabric on its first plane, or None when the plan has none."""
    fabric = plan.fabrics.get(COMPUTE_FABRIC)
    if fabric is None or not fabric.cables:
        return None
    # Planes are cabled alike (same leaf per rail and SU, same spines), so the first one stands for all.
    plane = min(cable.plane for cable in fabric.cables)
    nodes = slurm_nodes(plan)
    leaf_nodes: dict[str, set[str]] = defaultdict(set)
    node_leaves: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    level: dict[str, int] = {}
    switches: set[str] = set()
    for cable in fabric.cables:
        if cable.tier == "endpoint-leaf":
            switches.add(cable.b_device)
        elif cable.tier in _UP_TIERS:
            switches.update((cable.a_device, cable.b_device))
        if cable.plane != plane:
            continue
        if cable.tier == "endpoint-leaf" and cable.a_device in nodes:
            level[cable.b_device] = 1
            for node in nodes[cable.a_device]:
                leaf_nodes[cable.b_device].add(node)
                node_leaves[node].add(cable.b_device)
        elif cable.tier in _UP_TIERS:
            parents[cable.a_device].add(cable.b_device)
            level[cable.b_device] = _UP_TIERS[cable.tier]
    return FabricGraph(
        plane=plane,
        leaf_nodes={leaf: frozenset(members) for leaf, members in leaf_nodes.items()},
        node_leaves={node: frozenset(leaves) for node, leaves in node_leaves.items()},
        parents={switch: frozenset(above) for switch, above in parents.items()},
        level=level,
        switches=frozenset(switches),
    )
