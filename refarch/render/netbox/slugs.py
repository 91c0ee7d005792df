"""NetBox's choice slugs for what a plan holds, per target NetBox version.

NetBox validates interface, cable, rack and power choices on the server, not in the Terraform provider, and
renames some between releases (older NetBox misspelled the InfiniBand slugs), so the table is kept per version
and every slug here was checked against the `dcim/choices.py` of the version it is listed under.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from refarch.types import FabricTechnology, Medium

__all__ = ["DEFAULT_NETBOX_VERSION", "NETBOX_VERSIONS", "SlugTable", "slug_table"]

# NetBox 4.6 (what the pinned Terraform provider 5.6.x supports) and 4.7 (what the live tests run) share these.
_INTERFACE: Mapping[tuple[FabricTechnology, int], str] = {
    ("infiniband", 100): "infiniband-edr",
    ("infiniband", 200): "infiniband-hdr",
    ("infiniband", 400): "infiniband-ndr",
    ("infiniband", 800): "infiniband-xdr",
    ("ethernet", 1): "1000base-t",
    ("ethernet", 10): "10gbase-x-sfpp",
    ("ethernet", 25): "25gbase-x-sfp28",
    ("ethernet", 100): "100gbase-x-qsfp28",
    ("ethernet", 200): "200gbase-x-qsfp56",
    # The 400 and 800 GbE ports of the catalog's NICs and Spectrum-4 switches are OSFP cages.
    ("ethernet", 400): "400gbase-x-osfp",
    ("ethernet", 800): "800gbase-x-osfp",
}
# Multimode patch cords in the catalog are OM4 and single-mode ones OS2 (their catalog names say so).
_CABLE: Mapping[Medium, str] = {
    "dac": "dac-passive",
    "acc": "dac-active",
    "fibre-mmf": "mmf-om4",
    "fibre-smf": "smf-os2",
    "cat6a": "cat6a",
}


class SlugTable:
    """The slugs of one NetBox version: interface type by (technology, Gb/s), cable type by medium."""

    def __init__(
        self, version: str, interface: Mapping[tuple[FabricTechnology, int], str], cable: Mapping[Medium, str]
    ):
        self.version = version
        self.interface = MappingProxyType(dict(interface))
        self.cable = MappingProxyType(dict(cable))


NETBOX_VERSIONS: Mapping[str, SlugTable] = {
    "4.6": SlugTable("4.6", _INTERFACE, _CABLE),
    "4.7": SlugTable("4.7", _INTERFACE, _CABLE),
}
DEFAULT_NETBOX_VERSION = "4.7"


def slug_table(version: str) -> SlugTable:
    """The slugs for NetBox `version` (`4.6`, `4.7`).

    Raises:
        KeyError: a version refarch has no table for.
    """
    return NETBOX_VERSIONS[version]
