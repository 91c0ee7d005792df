"""What a training estimate depends on besides the system count, and what GPU and wafer estimates share: the job
the spec describes (its batch, the degrees it fixes), the compute fabric as the estimate sees it, and the time to
train with goodput and the energy it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import Platform
from refarch.perf.training.goodput import Goodput, goodput
from refarch.perf.training.search import LayoutLimits
from refarch.perf.training.step import TrainingJob
from refarch.types import Assumption, WorkloadPlan

__all__ = [
    "DEFAULT_GLOBAL_BATCH_SEQS",
    "ScaleOut",
    "TrainingSetup",
    "TrainingTime",
    "batch_note",
    "layout_limits",
    "time_to_train",
    "training_job",
]

# Used when a training workload gives no global batch (estimate: a common pre-training batch of ~4M tokens at
# 4K context; the Llama 3 405B run started at 4M tokens per batch).
DEFAULT_GLOBAL_BATCH_SEQS = 1024


@dataclass(frozen=True)
class ScaleOut:
    """The compute fabric as the estimate sees it: the leaves' downlink:uplink oversubscription, and the systems of
    one rail-optimized scalable unit (None when the fabric has none or is not sized)."""

    oversubscription: float = 1.0
    unit_systems: int | None = None

    def note(self, platform: Platform) -> Assumption | None:
        """What the estimate assumed of the fabric; None for a non-blocking one (nothing to assume)."""
        if self.oversubscription <= 1.0 or platform.wafer:
            return None
        ratio = f"{self.oversubscription:g}:1"
        if self.unit_systems is None:
            text = (
                f"The compute fabric of {platform.system_id} has no scalable units in this plan, so the leaves' "
                f"{ratio} oversubscription slows all of its scale-out traffic (an upper bound on the slowdown)."
            )
        else:
            text = (
                f"Scale-out traffic of {platform.system_id} runs at the NICs' full rate inside one scalable unit "
                f"({self.unit_systems} systems, whose NIC i shares leaf i) and at 1/{self.oversubscription:g} of it "
                f"between units, through the leaves' {ratio} oversubscribed uplinks (spines and cores are "
                "non-blocking)."
            )
        return Assumption(
            id=f"perf-scale-out-{platform.system_id}",
            text=text,
            confidence="estimate",
            source="refarch performance model; rail-optimized units of the compute fabric (fabric.md)",
        )


@dataclass(frozen=True)
class TrainingSetup:
    """A training workload on one platform, with what its estimate depends on besides the system count: the
    calibration, the compute fabric as the estimate sees it, and the PUE that energy is counted at."""

    workload: WorkloadPlan
    platform: Platform
    calibration: Calibration
    scale_out: ScaleOut = ScaleOut()
    pue: float = 1.3

    def job(self) -> TrainingJob:
        """The job the step-time model runs."""
        return training_job(self.workload, self.platform, self.scale_out)


def training_job(workload: WorkloadPlan, platform: Platform, scale_out: ScaleOut = ScaleOut()) -> TrainingJob:
    """`workload` as the step-time model sees it on `platform` (the default batch when the spec gives none)."""
    batch = workload.global_batch_seqs if workload.global_batch_seqs is not None else DEFAULT_GLOBAL_BATCH_SEQS
    unit_accelerators = (scale_out.unit_systems or 0) * platform.accelerators_per_system
    return TrainingJob(
        workload.model, max(1, round(batch)), workload.precision, scale_out.oversubscription, unit_accelerators
    )


def batch_note(workload: WorkloadPlan) -> Assumption | None:
    """The assumption behind the batch when the spec gives none."""
    if workload.global_batch_seqs is not None:
        return None
    return Assumption(
        id=f"perf-{workload.name}-batch",
        text=f"Workload '{workload.name}' gives no global batch: {DEFAULT_GLOBAL_BATCH_SEQS} sequences assumed for "
        "its estimate.",
        confidence="estimate",
        source="refarch default",
    )


def layout_limits(workload: WorkloadPlan) -> LayoutLimits:
    """The parallelism search's limits: the degrees the spec fixes."""
    fixed = workload.parallelism
    return LayoutLimits(tp=fixed.tp, pp=fixed.pp, dp=fixed.dp, cp=fixed.cp)


@dataclass(frozen=True)
class TrainingTime:
    """How long training the workload's tokens takes, failure-free and with goodput, and the energy at the systems'
    maximum power times PUE (an upper bound); all None when the workload gives no tokens."""

    ideal_s: float | None = None
    goodput: Goodput | None = None
    energy_mwh: float | None = None

    @property
    def with_goodput_s(self) -> float | None:
        """Time to train with failures, checkpoints and restarts."""
        return self.goodput.effective_time_s if self.goodput else None

    @property
    def goodput_fraction(self) -> float | None:
        """Share of the time spent on useful training."""
        return self.goodput.goodput_fraction if self.goodput else None

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        """What the goodput model assumed."""
        return tuple(self.goodput.assumptions) if self.goodput else ()


def time_to_train(setup: TrainingSetup, systems: int, accelerators: int, tokens_per_s: float) -> TrainingTime:
    """The time `systems` (`accelerators` busy) take to train the workload's tokens at `tokens_per_s`."""
    workload = setup.workload
    if not workload.tokens:
        return TrainingTime()
    ideal = workload.tokens / tokens_per_s
    result = goodput(ideal, accelerators, systems, workload.model.params)
    energy_mwh = systems * setup.platform.system_power_w * setup.pue * result.effective_time_s / 3.6e9
    return TrainingTime(ideal, result, energy_mwh)
