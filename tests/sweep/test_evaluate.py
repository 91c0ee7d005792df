"""Evaluating scenarios (in this process, no Dask): overrides reach the plan, infeasible and invalid scenarios are
recorded, the plan's figures land in the right fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import refarch.sweep.evaluate as evaluate_module
from refarch.catalog.models import System
from refarch.errors import InputError
from refarch.pipeline import plan_spec
from refarch.plan import EconomicsPlan, OpexPlan, Plan, SchedulePlan, WorkloadCost
from refarch.sweep.evaluate import Context, Inputs, evaluate, result_from_plan, worker_inputs
from refarch.sweep.fields import CatalogField, apply_catalog, catalog_value
from refarch.sweep.records import ScenarioResult
from refarch.sweep.scenarios import expand
from refarch.sweep.sweepfile import Sweep, load_sweep

from .conftest import WriteSweep


def _context(sweep: Sweep, inputs: Inputs) -> Context:
    return Context(inputs.sources, sweep.base, sweep.base_label, sweep.axes, sweep.file.name)


def _results(path: Path, inputs: Inputs) -> list[ScenarioResult]:
    sweep = load_sweep(path, inputs.catalog)
    return [evaluate(s, _context(sweep, inputs), inputs) for s in expand(sweep)]


def test_price_axis_changes_capex_by_the_difference_times_the_systems(write_sweep: WriteSweep, inputs: Inputs) -> None:
    axes = "  - {field: 'workloads[0].systems', values: [4]}\n  - {field: price.dgx-h100, values: [180000, 199000]}\n"
    cheap, dear = _results(write_sweep(axes), inputs)
    assert cheap.status == dear.status == "feasible"
    assert dear.capex_usd is not None and cheap.capex_usd is not None
    assert dear.capex_usd - cheap.capex_usd == pytest.approx(4 * 19_000)


@pytest.mark.parametrize(
    ("axes", "check"),
    [
        ("  - {field: 'workloads[0].systems', values: [3]}\n", {"systems": 3, "accelerators": 24}),
        ("  - {field: 'workloads[0].platform', values: [dgx-b200]}\n", {"platforms": "dgx-b200"}),
        ("  - {field: workloads.pretrain-70b.systems, values: [5]}\n", {"systems": 5}),
    ],
    ids=["systems", "platform", "workload-by-name"],
)
def test_spec_axes_reach_the_plan(write_sweep: WriteSweep, inputs: Inputs, axes: str, check: dict[str, object]) -> None:
    (result,) = _results(write_sweep(axes), inputs)
    assert result.status == "feasible"
    assert {k: getattr(result, k) for k in check} == check
    assert result.time_to_train_days is not None and result.time_to_train_days > 1


def test_lead_time_axis_sets_a_lead_time_citing_the_sweep(inputs: Inputs) -> None:
    target = CatalogField("lead_time", "dgx-b200")
    changed = apply_catalog(inputs.catalog, [(target, catalog_value(target, 26, "sweep s.yaml, axis lead"))])
    lead = changed.get("dgx-b200", System).lead_time
    assert lead is not None and lead.weeks == 26 and lead.source == "sweep s.yaml, axis lead"
    assert inputs.catalog.get("dgx-b200", System).lead_time != lead  # the loaded catalog is untouched
    assert changed.get("dgx-h100", System) is inputs.catalog.get("dgx-h100", System)


@pytest.mark.parametrize(
    ("axes", "status", "problem"),
    [
        ("  - {field: site.power_budget, values: [20 kW]}\n", "infeasible", "power"),
        (
            "  - {field: 'workloads[0].systems', values: [0]}\n",
            "invalid",
            "workloads[0].systems: Input should be greater than 0",
        ),
        (
            "  - {field: 'workloads[0].platform', values: [dgx-h10]}\n",
            "invalid",
            "unknown system id 'dgx-h10' (did you mean dgx-h100",
        ),
        ("  - {field: site.power_budget, values: [lots]}\n", "invalid", "site.power_budget"),
    ],
    ids=["site-power-too-small", "spec-model-refuses", "unknown-platform", "not-a-quantity"],
)
def test_failed_scenarios_are_recorded_with_their_problem(
    write_sweep: WriteSweep, inputs: Inputs, axes: str, status: str, problem: str
) -> None:
    (result,) = _results(write_sweep(axes), inputs)
    assert result.status == status
    assert result.problem is not None and problem in result.problem
    assert result.capex_usd is None and result.systems is None and result.capex_by_category == {}


def test_a_bug_stops_the_scenario_and_names_it(
    write_sweep: WriteSweep, inputs: Inputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Plan:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(evaluate_module, "plan_spec", broken)
    sweep = load_sweep(write_sweep(), inputs.catalog)
    first = expand(sweep)[0]
    with pytest.raises(RuntimeError, match=f"scenario {first.id} .*ZeroDivisionError"):
        evaluate(first, _context(sweep, inputs), inputs)


def test_economics_and_schedule_fill_their_fields_when_the_plan_has_them(
    write_sweep: WriteSweep, inputs: Inputs
) -> None:
    sweep = load_sweep(write_sweep("  - {field: 'workloads[0].systems', values: [2]}\n"), inputs.catalog)
    (scenario,) = expand(sweep)
    plan = plan_spec(evaluate_module.scenario_inputs(scenario, _context(sweep, inputs), inputs)[0],
                                     inputs.catalog, inputs.calibration)  # fmt: skip
    economics = EconomicsPlan(
        capex_usd=1e6, capex_by_category={"compute": 9e5, "network": 1e5}, capex_estimated_usd=0, horizon_years=4,
        utilisation=0.8, opex_per_year=OpexPlan(energy_usd=1, support_usd=2, colocation_usd=None, total_usd=3e5),
        tco_usd=2.2e6, cost_per_accelerator_hour_usd=2.5,
        workload_costs=[
            WorkloadCost(workload="a", metric="training run", usd=100.0, basis="b"),
            WorkloadCost(workload="b", metric="training run", usd=50.0, basis="b"),
            WorkloadCost(workload="c", metric="million output tokens", usd=1.5, basis="b"),
            WorkloadCost(workload="d", metric="million output tokens", usd=9.0, basis="b"),
        ],
    )  # fmt: skip
    schedule = SchedulePlan(
        lead_times=[], procurement_weeks=20, critical_item="dgx-h100", install_weeks=4, burn_in_weeks=2,
        ready_weeks=26, start_date=None, ready_date=None,
    )  # fmt: skip
    result = result_from_plan(scenario, plan.model_copy(update={"economics": economics, "schedule": schedule}))
    assert result.capex_by_category == {"compute": 9e5, "network": 1e5}
    assert (result.opex_per_year_usd, result.tco_usd, result.cost_per_accelerator_hour_usd) == (3e5, 2.2e6, 2.5)
    assert result.cost_per_training_run_usd == 150.0  # the sum over training workloads
    assert result.cost_per_million_output_tokens_usd == 1.5  # the first inference workload's
    assert result.time_to_ready_weeks == 26
    bare = result_from_plan(scenario, plan.model_copy(update={"economics": None, "schedule": None}))
    assert (bare.tco_usd, bare.time_to_ready_weeks, bare.cost_per_training_run_usd) == (None, None, None)
    planned = result_from_plan(scenario, plan)  # a plan as refarch makes it carries both
    assert plan.economics is not None and plan.schedule is not None
    assert (planned.tco_usd, planned.time_to_ready_weeks) == (plan.economics.tco_usd, plan.schedule.ready_weeks)


def test_a_worker_with_another_catalog_refuses_to_plan(inputs: Inputs) -> None:
    other = dataclasses.replace(inputs.sources, catalog_sha256="0" * 64)
    with pytest.raises(InputError, match="catalog differs"):
        worker_inputs(other)


def test_a_scenario_spec_is_the_base_with_its_values(write_sweep: WriteSweep, inputs: Inputs) -> None:
    sweep = load_sweep(write_sweep("  - {field: site.power_budget, values: [2 MW]}\n"), inputs.catalog)
    (scenario,) = expand(sweep)
    spec, _ = evaluate_module.scenario_inputs(scenario, _context(sweep, inputs), inputs)
    assert spec.site.power_budget == 2e6
    assert spec.site.rack_power_limit == 40e3  # the base spec's other site fields stay
    assert "power_budget" not in sweep.base["site"]  # the base data is copied, not changed
