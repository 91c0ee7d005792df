"""Failure domains: what one feed, one rack, one leaf, one spine or one CDU takes down, counted on the plan's own
cables, racks and feed-loss checks (nothing assumed beyond them).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from refarch.plan import FabricPlan, Plan
from refarch.render.filters import count, kw
from refarch.render.review.model import FailureDomain

__all__ = ["failure_domains", "single_homed"]


def failure_domains(plan: Plan) -> tuple[FailureDomain, ...]:
    """Per component kind, the worst single failure the plan allows."""
    found = [_feed(plan), _rack(plan)]
    for name, fabric in sorted(plan.fabrics.items()):
        found += _fabric(name, fabric)
    found.append(_cdu(plan))
    return tuple(found)


def _feed(plan: Plan) -> FailureDomain:
    power = plan.power
    if power.redundancy == "N":
        return FailureDomain("one feed", 1, "feeds are not redundant (N): every rack on the failed feed goes down")
    effects = []
    for check in power.feed_loss:
        if check.status == "full":
            effects.append(f"{check.catalog_id} keeps full power ({check.psus_on_remaining_feed} of "
                           f"{check.psus_total} PSUs left)")  # fmt: skip
        elif check.status == "degraded":
            effects.append(
                f"{count(check.systems)} x {check.catalog_id} run degraded: {check.psus_on_remaining_feed} of "
                f"{check.psus_total} PSUs left, {kw(check.capacity_on_remaining_feed_w / 1e3)} of "
                f"{kw(check.max_power_w / 1e3)} peak draw, so they may throttle under full load"
            )
        else:
            effects.append(f"{check.catalog_id}: the catalog lists no PSU data, so the effect is unknown")
    text = f"{power.redundancy} feeds: every rack stays up on the other feed; " + "; ".join(effects)
    return FailureDomain("one feed", 2 if power.redundancy == "2N" else 1, text)


def _rack(plan: Plan) -> FailureDomain:
    systems = {c.platform for c in plan.compute}
    per_system = {c.platform: c.accelerators_per_system for c in plan.compute}
    worst_systems, worst_accelerators, worst = 0, 0, ""
    for rack in plan.racks:
        held = [d.catalog_id for d in rack.devices if d.catalog_id in systems]
        accelerators = sum(per_system[c] for c in held)
        if accelerators > worst_accelerators:
            worst_systems, worst_accelerators, worst = len(held), accelerators, rack.name
    if not worst:
        return FailureDomain("one rack", 1, "no rack holds compute systems")
    return FailureDomain(
        "one rack",
        1,
        f"a rack's cooling or both of its PDUs failing takes down up to {count(worst_systems)} "
        f"system{'s' if worst_systems != 1 else ''} "
        f"({count(worst_accelerators)} accelerators, e.g. {worst})",
    )


def _fabric(name: str, fabric: FabricPlan) -> list[FailureDomain]:
    links_of: Counter[str] = Counter()
    down: dict[str, Counter[str]] = defaultdict(Counter)  # lower device -> upper device -> links
    for cable in fabric.cables:
        if cable.tier == "endpoint-leaf":
            links_of[cable.a_device] += 1
        if cable.tier in ("endpoint-leaf", "leaf-spine", "spine-core"):
            down[cable.a_device][cable.b_device] += 1
    found = []
    leaves = {c.b_device for c in fabric.cables if c.tier == "endpoint-leaf"}
    if leaves:
        found.append(_leaf(name, fabric, leaves, down, links_of))
    for tier, lower in (("spine", "leaf-spine"), ("core", "spine-core")):
        uppers = {c.b_device for c in fabric.cables if c.tier == lower}
        if uppers:
            found.append(_upper(name, tier, uppers, down))
    return found


def _leaf(
    name: str, fabric: FabricPlan, leaves: set[str], down: dict[str, Counter[str]], links_of: Counter[str]
) -> FailureDomain:
    attached: dict[str, list[str]] = defaultdict(list)
    for endpoint, uppers in down.items():
        if endpoint in links_of:
            for leaf in uppers:
                attached[leaf].append(endpoint)
    worst_leaf = max(sorted(attached), key=lambda leaf: len(attached[leaf]))
    endpoints = attached[worst_leaf]
    shares = Counter(down[e][worst_leaf] / links_of[e] for e in endpoints)
    usual, usual_count = max(shares.items(), key=lambda item: (item[1], -item[0]))
    text = (
        f"up to {count(len(endpoints))} endpoints lose links (e.g. {worst_leaf}): {count(usual_count)} of them "
        f"lose {usual:.0%} of their {name} links"
    )
    worst = max(endpoints, key=lambda e: (down[e][worst_leaf] / links_of[e], e))
    if down[worst][worst_leaf] / links_of[worst] > usual:
        text += f", {worst} loses {down[worst][worst_leaf] / links_of[worst]:.0%}"
    cut_off = [e for e in endpoints if down[e][worst_leaf] == links_of[e]]
    if not cut_off:
        text += (
            " (one rail: traffic moves to the other rails through NVLink or PCIe, at reduced bandwidth)"
            if fabric.rail_optimized and fabric.rails > 2
            else " (their other links carry the traffic)"
        )
    else:
        text += f"; {count(len(cut_off))} are cut off from the {name} fabric (a single link or a single leaf)"
    return FailureDomain(f"one {name} leaf", len(leaves), text)


def _upper(name: str, tier: str, uppers: set[str], down: dict[str, Counter[str]]) -> FailureDomain:
    worst_share, isolated = 0.0, 0
    for links in down.values():
        total = sum(v for k, v in links.items() if k in uppers)
        if not total:
            continue
        for upper, n in links.items():
            if upper in uppers:
                worst_share = max(worst_share, n / total)
        if len([u for u in links if u in uppers]) == 1:
            isolated += 1
    text = f"a switch below loses at most {worst_share:.0%} of its uplink capacity to the {tier} tier"
    if isolated:
        text += f"; {count(isolated)} switch(es) have a single {tier} above them and lose every uplink"
    return FailureDomain(f"one {name} {tier}", len(uppers), text)


def _cdu(plan: Plan) -> FailureDomain:
    liquid = [r for r in plan.racks if r.liquid_heat_kw > 0]
    if not liquid:
        return FailureDomain("one CDU", 0, "no liquid-cooled racks: the design has no CDU")
    heat = sum(r.liquid_heat_kw for r in liquid)
    return FailureDomain(
        "one CDU",
        0,
        f"the plan does not size CDUs yet: {count(len(liquid))} liquid-cooled racks put {kw(heat)} into facility "
        "water through CDUs the site must provide with N+1 redundancy",
    )


def single_homed(fabric: FabricPlan) -> list[str]:
    """The endpoints of `fabric` whose every link goes to one leaf: that leaf failing cuts them off."""
    leaves: dict[str, set[str]] = defaultdict(set)
    for cable in fabric.cables:
        if cable.tier == "endpoint-leaf":
            leaves[cable.a_device].add(cable.b_device)
    return sorted(endpoint for endpoint, linked in leaves.items() if len(linked) == 1)
