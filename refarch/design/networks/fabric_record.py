"""FabricPlan: a designed fabric's counts per tier, port utilisation and cables, as they go into plan.json."""

from __future__ import annotations

from collections import Counter

from refarch.design.networks.host_fabrics import FabricDesign
from refarch.plan import CableRun, FabricPlan
from solvers.fabric_graph import SWITCH_ROLES

__all__ = ["fabric_plan"]


def fabric_plan(design: FabricDesign, runs: list[CableRun]) -> FabricPlan:
    """The plan section of `design`, with `runs` (its cables) as the source of the link counts."""
    request, tree = design.request, design.tree
    switches = {tier: len(design.switch_names(tier)) for tier in SWITCH_ROLES}
    links = Counter(run.tier for run in runs)
    return FabricPlan(
        name=request.name,
        purpose=request.purpose,
        technology=request.technology,
        planes=request.planes,
        switch_model=request.switch.id,
        endpoint_speed_gbps=request.endpoint_speed_gbps,
        uplink_speed_gbps=design.uplink_speed_gbps,
        oversubscription=request.oversubscription,
        rail_optimized=request.rail_optimized,
        rails=request.rails if request.rail_optimized else 1,
        tiers=tree.tiers,
        scalable_units=tree.sus if request.rail_optimized else 0,
        systems_per_su=tree.systems_per_su if request.rail_optimized else 0,
        endpoints=sum(1 for run in runs if run.plane == 1 and run.tier in ("endpoint-leaf", "uplink")),
        switches={tier: n for tier, n in switches.items() if n},
        links=dict(sorted(links.items())),
        port_utilisation=_utilisation(design),
        manager=request.manager.id if request.manager else None,
        cables=runs,
    )


def _utilisation(design: FabricDesign) -> dict[str, float]:
    """Used physical ports over available ports, per tier (a broken-out port counts once)."""
    radix = design.request.switch.ports
    used: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for graph in design.graphs:
        for node, role in graph.nodes(data="role"):
            if role not in SWITCH_ROLES:
                continue
            ports = {data["ports"][node][0] for _, _, data in graph.edges(node, data=True)}
            used[role] += len(ports)
            total[role] += radix
    return {tier: round(used[tier] / total[tier], 4) for tier in SWITCH_ROLES if total[tier]}
