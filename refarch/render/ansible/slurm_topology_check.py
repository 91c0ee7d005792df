"""Check a Slurm topology.conf against the plan's cables (tree) or its NVLink domains (blocks).

The text is parsed back as Slurm would read it (hostlists expanded, keys case-insensitive) and compared with the
graph built from the plan's cables, never with the code that wrote it, so a wrong generator is caught too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from refarch.plan import Plan
from refarch.render.ansible.hostlist import expand_hostlist, natural_key
from refarch.render.ansible.topology_graph import FabricGraph, fabric_graph, nvlink_domains, slurm_nodes

__all__ = ["check_topology"]

_SHOWN = 5  # names quoted per problem; the count says how many there are in all


@dataclass
class _Parsed:
    """topology.conf read back: lowest-level entries (switch or block -> nodes), upper switches, block sizes."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    switches: dict[str, list[str]] = field(default_factory=dict)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    block_sizes: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_topology(plan: Plan, text: str) -> list[str]:
    """Problems of topology.conf `text` for `plan` (empty if none): blocks for NVLink-domain plans, else a tree."""
    parsed = _parse(text)
    domains = nvlink_domains(plan)
    if domains:
        return parsed.problems + _check_blocks(parsed, domains)
    graph = fabric_graph(plan)
    if graph is None:
        return [*parsed.problems, "the plan has no compute fabric to describe"]
    expected = {node for names in slurm_nodes(plan).values() for node in names}
    return parsed.problems + _check_tree(parsed, graph, expected)


def _parse(text: str) -> _Parsed:
    parsed = _Parsed()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            _parse_line(parsed, number, line)
    return parsed


def _parse_line(parsed: _Parsed, number: int, line: str) -> None:
    """One `Key=Value ...` line into `parsed`; anything Slurm would not read is a problem."""
    fields: dict[str, str] = {}
    for part in line.split():
        key, _, value = part.partition("=")
        fields[key.lower()] = value
    fields.pop("linkspeed", None)
    try:
        if set(fields) == {"blocksizes"}:
            parsed.block_sizes = [int(size) for size in fields["blocksizes"].split(",")]
            return
        kind, name = (
            ("blocks", fields.pop("blockname")) if "blockname" in fields else ("", fields.pop("switchname", ""))
        )
        if not name or len(fields) != 1 or not (set(fields) <= {"nodes", "switches"}):
            raise ValueError("expected SwitchName= with Nodes= or Switches=, BlockName= with Nodes=, or BlockSizes=")
        key, members = next(iter(fields.items()))
        kind = kind or key
        if kind == "blocks" and key != "nodes":
            raise ValueError("a block lists Nodes=")
        table: dict[str, list[str]] = getattr(parsed, kind)
        if name in parsed.nodes or name in parsed.switches or name in parsed.blocks:
            raise ValueError(f"{name} is defined twice")
        table[name] = expand_hostlist(members)
    except ValueError as error:
        parsed.problems.append(f"line {number}: {error}")


def _names(names: set[str] | frozenset[str]) -> str:
    """A few of `names` in natural order, with the total when there are more."""
    ordered = sorted(names, key=natural_key)
    more = f" and {len(ordered) - _SHOWN} more" if len(ordered) > _SHOWN else ""
    return ", ".join(ordered[:_SHOWN]) + more


def _check_nodes(lowest: dict[str, list[str]], expected: set[str], what: str) -> list[str]:
    """Every expected node under exactly one lowest-level entry, and no other node."""
    owners: dict[str, list[str]] = defaultdict(list)
    for entry, nodes in lowest.items():
        for node in nodes:
            owners[node].append(entry)
    problems = [
        f"node {node} is under several {what}s: {', '.join(entries)}"
        for node, entries in owners.items()
        if len(entries) > 1
    ]
    if missing := expected - set(owners):
        problems.append(f"{len(missing)} compute node(s) under no {what}: {_names(missing)}")
    if unknown := set(owners) - expected:
        problems.append(f"{len(unknown)} node(s) that are no compute node of the plan: {_names(unknown)}")
    return problems


def _check_blocks(parsed: _Parsed, domains: dict[str, list[str]]) -> list[str]:
    """Each block is the whole set of trays of one NVLink domain, every tray in one block, sizes as the domains."""
    problems = [
        f"line for switch {name}: a block topology lists blocks only" for name in [*parsed.nodes, *parsed.switches]
    ]
    problems += _check_nodes(parsed.blocks, {tray for trays in domains.values() for tray in trays}, "block")
    domain_of = {tray: device for device, trays in domains.items() for tray in trays}
    for block, nodes in parsed.blocks.items():
        systems = {domain_of[node] for node in nodes if node in domain_of}
        if len(systems) != 1 or set(nodes) != set(domains[next(iter(systems))]):
            problems.append(
                f"block {block} is not exactly the trays of one NVLink domain "
                f"(its nodes are of {_names(systems) or 'none'})"
            )
    sizes = {len(trays) for trays in domains.values()}
    if not parsed.block_sizes or parsed.block_sizes[0] != min(sizes):
        problems.append(f"BlockSizes should start at {min(sizes)} trays (one NVLink domain), not {parsed.block_sizes}")
    return problems


def _check_tree(parsed: _Parsed, graph: FabricGraph, expected: set[str]) -> list[str]:
    """Nodes under one leaf (group) each; each leaf group exact; upper switches exactly as cabled."""
    problems = [f"block {name}: a tree topology lists switches only" for name in parsed.blocks]
    problems += _check_nodes(parsed.nodes, expected, "lowest-level switch")
    stands_for: dict[str, set[str]] = {}
    for name, nodes in parsed.nodes.items():
        stands_for[name], found = _leaf_entry(graph, name, set(nodes))
        problems += found
    for name in parsed.switches:
        if name not in graph.switches:
            problems.append(f"switch {name} is not a switch of the plan's compute fabric")
    return problems + _check_uplinks(parsed, graph, stands_for)


def _leaf_entry(graph: FabricGraph, name: str, nodes: set[str]) -> tuple[set[str], list[str]]:
    """The plan leaves a lowest-level entry stands for, and its problems: each of them must reach exactly its
    nodes (a plan leaf's own name stands for that leaf; any other name for the leaves its nodes are cabled to)."""
    if name in graph.switches:
        if name not in graph.leaf_nodes:
            return set(), [f"switch {name} lists nodes but is no leaf cabled to compute nodes"]
        leaves = {name}
    else:
        leaves = {leaf for node in nodes for leaf in graph.node_leaves.get(node, ())}
    problems = []
    for leaf in sorted(leaves, key=natural_key):
        cabled = graph.leaf_nodes[leaf]
        if extra := nodes - cabled:
            problems.append(f"switch {name} lists {len(extra)} node(s) not cabled to its leaf {leaf}: {_names(extra)}")
        if absent := cabled - nodes:
            problems.append(
                f"switch {name} leaves out {len(absent)} node(s) cabled to its leaf {leaf}: {_names(absent)}"
            )
    return leaves, problems


def _check_uplinks(parsed: _Parsed, graph: FabricGraph, stands_for: dict[str, set[str]]) -> list[str]:
    """Each child listed under exactly the switches its leaves (or itself) are cabled to, and under no other."""
    problems = []
    listed: dict[str, set[str]] = defaultdict(set)
    for parent, children in parsed.switches.items():
        for child in children:
            if child not in parsed.nodes and child not in graph.switches:
                problems.append(f"switch {parent} lists {child}, which is neither in the plan nor defined with nodes")
            listed[child].add(parent)
    covered = {leaf for leaves in stands_for.values() for leaf in leaves} - set(stands_for)
    for child in sorted({*stands_for, *(set(graph.parents) - covered), *listed}, key=natural_key):
        members = stands_for.get(child, {child})
        cabled = {parent for member in members for parent in graph.parents.get(member, ())}
        if extra := listed[child] - cabled:
            problems.append(f"{child} is listed under {_names(extra)} but not cabled to it")
        if absent := cabled - listed[child]:
            problems.append(f"{child} is cabled to {_names(absent)} but not listed under it")
    return problems
