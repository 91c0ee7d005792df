"""Stage `size`: turn each workload into a platform and a system count.

Fixed sizes (`platform` + `systems`/`accelerators`) are resolved here and estimated with the performance model;
workloads with a target (training: `time_to_train`; inference: output tokens/s, concurrency, TTFT) get the platform
and size that meet it at the lowest cost within the site's limits (refarch.sizing.targets). The result is built
once, from what each step returns, and frozen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Switch, System
from refarch.inputs.spec import Spec
from refarch.perf.calibration.file import Calibration, default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.plan import ComputeAllocation, SizingDecision, TrainingEstimate, WorkloadEstimate
from refarch.sizing.allocations import (
    SupportServers,
    allocation,
    fixed_allocation,
    support_servers,
    systems_per_platform,
    target_allocation,
)
from refarch.sizing.context import WorkloadContext, workload_contexts
from refarch.sizing.platform_choice import Candidate, Designer, Estimate, Reservation
from refarch.sizing.targets import NoEstimate, choose_platforms, fixed_estimate, site_limits
from refarch.sizing.workloads import resolve_workloads
from refarch.types import Assumption, WorkloadPlan

__all__ = ["Sizing", "SupportServers", "TimeToTrain", "candidate_sizing", "size", "systems_per_platform"]

# (training workload, systems of its platform) -> estimated time to train in seconds; None: no estimate there
TimeToTrain = Callable[[str, int], float | None]


@dataclass(frozen=True)
class Sizing:
    """Output of `size`: compute per workload, support servers, and the assumptions sizing relied on; `targets` is
    the candidate chosen for each target workload, with what target sizing counted it to cost, and `decisions`
    how each was chosen (every platform weighed, in spec order; the Plan carries them)."""

    workloads: list[WorkloadPlan]
    allocations: list[ComputeAllocation]
    systems: dict[str, System]
    support: list[SupportServers]
    assumptions: list[Assumption]
    performance: list[WorkloadEstimate]
    warnings: list[str]
    targets: dict[str, Candidate]
    decisions: list[SizingDecision]
    time_to_train: TimeToTrain | None = None  # the model at other sizes (power stages); None for a bare candidate


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
    resolved = resolve_workloads(spec, catalog)
    workloads, notes = resolved.workloads, list(resolved.assumptions)
    contexts = workload_contexts(spec, catalog, calibration, workloads)
    if spec.network.switch is not None:
        catalog.get(spec.network.switch, Switch, spec.where("network", "switch"))
    fixed = [fixed_allocation(ctx) for ctx in contexts if ctx.given.target is None]
    limits = site_limits(spec, catalog, systems_per_platform(f.allocation for f in fixed), reserved)
    choice = choose_platforms(contexts, limits, designer)
    targets = [
        target_allocation(ctx, choice.chosen[name], choice.considered[name])
        for ctx in contexts
        if (name := ctx.workload.name) in choice.chosen
    ]
    allocated = {a.allocation.workload: a for a in [*fixed, *targets]}
    allocations = [allocated[w.name].allocation for w in spec.workloads]
    systems = {a.system.id: a.system for a in [*fixed, *targets]}
    notes += [f.note for f in fixed if f.note is not None]
    notes += [_reservation_assumption(reserved)] if reserved else []
    estimates = [_estimate(ctx, a, choice.chosen) for ctx, a in zip(contexts, allocations, strict=True)]
    notes += _new_assumptions(notes, [e for e in estimates if not isinstance(e, NoEstimate)])
    support = support_servers(allocations, systems, catalog)
    return Sizing(
        workloads=workloads,
        allocations=allocations,
        systems=systems,
        support=support.servers,
        assumptions=notes + support.assumptions,
        performance=[e.record for e in estimates if not isinstance(e, NoEstimate)],
        warnings=[e.warning for e in estimates if isinstance(e, NoEstimate)],
        targets=choice.chosen,
        decisions=choice.decisions,
        time_to_train=_time_to_train(contexts, allocations),
    )


def _time_to_train(contexts: Sequence[WorkloadContext], allocations: Sequence[ComputeAllocation]) -> TimeToTrain:
    """The performance model for each training workload on its own platform at any number of systems."""
    placed = {ctx.workload.name: (ctx, a.platform) for ctx, a in zip(contexts, allocations, strict=True)}

    def at(workload: str, systems: int) -> float | None:
        ctx, platform_id = placed[workload]
        estimate = fixed_estimate(ctx, platform_from_catalog(ctx.catalog, platform_id), systems)
        if isinstance(estimate, NoEstimate) or not isinstance(estimate.record, TrainingEstimate):
            return None
        return estimate.record.time_to_train_s

    return at


def candidate_sizing(workload: WorkloadPlan, system: System, systems: int, catalog: Catalog) -> Sizing:
    """`systems` x `system` for `workload` alone, with their support servers and no estimate: what target sizing
    designs to cost a candidate."""
    made = allocation(workload.name, workload.workload_type, system, systems, "target", "a target candidate", catalog)
    allocations = [made]
    support = support_servers(allocations, {system.id: system}, catalog)
    return Sizing(
        workloads=[workload],
        allocations=allocations,
        systems={system.id: system},
        support=support.servers,
        assumptions=support.assumptions,
        performance=[],
        warnings=[],
        targets={},
        decisions=[],
    )


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


def _estimate(
    ctx: WorkloadContext, allocated: ComputeAllocation, chosen: dict[str, Candidate]
) -> Estimate | NoEstimate:
    """The workload's performance estimate: its chosen candidate's for a target, else one at its fixed size (or
    why there is none, a plan warning)."""
    if ctx.workload.name in chosen:
        return chosen[ctx.workload.name].estimate
    platform = platform_from_catalog(ctx.catalog, allocated.platform)
    return fixed_estimate(ctx, platform, allocated.systems)


def _new_assumptions(known: Sequence[Assumption], estimates: Sequence[Estimate]) -> list[Assumption]:
    """The estimates' assumptions not already among `known`, each once, in order."""
    seen = {a.id for a in known}
    new = []
    for estimate in estimates:
        for note in estimate.assumptions:
            if note.id not in seen:
                seen.add(note.id)
                new.append(note)
    return new
