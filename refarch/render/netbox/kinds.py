"""What `refarch netbox push` writes for each kind of NetBox object: endpoint, identity and payload.

A kind's payload refers to objects of earlier kinds by their NetBox ids (`Ids`), so kinds are pushed in the order of
`KINDS`. The identity of an object already in NetBox is computed from its record the same way the view keys it,
so a second push finds every object it made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refarch.render.netbox.view import IPAM_STATUS, STATUS, NetBoxView

__all__ = ["KINDS", "Desired", "Ids", "Kind", "Names"]

# kind -> key -> NetBox id of the objects pushed so far (or found)
Ids = dict[str, dict[str, int]]
# kind -> NetBox id -> key: the same, reversed, for naming a record found in NetBox by what it refers to
Names = dict[str, dict[int, str]]
Desired = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Kind:
    """One kind of object: its REST endpoint, whether the plan's tag scopes it (else it is shared and matched by
    slug), the objects the view wants, and the key of a record found in NetBox."""

    name: str
    endpoint: str
    tagged: bool
    desired: Callable[[NetBoxView, Ids], Desired]
    identity: Callable[[Any, Names], str]
    lookup: Callable[[Desired, Ids], dict[str, Any]] | None = None  # filters finding a shared kind's objects


def _tags(ids: Ids) -> list[int]:
    return list(ids["tag"].values())


def _ref(record: Any, field: str) -> int | None:
    value = getattr(record, field, None)
    return getattr(value, "id", value) if value is not None else None


def _tag(view: NetBoxView, ids: Ids) -> Desired:
    return [(view.tag, {"name": view.tag, "slug": view.tag, "description": "managed by refarch"})]


def _site(view: NetBoxView, ids: Ids) -> Desired:
    site = view.site
    return [(site.slug, {"name": site.name, "slug": site.slug, "status": STATUS, "description": site.description,
                         "tags": _tags(ids)})]  # fmt: skip


def _site_id(view: NetBoxView, ids: Ids) -> int:
    return ids["site"][view.site.slug]


def _locations(view: NetBoxView, ids: Ids) -> Desired:
    return [(loc.key, {"name": loc.name, "slug": loc.slug, "site": _site_id(view, ids), "tags": _tags(ids)})
            for loc in view.locations]  # fmt: skip


def _manufacturers(view: NetBoxView, ids: Ids) -> Desired:
    return [(m.key, {"name": m.name, "slug": m.slug}) for m in view.manufacturers]


def _rack_types(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (t.key, {"model": t.model, "slug": t.slug, "manufacturer": ids["manufacturer"][t.manufacturer],
                 "form_factor": t.form_factor, "width": t.width, "u_height": t.u_height, "starting_unit": 1,
                 "outer_width": t.outer_width_mm, "outer_depth": t.outer_depth_mm,
                 "outer_unit": t.outer_unit})
        for t in view.rack_types
    ]  # fmt: skip


def _racks(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (r.key, {"name": r.name, "site": _site_id(view, ids), "location": ids["location"][r.location],
                 "rack_type": ids["rack_type"][r.rack_type], "status": STATUS, "u_height": r.u_height,
                 "description": r.description, "tags": _tags(ids)})
        for r in view.racks
    ]  # fmt: skip


def _roles(view: NetBoxView, ids: Ids) -> Desired:
    return [(r.key, {"name": r.name, "slug": r.slug, "color": r.color}) for r in view.device_roles]


def _device_types(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (t.key, {"model": t.model, "slug": t.slug, "manufacturer": ids["manufacturer"][t.manufacturer],
                 "part_number": t.part_number, "u_height": t.u_height, "is_full_depth": t.is_full_depth})
        for t in view.device_types
    ]  # fmt: skip


def _power_port_templates(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (p.key, {"device_type": ids["device_type"][p.device_type], "name": p.name,
                 "maximum_draw": p.maximum_draw, "allocated_draw": p.allocated_draw})
        for p in view.power_port_templates
    ]  # fmt: skip


def _devices(view: NetBoxView, ids: Ids) -> Desired:
    racks = {r.key: r for r in view.racks}
    return [
        (d.key, {"name": d.name, "device_type": ids["device_type"][d.device_type], "role": ids["role"][d.role],
                 "site": _site_id(view, ids), "location": ids["location"][racks[d.rack].location],
                 "rack": ids["rack"][d.rack], "position": d.position, "face": d.face, "status": STATUS,
                 "tags": _tags(ids)})
        for d in view.devices
    ]  # fmt: skip


def _interfaces(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (i.key, {"device": ids["device"][i.device], "name": i.name, "type": i.type, "mgmt_only": i.mgmt_only,
                 "description": i.description, "tags": _tags(ids)})
        for i in view.interfaces
    ]  # fmt: skip


def _end(ids: Ids, interface: str) -> list[dict[str, Any]]:
    return [{"object_type": "dcim.interface", "object_id": ids["interface"][interface]}]


def _cables(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (c.key, {"a_terminations": _end(ids, c.a_interface), "b_terminations": _end(ids, c.b_interface),
                 "type": c.type, "length": c.length, "length_unit": c.length_unit, "label": c.label,
                 "status": STATUS, "tags": _tags(ids)})
        for c in view.cables
    ]  # fmt: skip


def _panels(view: NetBoxView, ids: Ids) -> Desired:
    return [(p.key, {"name": p.name, "site": _site_id(view, ids), "location": ids["location"][p.location],
                     "tags": _tags(ids)}) for p in view.power_panels]  # fmt: skip


def _feeds(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (f.key, {"name": f.name, "power_panel": ids["power_panel"][f.power_panel], "rack": ids["rack"][f.rack],
                 "status": STATUS, "type": f.type, "supply": f.supply, "phase": f.phase, "voltage": f.voltage,
                 "amperage": f.amperage, "max_utilization": f.max_utilization, "tags": _tags(ids)})
        for f in view.power_feeds
    ]  # fmt: skip


def _vrfs(view: NetBoxView, ids: Ids) -> Desired:
    return [(v.key, {"name": v.name, "description": v.description, "enforce_unique": True, "tags": _tags(ids)})
            for v in view.vrfs]  # fmt: skip


def _prefixes(view: NetBoxView, ids: Ids) -> Desired:
    return [(p.key, {"prefix": p.prefix, "vrf": ids["vrf"][p.vrf], "status": IPAM_STATUS,
                     "description": p.description, "tags": _tags(ids)}) for p in view.prefixes]  # fmt: skip


def _addresses(view: NetBoxView, ids: Ids) -> Desired:
    return [
        (a.key, {"address": a.address, "vrf": ids["vrf"][a.vrf], "status": IPAM_STATUS,
                 "assigned_object_type": "dcim.interface",
                 "assigned_object_id": ids["interface"][a.interface], "description": a.description,
                 "tags": _tags(ids)})
        for a in view.ip_addresses
    ]  # fmt: skip


def _by_slug(desired: Desired, ids: Ids) -> dict[str, Any]:
    return {"slug": [payload["slug"] for _, payload in desired]}


def _by_device_type(desired: Desired, ids: Ids) -> dict[str, Any]:
    return {"device_type_id": sorted({payload["device_type"] for _, payload in desired})}


def _slug(record: Any, names: Names) -> str:
    return str(record.slug)


def _name(record: Any, names: Names) -> str:
    return str(record.name)


def _template_key(record: Any, names: Names) -> str:
    return f"{names['device_type'].get(_ref(record, 'device_type') or 0, '?')}/{record.name}"


def _interface_key(record: Any, names: Names) -> str:
    return f"{names['device'].get(_ref(record, 'device') or 0, '?')}/{record.name}"


def _cable_key(record: Any, names: Names) -> str:
    return str(record.label)


def _prefix_key(record: Any, names: Names) -> str:
    return str(record.prefix)


def _address_key(record: Any, names: Names) -> str:
    return names["interface"].get(int(getattr(record, "assigned_object_id", 0) or 0), f"?{record.address}")


KINDS: tuple[Kind, ...] = (
    Kind("tag", "extras.tags", False, _tag, _slug, _by_slug),
    Kind("site", "dcim.sites", False, _site, _slug, _by_slug),
    Kind("location", "dcim.locations", True, _locations, _slug),
    Kind("manufacturer", "dcim.manufacturers", False, _manufacturers, _slug, _by_slug),
    Kind("rack_type", "dcim.rack_types", False, _rack_types, _slug, _by_slug),
    Kind("rack", "dcim.racks", True, _racks, _name),
    Kind("role", "dcim.device_roles", False, _roles, _slug, _by_slug),
    Kind("device_type", "dcim.device_types", False, _device_types, _slug, _by_slug),
    Kind(
        "power_port_template", "dcim.power_port_templates", False, _power_port_templates, _template_key, _by_device_type
    ),
    Kind("device", "dcim.devices", True, _devices, _name),
    Kind("interface", "dcim.interfaces", True, _interfaces, _interface_key),
    Kind("cable", "dcim.cables", True, _cables, _cable_key),
    Kind("power_panel", "dcim.power_panels", True, _panels, _name),
    Kind("power_feed", "dcim.power_feeds", True, _feeds, _name),
    Kind("vrf", "ipam.vrfs", True, _vrfs, _name),
    Kind("prefix", "ipam.prefixes", True, _prefixes, _prefix_key),
    Kind("ip_address", "ipam.ip_addresses", True, _addresses, _address_key),
)
