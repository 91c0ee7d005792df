"""The GPU training model: FLOPs and memory formulas, step-time invariants and the parallelism search."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.perf.calibration.file import default_calibration
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.training.search import (
    MAX_BATCH_ROUNDING,
    RECOMPUTE_SHARES,
    LayoutLimits,
    best_layout,
    candidate_layouts,
    feasible_layouts,
    usable_bytes,
)
from refarch.perf.training.step import StepTime, TrainingJob, step_time
from refarch.perf.transformer import Layout, model_flops_per_token, stage_layers, training_memory
from refarch.types import ModelShape


def shape(catalog: Catalog, preset: str) -> ModelShape:
    return catalog.get(preset, LlmModel).shape()


def h100(catalog: Catalog) -> Platform:
    return platform_from_catalog(catalog, "dgx-h100")


def test_model_flops_are_six_n_plus_attention(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    expected = 6 * model.params + 6 * model.layers * model.seq_len * model.hidden
    assert model_flops_per_token(model) == pytest.approx(expected)


def test_adam_states_are_sixteen_bytes_per_parameter_unsharded(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-8b")
    memory = training_memory(model, Layout(tp=1, pp=1, dp=1, zero=0))
    states = memory.weights + memory.gradients + memory.optimizer
    assert states == pytest.approx(16 * model.params, rel=1e-9)


@pytest.mark.parametrize("zero", [1, 3], ids=["distributed-optimizer", "fsdp"])
def test_zero_sharding_divides_states_by_dp(catalog: Catalog, zero: int) -> None:
    model = shape(catalog, "llama3-8b")
    single = training_memory(model, Layout(tp=1, pp=1, dp=1, zero=zero))
    sharded = training_memory(model, Layout(tp=1, pp=1, dp=8, zero=zero))
    assert sharded.optimizer == pytest.approx(single.optimizer / 8)
    assert (sharded.weights < single.weights) == (zero == 3)


def test_recompute_and_tensor_parallel_shrink_activations(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    base = training_memory(model, Layout(tp=1, pp=1, dp=1)).activations
    assert training_memory(model, Layout(tp=1, pp=1, dp=1, recompute=1.0)).activations < base / 5
    assert training_memory(model, Layout(tp=8, pp=1, dp=1)).activations == pytest.approx(base / 8)


def test_pipeline_bubble_follows_p_minus_one_over_m(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    job = TrainingJob(model, global_batch_seqs=64, precision="bf16")
    efficiency, _ = default_calibration().efficiency("hopper")
    step = step_time(job, h100(catalog), Layout(tp=8, pp=4, dp=1), efficiency)
    busy = step.compute_s + step.memory_s + step.comm_s
    assert step.bubble_s / busy == pytest.approx(3 / 64, rel=1e-6)


def test_fp8_is_faster_but_well_under_twice(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    layout = Layout(tp=4, pp=1, dp=16)
    times = {
        p: step_time(TrainingJob(shape(catalog, "llama3-70b"), 256, p), h100(catalog), layout, efficiency).step_s
        for p in ("bf16", "fp8")
    }
    assert 1.0 < times["bf16"] / times["fp8"] < 2.0


def test_more_bandwidth_never_slows_a_step(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3-70b"), 512, "bf16")
    layout = Layout(tp=8, pp=4, dp=8, cp=2)
    slow = step_time(job, h100(catalog), layout, efficiency).step_s
    faster = dataclasses.replace(h100(catalog), network_gbps=100.0, memory_bandwidth_tbps=6.7)
    assert step_time(job, faster, layout, efficiency).step_s < slow


def test_oversubscription_slows_only_traffic_that_leaves_a_scalable_unit(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    layout = Layout(tp=8, pp=4, dp=8, cp=2)  # model-parallel groups of 64 GPUs, data parallel over all 512

    def step(oversubscription: float, unit: int) -> StepTime:
        job = TrainingJob(shape(catalog, "llama3-70b"), 512, "bf16", oversubscription, unit)
        return step_time(job, h100(catalog), layout, efficiency)

    non_blocking, unknown = step(1.0, 0), step(2.0, 0)
    whole_job_in_one_unit, split = step(2.0, 512), step(2.0, 256)
    assert whole_job_in_one_unit == non_blocking  # same-rail peers under one leaf never use its uplinks
    assert unknown.step_s > non_blocking.step_s  # no unit known: every scale-out byte is oversubscribed
    # Units of 256 hold the 64-GPU pipeline and context groups but not the 512-GPU data-parallel one.
    assert split.comm_s == non_blocking.comm_s and split.bubble_s == non_blocking.bubble_s
    assert split.dp_exposed_s > non_blocking.dp_exposed_s
    assert non_blocking.step_s < split.step_s < unknown.step_s


def test_search_respects_memory_and_fixed_degrees(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3.1-405b"), 2048, "bf16")
    platform = h100(catalog)
    choice = best_layout(job, platform, 16384, efficiency, LayoutLimits(tp=8))
    assert choice is not None
    assert choice.layout.tp == 8 and choice.layout.accelerators == 16384
    assert choice.memory.total <= usable_bytes(platform)
    assert training_memory(job.shape, choice.layout).total == pytest.approx(choice.memory.total)


def test_search_returns_the_fastest_feasible_layout(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3-70b"), 256, "bf16")
    platform = h100(catalog)
    choice = best_layout(job, platform, 64, efficiency)
    assert choice is not None and choice.feasible > 1
    for layout in (Layout(tp=8, pp=8, dp=1), Layout(tp=4, pp=4, dp=4), Layout(tp=8, pp=2, dp=4, recompute=1.0)):
        if training_memory(job.shape, layout).total <= usable_bytes(platform):
            assert step_time(job, platform, layout, efficiency).step_s >= choice.step.step_s


@pytest.mark.parametrize(("batch", "accelerators"), [(4, 904), (16, 248), (1024, 248), (1024, 8000), (2048, 16384)])
def test_search_never_trains_on_a_batch_much_larger_than_the_specs(
    catalog: Catalog, batch: int, accelerators: int
) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3-70b"), batch, "bf16")
    choice = best_layout(job, h100(catalog), accelerators, efficiency)
    assert choice is not None
    assert choice.step.tokens_per_step <= batch * job.shape.seq_len * (1 + MAX_BATCH_ROUNDING)
    assert choice.layout.accelerators <= accelerators
    # Every candidate, not only the winner, keeps whole micro-batches within the rounding allowance.
    for layout in candidate_layouts(job, h100(catalog), accelerators, LayoutLimits()):
        replicas = layout.dp * layout.micro_batch
        assert -(-batch // replicas) * replicas <= batch * (1 + MAX_BATCH_ROUNDING)


def test_more_accelerators_never_train_slower_when_the_batch_is_small(catalog: Catalog) -> None:
    # A 4-sequence batch cannot fill 100+ DGX H100: the extra systems idle instead of inflating the batch, so
    # throughput stops growing but never drops (it used to jump wherever a prime count forced dp up to it).
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3-70b"), 4, "bf16")
    speeds = []
    for systems in range(100, 141):
        choice = best_layout(job, h100(catalog), systems * 8, efficiency)
        assert choice is not None and choice.layout.dp <= 4
        speeds.append(choice.step.tokens_per_second)
    assert all(later >= earlier * (1 - 1e-9) for earlier, later in itertools.pairwise(speeds))


def test_fixed_tensor_parallel_obeys_the_scale_up_domain_and_heads(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3-70b"), 1024, "bf16")
    for tp in (3, 16):  # 3 does not divide 64 heads; 16 spans two 8-GPU NVLink domains
        assert best_layout(job, h100(catalog), 1024, efficiency, LayoutLimits(tp=tp)) is None
    assert best_layout(job, h100(catalog), 1024, efficiency, LayoutLimits(tp=8)) is not None


def test_no_layout_fits_a_huge_model_on_one_gpu(catalog: Catalog) -> None:
    efficiency, _ = default_calibration().efficiency("hopper")
    job = TrainingJob(shape(catalog, "llama3.1-405b"), 16, "bf16")
    assert best_layout(job, h100(catalog), 8, efficiency) is None


def test_recomputing_more_layers_saves_memory_and_costs_time(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    job = TrainingJob(model, global_batch_seqs=64, precision="bf16")
    efficiency, _ = default_calibration().efficiency("hopper")
    layouts = [Layout(tp=8, pp=4, dp=2, recompute=share) for share in RECOMPUTE_SHARES]
    memory = [training_memory(model, layout).activations for layout in layouts]
    steps = [step_time(job, h100(catalog), layout, efficiency).step_s for layout in layouts]
    assert memory == sorted(memory, reverse=True) and len(set(memory)) == len(memory)
    assert steps == sorted(steps) and len(set(steps)) == len(steps)


def test_feasible_layouts_keep_only_the_least_recomputation_that_fits(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    job = TrainingJob(model, global_batch_seqs=128, precision="bf16")
    platform = h100(catalog)
    found = list(feasible_layouts(job, platform, 64, LayoutLimits()))
    assert found and any(0 < layout.recompute < 1 for layout, _ in found)
    keys = [dataclasses.replace(layout, recompute=0.0) for layout, _ in found]
    assert len(keys) == len(set(keys))
    for layout, memory in found:
        assert memory.total <= usable_bytes(platform)
        lower = [share for share in RECOMPUTE_SHARES if share < layout.recompute]
        for share in lower:
            smaller = dataclasses.replace(layout, recompute=share)
            assert training_memory(model, smaller).total > usable_bytes(platform)


def test_uneven_pipeline_stages_carry_the_rounded_up_layer_count(catalog: Catalog) -> None:
    model = shape(catalog, "llama3.1-405b")  # 126 layers: no power-of-two stage count divides them
    assert model.layers == 126
    assert stage_layers(model, Layout(tp=8, pp=16, dp=1)) == 8
    assert stage_layers(model, Layout(tp=8, pp=16, dp=1, virtual_stages=4)) == 4 * 2
    assert stage_layers(model, Layout(tp=8, pp=8, dp=1, virtual_stages=8)) == 8 * 2
    job = TrainingJob(model, global_batch_seqs=2048, precision="bf16")
    virtuals = {layout.virtual_stages for layout in candidate_layouts(job, h100(catalog), 1024, LayoutLimits(pp=16))}
    assert virtuals == {1, 2, 4}  # 16 x 8 = 128 chunks would leave some without a layer


@pytest.mark.parametrize(("seq_len", "allowed"), [(2048, {1}), (8192, {1, 2}), (32768, {1, 2, 4, 8})])
def test_context_parallel_only_for_long_sequences(catalog: Catalog, seq_len: int, allowed: set[int]) -> None:
    model = shape(catalog, "llama3-8b").model_copy(update={"seq_len": seq_len})
    job = TrainingJob(model, global_batch_seqs=512, precision="bf16")
    searched = {layout.cp for layout in candidate_layouts(job, h100(catalog), 64, LayoutLimits())}
    assert searched == allowed
    fixed = {layout.cp for layout in candidate_layouts(job, h100(catalog), 64, LayoutLimits(cp=4))}
    assert fixed == {4}
