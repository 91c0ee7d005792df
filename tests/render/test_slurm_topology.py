"""Slurm topology from the planned fabric: tree for rail-optimized fat trees, blocks for NVLink domains.

Each plan's topology must pass the checker, and the checker must catch a broken one (a node dropped, a node
moved to another switch, a spine link that is not cabled), so these tests can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from refarch.plan import Plan
from refarch.render.ansible.hostlist import compress_hostlist, expand_hostlist
from refarch.render.ansible.slurm_topology import TOPOLOGY_PATH, check_topology, os_host_names, topology_files

from ..conftest import REPO

SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata: {{name: {name}}}
workloads:
  - {{name: w, type: training, model: {{preset: llama3-70b}}, platform: dgx-h100, systems: {systems}}}
site: {{rack_power_limit: 40 kW, cooling: [air, rdhx], rack_height: 48}}
"""


def _plan(catalog: Catalog, path: Path) -> Plan:
    return plan_spec(load_spec(path), catalog)


def _spec_plan(catalog: Catalog, tmp: pytest.TempPathFactory, name: str, systems: int) -> Plan:
    path = tmp.mktemp(name) / "spec.yaml"
    path.write_text(SPEC.format(name=name, systems=systems), encoding="utf-8")
    return _plan(catalog, path)


@pytest.fixture(scope="module")
def su_plan(catalog: Catalog) -> Plan:
    return _plan(catalog, REPO / "examples" / "dgx-h100-su.yaml")


@pytest.fixture(scope="module")
def four_su_plan(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return _spec_plan(catalog, tmp_path_factory, "four-su", 127)


@pytest.fixture(scope="module")
def big_plan(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """16,384 GPUs: three tiers (leaf, pod spine, core), about 5 s to plan, so once per module."""
    return _spec_plan(catalog, tmp_path_factory, "gpus-16k", 2048)


@pytest.fixture(scope="module")
def nvl72_plan(catalog: Catalog) -> Plan:
    return _plan(catalog, REPO / "examples" / "gb200-nvl72-pod.yaml")


TREE_PLANS = ["su_plan", "four_su_plan", "big_plan"]


def _topology(plan: Plan) -> str:
    files = topology_files(plan)
    assert list(files) == [TOPOLOGY_PATH]
    return files[TOPOLOGY_PATH]


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def _field(line: str, key: str) -> str:
    return dict(part.split("=", 1) for part in line.split())[key]


@pytest.mark.parametrize("name", TREE_PLANS)
def test_tree_topology_passes_its_check(name: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(name)
    text = _topology(plan)
    assert check_topology(plan, text) == []
    assert topology_files(plan)[TOPOLOGY_PATH] == text  # deterministic


@pytest.mark.parametrize("name", TREE_PLANS)
def test_tree_has_one_logical_switch_per_scalable_unit(name: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(name)
    text = _topology(plan)
    fabric = plan.fabrics["compute"]
    leaves = _lines(text, "SwitchName=su")
    assert len(leaves) == fabric.scalable_units
    assert all("Nodes=" in line for line in leaves)
    spines = [line for line in _lines(text, "SwitchName=") if "Switches=" in line]
    assert len(spines) == sum(count for tier, count in fabric.switches.items() if tier != "leaf")
    assert "rail" in text.split("SwitchName=")[0]  # the header says what was done and why
    assert "ufm" not in text


def test_one_su_topology_text(su_plan: Plan) -> None:
    text = _topology(su_plan)
    assert "SwitchName=su001 Nodes=dgx-h100-[001-031]\n" in text
    assert "SwitchName=compute-spine04 Switches=su001\n" in text


def test_three_tier_cores_list_spines(big_plan: Plan) -> None:
    text = _topology(big_plan)
    cores = [line for line in _lines(text, "SwitchName=compute-core") if "Switches=" in line]
    assert cores and all("spine" in _field(line, "Switches") for line in cores)
    nodes = [node for line in _lines(text, "SwitchName=su") for node in expand_hostlist(_field(line, "Nodes"))]
    assert len(nodes) == len(set(nodes)) == 2048


def _drop_node(text: str) -> str:
    line = _lines(text, "SwitchName=su001 ")[0]
    nodes = expand_hostlist(_field(line, "Nodes"))
    return text.replace(line, f"SwitchName=su001 Nodes={compress_hostlist(nodes[1:])}")


def _move_node(text: str) -> str:
    first, second = _lines(text, "SwitchName=su001 ")[0], _lines(text, "SwitchName=su002 ")[0]
    moved = expand_hostlist(_field(first, "Nodes"))[0]
    rest = expand_hostlist(_field(first, "Nodes"))[1:]
    text = text.replace(first, f"SwitchName=su001 Nodes={compress_hostlist(rest)}")
    return text.replace(second, f"{second},{moved}")


def _extra_spine_link(text: str) -> tuple[str, str]:
    """Give the first spine a child it is not cabled to: a unit of another pod, or else another spine."""
    uplinks = [line for line in _lines(text, "SwitchName=") if "Switches=" in line]
    line = uplinks[0]
    children = set(expand_hostlist(_field(line, "Switches")))
    units = [_field(lone, "SwitchName") for lone in _lines(text, "SwitchName=su")]
    stranger = next((unit for unit in units if unit not in children), _field(uplinks[1], "SwitchName"))
    return text.replace(line, f"{line},{stranger}"), f"{stranger} is listed under {_field(line, 'SwitchName')} but not"


@pytest.mark.parametrize("name", ["four_su_plan", "big_plan"])
def test_checker_catches_broken_trees(name: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(name)
    text = _topology(plan)
    dropped = check_topology(plan, _drop_node(text))
    assert any("under no lowest-level switch" in p for p in dropped)
    moved = check_topology(plan, _move_node(text))
    assert any("su002 lists 1 node(s) not cabled" in p for p in moved)
    assert any("su001 leaves out 1 node(s)" in p for p in moved)
    broken, problem = _extra_spine_link(text)
    assert any(p.startswith(problem) for p in check_topology(plan, broken))


def test_checker_catches_broken_one_su_tree(su_plan: Plan) -> None:
    text = _topology(su_plan)
    assert check_topology(su_plan, _drop_node(text))
    bogus = text.replace("SwitchName=compute-spine01 Switches=su001", "SwitchName=compute-spine99 Switches=su001")
    problems = check_topology(su_plan, bogus)
    assert any("compute-spine99 is not a switch" in p for p in problems)
    assert any("cabled to compute-spine01 but not listed" in p for p in problems)
    doubled = text.replace("Switches=su001\n", "Switches=su001,compute-su001-leaf01\n", 1)
    assert check_topology(su_plan, doubled)
    assert check_topology(su_plan, text + "SwitchName=x Nodes=dgx-h100-001\n")


def test_nvl72_blocks(nvl72_plan: Plan) -> None:
    text = _topology(nvl72_plan)
    assert check_topology(nvl72_plan, text) == []
    blocks = _lines(text, "BlockName=")
    assert len(blocks) == 8
    assert blocks[0] == "BlockName=gb200-nvl72-001 Nodes=gb200-nvl72-001-n[01-18]"
    assert text.endswith("BlockSizes=18\n")
    assert "SwitchName=" not in text


def test_checker_catches_broken_blocks(nvl72_plan: Plan) -> None:
    text = _topology(nvl72_plan)
    assert any("under no block" in p for p in check_topology(nvl72_plan, text.replace("n[01-18]", "n[01-17]", 1)))
    swapped = text.replace("001-n[01-18]", "001-n[01-17],gb200-nvl72-002-n18", 1)
    problems = check_topology(nvl72_plan, swapped)
    assert any("several blocks" in p for p in problems)
    assert any("not exactly the trays" in p for p in problems)
    assert check_topology(nvl72_plan, text.replace("BlockSizes=18", "BlockSizes=16"))


def test_os_host_names() -> None:
    assert os_host_names("dgx-h100-001", 1) == ["dgx-h100-001"]
    trays = os_host_names("gb200-nvl72-001", 18)
    assert trays[0] == "gb200-nvl72-001-n01" and trays[-1] == "gb200-nvl72-001-n18" and len(trays) == 18


def test_no_topology_without_gpu_nodes(catalog: Catalog) -> None:
    plan = _plan(catalog, REPO / "examples" / "cerebras-cs3.yaml")
    assert topology_files(plan) == {}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["dgx-h100-001", "dgx-h100-002", "dgx-h100-003"], "dgx-h100-[001-003]"),
        (["n9", "n10", "n11"], "n9,n[10-11]"),
        (["a01", "a03", "a02", "a07", "b1"], "a[01-03,07],b1"),
        (["compute-pod01-spine01", "compute-pod02-spine01", "compute-pod03-spine01"], "compute-pod[01-03]-spine01"),
        (["su001"], "su001"),
        (["spine"], "spine"),
    ],
)
def test_compress_hostlist(names: list[str], expected: str) -> None:
    assert compress_hostlist(names) == expected
    assert sorted(expand_hostlist(expected)) == sorted(names)


NAME = st.builds(
    lambda prefix, number, width, suffix: f"{prefix}{number:0{width}d}{suffix}",
    st.sampled_from(["dgx-", "gb200-nvl72-001-n", "r", "node"]),
    st.integers(0, 300),
    st.integers(1, 4),
    st.sampled_from(["", "-a", "-n01"]),
)


@given(st.lists(NAME, max_size=60))
def test_hostlist_round_trip(names: list[str]) -> None:
    expanded = expand_hostlist(compress_hostlist(names)) if names else []
    assert sorted(expanded) == sorted(set(names))
    assert len(expanded) == len(set(expanded))


@pytest.mark.parametrize("bad", ["a[1-", "a[3-1]", "a[x]", "a,,b", "a]b"])
def test_expand_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="hostlist"):
        expand_hostlist(bad)
