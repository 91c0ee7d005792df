"""Compute allocations: the systems each workload gets (a fixed size from the spec, or a target's chosen
candidate), and the support servers its platform needs beside them (MemoryX, SwarmX, ...)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from refarch.catalog.loader import Catalog
from refarch.catalog.models import WORKLOAD_TYPES, Accelerator, Server, SupportRole, System
from refarch.plan import ComputeAllocation
from refarch.sizing.context import WorkloadContext
from refarch.sizing.platform_choice import Candidate
from refarch.sizing.targets import target_note
from refarch.types import Assumption, WorkloadType

__all__ = [
    "Allocated",
    "SupportServers",
    "SupportSizing",
    "allocation",
    "fixed_allocation",
    "support_servers",
    "systems_per_platform",
    "target_allocation",
]


@dataclass(frozen=True)
class Allocated:
    """A workload's allocation, the system it is of, and the assumption the count rests on (if any)."""

    allocation: ComputeAllocation
    system: System
    note: Assumption | None = None


@dataclass(frozen=True)
class SupportServers:
    """Servers a platform needs beside its systems (MemoryX, SwarmX, ...), with their provenance."""

    server: Server
    count: int
    for_platform: str
    ratio_note: str


@dataclass(frozen=True)
class SupportSizing:
    """The support servers of every platform and the assumptions behind them (including the servers left out)."""

    servers: list[SupportServers]
    assumptions: list[Assumption]


def systems_per_platform(allocations: Iterable[ComputeAllocation]) -> dict[str, int]:
    """Systems of each platform summed over the workloads that use it (one shared cluster)."""
    counts: dict[str, int] = {}
    for item in allocations:
        counts[item.platform] = counts.get(item.platform, 0) + item.systems
    return counts


def allocation(
    name: str,
    workload_type: WorkloadType,
    system: System,
    systems: int,
    sizing: Literal["fixed", "target"],
    note: str,
    catalog: Catalog,
) -> ComputeAllocation:
    """`systems` whole systems of `system` for workload `name`, with how the count was decided; the accelerator's
    scale-up bandwidth comes from `catalog` (the acceptance plan's NVLink expectation rests on it).

    Raises:
        CatalogError: the system's accelerator is no catalog accelerator.
    """
    accelerator = catalog.get(system.accelerator, Accelerator)
    return ComputeAllocation(
        workload=name,
        workload_type=workload_type,
        platform=system.id,
        platform_name=system.name,
        accelerator=system.accelerator,
        accelerators_per_system=system.accelerators,
        architecture=system.architecture,
        hosts_per_system=system.hosts,
        scale_up_bandwidth_gbps=accelerator.scale_up_bandwidth_gbps,
        systems=systems,
        accelerators=systems * system.accelerators,
        sizing=sizing,
        sizing_note=note,
    )


def fixed_allocation(ctx: WorkloadContext) -> Allocated:
    """The systems the spec gives a fixed-size workload (accelerators rounded up to whole systems, said so).

    Raises:
        CatalogError: the workload's platform is no catalog system.
    """
    given = ctx.given
    system = ctx.catalog.get(str(given.platform), System, ctx.where("platform"))
    rounding = None
    if given.systems is not None:
        systems = given.systems
        note = f"fixed: {systems} systems given in the spec"
    else:
        requested = int(given.accelerators or 0)
        systems = math.ceil(requested / system.accelerators)
        note = f"fixed: {requested} accelerators requested, rounded up to {systems} whole systems"
        if systems * system.accelerators != requested:
            rounding = Assumption(
                id=f"rounding-{given.name}",
                text=f"Workload '{given.name}' asked for {requested} accelerators; {system.name} has "
                f"{system.accelerators} per system, so {systems} systems ({systems * system.accelerators} "
                "accelerators) are planned.",
                confidence="derived",
                source="spec and catalog",
            )
    return Allocated(allocation(given.name, given.type, system, systems, "fixed", note, ctx.catalog), system, rounding)


def target_allocation(ctx: WorkloadContext, picked: Candidate, considered: str) -> Allocated:
    """The systems target sizing picked for a target workload, with why (`considered`: what else it weighed)."""
    workload = ctx.workload
    system = ctx.catalog.get(picked.platform.system_id, System)
    met = target_note(picked.estimate, system.name, workload)
    note = f"target: {met}; {considered}"
    systems = picked.estimate.systems
    made = allocation(workload.name, workload.workload_type, system, systems, "target", note, ctx.catalog)
    return Allocated(made, system)


def support_servers(
    allocations: Sequence[ComputeAllocation], systems: dict[str, System], catalog: Catalog
) -> SupportSizing:
    """Support servers per platform, summed over the workloads that use it (a shared cluster); a server that only
    some workload types need (MemoryX: training) is counted on the systems doing that work."""
    per_platform = systems_per_platform(allocations)
    per_type = {t: systems_per_platform(a for a in allocations if a.workload_type == t) for t in WORKLOAD_TYPES}
    servers: list[SupportServers] = []
    notes: list[Assumption] = []
    for platform_id in sorted(per_platform):
        system = systems[platform_id]
        for role in system.support:
            server = catalog.get(role.server, Server)
            served = sum(per_type[t].get(platform_id, 0) for t in role.serves)
            if served == 0:
                notes.append(_support_left_out(role, server, system, per_platform[platform_id]))
                continue
            count = max(role.minimum, math.ceil(role.per_system * served - 1e-9))
            note = f"{role.per_system:g} per {system.name} (minimum {role.minimum})"
            if served < per_platform[platform_id]:
                note += f", for the {served} doing {' or '.join(role.serves)} work"
            servers.append(SupportServers(server, count, platform_id, note))
            notes.append(
                Assumption(
                    id=f"support-{platform_id}-{server.id}",
                    text=f"{count} x {server.name} for {per_platform[platform_id]} x {system.name}: {note}.",
                    confidence=role.confidence,
                    source=role.source,
                )
            )
    return SupportSizing(servers, notes)


def _support_left_out(role: SupportRole, server: Server, system: System, systems: int) -> Assumption:
    """Why a support server the catalog lists for `system` is not in the plan."""
    return Assumption(
        id=f"support-{system.id}-{server.id}",
        text=(
            f"No {server.name} for the {systems} x {system.name}: they do no {' or '.join(role.serves)} work. "
            f"{role.serves_why + ' ' if role.serves_why else ''}If they will, add {role.per_system:g} per system "
            f"(at least {role.minimum})."
        ),
        confidence=role.confidence,
        source=role.source,
    )
