"""Build a fat tree as a networkx graph with every port, and validate it independently of the sizing rules.

Nodes carry `role` (endpoint, manager, leaf, spine, core); leaves also carry `rail`, `su` and `pod`, endpoints
the number of `links` they must have. Edges carry `ports` (node -> (port, lane); lane 0 means the whole port,
lanes 1..breakout the sub-links of a broken-out port) and `speed_gbps`, so each edge is one cable.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from solvers.fat_tree import FatTree

__all__ = ["SWITCH_ROLES", "TIER", "Endpoint", "FabricNames", "build_fabric_graph", "validate_fabric_graph"]

Port = tuple[int, int]


@dataclass(frozen=True)
class Endpoint:
    """A device with `links` ports into the fabric; a `manager` (UFM) is checked like any endpoint.

    A rail-optimized endpoint puts link k on rail `first_rail + k`; `shares_slot` puts it in the previous
    endpoint's SU slot (an HA pair of fabric managers shares the one slot the published tables reserve).
    """

    name: str
    links: int
    role: str = "endpoint"
    first_rail: int = 0
    shares_slot: bool = False


@dataclass(frozen=True)
class FabricNames:
    """Switch names: `prefix` plus su/leaf, spine or core numbers (e.g. compute-su001-leaf01)."""

    prefix: str = ""

    def leaf(self, su: int, rail: int, rails: int) -> str:
        """Leaf of rail `rail` in SU `su` (0-based); a flat fabric numbers its leaves only."""
        if rails == 1:
            return f"{self.prefix}leaf{su + 1:03d}"
        return f"{self.prefix}su{su + 1:03d}-leaf{rail + 1:02d}"

    def spine(self, pod: int, index: int, tiers: int) -> str:
        """Spine `index` of pod `pod` (pods only exist with a core tier)."""
        if tiers == 3:
            return f"{self.prefix}pod{pod + 1:02d}-spine{index + 1:02d}"
        return f"{self.prefix}spine{index + 1:02d}"

    def core(self, group: int, index: int) -> str:
        """Core `index` of core group `group`."""
        return f"{self.prefix}core-g{group + 1:02d}-{index + 1:02d}"


def build_fabric_graph(
    tree: FatTree,
    endpoints: list[Endpoint],
    radix: int,
    speeds_gbps: tuple[int, int] = (400, 400),
    names: FabricNames | None = None,
) -> nx.MultiGraph:
    """One plane of `tree`: `endpoints` fill SU slots in order (rail-optimized) or leaf ports in order (flat).

    Args:
        tree: the sized plane.
        endpoints: devices in slot order; rail-optimized endpoints put link k on rail k's leaf of their SU.
        radix: switch ports at full speed.
        speeds_gbps: (endpoint link speed, switch-to-switch link speed).
        names: how switches are named.
    """
    names = names or FabricNames()
    graph = nx.MultiGraph(radix=radix, breakout=tree.breakout, rails=_rails(tree))
    next_port: Counter[str] = Counter()
    leaves = _add_leaves(graph, tree, names)
    if graph.graph["rails"] == 1:
        _connect_flat(graph, tree, endpoints, leaves, speeds_gbps[0])
    else:
        _connect_rails(graph, tree, endpoints, leaves, speeds_gbps[0])
    spines = _connect_spines(graph, tree, leaves, next_port, names, speeds_gbps[1])
    if tree.tiers == 3:
        _connect_cores(graph, tree, spines, next_port, names, speeds_gbps[1])
    return graph


def _rails(tree: FatTree) -> int:
    return tree.leaves // tree.sus


def _link(graph: nx.MultiGraph, a: str, a_port: Port, b: str, b_port: Port, speed_gbps: int) -> None:
    graph.add_edge(a, b, ports={a: a_port, b: b_port}, speed_gbps=speed_gbps)


def _leaf_port(tree: FatTree, position: int) -> Port:
    """Down port of SU slot `position`: a whole port, or a lane of a broken-out port."""
    if tree.breakout == 1:
        return position + 1, 0
    port, lane = divmod(position, tree.breakout)
    return port + 1, lane + 1


def _add_leaves(graph: nx.MultiGraph, tree: FatTree, names: FabricNames) -> dict[tuple[int, int], str]:
    rails = _rails(tree)
    leaves = {}
    for su, rail in itertools.product(range(tree.sus), range(rails)):
        name = names.leaf(su, rail, rails)
        graph.add_node(name, role="leaf", su=su, rail=rail, pod=su // tree.sus_per_pod)
        leaves[(su, rail)] = name
    return leaves


def _connect_rails(
    graph: nx.MultiGraph, tree: FatTree, endpoints: list[Endpoint], leaves: dict[tuple[int, int], str], speed: int
) -> None:
    slot = -1
    for endpoint in endpoints:
        slot += 0 if endpoint.shares_slot and slot >= 0 else 1
        su, position = divmod(slot, tree.systems_per_su)
        graph.add_node(endpoint.name, role=endpoint.role, links=endpoint.links, first_rail=endpoint.first_rail)
        for k in range(endpoint.links):
            rail = endpoint.first_rail + k
            _link(graph, endpoint.name, (k + 1, 0), leaves[(su, rail)], _leaf_port(tree, position), speed)


def _connect_flat(
    graph: nx.MultiGraph, tree: FatTree, endpoints: list[Endpoint], leaves: dict[tuple[int, int], str], speed: int
) -> None:
    slot = 0
    for endpoint in endpoints:
        graph.add_node(endpoint.name, role=endpoint.role, links=endpoint.links, first_rail=0)
        for nic in range(endpoint.links):
            leaf, position = divmod(slot, tree.systems_per_su)
            _link(graph, endpoint.name, (nic + 1, 0), leaves[(leaf, 0)], _leaf_port(tree, position), speed)
            slot += 1


def _connect_spines(
    graph: nx.MultiGraph,
    tree: FatTree,
    leaves: dict[tuple[int, int], str],
    next_port: Counter[str],
    names: FabricNames,
    speed: int,
) -> list[str]:
    spines = []
    for pod in range(tree.pods):
        pod_spines = [names.spine(pod, j, tree.tiers) for j in range(tree.spines_per_pod)]
        for j, spine in enumerate(pod_spines):
            graph.add_node(spine, role="spine", pod=pod, index=j)
        pod_leaves = [leaf for (su, _), leaf in sorted(leaves.items()) if su // tree.sus_per_pod == pod]
        for leaf in pod_leaves:
            uplink = tree.down_per_leaf
            for spine in pod_spines:
                for _ in range(tree.links_per_leaf_spine):
                    uplink += 1
                    next_port[spine] += 1
                    _link(graph, leaf, (uplink, 0), spine, (next_port[spine], 0), speed)
        spines += pod_spines
    return spines


def _connect_cores(
    graph: nx.MultiGraph, tree: FatTree, spines: list[str], next_port: Counter[str], names: FabricNames, speed: int
) -> None:
    for group, core_index in itertools.product(range(tree.core_groups), range(tree.cores_per_group)):
        graph.add_node(names.core(group, core_index), role="core", group=group)
    spine_down = graph.graph["radix"] // 2
    for spine in spines:
        group = graph.nodes[spine]["index"]
        port = max(spine_down, next_port[spine])
        for core_index in range(tree.cores_per_group):
            core = names.core(group, core_index)
            for _ in range(tree.links_per_spine_core):
                port += 1
                next_port[core] += 1
                _link(graph, spine, (port, 0), core, (next_port[core], 0), speed)


SWITCH_ROLES = ("leaf", "spine", "core")
# Level of each node role: devices at 0 (endpoints, fabric managers, uplinked access switches), switches above.
TIER = {"endpoint": 0, "manager": 0, "uplink": 0, "leaf": 1, "spine": 2, "core": 3}


def validate_fabric_graph(graph: nx.MultiGraph, oversubscription: float) -> list[str]:
    """Every violation of the fat-tree invariants (empty when valid).

    Checks: no port (or lane) used twice, no switch over its port count, every endpoint with exactly its links
    (rail-optimized: one on each rail's leaf), every leaf with equal links to every spine of its pod (and spines
    to their core group), and uplink bandwidth that keeps bisection bandwidth equal to the injection bandwidth
    divided by the oversubscription.
    """
    problems = _port_problems(graph)
    problems += _endpoint_problems(graph)
    problems += _balance_problems(graph, "leaf", "spine")
    problems += _balance_problems(graph, "spine", "core")
    problems += _bisection_problems(graph, oversubscription)
    return problems


def _port_problems(graph: nx.MultiGraph) -> list[str]:
    radix, breakout = graph.graph["radix"], graph.graph["breakout"]
    used: dict[str, list[Port]] = defaultdict(list)
    for _, _, ports in graph.edges(data="ports"):
        for node, port in ports.items():
            used[node].append(port)
    problems = []
    for node, ports in used.items():
        duplicates = sorted(p for p, n in Counter(ports).items() if n > 1)
        whole = {p for p, lane in ports if lane == 0}
        duplicates += sorted({(p, lane) for p, lane in ports if lane and p in whole})
        if duplicates:
            problems.append(f"{node}: ports used twice: {duplicates[:5]}")
        if graph.nodes[node]["role"] not in SWITCH_ROLES:
            continue
        physical = {p for p, _ in ports}
        if len(physical) > radix or max(physical) > radix or any(lane > breakout for _, lane in ports):
            problems.append(f"{node}: {len(physical)} ports used, highest {max(physical)}, on a {radix}-port switch")
    return problems


def _neighbours_by_link(graph: nx.MultiGraph, node: str) -> list[str]:
    """Neighbours of `node`, once per link."""
    return [n for n in graph.neighbors(node) for _ in range(graph.number_of_edges(node, n))]


def _endpoint_problems(graph: nx.MultiGraph) -> list[str]:
    rail_optimized = graph.graph["rails"] > 1
    problems = []
    for node, data in graph.nodes(data=True):
        if TIER[data["role"]] != 0:
            continue
        leaves = _neighbours_by_link(graph, node)
        if rail_optimized:
            rails_seen = sorted(graph.nodes[leaf]["rail"] for leaf in leaves)
            first = data.get("first_rail", 0)
            expected = list(range(first, first + data["links"]))
            if rails_seen != expected:
                problems.append(f"{node}: links reach rails {rails_seen}, expected one link to each of rails "
                                f"{expected}")  # fmt: skip
        elif len(leaves) != data["links"]:
            problems.append(f"{node}: {len(leaves)} links connected, expected {data['links']}")
    return problems


def _balance_problems(graph: nx.MultiGraph, lower: str, upper: str) -> list[str]:
    problems = []
    for node, role in graph.nodes(data="role"):
        if role != lower:
            continue
        counts = Counter(n for n in _neighbours_by_link(graph, node) if graph.nodes[n]["role"] == upper)
        if len(set(counts.values())) > 1:
            problems.append(f"{node}: unequal links to {upper}s: {sorted(set(counts.values()))}")
    return problems


def _bisection_problems(graph: nx.MultiGraph, oversubscription: float) -> list[str]:
    top = max(TIER[r] for _, r in graph.nodes(data="role"))
    down_gbps: Counter[str] = Counter()
    up_gbps: Counter[str] = Counter()
    for a, b, speed in graph.edges(data="speed_gbps"):
        low, high = (a, b) if TIER[graph.nodes[a]["role"]] < TIER[graph.nodes[b]["role"]] else (b, a)
        down_gbps[high] += speed
        up_gbps[low] += speed
    problems = []
    for node, role in graph.nodes(data="role"):
        if TIER[role] in (0, top):
            continue
        needed = down_gbps[node] / oversubscription if role == "leaf" else down_gbps[node]
        if up_gbps[node] + 1e-9 < needed:
            problems.append(f"{node}: {up_gbps[node]:g} Gb/s up for {down_gbps[node]:g} Gb/s down "
                            f"(needs {needed:g})")  # fmt: skip
    return problems
