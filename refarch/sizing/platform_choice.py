"""Size workloads from targets: the fewest systems per platform, then CP-SAT picks one platform per workload.

Per workload and candidate platform, the fewest systems that meet the target are found (training: a binary search
on the estimated time to train with goodput, then the counts just below it, since the estimate is not monotonic in
the count; inference: `refarch.perf.inference.serving`). CP-SAT then picks one candidate
per workload so that, together with the fixed workloads, the site's power, rack and capital limits hold at the
lowest capital cost.

A candidate's systems are only part of what it costs: fabrics, optics, management, support servers and network
racks add 14-28% to the capex of the examples' GPU candidates, and not the same share for each platform. When the
caller can design a candidate (refarch.pipeline), the choice is made on whole designs, lazily: the systems' cost is
a lower bound on a design's, so CP-SAT picks on the bounds, the picks not yet designed are designed and the choice
is made again, until every pick is costed by its design. The result is as cheap as designing every candidate would
give, at the cost of designing only those that could win.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from refarch.errors import InfeasibleError, RefarchError
from refarch.perf.calibration.file import Calibration
from refarch.perf.inference.serving import ServingEstimate
from refarch.perf.platform import Platform
from refarch.perf.training.estimate import ScaleOut, TrainingEstimate, estimate_training, useful_systems
from refarch.sizing.site_limits import SiteLimits, max_systems, site_cost, system_allowances
from refarch.types import WorkloadPlan

__all__ = [
    "Candidate",
    "DesignCost",
    "Designer",
    "Estimate",
    "Outcome",
    "Reservation",
    "SLOWER_COUNT_MARGIN",
    "SiteLimits",
    "Weighing",
    "candidate",
    "choose_candidates",
    "fewer_below",
    "fewest_systems",
    "max_systems",
    "site_cost",
    "system_allowances",
    "weigh_candidates",
]

Estimate = TrainingEstimate | ServingEstimate

_SOLVER_SECONDS = 10.0
# How much slower than the target a count may be before the counts below it are not tried: in a sweep of 1-160
# systems (Llama 3 70B and 8B on DGX H100 and B200, CS-2), no count took more than 16% longer than a smaller one
# (83 DGX H100 against 82: 83 is prime and splits badly), so 25% leaves room (estimate).
SLOWER_COUNT_MARGIN = 0.25
_SEED = 7


@dataclass(frozen=True)
class Reservation:
    """Site capacity held back from target-sized compute for what a design adds beyond its systems (fabric,
    storage and management switches, support servers, network racks, optics, cables)."""

    power_w: float = 0.0
    racks: int = 0
    usd: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.power_w or self.racks or self.usd)

    def covers(self, other: Reservation) -> bool:
        """Whether this reservation holds at least as much of everything as `other`."""
        return self.power_w >= other.power_w and self.racks >= other.racks and self.usd >= other.usd

    def merged(self, other: Reservation) -> Reservation:
        """The larger of the two in each resource, so that repeated rounds only ever reserve more."""
        return Reservation(max(self.power_w, other.power_w), max(self.racks, other.racks), max(self.usd, other.usd))

    def words(self) -> str:
        """The reservation for messages and assumptions."""
        return f"{self.power_w / 1e3:,.1f} kW facility power, {self.racks} racks and ${self.usd:,.0f}"


@dataclass(frozen=True)
class Outcome:
    """How one platform fares against a workload's target within the site's limits.

    `meeting` is the fewest systems that meet it; otherwise `closest` is the best the limits allow (None when
    nothing fits) and `reason` says what stands in the way when it is not only size.
    """

    platform: Platform
    meeting: Estimate | None
    closest: Estimate | None
    reason: str = ""


@dataclass(frozen=True)
class DesignCost:
    """What a whole design takes of the site: facility power, racks (network racks included) and capital cost
    (the full bill of materials). `problem` says why the candidate could not be designed (then it is no option)."""

    facility_power_w: float = 0.0
    racks: int = 0
    capex_usd: float = 0.0
    problem: str = ""


@dataclass(frozen=True)
class Candidate:
    """A platform at the size that meets a workload's target, with what its systems alone cost the site and, once
    designed, what the whole design costs."""

    estimate: Estimate
    platform: Platform
    facility_power_w: float
    racks: int
    capex_usd: float
    design: DesignCost | None = None

    @property
    def total_power_w(self) -> float:
        """Facility power of the whole design, or of the systems alone (a lower bound) before it is designed."""
        return self.design.facility_power_w if self.design else self.facility_power_w

    @property
    def total_racks(self) -> int:
        """Racks of the whole design, or of the systems alone (a lower bound) before it is designed."""
        return self.design.racks if self.design else self.racks

    @property
    def total_capex_usd(self) -> float:
        """Capital cost of the whole design, or of the systems alone (a lower bound) before it is designed."""
        return self.design.capex_usd if self.design else self.capex_usd


# Designs a workload's candidate on its own (the workload's name, the candidate); refarch.pipeline supplies it.
Designer = Callable[[str, Candidate], DesignCost]


def fewest_systems(
    workload: WorkloadPlan,
    platform: Platform,
    calibration: Calibration,
    target_s: float,
    upper: int,
    scale_out: ScaleOut,
    pue: float,
) -> tuple[TrainingEstimate | None, TrainingEstimate | None]:
    """(fewest systems meeting `target_s`, or None; the fastest estimate at `upper` systems, or None if none fits).

    `upper` is capped at the systems one step can use (wafers: one sequence each). Binary search finds a size that
    meets the target; `fewer_below` then tries the counts below it.
    """
    upper = min(upper, useful_systems(workload, platform) or upper)
    best_at_upper = _try(workload, platform, upper, calibration, scale_out, pue)
    if best_at_upper is None or _time(best_at_upper) > target_s:
        return None, best_at_upper
    low, high, found = 1, upper, best_at_upper
    while low < high:
        middle = (low + high) // 2
        estimate = _try(workload, platform, middle, calibration, scale_out, pue)
        if estimate is not None and _time(estimate) <= target_s:
            high, found = middle, estimate
        else:
            low = middle + 1
    return fewer_below(found, workload, platform, calibration, target_s, scale_out, pue), best_at_upper


def fewer_below(
    found: TrainingEstimate,
    workload: WorkloadPlan,
    platform: Platform,
    calibration: Calibration,
    target_s: float,
    scale_out: ScaleOut,
    pue: float,
) -> TrainingEstimate:
    """The fewest systems meeting `target_s` at or below `found`, which binary search returned.

    Time to train is not monotonic in the system count: layouts must divide the accelerators, so 82 systems can
    train faster than 83. Binary search stops at a boundary, not necessarily the lowest one, so the counts below
    are tried until one is clearly too slow (SLOWER_COUNT_MARGIN over the target) or does not fit in memory.
    """
    systems = found.systems - 1
    while systems >= 1:
        estimate = _try(workload, platform, systems, calibration, scale_out, pue)
        if estimate is None or _time(estimate) > target_s * (1 + SLOWER_COUNT_MARGIN):
            break
        if _time(estimate) <= target_s:
            found = estimate
        systems -= 1
    return found


def _time(estimate: TrainingEstimate) -> float:
    return estimate.time_to_train_s if estimate.time_to_train_s is not None else math.inf


def _try(
    workload: WorkloadPlan, platform: Platform, systems: int, calibration: Calibration, scale_out: ScaleOut, pue: float
) -> TrainingEstimate | None:
    if systems < 1:
        return None
    try:
        return estimate_training(workload, platform, systems, calibration, scale_out, pue)
    except RefarchError:
        return None


def candidate(estimate: Estimate, platform: Platform, limits: SiteLimits) -> Candidate:
    """What `estimate`'s systems cost the site."""
    use = site_cost(platform, estimate.systems, limits)
    return Candidate(
        estimate=estimate,
        platform=platform,
        facility_power_w=use.facility_power_w,
        racks=use.racks,
        capex_usd=use.capex_usd,
    )


@dataclass
class Weighing:
    """How target sizing weighed the candidates: the pick per workload, every candidate still an option (with its
    design where it was designed) and, per workload, the candidates dropped because they could not be designed."""

    chosen: dict[str, Candidate]
    options: dict[str, list[Candidate]]
    undesignable: dict[str, list[str]]


def choose_candidates(options: Mapping[str, Sequence[Candidate]], limits: SiteLimits) -> dict[str, Candidate]:
    """One candidate per workload, meeting the site limits jointly at the lowest cost of their systems (CP-SAT).

    Raises:
        InfeasibleError: no combination fits; the message gives the cheapest combination's power, racks and cost.
    """
    return weigh_candidates(options, limits, None).chosen


def weigh_candidates(
    options: Mapping[str, Sequence[Candidate]], limits: SiteLimits, designer: Designer | None
) -> Weighing:
    """One candidate per workload, meeting the site limits jointly at the lowest capital cost (CP-SAT).

    With a `designer`, candidates are costed by their whole designs, designing only those CP-SAT picks on the
    lower bounds until every pick is designed (the module's docstring says why that is exact). A candidate whose
    design fails is dropped.

    Raises:
        InfeasibleError: no combination fits, or no candidate of a workload can be designed; the message gives the
            cheapest combination's power, racks and cost, or each design's problem.
    """
    pool = {name: list(items) for name, items in options.items()}
    undesignable: dict[str, list[str]] = {name: [] for name in options}
    while True:
        chosen = _cheapest_combination(pool, limits)
        pending = {name: c for name, c in chosen.items() if c.design is None}
        if designer is None or not pending:
            return Weighing(chosen, pool, undesignable)
        for name, picked in pending.items():
            design = designer(name, picked)
            index = next(i for i, item in enumerate(pool[name]) if item is picked)
            if design.problem:
                undesignable[name].append(f"{picked.platform.system_id} ({design.problem})")
                del pool[name][index]
            else:
                pool[name][index] = replace(picked, design=design)
        for name, items in pool.items():
            if not items:
                reasons = "; ".join(undesignable[name])
                raise InfeasibleError(f"workload '{name}': no platform meeting the target can be designed: {reasons}")


def _cheapest_combination(options: Mapping[str, Sequence[Candidate]], limits: SiteLimits) -> dict[str, Candidate]:
    """One candidate per workload by their total costs (whole design where known, systems alone otherwise)."""
    model = cp_model.CpModel()
    picks = {(name, i): model.new_bool_var(f"{name}_{i}") for name, items in options.items() for i in range(len(items))}
    for name, items in options.items():
        model.add_exactly_one(picks[name, i] for i in range(len(items)))

    def total(attribute: str, unit: float = 1.0) -> cp_model.LinearExpr:
        return sum(  # type: ignore[return-value]
            int(getattr(item, attribute) // unit) * picks[name, i]
            for name, items in options.items()
            for i, item in enumerate(items)
        )

    if limits.power_w is not None:
        model.add(total("total_power_w") <= int(limits.power_w))
    if limits.racks is not None:
        model.add(total("total_racks") <= limits.racks)
    if limits.budget_usd is not None:
        model.add(total("total_capex_usd") <= int(limits.budget_usd))
    # Cheapest first; among equal prices, the one drawing less power (in kW).
    model.minimize(total("total_capex_usd") * 100_000 + total("total_power_w", 1000.0))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = _SOLVER_SECONDS
    solver.parameters.random_seed = _SEED
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError(_joint_shortfall(options, limits))
    return {
        name: items[i] for name, items in options.items() for i in range(len(items)) if solver.value(picks[name, i])
    }


def _joint_shortfall(options: Mapping[str, Sequence[Candidate]], limits: SiteLimits) -> str:
    cheapest = [min(items, key=lambda c: c.total_capex_usd) for items in options.values()]
    power = sum(c.total_power_w for c in cheapest) / 1e6
    racks = sum(c.total_racks for c in cheapest)
    cost = sum(c.total_capex_usd for c in cheapest) / 1e6
    basis = "whole designs" if all(c.design for c in cheapest) else "systems alone where not designed"
    need = f"{power:.2f} MW, {racks} racks and ${cost:.1f}M ({basis})"
    parts = [f"the cheapest platforms that meet the targets need {need}"]
    if limits.power_w is not None:
        parts.append(f"site power budget {limits.power_w / 1e6:.2f} MW")
    if limits.racks is not None:
        parts.append(f"max_racks {limits.racks}")
    if limits.budget_usd is not None:
        parts.append(f"budget ${limits.budget_usd / 1e6:.1f}M")
    return "; ".join(parts)
