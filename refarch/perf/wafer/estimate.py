"""Wafer-scale (Cerebras CS-2/CS-3) training in weight-streaming mode: one step, SRAM and MemoryX fit, assumptions.

The step model is in `wafer_step`, its calibration on the ALCF CS-2 runs in `wafer_fit`; this module checks that
the job fits (activations in SRAM, weights and Adam states in MemoryX) and says which figures the estimate rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Server, System
from refarch.errors import InfeasibleError
from refarch.perf.platform import Platform
from refarch.perf.transformer import ACTIVATION_BYTES_PER_HIDDEN, model_flops_per_token
from refarch.perf.wafer.fit import DEFAULT_DATA, default_wafer_calibration, shipped_catalog
from refarch.perf.wafer.step import (
    ADAM_BYTES_PER_PARAM,
    CHECKPOINT_BYTES_PER_HIDDEN,
    LAYER_BUFFER_BYTES_PER_PARAM,
    SRAM_USABLE_FRACTION,
    STREAM_BYTES_PER_PARAM,
    SWARMX_SCALING_EFFICIENCY,
    StepParts,
    WaferCalibration,
    activation_bytes_per_token,
    layer_buffer_bytes,
    sram_budget_bytes,
    step_parts,
)
from refarch.types import Assumption, ModelShape

__all__ = ["MEMORYX_NODE_CAPACITY_GB", "WaferTrainingEstimate", "memoryx_nodes", "wafer_training_estimate"]

MEMORYX_NODE_CAPACITY_GB = 512.0  # DRAM per 1U DDR5 MemoryX node: not published, low end of such servers (estimate)
_NOTES = {
    "stream-bytes": f"{STREAM_BYTES_PER_PARAM:g} bytes per parameter cross the system I/O per micro-batch (bf16 "
    "weights for forward and again for backward, bf16 gradients out)",
    "activations": f"activations checkpointed per layer ({CHECKPOINT_BYTES_PER_HIDDEN:g} x hidden bytes per token "
    f"per layer) plus one layer's working set ({ACTIVATION_BYTES_PER_HIDDEN:g} x hidden) held in SRAM",
    "sram": f"{SRAM_USABLE_FRACTION:.0%} of SRAM holds tensors; the streamed layer takes "
    f"{LAYER_BUFFER_BYTES_PER_PARAM:g} bytes per layer parameter (double-buffered weights and gradients)",
    "fixed-scaling": "the per-step fixed cost fitted on CS-2 shrinks in proportion to the wafer's peak (CS-3 measured "
    "1.69x CS-2 on ESM-2 35M, a model whose step is mostly fixed cost)",
    "scaling": f"data parallel over SwarmX at {SWARMX_SCALING_EFFICIENCY:.0%} of linear beyond one system (Andromeda's "
    "'near-perfect linear scaling' over 1-16 systems is a vendor claim; every fitted run is one system)",
    "cs3": "CS-3 system I/O is the catalog's 12 x 100 GbE = 150 GB/s (reference: 1.2-1.56 Tb/s, unconfirmed) and its "
    "15 PF dense peak is a catalog estimate (about 2x WSE-2, vendor)",
}


@dataclass(frozen=True)
class WaferTrainingEstimate:
    """One training step on `systems` wafers, what it achieves, and the memory it needs.

    `parts` splits one system's share of the step (sequences, micro-batches, fixed, stream and compute time).
    `sram_used_bytes` is what one wafer holds: one micro-batch's activations and the streamed layer's buffers.
    """

    platform: str
    systems: int
    global_batch_seqs: int
    parts: StepParts
    step_s: float
    tokens_per_second: float
    tokens_per_second_per_system: float
    model_flops_per_system: float
    peak_flops: float
    mfu: float
    sram_activation_bytes: float
    sram_budget_bytes: float
    sram_used_bytes: float
    memoryx_bytes: float
    memoryx_capacity_bytes: float
    memoryx_nodes: int
    band_pct: float
    calibrated_on: str
    assumptions: tuple[Assumption, ...]


def memoryx_nodes(catalog: Catalog, system_id: str, systems: int) -> int:
    """MemoryX nodes (support servers of role `memoryx`) the catalog's support ratio gives `systems` x `system_id`
    (0 if it names none)."""
    for role in catalog.get(system_id, System).support:
        if catalog.get(role.server, Server).role == "memoryx":
            return max(role.minimum, math.ceil(role.per_system * systems))
    return 0


def _check_memoryx(shape: ModelShape, nodes: int, node_gb: float) -> tuple[float, float]:
    """(bytes needed, bytes held) in MemoryX.

    Raises:
        InfeasibleError: weights and Adam states do not fit; the hint names the nodes needed.
    """
    needed = ADAM_BYTES_PER_PARAM * shape.params
    capacity = nodes * node_gb * 1e9
    if needed > capacity:
        raise InfeasibleError(
            f"weights and Adam states need {needed / 1e12:.2f} TB of MemoryX; {nodes} nodes of "
            f"{node_gb:g} GB (estimate) hold {capacity / 1e12:.2f} TB",
            hint=f"at least {math.ceil(needed / (node_gb * 1e9))} MemoryX nodes",
        )
    return needed, capacity


def wafer_training_estimate(
    shape: ModelShape,
    platform: Platform,
    systems: int,
    global_batch_seqs: int,
    calibration: WaferCalibration | None = None,
    memoryx_node_count: int | None = None,
    memoryx_node_gb: float = MEMORYX_NODE_CAPACITY_GB,
) -> WaferTrainingEstimate:
    """Estimate one weight-streaming training step of `shape` on `systems` x `platform` (data parallel).

    Args:
        memoryx_node_count: MemoryX nodes; default the catalog's ratio for the system (6 per CS-2/CS-3).
        memoryx_node_gb: DRAM per MemoryX node (not published: estimate).

    Raises:
        ValueError: fewer than one system, or fewer sequences than systems.
        InfeasibleError: not a wafer platform, one sequence's activations exceed SRAM, or weights and optimizer
            states exceed MemoryX; the message names the nearest feasible alternative.
    """
    if systems < 1 or global_batch_seqs < systems:
        raise ValueError(f"need at least one system and one sequence per system, got {systems} and {global_batch_seqs}")
    if not platform.wafer:
        raise InfeasibleError(f"{platform.system_id} is not a wafer-scale system", hint="use the GPU training model")
    cal = calibration or default_wafer_calibration()
    nodes = memoryx_node_count
    if nodes is None:
        nodes = memoryx_nodes(shipped_catalog(), platform.system_id, systems)
    memoryx_bytes, capacity = _check_memoryx(shape, nodes, memoryx_node_gb)
    parts = step_parts(shape, platform, systems, global_batch_seqs, cal)
    step = parts.step_s(systems, cal.scaling_efficiency)
    tokens_per_s = global_batch_seqs * shape.seq_len / step
    peak = platform.peak_flops("bf16")
    flops_per_system = model_flops_per_token(shape) * tokens_per_s / systems
    activations = parts.micro_batch_seqs * shape.seq_len * activation_bytes_per_token(shape)
    return WaferTrainingEstimate(
        platform=platform.system_id,
        systems=systems,
        global_batch_seqs=global_batch_seqs,
        parts=parts,
        step_s=step,
        tokens_per_second=tokens_per_s,
        tokens_per_second_per_system=tokens_per_s / systems,
        model_flops_per_system=flops_per_system,
        peak_flops=peak,
        mfu=flops_per_system / peak,
        sram_activation_bytes=activations,
        sram_budget_bytes=sram_budget_bytes(shape, platform),
        sram_used_bytes=activations + layer_buffer_bytes(shape),
        memoryx_bytes=memoryx_bytes,
        memoryx_capacity_bytes=capacity,
        memoryx_nodes=nodes,
        band_pct=cal.band_pct_for(platform.accelerator_id),
        calibrated_on=cal.calibrated_on_for(platform.accelerator_id),
        assumptions=_assumptions(platform, systems, cal, memoryx_node_gb),
    )


def _assumptions(platform: Platform, systems: int, cal: WaferCalibration, node_gb: float) -> tuple[Assumption, ...]:
    fitted = (
        f"compute at {cal.compute_fraction:.2f} of peak, {cal.fixed_step_s:.3f} s fixed per step, I/O at "
        f"{cal.io_efficiency:.2f} of nominal: fitted to {cal.calibrated_on}; MAPE {cal.mape_pct:.0f}%, "
        f"leave-one-out {cal.loo_mape_pct:.0f}%"
    )
    notes = [
        Assumption(
            id="wafer-calibration", text=f"{fitted}.", confidence="derived", source=f"refarch/perf/data/{DEFAULT_DATA}"
        )
    ]
    # The CS-3 note is for the wafer the fit extrapolates to (the fit measured CS-2 runs only).
    measured = cal.covers(platform.accelerator_id)
    keys = [k for k in _NOTES if (k != "scaling" or systems > 1) and (k != "cs3" or not measured)]
    memoryx = f"{node_gb:g} GB of DRAM per MemoryX node (not published); weights and Adam states take 16 B/param"
    texts = [(f"wafer-{k}", _NOTES[k]) for k in keys] + [("wafer-memoryx", memoryx)]
    notes += [Assumption(id=i, text=f"{t}.", confidence="estimate", source="refarch estimate") for i, t in texts]
    return tuple(notes)
