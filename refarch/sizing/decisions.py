"""Target sizing's decisions as data: per target workload, every platform weighed, how it fared and why.

`refarch.sizing.targets` chooses the platforms and says why in prose (`ComputeAllocation.sizing_note`); this module
records the same choice as `SizingDecision`s for plan.json, so that a review can tabulate the alternatives and plot
each platform's sizing points (time to train or output tokens/s against systems) with the target and the pick.
It also words a platform's shortfall, which the prose and the records share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from refarch.catalog.models import System
from refarch.perf.platform import largest_text
from refarch.perf.records import InferenceResult, TrainingResult
from refarch.perf.training.estimate import useful_systems
from refarch.plan import CandidatePlan, CandidateStatus, CostBasis, SizingDecision, SizingPoint
from refarch.sizing.context import WorkloadContext
from refarch.sizing.platform_choice import Candidate, Estimate, Outcome, Weighing
from refarch.sizing.site_limits import SiteLimits, design_problems, system_allowances
from refarch.sizing.training_targets import time_to_train_target
from refarch.types import InferenceTarget, WorkloadPlan

__all__ = ["Searched", "millions", "shortfall", "sizing_decision"]

# The order candidates are listed in after the pick: the closest to winning first.
_STATUS_ORDER: tuple[CandidateStatus, ...] = (
    "chosen", "costlier", "over-limits", "not-designed", "undesignable", "cannot-meet", "not-considered",
)  # fmt: skip
_SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Searched:
    """One target workload after the search for sizes: each allowed platform's outcome, and the platforms left out
    before it, grouped by why."""

    ctx: WorkloadContext
    outcomes: list[Outcome]
    skipped: dict[str, list[str]]


def sizing_decision(searched: Searched, weighing: Weighing, designed: bool, limits: SiteLimits) -> SizingDecision:
    """The decision target sizing made for `searched`'s workload: every platform it weighed, the pick first.

    `designed` says whether candidates were compared by their whole designs; `limits` are those target sizing
    weighed them against (the site's, less the fixed workloads and any reservation).
    """
    workload = searched.ctx.workload
    name = workload.name
    weighed = _Weighed(weighing.chosen[name], designed, limits)
    points = {o.platform.system_id: o.tried for o in searched.outcomes}
    candidates = [weighed.option(c, points[c.platform.system_id]) for c in weighing.options[name]]
    candidates += [_undesignable(c, points[c.platform.system_id]) for c in weighing.undesignable[name]]
    candidates += [_cannot_meet(workload, limits, o) for o in searched.outcomes if o.meeting is None]
    for why, ids in searched.skipped.items():
        candidates += [_not_considered(searched.ctx, system_id, why) for system_id in ids]
    inference = workload.workload_type == "inference"
    return SizingDecision(
        workload=name,
        metric="output_tokens_per_second" if inference else "time_to_train_days",
        target=_target(workload),
        candidates=sorted(candidates, key=_listed),
        basis="whole design" if designed else "systems alone",
    )


def shortfall(workload: WorkloadPlan, limits: SiteLimits, outcome: Outcome) -> str:
    """Why a platform cannot meet the target: what its largest size tried gives and what bounds that size."""
    best = outcome.closest
    if best is None:
        allowed = system_allowances(outcome.platform, limits)
        names = {"power": "power_budget", "budget": "budget", "racks": "max_racks"}  # the spec's words
        room = ", ".join(f"{names[limit]} allows {n:,}" for limit, n in sorted(allowed.items(), key=lambda i: i[1]))
        return f"fits on no size the limits allow{f': {room}' if room else ''}"
    if isinstance(best, InferenceResult):
        served = best.record
        gives = f"serve {served.output_tokens_per_second:,.0f} output tokens/s with TTFT {served.ttft_s:.3g} s"
    else:
        gives = f"need {(best.record.time_to_train_s or math.inf) / _SECONDS_PER_DAY:,.1f} days"
    bound = largest_text(best.systems)
    if isinstance(best, TrainingResult) and best.systems == useful_systems(workload, outcome.platform):
        bound = "one per sequence of the global batch"  # wafers train data parallel only
    why = f"; {outcome.reason}" if outcome.reason else ""
    return f"{best.systems:,} systems, {bound}, {gives}{why}"


@dataclass(frozen=True)
class _Weighed:
    """What a workload's candidates meeting the target are measured against: the pick, and how costs compare."""

    pick: Candidate
    designed: bool
    limits: SiteLimits

    def option(self, item: Candidate, points: Sequence[SizingPoint]) -> CandidatePlan:
        """A candidate still an option when the choice was made, with its status against the pick."""
        status, reason = self._status(item)
        return _costed(item, status, reason, points)

    def _status(self, item: Candidate) -> tuple[CandidateStatus, str]:
        pick, pick_id = self.pick, self.pick.platform.system_id
        if item.platform.system_id == pick_id:
            cheapest = "whole design that meets" if self.designed else "systems that meet"
            return "chosen", f"the cheapest {cheapest} the target within the site's limits"
        problems = design_problems(item.design, self.limits) if item.design else []
        if problems:
            return "over-limits", "; ".join(problems)
        if self.designed and item.design is None:
            if item.capex_usd > pick.total_capex_usd:
                return "not-designed", (
                    f"its systems alone cost {millions(item.capex_usd, 2)}, more than {pick_id}'s whole design "
                    f"({millions(pick.total_capex_usd, 2)}), so no design of theirs could win"
                )
            return "not-designed", "not designed: its systems do not fit beside the other target workloads' picks"
        extra = item.total_capex_usd - pick.total_capex_usd
        if extra < 0:  # CP-SAT passed over a cheaper candidate only because the workloads together did not fit
            beside = "beside the other workloads' picks"
            return "over-limits", f"cheaper than {pick_id}, but over the site's limits {beside}"
        if extra == 0:
            return "costlier", f"costs as much as {pick_id}, which draws no more facility power"
        costs = "its whole design costs" if self.designed else "its systems cost"
        return "costlier", f"{costs} {millions(extra, 2)} more than {pick_id}'s"


def _costed(item: Candidate, status: CandidateStatus, reason: str, points: Sequence[SizingPoint]) -> CandidatePlan:
    """A candidate that meets the target, costed by its whole design where it has one, else by its systems."""
    design = item.design if item.design and not item.design.problem else None
    basis: CostBasis = "whole design" if design else "systems alone"
    power_w = design.facility_power_w if design else item.facility_power_w
    return CandidatePlan(
        platform=item.platform.system_id,
        platform_name=item.platform.system_name,
        status=status,
        systems=item.estimate.systems,
        value=_value(item.estimate),
        capex_usd=design.capex_usd if design else item.capex_usd,
        capex_basis=basis,
        facility_power_kw=power_w / 1000,
        racks=design.racks if design else item.racks,
        reason=reason,
        points=list(points),
    )


def _undesignable(item: Candidate, points: Sequence[SizingPoint]) -> CandidatePlan:
    problem = item.design.problem if item.design else "unknown"
    return _costed(item, "undesignable", f"cannot be designed: {problem}", points)


def _cannot_meet(workload: WorkloadPlan, limits: SiteLimits, outcome: Outcome) -> CandidatePlan:
    best = outcome.closest
    return CandidatePlan(
        platform=outcome.platform.system_id,
        platform_name=outcome.platform.system_name,
        status="cannot-meet",
        systems=best.systems if best else None,
        value=_value(best) if best else None,
        capex_usd=None,
        capex_basis=None,
        facility_power_kw=None,
        racks=None,
        reason=shortfall(workload, limits, outcome),
        points=list(outcome.tried),
    )


def _not_considered(ctx: WorkloadContext, system_id: str, why: str) -> CandidatePlan:
    return CandidatePlan(
        platform=system_id,
        platform_name=ctx.catalog.get(system_id, System).name,
        status="not-considered",
        systems=None,
        value=None,
        capex_usd=None,
        capex_basis=None,
        facility_power_kw=None,
        racks=None,
        reason=why,
        points=[],
    )


def _value(estimate: Estimate) -> float | None:
    """The decision's metric for `estimate`: days to train with goodput, or output tokens/s; None if not finite."""
    if isinstance(estimate, InferenceResult):
        value: float | None = estimate.record.output_tokens_per_second
    else:
        seconds = estimate.record.time_to_train_s
        value = None if seconds is None else seconds / _SECONDS_PER_DAY
    return value if value is not None and math.isfinite(value) else None


def _target(workload: WorkloadPlan) -> float:
    """The target in the metric's unit; an inference target without output tokens/s is searched as 0 tokens/s."""
    if workload.workload_type == "inference":
        target = workload.target if isinstance(workload.target, InferenceTarget) else InferenceTarget()
        return target.output_tokens_per_second or 0.0
    return time_to_train_target(workload) / _SECONDS_PER_DAY


def _listed(item: CandidatePlan) -> tuple[int, bool, float, str]:
    """The pick first, then by status, then the cheapest (uncosted last), then by id."""
    return _STATUS_ORDER.index(item.status), item.capex_usd is None, item.capex_usd or 0.0, item.platform


def millions(usd: float, places: int = 1) -> str:
    """Dollars in millions, as sizing's notes and reasons write them: `$12.3M` (more `places` where two figures
    that differ would read the same)."""
    return f"${usd / 1e6:,.{places}f}M"
