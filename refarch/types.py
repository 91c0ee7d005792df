"""Types shared by every stage: each literal type defined once, and the records that cross layers.

The perf model, sizing, design and the Plan all speak of confidence, cooling methods, model shapes, resolved
workloads and assumptions; they are defined here, below every stage, so that no stage imports a higher one to
name them. `refarch.plan` re-exports the records that appear in `plan.json`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Assumption",
    "ComputeTechnology",
    "Confidence",
    "CoolingMethod",
    "FabricTechnology",
    "FrozenRecord",
    "LinkTier",
    "Medium",
    "ModelShape",
    "Precision",
    "Redundancy",
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


class WorkloadPlan(FrozenRecord):
    """A workload as planned: the spec's fields with every default and preset resolved."""

    name: str
    workload_type: WorkloadType
    model: ModelShape
    precision: Precision
    tokens: float | None
    global_batch_seqs: float | None
    global_batch_tokens: float | None
    parallelism: dict[str, int]
    target: dict[str, float]
