"""The performance side of `size`: estimates for fixed workloads and platform choice for target workloads.

Training targets (time to train; refarch.sizing.training_targets) and inference targets (output tokens/s,
concurrency, TTFT; refarch.sizing.inference_targets) share one path: each candidate platform's fewest systems that
meet the target, then one CP-SAT choice over all target workloads under the site's limits
(refarch.sizing.platform_choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError, NotSupportedError, RefarchError
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import Spec
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.records import InferenceResult
from refarch.perf.training.estimate import is_calibrated
from refarch.plan import SizingDecision
from refarch.sizing.context import WorkloadContext
from refarch.sizing.decisions import Searched, millions, shortfall, sizing_decision
from refarch.sizing.inference_targets import covered_for_inference, serving_note, serving_outcome, unmet_inference
from refarch.sizing.platform_choice import (
    Candidate,
    Designer,
    Estimate,
    Outcome,
    Reservation,
    SiteLimits,
    candidate,
    max_systems,
    site_cost,
    undesigned_text,
    weigh_candidates,
)
from refarch.sizing.site_limits import design_problems, hosting_problems
from refarch.sizing.training_targets import training_note, training_outcome, unmet_training
from refarch.types import WorkloadPlan

__all__ = [
    "NoEstimate",
    "PlatformOptions",
    "SystemsCost",
    "TargetChoice",
    "allowed_platforms",
    "choose_platforms",
    "compute_cost",
    "fixed_estimate",
    "platform_outcome",
    "site_limits",
    "target_note",
]

_UNCALIBRATED = "no {} measurements of their accelerators; name one as 'platform' to size it anyway"


@dataclass(frozen=True)
class TargetChoice:
    """What target sizing decided: a platform and size per target workload, which platforms it weighed (in words,
    for the allocation's note) and the same as records (`decisions`, in the order of `contexts`)."""

    chosen: dict[str, Candidate]
    considered: dict[str, str]
    decisions: list[SizingDecision]


@dataclass(frozen=True)
class PlatformOptions:
    """The platforms a target workload may be sized on, and those left out, grouped by why."""

    allowed: list[Platform]
    skipped: dict[str, list[str]]


@dataclass(frozen=True)
class SystemsCost:
    """What systems alone take of the site, as target sizing costs its candidates: facility power, racks and
    capital cost, nothing the design adds around them."""

    facility_power_w: float = 0.0
    racks: int = 0
    capex_usd: float = 0.0


@dataclass(frozen=True)
class NoEstimate:
    """Why a fixed-size workload has no performance estimate: a plan warning naming the spec field to change."""

    warning: str


def target_note(estimate: Estimate, system_name: str, workload: WorkloadPlan) -> str:
    """Why a target workload got its size: the target met and what the estimate says."""
    if isinstance(estimate, InferenceResult):
        return serving_note(estimate, system_name, workload)
    return training_note(estimate, system_name)


def site_limits(
    spec: Spec, catalog: Catalog, fixed_systems: dict[str, int], reserved: Reservation | None = None
) -> SiteLimits:
    """The site's limits less what the fixed-size workloads already take (costed as candidates are) and less
    `reserved` for what the design adds beyond its systems."""
    site = _site(spec)
    reserved = reserved or Reservation()
    used = _cost(site, catalog, fixed_systems)
    power = None if site.power_w is None else site.power_w - used.facility_power_w - reserved.power_w
    racks = None if site.racks is None else site.racks - used.racks - reserved.racks
    money = None if site.budget_usd is None else site.budget_usd - used.capex_usd - reserved.usd
    return replace(site, power_w=power, racks=racks, budget_usd=money)


def compute_cost(spec: Spec, catalog: Catalog, systems: dict[str, int]) -> SystemsCost:
    """What `systems` (count per platform) take of the site, costed as target sizing costs its candidates: the
    systems only, nothing the design adds around them."""
    return _cost(_site(spec), catalog, systems)


def _cost(site: SiteLimits, catalog: Catalog, systems: dict[str, int]) -> SystemsCost:
    costs = [site_cost(platform_from_catalog(catalog, system_id), n, site) for system_id, n in sorted(systems.items())]
    return SystemsCost(
        sum(c.facility_power_w for c in costs), sum(c.racks for c in costs), sum(c.capex_usd for c in costs)
    )


def _site(spec: Spec) -> SiteLimits:
    return SiteLimits(
        power_w=spec.site.power_budget,
        racks=spec.site.max_racks,
        budget_usd=spec.budget,
        pue=spec.site.pue,
        rack_power_w=resolve_site(spec).rack_power_limit_w,
        rack_height_u=spec.site.rack_height,
    )


def choose_platforms(
    contexts: Sequence[WorkloadContext], limits: SiteLimits, designer: Designer | None = None
) -> TargetChoice:
    """Pick a platform and size for every target-driven workload (training and inference) of `contexts`.

    With a `designer`, platforms are compared by the cost of their whole designs (refarch.sizing.platform_choice says
    how few are designed); without one, by their systems alone.

    Raises:
        NotSupportedError: a training target without tokens to train.
        InfeasibleError: no platform meets a target within the limits, or the model fits on none; the message
            names the nearest feasible size.
    """
    options: dict[str, list[Candidate]] = {}
    searches: list[Searched] = []
    for ctx in contexts:
        if ctx.workload.target is None:
            continue
        _check_target(ctx)
        found = allowed_platforms(ctx)
        outcomes = [platform_outcome(ctx, limits, p) for p in found.allowed]
        candidates = [candidate(o.meeting, o.platform, limits) for o in outcomes if o.meeting is not None]
        if not candidates:
            raise _unmet(ctx, outcomes, found.skipped)
        options[ctx.workload.name] = candidates
        searches.append(Searched(ctx, outcomes, found.skipped))
    if not options:
        return TargetChoice({}, {}, [])
    try:
        weighing = weigh_candidates(options, limits, designer)
    except InfeasibleError as exc:
        raise InfeasibleError(exc.message, contexts[0].spec.where("site")) from exc
    designed = designer is not None
    considered = {
        (name := s.ctx.workload.name): _weighed(weighing.options[name], weighing.undesignable[name], designed, limits)
        + _not_meeting(s.ctx.workload, limits, s.outcomes, s.skipped)
        for s in searches
    }
    decisions = [sizing_decision(s, weighing, designed, limits) for s in searches]
    return TargetChoice(weighing.chosen, considered, decisions)


def platform_outcome(ctx: WorkloadContext, limits: SiteLimits, platform: Platform) -> Outcome:
    """The fewest systems of `platform` meeting the workload's target within `limits`, or the nearest it gets."""
    upper = max_systems(platform, limits)
    if ctx.workload.workload_type == "inference":
        return serving_outcome(ctx, platform, upper)
    return training_outcome(ctx, platform, upper)


def _check_target(ctx: WorkloadContext) -> None:
    workload = ctx.workload
    if workload.workload_type == "training" and workload.tokens is None:
        raise NotSupportedError(
            f"workload '{workload.name}' has a time_to_train target but no 'tokens' to train",
            ctx.where("target"),
            "add 'tokens: 15T' (the training tokens) to the workload",
        )


def allowed_platforms(ctx: WorkloadContext) -> PlatformOptions:
    """The spec's platform if it names one; else every platform the model can stand behind, and why others are
    left out (grouped by reason)."""
    given = ctx.given.platform
    if given is not None:
        return PlatformOptions([platform_from_catalog(ctx.catalog, given, ctx.where("platform"))], {})
    allowed: list[Platform] = []
    skipped: dict[str, list[str]] = {}
    for system in ctx.catalog.all(System):
        platform = platform_from_catalog(ctx.catalog, system.id)
        why = _exclusion(ctx, platform)
        if why:
            skipped.setdefault(why, []).append(platform.system_id)
        else:
            allowed.append(platform)
    return PlatformOptions(allowed, skipped)


def _exclusion(ctx: WorkloadContext, platform: Platform) -> str:
    """Why `platform` is not a candidate for the workload ("" when it is)."""
    workload = ctx.workload
    if workload.workload_type == "training":
        if not platform.supports(workload.precision):
            return f"no {workload.precision} peak"
        if not is_calibrated(platform, ctx.calibration):
            return _UNCALIBRATED.format("training")
    elif not covered_for_inference(platform):
        return _UNCALIBRATED.format("inference")
    return "; ".join(hosting_problems(ctx.spec, ctx.catalog.get(platform.system_id, System)))


def _weighed(
    options: Sequence[Candidate], undesignable: Sequence[Candidate], designed: bool, limits: SiteLimits
) -> str:
    """The platforms that meet the target, by what they cost; those left undesigned could not have won (their
    systems alone cost more than the pick's whole design, or do not fit beside the other workloads' picks)."""
    ranked = sorted(options, key=lambda c: (c.total_capex_usd, c.platform.system_id))
    if not designed:
        costs = ", ".join(f"{c.platform.system_id} {millions(c.capex_usd)}" for c in ranked)
        return f"cheapest systems within the site's limits of {costs}"
    fitting = [c for c in ranked if c.design and not design_problems(c.design, limits)]
    costs = ", ".join(f"{c.platform.system_id} {millions(c.total_capex_usd)}" for c in fitting)
    text = f"cheapest whole design (systems, fabrics, racks, power, cabling) within the site's limits of {costs}"
    over = [f"{c.platform.system_id} {millions(c.total_capex_usd)}" for c in ranked if c.design and c not in fitting]
    if over:
        text += f"; designed but over the site's limits: {', '.join(over)}"
    bounds = [f"{c.platform.system_id} (systems alone {millions(c.capex_usd)})" for c in ranked if c.design is None]
    if bounds:
        text += f"; not designed, as no design of theirs could win: {', '.join(bounds)}"
    if undesignable:
        text += f"; cannot be designed: {', '.join(undesigned_text(c) for c in undesignable)}"
    return text


def _not_meeting(
    workload: WorkloadPlan, limits: SiteLimits, outcomes: Sequence[Outcome], skipped: dict[str, list[str]]
) -> str:
    """Which platforms could not meet the target, and which were left out and why."""
    text = ""
    unmet = [f"{o.platform.system_id} ({shortfall(workload, limits, o)})" for o in outcomes if o.meeting is None]
    if unmet:
        text += f"; cannot meet the target within them: {', '.join(unmet)}"
    if skipped:
        text += "; not considered: " + "; ".join(f"{', '.join(ids)} ({why})" for why, ids in skipped.items())
    return text


def _unmet(ctx: WorkloadContext, outcomes: list[Outcome], skipped: dict[str, list[str]]) -> InfeasibleError:
    if not outcomes:
        reasons = "; ".join(f"{', '.join(ids)}: {why}" for why, ids in skipped.items())
        return InfeasibleError(
            f"workload '{ctx.workload.name}': no catalog platform is a candidate ({reasons})",
            ctx.where("target"),
            "name a platform in the workload, or allow more cooling methods under 'site'",
        )
    if ctx.workload.workload_type == "inference":
        return unmet_inference(ctx, outcomes)
    return unmet_training(ctx, outcomes)


def fixed_estimate(ctx: WorkloadContext, platform: Platform, systems: int) -> Estimate | NoEstimate:
    """A fixed-size workload's estimate on `systems` x `platform`, or why there is none (a plan warning)."""
    try:
        return ctx.estimate_at(platform, systems)
    except RefarchError as exc:
        return _no_estimate(ctx, exc)


def _no_estimate(ctx: WorkloadContext, exc: RefarchError) -> NoEstimate:
    """Why a fixed-size workload has no estimate (a plan warning), at the spec field to change: the one the model
    blames, else the size. The path is inside the spec, not a file name, so that plan.json does not depend on where
    the spec was read from."""
    field = exc.field or (("systems",) if ctx.given.systems is not None else ("accelerators",))
    path = exc.location.path if exc.location is not None else ctx.where(*field).path
    name = ctx.workload.name
    message = exc.message if f"'{name}'" in exc.message else f"workload '{name}': {exc.message}"
    hint = f"; hint: {exc.hint}" if exc.hint else ""
    return NoEstimate(f"no performance estimate (spec at '{path}'): {message}{hint}")
