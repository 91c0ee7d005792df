"""Fat-tree sizing: the published DGX SuperPOD rows come out of the general rules; invariants hold everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.fabric_graph import Endpoint, build_fabric_graph, validate_fabric_graph
from solvers.fat_tree import FabricInfeasibleError, FatTreeInstance, size_fat_tree

# fabric.md: DGX H100 / B200 SuperPOD, QM9700 (64 x 400G), 8 compute NICs per system, UFM on 4 links.
PUBLISHED = [(1, 31, 8, 4, 252, 256), (2, 63, 16, 8, 508, 512), (4, 127, 32, 16, 1020, 1024)]


@pytest.mark.parametrize(
    ("sus", "nodes", "leaves", "spines", "node_links", "leaf_spine"), PUBLISHED, ids=["1su", "2su", "4su"]
)
def test_published_superpod_rows(
    sus: int, nodes: int, leaves: int, spines: int, node_links: int, leaf_spine: int
) -> None:
    tree = size_fat_tree(FatTreeInstance(systems=nodes, rails=8, radix=64, manager_slots=1, manager_links=4))
    assert (tree.sus, tree.leaves, tree.spines, tree.cores) == (sus, leaves, spines, 0)
    assert tree.endpoint_links + tree.manager_links == node_links
    assert tree.leaf_spine_links == leaf_spine
    endpoints = [Endpoint(f"dgx{i}", 8) for i in range(nodes)]
    # an HA pair of fabric managers shares SU 1's last slot, two links each
    endpoints[31:31] = [Endpoint("ufm1", 2, "manager"), Endpoint("ufm2", 2, "manager", first_rail=2, shares_slot=True)]
    graph = build_fabric_graph(tree, endpoints, 64)
    assert graph.number_of_edges() == node_links + leaf_spine
    assert validate_fabric_graph(graph, 1.0) == []


def test_two_tier_limit_is_k_squared_over_two() -> None:
    # 64-port switches: 2,048 endpoints in two tiers; one more SU needs a core tier.
    assert size_fat_tree(FatTreeInstance(systems=256, rails=8, radix=64)).tiers == 2
    assert size_fat_tree(FatTreeInstance(systems=257, rails=8, radix=64)).tiers == 3


def test_three_tier_capacity_is_k_cubed_over_four() -> None:
    radix = 16
    full = size_fat_tree(FatTreeInstance(systems=radix**3 // 4, rails=1, radix=radix))
    assert full.tiers == 3 and full.pods == radix
    with pytest.raises(FabricInfeasibleError, match="in three tiers"):
        size_fat_tree(FatTreeInstance(systems=radix**3 // 4 + 1, rails=1, radix=radix))


def test_oversubscription_moves_ports_down() -> None:
    tree = size_fat_tree(FatTreeInstance(systems=100, rails=8, radix=64, oversubscription=3.0))
    assert (tree.down_per_leaf, tree.up_per_leaf) == (48, 16)
    assert tree.systems_per_su == 48


def test_rails_larger_than_a_pod_are_refused() -> None:
    with pytest.raises(FabricInfeasibleError, match="rails do not fit"):
        size_fat_tree(FatTreeInstance(systems=200, rails=20, radix=16))


@settings(max_examples=60, deadline=None)
@given(
    systems=st.integers(1, 400),
    rails=st.sampled_from([1, 2, 4, 8]),
    radix=st.sampled_from([16, 32, 36, 48, 64, 128, 144]),
    oversubscription=st.sampled_from([1.0, 1.0, 2.0, 3.0]),
    manager=st.booleans(),
    breakout=st.sampled_from([1, 1, 2, 4]),
)
def test_invariants_hold_for_any_size_and_radix(
    systems: int, rails: int, radix: int, oversubscription: float, manager: bool, breakout: int
) -> None:
    instance = FatTreeInstance(
        systems, rails, radix, oversubscription, int(manager), min(4, rails) if manager else 0, breakout
    )
    try:
        tree = size_fat_tree(instance)
    except FabricInfeasibleError:
        return  # a named limit, checked by the tests above
    endpoints = [Endpoint(f"n{i}", rails) for i in range(systems)]
    if manager:
        endpoints.insert(min(tree.systems_per_su - 1, systems), Endpoint("ufm", instance.manager_links, "manager"))
    graph = build_fabric_graph(tree, endpoints, radix, speeds_gbps=(800 // breakout, 800))
    assert validate_fabric_graph(graph, oversubscription) == []
    assert tree.leaves == tree.sus * rails
    assert tree.sus * tree.systems_per_su >= systems + instance.manager_slots
    assert (tree.tiers == 1) == (tree.leaves == 1)
    if oversubscription == 1.0 and tree.tiers > 1:
        # non-blocking: every tier carries the injection bandwidth of the endpoints it serves (uplinks run at
        # `breakout` times the endpoint speed)
        assert tree.leaf_spine_links * breakout >= tree.endpoint_links
        if tree.tiers == 3:
            assert tree.spine_core_links * breakout >= tree.endpoint_links


def _broken(kind: str):  # type: ignore[no-untyped-def]
    tree = size_fat_tree(FatTreeInstance(systems=31, rails=8, radix=64))
    graph = build_fabric_graph(tree, [Endpoint(f"n{i}", 8) for i in range(31)], 64)
    leaf, spine = "su001-leaf01", "spine01"
    if kind == "port-twice":
        graph.add_edge("n0", leaf, ports={"n0": (9, 0), leaf: (1, 0)}, speed_gbps=400)
    elif kind == "missing-nic":
        graph.remove_edge("n3", "su001-leaf05")
    elif kind == "slow-uplink":
        for _, _, data in list(graph.edges(leaf, data=True)):
            data["speed_gbps"] = 100 if "spine" in str(data["ports"]) else data["speed_gbps"]
    elif kind == "unbalanced":
        graph.remove_edge(leaf, spine)
    elif kind == "over-radix":
        graph.add_edge(leaf, "x", ports={leaf: (65, 0), "x": (1, 0)}, speed_gbps=400)
        graph.nodes["x"].update(role="endpoint", links=1)
    return graph


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("port-twice", "used twice"),
        ("missing-nic", "expected one link to each of rails"),
        ("slow-uplink", "Gb/s up"),
        ("unbalanced", "unequal links"),
        ("over-radix", "64-port switch"),
    ],
)
def test_validator_catches_broken_fabrics(kind: str, fragment: str) -> None:
    problems = validate_fabric_graph(_broken(kind), 1.0)
    assert any(fragment in p for p in problems), problems


def test_breakout_doubles_the_scalable_unit() -> None:
    # fabric.md: on Spectrum-X (SN5600, 64 x 800G) an SU is 64 systems of 400G NICs; uplinks run at 800G.
    tree = size_fat_tree(FatTreeInstance(systems=64, rails=8, radix=64, breakout=2))
    assert (tree.systems_per_su, tree.sus, tree.leaves, tree.up_per_leaf) == (64, 1, 8, 32)
    graph = build_fabric_graph(tree, [Endpoint(f"n{i}", 8) for i in range(64)], 64, speeds_gbps=(400, 800))
    assert validate_fabric_graph(graph, 1.0) == []
    lanes = {p for _, leaf, ports in graph.edges("n63", data="ports") for p in [ports[leaf]]}
    assert lanes == {(32, 2)}  # slot 64 is the second lane of port 32 on every rail


def test_flat_fabric_spreads_ports_over_leaves() -> None:
    # A wafer-scale cluster: 4 systems x 12 x 100GbE plus 41 servers x 2, on 64 x 400G switches broken out 4 ways.
    endpoints = [Endpoint(f"cs{i}", 12) for i in range(4)] + [Endpoint(f"s{i}", 2) for i in range(41)]
    ports = sum(e.links for e in endpoints)
    tree = size_fat_tree(FatTreeInstance(systems=ports, rails=1, radix=64, breakout=4))
    assert (tree.systems_per_su, tree.leaves, tree.tiers) == (128, 2, 2)
    graph = build_fabric_graph(tree, endpoints, 64, speeds_gbps=(100, 400))
    assert validate_fabric_graph(graph, 1.0) == []
    graph.remove_edge("cs0", "leaf001")
    assert any("11 links connected, expected 12" in p for p in validate_fabric_graph(graph, 1.0))
