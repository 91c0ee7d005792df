"""Resolve `network.compute` and `network.switch`, and the compute fabric's scalable unit, for sizing and design.

The choice is the spec's, else the platform's reference design. It lives below the design stage because sizing
needs it too: the performance model's communication depends on how many systems share a rail leaf.
"""

from __future__ import annotations

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Nic, Server, Switch, System
from refarch.errors import CatalogError, SpecError
from refarch.inputs.spec import Spec
from refarch.plan import NetworkPlan
from refarch.types import Assumption, ComputeTechnology
from solvers.fat_tree import FabricInfeasibleError, FatTreeInstance, size_fat_tree

__all__ = [
    "breakout",
    "choose_network",
    "compute_nics",
    "default_compute_switch",
    "endpoint_speed_gbps",
    "link_count",
    "nic_speed_gbps",
    "platform_switch",
    "scalable_unit_systems",
]

_SWITCH_TECHNOLOGY = {"infiniband": "infiniband", "roce": "ethernet", "ethernet": "ethernet"}


def choose_network(spec: Spec, catalog: Catalog, platforms: list[System]) -> tuple[NetworkPlan, list[Assumption]]:
    """The compute-fabric technology and switch, and why.

    Raises:
        SpecError: `network.switch` is of the wrong technology for `network.compute`.
    """
    reference = platforms[0]
    compute, why = _technology(spec, reference)
    switch_id, switch_why = _switch(spec, catalog, reference, compute)
    switch = catalog.get(switch_id, Switch, spec.where("network", "switch"))
    if switch.technology != _SWITCH_TECHNOLOGY[compute]:
        raise SpecError(
            f"switch '{switch.id}' is {switch.technology}, but network.compute is {compute}",
            spec.where("network", "switch"),
            f"choose a {_SWITCH_TECHNOLOGY[compute]} switch (`refarch catalog list --kind switch`) "
            "or change network.compute",
        )
    reason = f"{why}; {switch_why}"
    plan = NetworkPlan(
        compute=compute,
        switch=switch.id,
        planes=spec.network.planes,
        oversubscription=spec.network.oversubscription,
        chosen_because=reason,
    )
    notes = []
    if spec.network.compute == "auto" or spec.network.switch is None:
        notes.append(
            Assumption(
                id="network-choice",
                text=f"Compute fabric: {reason}.",
                confidence="primary",
                source="platform reference design in the catalog (fabric.md)",
            )
        )
    return plan, notes


def _technology(spec: Spec, reference: System) -> tuple[ComputeTechnology, str]:
    if spec.network.compute != "auto":
        return spec.network.compute, f"{spec.network.compute} as the spec asks"
    technology = reference.reference_fabric or "infiniband"
    return technology, f"network.compute is auto: {technology}, the reference design of {reference.name}"


def _switch(spec: Spec, catalog: Catalog, reference: System, compute: str) -> tuple[str, str]:
    if spec.network.switch is not None:
        return spec.network.switch, f"switch {spec.network.switch} as the spec asks"
    candidate = _reference_switch(catalog, reference, compute)
    if candidate is not None:
        return candidate, f"switch {candidate}, the reference switch of {reference.name}"
    default = default_compute_switch(catalog, compute)
    return (
        default,
        f"switch {default}, the reference {compute} switch (the platform's own reference is another technology)",
    )


def platform_switch(spec: Spec, catalog: Catalog, network: NetworkPlan, system: System) -> str:
    """The compute-fabric switch for `system`'s own fabric: the spec's `network.switch` if set, else the system's
    reference switch when it is of the plan's technology, else the plan's switch.

    Each platform gets a compute fabric of its own, so a spec that mixes platforms (DGX H100 at 400G, DGX B300 at
    800G) gives each the switch its reference design uses rather than the first platform's.
    """
    if spec.network.switch is not None:
        return spec.network.switch
    return _reference_switch(catalog, system, network.compute) or network.switch


def _reference_switch(catalog: Catalog, system: System, compute: str) -> str | None:
    """`system`'s reference switch if it is of the `compute` technology, else None."""
    candidate = system.reference_switch
    if candidate is not None and catalog.get(candidate, Switch).technology == _SWITCH_TECHNOLOGY[compute]:
        return candidate
    return None


def default_compute_switch(catalog: Catalog, compute: str) -> str:
    """The reference switch of a `compute` technology, for a platform whose own reference design uses another: of
    the catalog's compute-role switches of that technology, the one most of its systems' reference designs name
    (ties: the first id). In the shipped catalog: Quantum-2 QM9700 for InfiniBand (DGX A100/H100/H200/B200, HGX
    H100), Spectrum-4 SN5600 for RoCE and Ethernet (MI300X; the CS-2's SN5400 is not a compute-role switch).

    Raises:
        CatalogError: the catalog has no compute switch of that technology.
    """
    technology = _SWITCH_TECHNOLOGY[compute]
    switches = [s.id for s in catalog.all(Switch) if s.role == "compute" and s.technology == technology]
    if not switches:
        raise CatalogError(
            f"the catalog has no {technology} switch with role 'compute' for network.compute {compute}",
            hint="add a switch with role 'compute' of that technology, or name one as network.switch",
        )
    named = [s.reference_switch for s in catalog.all(System)]
    return min(switches, key=lambda s: (-named.count(s), s))


def scalable_unit_systems(spec: Spec, catalog: Catalog, system: System) -> int | None:
    """Systems in one scalable unit of the compute fabric `compute_fabrics` builds for `system`, or None.

    None when the fabric has no rail-optimized units (wafer clusters are flat) or is not sized (rack-scale
    systems). The switch is the one `choose_network` picks with `system` as the reference design, the one
    `compute_fabrics` gives its fabric (`platform_switch`).
    """
    links = link_count(catalog, system)
    if system.rack_scale or links != system.accelerators:
        return None
    network, _ = choose_network(spec, catalog, [system])
    switch = catalog.get(network.switch, Switch, spec.where("network", "switch"))
    instance = FatTreeInstance(
        systems=1,
        rails=links,
        radix=switch.ports,
        oversubscription=network.oversubscription,
        breakout=breakout(switch, endpoint_speed_gbps(catalog, system, switch, network.planes)),
    )
    try:
        return size_fat_tree(instance).systems_per_su
    except FabricInfeasibleError:
        return None  # the fabric itself fails later, with the design's own message


def compute_nics(catalog: Catalog, device: object, role: str = "compute") -> list[tuple[Nic, int]]:
    """(NIC, count) of `device`'s NIC slots with `role`; devices without NICs have none."""
    slots = device.nics if isinstance(device, System | Server) else []
    return [(catalog.get(s.nic, Nic), s.count) for s in slots if s.role == role]


def link_count(catalog: Catalog, device: object, role: str = "compute") -> int:
    return sum(nic.ports * count for nic, count in compute_nics(catalog, device, role))


def nic_speed_gbps(catalog: Catalog, system: System, planes: int) -> int:
    """The NIC's rate per plane of each compute link (a dual-plane NIC port splits its rate over the planes)."""
    return min(nic.port_speed_gbps for nic, _ in compute_nics(catalog, system)) // planes


def endpoint_speed_gbps(catalog: Catalog, system: System, switch: Switch, planes: int) -> int:
    """Each compute link's speed: the NIC's rate per plane, or the switch port's when that is slower (the link
    trains at the speed both ends support, as an 800G ConnectX-8 does on a 400G Quantum-2 port)."""
    return min(nic_speed_gbps(catalog, system, planes), switch.port_speed_gbps)


def breakout(switch: Switch, endpoint_speed_gbps: int) -> int:
    """Endpoint links per switch port: slower endpoints share a broken-out port."""
    return max(1, switch.port_speed_gbps // endpoint_speed_gbps)
