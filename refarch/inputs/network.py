"""The network choices the spec fixes, resolved once: what it asks of the compute fabric and where it says so.

What the spec leaves open (`compute: auto`, no switch) is chosen later, from the platforms' reference designs
(refarch.sizing.network_choice); this record only carries what the user wrote or its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Literal

from refarch.errors import Location
from refarch.inputs.spec import Spec
from refarch.types import ComputeTechnology

__all__ = ["ResolvedNetwork", "resolve_network"]


@dataclass(frozen=True)
class ResolvedNetwork:
    """The compute-fabric technology and switch asked for (None: the reference design's), its planes and leaf
    oversubscription (downlink:uplink, as a number), and the management networks' prefixes."""

    compute: ComputeTechnology | Literal["auto"]
    switch_id: str | None
    planes: int
    oversubscription: float
    where: Location  # the spec's network section
    switch_where: Location  # network.switch
    prefixes: Mapping[str, IPv4Network]  # management network (management, oob) -> its prefix
    prefix_where: Mapping[str, Location]  # management network -> network.addressing.<network>


def resolve_network(spec: Spec) -> ResolvedNetwork:
    """The spec's network section as the stages need it."""
    network = spec.network
    return ResolvedNetwork(
        compute=network.compute,
        switch_id=network.switch,
        planes=network.planes,
        oversubscription=network.oversubscription,
        where=spec.where("network"),
        switch_where=spec.where("network", "switch"),
        prefixes={"management": network.addressing.management, "oob": network.addressing.oob},
        prefix_where={n: spec.where("network", "addressing", n) for n in ("management", "oob")},
    )
