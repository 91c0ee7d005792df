"""Management networks: in-band (100 GbE bonded pairs, A/B leaves) and out-of-band (1 GbE to every device).

fabric.md: in-band management is 100 GbE bonded pairs (SN4600C class); out-of-band is 1 GbE (SN2201 class) to
every system, switch, PDU, CDU and management server. Out-of-band switches uplink into the in-band fabric, so each
is an in-band endpoint with two links.
"""

from __future__ import annotations

from typing import cast

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Switch
from refarch.design.networks.host_fabrics import FabricDesign, FabricRequest, build_fabric
from refarch.design.racks import MountedItem
from refarch.errors import CatalogError
from refarch.types import Assumption
from solvers.fabric_graph import Endpoint

__all__ = [
    "INBAND_LINKS",
    "INBAND_OVERSUBSCRIPTION",
    "OOB_UPLINKS",
    "inband_fabric",
    "management_notes",
    "management_switch",
    "oob_fabric",
]

INBAND_LINKS = 2  # a bonded pair, one link to each leaf of the A/B pair
OOB_UPLINKS = 2  # of the access switch's dedicated uplinks, one to each in-band leaf of the pair
# Management traffic is light: leaves 3:1 (48 down, 16 up on 64 ports). With it the rules give the 8 in-band
# switches the DGX H100 4-SU pod lists (fabric.md); non-blocking would give 15.
INBAND_OVERSUBSCRIPTION = 3.0


def management_switch(catalog: Catalog, role: str) -> Switch:
    """The catalog's switch for `role` (inband or oob): the first by id.

    Raises:
        CatalogError: the catalog has no switch of that role.
    """
    switches = sorted((s for s in catalog.of_kind("switch") if s.role == role), key=lambda s: s.id)
    if not switches:
        raise CatalogError(f"the catalog has no switch with role '{role}'", None, "add one with --catalog")
    return cast(Switch, switches[0])


def inband_fabric(catalog: Catalog, hosts: list[MountedItem], oob_switches: list[str]) -> FabricDesign:
    """In-band management: every host on a bonded pair, every out-of-band switch on two uplinks."""
    switch = management_switch(catalog, "inband")
    endpoints = [Endpoint(name, INBAND_LINKS) for item in hosts for name in _names(item)]
    endpoints += [Endpoint(name, OOB_UPLINKS, "uplink") for name in oob_switches]
    request = FabricRequest(
        name="inband", purpose="in-band management (bonded pairs)", technology="ethernet", switch=switch,
        endpoints=tuple(endpoints), endpoint_speed_gbps=switch.port_speed_gbps, rail_optimized=True,
        rails=INBAND_LINKS, oversubscription=INBAND_OVERSUBSCRIPTION,
    )  # fmt: skip
    return build_fabric(request)


def oob_fabric(catalog: Catalog, devices: list[str]) -> FabricDesign:
    """Out-of-band management: one 1 GbE link from every device (BMC, switch management port, PDU)."""
    switch = management_switch(catalog, "oob")
    request = FabricRequest(
        name="oob", purpose="out-of-band management (1 GbE)", technology="ethernet", switch=switch,
        endpoints=tuple(Endpoint(name, 1) for name in devices), endpoint_speed_gbps=switch.port_speed_gbps,
        rail_optimized=False, rails=1, access_only=True,
    )  # fmt: skip
    return build_fabric(request)


def _names(item: MountedItem) -> list[str]:
    return [item.device_name(i) for i in range(item.count)]


def management_notes(inband: FabricDesign, oob: FabricDesign, rack_scale: bool) -> list[Assumption]:
    """What the management networks assumed."""
    text = (
        f"In-band management: every system and server on a bonded pair of {inband.request.endpoint_speed_gbps} GbE "
        f"links to an A/B pair of {inband.request.switch.id} leaves, {INBAND_OVERSUBSCRIPTION:g}:1 oversubscribed "
        "(the ratio that gives the published 4-SU pod's 8 in-band switches); out-of-band: one 1 GbE link "
        f"from every system, server, switch and rack PDU to {oob.request.switch.id} access switches, each "
        f"uplinked to the in-band fabric by {OOB_UPLINKS} links."
    )
    if rack_scale:
        text += " A rack-scale system counts as one management endpoint (its trays' own ports are not modelled)."
    return [Assumption(id="management-networks", text=text, confidence="derived", source="fabric.md")]
