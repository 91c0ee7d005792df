"""Resolve `network.compute` and `network.switch`: the spec's choice, else the platform's reference design."""

from __future__ import annotations

from typing import Literal

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Switch, System
from refarch.errors import SpecError
from refarch.inputs.spec import Spec
from refarch.plan import Assumption, NetworkPlan

__all__ = ["choose_network", "platform_switch"]

# Switch families of NVIDIA's reference designs by technology (fabric.md): Quantum-2 NDR, Spectrum-4.
_DEFAULT_SWITCH = {"infiniband": "qm9700", "roce": "sn5600", "ethernet": "sn5600"}
_SWITCH_TECHNOLOGY = {"infiniband": "infiniband", "roce": "ethernet", "ethernet": "ethernet"}


Technology = Literal["infiniband", "roce", "ethernet"]


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


def _technology(spec: Spec, reference: System) -> tuple[Technology, str]:
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
    default = _DEFAULT_SWITCH[compute]
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
    if candidate is not None and catalog.entries[candidate].technology == _SWITCH_TECHNOLOGY[compute]:
        return candidate
    return None
