"""Rack layout: choose the rack type and power limit, pack devices with the CP-SAT solver, check the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from refarch.catalog.models import Rack, Server, Switch, System
from refarch.design.context import DesignContext
from refarch.errors import CatalogError, InfeasibleError
from refarch.inputs.site import ResolvedSite
from solvers.rack_packing import (
    DeviceGroup,
    PackingInfeasibleError,
    PackingInstance,
    PackingResult,
    lower_bound_racks,
    pack_racks,
    validate_packing,
)

__all__ = ["MountedItem", "RackLayout", "choose_rack", "layout_racks", "racks_lower_bound"]


@dataclass(frozen=True)
class MountedItem:
    """Devices of one catalog id to mount, with their role in the design (e.g. compute, leaf, memoryx)."""

    device: System | Server | Switch
    count: int
    role: str
    category: str = "compute"
    names: tuple[str, ...] = ()
    extra_power_w: float = 0.0  # allowance per device for what plugs into it (optics), counted when packing

    def __post_init__(self) -> None:
        if self.names and len(self.names) != self.count:
            raise ValueError(f"{self.role}: {len(self.names)} names for {self.count} devices")

    @property
    def rack_scale(self) -> bool:
        """The device is a whole rack (GB200 NVL72): it takes a rack of its own."""
        return isinstance(self.device, System) and self.device.rack_scale

    @property
    def key(self) -> str:
        """Packing group: the role and catalog id (e.g. compute-dgx-h100, compute-leaf-qm9700)."""
        return f"{self.role}-{self.device.id}"

    def device_name(self, index: int) -> str:
        """Name of device `index` (0-based): the given name, else `<catalog id>-<n>`."""
        return self.names[index] if self.names else f"{self.device.id}-{index + 1:03d}"


@dataclass(frozen=True)
class RackLayout:
    """The packing plus the rack type and limit it was solved for."""

    rack: Rack
    power_limit_w: float
    items: dict[str, MountedItem]
    packing: PackingResult
    lower_bound: int


def choose_rack(context: DesignContext) -> Rack:
    """The catalog rack of the site's rack height (EIA-310 preferred).

    Raises:
        CatalogError: no rack of that height exists.
    """
    site, catalog = context.site, context.catalog
    racks = [r for r in catalog.of_kind("rack") if r.height_u == site.rack_height_u]
    racks.sort(key=lambda r: (r.standard != "eia-310", r.id))
    if not racks:
        heights = sorted({r.height_u for r in catalog.of_kind("rack")})
        raise CatalogError(
            f"no rack of {site.rack_height_u}U in the catalog",
            site.where.rack_height,
            f"use one of {', '.join(map(str, heights))} or add a rack entry with --catalog",
        )
    return cast(Rack, racks[0])


def layout_racks(context: DesignContext, items: list[MountedItem], effort: float = 1.0) -> RackLayout:
    """Pack `items` into the fewest racks of the site's type under its power limit.

    Raises:
        InfeasibleError: a device exceeds a rack's power or height.
    """
    rack = choose_rack(context)
    site = context.site
    limit_w = site.rack_power_limit_w
    by_id = {item.key: item for item in items}
    instance = PackingInstance(
        groups=tuple(_group(item) for item in items),
        rack_height_u=rack.height_u,
        rack_power_w=limit_w,
    )
    try:
        packing = pack_racks(instance, effort)
    except PackingInfeasibleError as exc:
        raise InfeasibleError(exc.reason, site.where.rack_power_limit, _fit_hint(site)) from None
    problems = validate_packing(instance, packing)
    if problems:  # a solver bug, not a user error: fail loudly rather than emit a wrong plan
        raise AssertionError("rack packing failed validation: " + "; ".join(problems))
    return RackLayout(rack, limit_w, by_id, packing, lower_bound_racks(instance))


def racks_lower_bound(context: DesignContext, items: list[MountedItem]) -> int:
    """The fewest racks `items` could need (height, power and unsharable devices), without solving."""
    rack = choose_rack(context)
    limit_w = context.site.rack_power_limit_w
    return lower_bound_racks(PackingInstance(tuple(_group(i) for i in items), rack.height_u, limit_w))


def _group(item: MountedItem) -> DeviceGroup:
    device = item.device
    power_w = device.max_power_w + item.extra_power_w
    return DeviceGroup(item.key, device.height_u, power_w, item.count, dedicated_rack=item.rack_scale)


def _fit_hint(site: ResolvedSite) -> str:
    if "liquid" not in site.cooling:
        return "raise site.rack_power_limit, or add a denser cooling method (rdhx, liquid) to site.cooling"
    return "raise site.rack_power_limit or choose a smaller platform"
