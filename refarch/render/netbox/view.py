"""The NetBox view of a Plan: every object refarch puts in NetBox, with NetBox's fields and slugs, computed once.

The Terraform bundle and `refarch netbox push` both read this view, so that the two cannot drift. Every object has
a stable key (a device's name, `<device>/<interface>`, a cable's id, a rack's name), which Terraform uses in
`for_each` and the push uses to find the object again. Every object the plan owns carries its tag, so that a
re-plan updates or retires exactly its own objects; shared objects (manufacturers, device roles, rack and device
types) are found by slug instead.

Interfaces are modelled on devices, not as templates on device types: NetBox instantiates a type's templates when a
device is created, and Terraform would then try to create the same interfaces again (NetBox refuses a second
interface of one name on a device). Device types carry the power-port templates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from refarch.errors import OutputError
from refarch.plan import AddressPlan, PartPlan, Plan, RackPlan
from refarch.render.netbox.slugs import DEFAULT_NETBOX_VERSION, SlugTable, slug_table
from refarch.render.views import CableView, DeviceView, PlanViews

__all__ = [
    "NetBoxView", "Site", "Location", "Manufacturer", "RackType", "Rack", "DeviceRole", "PowerPortTemplate",
    "DeviceType", "Device", "Interface", "Cable", "PowerPanel", "PowerFeed", "Vrf", "Prefix", "IpAddress",
    "build_netbox_view", "slugify",
]  # fmt: skip

STATUS = "planned"
# IPAM has no `planned` status: a planned prefix or address is reserved until its device is live.
IPAM_STATUS = "reserved"
_ROLE_COLOURS = {"compute": "4caf50", "leaf": "2196f3", "spine": "3f51b5", "core": "673ab7", "manager": "ff9800",
                 "pdu": "795548", "storage": "009688"}  # fmt: skip
_DEFAULT_COLOUR = "9e9e9e"


@dataclass(frozen=True)
class Site:
    name: str
    slug: str
    description: str


@dataclass(frozen=True)
class Location:
    key: str
    name: str
    slug: str


@dataclass(frozen=True)
class Manufacturer:
    key: str
    name: str
    slug: str


@dataclass(frozen=True)
class RackType:
    key: str
    model: str
    slug: str
    manufacturer: str
    form_factor: str
    width: int
    u_height: int
    outer_width_mm: int | None
    outer_depth_mm: int | None
    outer_unit: str | None  # NetBox wants a unit with the outer dimensions, and none without them


@dataclass(frozen=True)
class Rack:
    key: str
    name: str
    rack_type: str
    location: str
    u_height: int
    description: str


@dataclass(frozen=True)
class DeviceRole:
    key: str
    name: str
    slug: str
    color: str


@dataclass(frozen=True)
class PowerPortTemplate:
    key: str
    device_type: str
    name: str
    maximum_draw: int
    allocated_draw: int


@dataclass(frozen=True)
class DeviceType:
    key: str
    model: str
    slug: str
    manufacturer: str
    part_number: str
    u_height: int
    is_full_depth: bool


@dataclass(frozen=True)
class Device:
    key: str
    name: str
    device_type: str
    role: str
    rack: str
    position: int | None
    face: str | None


@dataclass(frozen=True)
class Interface:
    key: str
    device: str
    name: str
    type: str
    mgmt_only: bool
    description: str


@dataclass(frozen=True)
class Cable:
    key: str
    a_interface: str
    b_interface: str
    type: str
    length: float
    length_unit: str
    label: str


@dataclass(frozen=True)
class PowerPanel:
    key: str
    name: str
    location: str


@dataclass(frozen=True)
class PowerFeed:
    key: str
    name: str
    power_panel: str
    rack: str
    type: str
    supply: str
    phase: str
    voltage: int
    amperage: int
    max_utilization: int


@dataclass(frozen=True)
class Vrf:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Prefix:
    key: str
    prefix: str
    vrf: str
    description: str


@dataclass(frozen=True)
class IpAddress:
    key: str
    address: str
    vrf: str
    interface: str
    description: str


@dataclass(frozen=True)
class NetBoxView:
    """Everything refarch puts in NetBox for one plan, in dependency order, each list sorted by key."""

    netbox_version: str
    tag: str
    site: Site
    locations: tuple[Location, ...]
    manufacturers: tuple[Manufacturer, ...]
    rack_types: tuple[RackType, ...]
    racks: tuple[Rack, ...]
    device_roles: tuple[DeviceRole, ...]
    device_types: tuple[DeviceType, ...]
    power_port_templates: tuple[PowerPortTemplate, ...]
    devices: tuple[Device, ...]
    interfaces: tuple[Interface, ...]
    cables: tuple[Cable, ...]
    power_panels: tuple[PowerPanel, ...]
    power_feeds: tuple[PowerFeed, ...]
    vrfs: tuple[Vrf, ...]
    prefixes: tuple[Prefix, ...]
    ip_addresses: tuple[IpAddress, ...]

    def counts(self) -> dict[str, int]:
        """Objects per kind (the site counts as one)."""
        kinds = ("locations", "manufacturers", "rack_types", "racks", "device_roles", "device_types",
                 "power_port_templates", "devices",
                 "interfaces", "cables", "power_panels", "power_feeds", "vrfs", "prefixes", "ip_addresses")  # fmt: skip
        return {"sites": 1, **{kind: len(getattr(self, kind)) for kind in kinds}}


_SLUG = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str) -> str:
    """NetBox's slug form of `text`: lower case, runs of other characters as one `-`, at most 100 characters."""
    return _SLUG.sub("-", text.lower()).strip("-")[:100] or "x"


def build_netbox_view(plan: Plan, views: PlanViews, version: str | SlugTable = DEFAULT_NETBOX_VERSION) -> NetBoxView:
    """The NetBox objects of `plan` for NetBox `version` (a version such as `4.7`, or its slug table).

    Raises:
        OutputError: a port has no NetBox interface type in this version's table, or the version has no table.
    """
    if isinstance(version, SlugTable):
        slugs = version
    else:
        try:
            slugs = slug_table(version)
        except KeyError:
            raise OutputError(f"no NetBox slug table for version {version!r} (known: 4.6, 4.7)") from None
    parts = {p.id: p for p in plan.parts}
    placed = list(views.devices)
    tag = f"refarch-{slugify(plan.metadata.name)}"
    vrf = plan.metadata.name
    device_types = _device_types(placed, parts)
    return NetBoxView(
        netbox_version=slugs.version,
        tag=tag,
        site=Site(plan.metadata.name, slugify(plan.metadata.name), plan.metadata.description),
        locations=tuple(_location(row) for row in sorted({r.row for r in plan.racks})),
        manufacturers=_manufacturers(parts, {t.key for t in device_types} | {r.catalog_id for r in plan.racks}),
        rack_types=tuple(_rack_type(parts[i]) for i in sorted({r.catalog_id for r in plan.racks})),
        racks=tuple(_rack(r) for r in plan.racks),
        device_roles=tuple(_role(role) for role in sorted({d.role for d in placed})),
        device_types=device_types,
        power_port_templates=tuple(p for i in sorted({d.catalog_id for d in placed}) for p in _power_ports(parts[i])),
        devices=tuple(_device(d) for d in placed),
        interfaces=_interfaces(plan, placed, slugs),
        cables=tuple(_cable(c, slugs) for c in views.cables),
        power_panels=_power_panels(plan),
        power_feeds=_power_feeds(plan),
        # The plan's addresses live in a VRF of their own: designs drafted with the same private ranges (the
        # defaults) do not collide in NetBox's global table, which refuses a prefix twice.
        vrfs=(Vrf(vrf, vrf, f"management addressing of plan {vrf}"),),
        prefixes=tuple(
            Prefix(p.prefix, p.prefix, vrf, f"{p.network} network ({p.fabric} fabric)")
            for p in plan.addressing.prefixes
        ),
        ip_addresses=tuple(_ip_address(a, vrf) for a in plan.addressing.addresses),
    )


def _cable(cable: CableView, slugs: SlugTable) -> Cable:
    a, b = f"{cable.a.device}/{cable.a.port}", f"{cable.b.device}/{cable.b.port}"
    return Cable(cable.cable_id, a, b, slugs.cable[cable.medium], cable.length_m, "m", cable.cable_id)


def _ip_address(address: AddressPlan, vrf: str) -> IpAddress:
    interface = f"{address.device}/{address.interface}"
    return IpAddress(interface, address.address, vrf, interface, f"{address.network} address")


def _row_key(row: int) -> str:
    """A row's location key and slug (`row-01`), which racks and power panels refer to."""
    return f"row-{row:02d}"


def _location(row: int) -> Location:
    return Location(_row_key(row), f"Row {row:02d}", _row_key(row))


def _manufacturers(parts: dict[str, PartPlan], ids: set[str]) -> tuple[Manufacturer, ...]:
    vendors = sorted({parts[i].vendor for i in ids})
    return tuple(Manufacturer(slugify(v), v, slugify(v)) for v in vendors)


def _rack_type(part: PartPlan) -> RackType:
    width = 21 if part.rack_standard == "orv3" else 19
    return RackType(part.id, part.name, slugify(part.id), slugify(part.vendor), "4-post-cabinet", width,
                    part.height_u or 0, part.width_mm, part.depth_mm, "mm" if part.width_mm else None)  # fmt: skip


def _rack(rack: RackPlan) -> Rack:
    # Names the rack type: Terraform's racks cannot refer to it (see the bundle's README).
    description = (f"{rack.catalog_id}; plan: {rack.it_power_kw:g} kW IT of {rack.power_limit_kw:g} kW, "
                   f"cooling {rack.cooling}")  # fmt: skip
    return Rack(rack.name, rack.name, rack.catalog_id, _row_key(rack.row), rack.height_u, description)


def _role(role: str) -> DeviceRole:
    family = role.rpartition("-")[2]
    return DeviceRole(slugify(role), role, slugify(role), _ROLE_COLOURS.get(family, _DEFAULT_COLOUR))


def _device_types(devices: Sequence[DeviceView], parts: dict[str, PartPlan]) -> tuple[DeviceType, ...]:
    found = []
    for part_id in sorted({d.catalog_id for d in devices}):
        part = parts[part_id]
        found.append(
            DeviceType(part.id, part.name, slugify(part.id), slugify(part.vendor), part.id, part.height_u or 0,
                       (part.height_u or 0) > 0)
        )  # fmt: skip
    return tuple(found)


def _power_ports(part: PartPlan) -> tuple[PowerPortTemplate, ...]:
    """One template per PSU: allocated draw is the device's maximum shared by all its PSUs, maximum draw what one
    PSU carries when only the required ones work. Without PSU data a device gets two, each able to carry it all
    (A and B feeds); zero-power parts (a PDU) get none."""
    if not part.max_power_w:
        return ()
    count = part.power_supplies or 2
    required = part.power_supplies_required or 1
    allocated = math.ceil(part.max_power_w / count)
    maximum = math.ceil(part.max_power_w / required)
    return tuple(
        PowerPortTemplate(f"{part.id}/PSU{k}", part.id, f"PSU{k}", maximum, allocated) for k in range(1, count + 1)
    )


def _device(device: DeviceView) -> Device:
    position = None if device.zero_u else device.u
    return Device(device.name, device.name, device.catalog_id, slugify(device.role), device.rack, position,
                  None if device.zero_u else "front")  # fmt: skip


def _interfaces(plan: Plan, devices: Sequence[DeviceView], slugs: SlugTable) -> tuple[Interface, ...]:
    technology = {name: f.technology for name, f in plan.fabrics.items()}
    found: dict[str, Interface] = {}
    for device in devices:
        for port in device.ports:
            kind = slugs.interface.get((technology[port.fabric], port.speed_gbps))
            if kind is None:
                raise OutputError(
                    f"port {device.name}/{port.port}: no NetBox {slugs.version} interface type for "
                    f"{technology[port.fabric]} at {port.speed_gbps} Gb/s (known: {sorted(slugs.interface)})"
                )
            key = f"{device.name}/{port.port}"
            description = f"{port.fabric} plane {port.plane} to {port.peer_device}/{port.peer_port}"
            found[key] = Interface(key, device.name, port.port, kind, port.fabric == "oob", description)
    for address in plan.addressing.addresses:
        key = f"{address.device}/{address.interface}"
        if key not in found:  # a host's bond of its two in-band ports
            found[key] = Interface(key, address.device, address.interface, "lag", False, "in-band management bond")
    return tuple(found[k] for k in found)


def _power_panels(plan: Plan) -> tuple[PowerPanel, ...]:
    sides = _sides(plan)
    rows = sorted({r.row for r in plan.racks})
    return tuple(PowerPanel(f"{_row_key(row)}-{side}", f"{_row_key(row)}-{side}", _row_key(row))
                 for row in rows for side in sides)  # fmt: skip


def _sides(plan: Plan) -> tuple[str, ...]:
    return ("A", "B") if plan.power.redundancy == "2N" else ("A",)


def _power_feeds(plan: Plan) -> tuple[PowerFeed, ...]:
    """Each rack's circuits: under 2N the first half on panel A (primary) and the second on B (redundant)."""
    power = plan.power
    two_n = power.redundancy == "2N"
    phase = "three-phase" if power.feed_phases == 3 else "single-phase"
    feeds = []
    for rack in plan.racks:
        per_side = rack.circuits // 2 if two_n else rack.circuits
        for k in range(rack.circuits):
            side = "B" if two_n and k >= per_side else "A"
            number = k - per_side + 1 if side == "B" else k + 1
            name = f"{rack.name}-{side}{number}"
            feeds.append(
                PowerFeed(name, name, f"{_row_key(rack.row)}-{side}", rack.name,
                          "redundant" if side == "B" else "primary", "ac", phase, round(power.feed_voltage_v),
                          round(power.feed_breaker_a), round(power.feed_derating * 100))
            )  # fmt: skip
    return tuple(feeds)
