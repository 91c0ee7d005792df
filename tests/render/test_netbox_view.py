"""The NetBox view: one object per planned thing, stable unique keys, every reference resolvable, NetBox slugs."""

from __future__ import annotations

from collections import Counter

import pytest

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from refarch.errors import OutputError
from refarch.plan import Plan
from refarch.render.netbox.slugs import NETBOX_VERSIONS, SlugTable
from refarch.render.netbox.view import NetBoxView, build_netbox_view
from refarch.render.views import build_views

from ..conftest import REPO

EXAMPLES = ["dgx-h100-su", "cerebras-cs3", "gb200-nvl72-pod"]


@pytest.fixture(scope="module", params=EXAMPLES)
def planned(request: pytest.FixtureRequest, catalog: Catalog) -> tuple[Plan, NetBoxView]:
    plan = plan_spec(load_spec(REPO / "examples" / f"{request.param}.yaml"), catalog)
    return plan, build_netbox_view(plan, build_views(plan))


def test_counts_equal_the_plans(planned: tuple[Plan, NetBoxView]) -> None:
    plan, view = planned
    racked = sum(len(r.devices) + len(r.pdu_names) for r in plan.racks)
    assert len(view.devices) == racked
    assert len(view.racks) == len(plan.racks)
    assert len(view.cables) == sum(len(f.cables) for f in plan.fabrics.values())
    assert len(view.power_feeds) == sum(r.circuits for r in plan.racks)
    assert len(view.prefixes) == len(plan.addressing.prefixes)
    assert len(view.ip_addresses) == len(plan.addressing.addresses)
    assert view.counts()["devices"] == racked


def test_keys_are_unique_within_each_kind(planned: tuple[Plan, NetBoxView]) -> None:
    _, view = planned
    for kind in view.counts():
        if kind == "sites":
            continue
        keys = [item.key for item in getattr(view, kind)]
        assert len(keys) == len(set(keys)), kind


def test_every_reference_resolves(planned: tuple[Plan, NetBoxView]) -> None:
    _, view = planned
    interfaces = {i.key: i for i in view.interfaces}
    devices = {d.key: d for d in view.devices}
    racks = {r.key: r for r in view.racks}
    types = {t.key: t for t in view.device_types}
    assert {d.device_type for d in view.devices} <= set(types)
    assert {d.role for d in view.devices} <= {r.key for r in view.device_roles}
    assert {i.device for i in view.interfaces} <= set(devices)
    assert {r.location for r in view.racks} <= {loc.key for loc in view.locations}
    assert {r.rack_type for r in view.racks} <= {t.key for t in view.rack_types}
    makers = {m.key for m in view.manufacturers}
    assert {t.manufacturer for t in view.device_types} | {t.manufacturer for t in view.rack_types} <= makers
    assert {f.power_panel for f in view.power_feeds} <= {p.key for p in view.power_panels}
    assert {f.rack for f in view.power_feeds} <= set(racks)
    assert {a.interface for a in view.ip_addresses} <= set(interfaces)
    vrfs = {v.key for v in view.vrfs}
    assert {p.vrf for p in view.prefixes} | {a.vrf for a in view.ip_addresses} <= vrfs
    ends = Counter(end for c in view.cables for end in (c.a_interface, c.b_interface))
    assert set(ends) <= set(interfaces)
    assert max(ends.values()) == 1, "an interface takes one cable"
    for device in view.devices:
        rack = racks[device.rack]
        if device.position is not None:
            assert 1 <= device.position <= rack.u_height - types[device.device_type].u_height + 1


def test_slugs_come_from_the_version_table(planned: tuple[Plan, NetBoxView]) -> None:
    _, view = planned
    table = NETBOX_VERSIONS[view.netbox_version]
    assert {i.type for i in view.interfaces} <= {*table.interface.values(), "lag"}
    assert {c.type for c in view.cables} <= set(table.cable.values())
    assert all(c.length > 0 and c.length_unit == "m" for c in view.cables)


def test_power_ports_carry_the_device_between_them(planned: tuple[Plan, NetBoxView]) -> None:
    plan, view = planned
    parts = {p.id: p for p in plan.parts}
    assert {p.device_type for p in view.power_port_templates} <= {t.key for t in view.device_types}
    for device_type in view.device_types:
        power = parts[device_type.key].max_power_w or 0
        ports = [p for p in view.power_port_templates if p.device_type == device_type.key]
        assert bool(ports) == (power > 0)
        if ports:
            assert sum(p.allocated_draw for p in ports) >= power
            assert all(p.maximum_draw >= p.allocated_draw for p in ports)


def test_two_n_feeds_split_between_panels_a_and_b(planned: tuple[Plan, NetBoxView]) -> None:
    plan, view = planned
    sides = Counter(f.type for f in view.power_feeds)
    if plan.power.redundancy == "2N":
        assert sides["primary"] == sides["redundant"]
    else:
        assert sides["redundant"] == 0


def test_a_port_speed_without_a_netbox_type_is_a_clear_error(catalog: Catalog) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    table = NETBOX_VERSIONS["4.7"]
    crippled = SlugTable("4.7", {k: v for k, v in table.interface.items() if k != ("infiniband", 400)}, table.cable)
    with pytest.raises(
        OutputError, match=r"dgx-h100-001/compute1: no NetBox 4\.7 interface type for infiniband at 400"
    ):
        build_netbox_view(plan, build_views(plan), crippled)


def test_unknown_version_is_a_clear_error(catalog: Catalog) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    with pytest.raises(OutputError, match=r"no NetBox slug table for version '3\.0'"):
        build_netbox_view(plan, build_views(plan), "3.0")
