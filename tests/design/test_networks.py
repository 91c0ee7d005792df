"""Fabrics through the whole pipeline: published counts, every cable accounted for, BOM and power include them."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from refarch import load_spec, size, solve
from refarch.catalog.loader import Catalog, load_catalog
from refarch.catalog.models import System
from refarch.design.cabling import MediaChooser, part_quantities
from refarch.design.networks.host_fabrics import storage_switch
from refarch.plan import Plan
from refarch.render.cabling_files import cabling_csv
from refarch.render.validation_files import p2p_csv
from refarch.render.views import build_views
from refarch.sizing.network_choice import scalable_unit_systems
from refarch.types import FabricTechnology

from ..conftest import REPO, CliResult


def _spec(tmp_path: Path, platform: str, systems: int, network: str = "", cooling: str = "[air, rdhx]") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"""apiVersion: refarch/v1
kind: Workload
metadata: {{name: fabric-test}}
workloads:
  - name: w
    type: training
    model: {{preset: llama3-70b}}
    platform: {platform}
    systems: {systems}
site:
  rack_power_limit: 40 kW
  cooling: {cooling}
{network}"""
    )
    return path


def _plan(path: Path, catalog: Catalog) -> Plan:
    spec = load_spec(path)
    return solve(spec, catalog, size(spec, catalog))


@pytest.fixture(scope="module")
def pod_4su(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return _plan(_spec(tmp_path_factory.mktemp("4su"), "dgx-h100", 127), catalog)


def test_published_4su_pod_counts_come_out_of_the_pipeline(pod_4su: Plan) -> None:
    # fabric.md: 127 nodes, 32 leaf + 16 spine, 1020 node+UFM cables, 1024 leaf-spine; 8 in-band, 4 UFM.
    compute = pod_4su.fabrics["compute"]
    assert compute.switches == {"leaf": 32, "spine": 16}
    assert compute.links == {"endpoint-leaf": 1020, "leaf-spine": 1024}
    assert (compute.scalable_units, compute.systems_per_su, compute.tiers) == (4, 32, 2)
    assert sum(pod_4su.fabrics["inband"].switches.values()) == 8
    managers = [d for r in pod_4su.racks for d in r.devices if d.catalog_id == "ufm-appliance"]
    assert len(managers) == 4


@pytest.mark.parametrize(("nodes", "leaves", "spines", "node_links"), [(31, 8, 4, 252), (63, 16, 8, 508)])
def test_published_dgx_b200_rows_come_out_of_the_pipeline(
    catalog: Catalog, tmp_path: Path, nodes: int, leaves: int, spines: int, node_links: int
) -> None:
    # fabric.md: the DGX B200 RA publishes the same table as the H100 one (QM9700, 8 x 400G per system, UFM slot).
    compute = _plan(_spec(tmp_path, "dgx-b200", nodes, cooling="[air, rdhx, liquid]"), catalog).fabrics["compute"]
    assert compute.switches == {"leaf": leaves, "spine": spines}
    assert compute.links == {"endpoint-leaf": node_links, "leaf-spine": leaves * 32}


def test_every_cable_joins_mounted_devices_on_distinct_ports(pod_4su: Plan) -> None:
    mounted = {d.name for r in pod_4su.racks for d in r.devices}
    pdus = {f"{r.name}-pdu{k:02d}" for r in pod_4su.racks for k in range(1, r.circuits + 1)}
    ports: Counter[tuple[str, str]] = Counter()
    for fabric in pod_4su.fabrics.values():
        for run in fabric.cables:
            assert {run.a_device, run.b_device} <= mounted | pdus
            ports[(run.a_device, run.a_port)] += 1
            ports[(run.b_device, run.b_port)] += 1
    assert max(ports.values()) == 1
    # every DGX reaches all 8 rails, the storage pair, the in-band pair and out-of-band
    dgx = Counter(run.a_device for f in pod_4su.fabrics.values() for run in f.cables if run.a_device.startswith("dgx"))
    assert set(dgx.values()) == {8 + 2 + 2 + 1}


def test_bom_and_power_include_switches_optics_and_cables(pod_4su: Plan, catalog: Catalog) -> None:
    bom = {line.part: line.quantity for line in pod_4su.bom}
    switches = Counter(d.catalog_id for r in pod_4su.racks for d in r.devices if d.role.endswith(("leaf", "spine")))
    for part, count in switches.items():
        assert bom[part] == count
    runs = [run for f in pod_4su.fabrics.values() for run in f.cables]
    for part, count in part_quantities(catalog, runs).items():
        assert bom[part] == count
    # NIC-side optics draw power; QM9700's datasheet maximum already includes its own
    dgx_rack = next(r for r in pod_4su.racks if r.devices[0].role == "compute")
    per_dgx_w = 8 * 9 + 2 * 9 + 2 * 3.5  # 8 compute SR4, 2 storage SR4, 2 in-band 100G SR4 (catalog power_w)
    assert dgx_rack.optics_power_kw * 1000 == pytest.approx(per_dgx_w * len(dgx_rack.devices))


def test_cabling_csv_lists_each_cable_once_with_both_ends_located(pod_4su: Plan) -> None:
    rows = list(csv.DictReader(io.StringIO(cabling_csv(build_views(pod_4su).cables))))
    assert len(rows) == pod_4su.summary.cables == len({r["cable_id"] for r in rows})
    where = {d.name: (r.name, str(d.u_position)) for r in pod_4su.racks for d in r.devices}
    for row in rows[:2000]:
        for end in ("a", "b"):
            device = row[f"{end}_device"]
            if device in where:
                assert (row[f"{end}_rack"], row[f"{end}_u"]) == where[device]
    p2p = p2p_csv(pod_4su.fabrics["compute"]).splitlines()
    assert len(p2p) - 1 == len(pod_4su.fabrics["compute"].cables) == len(set(p2p[1:]))


def test_media_follow_the_reach_table(pod_4su: Plan, catalog: Catalog) -> None:
    reach = {e.id: getattr(e, "reach_m", 0) for e in catalog.entries.values()}
    for run in (r for f in pod_4su.fabrics.values() for r in f.cables):
        assert run.length_m <= reach[run.cable]
        assert (run.a_transceiver is None) == (run.medium in ("dac", "acc", "cat6a"))
        if run.a_transceiver:
            assert run.length_m <= min(reach[run.a_transceiver], reach[run.b_transceiver or ""])
    chooser = MediaChooser(catalog)
    assert chooser.choose(400, 1.0, True, True).medium == "dac"  # type: ignore[union-attr]
    assert chooser.choose(400, 30.0, False, True).medium == "fibre-mmf"  # type: ignore[union-attr]
    assert chooser.choose(400, 80.0, False, True).medium == "fibre-smf"  # type: ignore[union-attr]
    assert chooser.choose(400, 5000.0, False, True) is None


def test_b300_on_quantum_x800_has_72_system_units(catalog: Catalog, tmp_path: Path) -> None:
    plan = _plan(_spec(tmp_path, "dgx-b300", 144, "network: {compute: infiniband, switch: q3400}\n"), catalog)
    compute = plan.fabrics["compute"]
    assert (compute.systems_per_su, compute.endpoint_speed_gbps) == (72, 800)  # fabric.md: 72 systems per SU
    assert all(run.medium != "fibre-mmf" for run in compute.cables if run.speed_gbps == 800)


def test_twin_plane_roce_halves_the_port_speed_and_doubles_the_fabric(catalog: Catalog, tmp_path: Path) -> None:
    single = _plan(_spec(tmp_path, "dgx-b300", 64, "network: {compute: roce, switch: sn5600}\n"), catalog)
    twin = _plan(_spec(tmp_path, "dgx-b300", 64, "network: {compute: roce, switch: sn5600, planes: 2}\n"), catalog)
    one, two = single.fabrics["compute"], twin.fabrics["compute"]
    assert (two.planes, two.endpoint_speed_gbps, two.systems_per_su) == (2, 400, 64)  # 64 nodes per plane
    assert len(two.cables) == 2 * 64 * 8 + 2 * sum(1 for r in two.cables if r.plane == 1 and r.tier != "endpoint-leaf")
    assert {r.a_port for r in two.cables if r.a_device == "dgx-b300-001"} == {
        f"compute{k}.{p}" for k in range(1, 9) for p in (1, 2)
    }
    assert one.endpoint_speed_gbps == 800 and one.manager is None


def test_wafer_cluster_fabric_is_flat_and_says_so(catalog: Catalog) -> None:
    plan = _plan(REPO / "examples" / "cerebras-cs3.yaml", catalog)
    fabric = plan.fabrics["compute"]
    assert not fabric.rail_optimized and fabric.endpoint_speed_gbps == 100
    cs3 = Counter(r.a_device for r in fabric.cables if r.a_device.startswith("cs-3-"))
    assert set(cs3.values()) == {12}  # 12 x 100 GbE per system (fabric.md)
    assert any(a.id.startswith("wafer-fabric") and "No published switch counts" in a.text for a in plan.assumptions)


def test_radix_too_small_for_three_tiers_is_a_clear_error(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    # 64-port switches hold 64^3/4 = 65,536 endpoints; 8,193 DGX x 8 NICs is one system too many.
    code, _, err = run_cli("plan", _spec(tmp_path, "dgx-h100", 8193), "-o", tmp_path / "out")
    assert code == 3
    assert "qm9700" in err and "in three tiers" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("network", "fragment"),
    [
        ("network: {planes: 3}\n", "network.planes"),
        ("network: {oversubscription: '1:2'}\n", "at least 1:1"),
    ],
    ids=["three-planes", "undersubscribed"],
)
def test_fabric_options_out_of_range_are_named(
    run_cli: Callable[..., CliResult], tmp_path: Path, network: str, fragment: str
) -> None:
    code, _, err = run_cli("plan", _spec(tmp_path, "dgx-h100", 4, network), "-o", tmp_path / "out")
    assert code == 2
    assert fragment in err and "spec.yaml" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("platform", "network"),
    [
        ("dgx-h100", ""),
        ("dgx-h100", "network: {oversubscription: '2:1'}\n"),
        ("dgx-b300", "network: {compute: roce, switch: sn5600, planes: 2, oversubscription: '3:1'}\n"),
        ("mi300x-8gpu", "network: {compute: roce, oversubscription: '2:1'}\n"),
    ],
)
def test_estimates_see_the_scalable_unit_the_plan_builds(
    catalog: Catalog, tmp_path: Path, platform: str, network: str
) -> None:
    path = _spec(tmp_path, platform, 80, network)
    plan = _plan(path, catalog)
    system = catalog.get(platform, System)
    assert scalable_unit_systems(load_spec(path), catalog, system) == plan.fabrics["compute"].systems_per_su
    notes = {a.id: a.text for a in plan.assumptions}
    if plan.network.oversubscription > 1:  # the estimate says which traffic the oversubscription slows
        assert f"{plan.fabrics['compute'].systems_per_su} systems" in notes[f"perf-scale-out-{platform}"]
    else:
        assert f"perf-scale-out-{platform}" not in notes


@pytest.mark.parametrize(
    ("technology", "nic_gbps", "expected"),
    [("infiniband", 200, "qm9700"), ("ethernet", 200, "sn5600"), ("infiniband", 1600, "q3400")],
    ids=["infiniband", "ethernet", "nothing-carries-the-rate"],
)
def test_the_storage_switch_follows_catalog_roles(
    catalog: Catalog, technology: FabricTechnology, nic_gbps: int, expected: str
) -> None:
    # compute-role switches (no storage-role one in the shipped catalog): the slowest that carries the NICs' rate,
    # ties by id (SN5600 before SN5610, QM9700 before the unmanaged QM9790); none carries it: the fastest
    assert storage_switch(catalog, technology, nic_gbps).id == expected


STORAGE_LEAF = """\
entries:
  - id: {id}
    kind: switch
    extends: {parent}
    name: storage leaf for tests
    role: storage
    source: test catalog
    confidence: estimate
"""


@pytest.mark.parametrize(
    ("network", "parent", "builtin"),
    [("", "qm9790", "qm9700"), ("network: {compute: roce}\n", "sn5400", "sn5600")],
    ids=["infiniband", "roce"],
)
def test_a_storage_role_switch_in_the_catalog_builds_the_storage_fabric(
    catalog: Catalog, tmp_path: Path, network: str, parent: str, builtin: str
) -> None:
    spec = _spec(tmp_path, "dgx-h100", 8, network)
    assert _plan(spec, catalog).fabrics["storage"].switch_model == builtin
    user = tmp_path / "catalog"
    user.mkdir()
    (user / "storage.yaml").write_text(STORAGE_LEAF.format(id="storage-leaf", parent=parent), encoding="utf-8")
    plan = _plan(spec, load_catalog([user]))
    assert plan.fabrics["storage"].switch_model == "storage-leaf"
    assert any(a.id == "storage-fabric" and "storage-leaf" in a.text for a in plan.assumptions)
