"""Size a rail-optimized, balanced fat tree from the rules of NVIDIA's DGX SuperPOD designs (fabric.md).

No lookup tables: every count follows from the endpoint count, the rails per system, the switch radix and the
oversubscription, so the published 1/2/4-SU rows and any other size or radix come out of the same arithmetic.

Rules applied:
- A leaf has `down` endpoint ports and `up` spine ports, down:up = oversubscription (1:1 halves the radix).
  When endpoints run slower than the switch ports (400G NICs on 800G Spectrum-4, 100GbE wafer ports on 400G
  switches) each down port breaks out into `breakout` endpoint links; switch-to-switch links run at full speed.
- Scalable unit (SU) = `down x breakout` systems; leaf i of an SU takes NIC i of every system in it
  (rail-optimized). With one rail the fabric is flat: endpoint links simply fill the leaves in order.
  Partial SUs are built out in full (all leaves and leaf-spine links) so the cluster grows without recabling.
- InfiniBand gives one system slot of the first SU to the fabric manager (UFM), as the published tables do.
- One switch when a single leaf holds every endpoint link (a small flat fabric); two tiers while every spine
  can reach every leaf (leaves <= radix); spines are the fewest that give every leaf
  the same number of links to every spine. Beyond that, pods of whole SUs under their own spines, and a core tier
  connecting spine j of every pod to core group j. Three tiers top out at radix^3 / 4 endpoints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["FabricInfeasibleError", "FatTree", "FatTreeInstance", "size_access_layer", "size_fat_tree"]


class FabricInfeasibleError(ValueError):
    """The fabric cannot be built with this switch; the message names the limit."""


@dataclass(frozen=True)
class FatTreeInstance:
    """What the fabric must connect, per plane."""

    systems: int
    rails: int
    radix: int
    oversubscription: float = 1.0
    manager_slots: int = 0
    manager_links: int = 0
    breakout: int = 1


@dataclass(frozen=True)
class FatTree:
    """Counts of one plane of a rail-optimized fat tree."""

    tiers: int
    down_per_leaf: int
    up_per_leaf: int
    systems_per_su: int
    sus: int
    leaves: int
    spines: int
    cores: int
    pods: int
    sus_per_pod: int
    spines_per_pod: int
    links_per_leaf_spine: int
    core_groups: int
    cores_per_group: int
    links_per_spine_core: int
    endpoint_links: int
    manager_links: int
    breakout: int

    @property
    def leaf_spine_links(self) -> int:
        """Links between leaves and spines (every leaf uses all its uplinks; none without spines)."""
        return self.leaves * self.up_per_leaf if self.spines else 0

    @property
    def spine_core_links(self) -> int:
        """Links between spines and cores."""
        return self.spines * self.cores_per_group * self.links_per_spine_core

    @property
    def switches(self) -> int:
        """All switches of the plane."""
        return self.leaves + self.spines + self.cores


def _leaf_ports(radix: int, oversubscription: float) -> tuple[int, int]:
    down = math.floor(radix * oversubscription / (1 + oversubscription))
    up = math.ceil(down / oversubscription)
    if up < 1 or down < 1 or down + up > radix:
        raise FabricInfeasibleError(f"a {radix}-port leaf cannot be split {oversubscription:g}:1")
    return down, up


def size_fat_tree(instance: FatTreeInstance) -> FatTree:
    """Size one plane of the fabric.

    Raises:
        FabricInfeasibleError: a leaf cannot hold a system's rail, or three tiers of this radix are too small.
    """
    if instance.systems < 1 or instance.rails < 1 or instance.breakout < 1:
        raise FabricInfeasibleError("a fabric needs at least one system with one network port")
    down, up = _leaf_ports(instance.radix, instance.oversubscription)
    per_su = down * instance.breakout
    sus = math.ceil((instance.systems + instance.manager_slots) / per_su)
    leaves = sus * instance.rails
    base = {
        "down_per_leaf": down, "up_per_leaf": up, "systems_per_su": per_su, "sus": sus, "leaves": leaves,
        "endpoint_links": instance.systems * instance.rails, "manager_links": instance.manager_links,
        "breakout": instance.breakout,
    }  # fmt: skip
    if leaves == 1:  # one switch holds everything: nothing to spread over spines
        return FatTree(tiers=1, spines=0, cores=0, pods=1, sus_per_pod=sus, spines_per_pod=0, links_per_leaf_spine=0,
                       core_groups=0, cores_per_group=0, links_per_spine_core=0, **base)  # fmt: skip
    if leaves <= instance.radix:
        spines, per_pair = _balanced_spines(leaves, up, instance.radix)
        return FatTree(tiers=2, spines=spines, cores=0, pods=1, sus_per_pod=sus, spines_per_pod=spines,
                       links_per_leaf_spine=per_pair, core_groups=0, cores_per_group=0, links_per_spine_core=0,
                       **base)  # fmt: skip
    return _three_tiers(instance, base)


def _balanced_spines(leaves: int, up: int, radix: int) -> tuple[int, int]:
    """Fewest spines such that every leaf has the same number of links to every spine."""
    for spines in range(max(1, math.ceil(leaves * up / radix)), up + 1):
        if up % spines == 0 and leaves * (up // spines) <= radix:
            return spines, up // spines
    raise FabricInfeasibleError(f"{leaves} leaves with {up} uplinks each cannot be balanced over {radix}-port spines")


def _three_tiers(instance: FatTreeInstance, base: dict[str, int]) -> FatTree:
    radix, rails, up = instance.radix, instance.rails, base["up_per_leaf"]
    spine_down = radix // 2  # spines and cores are non-blocking; oversubscription is a leaf-level choice
    sus_per_pod = spine_down // rails
    if sus_per_pod < 1:
        raise FabricInfeasibleError(f"{rails} rails do not fit under {radix}-port spines ({spine_down} down ports)")
    pods = math.ceil(base["sus"] / sus_per_pod)
    pod_leaves = sus_per_pod * rails
    spines_per_pod, per_pair = _balanced_spines(pod_leaves, up, spine_down)
    if pods > radix:
        capacity = radix * sus_per_pod * base["systems_per_su"] * rails
        raise FabricInfeasibleError(
            f"{instance.systems * rails} endpoints need {pods} pods; {radix}-port switches hold {radix} pods "
            f"({capacity} endpoints) in three tiers"
        )
    spine_up = radix - spine_down
    groups = spines_per_pod  # spine j of every pod joins core group j
    cores_per_group, per_core = _core_group(pods, spine_up, radix)
    return FatTree(
        tiers=3, spines=pods * spines_per_pod, cores=groups * cores_per_group, pods=pods, sus_per_pod=sus_per_pod,
        spines_per_pod=spines_per_pod, links_per_leaf_spine=per_pair, core_groups=groups,
        cores_per_group=cores_per_group, links_per_spine_core=per_core, **base,
    )  # fmt: skip


def _core_group(pods: int, spine_up: int, radix: int) -> tuple[int, int]:
    """Fewest cores per group such that every spine has the same number of links to every core of its group."""
    for cores in range(max(1, math.ceil(pods * spine_up / radix)), spine_up + 1):
        if spine_up % cores == 0 and pods * (spine_up // cores) <= radix:
            return cores, spine_up // cores
    raise FabricInfeasibleError(f"{pods} pods cannot be balanced over {radix}-port core switches")


def size_access_layer(endpoint_links: int, ports: int) -> FatTree:
    """A single tier of access switches (out-of-band management): endpoint links fill `ports`-port switches.

    Their uplinks are dedicated ports outside `ports`, so they join a higher fabric as that fabric's endpoints.
    """
    if endpoint_links < 1 or ports < 1:
        raise FabricInfeasibleError("an access layer needs at least one endpoint link and one port")
    leaves = math.ceil(endpoint_links / ports)
    return FatTree(
        tiers=1, down_per_leaf=ports, up_per_leaf=0, systems_per_su=ports, sus=leaves, leaves=leaves, spines=0,
        cores=0, pods=1, sus_per_pod=leaves, spines_per_pod=0, links_per_leaf_spine=0, core_groups=0,
        cores_per_group=0, links_per_spine_core=0, endpoint_links=endpoint_links, manager_links=0, breakout=1,
    )  # fmt: skip
