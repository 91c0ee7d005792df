"""Risks a reviewer should weigh, found in the plan: prices that are estimates, racks and budgets near a limit,
targets met by a thin margin, estimates that rest on little data, systems that run degraded on one feed, and every
warning the plan carries.
"""

from __future__ import annotations

from refarch.plan import InferenceEstimate, Plan, TrainingEstimate
from refarch.render.filters import count, days, kw, money, percent, thousands
from refarch.render.review.failures import single_homed
from refarch.render.review.model import Risk
from refarch.render.review.narrative import estimated_price_share

__all__ = ["NEAR_LIMIT", "THIN_MARGIN", "risks"]

# A rack or a site budget used beyond this share of its limit has little room for growth or a wrong estimate.
NEAR_LIMIT = 0.9
# A target met with less than this margin is missed by an estimate at the slow end of its band.
THIN_MARGIN = 0.05


def risks(plan: Plan) -> tuple[Risk, ...]:
    """Every risk found, most severe first (high, medium, low), in a fixed order within a severity."""
    found = [
        *_prices(plan),
        *_racks_near_limit(plan),
        *_site_headroom(plan),
        *_targets(plan),
        *_feed_loss(plan),
        *_fabric_gaps(plan),
        *_unsized_cooling(plan),
        *_estimates(plan),
        *_warnings(plan),
    ]
    order = {"high": 0, "medium": 1, "low": 2}
    return tuple(sorted(found, key=lambda r: order[r.severity]))


def _prices(plan: Plan) -> list[Risk]:
    share = estimated_price_share(plan)
    if share == 0:
        return []
    estimated = [line.part for line in plan.bom if line.confidence == "estimate"]
    return [
        Risk(
            "high" if share > 0.5 else "medium",
            f"{percent(share, 0)} of the capital cost is at estimated prices",
            f"{count(len(estimated))} of {count(len(plan.bom))} BOM lines are priced at `estimate` confidence, not "
            f"from a published price list",
            "get quotes and pass them as a prices overlay (`--catalog DIR`); the workbook marks each estimated cell",
        )
    ]


def _racks_near_limit(plan: Plan) -> list[Risk]:
    near = [r for r in plan.racks if r.it_power_kw > NEAR_LIMIT * r.power_limit_kw]
    if not near:
        return []
    worst = max(near, key=lambda r: r.it_power_kw / r.power_limit_kw)
    return [
        Risk(
            "medium",
            f"{count(len(near))} racks above {percent(NEAR_LIMIT, 0)} of their power limit",
            f"at maximum power; the fullest, {worst.name}, draws {kw(worst.it_power_kw)} of {kw(worst.power_limit_kw)}",
            "confirm the rack power limit with the facility, or lower site.rack_power_limit to spread the load",
        )
    ]


def _site_headroom(plan: Plan) -> list[Risk]:
    found = []
    budget = plan.power.power_budget_kw
    if budget is not None and plan.summary.facility_power_kw > NEAR_LIMIT * budget:
        found.append(
            Risk(
                "medium",
                "facility power close to the site's budget",
                f"{kw(plan.summary.facility_power_kw)} of {kw(budget)} at maximum draw (PUE {plan.site.pue:g})",
                "check the PUE and the budget with the facility; a measured PUE above the assumed one exceeds it",
            )
        )
    money_budget = plan.site.budget_usd
    if money_budget is not None and plan.summary.capex_usd > NEAR_LIMIT * money_budget:
        found.append(
            Risk(
                "medium",
                "capital cost close to the budget",
                f"{money(plan.summary.capex_usd)} of {money(money_budget)}",
                "replace estimated prices with quotes before committing",
            )
        )
    return found


def _targets(plan: Plan) -> list[Risk]:
    found = []
    for estimate in plan.performance:
        if isinstance(estimate, TrainingEstimate):
            found += _training_margin(estimate)
        else:
            found += _serving_margin(estimate)
    return found


def _training_margin(estimate: TrainingEstimate) -> list[Risk]:
    target, time = estimate.target_time_to_train_s, estimate.time_to_train_s
    if target is None or time is None:
        return []
    margin = (target - time) / target
    band = estimate.confidence_low / estimate.tokens_per_second
    slow_time = time / band if band > 0 else time
    if margin >= THIN_MARGIN and slow_time <= target:
        return []
    return [
        Risk(
            "high" if margin < 0 else "medium",
            f"{estimate.workload}: time-to-train target met by a thin margin",
            f"estimated {days(time)} against {days(target)} ({percent(margin)} margin); at the slow end of the "
            f"band ({thousands(estimate.confidence_low)} tokens/s) it takes {days(slow_time)}",
            "add systems, or accept the band's risk; `refarch estimate` shows the time at other sizes",
        )
    ]


def _serving_margin(estimate: InferenceEstimate) -> list[Risk]:
    target = estimate.target_output_tokens_per_second
    if target is None or estimate.confidence_low >= target:
        return []
    return [
        Risk(
            "medium",
            f"{estimate.workload}: throughput target inside the estimate's band",
            f"estimated {thousands(estimate.output_tokens_per_second)} output tokens/s against a target of "
            f"{thousands(target)}; the band's low end is {thousands(estimate.confidence_low)}",
            "add replicas, or measure on the chosen platform before committing",
        )
    ]


def _feed_loss(plan: Plan) -> list[Risk]:
    degraded = [f for f in plan.power.feed_loss if f.status == "degraded"]
    return [
        Risk(
            "medium",
            f"{f.catalog_id} runs degraded on one feed",
            f"after losing a feed, {f.psus_on_remaining_feed} of {f.psus_total} PSUs carry "
            f"{kw(f.capacity_on_remaining_feed_w / 1e3)} against a {kw(f.max_power_w / 1e3)} peak draw",
            "accept throttling during a feed outage, or cap the systems' power",
        )
        for f in degraded
    ]


def _fabric_gaps(plan: Plan) -> list[Risk]:
    """A multi-system GPU design with no compute fabric, and compute systems a single leaf cuts off."""
    found = []
    fabric = plan.fabrics.get("compute")
    gpu = [c for c in plan.compute if c.architecture == "gpu"]
    if fabric is None and sum(c.systems for c in gpu) > 1:
        found.append(
            Risk(
                "high",
                "no scale-out compute fabric",
                f"{count(sum(c.systems for c in gpu))} GPU systems ({', '.join(c.platform for c in gpu)}) are joined "
                "only by the in-band and out-of-band networks; a job spanning systems has no compute fabric",
                "plan the scale-out fabric by hand until refarch sizes it for this platform",
            )
        )
    if fabric is not None:
        systems = {c.platform for c in plan.compute}
        placed = {d.name for r in plan.racks for d in r.devices if d.catalog_id in systems}
        exposed = [e for e in single_homed(fabric) if e in placed]
        if exposed:
            found.append(
                Risk(
                    "medium",
                    f"{count(len(exposed))} compute systems hang off a single switch of the compute fabric",
                    f"each links to one compute leaf only (e.g. {exposed[0]}): that leaf failing cuts them off",
                    "add a second switch for those links, or accept that replacing the switch stops those systems",
                )
            )
    return found


def _unsized_cooling(plan: Plan) -> list[Risk]:
    liquid = [r for r in plan.racks if r.liquid_heat_kw > 0]
    if not liquid:
        return []
    return [
        Risk(
            "medium",
            "CDUs and liquid loops not sized",
            f"{count(len(liquid))} racks put {kw(sum(r.liquid_heat_kw for r in liquid))} into facility water; the "
            f"plan gives the flow ({count(round(plan.cooling.liquid_flow_lpm))} L/min) but no CDUs, so their "
            "capacity, redundancy and power are not in the budget",
            "size CDUs with N+1 for this heat and flow with the facility",
        )
    ]


def _estimates(plan: Plan) -> list[Risk]:
    guesses = [a for a in plan.assumptions if a.confidence == "estimate"]
    found = []
    uncalibrated = [p for p in plan.performance if isinstance(p, InferenceEstimate) and p.confidence == "estimate"]
    for p in uncalibrated:
        found.append(
            Risk(
                "medium",
                f"{p.workload}: inference estimate not calibrated",
                f"the serving estimate rests on {p.calibrated_on}",
                "measure the model on the chosen platform before committing to the replica count",
            )
        )
    if guesses:
        found.append(
            Risk(
                "low",
                f"{count(len(guesses))} assumptions are estimates",
                ", ".join(a.id for a in guesses),
                "each is listed under Assumptions with its source; replace the ones that matter with site data",
            )
        )
    return found


def _warnings(plan: Plan) -> list[Risk]:
    return [Risk("high", "plan warning", text, "resolve before the design is approved") for text in plan.warnings]
