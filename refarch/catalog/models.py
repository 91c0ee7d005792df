"""Pydantic models for catalog entries, one class per `kind`. Every entry cites a source and a confidence."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt

from refarch.types import (
    ComputeTechnology,
    Confidence,
    CoolingMethod,
    FabricTechnology,
    Medium,
    ModelShape,
    WorkloadType,
)

__all__ = [
    "Accelerator",
    "CatalogEntry",
    "Cdu",
    "Facility",
    "LeadTime",
    "LlmModel",
    "Nic",
    "Pdu",
    "PowerShelf",
    "Price",
    "Psu",
    "Rack",
    "RearDoor",
    "Server",
    "Switch",
    "System",
    "SupportRole",
    "Transceiver",
    "Cable",
]

WORKLOAD_TYPES: tuple[WorkloadType, ...] = ("training", "inference")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    name: str
    vendor: str
    source: str = Field(min_length=3, description="where the technical figures come from")
    confidence: Confidence
    notes: str = ""


class Price(BaseModel):
    """A unit price; most AI hardware prices are not public, so each carries its own confidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    usd: float = Field(ge=0)
    confidence: Confidence
    source: str = Field(min_length=3)


class LeadTime(BaseModel):
    """Weeks from order to delivery. Lead times move with the market, so each carries its own provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weeks: float = Field(gt=0, le=520)
    confidence: Confidence
    source: str = Field(min_length=3)


class _Priced(_Entry):
    price: Price
    lead_time: LeadTime | None = Field(None, description="order to delivery; None: unknown (the plan says so)")


class _Mounted(_Priced):
    height_u: int = Field(ge=0, le=60, description="rack units; 0 for zero-U devices such as vertical PDUs")
    max_power_w: float = Field(ge=0)
    typical_power_w: float | None = Field(None, ge=0)
    weight_kg: float | None = Field(None, gt=0)


class Accelerator(_Entry):
    """One accelerator (GPU or wafer). Peaks are dense (no sparsity) TFLOP/s per precision."""

    kind: Literal["accelerator"]
    dense_tflops: dict[Literal["bf16", "fp16", "fp8", "fp4"], PositiveFloat]
    memory_gb: PositiveFloat = Field(description="HBM, or on-wafer SRAM for wafer-scale engines")
    memory_bandwidth_tbps: PositiveFloat = Field(description="TB/s")
    scale_up_bandwidth_gbps: float = Field(ge=0, description="GB/s per accelerator on NVLink-class links")
    power_w: PositiveFloat


class Psu(BaseModel):
    """Power supplies of a system; `required` of `count` must work for full performance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: PositiveInt
    rating_w: PositiveFloat
    required: PositiveInt


class NicSlot(BaseModel):
    """NICs of one role in a system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nic: str
    count: PositiveInt
    role: Literal["compute", "storage", "management"]


class SupportRole(BaseModel):
    """Servers a system needs around it (e.g. MemoryX per CS-3), as a ratio with its own provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str
    per_system: PositiveFloat
    minimum: int = Field(0, ge=0)
    confidence: Confidence
    source: str
    serves: list[WorkloadType] = Field(
        default_factory=lambda: list(WORKLOAD_TYPES),
        min_length=1,
        description="workload types that need the server; systems doing only other work get none",
    )
    serves_why: str = Field("", description="why the other workload types do not need the server (a sentence)")


class System(_Mounted):
    """A compute system: a chassis (DGX, HGX server, CS-3) or a whole rack (GB200 NVL72)."""

    kind: Literal["system"]
    accelerator: str
    accelerators: PositiveInt
    architecture: Literal["gpu", "wafer"] = Field(
        "gpu", description="GPU servers run CUDA hosts; a wafer-scale system is an appliance with support servers"
    )
    hosts: PositiveInt = Field(1, description="operating-system hosts in the system (GB200 NVL72: 18 compute trays)")
    rack_scale: bool = Field(False, description="the system is a complete rack (it takes a rack of its own)")
    cooling: list[CoolingMethod] = Field(
        min_length=1, description="methods that can cool it; all needed if listed in requires"
    )
    requires_liquid: bool = False
    psu: Psu | None = None
    nics: list[NicSlot] = Field(default_factory=list)
    support: list[SupportRole] = Field(default_factory=list)
    reference_fabric: ComputeTechnology | None = None
    reference_switch: str | None = None


class Server(_Mounted):
    """A support server or appliance (MemoryX, SwarmX, input worker, UFM appliance, management)."""

    kind: Literal["server"]
    role: str
    nics: list[NicSlot] = Field(default_factory=list, description="ports into the compute fabric (role compute)")


class Switch(_Mounted):
    """An Ethernet or InfiniBand switch; `ports` counts logical ports at `port_speed_gbps`."""

    kind: Literal["switch"]
    technology: FabricTechnology
    ports: PositiveInt
    port_speed_gbps: PositiveInt
    cages: PositiveInt | None = None
    cage_type: str | None = None
    managed: bool = True
    role: Literal["compute", "storage", "inband", "oob", "any"] = "any"
    uplinks: PositiveInt | None = Field(None, description="dedicated uplink ports (e.g. SN2201's 4 x 100G)")
    uplink_speed_gbps: PositiveInt | None = None
    max_power_includes_optics: bool = Field(
        False, description="max_power_w already counts pluggable optics in every cage (datasheet maximum)"
    )


class Nic(_Priced):
    """A network adapter or DPU."""

    kind: Literal["nic"]
    ports: PositiveInt
    port_speed_gbps: PositiveInt
    technology: list[FabricTechnology]
    power_w: float | None = Field(None, ge=0)


class Transceiver(_Priced):
    """An optical module; `lanes` 2 means a twin-port module carrying two logical links."""

    kind: Literal["transceiver"]
    form_factor: str
    speed_gbps: PositiveInt
    links: PositiveInt = 1
    fibre: Literal["multimode", "singlemode"]
    reach_m: PositiveFloat
    power_w: float | None = Field(None, ge=0)


class Cable(_Priced):
    """A copper cable or a fibre patch cord, priced per cable; `links` 2 is a twin-port or splitter cable."""

    kind: Literal["cable"]
    medium: Medium
    speed_gbps: PositiveInt
    links: PositiveInt = 1
    ends: Literal["switch-switch", "switch-endpoint", "any"] = "any"
    reach_m: PositiveFloat
    power_w: float = Field(0, ge=0)


class Rack(_Priced):
    """An empty cabinet."""

    kind: Literal["rack"]
    height_u: PositiveInt
    standard: Literal["eia-310", "orv3"]
    width_mm: PositiveInt
    depth_mm: PositiveInt
    max_load_kg: PositiveFloat | None = None


class Pdu(_Priced):
    """A rack PDU fed by one circuit; its usable power follows the circuit, not the PDU alone."""

    kind: Literal["pdu"]
    voltage_v: PositiveFloat
    phases: Literal[1, 3]
    breaker_a: PositiveFloat
    height_u: int = Field(0, ge=0, le=4)


class PowerShelf(_Mounted):
    """A DC busbar power shelf (ORv3 / NVL72)."""

    kind: Literal["power_shelf"]
    capacity_w: PositiveFloat


class Cdu(_Mounted):
    """A coolant distribution unit."""

    kind: Literal["cdu"]
    cdu_type: Literal["liquid-to-liquid", "liquid-to-air"]
    capacity_w: PositiveFloat
    flow_lpm: PositiveFloat | None = None


class RearDoor(_Priced):
    """A rear-door heat exchanger."""

    kind: Literal["rdhx"]
    active: bool
    capacity_w: PositiveFloat


class Facility(_Entry):
    """Site equipment on a new build's critical path (transformer, switchgear, UPS): lead time only, since the
    plan does not size the power chain above the rack PDUs."""

    kind: Literal["facility"]
    role: Literal["transformer", "switchgear", "ups", "generator"]
    lead_time: LeadTime


class LlmModel(_Entry):
    """A model preset (published architecture)."""

    kind: Literal["model"]
    params: PositiveFloat
    layers: PositiveInt
    hidden: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt
    ffn_hidden: PositiveInt
    vocab: PositiveInt
    seq_len: PositiveInt

    def shape(self, seq_len: int | None = None) -> ModelShape:
        """This preset's `ModelShape`, optionally at another sequence length."""
        dims = {f: getattr(self, f) for f in ModelShape.model_fields if f != "preset"}
        if seq_len is not None:
            dims["seq_len"] = seq_len
        return ModelShape(preset=self.id, **dims)


CatalogEntry = Annotated[
    Accelerator
    | System
    | Server
    | Switch
    | Nic
    | Transceiver
    | Cable
    | Rack
    | Pdu
    | PowerShelf
    | Cdu
    | RearDoor
    | Facility
    | LlmModel,
    Field(discriminator="kind"),
]
