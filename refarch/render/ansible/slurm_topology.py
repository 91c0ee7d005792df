"""Slurm topology from the planned fabric: `topology.conf` for the tree plugin, or for the block plugin when the
plan has NVLink-domain (rack-scale) systems.

Tree (rail-optimized fat trees): each system has one NIC per rail and rail k of every system of a scalable unit
goes to leaf k of that unit, so every node sits under one leaf per rail. Slurm's tree plugin wants each node under
one lowest-level switch, so the leaves that reach exactly the same nodes (the rail leaves of one unit) are written
as one logical switch (`su001`), with the plan's spines and cores above it. This is what NVIDIA's topograph does
when it writes topology.conf from an InfiniBand fabric: leaves with identical node sets become one switch group
(github.com/NVIDIA/topograph, pkg/ib/ib.go, `simplify`). A leaf reaching nodes no other leaf reaches keeps its own
name. With two planes the first is written: the planes are cabled alike, so it places jobs as the second would.

Blocks (GB200 NVL72 and alike): one block per NVLink domain holding its trays, `BlockSizes=` the trays per domain,
as SchedMD documents for topology/block (topology.conf(5), Slurm 23.11+) and NVIDIA recommends for NVL72 (one
block per 18-tray domain). The block lines go in topology.conf rather than topology.yaml: topology.yaml needs
Slurm 25.05+, and when it exists topology.conf is ignored (topology.yaml(5)), so one file keeps both forms valid
on every Slurm that has the block plugin.
"""

from __future__ import annotations

import re

from refarch.plan import Plan
from refarch.render.ansible.hostlist import compress_hostlist, natural_key
from refarch.render.ansible.slurm_topology_check import check_topology
from refarch.render.ansible.topology_graph import (
    COMPUTE_FABRIC,
    FabricGraph,
    fabric_graph,
    nvlink_domains,
    os_host_names,
)

__all__ = ["TOPOLOGY_PATH", "check_topology", "os_host_names", "topology_files", "topology_text"]

TOPOLOGY_PATH = "roles/slurm_controller/files/topology.conf"
_SU = re.compile(r"(?:^|-)(su\d+)(?:-|$)")


def topology_files(plan: Plan) -> dict[str, str]:
    """Files under `ansible/` holding the Slurm topology of `plan`, by path relative to `ansible/`."""
    text = topology_text(plan)
    return {TOPOLOGY_PATH: text} if text else {}


def topology_text(plan: Plan) -> str:
    """topology.conf of `plan`: blocks if it has NVLink-domain systems, else the compute fabric's tree, else ''."""
    domains = nvlink_domains(plan)
    if domains:
        return _block_text(plan, domains)
    graph = fabric_graph(plan)
    return _tree_text(plan, graph) if graph is not None and graph.leaf_nodes else ""


def _block_text(plan: Plan, domains: dict[str, list[str]]) -> str:
    """One BlockName line per NVLink domain, named as the system's device, then the base block size."""
    base = min(len(trays) for trays in domains.values())
    header = [
        f"# Slurm topology of plan {plan.metadata.name!r}, written by refarch: regenerate it, do not edit it.",
        "# slurm.conf: TopologyPlugin=topology/block (Slurm 23.11+).",
        f"# One block per NVLink domain: the {base} trays of each rack-scale system, so that a job of up to {base}",
        "# nodes stays inside one domain and larger jobs take whole domains (NVIDIA's recommendation for NVL72).",
        "# The compute fabric above the domains is not described: Slurm takes one topology plugin per topology.conf.",
        "# Block lines here, not topology.yaml: that needs Slurm 25.05+ and, when present, hides topology.conf.",
    ]
    lines = [
        f"BlockName={device} Nodes={compress_hostlist(trays)}"
        for device, trays in sorted(domains.items(), key=_by_name)
    ]
    return "\n".join([*header, *lines, f"BlockSizes={base}"]) + "\n"


def _by_name(item: tuple[str, list[str]]) -> tuple[tuple[str, int, int], ...]:
    return natural_key(item[0])


def leaf_groups(graph: FabricGraph) -> dict[str, list[str]]:
    """Lowest-level switch name -> the plan leaves it stands for: leaves reaching the same nodes merged."""
    by_nodes: dict[frozenset[str], list[str]] = {}
    for leaf in sorted(graph.leaf_nodes, key=natural_key):
        by_nodes.setdefault(graph.leaf_nodes[leaf], []).append(leaf)
    groups: dict[str, list[str]] = {}
    for index, leaves in enumerate(sorted(by_nodes.values(), key=lambda ls: natural_key(ls[0])), start=1):
        groups[_group_name(leaves, index, graph.switches | set(groups))] = leaves
    return groups


def _group_name(leaves: list[str], index: int, taken: set[str] | frozenset[str]) -> str:
    """A single leaf keeps its name; a group is named after the scalable unit its leaves share (`su001`)."""
    if len(leaves) == 1:
        return leaves[0]
    units = {match.group(1) for leaf in leaves if (match := _SU.search(leaf))}
    name = units.pop() if len(units) == 1 and all(_SU.search(leaf) for leaf in leaves) else f"leafgroup{index:03d}"
    return name if name not in taken else f"leafgroup{index:03d}"


def _tree_text(plan: Plan, graph: FabricGraph) -> str:
    """Leaf (group) lines with their nodes, then spine and core lines with the switches cabled below them."""
    groups = leaf_groups(graph)
    lowest = {leaf: name for name, leaves in groups.items() for leaf in leaves}
    below: dict[str, set[str]] = {}
    for switch, above in graph.parents.items():
        for parent in above:
            below.setdefault(parent, set()).add(lowest.get(switch, switch))
    lines = [
        f"SwitchName={name} Nodes={compress_hostlist(graph.leaf_nodes[leaves[0]])}"
        for name, leaves in sorted(groups.items(), key=lambda item: natural_key(item[0]))
    ]
    lines += [
        f"SwitchName={switch} Switches={compress_hostlist(below[switch])}"
        for switch in sorted(below, key=lambda s: (graph.level.get(s, 0), natural_key(s)))
    ]
    return "\n".join([*_tree_header(plan, graph, groups), *lines]) + "\n"


def _tree_header(plan: Plan, graph: FabricGraph, groups: dict[str, list[str]]) -> list[str]:
    """Say what the file is, which plane it follows and which leaves each logical switch stands for."""
    fabric = plan.fabrics[COMPUTE_FABRIC]
    merged = {name: leaves for name, leaves in groups.items() if len(leaves) > 1}
    planes = f"{fabric.planes} plane{'s' if fabric.planes > 1 else ''}"
    header = [
        f"# Slurm topology of plan {plan.metadata.name!r}, written by refarch: regenerate it, do not edit it.",
        "# slurm.conf: TopologyPlugin=topology/tree. Switch names as in cabling.csv.",
        f"# From the {fabric.technology} compute fabric ({fabric.tiers} tiers, {planes}, {fabric.rails} rails), "
        f"plane {graph.plane}.",
    ]
    if fabric.planes > 1:
        header.append("# The other plane is cabled alike, so this plane places jobs as it would.")
    if merged:
        header += [
            "# Rail-optimized: each node has one NIC per rail, to one leaf per rail of its scalable unit. The tree",
            "# plugin needs each node under one lowest-level switch, so the rail leaves of a unit, which reach the",
            "# same nodes, are one logical switch under the spines they are cabled to (as NVIDIA topograph groups",
            "# leaves with identical node sets). Logical switches and the leaves they stand for:",
        ]
        header += [f"#   {name} = {compress_hostlist(leaves)}" for name, leaves in merged.items()]
    return header
