"""`refarch netbox push` against a real NetBox (tests/netbox/conftest.py starts it): the examples load with no
refusal, read back with the plan's counts and cable ends, a second push changes nothing, free text (the hostile
description) arrives unchanged, a dry run writes nothing, and a refused object is named with its field and NetBox's
message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pynetbox
import pytest

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from refarch.errors import OutputError
from refarch.plan import Plan
from refarch.render.netbox.push import push_view
from refarch.render.netbox.slugs import NETBOX_VERSIONS, SlugTable
from refarch.render.netbox.view import NetBoxView, build_netbox_view
from refarch.render.views import build_views

from ..conftest import REPO, with_description
from .live import LiveNetBox

pytestmark = pytest.mark.netbox

HOSTILE = 'x ${a} %{b} "q" back\\slash\nline two <b>bold</b> & {{ jinja }} # hash'


def _view(plan: Plan) -> NetBoxView:
    return build_netbox_view(plan, build_views(plan))


def _spec(tmp_path: Path, name: str, systems: int) -> Path:
    text = (REPO / "examples" / "dgx-h100-su.yaml").read_text()
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("  name:"):
            line = f"  name: {name}\n"
        elif "systems: 31 " in line:
            line = line.replace("systems: 31 ", f"systems: {systems} ")
        lines.append(line)
    (tmp_path / "spec.yaml").write_text("".join(lines))
    return tmp_path / "spec.yaml"


def _read_back(api: Any, view: NetBoxView) -> dict[str, int]:
    tag = view.tag
    return {
        "racks": api.dcim.racks.count(tag=tag),
        "devices": api.dcim.devices.count(tag=tag),
        "interfaces": api.dcim.interfaces.count(tag=tag),
        "cables": api.dcim.cables.count(tag=tag),
        "power_feeds": api.dcim.power_feeds.count(tag=tag),
        "prefixes": api.ipam.prefixes.count(tag=tag),
        "ip_addresses": api.ipam.ip_addresses.count(tag=tag),
    }


# The CS-3 example goes in with the hostile description, so that one push checks both.
@pytest.mark.parametrize("example", ["dgx-h100-su", "cerebras-cs3"])
def test_example_pushes_reads_back_and_pushes_again_unchanged(
    example: str, catalog: Catalog, live_netbox: LiveNetBox, tmp_path: Path
) -> None:
    spec = REPO / "examples" / f"{example}.yaml"
    if example == "cerebras-cs3":
        (tmp_path / "hostile.yaml").write_text(with_description(spec.read_text(), HOSTILE))
        spec = tmp_path / "hostile.yaml"
    plan = plan_spec(load_spec(spec), catalog)
    assert example != "cerebras-cs3" or plan.metadata.description == HOSTILE
    view = _view(plan)
    report = push_view(view, live_netbox.url, live_netbox.token)
    assert report.count("create") > 0
    api = pynetbox.api(live_netbox.url, token=live_netbox.token)
    counts = view.counts()
    assert _read_back(api, view) == {kind: counts[kind] for kind in _read_back(api, view)}
    by_label = {c.key: c for c in view.cables}
    for cable in list(api.dcim.cables.filter(tag=view.tag, limit=0))[:40]:
        planned = by_label[cable.label]
        ends = [f"{t.object.device.name}/{t.object.name}" for t in (*cable.a_terminations, *cable.b_terminations)]
        assert ends == [planned.a_interface, planned.b_interface]
        assert cable.type == planned.type and float(cable.length) == pytest.approx(planned.length)
    device = api.dcim.devices.get(name=view.devices[-1].name, site=view.site.slug)
    assert device.rack.name == view.devices[-1].rack and device.status.value == "planned"
    assert api.dcim.sites.get(slug=view.site.slug).description == plan.metadata.description
    again = push_view(view, live_netbox.url, live_netbox.token)
    assert [c for c in again.changes if c.action in ("create", "update")] == []
    assert sum(again.unchanged.values()) == sum(report.unchanged.values()) + report.count("create") + report.count(
        "update"
    )


def test_dry_run_writes_nothing(catalog: Catalog, live_netbox: LiveNetBox, tmp_path: Path) -> None:
    plan = plan_spec(load_spec(_spec(tmp_path, "dry-run-only", systems=2)), catalog)
    view = _view(plan)
    report = push_view(view, live_netbox.url, live_netbox.token, dry_run=True)
    api = pynetbox.api(live_netbox.url, token=live_netbox.token)
    created = {kind for change in report.changes if change.action == "create" for kind in [change.kind]}
    assert {"site", "rack", "device", "interface", "cable", "power_feed", "ip_address"} <= created
    assert report.count("create") >= sum(len(getattr(view, k)) for k in ("devices", "interfaces", "cables"))
    assert api.dcim.sites.get(slug=view.site.slug) is None


def test_a_refused_object_is_named_with_its_field(catalog: Catalog, live_netbox: LiveNetBox, tmp_path: Path) -> None:
    plan = plan_spec(load_spec(_spec(tmp_path, "refused", systems=2)), catalog)
    table = NETBOX_VERSIONS["4.7"]
    broken = SlugTable("4.7", {**table.interface, ("infiniband", 400): "infiniband-ndr-typo"}, table.cable)
    view = build_netbox_view(plan, build_views(plan), broken)
    with pytest.raises(OutputError, match=r"interface dgx-h100-001/compute1: type: .*infiniband-ndr-typo"):
        push_view(view, live_netbox.url, live_netbox.token)
