"""Money and time in the Plan: capital and running cost, cost per accelerator-hour and per unit of work, build
against rent, lead times and the date the cluster is ready (plan.json 1.6)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from refarch.types import Confidence, FrozenRecord

__all__ = [
    "EconomicsPlan",
    "LeadTimePlan",
    "OpexPlan",
    "PhasePlan",
    "RentalComparison",
    "SchedulePlan",
    "WorkloadCost",
]


class OpexPlan(FrozenRecord):
    """Running cost per year."""

    energy_usd: float | None = Field(description="facility energy at maximum power and the site's PUE; None: no tariff")
    support_usd: float = Field(description="support contracts as a share of capex per year")
    colocation_usd: float | None = Field(description="colocation per kW-month of IT power; None: not given")
    total_usd: float


class WorkloadCost(FrozenRecord):
    """What one unit of a workload's work costs on the owned cluster (capex spread over the horizon plus opex)."""

    workload: str
    metric: Literal["training run", "million output tokens"]
    usd: float
    basis: str = Field(description="how the figure was reached, in words")


class RentalComparison(FrozenRecord):
    """Owning the accelerators against renting as many at a user-given price per accelerator-hour."""

    accelerator: str
    accelerators: int
    rent_usd_per_accelerator_hour: float
    rent_per_year_usd: float = Field(description="every hour of the year, as reserved capacity is sold")
    own_per_year_usd: float = Field(description="this accelerator's share of capex over the horizon plus opex")
    breakeven_years: float | None = Field(description="when owning has cost as much as renting; None: never")
    cheaper: Literal["build", "rent"] = Field(description="over the horizon")


class EconomicsPlan(FrozenRecord):
    """Total cost of ownership over a horizon, and what the cluster's time costs."""

    capex_usd: float
    capex_by_category: dict[str, float]
    capex_estimated_usd: float = Field(description="part of capex priced with `estimate` confidence")
    horizon_years: float = Field(description="depreciation horizon the capex is spread over")
    utilisation: float = Field(description="share of accelerator-hours doing useful work")
    opex_per_year: OpexPlan
    tco_usd: float = Field(description="capex plus opex over the horizon")
    cost_per_accelerator_hour_usd: float = Field(description="at the stated utilisation")
    workload_costs: list[WorkloadCost] = Field(default_factory=list)
    rental: list[RentalComparison] = Field(default_factory=list)


class LeadTimePlan(FrozenRecord):
    """One item's weeks from order to delivery; `part` is a catalog id."""

    part: str
    description: str
    category: str
    weeks: float | None = Field(description="None: the catalog has no lead time for it")
    confidence: Confidence | None
    source: str | None


class PhasePlan(FrozenRecord):
    """What runs once a stage of the site's power has arrived."""

    starts_week: float = Field(description="weeks after the order")
    power_budget_kw: float
    systems: dict[str, int] = Field(description="platform -> systems live")
    accelerators: int
    facility_power_kw: float
    time_to_train_days: dict[str, float] = Field(
        default_factory=dict, description="training workload -> estimated days on the systems live in this phase"
    )


class SchedulePlan(FrozenRecord):
    """Time to ready: the longest lead time among the plan's items, then installation and burn-in."""

    lead_times: list[LeadTimePlan] = Field(description="longest first, then by part")
    procurement_weeks: float
    critical_item: str = Field(description="the item whose lead time sets procurement (a catalog id)")
    install_weeks: float
    burn_in_weeks: float
    ready_weeks: float
    start_date: str | None = Field(description="ISO date of the order, when the spec gives it")
    ready_date: str | None
    phases: list[PhasePlan] = Field(default_factory=list, description="empty unless the site's power arrives in stages")
