"""Stage `size`: turn each workload into a platform and a system count.

Fixed sizes (`platform` + `systems`/`accelerators`) are resolved here and estimated with the performance model;
workloads with a target (training: `time_to_train`; inference: output tokens/s, concurrency, TTFT) get the platform
and size that meet it at the lowest cost within the site's limits (refarch.sizing.targets).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from refarch.catalog.loader import Catalog
from refarch.catalog.models import WORKLOAD_TYPES, Server, SupportRole, Switch, System
from refarch.inputs.spec import Spec, WorkloadSpec
from refarch.perf.calibration.file import Calibration, default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.plan import ComputeAllocation, WorkloadEstimate
from refarch.sizing.platform_choice import Candidate, Designer, Reservation
from refarch.sizing.targets import (
    TargetChoice,
    choose_platforms,
    fixed_estimate,
    record_of,
    site_limits,
    target_note,
)
from refarch.sizing.workloads import resolve_workloads
from refarch.types import Assumption, WorkloadPlan

__all__ = ["Sizing", "SupportServers", "candidate_sizing", "size", "systems_per_platform"]


@dataclass(frozen=True)
class SupportServers:
    """Servers a platform needs beside its systems (MemoryX, SwarmX, ...), with their provenance."""

    server: Server
    count: int
    for_platform: str
    ratio_note: str


@dataclass
class Sizing:
    """Output of `size`: compute per workload, support servers, and the assumptions sizing relied on; `targets` is
    the candidate chosen for each target workload, with what target sizing counted it to cost."""

    workloads: list[WorkloadPlan] = field(default_factory=list)
    allocations: list[ComputeAllocation] = field(default_factory=list)
    systems: dict[str, System] = field(default_factory=dict)
    support: list[SupportServers] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    performance: list[WorkloadEstimate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    targets: dict[str, Candidate] = field(default_factory=dict)


def size(
    spec: Spec,
    catalog: Catalog,
    calibration: Calibration | None = None,
    reserved: Reservation | None = None,
    designer: Designer | None = None,
) -> Sizing:
    """Resolve every workload's model and compute, and estimate its performance.

    `reserved` is site capacity target sizing leaves for what the design adds beyond the systems
    (refarch.pipeline measures it on a first design that went over the site's limits). With a `designer`
    (refarch.pipeline has one), target workloads get the platform whose whole design is cheapest; without one,
    the platform whose systems are.

    Raises:
        CatalogError: a `platform`, `model.preset` or `network.switch` id is unknown or of the wrong kind.
        NotSupportedError: a training target without tokens to train.
        InfeasibleError: no platform meets a target within the site's limits, or the model fits on none.
    """
    calibration = calibration or default_calibration()
    workloads, notes = resolve_workloads(spec, catalog)
    sizing = Sizing(workloads=workloads, assumptions=notes)
    if spec.network.switch is not None:
        catalog.get(spec.network.switch, Switch, spec.where("network", "switch"))
    allocations = _fixed_allocations(spec, catalog, sizing)
    fixed = systems_per_platform(allocations.values())
    limits = site_limits(spec, catalog, fixed, reserved)
    choice = choose_platforms(spec, catalog, workloads, calibration, limits, designer)
    sizing.targets = choice.chosen
    if reserved:
        sizing.assumptions.append(_reservation_assumption(reserved))
    for workload in workloads:
        if workload.name in choice.chosen:
            allocations[workload.name] = _target_allocation(workload, choice, catalog, sizing)
    sizing.allocations = [allocations[w.name] for w in spec.workloads]
    _estimate(sizing, spec, catalog, calibration, choice.chosen)
    _add_support_servers(sizing, catalog)
    return sizing


def systems_per_platform(allocations: Iterable[ComputeAllocation]) -> dict[str, int]:
    """Systems of each platform summed over the workloads that use it (one shared cluster)."""
    counts: dict[str, int] = {}
    for allocation in allocations:
        counts[allocation.platform] = counts.get(allocation.platform, 0) + allocation.systems
    return counts


def candidate_sizing(workload: WorkloadPlan, system: System, systems: int, catalog: Catalog) -> Sizing:
    """`systems` x `system` for `workload` alone, with their support servers and no estimate: what target sizing
    designs to cost a candidate."""
    allocation = _allocation(workload.name, workload.workload_type, system, systems, "target", "a target candidate")
    sizing = Sizing(workloads=[workload], allocations=[allocation], systems={system.id: system})
    _add_support_servers(sizing, catalog)
    return sizing


def _reservation_assumption(reserved: Reservation) -> Assumption:
    return Assumption(
        id="target-sizing-reservation",
        text=(
            f"Target sizing held back {reserved.words()} of the site's limits for what the combined design adds "
            "beyond the fixed workloads' systems and each target workload's candidate designed on its own "
            "(the fixed workloads' fabrics, management and network racks, and what shared networks add), measured "
            "on a first design whose parts fitted but whose whole did not."
        ),
        confidence="derived",
        source="refarch: a previous design round of this spec",
    )


def _fixed_allocations(spec: Spec, catalog: Catalog, sizing: Sizing) -> dict[str, ComputeAllocation]:
    allocations: dict[str, ComputeAllocation] = {}
    for index, workload in enumerate(spec.workloads):
        if workload.target is None:
            system = catalog.get(str(workload.platform), System, spec.where("workloads", index, "platform"))
            sizing.systems[system.id] = system
            allocations[workload.name] = _fixed_allocation(workload, system, sizing)
    return allocations


def _target_allocation(
    workload: WorkloadPlan, choice: TargetChoice, catalog: Catalog, sizing: Sizing
) -> ComputeAllocation:
    picked = choice.chosen[workload.name]
    system = catalog.get(picked.platform.system_id, System)
    sizing.systems[system.id] = system
    met = target_note(picked.estimate, system.name, workload)
    note = f"target: {met}; {choice.considered[workload.name]}"
    return _allocation(workload.name, workload.workload_type, system, picked.estimate.systems, "target", note)


def _estimate(
    sizing: Sizing, spec: Spec, catalog: Catalog, calibration: Calibration, chosen: dict[str, Candidate]
) -> None:
    """Record a performance estimate for every workload; say why where there is none."""
    seen = {a.id for a in sizing.assumptions}
    for index, (workload, allocation) in enumerate(zip(sizing.workloads, sizing.allocations, strict=True)):
        if workload.name in chosen:
            estimate = chosen[workload.name].estimate
            record, extra = record_of(estimate, workload.target), list(estimate.assumptions)
        else:
            platform = platform_from_catalog(catalog, allocation.platform)
            found, warning = fixed_estimate(spec, catalog, index, workload, platform, allocation.systems, calibration)
            if found is None:
                sizing.warnings.append(str(warning))
                continue
            record, extra = found
        sizing.performance.append(record)
        for note in extra:
            if note.id not in seen:
                seen.add(note.id)
                sizing.assumptions.append(note)


def _fixed_allocation(workload: WorkloadSpec, system: System, sizing: Sizing) -> ComputeAllocation:
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
    return _allocation(workload.name, workload.type, system, systems, "fixed", note)


def _allocation(
    name: str,
    workload_type: Literal["training", "inference"],
    system: System,
    systems: int,
    sizing: Literal["fixed", "target"],
    note: str,
) -> ComputeAllocation:
    """`systems` whole systems of `system` for workload `name`, with how the count was decided."""
    return ComputeAllocation(
        workload=name,
        workload_type=workload_type,
        platform=system.id,
        platform_name=system.name,
        accelerator=system.accelerator,
        accelerators_per_system=system.accelerators,
        systems=systems,
        accelerators=systems * system.accelerators,
        sizing=sizing,
        sizing_note=note,
    )


def _add_support_servers(sizing: Sizing, catalog: Catalog) -> None:
    """Support servers per platform, summed over the workloads that use it (a shared cluster); a server that only
    some workload types need (MemoryX: training) is counted on the systems doing that work."""
    per_platform = systems_per_platform(sizing.allocations)
    per_type = {t: systems_per_platform(a for a in sizing.allocations if a.workload_type == t) for t in WORKLOAD_TYPES}
    for platform_id in sorted(per_platform):
        system = sizing.systems[platform_id]
        for role in system.support:
            server = catalog.get(role.server, Server)
            served = sum(per_type[t].get(platform_id, 0) for t in role.serves)
            if served == 0:
                sizing.assumptions.append(_support_left_out(role, server, system, per_platform[platform_id]))
                continue
            count = max(role.minimum, math.ceil(role.per_system * served - 1e-9))
            note = f"{role.per_system:g} per {system.name} (minimum {role.minimum})"
            if served < per_platform[platform_id]:
                note += f", for the {served} doing {' or '.join(role.serves)} work"
            sizing.support.append(SupportServers(server, count, platform_id, note))
            sizing.assumptions.append(
                Assumption(
                    id=f"support-{platform_id}-{server.id}",
                    text=f"{count} x {server.name} for {per_platform[platform_id]} x {system.name}: {note}.",
                    confidence=role.confidence,
                    source=role.source,
                )
            )


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
