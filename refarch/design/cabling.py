"""Cabling plan: the length of every link from rack positions, its medium from the reach table, and its parts.

fabric.md (NVIDIA LinkX): passive DAC within 2-3 m, active copper to 4-5 m, multimode SR4 to 50 m, single-mode
DR4 to 100/500 m, FR4 to 2 km. Parts, reaches and powers come from the catalog, so a user catalog can add optics.
Reference architectures count one cable per link; a twin-port module at a switch carries two links.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Cable, Switch, Transceiver
from refarch.design.networks.host_fabrics import FabricDesign
from refarch.errors import InfeasibleError
from refarch.plan import CableRun, RackPlan
from refarch.types import Assumption, LinkTier, Medium
from solvers.fabric_graph import SWITCH_ROLES, TIER

__all__ = [
    "CableGeometry",
    "MediaChooser",
    "cable_runs",
    "cabling_notes",
    "device_positions",
    "optics_allowance_w",
    "optics_power_w",
    "part_quantities",
]

U_M = 0.04445  # one rack unit (EIA-310)
_TIERS: dict[str, LinkTier] = {"leaf": "endpoint-leaf", "spine": "leaf-spine", "core": "spine-core"}


@dataclass(frozen=True)
class CableGeometry:
    """Planning distances (estimates, stated in the plan's assumptions)."""

    rack_width_m: float
    row_pitch_m: float
    tray_drop_m: float = 0.6  # from the top of a rack up to the overhead tray, per end
    slack_m: float = 2.0  # service loops, one metre at each end, between racks
    in_rack_slack_m: float = 0.5
    step_m: float = 0.5  # cables are ordered in half-metre steps


@dataclass(frozen=True)
class _Position:
    rack: str
    row: int
    slot: int
    centre_u: float
    top_u: int


def device_positions(racks: Iterable[RackPlan]) -> dict[str, _Position]:
    """Every mounted device's rack, row, slot in the row and vertical centre (in U)."""
    positions = {}
    for rack in racks:
        for device in rack.devices:
            centre = device.u_position + device.height_u / 2
            positions[device.name] = _Position(rack.name, rack.row, rack.position, centre, rack.height_u)
        for pdu in rack.pdu_names:  # zero-U PDUs: management port mid-rack
            positions[pdu] = _Position(rack.name, rack.row, rack.position, rack.height_u / 2, rack.height_u)
    return positions


def _length_m(a: _Position, b: _Position, geometry: CableGeometry) -> float:
    if a.rack == b.rack:
        raw = abs(a.centre_u - b.centre_u) * U_M + geometry.in_rack_slack_m
    else:
        vertical = (a.top_u - a.centre_u + b.top_u - b.centre_u) * U_M + 2 * geometry.tray_drop_m
        horizontal = abs(a.slot - b.slot) * geometry.rack_width_m + abs(a.row - b.row) * geometry.row_pitch_m
        raw = vertical + horizontal + geometry.slack_m
    return math.ceil(raw / geometry.step_m) * geometry.step_m


@dataclass(frozen=True)
class _Media:
    medium: Medium
    cable: str
    a_transceiver: str | None
    b_transceiver: str | None


class MediaChooser:
    """Picks the cheapest medium class the reach table allows: copper, then multimode, then single-mode."""

    def __init__(self, catalog: Catalog) -> None:
        self._cables = sorted((c for c in catalog.of_kind("cable") if isinstance(c, Cable)), key=lambda c: c.id)
        self._optics = sorted(
            (t for t in catalog.of_kind("transceiver") if isinstance(t, Transceiver)), key=lambda t: t.id
        )
        self.choose = lru_cache(maxsize=None)(self._choose)
        self.allowance_w = lru_cache(maxsize=None)(self._allowance_w)

    def _choose(self, speed: int, length: float, a_switch: bool, b_switch: bool) -> _Media | None:
        ends = "switch-switch" if a_switch and b_switch else "switch-endpoint"
        copper = [
            c for c in self._cables
            if c.medium in ("dac", "acc", "cat6a") and c.speed_gbps // c.links >= speed and c.reach_m >= length
            and c.ends in ("any", ends)
        ]  # fmt: skip
        if copper:
            best = min(copper, key=lambda c: (c.speed_gbps // c.links, c.reach_m, c.id))
            return _Media(best.medium, best.id, None, None)
        fibres: tuple[tuple[str, Medium], ...] = (("multimode", "fibre-mmf"), ("singlemode", "fibre-smf"))
        for fibre, medium in fibres:
            cords = [c for c in self._cables if c.medium == medium and c.reach_m >= length and c.speed_gbps >= speed]
            a, b = self._module(fibre, speed, length, a_switch), self._module(fibre, speed, length, b_switch)
            if cords and a and b:
                return _Media(medium, min(cords, key=lambda c: (c.reach_m, c.id)).id, a.id, b.id)
        return None

    def _module(self, fibre: str, speed: int, length: float, at_switch: bool) -> Transceiver | None:
        fits = [
            t for t in self._optics
            if t.fibre == fibre and t.speed_gbps // t.links >= speed and t.reach_m >= length
            and (at_switch or t.links == 1)
        ]  # fmt: skip
        # the slowest class that carries the link; at a switch, twin-port modules first (two links per cage)
        return min(fits, key=lambda t: (t.speed_gbps // t.links, -t.links, t.reach_m, t.id), default=None)

    def _allowance_w(self, speed: int, at_switch: bool) -> float:
        """The most a link end at `speed` can draw in optics, whatever its length."""
        fits = [t for t in self._optics if t.speed_gbps // t.links >= speed and (at_switch or t.links == 1)]
        if not fits:
            return 0.0
        slowest = min(t.speed_gbps // t.links for t in fits)
        return max((t.power_w or 0.0) / t.links for t in fits if t.speed_gbps // t.links == slowest)


def _is_switch(graph_role: str) -> bool:
    return graph_role in SWITCH_ROLES


def _port_label(design: FabricDesign, node_role: str, port: tuple[int, int], plane: int) -> str:
    number, lane = port
    if _is_switch(node_role):
        return f"{number}/{lane}" if lane else str(number)
    if node_role == "uplink":
        return f"uplink{number}"
    suffix = f".{plane}" if design.request.planes > 1 else ""
    interface = design.request.name.split("-")[0]  # compute-dgx-h100 (one of several platforms) -> compute
    return f"{interface}{number}{suffix}"


def cable_runs(
    designs: list[FabricDesign], positions: dict[str, _Position], geometry: CableGeometry, chooser: MediaChooser
) -> dict[str, list[CableRun]]:
    """Every link of every fabric as a cable, fabric by fabric, in build order.

    Raises:
        InfeasibleError: no catalog medium reaches a link's length at its speed.
    """
    return {d.request.name: _fabric_runs(d, positions, geometry, chooser) for d in designs}


@dataclass(frozen=True)
class _End:
    device: str
    role: str
    port: tuple[int, int]


def _fabric_runs(
    design: FabricDesign, positions: dict[str, _Position], geometry: CableGeometry, chooser: MediaChooser
) -> list[CableRun]:
    runs = []
    for graph in design.graphs:
        plane = graph.graph["plane"]
        for u, v, data in graph.edges(data=True):
            ends = sorted(
                (_End(n, graph.nodes[n]["role"], data["ports"][n]) for n in (u, v)), key=lambda e: TIER[e.role]
            )
            length = _length_m(positions[ends[0].device], positions[ends[1].device], geometry)
            runs.append(_run(design, plane, ends[0], ends[1], data["speed_gbps"], length, chooser))
    return runs


def _run(
    design: FabricDesign, plane: int, a: _End, b: _End, speed: int, length: float, chooser: MediaChooser
) -> CableRun:
    media = chooser.choose(speed, length, _is_switch(a.role), _is_switch(b.role))
    if media is None:
        raise InfeasibleError(
            f"no catalog cable or optic carries {speed} Gb/s over {length:g} m "
            f"({a.device} to {b.device}, {design.request.name} fabric)",
            None,
            "add a longer-reach transceiver with --catalog, or raise site.rack_power_limit so racks sit closer",
        )
    return CableRun(
        fabric=design.request.name,
        plane=plane,
        tier="uplink" if a.role == "uplink" else _TIERS[b.role],
        a_device=a.device,
        a_port=_port_label(design, a.role, a.port, plane),
        b_device=b.device,
        b_port=_port_label(design, b.role, b.port, plane),
        speed_gbps=speed,
        medium=media.medium,
        cable=media.cable,
        a_transceiver=media.a_transceiver,
        b_transceiver=media.b_transceiver,
        length_m=length,
    )


def _modules_per_device(catalog: Catalog, runs: Iterable[CableRun]) -> Counter[tuple[str, str]]:
    """Transceivers fitted in each device: (device, part) -> modules (a twin-port module carries two links)."""
    links: Counter[tuple[str, str]] = Counter()
    for run in runs:
        for device, module in ((run.a_device, run.a_transceiver), (run.b_device, run.b_transceiver)):
            if module:
                links[(device, module)] += 1
    return Counter({key: math.ceil(n / catalog.get(key[1], Transceiver).links) for key, n in links.items()})


def part_quantities(catalog: Catalog, runs: Iterable[CableRun]) -> Counter[str]:
    """Cables (twin cables carry two links) and transceivers (twin-port modules per switch) to order."""
    runs = list(runs)
    cable_links = Counter(run.cable for run in runs)
    quantities: Counter[str] = Counter()
    for part, links in cable_links.items():
        quantities[part] += math.ceil(links / catalog.get(part, Cable).links)
    for (_, part), modules in _modules_per_device(catalog, runs).items():
        quantities[part] += modules
    return quantities


def optics_power_w(catalog: Catalog, runs: Iterable[CableRun], switches: dict[str, Switch]) -> dict[str, float]:
    """Optics power per device; switches whose maximum already counts their optics add nothing."""
    power: dict[str, float] = {}
    for (device, part), modules in _modules_per_device(catalog, runs).items():
        if device in switches and switches[device].max_power_includes_optics:
            continue
        power[device] = power.get(device, 0.0) + modules * (catalog.get(part, Transceiver).power_w or 0.0)
    return power


def optics_allowance_w(design: FabricDesign, chooser: MediaChooser) -> dict[str, float]:
    """Per device, the most its optics in `design` can draw, for rack packing before lengths are known."""
    allowance: dict[str, float] = {}
    includes = design.request.switch.max_power_includes_optics
    for graph in design.graphs:
        for u, v, speed in graph.edges(data="speed_gbps"):
            for node in (u, v):
                at_switch = _is_switch(graph.nodes[node]["role"])
                if not (at_switch and includes):
                    allowance[node] = allowance.get(node, 0.0) + chooser.allowance_w(speed, at_switch)
    return allowance


def cabling_notes(geometry: CableGeometry) -> list[Assumption]:
    """The distances cable lengths rest on."""
    return [
        Assumption(
            id="cable-lengths",
            text=f"Cable lengths: vertical run from each device to the top of its rack plus {geometry.tray_drop_m:g} m "
            f"to the overhead tray per end, {geometry.rack_width_m:g} m per rack along a row, "
            f"{geometry.row_pitch_m:g} m between rows (rack depth plus a 1.2 m aisle), {geometry.slack_m:g} m slack "
            f"between racks ({geometry.in_rack_slack_m:g} m within a rack), rounded up to {geometry.step_m:g} m.",
            confidence="estimate",
            source="refarch default until a floor plan is given; media by reach from fabric.md (NVIDIA LinkX)",
        ),
        Assumption(
            id="optics-power",
            text="Transceiver power is added to the rack of the device it plugs into, except in switches whose "
            "datasheet maximum already includes their optics (max_power_includes_optics in the catalog).",
            confidence="derived",
            source="catalog power_w of transceivers; switch datasheets (hardware.md)",
        ),
    ]
