"""Typed hand-offs: the records that replaced string-keyed dicts serialise as the dicts did, the perf model returns the
very record plan.json keeps, and sizing's result is frozen."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from refarch import plan as plan_module
from refarch.catalog.loader import Catalog
from refarch.inputs.spec import load_spec
from refarch.perf.calibration.file import default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.perf.records import InferenceEstimate, TrainingEstimate, TrainingResult
from refarch.plan import Plan
from refarch.render.plan_json import plan_json
from refarch.sizing.context import WorkloadContext
from refarch.sizing.stage import size
from refarch.sizing.workloads import resolve_workloads
from refarch.types import Band, FixedParallelism, InferenceTarget, Parallelism, TrainingTarget, WorkloadPlan

from .conftest import EXAMPLES, REPO

GOLDEN = REPO / "tests" / "golden"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_a_golden_plan_reads_back_into_the_typed_records_and_writes_the_same_bytes(example: Path) -> None:
    data = (GOLDEN / example.stem / "plan.json").read_bytes()
    plan = Plan.model_validate_json(data)
    assert plan_json(plan) == data
    for workload in plan.workloads:
        assert isinstance(workload.parallelism, FixedParallelism)
        assert workload.target is None or isinstance(workload.target, TrainingTarget | InferenceTarget)
    assert all(isinstance(p.parallelism, Parallelism) for p in plan.performance)


@pytest.mark.parametrize(
    ("old", "record"),
    [
        (
            {"tp": 4, "pp": 2, "dp": 31, "cp": 1, "micro_batch": 1, "recompute": 0.0, "zero": 3, "virtual_stages": 8},
            Parallelism(tp=4, pp=2, dp=31, cp=1, micro_batch=1, recompute=0.0, zero=3, virtual_stages=8),
        ),
        (
            {"tp": 1, "pp": 1, "dp": 4, "cp": 1, "micro_batch": 30, "micro_batches": 6},
            Parallelism(tp=1, pp=1, dp=4, cp=1, micro_batch=30, micro_batches=6),
        ),
        ({"tp": 4, "pp": 1, "dp": 6, "cp": 1}, Parallelism(tp=4, pp=1, dp=6, cp=1)),
    ],
    ids=["gpu-training", "wafer-training", "inference"],
)
def test_parallelism_serialises_as_the_dict_it_replaced(old: dict[str, float], record: Parallelism) -> None:
    assert json.dumps(record.model_dump(mode="json")) == json.dumps(old)  # same keys, order and number types
    assert Parallelism.model_validate(old) == record
    assert record.get("pp", 1) == old["pp"] and record.get("micro_batches", 1) == old.get("micro_batches", 1)


@pytest.mark.parametrize(
    ("parallelism", "target", "json_text"),
    [
        (FixedParallelism(), None, '"parallelism": {}, "target": {}'),
        (
            FixedParallelism(tp=8),
            TrainingTarget(time_to_train=2592000.0),
            '"parallelism": {"tp": 8}, "target": {"time_to_train": 2592000.0}',
        ),
        (
            FixedParallelism(dp=31, cp=2),
            InferenceTarget(concurrency=512, ttft_p99=1.0),
            '"parallelism": {"dp": 31, "cp": 2}, "target": {"concurrency": 512.0, "ttft_p99": 1.0}',
        ),
    ],
    ids=["none", "training", "inference"],
)
def test_workload_plan_fields_round_trip(
    catalog: Catalog, parallelism: FixedParallelism, target: TrainingTarget | InferenceTarget | None, json_text: str
) -> None:
    model = resolve_workloads(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog).workloads[0].model
    workload = WorkloadPlan(
        name="w", workload_type="training", model=model, precision="bf16", tokens=None, global_batch_seqs=None,
        global_batch_tokens=None, parallelism=parallelism, target=target,
    )  # fmt: skip
    dumped = json.dumps(workload.model_dump(mode="json"))
    assert json_text in dumped
    assert WorkloadPlan.model_validate_json(dumped) == workload


def test_band_is_symmetric_around_its_figure() -> None:
    band = Band.around(200.0, 0.25)
    assert (band.low, band.high, band.fraction) == (150.0, 250.0, 0.25) and band.pct == 25.0


def test_the_plan_keeps_the_record_the_perf_model_returns(catalog: Catalog) -> None:
    spec = load_spec(REPO / "examples" / "dgx-h100-su.yaml")
    sizing = size(spec, catalog)
    (record,) = sizing.performance
    workload = sizing.workloads[0]
    ctx = WorkloadContext(spec, catalog, default_calibration(), 0, workload)
    (allocation,) = sizing.allocations
    result = ctx.estimate_at(platform_from_catalog(catalog, allocation.platform), allocation.systems)
    assert isinstance(result, TrainingResult) and result.record == record
    assert (record.confidence_low, record.confidence_high) == (result.band.low, result.band.high)
    assert {a.id for a in result.assumptions} <= {a.id for a in sizing.assumptions}
    # refarch.plan's names are the perf model's records, not copies.
    assert plan_module.PerformanceEstimate is TrainingEstimate
    assert plan_module.InferencePerformanceEstimate is InferenceEstimate


def test_estimate_json_is_the_record_with_the_band_and_assumptions(catalog: Catalog) -> None:
    spec = load_spec(REPO / "examples" / "dgx-h100-su.yaml")
    ctx = WorkloadContext(spec, catalog, default_calibration(), 0, resolve_workloads(spec, catalog).workloads[0])
    result = ctx.estimate_at(platform_from_catalog(catalog, "dgx-h100"), 31)
    shown = result.as_json()
    assert shown["confidence"] == {"low": result.band.low, "high": result.band.high}
    assert shown["band"] == result.band.fraction and "confidence_low" not in shown
    assert shown["parallelism"] == result.record.parallelism.model_dump()


def test_sizing_is_frozen(catalog: Catalog) -> None:
    sizing = size(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sizing.warnings = ["changed"]  # type: ignore[misc]
