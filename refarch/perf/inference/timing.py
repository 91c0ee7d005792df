"""How long one inference replica takes: prefill (compute-bound) and a decode step (memory-bandwidth-bound).

A decode step reads the weight shard and every stream's KV shard (GPU: from HBM, with two all-reduces per layer;
wafer: from SRAM at a fitted fraction of its bandwidth); prefill runs 2N + attention FLOPs per prompt token at a
fraction of the dense peak. The GPU fractions are estimates (no GPU inference measurements in the reference); the
wafer ones come from `inference_fit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.perf.inference.memory import InferenceRequest, ReplicaLayout, kv_cache_bytes
from refarch.perf.platform import Platform

__all__ = [
    "ALL_REDUCE_LATENCY_S",
    "DECODE_BANDWIDTH_FRACTION",
    "PREFILL_COMPUTE_FRACTION",
    "WAFER_BAND_FLOOR_PCT",
    "AnchorResidual",
    "GpuInferenceEfficiency",
    "ReplicaTiming",
    "WaferInferenceCalibration",
    "gpu_timing",
    "wafer_timing",
]

# Estimates (not in the reference); each is returned as an Assumption wherever it is used.
PREFILL_COMPUTE_FRACTION = 0.5  # share of the dense peak GPU prefill reaches end to end
DECODE_BANDWIDTH_FRACTION = 0.7  # share of HBM bandwidth a decode step's reads reach
ALL_REDUCE_LATENCY_S = 8e-6  # fixed cost of one small tensor-parallel all-reduce inside NVLink
WAFER_BAND_FLOOR_PCT = 35.0


@dataclass(frozen=True)
class GpuInferenceEfficiency:
    """Fractions of peak a GPU replica reaches and the latency of one all-reduce (all estimates)."""

    prefill_compute: float = PREFILL_COMPUTE_FRACTION
    decode_bandwidth: float = DECODE_BANDWIDTH_FRACTION
    all_reduce_latency_s: float = ALL_REDUCE_LATENCY_S


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
    """Share of SRAM bandwidth decode reaches (fitted to the anchors) and of peak compute (from training).

    `accelerators` are the wafers the anchors were measured on.
    """

    bandwidth_fraction: float
    compute_fraction: float
    residuals: tuple[AnchorResidual, ...] = ()
    mape_pct: float = 0.0
    band_pct: float = WAFER_BAND_FLOOR_PCT
    calibrated_on: str = ""
    accelerators: tuple[str, ...] = ()

    def covers(self, accelerator_id: str) -> bool:
        """Whether an anchor was measured on this wafer (others borrow its bandwidth fraction)."""
        return accelerator_id in self.accelerators


@dataclass(frozen=True)
class ReplicaTiming:
    """One replica's decode step and prefill (s), what bounds decode, and its compute roof in tokens/s."""

    decode_step_s: float
    prefill_s: float
    bound: str
    roof_tokens_per_s: float = math.inf


def gpu_timing(
    req: InferenceRequest, platform: Platform, lay: ReplicaLayout, eff: GpuInferenceEfficiency
) -> ReplicaTiming:
    """Decode step and prefill of one GPU replica (no compute roof beyond the step itself)."""
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
    bound = "memory bandwidth" if memory >= compute else "compute"
    return ReplicaTiming(max(memory, compute) + decode_comm, prefill, bound)


def wafer_timing(
    req: InferenceRequest, platform: Platform, lay: ReplicaLayout, cal: WaferInferenceCalibration
) -> ReplicaTiming:
    """Decode step, prefill and compute roof of one wafer replica; a token visits the wafers in turn."""
    avg = req.prompt + req.output / 2
    read = req.weight_bytes + lay.streams * kv_cache_bytes(req.shape, avg)
    memory = read / (platform.memory_bandwidth_tbps * 1e12 * cal.bandwidth_fraction)
    peak = platform.peak_flops(req.precision) * cal.compute_fraction
    compute = lay.streams * req.flops_per_token(avg) / peak
    roof = lay.pipeline * peak / req.flops_per_token(avg)  # every wafer busy once `pipeline` batches are in flight
    bound = "SRAM bandwidth" if memory >= compute else "compute"
    return ReplicaTiming(max(memory, compute), req.prefill_flops() / peak, bound, roof)
