"""The inference model: what bounds prefill and decode, KV-cache memory, wafer anchors, infeasibility, sizing."""

from __future__ import annotations

import dataclasses

import pytest

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.errors import InfeasibleError
from refarch.perf.inference.estimate import InferenceRequest, inference_estimate, required_replicas
from refarch.perf.inference.memory import kv_cache_bytes, wafers_for_weights
from refarch.perf.inference.timing import GpuInferenceEfficiency, WaferInferenceCalibration
from refarch.perf.inference.wafer_anchors import ANCHORS, default_wafer_inference_calibration
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.types import ModelShape


def shape(catalog: Catalog, preset: str, **overrides: int) -> ModelShape:
    model = catalog.get(preset, LlmModel)
    fields = ("params", "layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len")
    return ModelShape(preset=preset, **({f: getattr(model, f) for f in fields} | overrides))


def system(catalog: Catalog, system_id: str) -> Platform:
    return platform_from_catalog(catalog, system_id)


@pytest.fixture(scope="module")
def wafer_cal() -> WaferInferenceCalibration:
    return default_wafer_inference_calibration()


def scaled(platform: Platform, what: str) -> Platform:
    if what == "bandwidth":
        return dataclasses.replace(platform, memory_bandwidth_tbps=2 * platform.memory_bandwidth_tbps)
    return dataclasses.replace(platform, peak_tflops={k: 2 * v for k, v in platform.peak_tflops.items()})


@pytest.mark.parametrize(("what", "speedup"), [("bandwidth", 2.0), ("peak", 1.0)], ids=["2x-hbm", "2x-peak"])
def test_decode_is_memory_bandwidth_bound(catalog: Catalog, what: str, speedup: float) -> None:
    request = InferenceRequest(shape(catalog, "llama3-8b"), concurrency=8)
    base = inference_estimate(request, system(catalog, "dgx-h100"), tp=1)
    faster = inference_estimate(request, scaled(system(catalog, "dgx-h100"), what), tp=1)
    assert base.bound == "memory bandwidth"
    assert faster.per_stream_tokens_per_s / base.per_stream_tokens_per_s == pytest.approx(speedup, rel=0.05)


@pytest.mark.parametrize(("what", "speedup"), [("peak", 2.0), ("bandwidth", 1.0)], ids=["2x-peak", "2x-hbm"])
def test_prefill_is_compute_bound(catalog: Catalog, what: str, speedup: float) -> None:
    request = InferenceRequest(shape(catalog, "llama3-8b"), prompt_tokens=4096, output_tokens=256)
    base = inference_estimate(request, system(catalog, "dgx-h100"), tp=1)
    faster = inference_estimate(request, scaled(system(catalog, "dgx-h100"), what), tp=1)
    assert base.ttft_s / faster.ttft_s == pytest.approx(speedup, rel=0.05)


@pytest.mark.parametrize("factor", [2, 4], ids=["2x", "4x"])
def test_kv_cache_grows_linearly_with_context_and_concurrency(catalog: Catalog, factor: int) -> None:
    model = shape(catalog, "llama3-70b")
    assert kv_cache_bytes(model, factor * 1024) == pytest.approx(factor * kv_cache_bytes(model, 1024))
    h200 = system(catalog, "dgx-h200")
    one = inference_estimate(InferenceRequest(model, concurrency=4), h200, tp=8)
    more = inference_estimate(InferenceRequest(model, concurrency=4 * factor), h200, tp=8)
    assert more.kv_bytes == pytest.approx(factor * one.kv_bytes)


@pytest.mark.parametrize("preset", ["llama3-8b", "llama3-70b"], ids=str)
def test_grouped_query_attention_shrinks_kv_by_heads_over_kv_heads(catalog: Catalog, preset: str) -> None:
    gqa = shape(catalog, preset)
    mha = shape(catalog, preset, kv_heads=gqa.heads)
    assert kv_cache_bytes(mha, 2048) / kv_cache_bytes(gqa, 2048) == pytest.approx(gqa.heads / gqa.kv_heads)
    # Llama 3 70B: 2 x 80 layers x 1,024 x 2 bytes = 327,680 bytes per token.
    assert kv_cache_bytes(gqa, 1) == 2 * gqa.layers * gqa.hidden * gqa.kv_heads // gqa.heads * 2


def test_kv_heads_replicate_once_tp_exceeds_them(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b", kv_heads=4)
    gb200 = system(catalog, "gb200-nvl72")
    at4 = inference_estimate(InferenceRequest(model, concurrency=8), gb200, tp=4)
    at16 = inference_estimate(InferenceRequest(model, concurrency=8), gb200, tp=16)
    assert at16.kv_bytes == pytest.approx(at4.kv_bytes)  # one head per GPU either way
    assert at16.weight_bytes == pytest.approx(at4.weight_bytes / 4)


@pytest.mark.parametrize("system_id", ["dgx-h100", "dgx-b200", "cs-3"], ids=str)
def test_fp8_halves_weight_memory(catalog: Catalog, system_id: str) -> None:
    model = shape(catalog, "llama3-8b")
    bf16 = inference_estimate(InferenceRequest(model), system(catalog, system_id), tp=None)
    fp8 = inference_estimate(InferenceRequest(model, precision="fp8"), system(catalog, system_id))
    assert fp8.weight_bytes == pytest.approx(bf16.weight_bytes / 2)


@pytest.mark.parametrize("anchor", [a[0] for a in ANCHORS], ids=str)
def test_wafer_anchors_lie_inside_the_reported_band(wafer_cal: WaferInferenceCalibration, anchor: str) -> None:
    residual = next(r for r in wafer_cal.residuals if r.id == anchor)
    assert abs(residual.error) * 100 <= wafer_cal.band_pct
    assert wafer_cal.mape_pct <= wafer_cal.band_pct
    assert "no concurrency data" in wafer_cal.calibrated_on


def test_anchor_wafer_counts_match_the_published_placement(wafer_cal: WaferInferenceCalibration) -> None:
    published = {anchor_id: systems for anchor_id, _, systems, _ in ANCHORS}
    assert {r.id: r.wafers for r in wafer_cal.residuals} == published


@pytest.mark.parametrize(
    ("preset", "wafers"), [("llama3-8b", 1), ("gpt3-20b", 1), ("llama3-70b", 4), ("llama3.1-405b", 20)], ids=str
)
def test_wafers_for_weights_on_cs3(catalog: Catalog, preset: str, wafers: int) -> None:
    # "20B models fit on one CS-3, 70B on as few as four": 141 GB / 44 GB = 3.2, so 4 even at 100% of SRAM.
    assert wafers_for_weights(shape(catalog, preset), system(catalog, "cs-3")) == wafers


def test_wafer_single_stream_is_sram_bandwidth_bound(catalog: Catalog) -> None:
    estimate = inference_estimate(InferenceRequest(shape(catalog, "llama3-70b")), system(catalog, "cs-3"))
    assert estimate.bound == "SRAM bandwidth" and estimate.pipeline == 4 and estimate.accelerators == 4
    assert estimate.confidence == "estimate"
    assert {"inference-wafer-concurrency", "inference-wafer-sram"} <= {a.id for a in estimate.assumptions}


def test_wafer_aggregate_never_exceeds_streams_times_per_stream(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-8b"), concurrency=64)
    estimate = inference_estimate(request, system(catalog, "cs-3"))
    assert estimate.aggregate_tokens_per_s <= 64 * estimate.per_stream_tokens_per_s
    assert estimate.max_concurrency >= 64


def test_model_too_large_for_any_tp_names_the_alternatives(catalog: Catalog) -> None:
    alternatives = [system(catalog, s) for s in ("dgx-h200", "gb200-nvl72")]
    request = InferenceRequest(shape(catalog, "llama3.1-405b"))
    with pytest.raises(InfeasibleError) as info:
        inference_estimate(request, system(catalog, "dgx-h100"), alternatives=alternatives)
    message = info.value.message
    assert "need tp 16" in message and "domain is 8" in message
    assert "fp8" in message and "gb200-nvl72" in message and "dgx-h200" in message


def test_concurrency_beyond_kv_memory_is_infeasible(catalog: Catalog) -> None:
    model = shape(catalog, "llama3-70b")
    h100 = system(catalog, "dgx-h100")
    fits = inference_estimate(InferenceRequest(model, concurrency=1), h100, tp=4)
    inference_estimate(InferenceRequest(model, concurrency=fits.max_concurrency), h100, tp=4)
    with pytest.raises(InfeasibleError, match="does not fit"):
        inference_estimate(InferenceRequest(model, concurrency=fits.max_concurrency + 1), h100, tp=4)


def test_tp_outside_the_scale_up_domain_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(InfeasibleError, match="tp 16"):
        inference_estimate(InferenceRequest(shape(catalog, "llama3-70b")), system(catalog, "dgx-h100"), tp=16)


def test_smallest_fitting_tp_is_chosen_without_accelerators(catalog: Catalog) -> None:
    estimate = inference_estimate(InferenceRequest(shape(catalog, "llama3-70b")), system(catalog, "dgx-h100"))
    assert estimate.tp == 2 and estimate.replicas == 1  # 141 GB of weights over 72 GB usable per H100


def test_given_accelerators_the_best_tp_is_searched(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"), concurrency=64)
    h100 = system(catalog, "dgx-h100")
    best = inference_estimate(request, h100, accelerators=8)
    others = []
    for tp in (2, 4, 8):
        try:
            others.append(inference_estimate(request, h100, tp=tp, replicas=8 // tp).aggregate_tokens_per_s)
        except InfeasibleError:
            continue  # 32 streams per tp-2 replica do not fit beside the weights
    assert len(others) >= 2 and best.aggregate_tokens_per_s == pytest.approx(max(others))
    assert best.accelerators <= 8


def test_gpu_estimate_says_it_is_uncalibrated(catalog: Catalog) -> None:
    estimate = inference_estimate(InferenceRequest(shape(catalog, "llama3-8b")), system(catalog, "dgx-h100"))
    assert estimate.band_pct == 35.0 and estimate.confidence == "estimate"
    assert "no GPU inference measurements" in estimate.calibrated_on
    assert {"inference-queueing", "inference-gpu-efficiency"} <= {a.id for a in estimate.assumptions}


def test_custom_efficiency_is_what_the_assumption_reports(catalog: Catalog) -> None:
    slow = GpuInferenceEfficiency(decode_bandwidth=0.35)
    request = InferenceRequest(shape(catalog, "llama3-8b"))
    base = inference_estimate(request, system(catalog, "dgx-h100"), tp=1)
    halved = inference_estimate(request, system(catalog, "dgx-h100"), tp=1, efficiency=slow)
    assert halved.per_stream_tokens_per_s == pytest.approx(base.per_stream_tokens_per_s / 2, rel=0.02)
    note = next(a.text for a in halved.assumptions if a.id == "inference-gpu-efficiency")
    assert "35% of HBM bandwidth" in note


def test_fp8_on_a100_is_weight_only_and_says_so(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-8b"), precision="fp8")
    estimate = inference_estimate(request, system(catalog, "dgx-a100"))
    assert "inference-precision" in {a.id for a in estimate.assumptions}


@pytest.mark.parametrize(("prompt", "noted"), [(None, True), (1024, False)], ids=["default-request", "given"])
def test_default_request_size_is_an_assumption(catalog: Catalog, prompt: int | None, noted: bool) -> None:
    request = InferenceRequest(shape(catalog, "llama3-8b"), prompt_tokens=prompt, output_tokens=prompt)
    estimate = inference_estimate(request, system(catalog, "dgx-h100"))
    assert ("inference-request" in {a.id for a in estimate.assumptions}) == noted


@pytest.mark.parametrize("concurrency", [256, None], ids=["fixed-streams", "fill-memory"])
def test_required_replicas_meet_the_target(catalog: Catalog, concurrency: int | None) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"), concurrency=concurrency)
    sizing = required_replicas(request, system(catalog, "dgx-h100"), 10_000, ttft_limit_s=2.0)
    assert sizing.estimate is not None and sizing.replicas is not None and sizing.systems is not None
    assert sizing.estimate.aggregate_tokens_per_s >= 10_000 and sizing.estimate.ttft_s <= 2.0
    assert sizing.systems * 8 >= (sizing.accelerators or 0)


def test_required_replicas_is_minimal_for_fixed_concurrency(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"), concurrency=256)
    h100 = system(catalog, "dgx-h100")
    sizing = required_replicas(request, h100, 10_000)
    assert sizing.estimate is not None and sizing.replicas is not None and sizing.replicas > 1
    fewer = inference_estimate(request, h100, tp=sizing.estimate.tp, replicas=sizing.replicas - 1)
    assert fewer.aggregate_tokens_per_s < 10_000
    for tp in (1, 2, 4, 8):  # no other tp reaches the target on fewer accelerators
        for replicas in range(1, (sizing.accelerators or 0) // tp):
            try:
                other = inference_estimate(request, h100, tp=tp, replicas=replicas)
            except InfeasibleError:
                continue
            assert other.aggregate_tokens_per_s < 10_000


def test_unreachable_ttft_returns_none_with_a_reason(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"))
    sizing = required_replicas(request, system(catalog, "dgx-h100"), 1_000, ttft_limit_s=0.001)
    assert sizing.replicas is None and sizing.accelerators is None
    assert "TTFT limit" in sizing.reason and "tp 8" in sizing.reason


def test_too_few_streams_for_the_target_returns_none(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"), concurrency=4)
    sizing = required_replicas(request, system(catalog, "dgx-h100"), 10_000)
    assert sizing.replicas is None and "even with a replica each" in sizing.reason


def test_required_replicas_on_wafers_counts_systems(catalog: Catalog) -> None:
    request = InferenceRequest(shape(catalog, "llama3-70b"), concurrency=64)
    sizing = required_replicas(request, system(catalog, "cs-3"), 5_000)
    assert sizing.estimate is not None and sizing.replicas is not None
    assert sizing.systems == sizing.accelerators == 4 * sizing.replicas


def test_unknown_precision_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="precision"):
        inference_estimate(InferenceRequest(shape(catalog, "llama3-8b"), precision="int4"), system(catalog, "dgx-h100"))
