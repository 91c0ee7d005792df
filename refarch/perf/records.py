"""The performance model's estimates, one record per kind (training, inference): what `plan.json` keeps under
`performance`, what `refarch estimate` prints and what target sizing compares.

Target sizing also keeps every estimate it computes on the way to a size as a `SizingPoint` (an `Outcome`'s
`tried`), so that a plan can show how each platform's time to train or throughput grows with its system count.

Each estimate function returns a result: the record, with what it rests on carried alongside rather than copied
into a second record: the band around its headline figure and the assumptions behind it. A plan keeps the record
and lists the assumptions once among its own; `estimate` prints all of it (`as_json` is its `--json` form).
`refarch.plan` re-exports the records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from refarch.perf.platform import Platform
from refarch.types import Assumption, Band, Confidence, FrozenRecord, Parallelism

__all__ = [
    "LAYOUT_NOTE_SUFFIXES",
    "EstimateResult",
    "InferenceEstimate",
    "InferenceResult",
    "Outcome",
    "SizingPoint",
    "TrainingEstimate",
    "TrainingResult",
    "WorkloadEstimate",
    "sizing_points",
]

# Assumption ids of the notes that say how the chosen layout departs from the spec (printed with estimates).
LAYOUT_NOTE_SUFFIXES = ("-batch-rounded", "-idle-accelerators")


class TrainingEstimate(FrozenRecord):
    """A calibrated training estimate for one workload on its platform: throughput with its band, time to train.

    `memory_per_accelerator_gb` is HBM on GPUs and on-wafer SRAM on wafer-scale systems (`memory_kind` says which;
    wafers keep weights and optimizer states in MemoryX, listed in `memory_breakdown_gb`).
    """

    kind: Literal["training"] = "training"
    workload: str
    platform: str
    systems: int
    accelerators: int
    parallelism: Parallelism
    step_time_s: float
    tokens_per_second: float
    tokens_per_second_per_accelerator: float
    model_tflops_per_accelerator: float
    mfu: float
    memory_per_accelerator_gb: float
    memory_kind: Literal["hbm", "wafer-sram"] = "hbm"
    memory_breakdown_gb: dict[str, float] = Field(default_factory=dict)
    time_to_train_ideal_s: float | None
    time_to_train_s: float | None
    goodput_fraction: float | None
    energy_mwh: float | None
    confidence_low: float = Field(description="tokens/s at the low end of the band")
    confidence_high: float = Field(description="tokens/s at the high end of the band")
    calibrated_on: str
    target_time_to_train_s: float | None = None


class InferenceEstimate(FrozenRecord):
    """An inference estimate for one workload on its platform: output tokens/s with its band, TTFT, memory.

    Replicas of `parallelism.tp` GPUs (or `parallelism.pp` pipelined wafers) each serve `streams_per_replica`
    streams; bytes are per accelerator. Uncalibrated on GPUs (no measurements in the reference), anchored on two
    single-stream figures on wafers: `confidence` is always `estimate`.
    """

    kind: Literal["inference"] = "inference"
    workload: str
    platform: str
    systems: int
    accelerators: int = Field(description="accelerators in the systems (replicas may leave some spare)")
    replicas: int
    parallelism: Parallelism
    streams_per_replica: int
    concurrency: int | None = Field(description="streams served; None: as many as the replicas' memory holds")
    max_concurrency: int
    prompt_tokens: int
    output_tokens: int
    output_tokens_per_second: float = Field(description="aggregate, prefill time charged")
    output_tokens_per_second_per_stream: float
    ttft_s: float = Field(description="one prompt's prefill on an idle replica (no queueing)")
    decode_step_s: float
    decode_bound: str
    memory_per_accelerator_gb: float = Field(description="weights and KV cache")
    weights_gb_per_accelerator: float
    kv_cache_gb_per_accelerator: float
    usable_memory_gb_per_accelerator: float
    confidence: Confidence
    confidence_low: float = Field(description="output tokens/s at the low end of the band")
    confidence_high: float = Field(description="output tokens/s at the high end of the band")
    calibrated_on: str
    target_output_tokens_per_second: float | None = None
    target_ttft_s: float | None = None


WorkloadEstimate = Annotated[TrainingEstimate | InferenceEstimate, Field(discriminator="kind")]


class _EstimateOf:
    """What a result says of its record: which workload, on which platform, on how many systems."""

    record: TrainingEstimate | InferenceEstimate

    @property
    def workload(self) -> str:
        """The workload estimated."""
        return self.record.workload

    @property
    def platform(self) -> str:
        """The system id it is estimated on."""
        return self.record.platform

    @property
    def systems(self) -> int:
        """How many systems it is estimated on."""
        return self.record.systems


@dataclass(frozen=True)
class TrainingResult(_EstimateOf):
    """A training estimate with its band of tokens/s (+-`band.fraction`: the calibration's error) and assumptions."""

    record: TrainingEstimate
    band: Band
    assumptions: tuple[Assumption, ...]

    @property
    def layout_notes(self) -> list[str]:
        """What the layout changed about the job as the spec gave it (batch rounded up, accelerators left idle)."""
        return [a.text for a in self.assumptions if a.id.endswith(LAYOUT_NOTE_SUFFIXES)]

    def as_json(self) -> dict[str, object]:
        """What `estimate --json` prints: the record, with time to train as {ideal, with_goodput}, the band as
        `confidence` {low, high} and `band` (a fraction), and the assumptions (id, text)."""
        record = self.record
        shown = record.model_dump(exclude={"time_to_train_ideal_s", "target_time_to_train_s", *_BAND_FIELDS})
        return shown | {
            "time_to_train_s": {"ideal": record.time_to_train_ideal_s, "with_goodput": record.time_to_train_s},
            **_band_json(self.band),
            "assumptions": [{"id": a.id, "text": a.text} for a in self.assumptions],
        }


@dataclass(frozen=True)
class InferenceResult(_EstimateOf):
    """An inference estimate with its band of output tokens/s and assumptions; `wafer` says whether a replica is
    pipelined wafers rather than tensor-parallel GPUs."""

    record: InferenceEstimate
    band: Band
    assumptions: tuple[Assumption, ...]
    wafer: bool = False

    @property
    def replica(self) -> str:
        """One replica in words: its tensor-parallel GPUs or its pipelined wafers."""
        layout = self.record.parallelism
        return f"{layout.pp} wafer(s)" if self.wafer else f"tp {layout.tp}"

    def as_json(self) -> dict[str, object]:
        """What `estimate --json` prints: the record without the plan's target and confidence fields, with the
        replica's `tp` and the band as `confidence` {low, high} and `band` (a fraction)."""
        record = self.record
        plan_only = {"confidence", "target_output_tokens_per_second", "target_ttft_s", *_BAND_FIELDS}
        shown = record.model_dump(exclude=plan_only)
        return shown | {"tp": record.parallelism.tp, **_band_json(self.band)}


_BAND_FIELDS = ("confidence_low", "confidence_high")


def _band_json(band: Band) -> dict[str, object]:
    return {"confidence": {"low": band.low, "high": band.high}, "band": band.fraction}


EstimateResult = TrainingResult | InferenceResult


class SizingPoint(FrozenRecord):
    """One estimate target sizing computed on its way to a platform's size: how the platform fares at `systems`."""

    systems: int = Field(description="systems of the platform estimated")
    value: float = Field(
        description="training: time to train in days, with goodput; inference: aggregate output tokens/s of the "
        "best replica layout the search tried at this count (the plan's layout at the chosen count may be another)"
    )
    meets_target: bool = Field(
        description="whether the estimate meets the workload's target (inference: throughput, streams and TTFT), "
        "whatever the site's limits say of the size"
    )


def sizing_points(points: Iterable[SizingPoint], higher_is_better: bool) -> tuple[SizingPoint, ...]:
    """`points` sorted by systems, one per count: where a count was estimated more than once (inference tries
    several replica layouts), one that meets the target wins over one that does not, then the better value."""
    best: dict[int, SizingPoint] = {}
    for point in points:
        held = best.get(point.systems)
        if held is None or _rank(point, higher_is_better) > _rank(held, higher_is_better):
            best[point.systems] = point
    return tuple(best[systems] for systems in sorted(best))


def _rank(point: SizingPoint, higher_is_better: bool) -> tuple[bool, float]:
    return point.meets_target, point.value if higher_is_better else -point.value


@dataclass(frozen=True)
class Outcome:
    """How one platform fares against a workload's target within a bound on its size.

    `meeting` is the fewest systems that meet it; otherwise `closest` is the best the bound allows (None when
    nothing fits) and `reason` says what stands in the way when it is not only size. `tried` is every estimate
    the search computed for it (`sizing_points`), including sizes beyond the bound when the search went there.
    """

    platform: Platform
    meeting: EstimateResult | None
    closest: EstimateResult | None
    reason: str = ""
    tried: tuple[SizingPoint, ...] = ()
