"""The live NetBox of `live_netbox` is the pinned version, speaks pynetbox with its v2 token, and keeps DCIM objects."""

from __future__ import annotations

import secrets
from typing import Any

import pynetbox
import pytest

from tests.netbox.live import NETBOX_VERSION, LiveNetBox

pytestmark = pytest.mark.netbox


@pytest.fixture(scope="module")
def api(live_netbox: LiveNetBox) -> Any:
    return pynetbox.api(live_netbox.url, token=live_netbox.token)


def test_the_server_is_the_pinned_netbox(api: Any, live_netbox: LiveNetBox) -> None:
    assert live_netbox.version == NETBOX_VERSION
    assert api.status()["netbox-version"] == NETBOX_VERSION
    assert api.version == NETBOX_VERSION.rsplit(".", 1)[0]  # the API-Version header: major.minor
    assert live_netbox.token.startswith("nbt_")  # a v2 token


def test_a_device_and_what_it_needs_round_trip(api: Any) -> None:
    # Unique names: a server from `make netbox-up` may be shared by several runs.
    tag = secrets.token_hex(4)
    site = api.dcim.sites.create(name=f"site {tag}", slug=f"site-{tag}")
    maker = api.dcim.manufacturers.create(name=f"maker {tag}", slug=f"maker-{tag}")
    dtype = api.dcim.device_types.create(manufacturer=maker.id, model=f"DGX {tag}", slug=f"dgx-{tag}", u_height=8)
    role = api.dcim.device_roles.create(name=f"gpu {tag}", slug=f"gpu-{tag}", color="76b900")
    created = api.dcim.devices.create(name=f"dgx-{tag}-01", device_type=dtype.id, role=role.id, site=site.id)

    device = api.dcim.devices.get(created.id)
    assert device.name == f"dgx-{tag}-01"
    assert (device.site.id, device.device_type.id, device.role.id) == (site.id, dtype.id, role.id)
    assert api.dcim.device_types.get(dtype.id).manufacturer.id == maker.id
    assert api.dcim.device_types.get(dtype.id).u_height == 8
    assert [d.id for d in api.dcim.devices.filter(site_id=site.id)] == [created.id]
    assert api.dcim.sites.get(slug=f"site-{tag}").name == f"site {tag}"


def test_the_committed_dump_needs_no_migration(live_netbox: LiveNetBox) -> None:
    # Checked by the fixture's bootstrap against this server's restored database (`up` fails on a stale dump); this
    # puts it on its own line of the report without another NetBox start-up.
    assert live_netbox.pending_migrations == []
