"""LLM inference on GPUs and wafers: what one serving configuration of replicas delivers, and the replicas a
target needs.

Memory (weights, KV cache, layout) is in `inference_memory`, step times in `inference_timing`, the wafer anchor fit
in `inference_fit`. The reference has no GPU inference measurements and no wafer throughput under concurrency:
both are estimates with wide bands. Queueing is not modelled: TTFT is one prompt's prefill on an idle replica.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from refarch.errors import InfeasibleError
from refarch.perf.inference.memory import (
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_PROMPT_TOKENS,
    KV_BYTES_PER_ELEMENT,
    WAFER_SRAM_SHARE,
    WEIGHT_BYTES,
    InferenceRequest,
    ReplicaLayout,
    gpu_layout,
    kv_cache_bytes,
    tp_options,
    wafer_layout,
    wafers_for_weights,
)
from refarch.perf.inference.timing import (
    GpuInferenceEfficiency,
    ReplicaTiming,
    WaferInferenceCalibration,
    gpu_timing,
    wafer_timing,
)
from refarch.perf.inference.wafer_anchors import default_wafer_inference_calibration
from refarch.perf.platform import Platform
from refarch.perf.training.search import USABLE_MEMORY_FRACTION
from refarch.types import Assumption, Confidence

__all__ = [
    "GPU_BAND_PCT",
    "ReplicaEstimate",
    "InferenceRequest",
    "ReplicaSizing",
    "inference_estimate",
    "required_replicas",
]

GPU_BAND_PCT = 35.0  # no GPU inference measurements to fit: a wide band (estimate)
GPU_CALIBRATED_ON = "uncalibrated: the reference has no GPU inference measurements"
_NOTES = {
    "queueing": "TTFT is one prompt's prefill on an idle replica: queueing and prefill/decode interference are "
    "not modelled; aggregate tokens/s charges each batch its prompts' prefill",
    "request": f"requests of {DEFAULT_PROMPT_TOKENS} prompt and {DEFAULT_OUTPUT_TOKENS} output tokens where not given",
    "concurrency": "no concurrency given: each replica serves as many streams as its memory holds (the batch that "
    "maximises throughput; per-stream speed is at that batch)",
    "kv": f"KV cache in {KV_BYTES_PER_ELEMENT:g}-byte elements whatever the weight precision",
    "gpu-memory": f"{USABLE_MEMORY_FRACTION:.0%} of HBM holds weights and KV cache",
    "wafer-sram": f"weights and KV cache fill up to {WAFER_SRAM_SHARE:.0%} of each wafer's SRAM (so that 20B "
    "16-bit weights fit one CS-3, as the vendor says); layers are pipelined across wafers",
    "wafer-concurrency": "aggregate tokens/s under concurrency is per-stream speed times streams, capped by the "
    "wafers' compute and by the KV cache SRAM holds: no such measurement is published",
}


@dataclass(frozen=True)
class ReplicaEstimate:
    """A serving configuration (replicas, each of `tp` GPUs or `pipeline` wafers) and what it delivers; bytes are per
    accelerator unless named per stream. `refarch.perf.inference.serving` turns it into the inference record of a
    workload on whole systems.

    `pipeline` is the wafers one replica's layers span (1 on GPUs); `tp` is 1 on wafers. `per_stream_tokens_per_s`
    is the decode speed a stream sees; `aggregate_tokens_per_s` also charges the time replicas spend on prefill.
    """

    platform: str
    precision: str
    tp: int
    pipeline: int
    replicas: int
    accelerators: int
    streams_per_replica: int
    prompt_tokens: int
    output_tokens: int
    per_stream_tokens_per_s: float
    aggregate_tokens_per_s: float
    ttft_s: float
    decode_step_s: float
    bound: str
    weight_bytes: float
    kv_bytes: float
    kv_bytes_per_stream: float
    usable_bytes: float
    max_concurrency: int
    band_pct: float
    calibrated_on: str
    assumptions: tuple[Assumption, ...]
    confidence: Confidence = "estimate"


@dataclass(frozen=True)
class ReplicaSizing:
    """Replicas an inference target needs, or None with the reason when no replica can meet it; `tried` is every
    estimate of the request the search computed on the way (over all tensor-parallel options), in search order."""

    replicas: int | None
    accelerators: int | None
    systems: int | None
    reason: str
    estimate: ReplicaEstimate | None = None
    tried: tuple[ReplicaEstimate, ...] = ()


def _record(
    req: InferenceRequest,
    platform: Platform,
    lay: ReplicaLayout,
    timing: ReplicaTiming,
    band: float,
    calibrated_on: str,
    notes: tuple[Assumption, ...],
) -> ReplicaEstimate:
    step, prefill = timing.decode_step_s, timing.prefill_s
    total = req.concurrency or lay.streams * lay.replicas
    # Each batch decodes its outputs, then prefills the next prompts (no chunked-prefill overlap credited).
    per_replica = lay.streams * req.output / (req.output * step + lay.streams * prefill)
    aggregate = min(per_replica * min(lay.replicas, total / lay.streams), timing.roof_tokens_per_s * lay.replicas)
    return ReplicaEstimate(
        platform.system_id,
        req.precision,
        lay.tp,
        lay.pipeline,
        lay.replicas,
        lay.tp * lay.pipeline * lay.replicas,
        lay.streams,
        req.prompt,
        req.output,
        1 / step,
        aggregate,
        prefill,
        step,
        timing.bound,
        lay.weights,
        lay.streams * lay.kv_per_stream,
        kv_cache_bytes(req.shape, req.prompt + req.output),
        lay.usable,
        lay.replicas * lay.max_streams,
        band,
        calibrated_on,
        notes,
    )


def inference_estimate(
    request: InferenceRequest,
    platform: Platform,
    accelerators: int | None = None,
    replicas: int | None = None,
    tp: int | None = None,
    efficiency: GpuInferenceEfficiency | None = None,
    wafer_calibration: WaferInferenceCalibration | None = None,
    alternatives: Sequence[Platform] = (),
) -> ReplicaEstimate:
    """Serve `request` on `platform`: replicas from `replicas`, else `accelerators` // replica size, else 1.

    GPU: with `tp` unset, the smallest tp that fits is used, or, given `accelerators` only, the tp with the best
    aggregate tokens/s.

    Raises:
        ValueError: an unknown precision or a concurrency below 1.
        InfeasibleError: nothing fits; names the tp needed and what would fit (fp8, `alternatives`).
    """
    if request.precision not in WEIGHT_BYTES or (request.concurrency is not None and request.concurrency < 1):
        raise ValueError(f"precision must be one of {sorted(WEIGHT_BYTES)} and concurrency at least 1")
    if platform.wafer:
        cal = wafer_calibration or default_wafer_inference_calibration()
        size = wafers_for_weights(request.shape, platform, request.precision)
        lay = wafer_layout(request, platform, replicas or max(1, (accelerators or size) // size))
        timing = wafer_timing(request, platform, lay, cal)
        return _record(request, platform, lay, timing, cal.band_pct, cal.calibrated_on, _assumptions(request, platform))
    eff = efficiency or GpuInferenceEfficiency()
    allowed = tp_options(request.shape, platform)
    if tp is not None and tp not in allowed:
        raise InfeasibleError(
            f"tp {tp} is not one of {allowed} on {platform.system_id} ({request.shape.heads} heads)",
            field=("parallelism", "tp"),
        )
    candidates = [t for t in ([tp] if tp else allowed) if (accelerators or t) >= t]
    layouts = [x for t in candidates if (x := gpu_layout(request, platform, t, replicas or (accelerators or t) // t))]
    if not layouts:
        raise InfeasibleError(_no_fit(request, platform, alternatives))
    notes = _assumptions(request, platform, eff)
    timings = [(lay, gpu_timing(request, platform, lay, eff)) for lay in layouts]
    estimates = [_record(request, platform, lay, t, GPU_BAND_PCT, GPU_CALIBRATED_ON, notes) for lay, t in timings]
    if accelerators and not replicas:
        return max(estimates, key=lambda e: (e.aggregate_tokens_per_s, -e.tp))
    return estimates[0]


def _no_fit(req: InferenceRequest, platform: Platform, alternatives: Sequence[Platform]) -> str:
    """Why nothing fits, with the tp the weights would need and what would fit instead."""
    usable = platform.memory_gb * 1e9 * USABLE_MEMORY_FRACTION
    need = next(t for t in (2**i for i in range(20)) if req.weight_bytes / t < usable)
    text = (
        f"{req.shape.params / 1e9:g}B in {req.precision} ({req.concurrency or 'at least one'} stream(s) of "
        f"{req.prompt + req.output} tokens) does not fit {platform.system_id} ({usable / 1e9:.0f} GB usable per "
        "accelerator)"
    )
    if need > max(tp_options(req.shape, platform)):
        text += f": the weights alone need tp {need} but the scale-up (NVLink) domain is {platform.scale_up_domain}"
    options = ["with fp8 weights"] if req.precision != "fp8" and fits(replace(req, precision="fp8"), platform) else []
    options += [f"on {alt.system_id}" for alt in alternatives if fits(req, alt)]
    return text + (
        "; fits " + " or ".join(options) if options else "; use fewer streams per replica or shorter requests"
    )


def fits(req: InferenceRequest, platform: Platform) -> bool:
    """Whether one replica of `platform` holds the weights and at least one of the request's streams."""
    return platform.wafer or any(gpu_layout(req, platform, t, 1) for t in tp_options(req.shape, platform))


def _assumptions(
    req: InferenceRequest, platform: Platform, eff: GpuInferenceEfficiency | None = None
) -> tuple[Assumption, ...]:
    keys = ["queueing", "kv"] + (["request"] if req.prompt_tokens is None or req.output_tokens is None else [])
    keys += ["concurrency"] if req.concurrency is None else []
    keys += ["wafer-sram", "wafer-concurrency"] if platform.wafer else ["gpu-memory"]
    texts = [(f"inference-{k}", _NOTES[k]) for k in keys]
    if eff is not None:
        texts.append(
            (
                "inference-gpu-efficiency",
                f"prefill at {eff.prefill_compute:.0%} of dense peak, decode reads "
                f"at {eff.decode_bandwidth:.0%} of HBM bandwidth, {eff.all_reduce_latency_s * 1e6:g} us per "
                f"all-reduce: no GPU inference measurements in the reference (band +-{GPU_BAND_PCT:g}%)",
            )
        )
    if not platform.wafer and not platform.supports(req.precision):
        texts.append(
            (
                "inference-precision",
                f"{platform.accelerator_id} has no {req.precision} peak: weight-only "
                f"{req.precision}, compute at the bf16 peak",
            )
        )
    return tuple(Assumption(id=i, text=f"{t}.", confidence="estimate", source="refarch estimate") for i, t in texts)


def required_replicas(
    request: InferenceRequest,
    platform: Platform,
    target_output_tokens_per_s: float,
    ttft_limit_s: float | None = None,
    tp: int | None = None,
) -> ReplicaSizing:
    """Fewest accelerators, over tp options (or `tp`), whose replicas deliver the target output tokens/s within
    the TTFT limit.

    `request.concurrency` is the total streams to serve; None lets each replica hold as many as its memory allows.
    A target of 0 tokens/s asks for the fewest replicas that hold the streams.
    """
    best: ReplicaEstimate | None = None
    why = "nothing fits"
    tried: list[ReplicaEstimate] = []
    for option in [None] if platform.wafer else ([tp] if tp else tp_options(request.shape, platform)):
        try:  # one stream on one replica: does the layout fit at all, and how long is one prompt's prefill?
            probe = inference_estimate(replace(request, concurrency=1), platform, replicas=1, tp=option)
        except InfeasibleError as exc:
            why = exc.message
            continue
        if ttft_limit_s is not None and probe.ttft_s > ttft_limit_s:
            size = f"{probe.pipeline} wafers" if platform.wafer else f"tp {probe.tp}"
            why = f"one replica ({size}) takes {probe.ttft_s:.3g} s to prefill {probe.prompt_tokens} tokens, over "
            why += f"the {ttft_limit_s:g} s TTFT limit; a faster platform or a shorter prompt is needed"
            continue
        sized = _size(request, platform, option, target_output_tokens_per_s)
        tried += sized.tried
        if isinstance(sized.result, str):
            why = sized.result
        elif best is None or sized.result.accelerators < best.accelerators:
            best = sized.result
    if best is None:
        return ReplicaSizing(None, None, None, why, tried=tuple(tried))
    systems = math.ceil(best.accelerators / platform.accelerators_per_system)
    return ReplicaSizing(best.replicas, best.accelerators, systems, "meets the target", best, tuple(tried))


@dataclass(frozen=True)
class _Sized:
    """The fewest replicas at one tp (or why none), and every estimate computed to find them."""

    result: ReplicaEstimate | str
    tried: tuple[ReplicaEstimate, ...]


def _size(req: InferenceRequest, platform: Platform, tp: int | None, target: float) -> _Sized:
    """The fewest replicas at `tp` reaching `target` tokens/s (fixed total streams, or each replica full)."""
    tried: list[ReplicaEstimate] = []

    def run(replicas: int) -> ReplicaEstimate | None:
        try:
            estimate = inference_estimate(req, platform, replicas=replicas, tp=tp)
        except InfeasibleError:
            return None
        tried.append(estimate)
        return estimate

    result = _fewest_replicas(req, platform, target, run)
    return _Sized(result, tuple(tried))


def _fewest_replicas(
    req: InferenceRequest, platform: Platform, target: float, run: Callable[[int], ReplicaEstimate | None]
) -> ReplicaEstimate | str:
    """The fewest replicas `run` finds reaching `target` tokens/s, or why none does."""
    if req.concurrency is None:
        full = run(1)
        if full is None:
            return f"no stream fits beside the weights on {platform.system_id}"
        count = max(1, math.ceil(target / full.aggregate_tokens_per_s))
    else:
        fastest = run(req.concurrency)  # one stream per replica: the fastest these streams can go
        if fastest is None or fastest.aggregate_tokens_per_s < target:
            return (
                f"{req.concurrency} streams cannot reach {target:g} tokens/s even with a replica each "
                "(raise target.concurrency)"
            )
        low, high = 1, req.concurrency
        while low < high:  # aggregate grows with replicas as each replica's batch shrinks
            mid = (low + high) // 2
            got = run(mid)
            low, high = (low, mid) if got and got.aggregate_tokens_per_s >= target else (mid + 1, high)
        count = low
    return run(count) or f"{count} replicas of {platform.system_id} do not fit the request"
