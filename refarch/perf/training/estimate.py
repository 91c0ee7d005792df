"""Training estimates for one workload on one platform: the record `refarch estimate` prints and plans keep.

GPU throughput comes from the calibrated step-time model at the fastest layout that fits (or the spec's layout);
wafer-scale (CS-2/CS-3) throughput from the weight-streaming model (`refarch.perf.training.wafer_record`), with
its wider band. Time to train adds goodput (failures, checkpoints, restarts); energy is at the systems' maximum
power times PUE, an upper bound (`refarch.perf.training.setup`).
"""

from __future__ import annotations

from dataclasses import asdict

from refarch.errors import NotSupportedError
from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import Platform
from refarch.perf.records import TrainingEstimate, TrainingResult
from refarch.perf.training.no_fit import no_fit_error
from refarch.perf.training.search import MAX_BATCH_ROUNDING, Choice, best_layout, rounded_batch
from refarch.perf.training.setup import TrainingSetup, batch_note, layout_limits, time_to_train, training_job
from refarch.perf.training.step import TrainingJob
from refarch.perf.training.wafer_record import wafer_training
from refarch.perf.wafer.fit import default_wafer_calibration
from refarch.types import Assumption, Band, Parallelism, TrainingTarget, WorkloadPlan

__all__ = ["estimate_training", "is_calibrated", "useful_systems"]


def is_calibrated(platform: Platform, calibration: Calibration) -> bool:
    """Whether the training model rests on measurements of `platform`'s accelerators (its family; wafers: the wafer).

    Target sizing picks only such platforms unless the spec names one: a borrowed efficiency is too uncertain to
    choose a platform by.
    """
    if platform.wafer:
        return default_wafer_calibration().covers(platform.accelerator_id)
    return calibration.nearest_family(platform.family) == platform.family


def useful_systems(workload: WorkloadPlan, platform: Platform) -> int | None:
    """The most systems that can take part in one step, or None when the GPU layout search decides.

    Wafers train data parallel only, so one sequence per system is the limit.
    """
    return training_job(workload, platform).global_batch_seqs if platform.wafer else None


def estimate_training(setup: TrainingSetup, systems: int) -> TrainingResult:
    """Estimate the setup's workload trained on `systems` x its platform (GPU or wafer-scale).

    Raises:
        NotSupportedError: no dense peak for the workload's precision (fp8 on A100 or on wafers), or a model-parallel
            layout fixed for a wafer platform.
        InfeasibleError: no layout fits in memory (or, on wafers, in SRAM and MemoryX, or fewer sequences than
            systems); the message names the nearest size that fits.
    """
    workload, platform = setup.workload, setup.platform
    if not platform.supports(workload.precision):
        raise NotSupportedError(
            f"{platform.system_name} has no {workload.precision} peak in the catalog",
            hint="use precision bf16 or a platform that supports it",
            field=("precision",),
        )
    notes = tuple(note for note in (batch_note(workload), setup.scale_out.note(platform)) if note is not None)
    if platform.wafer:
        return wafer_training(setup, systems, notes)
    efficiency, _ = setup.calibration.efficiency(platform.family)
    accelerators = systems * platform.accelerators_per_system
    job = setup.job()
    choice = best_layout(job, platform, accelerators, efficiency, layout_limits(workload))
    if choice is None:
        raise no_fit_error(workload, platform, accelerators, setup.calibration)
    notes += _batch_notes(workload.name, job, choice, accelerators)
    return _gpu_result(setup, systems, choice, notes)


def _batch_notes(name: str, job: TrainingJob, choice: Choice, accelerators: int) -> tuple[Assumption, ...]:
    """Say when the layout rounds the global batch up to whole micro-batches, or leaves accelerators idle."""
    layout = choice.layout
    batch = rounded_batch(job.global_batch_seqs, layout.dp, layout.micro_batch)
    notes = []
    if batch != job.global_batch_seqs:
        notes.append(
            Assumption(
                id=f"perf-{name}-batch-rounded",
                text=f"Workload '{name}' is estimated at a global batch of {batch} sequences instead of "
                f"{job.global_batch_seqs}: whole micro-batches of {layout.micro_batch} on each of {layout.dp} "
                f"data-parallel replicas (refarch rounds up by at most {MAX_BATCH_ROUNDING:.0%}).",
                confidence="estimate",
                source="refarch parallelism search",
            )
        )
    if layout.accelerators < accelerators:
        notes.append(
            Assumption(
                id=f"perf-{name}-idle-accelerators",
                text=f"Workload '{name}' keeps {layout.accelerators} of {accelerators} accelerators busy: its global "
                f"batch of {job.global_batch_seqs} sequences fills no more data-parallel replicas of this layout "
                f"without rounding it up by over {MAX_BATCH_ROUNDING:.0%}. Throughput per accelerator counts the busy "
                "ones; a larger global batch or fewer systems would use the rest.",
                confidence="estimate",
                source="refarch parallelism search",
            )
        )
    return tuple(notes)


def _gpu_result(setup: TrainingSetup, systems: int, choice: Choice, notes: tuple[Assumption, ...]) -> TrainingResult:
    step, layout, platform = choice.step, choice.layout, setup.platform
    timing = time_to_train(setup, systems, step.accelerators, step.tokens_per_second)
    band = Band.around(step.tokens_per_second, setup.calibration.band_for(platform.family))
    target = setup.workload.target
    record = TrainingEstimate(
        workload=setup.workload.name,
        platform=platform.system_id,
        systems=systems,
        accelerators=step.accelerators,
        parallelism=Parallelism(
            tp=layout.tp,
            pp=layout.pp,
            dp=layout.dp,
            cp=layout.cp,
            micro_batch=layout.micro_batch,
            recompute=layout.recompute,
            zero=layout.zero,
            virtual_stages=layout.virtual_stages,
        ),
        step_time_s=step.step_s,
        tokens_per_second=step.tokens_per_second,
        tokens_per_second_per_accelerator=step.tokens_per_second / step.accelerators,
        model_tflops_per_accelerator=step.model_flops_per_accelerator / 1e12,
        mfu=step.mfu,
        memory_per_accelerator_gb=choice.memory.total / 1e9,
        memory_breakdown_gb={k: v / 1e9 for k, v in asdict(choice.memory).items()},
        time_to_train_ideal_s=timing.ideal_s,
        time_to_train_s=timing.with_goodput_s,
        goodput_fraction=timing.goodput_fraction,
        energy_mwh=timing.energy_mwh,
        confidence_low=band.low,
        confidence_high=band.high,
        calibrated_on=setup.calibration.calibrated_on(platform.family),
        target_time_to_train_s=target.time_to_train if isinstance(target, TrainingTarget) else None,
    )
    return TrainingResult(record, band, notes + timing.assumptions)
