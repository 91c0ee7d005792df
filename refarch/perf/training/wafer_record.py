"""Training estimates on wafer-scale systems (CS-2/CS-3): the checks the wafer library leaves to its callers, and
the training record built from its weight-streaming step (`refarch.perf.wafer.estimate`), with its wider band.

The record means what a GPU one does: `accelerators` are wafers, `dp` is the systems and tp = pp = cp = 1 (every
layer runs on every wafer); memory is SRAM per wafer, with MemoryX listed in the breakdown.
"""

from __future__ import annotations

from refarch.errors import InfeasibleError, NotSupportedError
from refarch.perf.records import TrainingEstimate, TrainingResult
from refarch.perf.training.setup import TrainingSetup, time_to_train
from refarch.perf.wafer.estimate import WaferTrainingEstimate, wafer_training_estimate
from refarch.perf.wafer.fit import default_wafer_calibration
from refarch.perf.wafer.step import step_parts
from refarch.types import Assumption, Band, Parallelism, TrainingTarget

__all__ = ["wafer_training"]

_WAFER_NOTE = Assumption(
    id="perf-wafer-goodput",
    text="No failure statistics for wafer-scale systems are published: goodput counts each CS system as one "
    "accelerator and one host at the Llama 3 per-component rates; energy counts the CS systems only, not their "
    "MemoryX, SwarmX and worker servers. tp, pp and cp are 1: weight streaming runs every layer on every wafer "
    "and scales out data parallel only.",
    confidence="estimate",
    source="refarch estimate",
)


def wafer_training(setup: TrainingSetup, systems: int, notes: tuple[Assumption, ...]) -> TrainingResult:
    """The workload trained by weight streaming on `systems` wafer-scale systems; `notes` are the caller's
    assumptions so far.

    Raises:
        NotSupportedError: a model-parallel layout or a dp other than the systems fixed in the spec.
        InfeasibleError: one sequence overflows a wafer's SRAM, fewer sequences than systems, or weights and
            optimizer states overflow MemoryX.
    """
    platform = setup.platform
    step = _wafer_step(setup, systems)
    wafers = systems * platform.accelerators_per_system
    timing = time_to_train(setup, systems, wafers, step.tokens_per_second)
    band = Band.around(step.tokens_per_second, step.band_pct / 100)
    target = setup.workload.target
    record = TrainingEstimate(
        workload=setup.workload.name,
        platform=platform.system_id,
        systems=systems,
        accelerators=wafers,
        parallelism=_wafer_parallelism(step),
        step_time_s=step.step_s,
        tokens_per_second=step.tokens_per_second,
        tokens_per_second_per_accelerator=step.tokens_per_second / wafers,
        model_tflops_per_accelerator=step.model_flops_per_system / platform.accelerators_per_system / 1e12,
        mfu=step.mfu,
        memory_per_accelerator_gb=step.sram_used_bytes / 1e9,
        memory_kind="wafer-sram",
        memory_breakdown_gb=_wafer_memory(step, platform.memory_gb),
        time_to_train_ideal_s=timing.ideal_s,
        time_to_train_s=timing.with_goodput_s,
        goodput_fraction=timing.goodput_fraction,
        energy_mwh=timing.energy_mwh,
        confidence_low=band.low,
        confidence_high=band.high,
        calibrated_on=step.calibrated_on,
        target_time_to_train_s=target.time_to_train if isinstance(target, TrainingTarget) else None,
    )
    assumptions = notes + step.assumptions + timing.assumptions + (_WAFER_NOTE,)
    return TrainingResult(record, band, assumptions)


def _wafer_step(setup: TrainingSetup, systems: int) -> WaferTrainingEstimate:
    """The weight-streaming step, after the checks the wafer library leaves to its callers."""
    workload, platform = setup.workload, setup.platform
    fixed = workload.parallelism.degrees()
    model_parallel = {k: v for k, v in fixed.items() if k != "dp" and v != 1}
    if model_parallel or fixed.get("dp", systems) != systems:
        raise NotSupportedError(
            f"{platform.system_name} trains by weight streaming, data parallel over its systems only; the spec "
            f"fixes {fixed}",
            hint=f"drop 'parallelism' or set only dp: {systems}",
            field=("parallelism", next(iter(model_parallel), "dp")),
        )
    batch = setup.job().global_batch_seqs
    if systems > batch:
        raise InfeasibleError(
            f"a global batch of {batch} sequences cannot spread over {systems} x {platform.system_id}: each "
            "system needs at least one sequence",
            hint=f"at most {batch} systems, or a larger global batch",
        )
    _check_sequence_fits(setup)
    return wafer_training_estimate(workload.model, platform, systems, batch)


def _check_sequence_fits(setup: TrainingSetup) -> None:
    """Checked before the size: one sequence's activations overflowing a wafer's SRAM is the one failure no number
    of wafers (or of MemoryX nodes) cures, so it is reported first and blames the sequence length.

    Raises:
        InfeasibleError: one sequence does not fit; the hint names the longest that does.
    """
    try:  # raises only for the sequence
        step_parts(setup.workload.model, setup.platform, 1, 1, default_wafer_calibration())
    except InfeasibleError as exc:
        raise InfeasibleError(exc.message, hint=exc.hint, field=("model", "seq_len")) from exc


def _wafer_parallelism(step: WaferTrainingEstimate) -> Parallelism:
    """Data parallel over the systems; each wafer runs every layer in turn, its sequences in micro-batches."""
    parts = step.parts
    return Parallelism(
        tp=1, pp=1, dp=step.systems, cp=1, micro_batch=parts.micro_batch_seqs, micro_batches=parts.micro_batches
    )


def _wafer_memory(step: WaferTrainingEstimate, sram_capacity_gb: float) -> dict[str, float]:
    """Where a wafer job's bytes live, in GB: SRAM per wafer, MemoryX for the whole cluster."""
    return {
        "sram_activations": step.sram_activation_bytes / 1e9,
        "sram_layer_buffers": (step.sram_used_bytes - step.sram_activation_bytes) / 1e9,
        "sram_capacity": sram_capacity_gb,
        "memoryx_weights_and_optimizer": step.memoryx_bytes / 1e9,
        "memoryx_capacity": step.memoryx_capacity_bytes / 1e9,
    }
