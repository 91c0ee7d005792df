"""How target sizing chose each target workload's platform (`Plan.decisions`, plan.json 1.5): every platform it
weighed, how it fared and why, and the estimates computed on the way. Re-exported by `refarch.plan`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from refarch.perf.records import SizingPoint
from refarch.types import FrozenRecord

__all__ = ["CandidatePlan", "CandidateStatus", "CostBasis", "SizingDecision"]

CandidateStatus = Literal[
    "chosen", "costlier", "over-limits", "not-designed", "undesignable", "cannot-meet", "not-considered"
]
CostBasis = Literal["whole design", "systems alone"]


class CandidatePlan(FrozenRecord):
    """One platform target sizing weighed for a workload, with how it fared and why.

    Statuses: `chosen` (the pick); `costlier` (meets the target within the site's limits, costed, not the
    cheapest); `over-limits` (meets the target, but its whole design, or its systems beside the other workloads'
    picks, exceed the site's limits); `not-designed` (meets the target, left undesigned because its systems alone
    cost more than the pick's whole design); `undesignable` (meets the target, but designing it failed);
    `cannot-meet` (no size the site's limits allow meets the target); `not-considered` (left out before sizing:
    no model coverage, precision or site conditions it cannot run under).
    """

    platform: str = Field(description="catalog system id")
    platform_name: str
    status: CandidateStatus
    systems: int | None = Field(
        description="the fewest systems that meet the target; cannot-meet: the largest size tried within the "
        "site's limits (None when the model fits on none); not-considered: None"
    )
    value: float | None = Field(
        description="the decision's metric at `systems` (time to train in days with goodput, or output tokens/s); "
        "None without an estimate there or when it is not finite"
    )
    capex_usd: float | None = Field(description="capital cost on `capex_basis`; None when not costed")
    capex_basis: CostBasis | None = Field(
        description="whole design (systems, fabrics, racks, power, cabling) or the systems alone; None when not costed"
    )
    facility_power_kw: float | None = Field(description="facility power (PUE included) on `capex_basis`")
    racks: int | None = Field(description="racks on `capex_basis` (network racks only with a whole design)")
    reason: str = Field(description="why this status, in one sentence")
    points: list[SizingPoint] = Field(
        default_factory=list,
        description="every estimate target sizing computed for this platform, by systems, one per count",
    )


class SizingDecision(FrozenRecord):
    """How target sizing chose a target workload's platform and size: the metric it sized on, the target and every
    platform it weighed (the chosen one first, then by status, then by capital cost)."""

    workload: str
    metric: Literal["time_to_train_days", "output_tokens_per_second"] = Field(
        description="what `value` and the points measure: training, time to train in days with goodput; "
        "inference, aggregate output tokens/s"
    )
    target: float = Field(
        description="the target in the metric's unit: training, time_to_train in days; inference, the target's "
        "output tokens/s, or 0 when it gives only concurrency and/or TTFT (the search then compares throughput with "
        "0: any size that holds the streams within the TTFT limit meets it; the points' meets_target also checks "
        "the TTFT limit)"
    )
    candidates: list[CandidatePlan]
    basis: CostBasis = Field(
        description="how candidates meeting the target were compared: the cost of their whole designs (refarch "
        "plan) or of their systems alone (plain `size`)"
    )
