"""Time: every item's lead time, the critical item, time to ready, and which systems run in each stage of the site's
power when it arrives in stages.

Procurement runs in parallel (every item is ordered at once), so it takes as long as the longest lead time; the
racks are then installed and burnt in. A new facility adds its transformer, switchgear, UPS and generator to the
items. In a power stage the networks, storage and management are all live (they are a small share of the power)
and systems are switched on in workload order until the stage's power is used.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Cdu, Facility, LeadTime
from refarch.errors import InfeasibleError, Location
from refarch.inputs.finance import Schedule
from refarch.plan import LeadTimePlan, PhasePlan, Plan, SchedulePlan
from refarch.types import Assumption

__all__ = ["PhaseEstimator", "lead_time_gaps", "plan_schedule"]

# (workload name, systems) -> estimated time to train in seconds, None when the model has no estimate there
PhaseEstimator = Callable[[str, int], float | None]


def plan_schedule(
    plan: Plan,
    catalog: Catalog,
    schedule: Schedule,
    estimator: PhaseEstimator | None = None,
    where: Location | None = None,
) -> SchedulePlan:
    """Lead times, time to ready and power stages for `plan`.

    Raises:
        InfeasibleError: the last power stage supplies less than the plan's facility power.
    """
    items = _lead_times(plan, catalog, schedule)
    known = [i for i in items if i.weeks is not None]
    critical = known[0] if known else None
    procurement = critical.weeks if critical is not None and critical.weeks is not None else 0.0
    ready = procurement + schedule.install_weeks + schedule.burn_in_weeks
    start = schedule.start
    return SchedulePlan(
        lead_times=items,
        procurement_weeks=round(procurement, 2),
        critical_item=critical.part if critical is not None else "",
        install_weeks=round(schedule.install_weeks, 2),
        burn_in_weeks=round(schedule.burn_in_weeks, 2),
        ready_weeks=round(ready, 2),
        start_date=start.isoformat() if start is not None else None,
        ready_date=(start + datetime.timedelta(days=math.ceil(ready * 7))).isoformat() if start is not None else None,
        phases=_phases(plan, schedule, ready, estimator, where or Location(None, "schedule.power_phases")),
    )


def lead_time_gaps(schedule: SchedulePlan) -> list[Assumption]:
    """An assumption naming the items without a lead time, which time to ready cannot account for."""
    unknown = sorted({t.part for t in schedule.lead_times if t.weeks is None})
    if not unknown:
        return []
    text = (
        f"{len(unknown)} item(s) have no lead time in the catalog ({', '.join(unknown)}): time to ready assumes "
        "they arrive before the critical item; give them with a quote file's lead_times section"
    )
    return [Assumption(id="schedule-unknown-lead-times", text=text, confidence="estimate", source="refarch default")]


def _lead_times(plan: Plan, catalog: Catalog, schedule: Schedule) -> list[LeadTimePlan]:
    lines = [
        _line(line.part, line.description, line.category, getattr(catalog.entries[line.part], "lead_time", None))
        for line in plan.bom
    ]
    lines += _cdu_line(plan, catalog)
    if schedule.facility == "new":
        for entry in catalog.all(Facility):
            lines.append(_line(entry.id, entry.name, "facility", entry.lead_time))
    unique = {(line.part, line.category): line for line in lines}
    return sorted(unique.values(), key=_longest_first)


def _longest_first(line: LeadTimePlan) -> tuple[float, str, str]:
    """Longest lead time first (unknown last), then by category and part."""
    return (-(line.weeks or 0.0), line.category, line.part)


def _cdu_line(plan: Plan, catalog: Catalog) -> list[LeadTimePlan]:
    """Liquid-cooled racks wait for their CDUs, which the plan does not size yet: the lead time of the smallest
    liquid-to-liquid CDU that takes all the liquid heat (else the largest) stands for them."""
    liquid_w = plan.cooling.heat_kw_by_method.get("liquid", 0.0) * 1000
    cdus = sorted((c for c in catalog.all(Cdu) if c.cdu_type == "liquid-to-liquid"), key=lambda c: (c.capacity_w, c.id))
    if liquid_w <= 0 or not cdus:
        return []
    cdu = next((c for c in cdus if c.capacity_w >= liquid_w), cdus[-1])
    description = f"{cdu.name} (for {liquid_w / 1000:,.0f} kW of liquid heat; lead time only, CDUs are not sized yet)"
    return [_line(cdu.id, description, "cooling", cdu.lead_time)]


def _line(part: str, description: str, category: str, lead_time: LeadTime | None) -> LeadTimePlan:
    return LeadTimePlan(
        part=part,
        description=description,
        category=category,
        weeks=lead_time.weeks if lead_time is not None else None,
        confidence=lead_time.confidence if lead_time is not None else None,
        source=lead_time.source if lead_time is not None else None,
    )


def _phases(
    plan: Plan, schedule: Schedule, ready_weeks: float, estimator: PhaseEstimator | None, where: Location
) -> list[PhasePlan]:
    if not schedule.power_phases:
        return []
    per_system = _system_power_w(plan)
    overhead_w = plan.power.facility_power_kw * 1000 - sum(per_system[a.workload] * a.systems for a in plan.compute)
    last = schedule.power_phases[-1].power_budget
    if last < plan.power.facility_power_kw * 1000 - 1e-6:
        raise InfeasibleError(
            f"the last power stage supplies {last / 1e6:,.2f} MW, less than the plan's facility power of "
            f"{plan.power.facility_power_kw / 1000:,.2f} MW, so part of the cluster could never run",
            where,
            "raise the last stage's power_budget, or lower site.power_budget so that sizing fits the last stage",
        )
    return [_phase(plan, stage.power_budget, max(stage.weeks, ready_weeks), per_system, overhead_w, estimator)
            for stage in schedule.power_phases]  # fmt: skip


def _system_power_w(plan: Plan) -> dict[str, float]:
    """Facility power per system of each workload: its maximum power at the site's PUE."""
    parts = {p.id: p for p in plan.parts}
    return {a.workload: (parts[a.platform].max_power_w or 0.0) * plan.power.pue for a in plan.compute}


def _phase(
    plan: Plan,
    budget_w: float,
    weeks: float,
    per_system: dict[str, float],
    overhead_w: float,
    estimator: PhaseEstimator | None,
) -> PhasePlan:
    left = budget_w - overhead_w
    live: dict[str, int] = {}
    used = overhead_w
    for allocation in plan.compute:
        each = per_system[allocation.workload]
        count = min(allocation.systems, max(0, math.floor(left / each))) if each > 0 else allocation.systems
        live[allocation.workload] = count
        left -= count * each
        used += count * each
    accelerators = sum(live[a.workload] * a.accelerators_per_system for a in plan.compute)
    return PhasePlan(
        starts_week=round(weeks, 2),
        power_budget_kw=round(budget_w / 1000, 3),
        systems={a.platform: 0 for a in plan.compute} | _by_platform(plan, live),
        accelerators=accelerators,
        facility_power_kw=round(max(used, 0.0) / 1000, 3),
        time_to_train_days=_phase_times(plan, live, estimator),
    )


def _by_platform(plan: Plan, live: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for allocation in plan.compute:
        totals[allocation.platform] = totals.get(allocation.platform, 0) + live[allocation.workload]
    return totals


def _phase_times(plan: Plan, live: dict[str, int], estimator: PhaseEstimator | None) -> dict[str, float]:
    times: dict[str, float] = {}
    training = [a for a in plan.compute if a.workload_type == "training"]
    for allocation in training:
        count = live[allocation.workload]
        seconds = estimator(allocation.workload, count) if estimator is not None and count > 0 else None
        if seconds is not None:
            times[allocation.workload] = round(seconds / 86400, 2)
    return times
