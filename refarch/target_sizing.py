"""The performance side of `size`: estimates for fixed workloads and platform choice for target workloads."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from refarch.catalog import Catalog
from refarch.catalog_models import System
from refarch.errors import InfeasibleError, NotSupportedError, RefarchError
from refarch.perf.calibration_file import Calibration
from refarch.perf.estimate import TrainingEstimate, estimate_training
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.target import (
    Candidate,
    SiteLimits,
    candidate,
    choose_candidates,
    fewest_systems,
    max_systems,
    site_cost,
)
from refarch.plan import Assumption, PerformanceEstimate, WorkloadPlan
from refarch.spec import Spec

__all__ = [
    "TargetChoice",
    "choose_platforms",
    "fixed_estimate",
    "performance_record",
    "site_limits",
    "training_platforms",
]


@dataclass
class TargetChoice:
    """What target sizing decided: a platform and size per target workload, and the estimates behind them."""

    chosen: dict[str, Candidate] = field(default_factory=dict)
    considered: dict[str, list[str]] = field(default_factory=dict)


def training_platforms(catalog: Catalog, precision: str) -> list[Platform]:
    """Catalog GPU systems the training model covers at `precision` (wafer-scale systems are sized separately)."""
    platforms = [platform_from_catalog(catalog, system.id) for system in catalog.of_kind("system")]
    return [p for p in platforms if not p.wafer and p.supports(precision)]


def performance_record(estimate: TrainingEstimate, target_s: float | None = None) -> PerformanceEstimate:
    """The plan.json form of an estimate."""
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
        time_to_train_ideal_s=estimate.time_to_train_ideal_s,
        time_to_train_s=estimate.time_to_train_s,
        goodput_fraction=estimate.goodput_fraction,
        energy_mwh=estimate.energy_mwh,
        confidence_low=band["low"],
        confidence_high=band["high"],
        calibrated_on=estimate.calibrated_on,
        target_time_to_train_s=target_s,
    )


def site_limits(spec: Spec, catalog: Catalog, fixed_systems: dict[str, int]) -> SiteLimits:
    """The site's limits less what the fixed-size workloads already take (costed as candidates are)."""
    site = SiteLimits(
        power_w=spec.site.power_budget,
        racks=spec.site.max_racks,
        budget_usd=spec.budget,
        pue=spec.site.pue,
        rack_power_w=spec.site.rack_power_limit,
        rack_height_u=spec.site.rack_height,
    )
    power, racks, money = site.power_w, site.racks, site.budget_usd
    for system_id, count in fixed_systems.items():
        used_power, used_racks, used_money = site_cost(platform_from_catalog(catalog, system_id), count, site)
        power = None if power is None else power - used_power
        racks = None if racks is None else racks - used_racks
        money = None if money is None else money - used_money
    return replace(site, power_w=power, racks=racks, budget_usd=money)


def choose_platforms(
    spec: Spec, catalog: Catalog, workloads: list[WorkloadPlan], calibration: Calibration, limits: SiteLimits
) -> TargetChoice:
    """Pick a platform and size for every target-driven training workload.

    Raises:
        NotSupportedError: an inference target (the inference model does not size clusters yet).
        InfeasibleError: no platform meets a target within the limits; the message names the closest one.
    """
    choice = TargetChoice()
    options: dict[str, list[Candidate]] = {}
    for index, workload in enumerate(workloads):
        if not workload.target:
            continue
        if workload.workload_type != "training":
            raise NotSupportedError(
                f"workload '{workload.name}' has an inference target; sizing inference clusters from targets is "
                "not supported yet",
                spec.where("workloads", index, "target"),
                "give 'platform' with 'systems' for inference workloads",
            )
        options[workload.name] = _options(spec, catalog, index, workload, calibration, limits)
        choice.considered[workload.name] = [c.platform.system_id for c in options[workload.name]]
    if options:
        try:
            choice.chosen = choose_candidates(options, limits)
        except InfeasibleError as exc:
            raise InfeasibleError(exc.message, spec.where("site")) from exc
    return choice


def _options(
    spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, calibration: Calibration, limits: SiteLimits
) -> list[Candidate]:
    target_s = workload.target["time_to_train"]
    if workload.tokens is None:
        raise NotSupportedError(
            f"workload '{workload.name}' has a time_to_train target but no 'tokens' to train",
            spec.where("workloads", index, "target"),
            "add 'tokens: 15T' (the training tokens) to the workload",
        )
    platforms = _allowed_platforms(spec, catalog, workload, calibration)
    found: list[Candidate] = []
    closest: list[TrainingEstimate] = []
    for platform in platforms:
        upper = max_systems(platform, limits)
        meeting, fastest = fewest_systems(
            workload, platform, calibration, target_s, upper, spec.network.oversubscription, spec.site.pue
        )
        if meeting is not None:
            found.append(candidate(meeting, platform, limits))
        elif fastest is not None:
            closest.append(fastest)
    if not found:
        raise InfeasibleError(
            _unmet(workload, target_s, closest, platforms), spec.where("workloads", index, "target", "time_to_train")
        )
    return found


def _allowed_platforms(
    spec: Spec, catalog: Catalog, workload: WorkloadPlan, calibration: Calibration
) -> list[Platform]:
    """The spec's platform if it names one; else every calibrated platform (borrowed efficiencies are too uncertain
    to pick a platform by; name such a platform in the spec to size it anyway)."""
    platforms = [
        p
        for p in training_platforms(catalog, workload.precision)
        if calibration.nearest_family(p.family) == p.family and _site_can_host(spec, catalog.get(p.system_id, System))
    ]
    for index, given in enumerate(spec.workloads):
        if given.name == workload.name and given.platform is not None:
            where = spec.where("workloads", index, "platform")
            only = platform_from_catalog(catalog, given.platform, where)
            return [only]
    return platforms


def _site_can_host(spec: Spec, system: System) -> bool:
    """Whether the site's cooling methods and rack power limit can take one system at all."""
    methods = set(spec.site.cooling)
    if system.requires_liquid and "liquid" not in methods:
        return False
    if not methods.intersection(system.cooling):
        return False
    limit = spec.site.rack_power_limit
    return limit is None or system.max_power_w <= limit


def _unmet(workload: WorkloadPlan, target_s: float, closest: list[TrainingEstimate], platforms: list[Platform]) -> str:
    days = target_s / 86400
    text = f"workload '{workload.name}': no platform trains it in {days:g} days within the site's limits"
    if closest:
        best = min(closest, key=lambda e: e.time_to_train_s or math.inf)
        best_days = (best.time_to_train_s or math.inf) / 86400
        text += (
            f"; nearest: {best.systems} x {best.platform} (the most the limits allow) needs {best_days:.1f} days; "
            "raise the power budget, max_racks or budget, or relax time_to_train"
        )
    else:
        text += f"; the model fits on none of {', '.join(p.system_id for p in platforms)} within the limits"
    return text


def fixed_estimate(
    workload: WorkloadPlan, platform: Platform, systems: int, calibration: Calibration, spec: Spec
) -> tuple[tuple[PerformanceEstimate, list[Assumption]] | None, str | None]:
    """A fixed-size training workload's estimate and its assumptions, or why there is none (a warning)."""
    try:
        estimate = estimate_training(
            workload, platform, systems, calibration, spec.network.oversubscription, spec.site.pue
        )
    except RefarchError as exc:
        return None, f"no performance estimate for workload '{workload.name}': {exc.message}"
    return (performance_record(estimate), list(estimate.assumptions)), None
