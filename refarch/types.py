"""Types shared by every stage: each literal type defined once, and the records that cross layers.

The perf model, sizing, design and the Plan all speak of confidence, cooling methods, model shapes, resolved
workloads and assumptions; they are defined here, below every stage, so that no stage imports a higher one to
name them. `refarch.plan` re-exports the records that appear in `plan.json`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    field_serializer,
    field_validator,
    model_serializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = [
    "Assumption",
    "Band",
    "ComputeTechnology",
    "Confidence",
    "CoolingMethod",
    "FabricTechnology",
    "FixedParallelism",
    "FrozenRecord",
    "InferenceTarget",
    "LinkTier",
    "Medium",
    "ModelShape",
    "OmitUnset",
    "Parallelism",
    "Precision",
    "Redundancy",
    "TrainingTarget",
    "WorkloadPlan",
    "WorkloadType",
]

Confidence = Literal["primary", "secondary", "derived", "estimate"]
"""How far a figure can be trusted: published by the vendor, by a third party, derived from those, or estimated."""

CoolingMethod = Literal["air", "rdhx", "liquid"]
WorkloadType = Literal["training", "inference"]
Precision = Literal["bf16", "fp8", "fp16"]
Redundancy = Literal["N", "N+1", "2N"]

ComputeTechnology = Literal["infiniband", "roce", "ethernet"]
"""What the spec and a system's reference design name for the compute network (RoCE is Ethernet, lossless)."""

FabricTechnology = Literal["infiniband", "ethernet"]
"""What a switch and a built fabric are: RoCE runs on an Ethernet fabric."""

Medium = Literal["dac", "acc", "fibre-mmf", "fibre-smf", "cat6a"]
LinkTier = Literal["endpoint-leaf", "leaf-spine", "spine-core", "uplink"]


class FrozenRecord(BaseModel):
    """Base of output records: no unknown fields, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumption(FrozenRecord):
    """A default or estimate the plan relied on, in words a reviewer can check."""

    id: str
    text: str
    confidence: Confidence
    source: str


class ModelShape(FrozenRecord):
    """A model's resolved dimensions (preset values with the spec's overrides applied)."""

    preset: str | None
    params: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn_hidden: int
    vocab: int | None
    seq_len: int


class OmitUnset(FrozenRecord):
    """A record whose unset (None) fields are left out of its serialised form, as absent keys were in the
    string-keyed dicts these records replace, so that `plan.json` reads the same. Its JSON Schema lists every
    field (each optional), not the plain object the serialiser's signature would make of it."""

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler({key: value for key, value in core_schema.items() if key != "serialization"})


class Parallelism(OmitUnset):
    """An estimate's parallel layout: tensor, pipeline, data and context parallel degrees, and what else the layout
    sets where it applies. GPU training: the micro-batch (sequences), the share of layers recomputed, the ZeRO stage
    and the interleaved pipeline chunks. Wafer training: sequences per micro-batch and micro-batches per step.
    Inference: none (tp GPUs or pp wafers per replica, dp replicas)."""

    tp: int
    pp: int
    dp: int
    cp: int
    micro_batch: int | None = None
    micro_batches: int | None = None
    recompute: float | None = None
    zero: int | None = None
    virtual_stages: int | None = None

    def get(self, key: str, default: object = None) -> object:
        """The field `key`, or `default` when it is unset: the mapping access templates written against plan.json's
        earlier dict use (`p.parallelism.get("pp", 1)`)."""
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value


class FixedParallelism(OmitUnset):
    """The parallel degrees a workload's spec fixes; unset ones are left to the performance model's search."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None

    def degrees(self) -> dict[str, int]:
        """The degrees set, by name in the order tp, pp, dp, cp (as messages quote them)."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


class Band(FrozenRecord):
    """A symmetric band around an estimated figure: `low` and `high` lie `fraction` below and above it."""

    fraction: float
    low: float
    high: float

    @classmethod
    def around(cls, value: float, fraction: float) -> Band:
        """The band of +-`fraction` around `value`."""
        return cls(fraction=fraction, low=value * (1 - fraction), high=value * (1 + fraction))

    @property
    def pct(self) -> float:
        """The half-width in percent."""
        return self.fraction * 100


class TrainingTarget(FrozenRecord):
    """What a training workload must achieve: train its tokens within `time_to_train` seconds."""

    time_to_train: float


class InferenceTarget(OmitUnset):
    """What an inference workload must achieve (each optional, at least one given): aggregate output tokens/s,
    concurrent streams, and time to first token at the 99th percentile in seconds."""

    output_tokens_per_second: float | None = None
    concurrency: int | None = None
    ttft_p99: float | None = None

    @field_serializer("concurrency")
    def _concurrency_as_float(self, concurrency: int | None) -> float | None:
        # plan.json has written every target figure as a float since the target was a dict of floats.
        return None if concurrency is None else float(concurrency)


class WorkloadPlan(FrozenRecord):
    """A workload as planned: the spec's fields with every default and preset resolved."""

    name: str
    workload_type: WorkloadType
    model: ModelShape
    precision: Precision
    tokens: float | None
    global_batch_seqs: float | None
    global_batch_tokens: float | None
    parallelism: FixedParallelism
    target: TrainingTarget | InferenceTarget | None

    @field_validator("target", mode="before")
    @classmethod
    def _empty_is_no_target(cls, value: object) -> object:
        return None if value == {} else value

    @field_serializer("target")
    def _no_target_as_empty(
        self, target: TrainingTarget | InferenceTarget | None
    ) -> TrainingTarget | InferenceTarget | dict[str, float]:
        # plan.json writes a workload without a target as an empty mapping, as when the target was a dict.
        return {} if target is None else target
