"""LLM inference on GPUs and wafers: prefill (compute-bound), decode (memory-bandwidth-bound), KV cache, sizing.

GPU: a replica is `tp` accelerators of one scale-up domain; weights and the KV cache shard by tp (KV heads
replicate once tp exceeds them). A decode step reads the weight shard and every stream's KV shard from HBM, with
two all-reduces per layer; prefill runs 2N + attention FLOPs per prompt token at a fraction of the dense peak.
Wafer: 16-bit weights stay in SRAM over as many wafers as they need (layers pipelined across wafers); decode reads
them at a fraction of the SRAM bandwidth fitted to the reference's single-stream anchors. The reference has no GPU
inference measurements and no wafer throughput under concurrency: both are estimates with wide bands.
Queueing is not modelled: TTFT is one prompt's prefill on an idle replica.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from refarch.catalog import Catalog, load_catalog
from refarch.catalog_models import LlmModel
from refarch.errors import InfeasibleError
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.search import USABLE_MEMORY_FRACTION
from refarch.perf.transformer import kv_hidden
from refarch.perf.wafer import default_wafer_calibration
from refarch.plan import Assumption, Confidence, ModelShape

__all__ = [
    "WEIGHT_BYTES",
    "AnchorResidual",
    "GpuInferenceEfficiency",
    "InferenceAnchor",
    "InferenceEstimate",
    "InferenceRequest",
    "ReplicaSizing",
    "WaferInferenceCalibration",
    "default_wafer_inference_calibration",
    "fit_wafer_inference",
    "inference_estimate",
    "kv_cache_bytes",
    "reference_anchors",
    "required_replicas",
    "wafers_for_weights",
]

WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
# Reference anchors (performance.md, P, launch August 2024): single-stream output tokens/s, 16-bit weights in SRAM.
# Llama 3.1 has Llama 3's dimensions, so the llama3 presets stand in.
ANCHORS = (("llama3.1-8b", "llama3-8b", 1, 1800.0), ("llama3.1-70b", "llama3-70b", 4, 450.0))
ANCHOR_SYSTEM = "cs-3"
# Estimates (not in the reference); each is returned as an Assumption wherever it is used.
DEFAULT_PROMPT_TOKENS = 2048
DEFAULT_OUTPUT_TOKENS = 256
KV_BYTES_PER_ELEMENT = 2.0  # KV cache kept in 16-bit even with fp8 weights
PREFILL_COMPUTE_FRACTION = 0.5  # share of the dense peak GPU prefill reaches end to end
DECODE_BANDWIDTH_FRACTION = 0.7  # share of HBM bandwidth a decode step's reads reach
ALL_REDUCE_LATENCY_S = 8e-6  # fixed cost of one small tensor-parallel all-reduce inside NVLink
GPU_BAND_PCT = 35.0  # no GPU inference measurements to fit: a wide band
WAFER_SRAM_SHARE = 0.95  # SRAM weights and KV may fill; >= 0.91 so 20B 16-bit weights (40 GB) fit one CS-3
WAFER_BAND_FLOOR_PCT = 35.0
_NOTES = {
    "queueing": "TTFT is one prompt's prefill on an idle replica: queueing and prefill/decode interference are "
    "not modelled; aggregate tokens/s charges each batch its prompts' prefill",
    "request": f"requests of {DEFAULT_PROMPT_TOKENS} prompt and {DEFAULT_OUTPUT_TOKENS} output tokens where not given",
    "kv": f"KV cache in {KV_BYTES_PER_ELEMENT:g}-byte elements whatever the weight precision",
    "gpu-memory": f"{USABLE_MEMORY_FRACTION:.0%} of HBM holds weights and KV cache",
    "wafer-sram": f"weights and KV cache fill up to {WAFER_SRAM_SHARE:.0%} of each wafer's SRAM (so that 20B "
    "16-bit weights fit one CS-3, as the vendor says); layers are pipelined across wafers",
    "wafer-concurrency": "aggregate tokens/s under concurrency is per-stream speed times streams, capped by the "
    "wafers' compute and by the KV cache SRAM holds: no such measurement is published",
}


@dataclass(frozen=True)
class InferenceRequest:
    """What is served: model, weight precision, streams in flight (None: as many as memory holds), request size."""

    shape: ModelShape
    precision: str = "bf16"
    concurrency: int | None = 1
    prompt_tokens: int | None = None
    output_tokens: int | None = None

    @property
    def prompt(self) -> int:
        """Prompt tokens per request (default an estimate)."""
        return self.prompt_tokens or DEFAULT_PROMPT_TOKENS

    @property
    def output(self) -> int:
        """Output tokens per request (default an estimate)."""
        return self.output_tokens or DEFAULT_OUTPUT_TOKENS

    @property
    def weight_bytes(self) -> float:
        """All weights at the request's precision."""
        return self.shape.params * WEIGHT_BYTES[self.precision]

    def flops_per_token(self, context: float) -> float:
        """Forward FLOPs of one token attending to `context` tokens: 2N + 4 L c h (QK^T and AV)."""
        return 2 * self.shape.params + 4 * self.shape.layers * context * self.shape.hidden

    def prefill_flops(self) -> float:
        """FLOPs of one prompt; causal attention sees half the prompt on average."""
        return self.prompt * self.flops_per_token(self.prompt / 2)


@dataclass(frozen=True)
class GpuInferenceEfficiency:
    """Fractions of peak a GPU replica reaches and the latency of one all-reduce (all estimates)."""

    prefill_compute: float = PREFILL_COMPUTE_FRACTION
    decode_bandwidth: float = DECODE_BANDWIDTH_FRACTION
    all_reduce_latency_s: float = ALL_REDUCE_LATENCY_S


@dataclass(frozen=True)
class InferenceAnchor:
    """A published single-stream figure: `shape` on `systems` x `platform` at `tokens_per_s`."""

    id: str
    shape: ModelShape
    platform: Platform
    systems: int
    tokens_per_s: float


@dataclass(frozen=True)
class AnchorResidual:
    """Predicted against published tokens/s, and the wafers the model placed the weights on."""

    id: str
    measured: float
    predicted: float
    wafers: int

    @property
    def error(self) -> float:
        """Signed relative error, predicted / measured - 1."""
        return self.predicted / self.measured - 1


@dataclass(frozen=True)
class WaferInferenceCalibration:
    """Share of SRAM bandwidth decode reaches (fitted to the anchors) and of peak compute (from training)."""

    bandwidth_fraction: float
    compute_fraction: float
    residuals: tuple[AnchorResidual, ...] = ()
    mape_pct: float = 0.0
    band_pct: float = WAFER_BAND_FLOOR_PCT
    calibrated_on: str = ""


@dataclass(frozen=True)
class InferenceEstimate:
    """A serving configuration and what it delivers; bytes are per accelerator unless named per stream.

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
    """Replicas an inference target needs, or None with the reason when no replica can meet it."""

    replicas: int | None
    accelerators: int | None
    systems: int | None
    reason: str
    estimate: InferenceEstimate | None = None


@dataclass(frozen=True)
class _Layout:
    """One replica's layout and memory: bytes are per accelerator, `max_streams` per replica."""

    tp: int
    pipeline: int
    replicas: int
    streams: int
    weights: float
    kv_per_stream: float
    usable: float
    max_streams: int


def kv_cache_bytes(shape: ModelShape, context: float, bytes_per_element: float = KV_BYTES_PER_ELEMENT) -> float:
    """KV cache of one stream: 2 (K and V) x layers x kv_hidden x context x bytes per element."""
    return 2 * shape.layers * kv_hidden(shape) * context * bytes_per_element


def wafers_for_weights(shape: ModelShape, platform: Platform, precision: str = "bf16") -> int:
    """Wafers the weights alone need at WAFER_SRAM_SHARE of each wafer's SRAM (the vendor's placement rule)."""
    return math.ceil(shape.params * WEIGHT_BYTES[precision] / (platform.memory_gb * 1e9 * WAFER_SRAM_SHARE))


def _tp_options(shape: ModelShape, platform: Platform) -> list[int]:
    """Powers of two inside the scale-up domain that divide the attention heads."""
    return [t for t in (2**i for i in range(8)) if t <= platform.scale_up_domain and shape.heads % t == 0]


def _gpu_layout(req: InferenceRequest, platform: Platform, tp: int, replicas: int) -> _Layout | None:
    """The replica layout at `tp`, or None when the request's streams do not fit beside the weights."""
    usable = platform.memory_gb * 1e9 * USABLE_MEMORY_FRACTION
    weights = req.weight_bytes / tp
    # Each accelerator holds its share of the KV heads, a whole head once tp exceeds them (GQA).
    kv = kv_cache_bytes(req.shape, req.prompt + req.output) * math.ceil(req.shape.kv_heads / tp) / req.shape.kv_heads
    most = int((usable - weights) // kv) if usable > weights else 0
    streams = math.ceil(req.concurrency / replicas) if req.concurrency else most
    return _Layout(tp, 1, replicas, streams, weights, kv, usable, most) if 1 <= streams <= most else None


def _wafer_layout(req: InferenceRequest, platform: Platform, replicas: int) -> _Layout:
    """Weights decide the wafer count; the pipeline grows only when the streams' KV cache needs more SRAM."""
    usable = platform.memory_gb * 1e9 * WAFER_SRAM_SHARE
    kv = kv_cache_bytes(req.shape, req.prompt + req.output)
    wafers = wafers_for_weights(req.shape, platform, req.precision)
    room = int((wafers * usable - req.weight_bytes) // kv)
    streams = math.ceil(req.concurrency / replicas) if req.concurrency else max(1, room)
    wafers = max(wafers, math.ceil((req.weight_bytes + streams * kv) / usable))
    most = int((wafers * usable - req.weight_bytes) // kv)
    return _Layout(1, wafers, replicas, streams, req.weight_bytes / wafers, kv / wafers, usable, most)


def _gpu_timing(
    req: InferenceRequest, platform: Platform, lay: _Layout, eff: GpuInferenceEfficiency
) -> tuple[float, float, str]:
    """(decode step s, prefill s, what bounds decode) of one replica."""
    avg = req.prompt + req.output / 2
    read = lay.weights + lay.streams * lay.kv_per_stream * avg / (req.prompt + req.output)
    memory = read / (platform.memory_bandwidth_tbps * 1e12 * eff.decode_bandwidth)
    peak = lay.tp * platform.peak_flops(req.precision) * eff.prefill_compute
    compute = lay.streams * req.flops_per_token(avg) / peak
    # Two all-reduces of the 16-bit hidden activations per layer: a fixed latency plus the ring's traffic.
    ring = 2 * (lay.tp - 1) / lay.tp / (platform.scale_up_gbps * 1e9) if lay.tp > 1 else 0.0
    calls = 2 * req.shape.layers if lay.tp > 1 else 0
    decode_comm = calls * (eff.all_reduce_latency_s + ring * lay.streams * req.shape.hidden * 2)
    prefill = req.prefill_flops() / peak + calls * (eff.all_reduce_latency_s + ring * req.prompt * req.shape.hidden * 2)
    return max(memory, compute) + decode_comm, prefill, "memory bandwidth" if memory >= compute else "compute"


def _wafer_timing(
    req: InferenceRequest, platform: Platform, lay: _Layout, cal: WaferInferenceCalibration
) -> tuple[float, float, str, float]:
    """(decode step s, prefill s, bound, compute roof in tokens/s) of one replica; a token visits wafers in turn."""
    avg = req.prompt + req.output / 2
    read = req.weight_bytes + lay.streams * kv_cache_bytes(req.shape, avg)
    memory = read / (platform.memory_bandwidth_tbps * 1e12 * cal.bandwidth_fraction)
    peak = platform.peak_flops(req.precision) * cal.compute_fraction
    compute = lay.streams * req.flops_per_token(avg) / peak
    roof = lay.pipeline * peak / req.flops_per_token(avg)  # every wafer busy once `pipeline` batches are in flight
    return max(memory, compute), req.prefill_flops() / peak, "SRAM bandwidth" if memory >= compute else "compute", roof


def _record(
    req: InferenceRequest,
    platform: Platform,
    lay: _Layout,
    timing: tuple[float, float, str, float],
    band: float,
    calibrated_on: str,
    notes: tuple[Assumption, ...],
) -> InferenceEstimate:
    step, prefill, bound, roof = timing
    total = req.concurrency or lay.streams * lay.replicas
    # Each batch decodes its outputs, then prefills the next prompts (no chunked-prefill overlap credited).
    per_replica = lay.streams * req.output / (req.output * step + lay.streams * prefill)
    aggregate = min(per_replica * min(lay.replicas, total / lay.streams), roof * lay.replicas)
    return InferenceEstimate(
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
        bound,
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
) -> InferenceEstimate:
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
        lay = _wafer_layout(request, platform, replicas or max(1, (accelerators or size) // size))
        timing = _wafer_timing(request, platform, lay, cal)
        return _record(request, platform, lay, timing, cal.band_pct, cal.calibrated_on, _assumptions(request, platform))
    eff = efficiency or GpuInferenceEfficiency()
    allowed = _tp_options(request.shape, platform)
    if tp is not None and tp not in allowed:
        raise InfeasibleError(f"tp {tp} is not one of {allowed} on {platform.system_id} ({request.shape.heads} heads)")
    candidates = [t for t in ([tp] if tp else allowed) if (accelerators or t) >= t]
    layouts = [x for t in candidates if (x := _gpu_layout(request, platform, t, replicas or (accelerators or t) // t))]
    if not layouts:
        raise InfeasibleError(_no_fit(request, platform, alternatives))
    note, notes = "uncalibrated: the reference has no GPU inference measurements", _assumptions(request, platform, eff)
    timings = [(lay, (*_gpu_timing(request, platform, lay, eff), math.inf)) for lay in layouts]
    estimates = [_record(request, platform, lay, t, GPU_BAND_PCT, note, notes) for lay, t in timings]
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
    if need > max(_tp_options(req.shape, platform)):
        text += f": the weights alone need tp {need} but the scale-up (NVLink) domain is {platform.scale_up_domain}"
    options = ["with fp8 weights"] if req.precision != "fp8" and _fits(replace(req, precision="fp8"), platform) else []
    options += [f"on {alt.system_id}" for alt in alternatives if _fits(req, alt)]
    return text + (
        "; fits " + " or ".join(options) if options else "; use fewer streams per replica or shorter requests"
    )


def _fits(req: InferenceRequest, platform: Platform) -> bool:
    return platform.wafer or any(_gpu_layout(req, platform, t, 1) for t in _tp_options(req.shape, platform))


def _assumptions(
    req: InferenceRequest, platform: Platform, eff: GpuInferenceEfficiency | None = None
) -> tuple[Assumption, ...]:
    keys = ["queueing", "kv"] + (["request"] if req.prompt_tokens is None or req.output_tokens is None else [])
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
    return tuple(Assumption(id=i, text=t, confidence="estimate", source="refarch estimate") for i, t in texts)


def reference_anchors(catalog: Catalog) -> list[InferenceAnchor]:
    """The reference's single-stream CS-3 figures with the catalog's model presets and platform."""
    platform = platform_from_catalog(catalog, ANCHOR_SYSTEM)
    fields = ("params", "layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len")
    anchors = []
    for anchor_id, preset, systems, value in ANCHORS:
        model = catalog.get(preset, LlmModel)
        shape = ModelShape(preset=preset, **{f: getattr(model, f) for f in fields})
        anchors.append(InferenceAnchor(anchor_id, shape, platform, systems, value))
    return anchors


def fit_wafer_inference(anchors: Sequence[InferenceAnchor], compute_fraction: float) -> WaferInferenceCalibration:
    """Fit one SRAM-bandwidth fraction to single-stream anchors (log least squares) and report the residuals."""

    def predict(fraction: float) -> list[AnchorResidual]:
        cal = WaferInferenceCalibration(fraction, compute_fraction)
        out = []
        for a in anchors:
            est = inference_estimate(InferenceRequest(a.shape), a.platform, replicas=1, wafer_calibration=cal)
            out.append(AnchorResidual(a.id, a.tokens_per_s, est.per_stream_tokens_per_s, est.pipeline))
        return out

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.asarray([math.log(r.predicted / r.measured) for r in predict(float(x[0]))])

    fraction = float(least_squares(residuals, [0.01], bounds=([1e-6], [1.0]), x_scale="jac").x[0])
    fitted = tuple(predict(fraction))
    errors = [abs(r.error) * 100 for r in fitted]
    names = ", ".join(f"{a.id} {a.tokens_per_s:g} tok/s on {a.systems} x {a.platform.system_id}" for a in anchors)
    return WaferInferenceCalibration(
        fraction,
        compute_fraction,
        fitted,
        float(np.mean(errors)),
        max(max(errors), WAFER_BAND_FLOOR_PCT),
        f"{len(anchors)} single-stream vendor anchors ({names}): one parameter; no concurrency data published",
    )


@functools.lru_cache(maxsize=1)
def default_wafer_inference_calibration() -> WaferInferenceCalibration:
    """The fit to the reference anchors; prefill and the compute roof use the wafer training compute fraction."""
    return fit_wafer_inference(reference_anchors(load_catalog()), default_wafer_calibration().compute_fraction)


def required_replicas(
    request: InferenceRequest, platform: Platform, target_output_tokens_per_s: float, ttft_limit_s: float | None = None
) -> ReplicaSizing:
    """Fewest accelerators, over tp options, whose replicas deliver the target output tokens/s within the TTFT limit.

    `request.concurrency` is the total streams to serve; None lets each replica hold as many as its memory allows.
    """
    best: InferenceEstimate | None = None
    why = "nothing fits"
    for tp in [None] if platform.wafer else _tp_options(request.shape, platform):
        try:  # one stream on one replica: does the layout fit at all, and how long is one prompt's prefill?
            probe = inference_estimate(replace(request, concurrency=1), platform, replicas=1, tp=tp)
        except InfeasibleError as exc:
            why = exc.message
            continue
        if ttft_limit_s is not None and probe.ttft_s > ttft_limit_s:
            size = f"{probe.pipeline} wafers" if platform.wafer else f"tp {probe.tp}"
            why = f"one replica ({size}) takes {probe.ttft_s:.3g} s to prefill {probe.prompt_tokens} tokens, over "
            why += f"the {ttft_limit_s:g} s TTFT limit; a faster platform or a shorter prompt is needed"
            continue
        sized = _size(request, platform, tp, target_output_tokens_per_s)
        if isinstance(sized, str):
            why = sized
        elif best is None or sized.accelerators < best.accelerators:
            best = sized
    if best is None:
        return ReplicaSizing(None, None, None, why)
    systems = math.ceil(best.accelerators / platform.accelerators_per_system)
    return ReplicaSizing(best.replicas, best.accelerators, systems, "meets the target", best)


def _size(req: InferenceRequest, platform: Platform, tp: int | None, target: float) -> InferenceEstimate | str:
    """The fewest replicas at `tp` reaching `target` tokens/s (fixed total streams, or each replica full)."""

    def run(replicas: int) -> InferenceEstimate | None:
        try:
            return inference_estimate(req, platform, replicas=replicas, tp=tp)
        except InfeasibleError:
            return None

    if req.concurrency is None:
        full = run(1)
        if full is None:
            return f"no stream fits beside the weights on {platform.system_id}"
        count = math.ceil(target / full.aggregate_tokens_per_s)
    else:
        fastest = run(req.concurrency)  # one stream per replica: the fastest these streams can go
        if fastest is None or fastest.aggregate_tokens_per_s < target:
            return f"{req.concurrency} streams cannot reach {target:g} tokens/s even with a replica each: allow more"
        low, high = 1, req.concurrency
        while low < high:  # aggregate grows with replicas as each replica's batch shrinks
            mid = (low + high) // 2
            got = run(mid)
            low, high = (low, mid) if got and got.aggregate_tokens_per_s >= target else (mid + 1, high)
        count = low
    return run(count) or f"{count} replicas of {platform.system_id} do not fit the request"
