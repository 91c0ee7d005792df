"""The hardware facts the performance model needs, read from one catalog system and its accelerator."""

from __future__ import annotations

from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Accelerator, Nic, System
from refarch.errors import Location

__all__ = [
    "FAMILIES",
    "MAX_SYSTEMS",
    "Platform",
    "family_of",
    "largest_text",
    "limit_text",
    "platform_from_catalog",
    "remedy_text",
]

# Largest cluster of one platform that target sizing considers when the site sets no limit (systems). Far beyond
# the largest clusters in the reference (the 16,384-H100 Llama 3 run is 2,048 DGX; CS-3 clusters go up to 2,048
# systems), so it bounds the search, not a design.
MAX_SYSTEMS = 1 << 14


def limit_text(upper: int) -> str:
    """Who bounds a size search at `upper` systems: the site's limits, or refarch's own cap when the site sets none
    (so a message never blames the site for a bound it did not set)."""
    if upper >= MAX_SYSTEMS:
        return f"refarch sizes at most {MAX_SYSTEMS:,} systems of one platform"
    return f"the site's limits allow {upper:,}"


def largest_text(systems: int) -> str:
    """What a nearest size of `systems` is the most of: what the site's limits allow, or what refarch sizes."""
    return "the most refarch sizes" if systems >= MAX_SYSTEMS else "the most the limits allow"


def remedy_text(systems: int, relax: str) -> str:
    """What would let a target missed at a nearest size of `systems` be met: more room on the site, unless the size
    is refarch's cap (the site's limits did not bind, so raising them cannot help), and always a looser `relax`."""
    if systems >= MAX_SYSTEMS:
        return f"relax {relax}"
    return f"raise the power budget, max_racks or budget, or relax {relax}"


# Accelerator families share one calibrated efficiency. A family without measurements borrows its parent's
# (the nearest generation that has data) and reports a wider confidence band.
FAMILIES: dict[str, str | None] = {
    "ampere": None,
    "hopper": "ampere",
    "blackwell": "hopper",
    "cdna3": "hopper",
    "wafer": None,
}
_FAMILY_BY_PREFIX = (
    ("a100", "ampere"),
    ("h100", "hopper"),
    ("h200", "hopper"),
    ("b200", "blackwell"),
    ("b300", "blackwell"),
    ("mi300", "cdna3"),
    ("wse", "wafer"),
)


def family_of(accelerator_id: str) -> str:
    """The calibration family of an accelerator id (`h200-sxm` -> `hopper`); unknown ids fall back to `hopper`."""
    for prefix, family in _FAMILY_BY_PREFIX:
        if accelerator_id.startswith(prefix):
            return family
    return "hopper"


@dataclass(frozen=True)
class Platform:
    """One system type as the performance model sees it.

    Bandwidths are per accelerator and per direction; `scale_up_domain` is how many accelerators share the
    scale-up (NVLink-class) network, 1 when there is none.
    """

    system_id: str
    system_name: str
    accelerator_id: str
    family: str
    accelerators_per_system: int
    peak_tflops: dict[str, float]
    memory_gb: float
    memory_bandwidth_tbps: float
    scale_up_gbps: float
    scale_up_domain: int
    network_gbps: float
    system_power_w: float
    system_price_usd: float
    height_u: int
    rack_scale: bool
    wafer: bool

    def peak_flops(self, precision: str) -> float:
        """Dense peak FLOP/s at `precision`; fp16 and bf16 share a peak, fp8 falls back to bf16 where absent."""
        table = self.peak_tflops
        value = table.get(precision) or table.get("bf16") or max(table.values())
        return value * 1e12

    def supports(self, precision: str) -> bool:
        """Whether the accelerator has a dense peak for `precision` (fp8 on A100 does not)."""
        return precision in self.peak_tflops


def platform_from_catalog(
    catalog: Catalog, system_id: str, where: Location | None = None, accelerator_id: str | None = None
) -> Platform:
    """Build the `Platform` of catalog system `system_id`, optionally with another accelerator in it.

    Raises:
        CatalogError: the system or accelerator id is unknown or of another kind.
    """
    system = catalog.get(system_id, System, where)
    accelerator = catalog.get(accelerator_id or system.accelerator, Accelerator, where)
    scale_up = accelerator.scale_up_bandwidth_gbps
    return Platform(
        system_id=system.id,
        system_name=system.name,
        accelerator_id=accelerator.id,
        family=family_of(accelerator.id),
        accelerators_per_system=system.accelerators,
        peak_tflops={str(k): float(v) for k, v in accelerator.dense_tflops.items()},
        memory_gb=accelerator.memory_gb,
        memory_bandwidth_tbps=accelerator.memory_bandwidth_tbps,
        # Catalog NVLink figures are bidirectional totals; a ring moves data one way at a time.
        scale_up_gbps=scale_up / 2,
        scale_up_domain=system.accelerators if scale_up > 0 else 1,
        network_gbps=_network_gbps_per_accelerator(catalog, system),
        system_power_w=system.max_power_w,
        system_price_usd=system.price.usd,
        height_u=system.height_u,
        rack_scale=system.rack_scale,
        wafer=family_of(accelerator.id) == "wafer",
    )


def _network_gbps_per_accelerator(catalog: Catalog, system: System) -> float:
    """Scale-out bandwidth per accelerator in GB/s (one direction), from the system's compute NICs."""
    total_gbit = 0.0
    for slot in system.nics:
        if slot.role == "compute":
            nic = catalog.get(slot.nic, Nic)
            total_gbit += slot.count * nic.ports * nic.port_speed_gbps
    return total_gbit / 8 / system.accelerators
