"""Network-fabric drawings: the Graphviz DOT of a `FabricPlan` (the `diagrams` output renders it to SVG).

Tiers come from the cables (the A end of a cable is the lower tier), not from names or roles, so any fabric the
planner builds draws correctly. Names are parsed only to group devices: the SU and rail of a leaf
(`su003-leaf05`, or `leaf003` in a flat fabric), the pod of a spine (`pod02-spine07`) and the group of a core
(`core-g04-01`). An endpoint belongs to the SU of the leaves it is cabled to.

A tier with more than `Density.max_per_tier` devices (16 on screen, 4 on a page) is drawn as group nodes: one per
SU, pod or core group, and runs of consecutive groups once there are more than `Density.max_groups` of them (a run
never spans two nodes of the tier above, so SU groups sit under one pod node). The cables between two nodes are
drawn as one edge labelled with the link count and bandwidth. A screen drawing thus has at most 5 x 16 nodes and,
for the fat trees the solver builds, about a
hundred edges whatever the fabric size: a 50k-cable fabric stays readable and `dot` lays it out in well under a
second.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from refarch.errors import InputError
from refarch.plan import CableRun, FabricPlan
from refarch.render.filters import dot_string

__all__ = ["PAGE", "SCREEN", "Density", "fabric_dot", "su_detail_dot"]


class Density(NamedTuple):
    """How much of a fabric one drawing shows before it groups devices."""

    max_per_tier: int  # more devices than this in a tier and the tier is drawn as groups
    max_groups: int  # at most this many group nodes per tier
    max_mesh: int  # most edges between the spine nodes and a tier linked to all of them (see _group_limit)


# The diagrams output, looked at on a screen and zoomed: up to 16 devices per tier drawn one by one.
SCREEN = Density(16, 16, 64)
# A printed page (the review's PDF): about a dozen nodes across, so that labels stay readable at A4 width.
PAGE = Density(4, 4, 8)

# Tiers bottom-up; cable tier -> (tier of the A end, tier of the B end). An uplink leaves the fabric, so its B
# end is drawn above everything else. Dict order is the order tiers are resolved in, so real tiers win.
_TIER_NAMES = ("endpoint", "leaf", "spine", "core", "external")
_NOUNS = (("device", "devices"), ("leaf", "leaves"), ("spine", "spines"), ("core", "cores"), ("uplink", "uplinks"))
_CABLE_TIERS = {"endpoint-leaf": (0, 1), "leaf-spine": (1, 2), "spine-core": (2, 3), "uplink": (1, 4)}
_FILL = ("#f2f2f2", "", "#dbe8f5", "#e6dcf2", "#fff2cc")  # leaves take their rail colour instead

# Tableau-10 plus two: distinct in print and for the common colour-vision deficiencies. Rail r is entry r-1.
_RAIL_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#843c39",
)  # fmt: skip
_NEUTRAL = "#666666"
_GROUP_PREFIX = "group:"

_Node = tuple[str, str]  # (node id, rendered attribute list)

_LEAF_RE = re.compile(r"(?:su(\d+)-leaf(\d+)|leaf(\d+))$")
_SU_LEAF_RE = re.compile(r"su\d+-leaf\d+$")
_SPINE_RE = re.compile(r"pod(\d+)-spine\d+$")
_CORE_RE = re.compile(r"core-g(\d+)-\d+$")


@dataclass(frozen=True, order=True)
class _Device:
    """A device placed in the drawing; field order is the sort order (tier, group, rail, name)."""

    tier: int
    group: int  # SU (endpoints, leaves; a flat fabric's SU is one leaf), pod (spines), core group; 0 = none
    rail: int  # leaves of a rail-optimized fabric: 1-based rail; flat leaves 1; 0 = unknown
    name: str
    up: int = 0  # group of the tier above it hangs under: an endpoint's SU, a leaf's pod; 0 = all alike


def fabric_dot(fabric: FabricPlan, roles: Mapping[str, str], density: Density = SCREEN) -> str:
    """The whole fabric as DOT: cores on top, then spines, leaves and endpoints, rails coloured.

    Args:
        fabric: the fabric to draw; every device in it appears in some cable.
        roles: device name -> role (compute, fabric-manager, ...); used in endpoint labels only.
        density: when tiers are collapsed into groups (16 devices for the screen, 4 for a page).

    Returns:
        DOT source, identical for identical input.
    """
    devices = _devices(fabric.cables)
    flat = _is_flat(devices)
    box_of: dict[str, str] = {}
    nodes: dict[int, list[_Node]] = {}
    buckets: dict[int, dict[int, int]] = {}
    # Spines first: the core tier is sized by them, leaf groups nest under spine groups, endpoint groups under
    # leaf groups, so each lower group hangs under one upper node and those edges stay one per group.
    for tier in (2, 3, 1, 0, 4):
        members = sorted(d for d in devices.values() if d.tier == tier)
        limit = _group_limit(tier, members, len(nodes.get(2, [])), density)
        boxes, nodes[tier], buckets[tier] = _tier_nodes(
            members, roles, flat, buckets.get(tier + 1, {}), (limit, density.max_per_tier)
        )
        box_of.update(boxes)
    title = _title(fabric)
    if any(box.startswith(_GROUP_PREFIX) for box in box_of.values()):
        title.append(f"tiers of more than {density.max_per_tier} devices drawn as groups; edges give links x speed")
    ranks = [nodes[tier] for tier in (4, 3, 2, 1, 0)]
    return _document(fabric.name, title, ranks, _edge_lines(fabric.cables, box_of, devices))


def su_detail_dot(fabric: FabricPlan, roles: Mapping[str, str], su: int = 1) -> str:
    """One scalable unit in full: its endpoints, its leaves (one per rail) and each leaf's links to the spines.

    In a flat fabric (leaves named `leafNNN`) an SU is one leaf, so the default draws the first leaf.

    Args:
        fabric: the fabric to draw from.
        roles: device name -> role, used in endpoint labels.
        su: 1-based scalable unit (or leaf number in a flat fabric).

    Raises:
        InputError: the fabric has no such SU.
    """
    devices = _devices(fabric.cables)
    leaves = {d.name for d in devices.values() if d.tier == 1 and d.group == su}
    if not leaves:
        known = sorted({d.group for d in devices.values() if d.tier == 1})
        hint = f"its SUs are {known[0]}-{known[-1]}" if known else "it has no leaves"
        raise InputError(f"fabric {fabric.name!r} has no SU {su}", hint=hint)
    cables = [c for c in fabric.cables if c.tier in ("endpoint-leaf", "leaf-spine") and _leaf_end(c) in leaves]
    shown = sorted({devices[name] for c in cables for name in (c.a_device, c.b_device)})
    flat = _is_flat(devices)
    ranks = [[_device_node(d, roles, flat) for d in shown if d.tier == tier] for tier in (2, 1, 0)]
    unit = "leaf" if flat else "SU"
    counts = ", ".join(_count(sum(d.tier == t for d in shown), t) for t in (0, 1, 2))
    title = [f"{fabric.name}: {unit} {su} in detail", f"{fabric.technology}, {fabric.switch_model}; {counts}"]
    edges = _edge_lines(cables, {d.name: d.name for d in shown}, devices)
    return _document(f"{fabric.name}-su{su:03d}", title, ranks, edges)


def _devices(cables: Sequence[CableRun]) -> dict[str, _Device]:
    """Every cabled device with its tier, group and rail."""
    tiers: dict[str, int] = {}
    for kind, (low, high) in _CABLE_TIERS.items():
        for cable in cables:
            if cable.tier == kind:
                tiers.setdefault(cable.a_device, low)
                tiers.setdefault(cable.b_device, high)
    switches = {name: _switch(name, tier) for name, tier in tiers.items() if tier > 0}
    # An endpoint hangs under its leaves' SU, a leaf under its spines' pod. A flat fabric's endpoint may span two
    # leaves (and a 2-tier leaf reaches every spine): the first one wins, so the result is order-independent.
    hangs_from = {"endpoint-leaf": 0, "leaf-spine": 1}  # cable tier -> tier of the A end it places
    ups: dict[str, int] = {}
    for cable in cables:
        if hangs_from.get(cable.tier) == tiers[cable.a_device] and cable.b_device in switches:
            up = switches[cable.b_device].group
            ups[cable.a_device] = min(up, ups.get(cable.a_device, up))
    endpoints = {name: _Device(0, su, 0, name, su) for name, su in ups.items() if tiers[name] == 0}
    return switches | endpoints | {n: replace(d, up=ups.get(n, 0)) for n, d in switches.items() if d.tier == 1}


def _switch(name: str, tier: int) -> _Device:
    """A switch (or uplink target) with the group and rail its name encodes."""
    if tier == 1 and (match := _LEAF_RE.search(name)):
        su, rail, flat_leaf = match.groups()
        return _Device(1, int(su), int(rail), name) if su else _Device(1, int(flat_leaf), 1, name)
    pattern = {2: _SPINE_RE, 3: _CORE_RE}.get(tier)
    match = pattern.search(name) if pattern else None
    return _Device(tier, int(match.group(1)) if match else 0, 0, name)


def _is_flat(devices: Mapping[str, _Device]) -> bool:
    """True when no leaf name carries an SU (`leafNNN`): each leaf is then its own unit."""
    return not any(d.tier == 1 and _SU_LEAF_RE.search(d.name) for d in devices.values())


def _tier_nodes(
    members: Sequence[_Device],
    roles: Mapping[str, str],
    flat: bool,
    parents: Mapping[int, int],
    limits: tuple[int, int],
) -> tuple[dict[str, str], list[_Node], dict[int, int]]:
    """The nodes drawing one tier, collapsed into groups when the tier is large.

    Args:
        members: the tier's devices, sorted.
        roles: device name -> role.
        flat: the fabric's leaves carry no SU.
        parents: group of the tier above -> its bucket (node); groups missing from it are their own bucket.
        limits: most group nodes to draw, and most devices drawn one by one before the tier is grouped.

    Returns:
        Device name -> node id, the node statements, and group -> bucket for the tier below.
    """
    limit, max_per_tier = limits
    if len(members) <= max_per_tier:
        boxes = {d.name: d.name for d in members}
        return boxes, [_device_node(d, roles, flat) for d in members], {d.group: d.group for d in members}
    bucket_of = _buckets(sorted({(parents.get(d.up, d.up), d.group) for d in members}), limit)
    buckets: dict[int, list[_Device]] = defaultdict(list)
    for device in members:
        buckets[bucket_of[device.group]].append(device)
    box_of: dict[str, str] = {}
    nodes: list[_Node] = []
    for bucket in sorted(buckets):
        nodes.append(_group_node(buckets[bucket], roles, flat))
        box_of.update((d.name, nodes[-1][0]) for d in buckets[bucket])
    return box_of, nodes, bucket_of


def _group_limit(tier: int, members: Sequence[_Device], spine_nodes: int, density: Density) -> int:
    """Most group nodes for a tier. Cores, and the leaves of a 2-tier fabric, link to every spine node: that
    mesh's edge labels set the drawing's width, so such a tier gets fewer groups the more spine nodes there are.
    """
    meshed = tier == 3 or (tier == 1 and len({d.up for d in members}) == 1)
    groups = density.max_groups
    return max(1, min(groups, density.max_mesh // max(1, spine_nodes))) if meshed else groups


def _buckets(keys: Sequence[tuple[int, int]], limit: int) -> dict[int, int]:
    """Group -> bucket: runs of consecutive groups under one parent, each run as short as `limit` allows.

    A run never crosses a parent boundary, so it hangs under a single node of the tier above; with one run per
    parent the count is that tier's node count, which is itself bounded.
    """
    bucket_of: dict[int, int] = {}
    for size in range(1, len(keys) + 1):
        bucket_of, count, used, last = {}, -1, size, -1
        for parent, group in keys:
            if used == size or parent != last:
                count, used, last = count + 1, 0, parent
            bucket_of[group] = count
            used += 1
        if count < limit:
            break
    return bucket_of


def _device_node(device: _Device, roles: Mapping[str, str], flat: bool) -> _Node:
    """One device's node, labelled with its name and its role (endpoints) or rail (leaves): (id, attributes)."""
    role = roles.get(device.name, _TIER_NAMES[device.tier])
    label = [device.name]
    attrs = [("fillcolor", _FILL[device.tier])]
    if device.tier == 0:
        label.append(role)
        if "manager" in role:  # the fabric manager is not a compute system; make it stand out
            attrs.append(("shape", "hexagon"))
    elif device.tier == 1:
        label += [] if flat else [f"rail {device.rail}"]
        attrs = [("fillcolor", _rail_colour(device.rail) + "40"), ("color", _rail_colour(device.rail)),
                 ("penwidth", "2")]  # fmt: skip
    return device.name, _attrs([("label", "\n".join(label)), *attrs])


def _group_node(members: Sequence[_Device], roles: Mapping[str, str], flat: bool) -> _Node:
    """The node standing for `members` (all one tier), labelled with what it holds: (node id, attributes)."""
    tier = members[0].tier
    first, last = members[0].group, members[-1].group
    node_id = f"{_GROUP_PREFIX}{_TIER_NAMES[tier]}:{first:03d}-{last:03d}"
    units = (("leaf", "leaves") if flat else ("SU", "SUs"), ("pod", "pods"), ("core group", "core groups"))
    one, many = units[max(0, tier - 1)] if tier <= 3 else ("group", "groups")
    head = "" if last == 0 else (f"{one} {first}: " if first == last else f"{many} {first}-{last}: ")
    label = [f"{head}{_count(len(members), tier)}"]
    rails = sorted({d.rail for d in members})
    fill = _FILL[tier]
    if tier == 0:
        role_counts = Counter(roles.get(d.name, "endpoint") for d in members)
        if len(role_counts) > 1:
            roles_held = [f"{n} {role}" for role, n in sorted(role_counts.items())]
            # three to a line: an out-of-band group holds a dozen roles, which on one line widen the drawing
            label += [", ".join(roles_held[i : i + 3]) for i in range(0, len(roles_held), 3)]
    elif tier == 1:
        label[0] += "" if flat else f" (rails {rails[0]}-{rails[-1]})"
        fill = _rail_colour(rails[0]) + "40" if len(rails) == 1 else "#ffffff"
    attrs = [("label", "\n".join(label)), ("shape", "box3d"), ("fillcolor", fill)]
    return node_id, _attrs(attrs)


def _edge_lines(cables: Iterable[CableRun], box_of: Mapping[str, str], devices: Mapping[str, _Device]) -> list[str]:
    """One edge per pair of drawn nodes (and cable tier), upper end first so `dot` ranks top-down."""
    bundles: dict[tuple[int, str, str], tuple[Counter[int], set[int]]] = {}
    kinds = list(_CABLE_TIERS)
    for cable in cables:
        if cable.a_device not in box_of or cable.b_device not in box_of:
            continue
        key = (kinds.index(cable.tier), box_of[cable.b_device], box_of[cable.a_device])
        speeds, rails = bundles.setdefault(key, (Counter(), set()))
        speeds[cable.speed_gbps] += 1
        leaf = _leaf_end(cable)
        rails.add(devices[leaf].rail if leaf else 0)
    lines = []
    for (kind, upper, lower), (speeds, rails) in sorted(bundles.items()):
        grouped = upper.startswith(_GROUP_PREFIX) or lower.startswith(_GROUP_PREFIX)
        attrs = [("class", kinds[kind]), ("color", ":".join(_rail_colour(r) for r in sorted(rails)))]
        count = sum(speeds.values())
        if count > 1 or grouped:
            attrs.append(("label", _link_label(speeds, grouped)))
        if grouped:  # thicker for more links, on a log scale so 10k links do not swamp the drawing
            attrs.append(("penwidth", f"{1 + min(3.0, math.log10(count)):.1f}"))
        lines.append(f"  {dot_string(upper)} -- {dot_string(lower)} [{_attrs(attrs)}];")
    return lines


def _link_label(speeds: Counter[int], with_bandwidth: bool) -> str:
    """`256 x 400G`, per speed, plus the aggregate bandwidth on group edges."""
    text = " + ".join(f"{n} x {speed}G" for speed, n in sorted(speeds.items()))
    if not with_bandwidth:
        return text
    gbps = sum(speed * n for speed, n in speeds.items())
    return f"{text}\n{gbps / 1000:g} Tb/s" if gbps >= 1000 else f"{text}\n{gbps} Gb/s"


def _leaf_end(cable: CableRun) -> str | None:
    """The leaf a cable touches, whose rail colours it; None above the leaves (spine-core cables are neutral)."""
    return {"endpoint-leaf": cable.b_device, "leaf-spine": cable.a_device}.get(cable.tier)


def _count(n: int, tier: int) -> str:
    """`1 leaf`, `8 leaves`: a device count in the tier's noun."""
    return f"{n} {_NOUNS[tier][n != 1]}"


def _rail_colour(rail: int) -> str:
    """The palette entry of a 1-based rail; cycles past the palette, and neutral grey for no rail."""
    return _RAIL_COLOURS[(rail - 1) % len(_RAIL_COLOURS)] if rail > 0 else _NEUTRAL


def _title(fabric: FabricPlan) -> list[str]:
    """Title lines: what the fabric is, its switch and shape, and how many switches of each tier."""
    order = {"leaf": 0, "spine": 1, "core": 2}  # bottom-up, as an engineer counts them; unknown tiers last
    tiers = sorted(fabric.switches, key=lambda tier: (order.get(tier, len(order)), tier))
    switches = ", ".join(f"{fabric.switches[tier]} {tier}" for tier in tiers)
    layout = f"rail-optimized, {fabric.rails} rails" if fabric.rail_optimized else "flat"
    planes = f"{fabric.planes} plane{'s' if fabric.planes != 1 else ''}"
    return [
        f"{fabric.name} fabric: {fabric.purpose}",
        f"{fabric.technology}, {fabric.switch_model}, {planes}, {fabric.tiers} tiers, {layout}",
        f"switches: {switches}; {len(fabric.cables)} cables",
    ]


def _document(name: str, title: Sequence[str], ranks: Sequence[Sequence[_Node]], edges: Sequence[str]) -> str:
    """The DOT graph: one `rank=same` block per non-empty tier, top tier first, then the edges."""
    graph = [("label", "\n".join(title)), ("labelloc", "t"), ("fontname", "Helvetica"), ("fontsize", "14"),
             ("newrank", "true"), ("nodesep", "0.2"), ("ranksep", "1.2"), ("outputorder", "edgesfirst")]  # fmt: skip
    lines = [
        f"graph {dot_string(name)} {{",
        f"  graph [{_attrs(graph)}];",
        '  node [shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10"];',
        '  edge [fontname="Helvetica", fontsize="8"];',
    ]
    for rank in ranks:
        if rank:
            # invisible edges chain a rank in sort order: dot keeps SUs, rails and pods left to right
            nodes = [f"    {dot_string(node_id)} [{attrs}];" for node_id, attrs in rank]
            chain = [
                f'    {dot_string(a)} -- {dot_string(b)} [style="invis"];'
                for (a, _), (b, _) in itertools.pairwise(rank)
            ]
            lines += ["  {", '    rank="same";', *nodes, *chain, "  }"]
    return "\n".join([*lines, *edges, "}"]) + "\n"


def _attrs(pairs: Iterable[tuple[str, str]]) -> str:
    """A DOT attribute list, every value quoted."""
    return ", ".join(f"{key}={dot_string(value)}" for key, value in pairs)
