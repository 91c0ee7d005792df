"""The performance side of `size`: estimates for fixed workloads and platform choice for target workloads.

Training targets (time to train) and inference targets (output tokens/s, concurrency, TTFT) share one path: each
candidate platform's fewest systems that meet the target, then one CP-SAT choice over all target workloads under
the site's limits (refarch.sizing.platform_choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError, NotSupportedError, RefarchError
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import Spec
from refarch.perf.calibration.file import Calibration
from refarch.perf.inference.serving import ServingEstimate
from refarch.perf.platform import Platform, largest_text, platform_from_catalog, remedy_text
from refarch.perf.training.estimate import ScaleOut, TrainingEstimate, estimate_training, is_calibrated, useful_systems
from refarch.plan import InferencePerformanceEstimate, PerformanceEstimate
from refarch.sizing.inference_targets import (
    covered_for_inference,
    fixed_serving,
    serving_note,
    serving_outcome,
    serving_record,
    unmet_inference,
)
from refarch.sizing.network_choice import scalable_unit_systems
from refarch.sizing.platform_choice import (
    Candidate,
    Designer,
    Estimate,
    Outcome,
    Reservation,
    SiteLimits,
    candidate,
    fewest_systems,
    max_systems,
    site_cost,
    system_allowances,
    weigh_candidates,
)
from refarch.sizing.site_limits import design_problems, hosting_problems
from refarch.types import Assumption, WorkloadPlan

__all__ = [
    "TargetChoice",
    "allowed_platforms",
    "choose_platforms",
    "compute_cost",
    "fixed_estimate",
    "performance_record",
    "platform_outcome",
    "record_of",
    "scale_out",
    "site_limits",
    "target_note",
    "training_platforms",
]

_UNCALIBRATED = "no {} measurements of their accelerators; name one as 'platform' to size it anyway"


@dataclass
class TargetChoice:
    """What target sizing decided: a platform and size per target workload, and which platforms it weighed."""

    chosen: dict[str, Candidate] = field(default_factory=dict)
    considered: dict[str, str] = field(default_factory=dict)


def training_platforms(catalog: Catalog, precision: str) -> list[Platform]:
    """Catalog systems (GPU and wafer-scale) the training model covers at `precision`."""
    platforms = [platform_from_catalog(catalog, system.id) for system in catalog.of_kind("system")]
    return [p for p in platforms if p.supports(precision)]


def performance_record(estimate: TrainingEstimate, target_s: float | None = None) -> PerformanceEstimate:
    """The plan.json form of a training estimate."""
    band = estimate.confidence
    return PerformanceEstimate(
        workload=estimate.workload,
        platform=estimate.platform,
        systems=estimate.systems,
        accelerators=estimate.accelerators,
        parallelism=estimate.parallelism,
        step_time_s=estimate.step_time_s,
        tokens_per_second=estimate.tokens_per_second,
        tokens_per_second_per_accelerator=estimate.tokens_per_second_per_accelerator,
        model_tflops_per_accelerator=estimate.model_tflops_per_accelerator,
        mfu=estimate.mfu,
        memory_per_accelerator_gb=estimate.memory_per_accelerator_gb,
        memory_kind=estimate.memory_kind,
        memory_breakdown_gb=estimate.memory_breakdown_gb,
        time_to_train_ideal_s=estimate.time_to_train_ideal_s,
        time_to_train_s=estimate.time_to_train_s,
        goodput_fraction=estimate.goodput_fraction,
        energy_mwh=estimate.energy_mwh,
        confidence_low=band["low"],
        confidence_high=band["high"],
        calibrated_on=estimate.calibrated_on,
        target_time_to_train_s=target_s,
    )


def record_of(estimate: Estimate, target: dict[str, float]) -> PerformanceEstimate | InferencePerformanceEstimate:
    """The plan.json form of either kind of estimate, with the workload's target."""
    if isinstance(estimate, ServingEstimate):
        return serving_record(estimate, target)
    return performance_record(estimate, target.get("time_to_train"))


def target_note(estimate: Estimate, system_name: str, workload: WorkloadPlan) -> str:
    """Why a target workload got its size: the target met and what the estimate says."""
    if isinstance(estimate, ServingEstimate):
        return serving_note(estimate, system_name, workload)
    days = (estimate.time_to_train_s or 0) / 86400
    return f"the fewest {system_name} systems that train in time ({days:.1f} days estimated, with goodput)"


def site_limits(
    spec: Spec, catalog: Catalog, fixed_systems: dict[str, int], reserved: Reservation | None = None
) -> SiteLimits:
    """The site's limits less what the fixed-size workloads already take (costed as candidates are) and less
    `reserved` for what the design adds beyond its systems."""
    site = _site(spec)
    reserved = reserved or Reservation()
    used_power, used_racks, used_money = _cost(site, catalog, fixed_systems)
    power = None if site.power_w is None else site.power_w - used_power - reserved.power_w
    racks = None if site.racks is None else site.racks - used_racks - reserved.racks
    money = None if site.budget_usd is None else site.budget_usd - used_money - reserved.usd
    return replace(site, power_w=power, racks=racks, budget_usd=money)


def compute_cost(spec: Spec, catalog: Catalog, systems: dict[str, int]) -> tuple[float, int, float]:
    """(facility power in W, racks, capital cost in USD) of `systems` (count per platform), costed as target
    sizing costs its candidates: the systems only, nothing the design adds around them."""
    return _cost(_site(spec), catalog, systems)


def _cost(site: SiteLimits, catalog: Catalog, systems: dict[str, int]) -> tuple[float, int, float]:
    costs = [site_cost(platform_from_catalog(catalog, system_id), n, site) for system_id, n in sorted(systems.items())]
    return sum(c.facility_power_w for c in costs), sum(c.racks for c in costs), sum(c.capex_usd for c in costs)


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
    spec: Spec,
    catalog: Catalog,
    workloads: list[WorkloadPlan],
    calibration: Calibration,
    limits: SiteLimits,
    designer: Designer | None = None,
) -> TargetChoice:
    """Pick a platform and size for every target-driven workload (training and inference).

    With a `designer`, platforms are compared by the cost of their whole designs (refarch.sizing.platform_choice says
    how few are designed); without one, by their systems alone.

    Raises:
        NotSupportedError: a training target without tokens to train.
        InfeasibleError: no platform meets a target within the limits, or the model fits on none; the message
            names the nearest feasible size.
    """
    choice = TargetChoice()
    options: dict[str, list[Candidate]] = {}
    unmet: dict[str, str] = {}
    for index, workload in enumerate(workloads):
        if not workload.target:
            continue
        _check_target(spec, index, workload)
        platforms, skipped = allowed_platforms(spec, catalog, index, workload, calibration)
        outcomes = [platform_outcome(spec, catalog, index, workload, calibration, limits, p) for p in platforms]
        found = [candidate(o.meeting, o.platform, limits) for o in outcomes if o.meeting is not None]
        if not found:
            raise _unmet(spec, index, workload, outcomes, skipped)
        options[workload.name] = found
        unmet[workload.name] = _not_meeting(workload, limits, outcomes, skipped)
    if options:
        try:
            weighing = weigh_candidates(options, limits, designer)
        except InfeasibleError as exc:
            raise InfeasibleError(exc.message, spec.where("site")) from exc
        choice.chosen = weighing.chosen
        for name, text in unmet.items():
            weighed = _weighed(weighing.options[name], weighing.undesignable[name], designer is not None, limits)
            choice.considered[name] = weighed + text
    return choice


def platform_outcome(
    spec: Spec,
    catalog: Catalog,
    index: int,
    workload: WorkloadPlan,
    calibration: Calibration,
    limits: SiteLimits,
    platform: Platform,
) -> Outcome:
    """The fewest systems of `platform` meeting the workload's target within `limits`, or the nearest it gets."""
    upper = max_systems(platform, limits)
    if workload.workload_type == "inference":
        return serving_outcome(spec, index, workload, platform, upper)
    meeting, fastest = fewest_systems(
        workload, platform, calibration, workload.target["time_to_train"], upper,
        scale_out(spec, catalog, platform), spec.site.pue,
    )  # fmt: skip
    return Outcome(platform, meeting, fastest)


def _check_target(spec: Spec, index: int, workload: WorkloadPlan) -> None:
    if workload.workload_type == "training" and workload.tokens is None:
        raise NotSupportedError(
            f"workload '{workload.name}' has a time_to_train target but no 'tokens' to train",
            spec.where("workloads", index, "target"),
            "add 'tokens: 15T' (the training tokens) to the workload",
        )


def allowed_platforms(
    spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, calibration: Calibration
) -> tuple[list[Platform], dict[str, list[str]]]:
    """The spec's platform if it names one; else every platform the model can stand behind, and why others are
    left out (grouped by reason)."""
    given = spec.workloads[index].platform
    if given is not None:
        return [platform_from_catalog(catalog, given, spec.where("workloads", index, "platform"))], {}
    allowed: list[Platform] = []
    skipped: dict[str, list[str]] = {}
    for system in catalog.of_kind("system"):
        platform = platform_from_catalog(catalog, system.id)
        why = _exclusion(spec, catalog, workload, platform, calibration)
        if why:
            skipped.setdefault(why, []).append(platform.system_id)
        else:
            allowed.append(platform)
    return allowed, skipped


def _exclusion(
    spec: Spec, catalog: Catalog, workload: WorkloadPlan, platform: Platform, calibration: Calibration
) -> str:
    """Why `platform` is not a candidate for `workload` ("" when it is)."""
    if workload.workload_type == "training":
        if not platform.supports(workload.precision):
            return f"no {workload.precision} peak"
        if not is_calibrated(platform, calibration):
            return _UNCALIBRATED.format("training")
    elif not covered_for_inference(platform):
        return _UNCALIBRATED.format("inference")
    return "; ".join(hosting_problems(spec, catalog.get(platform.system_id, System)))


def _shortfall(workload: WorkloadPlan, limits: SiteLimits, outcome: Outcome) -> str:
    """A platform that cannot meet the target, with what its largest size tried gives and what bounds that size."""
    best, name = outcome.closest, outcome.platform.system_id
    if best is None:
        allowed = system_allowances(outcome.platform, limits)
        names = {"power": "power_budget", "budget": "budget", "racks": "max_racks"}  # the spec's words
        room = ", ".join(f"{names[limit]} allows {n:,}" for limit, n in sorted(allowed.items(), key=lambda i: i[1]))
        return f"{name} (fits on no size the limits allow{f': {room}' if room else ''})"
    if isinstance(best, ServingEstimate):
        s = best.serving
        gives = f"serve {s.aggregate_tokens_per_s:,.0f} output tokens/s with TTFT {s.ttft_s:.3g} s"
    else:
        gives = f"need {(best.time_to_train_s or math.inf) / 86400:,.1f} days"
    bound = largest_text(best.systems)
    if isinstance(best, TrainingEstimate) and best.systems == useful_systems(workload, outcome.platform):
        bound = "one per sequence of the global batch"  # wafers train data parallel only
    why = f"; {outcome.reason}" if outcome.reason else ""
    return f"{name} ({best.systems:,} systems, {bound}, {gives}{why})"


def _weighed(options: Sequence[Candidate], undesignable: Sequence[str], designed: bool, limits: SiteLimits) -> str:
    """The platforms that meet the target, by what they cost; those left undesigned could not have won (their
    systems alone cost more than the pick's whole design, or do not fit beside the other workloads' picks)."""
    ranked = sorted(options, key=lambda c: (c.total_capex_usd, c.platform.system_id))
    if not designed:
        costs = ", ".join(f"{c.platform.system_id} {_millions(c.capex_usd)}" for c in ranked)
        return f"cheapest systems within the site's limits of {costs}"
    fitting = [c for c in ranked if c.design and not design_problems(c.design, limits)]
    costs = ", ".join(f"{c.platform.system_id} {_millions(c.total_capex_usd)}" for c in fitting)
    text = f"cheapest whole design (systems, fabrics, racks, power, cabling) within the site's limits of {costs}"
    over = [f"{c.platform.system_id} {_millions(c.total_capex_usd)}" for c in ranked if c.design and c not in fitting]
    if over:
        text += f"; designed but over the site's limits: {', '.join(over)}"
    bounds = [f"{c.platform.system_id} (systems alone {_millions(c.capex_usd)})" for c in ranked if c.design is None]
    if bounds:
        text += f"; not designed, as no design of theirs could win: {', '.join(bounds)}"
    if undesignable:
        text += f"; cannot be designed: {', '.join(undesignable)}"
    return text


def _millions(usd: float) -> str:
    return f"${usd / 1e6:,.1f}M"


def _not_meeting(
    workload: WorkloadPlan, limits: SiteLimits, outcomes: Sequence[Outcome], skipped: dict[str, list[str]]
) -> str:
    """Which platforms could not meet the target, and which were left out and why."""
    text = ""
    unmet = [_shortfall(workload, limits, o) for o in outcomes if o.meeting is None]
    if unmet:
        text += f"; cannot meet the target within them: {', '.join(unmet)}"
    if skipped:
        text += "; not considered: " + "; ".join(f"{', '.join(ids)} ({why})" for why, ids in skipped.items())
    return text


def _unmet(
    spec: Spec, index: int, workload: WorkloadPlan, outcomes: Sequence[Outcome], skipped: dict[str, list[str]]
) -> InfeasibleError:
    if not outcomes:
        reasons = "; ".join(f"{', '.join(ids)}: {why}" for why, ids in skipped.items())
        return InfeasibleError(
            f"workload '{workload.name}': no catalog platform is a candidate ({reasons})",
            spec.where("workloads", index, "target"),
            "name a platform in the workload, or allow more cooling methods under 'site'",
        )
    if workload.workload_type == "inference":
        return unmet_inference(spec, index, workload, outcomes)
    closest = [o.closest for o in outcomes if isinstance(o.closest, TrainingEstimate)]
    text = _unmet_training(workload, workload.target["time_to_train"], closest, [o.platform for o in outcomes])
    return InfeasibleError(text, spec.where("workloads", index, "target", "time_to_train"))


def _unmet_training(
    workload: WorkloadPlan, target_s: float, closest: list[TrainingEstimate], platforms: list[Platform]
) -> str:
    days = target_s / 86400
    text = f"workload '{workload.name}': no platform trains it in {days:g} days within the site's limits"
    # Beyond refarch's cap, more systems mostly idle: a larger batch lets them share each step.
    relax = "time_to_train, or raise global_batch_seqs so that more systems can share each step"
    if closest:
        best = min(closest, key=lambda e: e.time_to_train_s or math.inf)
        best_days = (best.time_to_train_s or math.inf) / 86400
        text += (
            f"; nearest: {best.systems:,} x {best.platform} ({largest_text(best.systems)}) needs {best_days:,.1f} "
            f"days; {remedy_text(best.systems, relax)}"
        )
    else:
        text += f"; the model fits on none of {', '.join(p.system_id for p in platforms)} within the limits"
    return text


def scale_out(spec: Spec, catalog: Catalog, platform: Platform) -> ScaleOut:
    """The spec's oversubscription and the scalable unit of the compute fabric `platform` would get."""
    units = scalable_unit_systems(spec, catalog, catalog.get(platform.system_id, System))
    return ScaleOut(spec.network.oversubscription, units)


def fixed_estimate(
    spec: Spec,
    catalog: Catalog,
    index: int,
    workload: WorkloadPlan,
    platform: Platform,
    systems: int,
    calibration: Calibration,
) -> tuple[tuple[PerformanceEstimate | InferencePerformanceEstimate, list[Assumption]] | None, str | None]:
    """A fixed-size workload's estimate and its assumptions, or why there is none (a warning)."""
    try:
        estimate: Estimate
        if workload.workload_type == "inference":
            estimate = fixed_serving(spec, index, workload, platform, systems)
        else:
            estimate = estimate_training(
                workload, platform, systems, calibration, scale_out(spec, catalog, platform), spec.site.pue
            )
    except RefarchError as exc:
        return None, _no_estimate(spec, index, workload, exc)
    return (record_of(estimate, {}), list(estimate.assumptions)), None


def _no_estimate(spec: Spec, index: int, workload: WorkloadPlan, exc: RefarchError) -> str:
    """Why a fixed-size workload has no estimate (a plan warning), at the spec field to change: the one the model
    blames, else the size. The path is inside the spec, not a file name, so that plan.json does not depend on where
    the spec was read from."""
    given = spec.workloads[index]
    field = exc.field or (("systems",) if given.systems is not None else ("accelerators",))
    path = exc.location.path if exc.location is not None else spec.where("workloads", index, *field).path
    named = f"'{workload.name}'" in exc.message
    message = exc.message if named else f"workload '{workload.name}': {exc.message}"
    hint = f"; hint: {exc.hint}" if exc.hint else ""
    return f"no performance estimate (spec at '{path}'): {message}{hint}"
