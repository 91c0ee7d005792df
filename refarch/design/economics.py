"""Money: the plan's capex by category, opex per year, TCO over the horizon, cost per useful accelerator-hour, per
training run or per million output tokens, and owning against renting at a user-given price.

A workload's share of the cluster's cost is its share of the accelerators: the networks, racks and power that
serve several workloads are split the same way (an approximation the cost basis states).
"""

from __future__ import annotations

from collections import defaultdict

from refarch.inputs.finance import Finance
from refarch.perf.records import InferenceEstimate, TrainingEstimate
from refarch.plan import EconomicsPlan, OpexPlan, Plan, RentalComparison, WorkloadCost

__all__ = ["HOURS_PER_YEAR", "plan_economics"]

HOURS_PER_YEAR = 8760  # the year energy and costs are counted in (365 days)
_DAYS_PER_YEAR = HOURS_PER_YEAR / 24


def plan_economics(plan: Plan, finance: Finance) -> EconomicsPlan:
    """The plan's TCO and unit costs under `finance` (horizon, utilisation, support, colocation, rental prices)."""
    capex = plan.summary.capex_usd
    opex = _opex(plan, finance)
    annual = capex / finance.horizon_years + opex.total_usd
    accelerators = plan.summary.accelerators
    useful_hours = accelerators * HOURS_PER_YEAR * finance.utilisation
    return EconomicsPlan(
        capex_usd=capex,
        capex_by_category=_by_category(plan),
        capex_estimated_usd=round(sum(b.extended_price_usd for b in plan.bom if b.confidence == "estimate"), 2),
        horizon_years=round(finance.horizon_years, 4),
        utilisation=finance.utilisation,
        opex_per_year=opex,
        tco_usd=round(capex + opex.total_usd * finance.horizon_years, 2),
        cost_per_accelerator_hour_usd=round(annual / useful_hours, 4) if useful_hours else 0.0,
        workload_costs=_workload_costs(plan, finance, annual),
        rental=_rental(plan, finance, capex, opex.total_usd),
    )


def _opex(plan: Plan, finance: Finance) -> OpexPlan:
    energy = plan.summary.annual_energy_cost_usd
    support = round(plan.summary.capex_usd * finance.support, 2)
    colocation = None
    if finance.colocation is not None:
        colocation = round(finance.colocation * plan.summary.it_power_kw * 12, 2)
    total = round(support + (energy or 0.0) + (colocation or 0.0), 2)
    return OpexPlan(energy_usd=energy, support_usd=support, colocation_usd=colocation, total_usd=total)


def _by_category(plan: Plan) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for line in plan.bom:
        totals[line.category] += line.extended_price_usd
    return {category: round(usd, 2) for category, usd in sorted(totals.items())}


def _share(plan: Plan, accelerators: int) -> float:
    return accelerators / plan.summary.accelerators if plan.summary.accelerators else 0.0


def _workload_costs(plan: Plan, finance: Finance, annual_usd: float) -> list[WorkloadCost]:
    costs = []
    for estimate in plan.performance:
        share = _share(plan, estimate.accelerators)
        workload_annual = annual_usd * share
        split = f"{share:.0%} of the cluster's yearly cost (its share of the accelerators)"
        if isinstance(estimate, TrainingEstimate) and estimate.time_to_train_s is not None:
            days = estimate.time_to_train_s / 86400
            usd = workload_annual * days / _DAYS_PER_YEAR
            basis = f"{days:,.1f} days with goodput, at {split}"
            costs.append(
                WorkloadCost(workload=estimate.workload, metric="training run", usd=round(usd, 2), basis=basis)
            )
        elif isinstance(estimate, InferenceEstimate) and estimate.output_tokens_per_second > 0:
            tokens_per_year = estimate.output_tokens_per_second * 3600 * HOURS_PER_YEAR * finance.utilisation
            usd = workload_annual / (tokens_per_year / 1e6)
            basis = (
                f"{estimate.output_tokens_per_second:,.0f} output tokens/s, busy {finance.utilisation:.0%} of the "
                f"year, at {split}"
            )
            costs.append(
                WorkloadCost(workload=estimate.workload, metric="million output tokens", usd=round(usd, 4), basis=basis)
            )
    return costs


def _rental(plan: Plan, finance: Finance, capex: float, opex_usd: float) -> list[RentalComparison]:
    counts: dict[str, int] = defaultdict(int)
    for allocation in plan.compute:
        counts[allocation.accelerator] += allocation.accelerators
    comparisons = []
    for accelerator, price in sorted(finance.rental.items()):
        if accelerator not in counts:
            continue
        count = counts[accelerator]
        share = _share(plan, count)
        rent = price * count * HOURS_PER_YEAR
        capex_share, opex_share = capex * share, opex_usd * share
        own = capex_share / finance.horizon_years + opex_share
        breakeven = capex_share / (rent - opex_share) if rent > opex_share else None
        comparisons.append(
            RentalComparison(
                accelerator=accelerator,
                accelerators=count,
                rent_usd_per_accelerator_hour=price,
                rent_per_year_usd=round(rent, 2),
                own_per_year_usd=round(own, 2),
                breakeven_years=round(breakeven, 4) if breakeven is not None else None,
                cheaper="build" if own <= rent else "rent",
            )
        )
    return comparisons
