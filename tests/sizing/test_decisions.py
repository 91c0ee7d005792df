"""Target sizing's decisions in the plan (`Plan.decisions`): every platform weighed, with its status, cost, reason
and sizing points, consistent with the allocation, the performance estimate and the prose `sizing_note`."""

from __future__ import annotations

import json
import math

import pytest

from refarch import load_spec, plan_spec, size
from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.cli.schema import plan_schema
from refarch.perf.calibration.file import default_calibration
from refarch.perf.records import SizingPoint, sizing_points
from refarch.plan import CandidatePlan, InferenceEstimate, Plan, SizingDecision, TrainingEstimate
from refarch.sizing.context import workload_contexts
from refarch.sizing.platform_choice import Candidate, DesignCost
from refarch.sizing.targets import choose_platforms, site_limits
from refarch.sizing.workloads import resolve_workloads
from tests.conftest import REPO

TRAIN = REPO / "examples" / "train-70b-in-30-days.yaml"
SERVE = REPO / "examples" / "serve-70b.yaml"
FIXED = REPO / "examples" / "dgx-h100-su.yaml"
STATUSES = ("chosen", "costlier", "over-limits", "not-designed", "undesignable", "cannot-meet", "not-considered")
# Statuses of platforms that meet the target at `systems` (whatever kept them from being picked).
MEETING = ("chosen", "costlier", "over-limits", "not-designed", "undesignable")


@pytest.fixture(scope="module")
def train_plan(catalog: Catalog) -> Plan:
    return plan_spec(load_spec(TRAIN), catalog)


@pytest.fixture(scope="module")
def serve_plan(catalog: Catalog) -> Plan:
    return plan_spec(load_spec(SERVE), catalog)


def _only_decision(plan: Plan) -> SizingDecision:
    (decision,) = plan.decisions
    return decision


def _chosen(decision: SizingDecision) -> CandidatePlan:
    chosen = [c for c in decision.candidates if c.status == "chosen"]
    assert len(chosen) == 1
    assert decision.candidates[0] is chosen[0]  # the pick is listed first
    return chosen[0]


def test_the_training_decision_is_the_allocation_and_its_estimate(train_plan: Plan) -> None:
    decision = _only_decision(train_plan)
    assert (decision.workload, decision.metric, decision.target) == ("pretrain-70b", "time_to_train_days", 30.0)
    assert decision.basis == "whole design"
    chosen = _chosen(decision)
    (allocation,) = train_plan.compute
    assert (chosen.platform, chosen.systems) == (allocation.platform, allocation.systems)
    assert chosen.platform_name == allocation.platform_name
    (estimate,) = train_plan.performance
    assert isinstance(estimate, TrainingEstimate) and estimate.time_to_train_s is not None
    assert chosen.value is not None and chosen.value <= decision.target
    assert chosen.value == pytest.approx(estimate.time_to_train_s / 86400, rel=1e-12)


def test_the_chosen_whole_design_is_the_plan_when_it_is_the_only_workload(train_plan: Plan) -> None:
    # One target workload, no fixed ones and no reservation: the plan is the candidate's own design.
    chosen = _chosen(_only_decision(train_plan))
    assert chosen.capex_basis == "whole design"
    assert chosen.capex_usd == pytest.approx(train_plan.summary.capex_usd)
    assert chosen.facility_power_kw == pytest.approx(train_plan.power.facility_power_kw)
    assert chosen.racks == len(train_plan.racks)


def test_the_search_proves_the_chosen_size_is_the_fewest(train_plan: Plan) -> None:
    chosen = _chosen(_only_decision(train_plan))
    assert chosen.systems is not None and chosen.systems > 1
    at = {p.systems: p for p in chosen.points}
    assert at[chosen.systems].meets_target and at[chosen.systems].value == chosen.value
    assert not at[chosen.systems - 1].meets_target  # one fewer was estimated and is too slow


def test_the_example_weighs_every_catalog_system_once_and_the_prose_names_none_other(
    catalog: Catalog, train_plan: Plan
) -> None:
    decision = _only_decision(train_plan)
    platforms = [c.platform for c in decision.candidates]
    systems = {s.id for s in catalog.all(System)}
    assert sorted(platforms) == sorted(systems)  # no platform named in the spec: all are candidates or skipped
    note = train_plan.compute[0].sizing_note
    assert {s for s in systems if s in note} <= set(platforms)
    statuses = {c.status for c in decision.candidates}
    assert {"chosen", "costlier", "not-designed", "cannot-meet", "not-considered"} <= statuses
    for item in decision.candidates:
        if item.status == "cannot-meet":  # the same words as the prose
            assert f"{item.platform} ({item.reason})" in note


@pytest.mark.parametrize("example", ["train", "serve"])
def test_candidates_are_listed_by_status_then_cost_with_consistent_fields(
    train_plan: Plan, serve_plan: Plan, example: str
) -> None:
    decision = _only_decision(train_plan if example == "train" else serve_plan)
    chosen = _chosen(decision)
    keys = [(STATUSES.index(c.status), c.capex_usd is None, c.capex_usd or 0.0) for c in decision.candidates]
    assert keys == sorted(keys)
    assert chosen.capex_usd is not None
    for item in decision.candidates:
        assert item.reason
        systems = [p.systems for p in item.points]
        assert systems == sorted(set(systems))  # sorted, one point per count
        assert all(math.isfinite(p.value) for p in item.points)
        if item.status in MEETING:
            assert item.systems is not None and item.value is not None and item.capex_usd is not None
            meeting = [p.systems for p in item.points if p.meets_target]
            assert meeting and min(meeting) == item.systems  # no size the search tried below it meets the target
        if item.status in ("costlier", "not-designed"):
            assert item.capex_usd is not None and item.capex_usd > chosen.capex_usd
        if item.status == "not-designed":
            assert item.capex_basis == "systems alone"
        if item.status in ("costlier", "over-limits"):
            assert item.capex_basis == decision.basis
        if item.status in ("cannot-meet", "not-considered"):
            assert item.capex_usd is None and item.capex_basis is None and item.facility_power_kw is None
        if item.status == "not-considered":
            assert item.systems is None and item.value is None and item.points == []


def test_the_inference_decision_is_on_output_tokens_per_second(serve_plan: Plan) -> None:
    decision = _only_decision(serve_plan)
    assert (decision.workload, decision.metric, decision.target) == ("chat-70b", "output_tokens_per_second", 20000.0)
    chosen = _chosen(decision)
    (allocation,) = serve_plan.compute
    (estimate,) = serve_plan.performance
    assert isinstance(estimate, InferenceEstimate)
    assert (chosen.platform, chosen.systems) == (allocation.platform, allocation.systems)
    assert chosen.value == estimate.output_tokens_per_second >= decision.target
    # A cannot-meet platform without a size the limits allow still shows what the search estimated beyond them.
    beyond = [c for c in decision.candidates if c.status == "cannot-meet" and c.systems is None]
    assert beyond and all(c.value is None and c.points for c in beyond)


def test_a_fixed_size_plan_has_no_decisions(catalog: Catalog) -> None:
    assert plan_spec(load_spec(FIXED), catalog).decisions == []


def test_plain_size_compares_systems_alone(catalog: Catalog, serve_plan: Plan) -> None:
    sizing = size(load_spec(SERVE), catalog)
    (decision,) = sizing.decisions
    assert decision.basis == "systems alone"
    assert {c.capex_basis for c in decision.candidates} <= {"systems alone", None}
    assert not {c.status for c in decision.candidates} & {"not-designed", "undesignable"}
    assert _chosen(decision).systems == sizing.allocations[0].systems


def test_a_candidate_whose_design_fails_is_undesignable_and_another_is_chosen(catalog: Catalog) -> None:
    spec = load_spec(SERVE)
    contexts = workload_contexts(spec, catalog, default_calibration(), resolve_workloads(spec, catalog).workloads)
    failing = "dgx-b200"  # the example's pick

    def designer(name: str, picked: Candidate) -> DesignCost:
        if picked.platform.system_id == failing:
            return DesignCost(problem="no rack takes it (a test)")
        return DesignCost(picked.facility_power_w * 1.2, picked.racks + 1, picked.capex_usd * 1.2)

    choice = choose_platforms(contexts, site_limits(spec, catalog, {}), designer)
    (decision,) = choice.decisions
    by_platform = {c.platform: c for c in decision.candidates}
    dropped = by_platform[failing]
    assert dropped.status == "undesignable" and "no rack takes it (a test)" in dropped.reason
    assert dropped.capex_basis == "systems alone" and dropped.points
    chosen = _chosen(decision)
    assert chosen.platform == choice.chosen["chat-70b"].platform.system_id != failing
    assert chosen.capex_usd == pytest.approx(choice.chosen["chat-70b"].total_capex_usd)


def test_plan_json_has_the_decisions_with_finite_numbers_and_its_schema_describes_them(train_plan: Plan) -> None:
    data = train_plan.model_dump(mode="json")
    json.dumps(data, allow_nan=False)  # no inf or nan anywhere
    assert data["decisions"][0]["candidates"][0]["status"] == "chosen"
    schema = plan_schema()
    assert {"SizingDecision", "CandidatePlan", "SizingPoint"} <= set(schema["$defs"])
    assert schema["properties"]["decisions"]["items"] == {"$ref": "#/$defs/SizingDecision"}
    statuses = schema["$defs"]["CandidatePlan"]["properties"]["status"]["enum"]
    assert statuses == list(STATUSES)


@pytest.mark.parametrize(
    ("points", "higher_is_better", "kept"),
    [
        ([(3, 1.0, False), (3, 2.0, False), (1, 5.0, False)], True, [(1, 5.0, False), (3, 2.0, False)]),
        ([(2, 9.0, False), (2, 1.0, True)], True, [(2, 1.0, True)]),
        ([(2, 9.0, True), (2, 7.0, True)], False, [(2, 7.0, True)]),
    ],
    ids=["sorted-best-value", "meeting-wins", "lower-is-better"],
)
def test_sizing_points_keep_one_per_count(
    points: list[tuple[int, float, bool]], higher_is_better: bool, kept: list[tuple[int, float, bool]]
) -> None:
    made = [SizingPoint(systems=n, value=v, meets_target=m) for n, v, m in points]
    result = sizing_points(made, higher_is_better)
    assert [(p.systems, p.value, p.meets_target) for p in result] == kept
