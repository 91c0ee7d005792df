"""The review's decisions: what the design chose, why, and what else was weighed.

Platform choice comes from target sizing (`Plan.decisions`, with every candidate's whole-design cost) or from the
spec; the fabric technology from the network choice; tiers and oversubscription from each fabric; the cooling
method per rack from the practical limits of each method; redundancy from the feed.
"""

from __future__ import annotations

from collections import defaultdict

from refarch.inputs.presets import COOLING_PRESETS
from refarch.plan import ComputeAllocation, FabricPlan, Plan
from refarch.render.filters import count, kw, money, ratio, thousands
from refarch.render.review.model import Alternative, Decision

__all__ = ["decisions"]


def decisions(plan: Plan) -> tuple[Decision, ...]:
    """Every decision the plan records, platform choices first."""
    made = [_platform(plan, allocation) for allocation in plan.compute]
    made.append(_fabric_technology(plan))
    made += [_fabric_shape(name, fabric) for name, fabric in sorted(plan.fabrics.items())]
    made.append(_cooling(plan))
    made.append(_redundancy(plan))
    return tuple(made)


def _platform(plan: Plan, allocation: ComputeAllocation) -> Decision:
    topic = f"Platform for {allocation.workload}"
    choice = f"{count(allocation.systems)} x {allocation.platform_name} ({count(allocation.accelerators)} accelerators)"
    decision = next((d for d in plan.decisions if d.workload == allocation.workload), None)
    if decision is None:
        return Decision(topic, choice, allocation.sizing_note)
    unit = "days to train" if decision.metric == "time_to_train_days" else "output tokens/s"
    alternatives = tuple(
        Alternative(
            option=f"{c.platform_name} ({c.platform})",
            outcome=c.status,
            figures=_candidate_figures(c.systems, c.value, unit, c.capex_usd, c.capex_basis),
            reason=c.reason,
        )
        for c in decision.candidates
    )
    target = f"{decision.target:,.1f} {unit}" if unit == "days to train" else f"{thousands(decision.target)} {unit}"
    reason = f"the cheapest {decision.basis} that meets the target ({target}) within the site's limits"
    return Decision(topic, choice, reason, alternatives, plot=f"sizing-{decision.workload}")


def _candidate_figures(
    systems: int | None, value: float | None, unit: str, capex_usd: float | None, basis: str | None
) -> str:
    parts = []
    if systems is not None:
        parts.append(f"{count(systems)} systems")
    if value is not None:
        parts.append(f"{value:,.1f} {unit}" if unit == "days to train" else f"{thousands(value)} {unit}")
    if capex_usd is not None:
        parts.append(f"{money(capex_usd)} ({basis})")
    return ", ".join(parts)


def _fabric_technology(plan: Plan) -> Decision:
    network = plan.network
    choice = f"{network.compute} on {network.switch}, {network.planes} plane(s), {ratio(network.oversubscription)}"
    return Decision("Compute fabric technology", choice, network.chosen_because)


def _fabric_shape(name: str, fabric: FabricPlan) -> Decision:
    switches = " / ".join(f"{count(n)} {tier}" for tier, n in fabric.switches.items())
    choice = (
        f"{fabric.tiers}-tier {fabric.technology} on {fabric.switch_model}: {switches}, "
        f"{ratio(fabric.oversubscription)} oversubscription"
    )
    shape = (
        f"rail-optimized: each of {fabric.rails} rails on its own leaves, built in {fabric.scalable_units} scalable "
        f"unit(s) of {fabric.systems_per_su} systems"
        if fabric.rail_optimized
        else "flat: endpoints spread over the leaves"
    )
    used = ", ".join(f"{tier} {share:.0%}" for tier, share in fabric.port_utilisation.items())
    reason = (
        f"{count(fabric.endpoints)} endpoint links per plane at {fabric.endpoint_speed_gbps}G need {fabric.tiers} "
        f"tier(s) of {fabric.switch_model}; {shape}; ports used: {used}"
    )
    return Decision(f"Fabric '{name}' ({fabric.purpose})", choice, reason)


def _cooling(plan: Plan) -> Decision:
    by_method: dict[str, list[float]] = defaultdict(list)
    for rack in plan.racks:
        by_method[rack.cooling].append(rack.it_power_kw)
    choice = ", ".join(f"{m}: {_racks(len(powers))}" for m, powers in sorted(by_method.items()))
    limits = ", ".join(
        f"{name} up to {preset.rack_limit_w / 1e3:g} kW per rack ({preset.source})"
        for name, preset in COOLING_PRESETS.items()
        if name in plan.site.cooling
    )
    alternatives = tuple(
        Alternative(
            option=method,
            outcome="chosen",
            figures=f"{_racks(len(powers))}, up to {kw(max(powers))} each",
            reason=_cooling_reason(method),
        )
        for method, powers in sorted(by_method.items())
    )
    reason = f"each rack takes the cheapest allowed method whose practical limit covers its air-side heat: {limits}"
    return Decision("Cooling method per rack", choice, reason, alternatives)


def _racks(n: int) -> str:
    return f"{count(n)} rack{'s' if n != 1 else ''}"


def _cooling_reason(method: str) -> str:
    if method == "air":
        return "within room air's practical limit"
    if method == "rdhx":
        return "too dense for room air: a rear-door heat exchanger takes the rest"
    if method.startswith("liquid"):
        return "equipment that needs (or, above the air-side limits, may use) facility water"
    return ""


def _redundancy(plan: Plan) -> Decision:
    power = plan.power
    choice = f"{power.redundancy} feeds, {count(power.circuits)} rack circuits of {power.usable_kw_per_circuit:g} kW"
    said = next((a for a in plan.assumptions if a.id == "default-site.feed.redundancy"), None)
    reason = (
        said.text.rstrip(".") if said is not None else f"site.feed.redundancy: {power.redundancy}, as the spec gives"
    )
    degraded = [f for f in power.feed_loss if f.status != "full"]
    if degraded:
        reason += "; on loss of one feed " + ", ".join(f"{f.catalog_id} runs {f.status}" for f in degraded)
    return Decision("Power redundancy", choice, reason)
