"""What the design stages share, resolved once at the top of `design`: the catalog, the site and the compute network.

The spec is read here and nowhere below: racks, power, cooling, rack plans and the networks receive the resolved
site (`refarch.inputs.site`) and the compute network chosen for the sized platforms. The network choice is
sizing's (`refarch.sizing.network_choice`, which still reads the spec), so it is made here, for every platform at
once, and handed down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Accelerator, System
from refarch.errors import Location
from refarch.inputs.finance import Finance, Schedule
from refarch.inputs.network import ResolvedNetwork, resolve_network
from refarch.inputs.site import ResolvedSite, resolve_site
from refarch.inputs.spec import Spec
from refarch.plan import NetworkPlan
from refarch.sizing.network_choice import choose_network, platform_switch
from refarch.types import Assumption

__all__ = ["ComputeNetwork", "DesignContext", "design_context"]


@dataclass(frozen=True)
class ComputeNetwork:
    """The compute network: what the spec asks, what was chosen (and why), and each platform's fabric switch."""

    asked: ResolvedNetwork
    chosen: NetworkPlan
    notes: tuple[Assumption, ...]
    switch_ids: Mapping[str, str]  # system id -> catalog id of the switch its own compute fabric is built on

    def switch_id(self, system: System) -> str:
        """The switch of `system`'s compute fabric."""
        return self.switch_ids[system.id]


@dataclass(frozen=True)
class DesignContext:
    """The catalog, the resolved site and the compute network: what travels through every design stage; and the
    money and time settings the plan's economics and schedule are computed with."""

    catalog: Catalog
    site: ResolvedSite
    network: ComputeNetwork
    finance: Finance
    schedule: Schedule
    power_phases_where: Location  # schedule.power_phases in the spec, for the error when the last stage falls short


def design_context(spec: Spec, catalog: Catalog, systems: Iterable[System]) -> DesignContext:
    """Resolve `spec` for designing `systems` (the sized platforms, the first being the reference design).

    Raises:
        SpecError: `network.switch` is of the wrong technology for `network.compute`.
        CatalogError: a `finance.rental` key is not a catalog accelerator id.
    """
    platforms = list(systems)
    chosen, notes = choose_network(spec, catalog, platforms)
    switches = {system.id: platform_switch(spec, catalog, chosen, system) for system in platforms}
    network = ComputeNetwork(resolve_network(spec), chosen, tuple(notes), switches)
    for accelerator in spec.finance.rental:
        catalog.get(accelerator, Accelerator, spec.where("finance", "rental", accelerator))
    where = spec.where("schedule", "power_phases")
    return DesignContext(catalog, resolve_site(spec), network, spec.finance, spec.schedule, where)
