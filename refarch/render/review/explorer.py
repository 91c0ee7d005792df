"""review.html's explorer: the records its fragments loop over and the data its script reads.

The fragments (`templates/review/explorer/`) render what reads without JavaScript: the fabric tiers with their
switches, the full BOM, the rack map. The script (`templates/review/assets/explorer.js`) adds the device search and
card, the BOM filters and total, and the rack tooltips, from one JSON document embedded in the page
(`<script type="application/json" id="review-data">`), so the file works offline from file://.

The JSON is columnar (one array per field) with repeated strings (roles, catalog ids, port names, fabrics) in one
string table, devices referred to by index: at 16,384 GPUs (5,667 devices, 68,995 cables) that is 4.8 MB, where
one object per cable and device with its keys and names spelled out was 18.7 MB. Figures the page shows as text
(kW) are formatted here by the filters the rest of the review uses, so the explorer never formats a figure
differently; the script formats only the BOM total it sums.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from refarch.plan import FabricPlan, Plan
from refarch.render.context import RenderContext
from refarch.render.filters import count, kw, money
from refarch.render.views import PlanViews

__all__ = [
    "FEW_RACKS",
    "BomRow",
    "Explorer",
    "FabricTiers",
    "RackBox",
    "RackRow",
    "SwitchRow",
    "TierRow",
    "build_explorer",
    "script_json",
]

# What sits at each end of a cable of a tier: endpoint-leaf cables join an endpoint (A) to a leaf (B); an uplink
# joins an out-of-band leaf (A) to an in-band leaf (B), as refarch.render.views reads the tiers.
_ENDS: Mapping[str, tuple[str, str]] = {
    "endpoint-leaf": ("endpoint", "leaf"),
    "leaf-spine": ("leaf", "spine"),
    "spine-core": ("spine", "core"),
    "uplink": ("oob leaf", "leaf"),
}
# Switch tiers bottom up, and what a peer's tier is called, in the order a switch's peers are listed.
_TIER_ORDER = ("leaf", "spine", "core")
_PEER_ORDER = ("endpoint", "oob leaf", "leaf", "spine", "core")
# Up to this many racks the map draws larger boxes (about three lines of them at 1280 pixels wide).
FEW_RACKS = 120
# Characters that would end or confuse a <script> element's text, or that JavaScript once read as line ends.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                                 "\u2029": "\\u2029"})  # fmt: skip


@dataclass(frozen=True)
class SwitchRow:
    """A switch of a tier: where it sits, its cabled ports in the fabric, and its peers counted by their tier."""

    name: str
    rack: str
    ports: int
    peers: str


@dataclass(frozen=True)
class TierRow:
    """One switch tier of a fabric: the plan's switch count, its links by cable tier, and every switch."""

    tier: str
    planned: int
    links: str
    switches: tuple[SwitchRow, ...]


@dataclass(frozen=True)
class FabricTiers:
    """A fabric's switch tiers, bottom up."""

    name: str
    purpose: str
    switch_model: str
    tiers: tuple[TierRow, ...]


@dataclass(frozen=True)
class BomRow:
    """A BOM line as the explorer's table shows it; `extended_usd` is the exact figure the script sums."""

    part: str
    description: str
    category: str
    quantity: str
    unit_price: str
    extended_price: str
    extended_usd: str
    confidence: str
    estimate: bool


@dataclass(frozen=True)
class RackBox:
    """A rack on the map: its index in the data, cooling method (a CSS class) and IT power against its limit."""

    index: int
    name: str
    cooling: str
    fill_percent: str
    over_limit: bool


@dataclass(frozen=True)
class RackRow:
    """A row of racks, by position."""

    row: int
    racks: tuple[RackBox, ...]


@dataclass(frozen=True)
class Explorer:
    """What the explorer's fragments and script need."""

    data_json: Markup
    search_example: str
    fabrics: tuple[FabricTiers, ...]
    bom: tuple[BomRow, ...]
    bom_categories: tuple[str, ...]
    bom_total: str
    rack_rows: tuple[RackRow, ...]
    few_racks: bool
    coolings: tuple[str, ...]


def build_explorer(context: RenderContext) -> Explorer:
    """The explorer of the context's plan, from the plan and the shared views."""
    plan, views = context.plan, context.views
    return Explorer(
        data_json=script_json(_data(plan, views)),
        search_example=next((d.name for d in views.devices if not d.zero_u), "leaf"),
        fabrics=tuple(_fabric_tiers(name, fabric, views) for name, fabric in sorted(plan.fabrics.items())),
        bom=_bom_rows(plan),
        bom_categories=tuple(sorted({line.category for line in plan.bom})),
        bom_total=money(plan.summary.capex_usd),
        rack_rows=_rack_rows(plan),
        few_racks=len(plan.racks) <= FEW_RACKS,
        coolings=tuple(sorted({rack.cooling for rack in plan.racks})),
    )


def script_json(data: object) -> Markup:
    """`data` as JSON that can sit inside a <script> element: no `<`, `>` or `&` (so no `</script>` or `<!--`
    ends or changes it) and no U+2028/U+2029; the escapes read back as the same characters.

    Raises:
        ValueError: `data` holds a NaN or an infinity, which JSON cannot carry.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return Markup(text.translate(_SCRIPT_ESCAPES))


class _Strings:
    """A string table: each distinct string once, referred to by its index."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        """The index of `value`; -1 for None."""
        if value is None:
            return -1
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.table)
            self.table.append(value)
        return found


def _data(plan: Plan, views: PlanViews) -> dict[str, object]:
    """The JSON document the script reads: racks, devices and cables as columns, strings interned."""
    strings = _Strings()
    rack_index = {rack.name: i for i, rack in enumerate(plan.racks)}
    cable_index = {cable.cable_id: i for i, cable in enumerate(views.cables)}
    device_index = {device.name: i for i, device in enumerate(views.devices)}
    racks = {
        "name": [r.name for r in plan.racks],
        "row": [r.row for r in plan.racks],
        "position": [r.position for r in plan.racks],
        "it_power": [kw(r.it_power_kw) for r in plan.racks],
        "power_limit": [kw(r.power_limit_kw) for r in plan.racks],
        "cooling": [strings(r.cooling) for r in plan.racks],
        "air_heat": [kw(r.air_heat_kw) for r in plan.racks],
        "liquid_heat": [kw(r.liquid_heat_kw) for r in plan.racks],
        "used_u": [r.used_u for r in plan.racks],
        "height_u": [r.height_u for r in plan.racks],
        "devices": [len(r.devices) for r in plan.racks],
        "pdus": [len(r.pdu_names) for r in plan.racks],
    }
    devices = {
        "name": [d.name for d in views.devices],
        "rack": [rack_index[d.rack] for d in views.devices],
        "u": [d.u for d in views.devices],
        "height_u": [d.height_u for d in views.devices],
        "role": [strings(d.role) for d in views.devices],
        "catalog_id": [strings(d.catalog_id) for d in views.devices],
        # Each device's cables in the views' port order (fabric, then natural port order), so the card lists
        # ports as every other output does without the script sorting them again.
        "cables": [[cable_index[p.cable_id] for p in d.ports] for d in views.devices],
    }
    cables = {
        "id": [c.cable_id for c in views.cables],
        "fabric": [strings(c.fabric) for c in views.cables],
        "plane": [c.plane for c in views.cables],
        "tier": [strings(c.tier) for c in views.cables],
        "a": [device_index[c.a.device] for c in views.cables],
        "a_port": [strings(c.a.port) for c in views.cables],
        "a_transceiver": [strings(c.a.transceiver) for c in views.cables],
        "b": [device_index[c.b.device] for c in views.cables],
        "b_port": [strings(c.b.port) for c in views.cables],
        "b_transceiver": [strings(c.b.transceiver) for c in views.cables],
        "speed_gbps": [c.speed_gbps for c in views.cables],
        "medium": [strings(c.medium) for c in views.cables],
    }
    parts = {part.id: [part.name, part.vendor] for part in plan.parts}
    return {"cables": cables, "devices": devices, "parts": parts, "racks": racks, "strings": strings.table}


def _fabric_tiers(name: str, fabric: FabricPlan, views: PlanViews) -> FabricTiers:
    """The fabric's tiers with their switches; a switch's role is `<fabric>-<tier>`, as the network design names
    the roles of the switches it mounts."""
    peers: dict[str, Counter[str]] = defaultdict(Counter)
    for cable in views.cables:
        if cable.fabric == name:
            a_end, b_end = _ENDS[cable.tier]
            peers[cable.a.device][b_end] += 1
            peers[cable.b.device][a_end] += 1
    tiers = []
    for tier in sorted(fabric.switches, key=_tier_key):
        role = f"{name}-{tier}"
        switches = tuple(
            SwitchRow(d.name, d.rack, sum(peers[d.name].values()), _peer_text(peers[d.name]))
            for d in views.devices
            if d.role == role
        )
        links = ", ".join(
            f"{link} {count(n)}" for link, n in sorted(fabric.links.items()) if tier in _ENDS.get(link, ())
        )
        tiers.append(TierRow(tier, fabric.switches[tier], links, switches))
    return FabricTiers(name, fabric.purpose, fabric.switch_model, tuple(tiers))


def _tier_key(tier: str) -> tuple[int, str]:
    return (_TIER_ORDER.index(tier) if tier in _TIER_ORDER else len(_TIER_ORDER)), tier


def _peer_text(peers: Counter[str]) -> str:
    """`32 endpoint, 32 spine`: a switch's cabled ports counted by the tier at their other end, bottom up."""
    return ", ".join(f"{count(peers[tier])} {tier}" for tier in _PEER_ORDER if peers[tier])


def _bom_rows(plan: Plan) -> tuple[BomRow, ...]:
    """Every BOM line in the plan's order, prices formatted as the rest of the review formats them."""
    return tuple(
        BomRow(line.part, line.description, line.category, count(line.quantity), money(line.unit_price_usd),
               money(line.extended_price_usd), repr(line.extended_price_usd), line.confidence,
               line.confidence == "estimate")
        for line in plan.bom
    )  # fmt: skip


def _rack_rows(plan: Plan) -> tuple[RackRow, ...]:
    """The racks row by row, each row by position; a rack's fill is its IT power over its limit, capped at 100%."""
    rows: dict[int, list[RackBox]] = defaultdict(list)
    for index, rack in sorted(enumerate(plan.racks), key=lambda item: (item[1].row, item[1].position, item[0])):
        share = rack.it_power_kw / rack.power_limit_kw if rack.power_limit_kw > 0 else 1.0
        fill = f"{min(share, 1.0) * 100:.1f}%"
        box = RackBox(index, rack.name, rack.cooling.replace("+", "-"), fill, share > 1.0)
        rows[rack.row].append(box)
    return tuple(RackRow(row, tuple(boxes)) for row, boxes in sorted(rows.items()))
