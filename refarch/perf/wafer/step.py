"""One weight-streaming training step on Cerebras CS-2/CS-3 wafers, and the parameters it is calibrated with.

Weights and Adam states live off-wafer in MemoryX. Each step streams every layer's weights through the system I/O
onto the wafer, which keeps activations in SRAM, and streams gradients back; systems train data-parallel through
SwarmX. Per system and step:

    step = fixed x (reference peak / peak) + micro_batches x stream bytes / (system I/O x io_efficiency)
           + model FLOPs / (peak x compute_fraction)

The step model is its own module so that the fit (`wafer_fit`) and the estimate (`wafer`) share it without
importing each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from refarch.errors import InfeasibleError
from refarch.perf.calibration.file import BORROWED_BAND_FACTOR
from refarch.perf.platform import Platform
from refarch.perf.transformer import ACTIVATION_BYTES_PER_HIDDEN, layer_params, model_flops_per_token
from refarch.types import ModelShape

__all__ = [
    "ADAM_BYTES_PER_PARAM",
    "BAND_FLOOR_PCT",
    "CHECKPOINT_BYTES_PER_HIDDEN",
    "LAYER_BUFFER_BYTES_PER_PARAM",
    "SRAM_USABLE_FRACTION",
    "STREAM_BYTES_PER_PARAM",
    "SWARMX_SCALING_EFFICIENCY",
    "StepParts",
    "WaferCalibration",
    "WaferResidual",
    "activation_bytes_per_token",
    "layer_buffer_bytes",
    "sram_budget_bytes",
    "step_parts",
]

ADAM_BYTES_PER_PARAM = 16.0  # reference: mixed-precision Adam, weights + optimizer states
# Estimates (not in the reference); each is returned as an Assumption wherever it is used.
STREAM_BYTES_PER_PARAM = 6.0  # bf16 weights in for forward and again for backward, bf16 gradients out
CHECKPOINT_BYTES_PER_HIDDEN = 2.0  # per token per layer: the bf16 layer input kept for backward (checkpointing)
SRAM_USABLE_FRACTION = 0.9  # SRAM left for tensors after kernels, routing and I/O buffers
LAYER_BUFFER_BYTES_PER_PARAM = 8.0  # streamed layer, double-buffered: 2 x (bf16 weights + bf16 gradients)
SWARMX_SCALING_EFFICIENCY = 0.95  # Andromeda's "near-perfect linear scaling" 1-16 systems is a vendor claim
BAND_FLOOR_PCT = 30.0  # floor on the band: 5 fitted points from a shared testbed cannot pin the error down


@dataclass(frozen=True)
class WaferResidual:
    """Predicted against measured samples/s for one run; `fitted` False for checks kept out of the fit."""

    id: str
    measured: float
    predicted: float
    fitted: bool
    note: str = ""

    @property
    def error(self) -> float:
        """Signed relative error, predicted / measured - 1."""
        return self.predicted / self.measured - 1


@dataclass(frozen=True)
class WaferCalibration:
    """Fitted wafer training parameters, their error and what they were fitted on.

    compute_fraction: share of the dense peak the wafer's matrix work reaches. fixed_step_s: per-step overhead on
    the reference system (peak `reference_peak_flops`), scaled by peak on others. io_efficiency: share of the
    nominal system I/O the weight stream achieves. scaling_efficiency: share of linear scaling over SwarmX (not
    fitted: every run is one system). `accelerators` are the wafers the fitted runs used.
    """

    compute_fraction: float
    fixed_step_s: float
    io_efficiency: float
    reference_peak_flops: float
    scaling_efficiency: float = SWARMX_SCALING_EFFICIENCY
    residuals: tuple[WaferResidual, ...] = ()
    checks: tuple[WaferResidual, ...] = ()
    skipped: tuple[str, ...] = ()
    parameter_stderr: dict[str, float] = field(default_factory=dict)
    mape_pct: float = 0.0
    max_error_pct: float = 0.0
    loo_mape_pct: float = 0.0
    band_pct: float = BAND_FLOOR_PCT
    calibrated_on: str = ""
    accelerators: tuple[str, ...] = ()

    def covers(self, accelerator_id: str) -> bool:
        """Whether fitted runs measured this wafer (others are extrapolated by peak and I/O)."""
        return accelerator_id in self.accelerators

    def band_pct_for(self, accelerator_id: str) -> float:
        """The band for estimates on `accelerator_id`: widened, as for GPU families without data, when unmeasured."""
        return self.band_pct if self.covers(accelerator_id) else self.band_pct * BORROWED_BAND_FACTOR

    def calibrated_on_for(self, accelerator_id: str) -> str:
        """`calibrated_on`, saying so when `accelerator_id` was not among the fitted runs."""
        if self.covers(accelerator_id):
            return self.calibrated_on
        measured = ", ".join(self.accelerators) or "no wafer"
        return (
            f"{self.calibrated_on} (no {accelerator_id} runs: the {measured} fit with compute and fixed cost scaled "
            f"by the peak, band widened {BORROWED_BAND_FACTOR:g}x)"
        )


@dataclass(frozen=True)
class StepParts:
    """One system's share of a step: its sequences, how they are micro-batched, and the time of each part (s)."""

    seqs_per_system: int
    micro_batches: int
    micro_batch_seqs: int
    fixed_s: float
    stream_s: float
    compute_s: float

    def step_s(self, systems: int, scaling_efficiency: float) -> float:
        """The step time of `systems` data-parallel systems (SwarmX scaling applies beyond one)."""
        return (self.fixed_s + self.stream_s + self.compute_s) / (scaling_efficiency if systems > 1 else 1.0)


def sram_budget_bytes(shape: ModelShape, platform: Platform) -> float:
    """SRAM left for activations: the usable share less the streamed layer's double-buffered weights."""
    return platform.memory_gb * 1e9 * SRAM_USABLE_FRACTION - layer_buffer_bytes(shape)


def layer_buffer_bytes(shape: ModelShape) -> float:
    """SRAM the streamed layer takes: its weights and gradients, double-buffered."""
    return LAYER_BUFFER_BYTES_PER_PARAM * layer_params(shape)


def activation_bytes_per_token(shape: ModelShape) -> float:
    """On-wafer activation bytes per token: checkpointed layer inputs plus one layer's full working set."""
    return shape.hidden * (shape.layers * CHECKPOINT_BYTES_PER_HIDDEN + ACTIVATION_BYTES_PER_HIDDEN)


def _micro_batching(shape: ModelShape, platform: Platform, seqs: int) -> tuple[int, int]:
    """(micro-batches, sequences per micro-batch) for `seqs` sequences on one wafer.

    Raises:
        InfeasibleError: not even one sequence's activations fit in SRAM; names the longest sequence that does.
    """
    budget = sram_budget_bytes(shape, platform)
    per_token = activation_bytes_per_token(shape)
    fit_seqs = math.floor(max(budget, 0.0) / (per_token * shape.seq_len))
    if fit_seqs < 1:
        longest = math.floor(max(budget, 0.0) / per_token)
        raise InfeasibleError(
            f"one sequence of {shape.seq_len} tokens needs {per_token * shape.seq_len / 1e9:.1f} GB of on-wafer "
            f"activations but {platform.system_id} has {max(budget, 0.0) / 1e9:.1f} GB for them",
            hint=f"the longest sequence that fits is {longest} tokens"
            if longest
            else "one layer's streamed weights alone exceed the SRAM",
        )
    micro_batches = math.ceil(seqs / fit_seqs)
    return micro_batches, math.ceil(seqs / micro_batches)


def _io_bytes_per_s(platform: Platform) -> float:
    """System I/O from the catalog's compute ports (12 x 100 GbE = 150 GB/s on CS-2; CS-3 inherits it)."""
    return platform.network_gbps * platform.accelerators_per_system * 1e9


def step_parts(shape: ModelShape, platform: Platform, systems: int, batch: int, cal: WaferCalibration) -> StepParts:
    """The parts of one step of `batch` sequences over `systems` x `platform`.

    Raises:
        InfeasibleError: one sequence's activations do not fit in SRAM.
    """
    seqs = math.ceil(batch / systems)
    micro_batches, micro_seqs = _micro_batching(shape, platform, seqs)
    peak = platform.peak_flops("bf16")
    fixed = cal.fixed_step_s * cal.reference_peak_flops / peak
    stream = micro_batches * STREAM_BYTES_PER_PARAM * shape.params / (_io_bytes_per_s(platform) * cal.io_efficiency)
    compute = seqs * shape.seq_len * model_flops_per_token(shape) / (peak * cal.compute_fraction)
    return StepParts(seqs, micro_batches, micro_seqs, fixed, stream, compute)
