"""The Plan: the fully resolved design. Renderers read only this; `plan.json` is it serialised.

Every number here came from the catalog, the spec, or an entry in `assumptions`. Field names carry units.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from refarch.perf.records import InferenceEstimate, SizingPoint, TrainingEstimate, WorkloadEstimate
from refarch.plan.decisions import CandidatePlan, CandidateStatus, CostBasis, SizingDecision
from refarch.plan.economics import (
    EconomicsPlan,
    LeadTimePlan,
    OpexPlan,
    PhasePlan,
    RentalComparison,
    SchedulePlan,
    WorkloadCost,
)
from refarch.types import (
    Assumption,
    ComputeTechnology,
    Confidence,
    FabricTechnology,
    FixedParallelism,
    FrozenRecord,
    InferenceTarget,
    LinkTier,
    Medium,
    ModelShape,
    Parallelism,
    Redundancy,
    TrainingTarget,
    WorkloadPlan,
    WorkloadType,
)

__all__ = [
    "WorkloadCost",
    "SchedulePlan",
    "RentalComparison",
    "PhasePlan",
    "OpexPlan",
    "LeadTimePlan",
    "EconomicsPlan",
    "AddressPlan",
    "AddressingPlan",
    "REFARCH_VERSION",
    "SCHEMA_VERSION",
    "Assumption",
    "BomLine",
    "CableRun",
    "CandidatePlan",
    "CandidateStatus",
    "CostBasis",
    "ComputeAllocation",
    "CoolingPlan",
    "FabricPlan",
    "FeedLossCheck",
    "FixedParallelism",
    "InferenceEstimate",
    "InferencePerformanceEstimate",
    "InferenceTarget",
    "ModelShape",
    "NetworkPlan",
    "Parallelism",
    "PerformanceEstimate",
    "Plan",
    "PartPlan",
    "PlanMetadata",
    "PowerPlan",
    "PrefixPlan",
    "RackDevice",
    "RackPlan",
    "SitePlan",
    "SizingDecision",
    "SizingPoint",
    "Summary",
    "TrainingEstimate",
    "TrainingTarget",
    "WorkloadEstimate",
    "WorkloadPlan",
]

# Minor versions add fields, major versions change or remove them (history in the README's Architecture section).
SCHEMA_VERSION = "1.6"
# The version of refarch that writes plans (pyproject.toml's); `refarch.__version__` is this.
REFARCH_VERSION = "0.1.0"


class PlanMetadata(FrozenRecord):
    """What produced the plan; no timestamps, so that plans are reproducible."""

    name: str
    description: str
    refarch_version: str
    spec_sha256: str
    catalog_sha256: str


class Summary(FrozenRecord):
    """Headline figures of the design."""

    accelerators: int
    systems: int
    racks: int
    switches: int
    cables: int
    it_power_kw: float
    facility_power_kw: float
    capex_usd: float
    annual_energy_mwh: float
    annual_energy_cost_usd: float | None


class SitePlan(FrozenRecord):
    """The site limits the design was solved against, with defaults applied."""

    power_budget_w: float | None
    rack_power_limit_w: float
    cooling: list[str]
    rack_height_u: int
    max_racks: int | None
    pue: float
    electricity_price_usd_per_kwh: float | None
    budget_usd: float | None


class NetworkPlan(FrozenRecord):
    """The scale-out network choices, resolved from the spec and the platform's reference design."""

    compute: ComputeTechnology
    switch: str
    planes: int
    oversubscription: float
    chosen_because: str


class ComputeAllocation(FrozenRecord):
    """Systems given to one workload."""

    workload: str
    workload_type: WorkloadType
    platform: str
    platform_name: str
    accelerator: str
    accelerators_per_system: int
    architecture: Literal["gpu", "wafer"] = "gpu"
    hosts_per_system: int = Field(1, description="operating-system hosts per system (GB200 NVL72: 18 trays)")
    scale_up_bandwidth_gbps: float | None = Field(
        None,
        description="GB/s per accelerator on NVLink-class links, both directions together as datasheets quote it "
        "(catalog accelerator; 0: none; None: plan.json before 1.3)",
    )
    systems: int
    accelerators: int
    sizing: Literal["fixed", "target"]
    sizing_note: str


class RackDevice(FrozenRecord):
    """A device mounted in a rack; `u_position` is the lowest U it occupies (1-based, from the bottom)."""

    name: str
    catalog_id: str
    role: str
    u_position: int
    height_u: int
    max_power_w: float


class RackPlan(FrozenRecord):
    """One rack with its devices, power and cooling method. A rack-scale system's rack has its id as catalog_id."""

    name: str
    catalog_id: str
    row: int
    position: int
    height_u: int
    used_u: int
    power_limit_kw: float
    it_power_kw: float = Field(description="devices at maximum power plus the optics plugged into them")
    optics_power_kw: float = Field(description="transceivers in this rack's devices (part of it_power_kw)")
    cooling: Literal["air", "rdhx", "liquid", "liquid+air", "liquid+rdhx"]
    air_heat_kw: float
    liquid_heat_kw: float
    circuits: int = Field(description="feed circuits, sized for the rack's devices and the most optics they can take")
    pdu_model: str | None = Field(description="None for a rack-scale system, which brings its own power shelves")
    devices: list[RackDevice]

    @property
    def pdu_names(self) -> list[str]:
        """The rack's zero-U PDUs, one per circuit, as other devices refer to them (`r001-pdu01`)."""
        return [f"{self.name}-pdu{k:02d}" for k in range(1, (self.circuits if self.pdu_model else 0) + 1)]


class FeedLossCheck(FrozenRecord):
    """What one system type does when one of its two feeds is lost (2N / N+1 with A/B split)."""

    catalog_id: str
    systems: int
    psus_total: int
    psus_on_remaining_feed: int
    capacity_on_remaining_feed_w: float
    max_power_w: float
    status: Literal["full", "degraded", "no-psu-data"]


class PowerPlan(FrozenRecord):
    """Electrical design: rack circuits and the site total."""

    it_power_kw: float
    facility_power_kw: float
    pue: float
    power_budget_kw: float | None
    headroom_kw: float | None
    feed_voltage_v: float
    feed_phases: int
    feed_breaker_a: float
    feed_derating: float
    power_factor: float
    redundancy: Redundancy
    usable_kw_per_circuit: float
    circuits: int
    feed_loss: list[FeedLossCheck]


class PartPlan(FrozenRecord):
    """A catalog part the plan uses, with what a DCIM needs to model it (manufacturer, model, size, power).

    Fields that do not apply to the part's kind are None (a cable has no height, a rack no power draw)."""

    id: str
    kind: str
    name: str
    vendor: str
    height_u: int | None = None
    max_power_w: float | None = None
    typical_power_w: float | None = None
    power_supplies: int | None = Field(None, description="PSUs of a system, when the catalog lists them")
    power_supplies_required: int | None = Field(None, description="PSUs that must work for full performance")
    width_mm: int | None = Field(None, description="racks only")
    depth_mm: int | None = Field(None, description="racks only")
    rack_standard: Literal["eia-310", "orv3"] | None = Field(None, description="racks only: 19-inch or 21-inch rails")
    confidence: Confidence
    source: str


class BomLine(FrozenRecord):
    """One line of the bill of materials."""

    part: str
    description: str
    category: str
    quantity: int
    unit_price_usd: float
    extended_price_usd: float
    confidence: Confidence
    source: str


class CableRun(FrozenRecord):
    """One cable (one link, as reference architectures count them). The A end is the lower tier.

    Ports are labels: a switch port number, `port/lane` for a broken-out port, or the endpoint's interface
    (`compute3` = third compute NIC; `.2` suffix = second plane of a twin-plane NIC).
    """

    fabric: str
    plane: int
    tier: LinkTier
    a_device: str
    a_port: str
    b_device: str
    b_port: str
    speed_gbps: int
    medium: Medium
    cable: str = Field(description="catalog id of the cable or patch cord")
    a_transceiver: str | None = Field(description="catalog id of the optic at the A end; None for copper")
    b_transceiver: str | None = Field(description="catalog id of the optic at the B end; None for copper")
    length_m: float


class FabricPlan(FrozenRecord):
    """A network fabric: its sizing, switch and link counts per tier, and every cable."""

    name: str
    purpose: str
    technology: FabricTechnology
    planes: int
    switch_model: str
    endpoint_speed_gbps: int
    uplink_speed_gbps: int
    oversubscription: float
    rail_optimized: bool
    rails: int
    tiers: int
    scalable_units: int
    systems_per_su: int
    endpoints: int = Field(description="endpoint links (NIC ports) per plane, fabric manager included")
    switches: dict[str, int] = Field(description="tier (leaf, spine, core) -> switches over all planes")
    links: dict[str, int] = Field(description="tier pair (endpoint-leaf, leaf-spine, spine-core) -> links")
    port_utilisation: dict[str, float] = Field(description="tier -> used / available switch ports")
    manager: str | None = Field(description="fabric manager (UFM) appliance, InfiniBand only")
    cables: list[CableRun]


class PrefixPlan(FrozenRecord):
    """One management network's IPv4 prefix: which fabric it runs on, its gateway and how many addresses it gave."""

    network: Literal["management", "oob"]
    fabric: str
    prefix: str
    gateway: str
    addresses: int


class AddressPlan(FrozenRecord):
    """One managed interface's address (with its prefix length) on a management network."""

    device: str
    network: Literal["management", "oob"]
    interface: str = Field(description="the cabled port, or bond0 for a host's bonded pair")
    address: str


class AddressingPlan(FrozenRecord):
    """The management networks' prefixes and every managed interface's address, in rack and U order."""

    prefixes: list[PrefixPlan] = Field(default_factory=list)
    addresses: list[AddressPlan] = Field(default_factory=list)


class CoolingPlan(FrozenRecord):
    """Heat rejection by method, with the airflow and liquid flow it needs."""

    heat_kw_by_method: dict[str, float]
    racks_by_method: dict[str, int]
    airflow_cfm: float
    liquid_flow_lpm: float


# Earlier names of the estimate records (plan.json 1.1); the same classes.
PerformanceEstimate = TrainingEstimate
InferencePerformanceEstimate = InferenceEstimate


class Plan(FrozenRecord):
    """The resolved design; `performance` holds the estimate of each workload (training or inference)."""

    schema_version: str = SCHEMA_VERSION
    metadata: PlanMetadata
    summary: Summary
    site: SitePlan
    network: NetworkPlan
    workloads: list[WorkloadPlan]
    compute: list[ComputeAllocation]
    racks: list[RackPlan]
    power: PowerPlan
    cooling: CoolingPlan
    bom: list[BomLine]
    assumptions: list[Assumption]
    warnings: list[str] = Field(default_factory=list)
    fabrics: dict[str, FabricPlan] = Field(default_factory=dict)
    addressing: AddressingPlan = Field(default_factory=AddressingPlan)
    parts: list[PartPlan] = Field(default_factory=list, description="every catalog part in racks or the BOM, by id")
    performance: list[WorkloadEstimate] = Field(default_factory=list)
    decisions: list[SizingDecision] = Field(
        default_factory=list,
        description="how target sizing chose each target workload's platform and size, in spec order; fixed-size "
        "workloads have none",
    )
    economics: EconomicsPlan | None = Field(None, description="TCO and unit costs (None: plan.json before 1.6)")
    schedule: SchedulePlan | None = Field(None, description="lead times and time to ready (None: before 1.6)")
