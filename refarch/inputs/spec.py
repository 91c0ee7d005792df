"""Workload spec v1: what the user wrote, validated. Field names are fixed by the published spec format.

Quantities are written with units ("40 kW", "30 days") and stored as floats in the unit given in each field's
description (W, V, A, s, USD, USD/kWh); the resolved Plan re-exposes them under names that carry the unit.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from refarch.errors import Location, SpecError
from refarch.inputs.finance import Finance, Schedule
from refarch.inputs.messages import raise_validation_error
from refarch.inputs.quantities import Current, Duration, EnergyPrice, Money, Power, Voltage
from refarch.inputs.yaml_source import YamlDocument, format_path, read_yaml
from refarch.types import CoolingMethod, Precision, Redundancy, WorkloadType

__all__ = [
    "Feed",
    "ModelSpec",
    "NetworkSpec",
    "Parallelism",
    "Site",
    "Spec",
    "Target",
    "WorkloadSpec",
    "load_spec",
    "validate_spec",
]


def _default_cooling() -> list[CoolingMethod]:
    return ["air"]


_SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_COUNT_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMBGT]?)\s*$")


def _parse_count(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a count such as 15e12 or '15T', got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (match := _COUNT_RE.match(value)):
        number = float(match.group(1)) * _SUFFIXES.get(match.group(2), 1.0)
    else:
        raise ValueError(f"expected a count such as 15e12 or '15T' (suffixes K, M, B, T), got {value!r}")
    if number <= 0:
        raise ValueError(f"must be greater than zero, got {value!r}")
    return number


Count = Annotated[
    float,
    BeforeValidator(_parse_count),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": _COUNT_RE.pattern}]}),
]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]


def _parse_ratio(value: Any) -> float:
    if isinstance(value, str) and ":" in value:
        left, _, right = value.partition(":")
        try:
            value = float(left) / float(right)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"expected a ratio such as '1:1' or '2:1', got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a ratio such as '1:1' or '2:1', got {value!r}")
    if value < 1:
        raise ValueError(f"oversubscription must be at least 1:1 (downlink:uplink), got {value}")
    return float(value)


Ratio = Annotated[float, BeforeValidator(_parse_ratio), WithJsonSchema({"type": "string", "examples": ["1:1", "2:1"]})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ModelSpec(_Strict):
    """A model by `preset` name (see `refarch catalog list --kind model`) or by explicit dimensions.

    Explicit fields override the preset's values (e.g. a preset with a longer `seq_len`).
    """

    preset: Identifier | None = None
    params: Count | None = Field(None, description="parameter count, e.g. 70.6e9 or '70.6B'")
    layers: PositiveInt | None = None
    hidden: PositiveInt | None = None
    heads: PositiveInt | None = None
    kv_heads: PositiveInt | None = None
    ffn_hidden: PositiveInt | None = None
    vocab: PositiveInt | None = None
    seq_len: PositiveInt | None = None

    @model_validator(mode="after")
    def _preset_or_dimensions(self) -> ModelSpec:
        required = ("params", "layers", "hidden", "heads", "seq_len")
        missing = [name for name in required if getattr(self, name) is None]
        if self.preset is None and missing:
            raise ValueError(f"give a 'preset' or all of {', '.join(required)} (missing: {', '.join(missing)})")
        return self


class Target(_Strict):
    """What the workload must achieve; the performance model turns it into a system count."""

    time_to_train: Duration | None = Field(None, description="training only, e.g. '30 days'; stored in s")
    output_tokens_per_second: float | None = Field(None, gt=0, description="inference: aggregate output tokens/s")
    concurrency: PositiveInt | None = Field(None, description="inference: concurrent streams")
    ttft_p99: Duration | None = Field(None, description="inference: p99 time to first token; stored in s")


class Parallelism(_Strict):
    """Fixed parallel layout. Unset degrees are chosen by the performance model.

    Inference takes `tp` only (GPU replicas; a wafer replica spans as many wafers as its weights need).
    """

    tp: PositiveInt | None = None
    pp: PositiveInt | None = None
    dp: PositiveInt | None = None
    cp: PositiveInt | None = None


# Per workload type: the other type's fields it refuses, and what to say.
_OTHER_TYPE_FIELDS = {
    "training": (
        ("prompt_tokens", "output_tokens", "concurrency"),
        "describe inference requests; training workloads do not take them",
    ),
    "inference": (
        ("tokens", "global_batch_seqs", "global_batch_tokens"),
        "describe training; inference workloads take prompt_tokens, output_tokens and concurrency (or a target)",
    ),
}


class WorkloadSpec(_Strict):
    """One training or inference workload, sized either by a `target` or by a fixed `platform` size."""

    name: Identifier
    type: WorkloadType
    model: ModelSpec
    tokens: Count | None = Field(None, description="training tokens, e.g. 15e12 or '15T'")
    global_batch_seqs: PositiveInt | None = None
    global_batch_tokens: Count | None = None
    precision: Precision = "bf16"
    target: Target | None = None
    platform: Identifier | None = Field(None, description="catalog id of a system, e.g. dgx-h100")
    systems: PositiveInt | None = None
    accelerators: PositiveInt | None = None
    parallelism: Parallelism | None = None
    prompt_tokens: PositiveInt | None = Field(None, description="inference: prompt tokens per request")
    output_tokens: PositiveInt | None = Field(None, description="inference: output tokens per request")
    concurrency: PositiveInt | None = Field(
        None, description="inference with a fixed size: concurrent streams (with a target: target.concurrency)"
    )

    @model_validator(mode="after")
    def _target_or_size(self) -> WorkloadSpec:
        fixed = self.systems is not None or self.accelerators is not None
        if self.systems is not None and self.accelerators is not None:
            raise ValueError("give either 'systems' or 'accelerators', not both")
        if self.global_batch_seqs is not None and self.global_batch_tokens is not None:
            raise ValueError("give either 'global_batch_seqs' or 'global_batch_tokens', not both")
        if self.target is None and not fixed:
            raise ValueError("give a 'target' or a fixed size ('platform' with 'systems' or 'accelerators')")
        if self.target is not None and fixed:
            raise ValueError("give a 'target' or a fixed size ('systems'/'accelerators'), not both")
        if fixed and self.platform is None:
            raise ValueError("a fixed size needs 'platform' (a catalog system id, see `refarch catalog list`)")
        self._check_target_kind()
        self._check_request_fields()
        return self

    def _check_request_fields(self) -> None:
        """Fields of the other workload type are refused: its model has no use for them, and accepting them
        silently would hide a mistaken spec."""
        fields, message = _OTHER_TYPE_FIELDS[self.type]
        given = [f for f in fields if getattr(self, f) is not None]
        if given:
            raise ValueError(f"{', '.join(given)} {message}")
        if self.concurrency is not None and self.target is not None:
            raise ValueError("with a target, give concurrency under 'target' (target.concurrency)")
        if self.type == "inference":
            self._check_inference_layout()

    def _check_inference_layout(self) -> None:
        layout = self.parallelism
        degrees = [f"parallelism.{d}" for d in ("pp", "dp", "cp") if layout is not None and getattr(layout, d)]
        if degrees:
            raise ValueError(
                f"{', '.join(degrees)} {'is' if len(degrees) == 1 else 'are'} not modelled for inference: a replica "
                "is tensor parallel inside one scale-up domain (GPUs) or spans as many wafers as its weights need, and "
                "replicas follow from the size; give parallelism.tp only"
            )

    def _check_target_kind(self) -> None:
        if self.target is None:
            return
        inference_fields = ("output_tokens_per_second", "concurrency", "ttft_p99")
        used_inference = [f for f in inference_fields if getattr(self.target, f) is not None]
        if self.type == "training" and used_inference:
            raise ValueError(f"training targets take only 'time_to_train', not {', '.join(used_inference)}")
        if self.type == "training" and self.target.time_to_train is None:
            raise ValueError("a training target needs 'time_to_train', e.g. '30 days'")
        if self.type == "inference" and self.target.time_to_train is not None:
            raise ValueError("'time_to_train' is a training target; inference takes " + ", ".join(inference_fields))
        if self.type == "inference" and not used_inference:
            raise ValueError(f"an inference target needs at least one of {', '.join(inference_fields)}")


class Feed(_Strict):
    """The power feed to each rack PDU. Defaults: 415 V, 3 phases, 60 A breaker, 2N, 80% continuous derating."""

    voltage: Voltage = Field(415.0, description="line-to-line voltage; stored in V")
    phases: Literal[1, 3] = 3
    breaker: Current = Field(60.0, description="breaker rating; stored in A")
    redundancy: Redundancy = "2N"
    derating: float = Field(0.8, gt=0, le=1, description="usable fraction of the breaker rating (NEC: 0.8)")


class Site(_Strict):
    """Site limits. Unset limits are unbounded except `rack_power_limit`, which follows the cooling methods."""

    power_budget: Power | None = Field(None, description="total facility power; stored in W")
    rack_power_limit: Power | None = Field(None, description="per-rack IT power; stored in W")
    cooling: list[CoolingMethod] = Field(default_factory=_default_cooling, min_length=1)
    feed: Feed = Field(default_factory=Feed)
    rack_height: int = Field(48, ge=10, le=60, description="rack height in U")
    max_racks: PositiveInt | None = None
    pue: float = Field(1.3, ge=1.0, le=3.0)
    electricity_price: EnergyPrice | None = Field(None, description="stored in USD/kWh")


class Addressing(_Strict):
    """IPv4 prefixes of the management networks; refarch gives each managed interface one address from them."""

    management: IPv4Network = Field(
        IPv4Network("10.0.0.0/16"), description="in-band management: each host's management interface"
    )
    oob: IPv4Network = Field(IPv4Network("10.1.0.0/16"), description="out-of-band: BMCs, switch management ports, PDUs")

    @model_validator(mode="after")
    def _disjoint(self) -> Addressing:
        if self.management.overlaps(self.oob):
            raise ValueError(f"management {self.management} and oob {self.oob} overlap; give disjoint prefixes")
        return self


class NetworkSpec(_Strict):
    """Scale-out network choices; sizing of the fabric follows the platform's reference design."""

    compute: Literal["infiniband", "roce", "auto"] = "auto"
    switch: Identifier | None = Field(None, description="catalog id of the compute-fabric switch")
    planes: int = Field(1, ge=1, le=2, description="independent compute-fabric planes (1 or 2)")
    oversubscription: Ratio = Field(1.0, description="leaf downlink:uplink ratio, e.g. '1:1'")
    addressing: Addressing = Field(default_factory=Addressing)


class Metadata(_Strict):
    """Who and what the design is for."""

    name: Identifier
    description: str = ""


class Spec(_Strict):
    """A complete workload spec (apiVersion refarch/v1, kind Workload)."""

    api_version: Literal["refarch/v1"] = Field(alias="apiVersion")
    kind: Literal["Workload"]
    metadata: Metadata
    workloads: list[WorkloadSpec] = Field(min_length=1)
    site: Site = Field(default_factory=Site)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    budget: Money | None = Field(None, description="capital budget; stored in USD")
    finance: Finance = Field(default_factory=Finance)
    schedule: Schedule = Field(default_factory=Schedule)
    _source: YamlDocument | None = PrivateAttr(default=None)

    def where(self, *path: str | int) -> Location:
        """Location of `path` in the file this spec was read from (with its line), for error messages."""
        if self._source is None:
            return Location(None, format_path(path))
        return self._source.location(path)

    @model_validator(mode="after")
    def _unique_workload_names(self) -> Spec:
        names = [w.name for w in self.workloads]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"workload names must be unique; repeated: {', '.join(duplicates)}")
        return self


def load_spec(file: Path) -> Spec:
    """Read and validate a workload spec.

    Raises:
        SpecError: the file is unreadable, not strict YAML, or not a valid spec (message names path and line).
    """
    return validate_spec(read_yaml(file))


def validate_spec(doc: YamlDocument) -> Spec:
    """Validate the spec data of `doc` (a file read with `read_yaml`, or a part of one), keeping `doc` for the
    locations of later errors.

    Raises:
        SpecError: not a valid spec (message names path and line).
    """
    if not isinstance(doc.data, dict):
        raise SpecError(
            "a workload spec must be a YAML mapping with apiVersion, kind, metadata, workloads", doc.location(())
        )
    try:
        spec = Spec.model_validate(doc.data)
    except ValidationError as exc:
        raise_validation_error(exc, doc, Spec, SpecError)
    spec._source = doc
    return spec
