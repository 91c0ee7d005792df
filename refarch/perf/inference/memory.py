"""What one inference replica holds: the request it serves, its weights and KV cache, and how it is laid out.

GPU: a replica is `tp` accelerators of one scale-up domain; weights and the KV cache shard by tp (KV heads
replicate once tp exceeds them). Wafer: 16-bit weights stay in SRAM over as many wafers as they need (layers
pipelined across wafers). Kept apart from timing so that the wafer anchor fit can place weights without the
estimate that depends on the fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.perf.platform import Platform
from refarch.perf.training.search import USABLE_MEMORY_FRACTION
from refarch.perf.transformer import kv_hidden
from refarch.types import ModelShape

__all__ = [
    "DEFAULT_OUTPUT_TOKENS",
    "DEFAULT_PROMPT_TOKENS",
    "KV_BYTES_PER_ELEMENT",
    "WAFER_SRAM_SHARE",
    "WEIGHT_BYTES",
    "InferenceRequest",
    "ReplicaLayout",
    "gpu_layout",
    "kv_cache_bytes",
    "tp_options",
    "wafer_layout",
    "wafers_for_weights",
]

WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
# Estimates (not in the reference); each is returned as an Assumption wherever it is used.
DEFAULT_PROMPT_TOKENS = 2048
DEFAULT_OUTPUT_TOKENS = 256
KV_BYTES_PER_ELEMENT = 2.0  # KV cache kept in 16-bit even with fp8 weights
WAFER_SRAM_SHARE = 0.95  # SRAM weights and KV may fill; >= 0.91 so 20B 16-bit weights (40 GB) fit one CS-3


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
class ReplicaLayout:
    """One replica's layout and memory: bytes are per accelerator, `streams` and `max_streams` per replica."""

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


def tp_options(shape: ModelShape, platform: Platform) -> list[int]:
    """Powers of two inside the scale-up domain that divide the attention heads."""
    return [t for t in (2**i for i in range(8)) if t <= platform.scale_up_domain and shape.heads % t == 0]


def gpu_layout(req: InferenceRequest, platform: Platform, tp: int, replicas: int) -> ReplicaLayout | None:
    """The replica layout at `tp`, or None when the request's streams do not fit beside the weights."""
    usable = platform.memory_gb * 1e9 * USABLE_MEMORY_FRACTION
    weights = req.weight_bytes / tp
    # Each accelerator holds its share of the KV heads, a whole head once tp exceeds them (GQA).
    kv = kv_cache_bytes(req.shape, req.prompt + req.output) * math.ceil(req.shape.kv_heads / tp) / req.shape.kv_heads
    most = int((usable - weights) // kv) if usable > weights else 0
    streams = math.ceil(req.concurrency / replicas) if req.concurrency else most
    return ReplicaLayout(tp, 1, replicas, streams, weights, kv, usable, most) if 1 <= streams <= most else None


def wafer_layout(req: InferenceRequest, platform: Platform, replicas: int) -> ReplicaLayout:
    """Weights decide the wafer count; the pipeline grows only when the streams' KV cache needs more SRAM."""
    usable = platform.memory_gb * 1e9 * WAFER_SRAM_SHARE
    kv = kv_cache_bytes(req.shape, req.prompt + req.output)
    wafers = wafers_for_weights(req.shape, platform, req.precision)
    room = int((wafers * usable - req.weight_bytes) // kv)
    streams = math.ceil(req.concurrency / replicas) if req.concurrency else max(1, room)
    wafers = max(wafers, math.ceil((req.weight_bytes + streams * kv) / usable))
    most = int((wafers * usable - req.weight_bytes) // kv)
    return ReplicaLayout(1, wafers, replicas, streams, req.weight_bytes / wafers, kv / wafers, usable, most)
