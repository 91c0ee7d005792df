"""The Ansible inventory of a plan: groups by role, `host_vars` per host, `group_vars` per group.

Group names use underscores (ansible-core 2.19 warns on hyphens). A GPU system is one host, or one host per
tray for systems that hold several (GB200 NVL72: `<system>-n01` .. `-n18`); a wafer-scale system and its support
servers get their own groups. PDUs are not hosts: nothing in the bundle configures them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from refarch.plan import AddressPlan, ComputeAllocation, Plan
from refarch.render.ansible.topology_graph import os_host_names
from refarch.render.ansible.yaml_files import FlowMapping
from refarch.render.views import DeviceView, PlanViews

__all__ = ["Inventory", "build_inventory", "ROLE_GROUPS", "SWITCH_TIER_GROUPS"]

# Device role (plan) -> inventory group, for every role but compute systems and switches.
ROLE_GROUPS: Mapping[str, str] = {
    "memoryx": "memoryx",
    "swarmx": "swarmx",
    "input-worker": "input_workers",
    "activation": "activation_servers",
    "management": "wafer_management",
    "storage": "storage",
}
# A switch's role ends with its tier (`compute-leaf`, `oob-leaf`); out-of-band leaves form `oob_mgmt`.
SWITCH_TIER_GROUPS: Mapping[str, str] = {"leaf": "leaf_switches", "spine": "spine_switches", "core": "core_switches"}
_MANAGER_SUFFIX = "-manager"  # fabric-manager appliances (UFM): `compute-manager`, `storage-manager`


@dataclass(frozen=True)
class Inventory:
    """Groups (name -> sorted hosts or child groups) and the variables of each host."""

    hosts_by_group: Mapping[str, tuple[str, ...]]
    children: Mapping[str, tuple[str, ...]]
    host_vars: Mapping[str, Mapping[str, object]]


def build_inventory(plan: Plan, views: PlanViews) -> Inventory:
    """Every racked device of `plan` placed in its groups, with its variables."""
    allocations = {a.platform: a for a in plan.compute}
    addresses = _addresses(plan.addressing.addresses)
    groups: dict[str, list[str]] = defaultdict(list)
    host_vars: dict[str, dict[str, object]] = {}
    for device in views.devices:
        if device.zero_u:
            continue
        for host, variables in _hosts_of(device, allocations, addresses, plan).items():
            for group in _groups_of(device, allocations, plan):
                groups[group].append(host)
            host_vars[host] = variables
    _subnet_manager_priorities(groups.get("ib_subnet_managers", []), host_vars)
    _rail_test_peers(groups.get("gpu_nodes", []), host_vars)
    hosts_by_group = {g: tuple(sorted(hosts)) for g, hosts in sorted(groups.items())}
    for group in _ALWAYS_PRESENT:
        hosts_by_group.setdefault(group, ())
    return Inventory(hosts_by_group, _children(hosts_by_group), host_vars)


# Groups a playbook targets even when the plan puts nobody in them (the operator adds the Slurm head node).
_ALWAYS_PRESENT = ("slurm_controller",)


def _children(hosts_by_group: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    present = set(hosts_by_group)
    fabric = tuple(g for g in (*SWITCH_TIER_GROUPS.values(), "oob_mgmt") if g in present)
    wafer = tuple(g for g in ("wafer_systems", *ROLE_GROUPS.values()) if g in present and g != "storage")
    children = {"fabric": fabric, "cluster": (*tuple(sorted(present - {"slurm_controller"})), "fabric")}
    if wafer and "wafer_systems" in present:
        children["wafer_cluster"] = wafer
    if "gpu_nodes" in present:
        children["slurm_compute"] = ("gpu_nodes",)
    return {name: tuple(sorted(set(members))) for name, members in children.items() if members}


def _groups_of(device: DeviceView, allocations: Mapping[str, ComputeAllocation], plan: Plan) -> list[str]:
    if device.role == "compute" and device.catalog_id in allocations:
        wafer = allocations[device.catalog_id].architecture == "wafer"
        return ["wafer_systems" if wafer else "gpu_nodes"]
    if device.role.endswith(_MANAGER_SUFFIX):
        fabric = plan.fabrics.get(device.role.removesuffix(_MANAGER_SUFFIX))
        infiniband = fabric is not None and fabric.technology == "infiniband"
        return ["fabric_managers", *(["ib_subnet_managers"] if infiniband else [])]
    if device.switch:
        fabric_name, _, tier = device.role.rpartition("-")
        tier_group = "oob_mgmt" if fabric_name == "oob" else SWITCH_TIER_GROUPS.get(tier, "other_switches")
        return [tier_group, f"{fabric_name.replace('-', '_')}_switches"]
    return [ROLE_GROUPS.get(device.role, device.role.replace("-", "_"))]


def _hosts_of(
    device: DeviceView,
    allocations: Mapping[str, ComputeAllocation],
    addresses: Mapping[str, Mapping[str, AddressPlan]],
    plan: Plan,
) -> dict[str, dict[str, object]]:
    allocation = allocations.get(device.catalog_id) if device.role == "compute" else None
    per_system = allocation.hosts_per_system if allocation else 1
    names = os_host_names(device.name, per_system)
    shared = _device_vars(device, addresses.get(device.name, {}), plan)
    if per_system == 1:
        return {device.name: shared}
    # Trays of a rack-scale system share its rack and cabling; each is one Slurm node in the system's NVLink domain.
    return {name: {**shared, "system": device.name, "tray": k} for k, name in enumerate(names, start=1)}


def _device_vars(device: DeviceView, addresses: Mapping[str, AddressPlan], plan: Plan) -> dict[str, object]:
    variables: dict[str, object] = {
        "rack": device.rack, "row": device.row, "rack_unit": device.u, "height_u": device.height_u,
        "device_role": device.role, "catalog_id": device.catalog_id,
    }  # fmt: skip
    management = addresses.get("management")
    oob = addresses.get("oob")
    if management is not None:
        variables["management_interface"] = management.interface
        variables["management_address"] = management.address
    if oob is not None:
        variables["oob_interface"] = oob.interface
        variables["oob_address"] = oob.address
    variables["ports"] = [
        FlowMapping({"port": p.port, "fabric": p.fabric, "plane": p.plane, "speed_gbps": p.speed_gbps,
         "peer_device": p.peer_device, "peer_port": p.peer_port, "cable_id": p.cable_id})
        for p in device.ports
    ]  # fmt: skip
    rails = _rails(device, plan)
    if rails:
        variables["rails"] = rails
    return variables


def _rails(device: DeviceView, plan: Plan) -> list[FlowMapping]:
    """The NIC-to-rail map of a compute endpoint: its compute-fabric ports in port order, rail k on port k.

    `hca` is the RDMA device name NCCL is given; it assumes the compute NICs enumerate as mlx5_0.. in rail order
    (stated in the bundle's README: check with `ibdev2netdev` before the first run)."""
    fabric = plan.fabrics.get("compute")
    if fabric is None or device.switch:
        return []
    ports = [p for p in device.ports if p.fabric == "compute" and p.tier == "endpoint-leaf"]
    return [
        FlowMapping({"rail": k, "plane": p.plane, "port": p.port, "hca": f"mlx5_{k - 1}", "speed_gbps": p.speed_gbps,
                     "leaf": p.peer_device, "leaf_port": p.peer_port})
        for k, p in enumerate(ports, start=1)
    ]  # fmt: skip


def _subnet_manager_priorities(managers: Sequence[str], host_vars: dict[str, dict[str, object]]) -> None:
    """OpenSM priorities: per fabric, the first manager (in rack order) is master at 15, the others standby below."""
    seen: dict[str, int] = defaultdict(int)
    for host in managers:
        fabric = str(host_vars[host]["device_role"]).removesuffix(_MANAGER_SUFFIX)
        host_vars[host] |= {"opensm_fabric": fabric, "opensm_priority": 15 - seen[fabric]}
        seen[fabric] += 1


def _rail_test_peers(hosts: Sequence[str], host_vars: dict[str, dict[str, object]]) -> None:
    """`ib_write_bw_peer` for validate.yml's per-rail test: the next host, in name order, on the same rail-1 leaf.

    In a rail-optimised fabric, hosts that share their rail-1 leaf share the leaf of every rail, so each rail is
    measured through exactly one switch. The hosts of a leaf form a ring (each sends to the next and receives
    from the previous one), which works for any number of hosts; a host alone on its leaf has no peer."""
    by_leaf: dict[str, list[str]] = defaultdict(list)
    for host in sorted(hosts):
        rails = host_vars[host].get("rails")
        if isinstance(rails, list) and rails:
            by_leaf[str(rails[0]["leaf"])].append(host)
    for ring in by_leaf.values():
        if len(ring) < 2:
            continue
        for host, peer in zip(ring, [*ring[1:], ring[0]], strict=True):
            host_vars[host]["ib_write_bw_peer"] = peer


def _addresses(assigned: Sequence[AddressPlan]) -> dict[str, dict[str, AddressPlan]]:
    found: dict[str, dict[str, AddressPlan]] = defaultdict(dict)
    for address in assigned:
        found[address.device][address.network] = address
    return found
