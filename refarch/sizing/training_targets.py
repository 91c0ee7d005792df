"""Training workloads with a `time_to_train` target: the platforms that may train them, the fewest systems per
platform that meet the target, and what to say when none does (the platform itself is chosen with inference targets
in refarch.sizing.targets).

The fewest systems are found by binary search on the estimated time to train with goodput, then by trying the
counts just below it, since the estimate is not monotonic in the count.
"""

from __future__ import annotations

import math

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError, RefarchError
from refarch.perf.platform import Platform, largest_text, platform_from_catalog, remedy_text
from refarch.perf.records import Outcome, SizingPoint, TrainingResult, sizing_points
from refarch.perf.training.estimate import estimate_training, useful_systems
from refarch.perf.training.setup import TrainingSetup
from refarch.sizing.context import WorkloadContext
from refarch.types import TrainingTarget, WorkloadPlan

__all__ = [
    "SLOWER_COUNT_MARGIN",
    "fewer_below",
    "fewest_systems",
    "time_to_train_target",
    "training_note",
    "training_outcome",
    "training_platforms",
    "unmet_training",
]

# How much slower than the target a count may be before the counts below it are not tried: in a sweep of 1-160
# systems (Llama 3 70B and 8B on DGX H100 and B200, CS-2), no count took more than 16% longer than a smaller one
# (83 DGX H100 against 82: 83 is prime and splits badly), so 25% leaves room (estimate).
SLOWER_COUNT_MARGIN = 0.25


def training_platforms(catalog: Catalog, precision: str) -> list[Platform]:
    """Catalog systems (GPU and wafer-scale) the training model covers at `precision`."""
    platforms = [platform_from_catalog(catalog, system.id) for system in catalog.all(System)]
    return [p for p in platforms if p.supports(precision)]


def time_to_train_target(workload: WorkloadPlan) -> float:
    """The seconds a training workload with a target must train in.

    Raises:
        ValueError: the workload has no training target (a caller's bug: the spec requires one with a target).
    """
    if not isinstance(workload.target, TrainingTarget):
        raise ValueError(f"workload '{workload.name}' has no time_to_train target")
    return workload.target.time_to_train


def training_outcome(ctx: WorkloadContext, platform: Platform, upper: int) -> Outcome:
    """The fewest systems (up to `upper`) of `platform` that train the workload in time, or the fastest it gets."""
    return fewest_systems(ctx.training(platform), time_to_train_target(ctx.workload), upper)


def fewest_systems(setup: TrainingSetup, target_s: float, upper: int) -> Outcome:
    """The fewest systems meeting `target_s` (`meeting`, or None) and the fastest estimate at `upper` systems
    (`closest`, None if none fits), with every estimate computed on the way (`tried`).

    `upper` is capped at the systems one step can use (wafers: one sequence each). Binary search finds a size that
    meets the target; `fewer_below` then tries the counts below it.
    """
    upper = min(upper, useful_systems(setup.workload, setup.platform) or upper)
    trials = _Trials(setup, target_s)
    best_at_upper = trials.at(upper)
    if best_at_upper is None or _time(best_at_upper) > target_s:
        return Outcome(setup.platform, None, best_at_upper, tried=trials.points())
    low, high, found = 1, upper, best_at_upper
    while low < high:
        middle = (low + high) // 2
        estimate = trials.at(middle)
        if estimate is not None and _time(estimate) <= target_s:
            high, found = middle, estimate
        else:
            low = middle + 1
    fewest = _fewer_below(found, trials)
    return Outcome(setup.platform, fewest, best_at_upper, tried=trials.points())


def fewer_below(found: TrainingResult, setup: TrainingSetup, target_s: float) -> TrainingResult:
    """The fewest systems meeting `target_s` at or below `found`, which binary search returned.

    Time to train is not monotonic in the system count: layouts must divide the accelerators, so 82 systems can
    train faster than 83. Binary search stops at a boundary, not necessarily the lowest one, so the counts below
    are tried until one is clearly too slow (SLOWER_COUNT_MARGIN over the target) or does not fit in memory.
    """
    return _fewer_below(found, _Trials(setup, target_s))


def _fewer_below(found: TrainingResult, trials: _Trials) -> TrainingResult:
    target_s = trials.target_s
    systems = found.systems - 1
    while systems >= 1:
        estimate = trials.at(systems)
        if estimate is None or _time(estimate) > target_s * (1 + SLOWER_COUNT_MARGIN):
            break
        if _time(estimate) <= target_s:
            found = estimate
        systems -= 1
    return found


class _Trials:
    """The estimates one search for the fewest systems computed, each count once (binary search and the scan
    below it meet the same counts), kept for the plan's sizing points."""

    def __init__(self, setup: TrainingSetup, target_s: float) -> None:
        self.setup = setup
        self.target_s = target_s
        self._by_systems: dict[int, TrainingResult | None] = {}

    def at(self, systems: int) -> TrainingResult | None:
        """The estimate on `systems` systems, or None when the model does not fit there."""
        if systems not in self._by_systems:
            self._by_systems[systems] = _try(self.setup, systems)
        return self._by_systems[systems]

    def points(self) -> tuple[SizingPoint, ...]:
        """Every estimate with a finite time to train, as sizing points in days."""
        times = {n: _time(e) for n, e in self._by_systems.items() if e is not None}
        points = (
            SizingPoint(systems=n, value=t / 86400, meets_target=t <= self.target_s)
            for n, t in times.items()
            if math.isfinite(t)
        )
        return sizing_points(points, higher_is_better=False)


def _time(estimate: TrainingResult) -> float:
    seconds = estimate.record.time_to_train_s
    return seconds if seconds is not None else math.inf


def _try(setup: TrainingSetup, systems: int) -> TrainingResult | None:
    if systems < 1:
        return None
    try:
        return estimate_training(setup, systems)
    except RefarchError:
        return None


def training_note(result: TrainingResult, system_name: str) -> str:
    """Why a training target workload got its size: the target met and what the estimate says."""
    days = (result.record.time_to_train_s or 0) / 86400
    return f"the fewest {system_name} systems that train in time ({days:.1f} days estimated, with goodput)"


def unmet_training(ctx: WorkloadContext, outcomes: list[Outcome]) -> InfeasibleError:
    """Why no platform trains the workload in time, with the nearest size any platform gets to."""
    workload = ctx.workload
    days = time_to_train_target(workload) / 86400
    text = f"workload '{workload.name}': no platform trains it in {days:g} days within the site's limits"
    # Beyond refarch's cap, more systems mostly idle: a larger batch lets them share each step.
    relax = "time_to_train, or raise global_batch_seqs so that more systems can share each step"
    closest = [o.closest for o in outcomes if isinstance(o.closest, TrainingResult)]
    if closest:
        best = min(closest, key=lambda e: e.record.time_to_train_s or math.inf)
        best_days = (best.record.time_to_train_s or math.inf) / 86400
        text += (
            f"; nearest: {best.systems:,} x {best.platform} ({largest_text(best.systems)}) needs {best_days:,.1f} "
            f"days; {remedy_text(best.systems, relax)}"
        )
    else:
        text += f"; the model fits on none of {', '.join(o.platform.system_id for o in outcomes)} within the limits"
    return InfeasibleError(text, ctx.where("target", "time_to_train"))
