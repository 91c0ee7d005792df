"""The review's opening: what was asked (the spec in words), the headline table and the one-paragraph summary.

Sentences are assembled from the Plan's fields only: a requirement the spec did not state is said to be a default
(the plan's assumptions name it), never filled in.
"""

from __future__ import annotations

from refarch.plan import ComputeAllocation, InferenceEstimate, Plan, TrainingEstimate
from refarch.render.filters import count, days, kw, money, mwh, percent, ratio, thousands
from refarch.render.review.model import Figure
from refarch.sizing.inference_targets import goal_words
from refarch.types import InferenceTarget, TrainingTarget, WorkloadPlan

__all__ = ["executive_summary", "headline", "requirements", "site_requirements"]

_SECONDS_PER_DAY = 86400


def requirements(plan: Plan) -> tuple[str, ...]:
    """One sentence per workload: the model, what it must achieve, and how its size was set."""
    allocations = {c.workload: c for c in plan.compute}
    return tuple(_workload_words(w, allocations.get(w.name)) for w in plan.workloads)


def _model_words(workload: WorkloadPlan) -> str:
    model = workload.model
    name = f"model preset '{model.preset}'" if model.preset else "a custom model"
    return (
        f"{name} ({model.params / 1e9:,.1f}B parameters, {model.layers} layers, hidden {model.hidden:,}, "
        f"sequence length {model.seq_len:,}) in {workload.precision}"
    )


def _workload_words(workload: WorkloadPlan, allocation: ComputeAllocation | None) -> str:
    verb = "Train" if workload.workload_type == "training" else "Serve"
    text = f"{workload.name}: {verb} {_model_words(workload)}"
    if workload.tokens is not None:
        text += f" on {workload.tokens / 1e12:,.3g}T tokens"
    target = workload.target
    if isinstance(target, TrainingTarget):
        text += f", within {days(target.time_to_train)}"
    elif isinstance(target, InferenceTarget):
        text += f", for {goal_words(target)}"
    if allocation is None:
        return text + "."
    if allocation.sizing == "fixed":
        return text + f"; on {count(allocation.systems)} x {allocation.platform_name}, as the spec fixes."
    return text + "; platform and size chosen by refarch to meet the target."


def site_requirements(plan: Plan) -> tuple[Figure, ...]:
    """The site's limits as the plan applied them (defaults included: the assumptions say which were defaults)."""
    site = plan.site
    price = site.electricity_price_usd_per_kwh
    rows = [
        Figure("power budget", "not limited" if site.power_budget_w is None else kw(site.power_budget_w / 1e3)),
        Figure("rack power limit", kw(site.rack_power_limit_w / 1e3)),
        Figure("rack height", f"{site.rack_height_u}U"),
        Figure("racks", "not limited" if site.max_racks is None else f"at most {count(site.max_racks)}"),
        Figure("cooling available", ", ".join(site.cooling)),
        Figure("PUE", f"{site.pue:g}"),
        Figure("capital budget", "not limited" if site.budget_usd is None else money(site.budget_usd)),
        Figure("electricity price", "not given" if price is None else f"${price:g}/kWh"),
    ]
    return tuple(rows)


def headline(plan: Plan) -> tuple[Figure, ...]:
    """The figures a reviewer asks for first, as summary.md lists them."""
    s = plan.summary
    rows = [
        Figure("accelerators", count(s.accelerators)),
        Figure("systems", count(s.systems)),
        Figure("racks", count(s.racks)),
        Figure("switches (all fabrics)", count(s.switches)),
        Figure("cables", count(s.cables)),
        Figure("IT power (max)", kw(s.it_power_kw)),
        Figure(f"facility power (PUE {plan.site.pue:g})", kw(s.facility_power_kw)),
        Figure("capital cost", money(s.capex_usd)),
        Figure("annual energy at max power", mwh(s.annual_energy_mwh)),
    ]
    if s.annual_energy_cost_usd is not None:
        rows.append(Figure("annual energy cost", money(s.annual_energy_cost_usd)))
    return tuple(rows)


def estimated_price_share(plan: Plan) -> float:
    """The share of the capital cost priced at `estimate` confidence (0 when nothing is priced)."""
    total = sum(line.extended_price_usd for line in plan.bom)
    estimated = sum(line.extended_price_usd for line in plan.bom if line.confidence == "estimate")
    return estimated / total if total else 0.0


def executive_summary(plan: Plan, risks: int) -> str:
    """One paragraph: what is built, what it draws and costs, how it performs against its targets."""
    s = plan.summary
    platforms = ", ".join(f"{count(c.systems)} x {c.platform_name}" for c in plan.compute)
    fabric = plan.fabrics.get("compute")
    network = (
        f"joined by a {fabric.tiers}-tier {fabric.technology} fabric ({ratio(fabric.oversubscription)})"
        if fabric is not None
        else "with no scale-out compute fabric"
    )
    text = (
        f"The design puts {count(s.accelerators)} accelerators in {platforms}, in {count(s.racks)} racks, {network}. "
        f"It draws {kw(s.it_power_kw)} of IT power at most ({kw(s.facility_power_kw)} at PUE {plan.site.pue:g}) "
        f"and costs {money(s.capex_usd)}, {percent(estimated_price_share(plan), 0)} of it at estimated prices."
    )
    for estimate in plan.performance:
        text += " " + _performance_words(estimate)
    text += f" {risks} risk{'s are' if risks != 1 else ' is'} listed under Risks." if risks else " No risk stands out."
    return text


def _performance_words(estimate: TrainingEstimate | InferenceEstimate) -> str:
    if isinstance(estimate, TrainingEstimate):
        if estimate.time_to_train_s is None:
            return f"{estimate.workload} trains at {thousands(estimate.tokens_per_second)} tokens/s."
        target = estimate.target_time_to_train_s
        against = f" against a target of {days(target)}" if target is not None else ""
        return f"{estimate.workload} trains in an estimated {days(estimate.time_to_train_s)}{against}."
    target_tps = estimate.target_output_tokens_per_second
    against = f" against a target of {thousands(target_tps)}" if target_tps is not None else ""
    return (
        f"{estimate.workload} serves an estimated {thousands(estimate.output_tokens_per_second)} output tokens/s"
        f"{against}, time to first token {estimate.ttft_s:.3g} s."
    )
