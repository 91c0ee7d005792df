"""Management addressing: one address per managed interface, inside its prefix, unique, never the gateway; a prefix
too small for the design is refused with the size that fits."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from refarch.errors import InfeasibleError
from refarch.plan import PrefixPlan

from ..conftest import MINIMAL_SPEC, REPO


def test_every_managed_interface_has_one_address_inside_its_prefix(catalog: Catalog) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    prefixes: dict[str, PrefixPlan] = {p.network: p for p in plan.addressing.prefixes}
    assert set(prefixes) == {"management", "oob"}
    for network, fabric in (("management", "inband"), ("oob", "oob")):
        endpoints = {c.a_device for c in plan.fabrics[fabric].cables if c.tier == "endpoint-leaf"}
        given = [a for a in plan.addressing.addresses if a.network == network]
        assert sorted(a.device for a in given) == sorted(endpoints)  # each endpoint once
        prefix = IPv4Network(prefixes[network].prefix)
        interfaces = [IPv4Interface(a.address) for a in given]
        assert all(i.network == prefix for i in interfaces)
        ips = [i.ip for i in interfaces]
        assert len(set(ips)) == len(ips)
        assert str(prefixes[network].gateway) not in {str(ip) for ip in ips}
        assert prefixes[network].addresses == len(given)
    bonded = {a.device for a in plan.addressing.addresses if a.interface == "bond0"}
    assert "dgx-h100-001" in bonded  # DGX in-band is a bonded pair


def test_a_prefix_too_small_is_refused_with_one_that_fits(write_spec: Callable[[str], Path], catalog: Catalog) -> None:
    text = MINIMAL_SPEC + "network:\n  addressing:\n    oob: 192.168.0.0/30\n"
    with pytest.raises(InfeasibleError) as info:
        plan_spec(load_spec(write_spec(text)), catalog)
    message = str(info.value)
    assert "network.addressing.oob" in message
    assert "holds 2 addresses" in message
    needed = int(message.split("the design needs ")[1].split(" ")[0])
    fitting = int(message.split("give a /")[1].split(" ")[0])
    assert 2 ** (32 - fitting) - 2 >= needed > 2 ** (32 - fitting - 1) - 2
