"""Training estimates for one workload on one platform: the record `refarch estimate` prints and plans keep.

GPU throughput comes from the calibrated step-time model at the fastest layout that fits (or the spec's layout);
wafer-scale (CS-2/CS-3) throughput from the weight-streaming model (`refarch.perf.wafer.estimate`), with its wider band.
Time to train adds goodput (failures, checkpoints, restarts); energy is at the systems' maximum power times PUE,
an upper bound.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from refarch.errors import InfeasibleError, NotSupportedError
from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import Platform
from refarch.perf.training.goodput import Goodput, goodput
from refarch.perf.training.search import (
    MAX_BATCH_ROUNDING,
    Choice,
    LayoutLimits,
    batch_fits,
    best_layout,
    rounded_batch,
    tensor_degrees,
    usable_bytes,
)
from refarch.perf.training.step import TrainingJob
from refarch.perf.wafer.estimate import WaferTrainingEstimate, wafer_training_estimate
from refarch.perf.wafer.fit import default_wafer_calibration
from refarch.perf.wafer.step import step_parts
from refarch.types import Assumption, WorkloadPlan

__all__ = [
    "DEFAULT_GLOBAL_BATCH_SEQS",
    "LAYOUT_NOTE_SUFFIXES",
    "ScaleOut",
    "TrainingEstimate",
    "estimate_training",
    "fit_accelerators",
    "is_calibrated",
    "useful_systems",
]

# Used when a training workload gives no global batch (estimate: a common pre-training batch of ~4M tokens at
# 4K context; the Llama 3 405B run started at 4M tokens per batch).
DEFAULT_GLOBAL_BATCH_SEQS = 1024
# Assumption ids of the notes that say how the chosen layout departs from the spec (printed with estimates).
LAYOUT_NOTE_SUFFIXES = ("-batch-rounded", "-idle-accelerators")
_WAFER_NOTE = Assumption(
    id="perf-wafer-goodput",
    text="No failure statistics for wafer-scale systems are published: goodput counts each CS system as one "
    "accelerator and one host at the Llama 3 per-component rates; energy counts the CS systems only, not their "
    "MemoryX, SwarmX and worker servers. tp, pp and cp are 1: weight streaming runs every layer on every wafer "
    "and scales out data parallel only.",
    confidence="estimate",
    source="refarch estimate",
)


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
class TrainingEstimate:
    """One workload on one platform at one size. Throughputs are calibrated; the band is +-`band` of them.

    `memory_per_accelerator_gb` is what one accelerator holds: HBM on GPUs, on-wafer SRAM on wafers (whose weights
    and optimizer states live in MemoryX; `memory_breakdown_gb` lists both). `memory_kind` says which.
    """

    workload: str
    platform: str
    systems: int
    accelerators: int
    parallelism: dict[str, int | float]
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
    memory_kind: Literal["hbm", "wafer-sram"] = "hbm"
    memory_breakdown_gb: dict[str, float] = field(default_factory=dict)

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
            "kind": "training",
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
            "memory_kind": self.memory_kind,
            "memory_breakdown_gb": self.memory_breakdown_gb,
            "time_to_train_s": {"ideal": self.time_to_train_ideal_s, "with_goodput": self.time_to_train_s},
            "goodput_fraction": self.goodput_fraction,
            "energy_mwh": self.energy_mwh,
            "confidence": self.confidence,
            "band": self.band,
            "calibrated_on": self.calibrated_on,
            "assumptions": [{"id": a.id, "text": a.text} for a in self.assumptions],
        }

    @property
    def layout_notes(self) -> list[str]:
        """What the layout changed about the job as the spec gave it (batch rounded up, accelerators left idle)."""
        return [a.text for a in self.assumptions if a.id.endswith(LAYOUT_NOTE_SUFFIXES)]


def _job(
    workload: WorkloadPlan, platform: Platform, scale_out: ScaleOut = ScaleOut()
) -> tuple[TrainingJob, list[Assumption]]:
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
    unit_accelerators = (scale_out.unit_systems or 0) * platform.accelerators_per_system
    job = TrainingJob(
        workload.model, max(1, round(batch)), workload.precision, scale_out.oversubscription, unit_accelerators
    )
    return job, notes


def _limits(workload: WorkloadPlan) -> LayoutLimits:
    fixed = workload.parallelism
    return LayoutLimits(tp=fixed.get("tp"), pp=fixed.get("pp"), dp=fixed.get("dp"), cp=fixed.get("cp"))


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
    return _job(workload, platform)[0].global_batch_seqs if platform.wafer else None


def fit_accelerators(workload: WorkloadPlan, platform: Platform, calibration: Calibration, limit: int) -> int | None:
    """The fewest whole systems' accelerators (up to `limit`) on which some layout fits in memory, or None."""
    job, _ = _job(workload, platform)
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
    scale_out: ScaleOut = ScaleOut(),
    pue: float = 1.3,
) -> TrainingEstimate:
    """Estimate `workload` trained on `systems` x `platform` (GPU or wafer-scale).

    Raises:
        NotSupportedError: no dense peak for the workload's precision (fp8 on A100 or on wafers), or a model-parallel
            layout fixed for a wafer platform.
        InfeasibleError: no layout fits in memory (or, on wafers, in SRAM and MemoryX, or fewer sequences than
            systems); the message names the nearest size that fits.
    """
    if not platform.supports(workload.precision):
        raise NotSupportedError(
            f"{platform.system_name} has no {workload.precision} peak in the catalog",
            hint="use precision bf16 or a platform that supports it",
            field=("precision",),
        )
    job, notes = _job(workload, platform, scale_out)
    fabric_note = scale_out.note(platform)
    notes += [fabric_note] if fabric_note else []
    if platform.wafer:
        return _wafer_record(workload, platform, systems, job, pue, tuple(notes))
    efficiency, _ = calibration.efficiency(platform.family)
    accelerators = systems * platform.accelerators_per_system
    choice = best_layout(job, platform, accelerators, efficiency, _limits(workload))
    if choice is None:
        text, field = _no_fit_message(workload, platform, accelerators, calibration)
        raise InfeasibleError(text, field=field)
    notes += _batch_notes(workload.name, job, choice, accelerators)
    return _record(workload, platform, systems, choice, calibration, pue, tuple(notes))


def _batch_notes(name: str, job: TrainingJob, choice: Choice, accelerators: int) -> list[Assumption]:
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
    return notes


def _time_to_train(
    workload: WorkloadPlan, platform: Platform, systems: int, accelerators: int, tokens_per_s: float, pue: float
) -> tuple[float | None, Goodput | None, float | None]:
    """(ideal s, goodput, energy MWh at max power x PUE); None without a token count."""
    if not workload.tokens:
        return None, None, None
    ideal = workload.tokens / tokens_per_s
    result = goodput(ideal, accelerators, systems, workload.model.params)
    return ideal, result, systems * platform.system_power_w * pue * result.effective_time_s / 3.6e9


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
    ideal, result, energy = _time_to_train(workload, platform, systems, step.accelerators, step.tokens_per_second, pue)
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
        time_to_train_s=result.effective_time_s if result else None,
        goodput_fraction=result.goodput_fraction if result else None,
        energy_mwh=energy,
        band=calibration.band_for(platform.family),
        calibrated_on=calibration.calibrated_on(platform.family),
        assumptions=notes + tuple(result.assumptions if result else ()),
        memory_breakdown_gb={k: v / 1e9 for k, v in asdict(choice.memory).items()},
    )


def _wafer_step(workload: WorkloadPlan, platform: Platform, systems: int, job: TrainingJob) -> WaferTrainingEstimate:
    """The weight-streaming step, after the checks the wafer library leaves to its callers."""
    model_parallel = {k: v for k, v in workload.parallelism.items() if k != "dp" and v != 1}
    if model_parallel or workload.parallelism.get("dp", systems) != systems:
        raise NotSupportedError(
            f"{platform.system_name} trains by weight streaming, data parallel over its systems only; the spec "
            f"fixes {workload.parallelism}",
            hint=f"drop 'parallelism' or set only dp: {systems}",
            field=("parallelism", next(iter(model_parallel), "dp")),
        )
    if systems > job.global_batch_seqs:
        raise InfeasibleError(
            f"a global batch of {job.global_batch_seqs} sequences cannot spread over {systems} x "
            f"{platform.system_id}: each system needs at least one sequence",
            hint=f"at most {job.global_batch_seqs} systems, or a larger global batch",
        )
    _check_sequence_fits(workload, platform)
    return wafer_training_estimate(workload.model, platform, systems, job.global_batch_seqs)


def _check_sequence_fits(workload: WorkloadPlan, platform: Platform) -> None:
    """Checked before the size: one sequence's activations overflowing a wafer's SRAM is the one failure no number
    of wafers (or of MemoryX nodes) cures, so it is reported first and blames the sequence length.

    Raises:
        InfeasibleError: one sequence does not fit; the hint names the longest that does.
    """
    try:
        step_parts(workload.model, platform, 1, 1, default_wafer_calibration())  # raises only for the sequence
    except InfeasibleError as exc:
        raise InfeasibleError(exc.message, hint=exc.hint, field=("model", "seq_len")) from exc


def _wafer_record(
    workload: WorkloadPlan,
    platform: Platform,
    systems: int,
    job: TrainingJob,
    pue: float,
    notes: tuple[Assumption, ...],
) -> TrainingEstimate:
    step = _wafer_step(workload, platform, systems, job)
    wafers = systems * platform.accelerators_per_system
    ideal, result, energy = _time_to_train(workload, platform, systems, wafers, step.tokens_per_second, pue)
    return TrainingEstimate(
        workload=workload.name,
        platform=platform.system_id,
        systems=systems,
        accelerators=wafers,
        parallelism=_wafer_parallelism(step),
        step_time_s=step.step_s,
        tokens_per_second=step.tokens_per_second,
        model_tflops_per_accelerator=step.model_flops_per_system / platform.accelerators_per_system / 1e12,
        mfu=step.mfu,
        memory_per_accelerator_gb=step.sram_used_bytes / 1e9,
        time_to_train_ideal_s=ideal,
        time_to_train_s=result.effective_time_s if result else None,
        goodput_fraction=result.goodput_fraction if result else None,
        energy_mwh=energy,
        band=step.band_pct / 100,
        calibrated_on=step.calibrated_on,
        assumptions=notes + step.assumptions + tuple(result.assumptions if result else ()) + (_WAFER_NOTE,),
        memory_kind="wafer-sram",
        memory_breakdown_gb=_wafer_memory(step, platform),
    )


def _wafer_parallelism(step: WaferTrainingEstimate) -> dict[str, int | float]:
    """Data parallel over the systems; each wafer runs every layer in turn, its sequences in micro-batches."""
    return {
        "tp": 1,
        "pp": 1,
        "dp": step.systems,
        "cp": 1,
        "micro_batch": step.parts.micro_batch_seqs,
        "micro_batches": step.parts.micro_batches,
    }


def _wafer_memory(step: WaferTrainingEstimate, platform: Platform) -> dict[str, float]:
    """Where a wafer job's bytes live, in GB: SRAM per wafer, MemoryX for the whole cluster."""
    return {
        "sram_activations": step.sram_activation_bytes / 1e9,
        "sram_layer_buffers": (step.sram_used_bytes - step.sram_activation_bytes) / 1e9,
        "sram_capacity": platform.memory_gb,
        "memoryx_weights_and_optimizer": step.memoryx_bytes / 1e9,
        "memoryx_capacity": step.memoryx_capacity_bytes / 1e9,
    }


def _broken_rules(workload: WorkloadPlan, platform: Platform) -> list[tuple[str, str]]:
    """Which of the layout rules the spec's fixed degrees break (memory aside): (degree, why) pairs."""
    job, _ = _job(workload, platform)
    shape, fixed = job.shape, workload.parallelism
    broken = []
    tp, pp, dp, cp = (int(fixed.get(k, 0)) for k in ("tp", "pp", "dp", "cp"))
    degrees = tensor_degrees(job, platform)
    if tp and tp not in degrees:
        allowed = ", ".join(str(t) for t in degrees)
        broken.append(
            (
                "tp",
                f"tp {tp} must divide the {shape.heads} attention heads and stay inside one {platform.scale_up_domain}-"
                f"accelerator scale-up domain (allowed: {allowed})",
            )
        )
    if pp > shape.layers:
        broken.append(("pp", f"pp {pp} exceeds the model's {shape.layers} layers"))
    if cp and shape.seq_len % cp:
        broken.append(("cp", f"cp {cp} does not divide the sequence length {shape.seq_len}"))
    if dp and not batch_fits(job.global_batch_seqs, dp):
        broken.append(
            (
                "dp",
                f"dp {dp} needs whole sequences on every replica: a global batch of {job.global_batch_seqs} would "
                f"round up to {rounded_batch(job.global_batch_seqs, dp, 1)} (at most {MAX_BATCH_ROUNDING:.0%} is "
                "allowed)",
            )
        )
    return broken


def _no_fit_message(
    workload: WorkloadPlan, platform: Platform, accelerators: int, calibration: Calibration
) -> tuple[str, tuple[str, ...]]:
    """Why no layout fits, and the spec field to blame (a fixed degree whose rule is broken; else none)."""
    usable = usable_bytes(platform) / 1e9
    text = (
        f"workload '{workload.name}' ({workload.model.params / 1e9:g}B parameters) fits on no layout of "
        f"{accelerators} x {platform.accelerator_id} ({usable:.0f} GB usable each)"
    )
    if workload.parallelism:
        text += f" with the spec's parallelism {workload.parallelism}"
        broken = _broken_rules(workload, platform)
        if broken:
            return f"{text}: {'; '.join(why for _, why in broken)}", ("parallelism", broken[0][0])
    nearest = fit_accelerators(workload, platform, calibration, limit=1 << 20)
    if nearest is not None:
        systems = nearest // platform.accelerators_per_system
        text += f"; the smallest size that fits is {systems} x {platform.system_id} ({nearest} accelerators)"
    return text, ()
