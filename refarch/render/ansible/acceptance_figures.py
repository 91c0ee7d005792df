"""The acceptance plan's expectations, derived from the Plan: each figure with its inputs and the stated efficiency.

Efficiencies are assumptions (published measurements where there are some, `estimate` where not); everything else
comes from the Plan: the accelerator's scale-up bandwidth (`compute[].scale_up_bandwidth_gbps`, from the catalog),
the compute fabric's rails, planes, link rate and oversubscription, each fabric's cables and each rack's
`it_power_kw`.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.plan import ComputeAllocation, FabricPlan, Plan, RackPlan
from refarch.types import Confidence

__all__ = [
    "BANDS",
    "BURN_IN",
    "COMPUTE_FABRIC",
    "Allreduce",
    "Band",
    "BurnIn",
    "Efficiency",
    "FabricShare",
    "RackPower",
    "RailBandwidth",
    "allreduce_expectations",
    "rack_power_expectations",
    "rail_expectations",
]

COMPUTE_FABRIC = "compute"  # the Plan's name for the accelerators' scale-out fabric


@dataclass(frozen=True)
class Band:
    """A range of nccl-tests message sizes that shares one efficiency (`bandwidth` False: latency-bound)."""

    name: str
    min_bytes: int
    max_bytes: int
    bandwidth: bool


MIB = 1 << 20
# The sweep of shared/reference/iac.md (`all_reduce_perf -b 1M -e 4G -f 2`), cut where NCCL reaches its plateau.
BANDS = (
    Band("small", 1 * MIB, 32 * MIB, bandwidth=False),
    Band("medium", 64 * MIB, 512 * MIB, bandwidth=True),
    Band("large", 1024 * MIB, 4096 * MIB, bandwidth=True),
)


@dataclass(frozen=True)
class Efficiency:
    """A stated fraction of a line rate, with where it comes from."""

    value: float
    confidence: Confidence
    source: str


NVLINK_SOURCE = (
    "NVIDIA/nccl-tests issue #212 (NVIDIA, 2024): NVLink 4 line rate is 450 GB/s per direction; protocol overhead "
    "(~20%) leaves ~370 GB/s busbw with the ring algorithm, NVLink SHARP peaks near 480 GB/s on 8 H100 at sizes "
    "above 256 MB; Azure/azurehpc-health-checks (README, ND H100 v5) passes check_nccl_allreduce at 460 GB/s"
)
NIC_SOURCE = (
    "NVIDIA/nccl-tests issue #290 (NVIDIA, 2025): an NDR 400 Gb/s NIC (50 GB/s) should give 46-48 GB/s of NCCL "
    "bandwidth, 0.92-0.96 of the line rate"
)
PERFTEST_SOURCE = (
    "Azure/azurehpc-health-checks README (PRs #38, #73): check_ib_bw_gdr passes ib_write_bw at 380 Gb/s on NDR "
    "400 Gb/s (ND H100 v5) and 180 Gb/s on HDR 200 Gb/s (ND A100 v4)"
)
ESTIMATE = "no published figure for this band; NCCL has not reached its plateau below 1 GiB (issue #212)"

INTRA_EFFICIENCY = {
    "medium": Efficiency(0.5, "estimate", ESTIMATE),
    "large": Efficiency(0.8, "secondary", NVLINK_SOURCE),
}
FABRIC_EFFICIENCY = {
    "medium": Efficiency(0.5, "estimate", ESTIMATE),
    "large": Efficiency(0.92, "secondary", NIC_SOURCE),
}
RAIL_EFFICIENCY = Efficiency(0.95, "secondary", PERFTEST_SOURCE)
ROCE_NOTE = "estimate for RoCE: the published thresholds are InfiniBand's; "
POWER_LOWER = Efficiency(
    0.6,
    "estimate",
    "no published burn-in draw per system in the catalog; a rack of systems under a burn-in that "
    "draws less than 60% of its planned maximum is not under load (throttled, idle or missing accelerators)",
)


@dataclass(frozen=True)
class FabricShare:
    """What one system gets from the compute fabric: its links at the link rate, reduced by the oversubscription."""

    fabric: str
    technology: str
    rails: int
    planes: int
    link_gbps: int
    oversubscription: float

    @property
    def system_gbytes(self) -> float:
        """Every link of one system at its rate, in GB/s (8 bits a byte)."""
        return self.rails * self.planes * self.link_gbps / 8

    def busbw(self, efficiency: float) -> float:
        """The all-reduce bus bandwidth the fabric allows one system, in GB/s."""
        return round(self.system_gbytes / self.oversubscription * efficiency, 1)


@dataclass(frozen=True)
class Allreduce:
    """All-reduce expectations of one GPU platform: inside one system, and across the fabric (if planned)."""

    platform: str
    platform_name: str
    accelerators_per_system: int
    hosts_per_system: int
    scale_up_gbytes: float
    fabric: FabricShare | None

    @property
    def per_direction_gbytes(self) -> float:
        """The datasheet's scale-up bandwidth counts both directions; a ring sends and receives at once."""
        return self.scale_up_gbytes / 2

    def intra(self, band: str) -> float:
        """Minimum busbw inside one system for `band`, in GB/s."""
        return round(self.per_direction_gbytes * INTRA_EFFICIENCY[band].value, 1)

    def across(self, band: str) -> float | None:
        """Minimum busbw the fabric allows for `band`, in GB/s (None without a compute fabric)."""
        return self.fabric.busbw(FABRIC_EFFICIENCY[band].value) if self.fabric else None

    def multi(self, band: str) -> float | None:
        """Minimum busbw across systems: the slower of NVLink and the fabric."""
        across = self.across(band)
        return None if across is None else min(self.intra(band), across)


@dataclass(frozen=True)
class RailBandwidth:
    """ib_write_bw on one rail of a fabric: the link rate times the stated efficiency."""

    fabric: str
    technology: str
    rails: int
    planes: int
    link_gbps: int
    efficiency: Efficiency

    @property
    def minimum_gbps(self) -> float:
        return round(self.link_gbps * self.efficiency.value, 1)


@dataclass(frozen=True)
class RackPower:
    """One rack's pass band under burn-in: from a stated fraction of its planned maximum (if it holds systems) to
    the planned maximum."""

    rack: str
    systems: int
    it_power_kw: float
    power_limit_kw: float

    @property
    def min_kw(self) -> float:
        return round(self.it_power_kw * POWER_LOWER.value, 1) if self.systems else 0.0

    @property
    def max_kw(self) -> float:
        return self.it_power_kw


@dataclass(frozen=True)
class BurnIn:
    """The burn-in's length and its pass rules' numbers."""

    hours: int
    dcgm_diag_level: int
    max_xid_events: int
    max_link_down_events: int


BURN_IN = BurnIn(hours=48, dcgm_diag_level=3, max_xid_events=0, max_link_down_events=0)


def _fabric_share(plan: Plan) -> FabricShare | None:
    fabric = plan.fabrics.get(COMPUTE_FABRIC)
    if fabric is None:
        return None
    return FabricShare(
        fabric.name,
        fabric.technology,
        fabric.rails,
        fabric.planes,
        fabric.endpoint_speed_gbps,
        fabric.oversubscription,
    )


def gpu_platforms(plan: Plan) -> list[ComputeAllocation]:
    """One allocation per GPU platform (wafer-scale systems run no NCCL), in platform order."""
    chosen: dict[str, ComputeAllocation] = {}
    for item in plan.compute:
        if item.architecture == "gpu":
            chosen.setdefault(item.platform, item)
    return [chosen[k] for k in sorted(chosen)]


def allreduce_expectations(plan: Plan) -> list[Allreduce]:
    """All-reduce expectations per GPU platform whose scale-up bandwidth the Plan records (schema 1.3 on)."""
    share = _fabric_share(plan)
    return [
        Allreduce(
            item.platform,
            item.platform_name,
            item.accelerators_per_system,
            item.hosts_per_system,
            item.scale_up_bandwidth_gbps,
            share,
        )
        for item in gpu_platforms(plan)
        if item.scale_up_bandwidth_gbps
    ]


def _rail(fabric: FabricPlan) -> RailBandwidth:
    efficiency = RAIL_EFFICIENCY
    if fabric.technology != "infiniband":
        efficiency = Efficiency(efficiency.value, "estimate", ROCE_NOTE + efficiency.source)
    return RailBandwidth(
        fabric.name, fabric.technology, fabric.rails, fabric.planes, fabric.endpoint_speed_gbps, efficiency
    )


def rail_expectations(plan: Plan) -> list[RailBandwidth]:
    """ib_write_bw per rail for GPU hosts: the compute fabric (InfiniBand or RoCE) and any other InfiniBand fabric."""
    if not gpu_platforms(plan):
        return []
    return [
        _rail(f) for name, f in sorted(plan.fabrics.items()) if name == COMPUTE_FABRIC or f.technology == "infiniband"
    ]


def _systems_in(rack: RackPlan, platforms: set[str]) -> int:
    if rack.catalog_id in platforms:  # a rack-scale system is its rack
        return 1
    return sum(1 for d in rack.devices if d.catalog_id in platforms)


def rack_power_expectations(plan: Plan) -> list[RackPower]:
    """Every rack's power band under burn-in, in the Plan's rack order."""
    platforms = {c.platform for c in plan.compute}
    return [RackPower(r.name, _systems_in(r, platforms), r.it_power_kw, r.power_limit_kw) for r in plan.racks]
