"""Flattened views of the Plan that several outputs share, computed once per render.

The Plan nests devices in racks and cables in fabrics, and names each cable's ends by device and port only. Outputs
(cabling.csv, diagrams, and the coming NetBox, Ansible and review outputs) need the same joins: where a device
sits (rack, row, U), what it is (role, catalog id), which of its ports are cabled to what, and each cable with both
ends located. `build_views` makes those joins once, so that templates stay loops over lists and no two outputs
compute a device's position differently.

Zero-U PDUs are devices too (`<rack>-pdu<n>`, at U 0, role `pdu`, the rack's PDU model as catalog id): the
out-of-band fabric cables them.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from refarch.errors import OutputError
from refarch.plan import Plan
from refarch.types import LinkTier, Medium

__all__ = ["CableEnd", "CableView", "DeviceView", "PlanViews", "PortView", "build_views", "cable_id"]

PDU_ROLE = "pdu"

# Cable tier -> whether its (A end, B end) is a switch. An endpoint-leaf cable's A end is the endpoint; every other
# tier joins two switches (an uplink joins an out-of-band leaf to the in-band fabric).
_SWITCH_ENDS: Mapping[str, tuple[bool, bool]] = {
    "endpoint-leaf": (False, True),
    "leaf-spine": (True, True),
    "spine-core": (True, True),
    "uplink": (True, True),
}
_DIGITS = re.compile(r"(\d+)")


class PortView(NamedTuple):
    """One cabled port of a device and what is at the other end of its cable."""

    port: str
    fabric: str
    plane: int
    tier: LinkTier
    speed_gbps: int
    medium: Medium
    transceiver: str | None
    peer_device: str
    peer_port: str
    cable_id: str


@dataclass(frozen=True)
class DeviceView:
    """A device where it sits: rack, row, U (0 for a zero-U PDU), what it is and its cabled ports in port order."""

    name: str
    rack: str
    row: int
    u: int
    height_u: int
    role: str
    catalog_id: str
    zero_u: bool
    switch: bool
    port_index: _PortIndex = field(repr=False, compare=False)

    @property
    def ports(self) -> tuple[PortView, ...]:
        """The device's cabled ports, fabric by fabric, in natural port order (`2` before `10`)."""
        return self.port_index.of(self.name)


class CableEnd(NamedTuple):
    """One end of a cable, located: site, row, rack, U, device, port and the optic plugged in (None for copper)."""

    site: str
    row: int
    rack: str
    u: int
    device: str
    port: str
    transceiver: str | None


class CableView(NamedTuple):
    """A cable with both ends located; `cable_id` is `<fabric>-<number>`, numbered from 1 within its fabric."""

    cable_id: str
    fabric: str
    plane: int
    tier: LinkTier
    a: CableEnd
    b: CableEnd
    medium: Medium
    cable: str
    speed_gbps: int
    length_m: float


@dataclass(frozen=True)
class PlanViews:
    """The shared views: devices in rack order (then U, then name), cables fabric by fabric (fabrics sorted)."""

    devices: tuple[DeviceView, ...]
    cables: tuple[CableView, ...]
    by_name: Mapping[str, DeviceView]

    @property
    def switches(self) -> tuple[DeviceView, ...]:
        """Every switch, in device order; a switch's `ports` are its interfaces."""
        return tuple(d for d in self.devices if d.switch)

    def device(self, name: str) -> DeviceView:
        """The device called `name`.

        Raises:
            KeyError: no device has that name.
        """
        return self.by_name[name]


def cable_id(fabric: str, number: int) -> str:
    """The id of the `number`-th cable (from 1) of `fabric`, as cabling.csv and every other output name it."""
    return f"{fabric}-{number:06d}"


@dataclass(frozen=True)
class _Place:
    rack: str
    row: int
    u: int
    height_u: int
    role: str
    catalog_id: str
    zero_u: bool


def build_views(plan: Plan) -> PlanViews:
    """The shared views of `plan`.

    Raises:
        OutputError: a cable names a device that sits in no rack (the plan is inconsistent).
    """
    places = _places(plan)
    site = plan.metadata.name
    cables: list[CableView] = []
    switches: set[str] = set()
    for fabric_name, fabric in sorted(plan.fabrics.items()):
        for number, run in enumerate(fabric.cables, start=1):
            ident = cable_id(fabric_name, number)
            a, b = places.get(run.a_device), places.get(run.b_device)
            if a is None or b is None:
                device = run.a_device if a is None else run.b_device
                raise OutputError(f"cable {ident} ends at {device!r}, which sits in no rack of the plan")
            a_end = CableEnd(site, a.row, a.rack, a.u, run.a_device, run.a_port, run.a_transceiver)
            b_end = CableEnd(site, b.row, b.rack, b.u, run.b_device, run.b_port, run.b_transceiver)
            cables.append(
                CableView(ident, fabric_name, run.plane, run.tier, a_end, b_end, run.medium, run.cable,
                          run.speed_gbps, run.length_m)
            )  # fmt: skip
            a_switch, b_switch = _SWITCH_ENDS[run.tier]
            if a_switch:
                switches.add(run.a_device)
            if b_switch:
                switches.add(run.b_device)
    index = _PortIndex(tuple(cables))
    devices = tuple(
        DeviceView(name, p.rack, p.row, p.u, p.height_u, p.role, p.catalog_id, p.zero_u, name in switches, index)
        for name, p in places.items()
    )  # fmt: skip
    return PlanViews(devices, index.cables, MappingProxyType({d.name: d for d in devices}))


class _PortIndex:
    """Every device's cabled ports, joined from the cables the first time a device's ports are asked for: most
    outputs read cables, not ports, and at 100,000+ GPUs the join is a third of building the views."""

    def __init__(self, cables: tuple[CableView, ...]) -> None:
        self.cables = cables

    def of(self, device: str) -> tuple[PortView, ...]:
        return self._by_device.get(device, ())

    @functools.cached_property
    def _by_device(self) -> dict[str, tuple[PortView, ...]]:
        ports: dict[str, list[PortView]] = defaultdict(list)
        for cable in self.cables:
            for near, far in ((cable.a, cable.b), (cable.b, cable.a)):
                ports[near.device].append(
                    PortView(near.port, cable.fabric, cable.plane, cable.tier, cable.speed_gbps, cable.medium,
                             near.transceiver, far.device, far.port, cable.cable_id)
                )  # fmt: skip
        return {device: tuple(sorted(found, key=_port_order)) for device, found in ports.items()}


def _places(plan: Plan) -> dict[str, _Place]:
    """Every device by name, in rack order, then by U (PDUs, at U 0, first) and name."""
    places: dict[str, _Place] = {}
    for rack in plan.racks:
        found = {
            device.name: _Place(rack.name, rack.row, device.u_position, device.height_u, device.role,
                                device.catalog_id, zero_u=False)
            for device in rack.devices
        }  # fmt: skip
        for pdu in rack.pdu_names:
            found[pdu] = _Place(rack.name, rack.row, 0, 0, PDU_ROLE, rack.pdu_model or "", zero_u=True)
        places.update(sorted(found.items(), key=lambda item: (item[1].u, item[0])))
    return places


def _port_order(port: PortView) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Fabric, then port in natural order: `2` before `10`, `compute2` before `compute10`, `1/2` after `1`."""
    return port.fabric, _natural_key(port.port)


@functools.lru_cache(maxsize=4096)
def _natural_key(port: str) -> tuple[tuple[int, str], ...]:
    # Cached: a plan repeats a few hundred port names over hundreds of thousands of ports.
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in _DIGITS.split(port) if part)
