"""The records a sweep produces: one `ScenarioResult` per scenario, the row of `sweep.parquet` and `sweep.csv`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from refarch.types import FrozenRecord

__all__ = ["AxisValue", "ScenarioResult", "ScenarioStatus", "SweepInfo"]

AxisValue = str | int | float | bool
ScenarioStatus = Literal["feasible", "infeasible", "invalid"]


class ScenarioResult(FrozenRecord):
    """What one scenario's plan came to, or why there is none. Figures are None where the scenario has no plan or
    the plan has no such figure (no training workload: no time to train)."""

    scenario: str = Field(description="stable id: a hash of the scenario's axis values")
    index: int = Field(description="position in the sweep's expansion order")
    values: dict[str, AxisValue] = Field(description="axis name -> the value this scenario takes")
    status: ScenarioStatus
    problem: str | None = Field(description="infeasible: the binding limit and by how much; invalid: the error")
    platforms: str | None = Field(description="catalog system ids, '+'-joined in workload order")
    systems: int | None
    accelerators: int | None
    racks: int | None
    it_power_kw: float | None
    facility_power_kw: float | None
    capex_usd: float | None
    capex_by_category: dict[str, float] = Field(default_factory=dict)
    opex_per_year_usd: float | None
    tco_usd: float | None
    cost_per_accelerator_hour_usd: float | None
    cost_per_training_run_usd: float | None = Field(description="sum over training workloads")
    cost_per_million_output_tokens_usd: float | None = Field(description="the first inference workload's")
    time_to_train_days: float | None = Field(description="longest training workload, goodput included")
    output_tokens_per_second: float | None = Field(description="sum over inference workloads")
    time_to_ready_weeks: float | None


class SweepInfo(FrozenRecord):
    """What the outputs need to know about the sweep beyond its results."""

    name: str
    description: str
    base: str = Field(description="the base spec's file name, or 'inline'")
    combine: Literal["product", "zip"]
    axes: list[str] = Field(description="axis names in the sweep file's order (the keys of every result's values)")
    scenarios: int = Field(description="scenarios the sweep expands to")
