"""Step time of one training step on a GPU platform under a fixed layout (pure functions).

The step is the pipeline's micro-batches on the most loaded stage, plus the data-parallel gradient exchange that
compute could not hide, plus the optimizer update. Each micro-batch costs its matrix FLOPs at a calibrated
fraction of the dense peak, memory-bound work (normalisation, activation functions, casts) that scales with
activation bytes over HBM bandwidth, and the exposed part of its tensor, context and pipeline communication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.perf.platform import Platform
from refarch.perf.transformer import (
    ACTIVATION_BYTES_PER_HIDDEN,
    Layout,
    kv_hidden,
    model_flops_per_token,
    stage_attention_flops_per_token,
    stage_forward_flops_per_token,
    stage_layers,
    stage_params,
)
from refarch.types import ModelShape

__all__ = ["SHARED_PARAMETERS", "Efficiency", "StepTime", "TrainingJob", "step_time"]


@dataclass(frozen=True)
class Efficiency:
    """Calibrated parameters for one accelerator family.

    gemm: fraction of the dense peak matrix multiplies reach. memory_traffic: memory-bound bytes moved per
    stored activation byte. comm_exposed: share of tensor/context/pipeline communication not hidden behind
    compute. dp_overlap: share of the overlappable compute window that hides data-parallel communication.
    """

    gemm: float
    memory_traffic: float
    comm_exposed: float
    dp_overlap: float
    gemm_half_width: float = 0.0

    def gemm_fraction(self, width: float) -> float:
        """Fraction of peak for matrices `width` wide per accelerator: narrow shards fill the GPU less well."""
        return self.gemm * width / (width + self.gemm_half_width)


# Parameters fitted once for all families (the per-family ones are `gemm` and `comm_exposed`).
SHARED_PARAMETERS = ("memory_traffic", "dp_overlap", "gemm_half_width")


@dataclass(frozen=True)
class TrainingJob:
    """What is trained and how: model, global batch in sequences, precision, and the scale-out network's shape.

    `oversubscription` is the leaves' downlink:uplink ratio. `unit_accelerators` are the accelerators of one
    scalable unit: a rail-optimized unit puts NIC i of every system under leaf i, so scale-out traffic among them
    (peers of the same rail) never climbs the oversubscribed uplinks. 0 when the fabric is unknown: then the
    oversubscription slows all scale-out traffic.
    """

    shape: ModelShape
    global_batch_seqs: int
    precision: str
    oversubscription: float = 1.0
    unit_accelerators: int = 0


@dataclass(frozen=True)
class StepTime:
    """One step's time by part (seconds) and the throughput it implies."""

    compute_s: float
    memory_s: float
    comm_s: float
    bubble_s: float
    dp_exposed_s: float
    optimizer_s: float
    micro_batches: int
    tokens_per_step: float
    accelerators: int
    model_flops_per_token: float
    peak_flops: float

    @property
    def step_s(self) -> float:
        """Wall time of one step."""
        return self.compute_s + self.memory_s + self.comm_s + self.bubble_s + self.dp_exposed_s + self.optimizer_s

    @property
    def tokens_per_second(self) -> float:
        """Trained tokens per second over the whole job."""
        return self.tokens_per_step / self.step_s

    @property
    def model_flops_per_accelerator(self) -> float:
        """Model FLOP/s per accelerator (6N + attention, no recompute)."""
        return self.model_flops_per_token * self.tokens_per_second / self.accelerators

    @property
    def mfu(self) -> float:
        """Model FLOPs utilisation against the dense peak of the precision."""
        return self.model_flops_per_accelerator / self.peak_flops


def step_time(job: TrainingJob, platform: Platform, layout: Layout, efficiency: Efficiency) -> StepTime:
    """Time one training step of `job` on `platform` with `layout`."""
    shape = job.shape
    micro_batches = max(1, math.ceil(job.global_batch_seqs / (layout.dp * layout.micro_batch)))
    tokens_mb = layout.micro_batch * shape.seq_len
    passes = 3 + layout.recompute  # forward + backward (2x forward); recomputed layers add a forward
    peak = platform.peak_flops(job.precision)
    per_gpu_tokens = tokens_mb / (layout.tp * layout.cp)
    attention_flops = stage_attention_flops_per_token(shape, layout)
    linear_flops = stage_forward_flops_per_token(shape, layout) - attention_flops
    gemm = (
        per_gpu_tokens
        * passes
        * (
            linear_flops / (peak * efficiency.gemm_fraction(shape.hidden / layout.tp))
            # Attention kernels run in 16 bits even in FP8 recipes (Transformer Engine keeps them in BF16).
            + attention_flops / (platform.peak_flops("bf16") * efficiency.gemm)
        )
    )
    activation_bytes = ACTIVATION_BYTES_PER_HIDDEN * shape.hidden * per_gpu_tokens * stage_layers(shape, layout)
    memory = efficiency.memory_traffic * activation_bytes * passes / 3 / (platform.memory_bandwidth_tbps * 1e12)
    comm = efficiency.comm_exposed * _micro_batch_comm_s(job, platform, layout)
    micro = gemm + memory + comm
    fill = (layout.pp - 1) / layout.virtual_stages
    dp_total = _dp_comm_s(job, platform, layout, micro_batches)
    window = micro * (micro_batches + fill) if layout.zero >= 3 else micro
    dp_exposed = max(0.0, dp_total - efficiency.dp_overlap * window)
    return StepTime(
        compute_s=gemm * micro_batches,
        memory_s=memory * micro_batches,
        comm_s=comm * micro_batches,
        bubble_s=micro * fill,
        dp_exposed_s=dp_exposed,
        optimizer_s=_optimizer_s(job, platform, layout),
        micro_batches=micro_batches,
        tokens_per_step=float(micro_batches * layout.micro_batch * layout.dp * shape.seq_len),
        accelerators=layout.accelerators,
        model_flops_per_token=model_flops_per_token(shape),
        peak_flops=peak,
    )


def _link_gbps(platform: Platform, group: int, job: TrainingJob) -> float:
    """Per-accelerator bandwidth (GB/s) for a group of `group` consecutive ranks: scale-up if it fits in one domain,
    the NICs' full rate inside one scalable unit, the oversubscribed rate beyond it."""
    if group <= platform.scale_up_domain:
        return platform.scale_up_gbps
    if group <= job.unit_accelerators:
        return platform.network_gbps
    return platform.network_gbps / job.oversubscription


def _micro_batch_comm_s(job: TrainingJob, platform: Platform, layout: Layout) -> float:
    """Tensor, context and pipeline communication of one micro-batch on the most loaded stage, before overlap."""
    shape = job.shape
    tokens = layout.micro_batch * shape.seq_len / layout.cp
    layers = stage_layers(shape, layout)
    passes = 3 + layout.recompute
    total = 0.0
    if layout.tp > 1:
        # Two all-reduces (as reduce-scatter + all-gather) per layer per forward pass; the backward repeats them.
        ring = 2 * (layout.tp - 1) / layout.tp
        volume = (passes - 1) * 2 * ring * 2 * tokens * shape.hidden * layers
        total += volume / (_link_gbps(platform, layout.tp, job) * 1e9)
    if layout.cp > 1:
        # Ring attention passes every other rank's keys and values (forward) and their gradients (backward).
        kv_bytes = 2 * 2 * tokens * kv_hidden(shape) / layout.tp
        volume = (layout.cp - 1) * kv_bytes * passes * layers
        total += volume / (_link_gbps(platform, layout.tp * layout.cp, job) * 1e9)
    if layout.pp > 1:
        boundary = 2 * tokens * shape.hidden / layout.tp
        volume = 2 * boundary * layout.virtual_stages
        total += volume / (_link_gbps(platform, layout.tp * layout.cp * layout.pp, job) * 1e9)
    return total


def _dp_comm_s(job: TrainingJob, platform: Platform, layout: Layout, micro_batches: int) -> float:
    """Data-parallel exchange per step: gradient reduce plus parameter gather (per micro-batch under FSDP)."""
    if layout.dp == 1:
        return 0.0
    ring = (layout.dp - 1) / layout.dp
    params = stage_params(job.shape, layout)
    exchanges = 2 * micro_batches + 1 if layout.zero >= 3 else 2
    volume = exchanges * ring * 2 * params
    return volume / (_link_gbps(platform, layout.accelerators, job) * 1e9)


def _optimizer_s(job: TrainingJob, platform: Platform, layout: Layout) -> float:
    """Adam update: read gradients and weights, read and write fp32 states (sharded by the distributed optimizer)."""
    params = stage_params(job.shape, layout)
    shard = layout.dp if layout.zero >= 1 else 1
    moved = params * (6 + 24 / shard)
    return moved / (platform.memory_bandwidth_tbps * 1e12)
