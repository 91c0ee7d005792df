"""Size workloads from targets: the fewest systems per platform, then CP-SAT picks one platform per workload.

Per workload and candidate platform, the fewest systems that meet the target are found (training:
`refarch.sizing.training_targets`, a binary search on the estimated time to train with goodput, then the counts
just below it, since the estimate is not monotonic in the count; inference: `refarch.perf.inference.serving`).
CP-SAT then picks one candidate per workload so that, together with the fixed workloads, the site's power, rack
and capital limits hold at the lowest capital cost.

A candidate's systems are only part of what it costs: fabrics, optics, management, support servers and network
racks add 14-28% to the capex of the examples' GPU candidates, and not the same share for each platform. When the
caller can design a candidate (refarch.pipeline), the choice is made on whole designs, lazily: the systems' cost is
a lower bound on a design's, so CP-SAT picks on the bounds, the picks not yet designed are designed and the choice
is made again, until every pick is costed by its design. The result is as cheap as designing every candidate would
give, at the cost of designing only those that could win.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from refarch.errors import InfeasibleError
from refarch.perf.platform import Platform
from refarch.perf.records import EstimateResult, Outcome
from refarch.sizing.site_limits import SiteLimits, max_systems, site_cost, system_allowances

__all__ = [
    "Candidate",
    "DesignCost",
    "Designer",
    "Estimate",
    "Outcome",
    "Reservation",
    "SiteLimits",
    "Weighing",
    "candidate",
    "choose_candidates",
    "max_systems",
    "site_cost",
    "system_allowances",
    "undesigned_text",
    "weigh_candidates",
]

# Either kind of estimate, as target sizing weighs it (`Outcome` is refarch.perf.records', re-exported here).
Estimate = EstimateResult

_SOLVER_SECONDS = 10.0
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


@dataclass(frozen=True)
class Weighing:
    """How target sizing weighed the candidates: the pick per workload, every candidate still an option (with its
    design where it was designed) and, per workload, the candidates dropped because they could not be designed
    (their `design.problem` says why)."""

    chosen: dict[str, Candidate]
    options: dict[str, list[Candidate]]
    undesignable: dict[str, list[Candidate]]


def undesigned_text(dropped: Candidate) -> str:
    """A candidate that could not be designed, with why, for messages: `id (problem)`."""
    problem = dropped.design.problem if dropped.design else ""
    return f"{dropped.platform.system_id} ({problem})"


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
    undesignable: dict[str, list[Candidate]] = {name: [] for name in options}
    while True:
        chosen = _cheapest_combination(pool, limits)
        pending = {name: c for name, c in chosen.items() if c.design is None}
        if designer is None or not pending:
            return Weighing(chosen, pool, undesignable)
        for name, picked in pending.items():
            design = designer(name, picked)
            index = next(i for i, item in enumerate(pool[name]) if item is picked)
            if design.problem:
                undesignable[name].append(replace(picked, design=design))
                del pool[name][index]
            else:
                pool[name][index] = replace(picked, design=design)
        for name, items in pool.items():
            if not items:
                reasons = "; ".join(undesigned_text(c) for c in undesignable[name])
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
