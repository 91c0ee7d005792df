"""IPv4 addressing of the management networks: one address per managed interface, from the spec's prefixes.

A device gets a `management` address if it is an endpoint of the in-band fabric (on `bond0` when it has a bonded
pair, else on its one cabled port) and an `oob` address if it is an endpoint of the out-of-band fabric (its BMC or
management port). The first usable address of each prefix is the gateway; devices follow in rack order, then U,
then name, so an unchanged design keeps its addresses and adding a rack appends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network

from refarch.errors import InfeasibleError, Location
from refarch.plan import AddressingPlan, AddressPlan, CableRun, PrefixPlan, RackPlan

__all__ = ["MANAGEMENT_FABRICS", "plan_addressing"]

# Management network -> the fabric its interfaces are cabled to (names as `design.networks` gives them).
MANAGEMENT_FABRICS: Mapping[str, str] = {"management": "inband", "oob": "oob"}
_BOND = "bond0"


def plan_addressing(
    prefixes: Mapping[str, IPv4Network],
    racks: Sequence[RackPlan],
    runs: Mapping[str, Sequence[CableRun]],
    where: Mapping[str, Location],
) -> AddressingPlan:
    """Addresses for every managed interface of `racks`' devices.

    Args:
        prefixes: network (`management`, `oob`) -> the spec's prefix.
        racks: the placed racks, in plan order.
        runs: fabric name -> its cable runs.
        where: network -> the spec location of its prefix, for the error.

    Raises:
        InfeasibleError: a prefix is too small for the interfaces on its network (says how many it must hold).
    """
    order = _device_order(racks)
    plans: list[PrefixPlan] = []
    addresses: list[AddressPlan] = []
    for network, fabric in MANAGEMENT_FABRICS.items():
        ports = _endpoint_ports(runs.get(fabric, ()))
        if not ports:
            continue
        devices = sorted(ports, key=lambda d: order.get(d, (len(order), d)))
        prefix = prefixes[network]
        hosts = _hosts(prefix, len(devices) + 1, network, where[network])
        gateway, assigned = hosts[0], hosts[1:]
        plans.append(PrefixPlan(network=network, fabric=fabric, prefix=str(prefix), gateway=str(gateway),
                                addresses=len(devices)))  # fmt: skip
        for device, address in zip(devices, assigned, strict=True):
            interface = _BOND if len(ports[device]) > 1 else ports[device][0]
            addresses.append(AddressPlan(device=device, network=network, interface=interface,
                                         address=f"{address}/{prefix.prefixlen}"))  # fmt: skip
    return AddressingPlan(prefixes=plans, addresses=addresses)


def _device_order(racks: Sequence[RackPlan]) -> dict[str, tuple[int, str]]:
    order: dict[str, tuple[int, str]] = {}
    for rack in racks:
        for pdu in rack.pdu_names:
            order[pdu] = (len(order), pdu)
        for device in sorted(rack.devices, key=lambda d: (d.u_position, d.name)):
            order[device.name] = (len(order), device.name)
    return order


def _endpoint_ports(runs: Sequence[CableRun]) -> dict[str, list[str]]:
    """Endpoint device -> its cabled ports on the fabric (the A end of an endpoint-leaf cable is the endpoint)."""
    ports: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        if run.tier == "endpoint-leaf":
            ports[run.a_device].append(run.a_port)
    return ports


def _hosts(prefix: IPv4Network, needed: int, network: str, where: Location) -> list[IPv4Address]:
    usable = max(prefix.num_addresses - 2, 0)
    if usable < needed:
        fitting = 32 - (needed + 1).bit_length()
        raise InfeasibleError(
            f"the {network} prefix {prefix} holds {usable} addresses; the design needs {needed} "
            f"({needed - 1} interfaces and the gateway)",
            where,
            f"give a /{fitting} or larger",
        )
    hosts = prefix.hosts()
    return [next(hosts) for _ in range(needed)]
