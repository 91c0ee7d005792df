"""The Ansible bundle, checked with the real tools offline: ansible-inventory resolves every host into the groups
its role implies, every playbook passes --syntax-check, ansible-lint (production profile) and yamllint pass, and
free text from the spec reaches Ansible literally (`!unsafe`), even when it looks like YAML or Jinja."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from refarch import load_spec, plan_spec, render
from refarch.catalog.loader import Catalog
from refarch.plan import Plan

from ..conftest import REPO, with_description

BIN = Path(sys.executable).parent
EXAMPLES = ["dgx-h100-su", "cerebras-cs3", "gb200-nvl72-pod"]
HOSTILE = "x: {{ lookup('env','HOME') }} 'q' \"dq\" # not a comment\n- item\n*alias &anchor {% raw %}"


def _tool(name: str, bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / name), *args], cwd=bundle, capture_output=True, text=True, check=False,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(bundle), "ANSIBLE_NOCOLOR": "1"})  # fmt: skip


def _bundle(plan: Plan, tmp: Path) -> Path:
    render(plan, tmp / "bundle", outputs=["ansible"])
    return tmp / "bundle" / "ansible"


@pytest.fixture(scope="module", params=[*EXAMPLES, "hostile", "roce"])
def planned(
    request: pytest.FixtureRequest, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Plan, Path]:
    name = str(request.param)
    tmp = tmp_path_factory.mktemp(name)
    if name == "hostile":
        spec_file = tmp / "spec.yaml"
        spec_file.write_text(with_description((REPO / "examples" / "dgx-h100-su.yaml").read_text(), HOSTILE))
        plan = plan_spec(load_spec(spec_file), catalog)
        assert plan.metadata.description == HOSTILE
    elif name == "roce":
        spec_file = tmp / "spec.yaml"
        text = (REPO / "examples" / "dgx-h100-su.yaml").read_text()
        spec_file.write_text(text.replace("compute: infiniband ", "compute: roce "))
        plan = plan_spec(load_spec(spec_file), catalog)
        assert plan.fabrics["compute"].technology == "ethernet"
    else:
        plan = plan_spec(load_spec(REPO / "examples" / f"{name}.yaml"), catalog)
    return plan, _bundle(plan, tmp)


def test_inventory_resolves_every_device_into_its_groups(planned: tuple[Plan, Path]) -> None:
    plan, bundle = planned
    result = _tool("ansible-inventory", bundle, "-i", "inventory", "--list")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    hosts = {g: set(body.get("hosts", [])) for g, body in inventory.items() if g != "_meta"}
    roles = Counter(d.role for r in plan.racks for d in r.devices)
    gpu = [a for a in plan.compute if a.architecture == "gpu"]
    wafer = sum(a.systems for a in plan.compute if a.architecture == "wafer")
    assert len(hosts.get("gpu_nodes", ())) == sum(a.systems * a.hosts_per_system for a in gpu)
    assert len(hosts.get("wafer_systems", ())) == wafer
    leaves = sum(n for role, n in roles.items() if role.endswith("-leaf") and not role.startswith("oob"))
    spines = sum(n for role, n in roles.items() if role.endswith("-spine"))
    assert len(hosts.get("leaf_switches", ())) == leaves
    assert len(hosts.get("spine_switches", ())) == spines
    assert len(hosts.get("oob_mgmt", ())) == roles["oob-leaf"]
    assert len(hosts.get("memoryx", ())) == roles["memoryx"]
    assert len(hosts.get("swarmx", ())) == roles["swarmx"]
    managers = sum(n for role, n in roles.items() if role.endswith("-manager"))
    assert len(hosts.get("fabric_managers", ())) == managers
    racked = sum(roles.values()) + sum(a.systems * (a.hosts_per_system - 1) for a in gpu)
    assert len(inventory["_meta"]["hostvars"]) == racked
    some = next(iter(inventory["_meta"]["hostvars"].values()))
    assert some["cluster_description"] == {"__ansible_unsafe": plan.metadata.description}


def test_every_playbook_passes_syntax_check(planned: tuple[Plan, Path]) -> None:
    _, bundle = planned
    result = _tool("ansible-playbook", bundle, "--syntax-check", "site.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_production_profile_and_yamllint_pass(planned: tuple[Plan, Path]) -> None:
    _, bundle = planned
    lint = _tool("ansible-lint", bundle, "--offline", "-q")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    yamllint = _tool("yamllint", bundle, "-s", ".")
    assert yamllint.returncode == 0, yamllint.stdout + yamllint.stderr


def test_subnet_managers_are_one_master_and_standbys_per_fabric(catalog: Catalog, tmp_path: Path) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    bundle = _bundle(plan, tmp_path)
    result = json.loads(_tool("ansible-inventory", bundle, "-i", "inventory", "--list").stdout)
    managers = result["ib_subnet_managers"]["hosts"]
    by_fabric: dict[str, list[int]] = {}
    for host in managers:
        variables = result["_meta"]["hostvars"][host]
        by_fabric.setdefault(variables["opensm_fabric"], []).append(variables["opensm_priority"])
    assert set(by_fabric) == {n for n, f in plan.fabrics.items() if f.technology == "infiniband"}
    assert all(sorted(p, reverse=True) == [15 - k for k in range(len(p))] and len(p) >= 2 for p in by_fabric.values())


def test_nccl_conf_lists_one_hca_per_rail_in_rail_order(catalog: Catalog, tmp_path: Path) -> None:
    plan = plan_spec(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog)
    bundle = _bundle(plan, tmp_path)
    host = json.loads(_tool("ansible-inventory", bundle, "-i", "inventory", "--host", "dgx-h100-001").stdout)
    rails = host["rails"]
    assert len(rails) == plan.fabrics["compute"].rails * plan.fabrics["compute"].planes
    assert [r["rail"] for r in rails] == list(range(1, len(rails) + 1))
    assert {r["leaf"] for r in rails} == {
        c.b_device for c in plan.fabrics["compute"].cables if c.a_device == "dgx-h100-001"
    }
    template = (bundle / "roles" / "nccl_config" / "templates" / "nccl.conf.j2").read_text()
    assert "NCCL_ALGO" not in template and "NCCL_PROTO" not in template


def test_rail_test_peers_form_one_ring_per_leaf(catalog: Catalog, tmp_path: Path) -> None:
    # 4 SUs, with a last SU that is not full, so that rings of different sizes are exercised.
    text = (REPO / "examples" / "dgx-h100-su.yaml").read_text().replace("systems: 31 ", "systems: 100")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text)
    plan = plan_spec(load_spec(spec_file), catalog)
    bundle = _bundle(plan, tmp_path)
    hostvars = json.loads(_tool("ansible-inventory", bundle, "-i", "inventory", "--list").stdout)["_meta"]["hostvars"]
    gpu = {h: v for h, v in hostvars.items() if v["device_role"] == "compute"}
    assert len(gpu) == 100
    peers = {h: v["ib_write_bw_peer"] for h, v in gpu.items() if "ib_write_bw_peer" in v}
    # Every host with a peer receives from exactly one host: sending to the next is a permutation.
    assert sorted(peers.values()) == sorted(peers)
    for host, peer in peers.items():
        assert peer != host
        # Rail k of both hosts meets on one leaf, for every rail.
        assert [r["leaf"] for r in gpu[host]["rails"]] == [r["leaf"] for r in gpu[peer]["rails"]]
    # Only a host alone on its leaves goes untested.
    alone = set(gpu) - set(peers)
    leaves = Counter(v["rails"][0]["leaf"] for v in gpu.values())
    assert all(leaves[gpu[h]["rails"][0]["leaf"]] == 1 for h in alone)


def test_site_imports_the_fabric_playbook_of_the_planned_technology(planned: tuple[Plan, Path]) -> None:
    plan, bundle = planned
    site = (bundle / "site.yml").read_text()
    compute = plan.fabrics.get("compute")
    gpu = any(a.architecture == "gpu" for a in plan.compute)  # a wafer-scale cluster's Ethernet is not RoCE
    roce = gpu and compute is not None and compute.technology == "ethernet"
    infiniband = any(f.technology == "infiniband" for f in plan.fabrics.values())
    assert ("playbooks/roce.yml" in site) == roce
    assert ("playbooks/infiniband.yml" in site) == infiniband
    if roce:
        nccl = (bundle / "inventory" / "group_vars" / "gpu_nodes.yml").read_text()
        assert "nccl_roce: true" in nccl and "nccl_ib_gid_index: 3" in nccl
