"""Training estimates for one workload on one GPU platform: the record `refarch estimate` prints and plans keep.

Throughput comes from the calibrated step-time model at the fastest layout that fits (or the spec's layout);
time to train adds goodput (failures, checkpoints, restarts); energy is at the systems' maximum power times PUE,
an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.errors import InfeasibleError, NotSupportedError
from refarch.perf.calibration_file import Calibration
from refarch.perf.goodput import goodput
from refarch.perf.platform import Platform
from refarch.perf.search import Choice, LayoutLimits, best_layout, usable_bytes
from refarch.perf.training import TrainingJob
from refarch.plan import Assumption, WorkloadPlan

__all__ = ["DEFAULT_GLOBAL_BATCH_SEQS", "TrainingEstimate", "estimate_training", "fit_accelerators"]

# Used when a training workload gives no global batch (estimate: a common pre-training batch of ~4M tokens at
# 4K context; the Llama 3 405B run started at 4M tokens per batch).
DEFAULT_GLOBAL_BATCH_SEQS = 1024


@dataclass(frozen=True)
class TrainingEstimate:
    """One workload on one platform at one size. Throughputs are calibrated; the band is +-`band` of them."""

    workload: str
    platform: str
    systems: int
    accelerators: int
    parallelism: dict[str, int | bool]
    step_time_s: float
    tokens_per_second: float
    model_tflops_per_accelerator: float
    mfu: float
    memory_per_accelerator_gb: float
    time_to_train_ideal_s: float | None
    time_to_train_s: float | None
    goodput_fraction: float | None
    energy_mwh: float | None
    band: float
    calibrated_on: str
    assumptions: tuple[Assumption, ...]

    @property
    def tokens_per_second_per_accelerator(self) -> float:
        """Trained tokens per second per accelerator."""
        return self.tokens_per_second / self.accelerators

    @property
    def confidence(self) -> dict[str, float]:
        """Low/high band of tokens per second."""
        return {"low": self.tokens_per_second * (1 - self.band), "high": self.tokens_per_second * (1 + self.band)}

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-ready values (what `estimate --json` prints)."""
        return {
            "workload": self.workload,
            "platform": self.platform,
            "systems": self.systems,
            "accelerators": self.accelerators,
            "parallelism": self.parallelism,
            "step_time_s": self.step_time_s,
            "tokens_per_second": self.tokens_per_second,
            "tokens_per_second_per_accelerator": self.tokens_per_second_per_accelerator,
            "model_tflops_per_accelerator": self.model_tflops_per_accelerator,
            "mfu": self.mfu,
            "memory_per_accelerator_gb": self.memory_per_accelerator_gb,
            "time_to_train_s": {"ideal": self.time_to_train_ideal_s, "with_goodput": self.time_to_train_s},
            "goodput_fraction": self.goodput_fraction,
            "energy_mwh": self.energy_mwh,
            "confidence": self.confidence,
            "calibrated_on": self.calibrated_on,
        }


def _job(workload: WorkloadPlan, oversubscription: float) -> tuple[TrainingJob, list[Assumption]]:
    notes: list[Assumption] = []
    batch = workload.global_batch_seqs
    if batch is None:
        batch = DEFAULT_GLOBAL_BATCH_SEQS
        notes.append(
            Assumption(
                id=f"perf-{workload.name}-batch",
                text=f"Workload '{workload.name}' gives no global batch: {batch} sequences assumed for its estimate.",
                confidence="estimate",
                source="refarch default",
            )
        )
    return TrainingJob(workload.model, max(1, round(batch)), workload.precision, oversubscription), notes


def _limits(workload: WorkloadPlan) -> LayoutLimits:
    fixed = workload.parallelism
    return LayoutLimits(tp=fixed.get("tp"), pp=fixed.get("pp"), dp=fixed.get("dp"), cp=fixed.get("cp"))


def fit_accelerators(workload: WorkloadPlan, platform: Platform, calibration: Calibration, limit: int) -> int | None:
    """The fewest whole systems' accelerators (up to `limit`) on which some layout fits in memory, or None."""
    job, _ = _job(workload, 1.0)
    efficiency, _ = calibration.efficiency(platform.family)
    systems = 1
    while systems * platform.accelerators_per_system <= limit:
        if best_layout(job, platform, systems * platform.accelerators_per_system, efficiency, _limits(workload)):
            return systems * platform.accelerators_per_system
        systems *= 2
    return None


def estimate_training(
    workload: WorkloadPlan,
    platform: Platform,
    systems: int,
    calibration: Calibration,
    oversubscription: float = 1.0,
    pue: float = 1.3,
) -> TrainingEstimate:
    """Estimate `workload` trained on `systems` x `platform`.

    Raises:
        NotSupportedError: a wafer-scale platform (its model is not in yet), or no dense peak for the workload's
            precision (fp8 on A100).
        InfeasibleError: no layout fits in memory; the message names the nearest size that fits.
    """
    if platform.wafer:
        raise NotSupportedError(
            f"{platform.system_name} is a wafer-scale system; the wafer-scale training model is not in refarch yet",
            hint="estimate GPU platforms with --platforms, e.g. dgx-h100,dgx-b200",
        )
    if not platform.supports(workload.precision):
        raise NotSupportedError(
            f"{platform.system_name} has no {workload.precision} peak in the catalog",
            hint="use precision bf16 or a platform that supports it",
        )
    job, notes = _job(workload, oversubscription)
    efficiency, _ = calibration.efficiency(platform.family)
    accelerators = systems * platform.accelerators_per_system
    choice = best_layout(job, platform, accelerators, efficiency, _limits(workload))
    if choice is None:
        raise InfeasibleError(_no_fit_message(workload, platform, accelerators, calibration))
    return _record(workload, platform, systems, choice, calibration, pue, tuple(notes))


def _record(
    workload: WorkloadPlan,
    platform: Platform,
    systems: int,
    choice: Choice,
    calibration: Calibration,
    pue: float,
    notes: tuple[Assumption, ...],
) -> TrainingEstimate:
    step = choice.step
    ideal = workload.tokens / step.tokens_per_second if workload.tokens else None
    result = None
    if ideal is not None:
        result = goodput(ideal, step.accelerators, systems, workload.model.params)
        notes = notes + tuple(result.assumptions)
    time_s = result.effective_time_s if result else None
    energy = systems * platform.system_power_w * pue * time_s / 3.6e9 if time_s else None
    return TrainingEstimate(
        workload=workload.name,
        platform=platform.system_id,
        systems=systems,
        accelerators=step.accelerators,
        parallelism=choice.layout.as_dict(),
        step_time_s=step.step_s,
        tokens_per_second=step.tokens_per_second,
        model_tflops_per_accelerator=step.model_flops_per_accelerator / 1e12,
        mfu=step.mfu,
        memory_per_accelerator_gb=choice.memory.total / 1e9,
        time_to_train_ideal_s=ideal,
        time_to_train_s=time_s,
        goodput_fraction=result.goodput_fraction if result else None,
        energy_mwh=energy,
        band=calibration.band_for(platform.family),
        calibrated_on=calibration.calibrated_on(platform.family),
        assumptions=notes,
    )


def _no_fit_message(workload: WorkloadPlan, platform: Platform, accelerators: int, calibration: Calibration) -> str:
    usable = usable_bytes(platform) / 1e9
    text = (
        f"workload '{workload.name}' ({workload.model.params / 1e9:g}B parameters) fits on no layout of "
        f"{accelerators} x {platform.accelerator_id} ({usable:.0f} GB usable each)"
    )
    if workload.parallelism:
        text += f" with the spec's parallelism {workload.parallelism}"
    nearest = fit_accelerators(workload, platform, calibration, limit=1 << 20)
    if nearest is not None:
        systems = nearest // platform.accelerators_per_system
        text += f"; the smallest size that fits is {systems} x {platform.system_id} ({nearest} accelerators)"
    return text
