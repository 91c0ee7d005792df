"""Synthetic sweep results for the output tests: one `result` with every figure defaulted, and `sweep` for a seeded
set of training (or inference) scenarios over platforms, system counts, power budgets and prices, some infeasible
(the power budget binds) and some invalid."""

from __future__ import annotations

import random
from typing import Any

from refarch.sweep.records import ScenarioResult, SweepInfo

__all__ = ["AXES", "PLATFORMS", "info", "result", "sweep"]

PLATFORMS = {
    "dgx-h100": (10.2, 400_000.0, 1.0),
    "dgx-b200": (14.3, 520_000.0, 2.2),
    "gb200-nvl72": (132.0, 3_400_000.0, 30.0),
}
"""platform -> (kW per system, USD per system, speed relative to a dgx-h100)"""


def info(axes: list[str], scenarios: int, **overrides: Any) -> SweepInfo:
    fields: dict[str, Any] = {
        "name": "h100-vs-b200",
        "description": "Which platform trains the 70B model soonest within 5 MW?",
        "base": "train-70b.yaml",
        "combine": "product",
        "axes": axes,
        "scenarios": scenarios,
    }
    return SweepInfo(**(fields | overrides))


def result(index: int, **overrides: Any) -> ScenarioResult:
    """A feasible scenario with every figure set; `overrides` replace any field."""
    fields: dict[str, Any] = {
        "scenario": f"s{index:05d}",
        "index": index,
        "values": {},
        "status": "feasible",
        "problem": None,
        "platforms": "dgx-h100",
        "systems": 32,
        "accelerators": 256,
        "racks": 8,
        "it_power_kw": 330.0,
        "facility_power_kw": 430.0,
        "capex_usd": 14_000_000.0,
        "capex_by_category": {"compute": 12_800_000.0, "network": 1_000_000.0, "rack": 200_000.0},
        "opex_per_year_usd": 900_000.0,
        "tco_usd": 18_500_000.0,
        "cost_per_accelerator_hour_usd": 2.1,
        "cost_per_training_run_usd": 1_200_000.0,
        "cost_per_million_output_tokens_usd": None,
        "time_to_train_days": 40.0,
        "output_tokens_per_second": None,
        "time_to_ready_weeks": 20.0,
    }
    return ScenarioResult(**(fields | overrides))


_NONE = dict.fromkeys(
    (
        "platforms",
        "systems",
        "accelerators",
        "racks",
        "it_power_kw",
        "facility_power_kw",
        "capex_usd",
        "opex_per_year_usd",
        "tco_usd",
        "cost_per_accelerator_hour_usd",
        "cost_per_training_run_usd",
        "cost_per_million_output_tokens_usd",
        "time_to_train_days",
        "output_tokens_per_second",
        "time_to_ready_weeks",
    ),
)


_FABRICS = {"rail-optimised": (0.12, 1.0), "fat-tree": (0.09, 0.93), "oversubscribed": (0.05, 0.8)}
"""fabric -> (share of compute capex, speed)"""
AXES = ["platform", "systems", "power_budget_mw", "price_factor", "fabric", "pue"]


def _scenario(
    index: int, platform: str, systems: int, axes: tuple[float, float, str, float], inference: bool
) -> ScenarioResult:
    budget_mw, price, fabric, pue = axes
    kw_each, usd_each, speed = PLATFORMS[platform]
    share, fabric_speed = _FABRICS[fabric]
    speed *= fabric_speed
    values = {
        "platform": platform,
        "systems": systems,
        "power_budget_mw": budget_mw,
        "price_factor": price,
        "fabric": fabric,
        "pue": pue,
    }
    facility = kw_each * systems * pue
    if platform == "dgx-h100" and systems > 1000:
        return result(
            index,
            values=values,
            status="invalid",
            capex_by_category={},
            **_NONE,
            problem=f"workloads[0].parallelism: data parallel degree {systems * 8} exceeds the batch of 4096",
        )
    if facility > budget_mw * 1000:
        return result(
            index,
            values=values,
            status="infeasible",
            capex_by_category={},
            **_NONE,
            problem=f"facility power {facility:,.1f} kW exceeds the power budget by {facility - budget_mw * 1000:,.1f} kW",
        )
    compute = usd_each * systems * price
    categories = {
        "compute": compute,
        "network": compute * share,
        "storage": 150_000.0 + systems * 9_000.0,
        "rack": systems * 6_000.0,
    }
    capex = sum(categories.values())
    opex = facility * 8760 * 0.09 + capex * 0.05
    throughput = 2_000.0 * speed * systems**0.95
    return result(
        index,
        values=values,
        platforms=platform,
        systems=systems,
        accelerators=systems * (72 if platform == "gb200-nvl72" else 8),
        racks=max(1, systems // 4),
        it_power_kw=facility / pue,
        facility_power_kw=facility,
        capex_usd=capex,
        capex_by_category=categories,
        opex_per_year_usd=opex,
        tco_usd=capex + 5 * opex,
        cost_per_accelerator_hour_usd=2.0 * price,
        cost_per_training_run_usd=None if inference else capex * 0.1,
        cost_per_million_output_tokens_usd=(capex + 5 * opex) / (throughput * 3600 * 24 * 365 * 5 / 1e6)
        if inference
        else None,
        time_to_train_days=None if inference else 9_000.0 / (speed * systems**0.93),
        output_tokens_per_second=throughput if inference else None,
        time_to_ready_weeks=16.0 + systems / 100,
    )


def sweep(size: int, seed: int = 7, inference: bool = False) -> list[ScenarioResult]:
    """`size` scenarios drawn at random (seeded) over the four axes, indexed in order."""
    rng = random.Random(seed)
    return [
        _scenario(
            k,
            rng.choice(sorted(PLATFORMS)),
            rng.choice([4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]),
            (
                rng.choice([0.5, 1.0, 2.0, 5.0, 20.0]),
                rng.choice([0.8, 1.0, 1.2]),
                rng.choice(sorted(_FABRICS)),
                rng.choice([1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5]),
            ),
            inference,
        )
        for k in range(size)
    ]
