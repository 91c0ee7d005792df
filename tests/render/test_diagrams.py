"""Fabric diagrams: small fabrics drawn device by device, large ones collapsed without losing a link."""

from __future__ import annotations

import re
from collections import Counter

import networkx as nx
import pytest

from refarch.errors import InputError, OutputError
from refarch.plan import CableRun, FabricPlan
from refarch.render.diagrams import dot_to_svg
from refarch.render.fabric_drawing import fabric_dot, su_detail_dot
from solvers.fabric_graph import Endpoint, FabricNames, build_fabric_graph
from solvers.fat_tree import FatTree, FatTreeInstance, size_fat_tree

PREFIX = "compute-"
MANAGER = "ufm-appliance-001"
_LOWER_FIRST = {"endpoint": 0, "manager": 0, "leaf": 1, "spine": 2, "core": 3}
_CABLE_TIER = {(0, 1): "endpoint-leaf", (1, 2): "leaf-spine", (2, 3): "spine-core"}
_ROLE = {"endpoint": "compute", "manager": "fabric-manager", "leaf": "compute-leaf", "spine": "compute-spine",
         "core": "compute-core"}  # fmt: skip

NODE = re.compile(r'^    "([^"]+)" \[label="([^"]*)"', re.MULTILINE)
EDGE = re.compile(r'^  "([^"]+)" -- "([^"]+)" \[class="([^"]+)", color="([^"]+)"(?:, label="([^"]*)")?', re.MULTILINE)


def _port(role: str, port: tuple[int, int]) -> str:
    if role in ("endpoint", "manager"):
        return f"compute{port[0]}"
    return str(port[0]) if port[1] == 0 else f"{port[0]}/{port[1]}"


def _cables(graph: nx.MultiGraph) -> list[CableRun]:
    """Every graph edge as a cable, A end the lower tier."""
    cables = []
    for u, v, data in graph.edges(data=True):
        a, b = sorted((u, v), key=lambda n: _LOWER_FIRST[graph.nodes[n]["role"]])
        a_role, b_role = graph.nodes[a]["role"], graph.nodes[b]["role"]
        tier = _CABLE_TIER[(_LOWER_FIRST[a_role], _LOWER_FIRST[b_role])]
        cables.append(CableRun(
            fabric="compute", plane=1, tier=tier, a_device=a, a_port=_port(a_role, data["ports"][a]), b_device=b,
            b_port=_port(b_role, data["ports"][b]), speed_gbps=data["speed_gbps"], medium="fibre-mmf",
            cable="fibre-mpo12-om4", a_transceiver=None, b_transceiver=None, length_m=10.0,
        ))  # fmt: skip
    return cables


def _dgx_fabric(systems: int) -> tuple[FabricPlan, dict[str, str], FatTree]:
    """A DGX InfiniBand fabric (8 rails, 64-port switches) with UFM in SU 1's last slot, as in test_fat_tree."""
    tree = size_fat_tree(FatTreeInstance(systems=systems, rails=8, radix=64, manager_slots=1, manager_links=4))
    endpoints = [Endpoint(f"dgx-h100-{i + 1:03d}", 8) for i in range(systems)]
    endpoints.insert(tree.systems_per_su - 1, Endpoint(MANAGER, 4, "manager"))
    graph = build_fabric_graph(tree, endpoints, 64, names=FabricNames(PREFIX))
    cables = _cables(graph)
    links: Counter[str] = Counter(c.tier for c in cables)
    switches = {"leaf": tree.leaves, "spine": tree.spines} | ({"core": tree.cores} if tree.cores else {})
    fabric = FabricPlan(
        name="compute", purpose="compute", technology="infiniband", planes=1, switch_model="QM9700",
        endpoint_speed_gbps=400, uplink_speed_gbps=400, oversubscription=1.0, rail_optimized=True, rails=8,
        tiers=tree.tiers, scalable_units=tree.sus, systems_per_su=tree.systems_per_su,
        endpoints=tree.endpoint_links + tree.manager_links, switches=switches, links=dict(sorted(links.items())),
        port_utilisation={tier: round(2 * links[tier] / (n * 64), 3) for tier, n in switches.items()
                          for tier in [{"leaf": "endpoint-leaf", "spine": "leaf-spine", "core": "spine-core"}[tier]]},
        manager=MANAGER, cables=cables,
    )  # fmt: skip
    roles = {node: _ROLE[role] for node, role in graph.nodes(data="role")}
    return fabric, roles, tree


@pytest.fixture(scope="module")
def one_su() -> tuple[FabricPlan, dict[str, str], FatTree]:
    return _dgx_fabric(31)


@pytest.fixture(scope="module")
def huge() -> tuple[FabricPlan, dict[str, str], FatTree]:
    # 16K GPUs: 2,048 DGX + UFM in 65 SUs, 520 leaves, 544 spines in 17 pods, 512 cores; about 50k cables
    return _dgx_fabric(2048)


def _links(label: str | None) -> int:
    """Links an edge stands for: the sum of its `N x SPEED` terms, or one when unlabelled."""
    return sum(int(n) for n in re.findall(r"(\d+) x \d+G", label or "")) or 1


def test_small_fabric_shows_every_switch_with_rail_colours(one_su: tuple[FabricPlan, dict[str, str], FatTree]) -> None:
    fabric, roles, tree = one_su
    dot = fabric_dot(fabric, roles)
    nodes = dict(NODE.findall(dot))
    leaves = [f"{PREFIX}su001-leaf{r:02d}" for r in range(1, 9)]
    spines = [f"{PREFIX}spine{s:02d}" for s in range(1, tree.spines + 1)]
    assert set(leaves + spines) <= set(nodes)
    assert "compute fabric: compute" in dot and "QM9700" in dot and "switches: 8 leaf, 4 spine" in dot
    # each leaf is drawn in its own rail colour, and its endpoint cables take that colour
    leaf_colour = {leaf: re.search(rf'"{leaf}" \[[^\]]*, color="(#[0-9a-f]{{6}})"', dot).group(1) for leaf in leaves}  # type: ignore[union-attr]
    assert len(set(leaf_colour.values())) == 8
    edges = EDGE.findall(dot)
    for upper, _, kind, colour, _ in edges:
        if kind == "endpoint-leaf":
            assert colour == leaf_colour[upper]
    # 32 endpoints exceed a tier's limit: one SU node that still carries every endpoint link
    assert "SU 1: 32 devices\\n31 compute, 1 fabric-manager" in dot
    assert sum(_links(label) for *_, kind, _, label in edges if kind == "endpoint-leaf") == 252
    # 8 leaves x 4 spines, 8 links each
    assert Counter(label for _, _, kind, _, label in edges if kind == "leaf-spine") == {"8 x 400G": 32}


def test_large_fabric_collapses_without_losing_links(huge: tuple[FabricPlan, dict[str, str], FatTree]) -> None:
    fabric, roles, tree = huge
    assert tree.tiers == 3 and len(fabric.cables) > 50_000
    dot = fabric_dot(fabric, roles)
    nodes, edges = NODE.findall(dot), EDGE.findall(dot)
    assert len(nodes) <= 4 * 16 and len(edges) <= 16 + 2 * 16 + 17 * 16
    assert dot.count("\n") < 600
    per_tier = Counter[str]()
    for _, _, kind, _, label in edges:
        per_tier[kind] += _links(label)
    assert per_tier == Counter(c.tier for c in fabric.cables)
    # 65 SUs in 17 pods of 4: pods pair up into 9 spine nodes, and each SU node nests under one of them
    assert 'label="SUs 1-8: 256 devices\\n255 compute, 1 fabric-manager"' in dot
    assert 'label="SU 65: 1 device"' in dot
    assert 'label="pods 1-2: 64 spines"' in dot and 'label="pod 17: 32 spines"' in dot
    assert 'label="core groups 1-5: 80 cores"' in dot
    leaf_groups = [n for n, _ in nodes if n.startswith("group:leaf:")]
    assert len(leaf_groups) == 9 and sum(kind == "leaf-spine" for *_, kind, _, _ in edges) == 9
    assert dot_to_svg(dot, "compute fabric").lstrip().startswith("<?xml")


def test_svg_is_deterministic(one_su: tuple[FabricPlan, dict[str, str], FatTree]) -> None:
    fabric, roles, _ = one_su
    shuffled = fabric.model_copy(update={"cables": list(reversed(fabric.cables))})
    assert fabric_dot(shuffled, dict(reversed(roles.items()))) == fabric_dot(fabric, roles)
    first = dot_to_svg(fabric_dot(fabric, roles), "compute fabric")
    assert "<svg" in first and "</svg>" in first
    assert dot_to_svg(fabric_dot(fabric, roles), "compute fabric") == first


def test_su_detail_shows_exactly_one_su() -> None:
    fabric, roles, _ = _dgx_fabric(63)  # SU 1: 31 DGX + UFM; SU 2: dgx-h100-032 .. 063
    dot = su_detail_dot(fabric, roles, su=2)
    nodes = {name for name, _ in NODE.findall(dot)}
    assert {n for n in nodes if n.startswith("dgx")} == {f"dgx-h100-{i:03d}" for i in range(32, 64)}
    assert {n for n in nodes if "leaf" in n} == {f"{PREFIX}su002-leaf{r:02d}" for r in range(1, 9)}
    assert MANAGER not in nodes
    edges = EDGE.findall(dot)
    assert Counter(kind for _, _, kind, _, _ in edges) == {"endpoint-leaf": 32 * 8, "leaf-spine": 8 * 8}
    assert {label for _, _, kind, _, label in edges if kind == "leaf-spine"} == {"4 x 400G"}
    with pytest.raises(InputError, match="no SU 3"):
        su_detail_dot(fabric, roles, su=3)


def test_flat_fabric_detail_is_one_leaf() -> None:
    tree = size_fat_tree(FatTreeInstance(systems=48, rails=1, radix=32))
    graph = build_fabric_graph(tree, [Endpoint(f"cs-{i:02d}", 1) for i in range(48)], 32, names=FabricNames(PREFIX))
    fabric, _, _ = _dgx_fabric(31)
    flat = fabric.model_copy(update={"cables": _cables(graph), "rail_optimized": False, "rails": 1})
    nodes = {name for name, _ in NODE.findall(su_detail_dot(flat, {}))}
    assert {n for n in nodes if "leaf" in n} == {f"{PREFIX}leaf001"}
    assert {n for n in nodes if n.startswith("cs-")} == {f"cs-{i:02d}" for i in range(16)}


def test_names_are_escaped(one_su: tuple[FabricPlan, dict[str, str], FatTree]) -> None:
    fabric, roles, _ = one_su
    odd = 'dgx "quoted" \\N'
    cables = [c.model_copy(update={"a_device": odd}) if c.a_device == "dgx-h100-001" else c for c in fabric.cables]
    dot = su_detail_dot(fabric.model_copy(update={"cables": cables}), roles)
    assert '"dgx \\"quoted\\" \\\\N"' in dot
    assert "<svg" in dot_to_svg(dot, "escaped")


def test_invalid_dot_raises_output_error() -> None:
    with pytest.raises(OutputError, match=r"diagram 'broken'.*syntax error"):
        dot_to_svg("graph { a -- ", "broken")
