"""Stage `size`: turn each workload into a platform and a system count.

Fixed sizes (`platform` + `systems`/`accelerators`) are resolved here. Target-driven workloads need the
performance model, which does not exist yet: they get a clear "not supported yet" error, never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from refarch.catalog import Catalog
from refarch.catalog_models import Accelerator, Server, Switch, System
from refarch.errors import NotSupportedError
from refarch.plan import Assumption, ComputeAllocation, WorkloadPlan
from refarch.spec import Spec, WorkloadSpec
from refarch.workloads import resolve_workloads

__all__ = ["Sizing", "SupportServers", "size"]


@dataclass(frozen=True)
class SupportServers:
    """Servers a platform needs beside its systems (MemoryX, SwarmX, ...), with their provenance."""

    server: Server
    count: int
    for_platform: str
    ratio_note: str


@dataclass
class Sizing:
    """Output of `size`: compute per workload, support servers, and the assumptions sizing relied on."""

    workloads: list[WorkloadPlan] = field(default_factory=list)
    allocations: list[ComputeAllocation] = field(default_factory=list)
    systems: dict[str, System] = field(default_factory=dict)
    support: list[SupportServers] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)


def size(spec: Spec, catalog: Catalog) -> Sizing:
    """Resolve every workload's model and compute.

    Raises:
        NotSupportedError: a workload gives a `target` (needs the performance model).
        CatalogError: a `platform`, `model.preset` or `network.switch` id is unknown or of the wrong kind.
    """
    workloads, notes = resolve_workloads(spec, catalog)
    sizing = Sizing(workloads=workloads, assumptions=notes)
    if spec.network.switch is not None:
        catalog.get(spec.network.switch, Switch, spec.where("network", "switch"))
    for index, workload in enumerate(spec.workloads):
        where = spec.where("workloads", index)
        if workload.target is not None:
            raise NotSupportedError(
                f"workload '{workload.name}' is sized by a target, which needs the performance model "
                "(not supported yet)",
                where,
                "give a fixed size instead: 'platform: <system id>' with 'systems: N' or 'accelerators: N'",
            )
        system = catalog.get(str(workload.platform), System, spec.where("workloads", index, "platform"))
        sizing.systems[system.id] = system
        sizing.allocations.append(_fixed_allocation(workload, system, catalog, sizing))
    _add_support_servers(sizing, catalog)
    return sizing


def _fixed_allocation(workload: WorkloadSpec, system: System, catalog: Catalog, sizing: Sizing) -> ComputeAllocation:
    accelerator = catalog.get(system.accelerator, Accelerator)
    if workload.systems is not None:
        systems = workload.systems
        note = f"fixed: {systems} systems given in the spec"
    else:
        requested = int(workload.accelerators or 0)
        systems = math.ceil(requested / system.accelerators)
        note = f"fixed: {requested} accelerators requested, rounded up to {systems} whole systems"
        if systems * system.accelerators != requested:
            sizing.assumptions.append(
                Assumption(
                    id=f"rounding-{workload.name}",
                    text=f"Workload '{workload.name}' asked for {requested} accelerators; {system.name} has "
                    f"{system.accelerators} per system, so {systems} systems ({systems * system.accelerators} "
                    "accelerators) are planned.",
                    confidence="derived",
                    source="spec and catalog",
                )
            )
    return ComputeAllocation(
        workload=workload.name,
        workload_type=workload.type,
        platform=system.id,
        platform_name=system.name,
        accelerator=accelerator.id,
        accelerators_per_system=system.accelerators,
        systems=systems,
        accelerators=systems * system.accelerators,
        sizing="fixed",
        sizing_note=note,
    )


def _add_support_servers(sizing: Sizing, catalog: Catalog) -> None:
    """Support servers per platform, summed over the workloads that use it (a shared cluster)."""
    per_platform: dict[str, int] = {}
    for allocation in sizing.allocations:
        per_platform[allocation.platform] = per_platform.get(allocation.platform, 0) + allocation.systems
    for platform_id in sorted(per_platform):
        system = sizing.systems[platform_id]
        for role in system.support:
            server = catalog.get(role.server, Server)
            count = max(role.minimum, math.ceil(role.per_system * per_platform[platform_id] - 1e-9))
            note = f"{role.per_system:g} per {system.name} (minimum {role.minimum})"
            sizing.support.append(SupportServers(server, count, platform_id, note))
            sizing.assumptions.append(
                Assumption(
                    id=f"support-{platform_id}-{server.id}",
                    text=f"{count} x {server.name} for {per_platform[platform_id]} x {system.name}: {note}.",
                    confidence=role.confidence,
                    source=role.source,
                )
            )
