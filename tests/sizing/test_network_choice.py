"""Network defaults follow the platform's reference design; contradictions are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog, load_catalog
from refarch.catalog.models import System
from refarch.design.solve import solve
from refarch.errors import SpecError
from refarch.inputs.spec import load_spec
from refarch.sizing.network_choice import choose_network, default_compute_switch
from refarch.sizing.stage import size

from ..conftest import MINIMAL_SPEC


@pytest.mark.parametrize(
    ("platform", "network", "technology", "switch"),
    [
        ("dgx-h100", "", "infiniband", "qm9700"),
        ("dgx-b300", "", "infiniband", "q3400"),
        ("dgx-h100", "network:\n  compute: roce\n", "roce", "sn5600"),
        ("dgx-h100", "network:\n  compute: infiniband\n  switch: qm9790\n", "infiniband", "qm9790"),
        ("mi300x-8gpu", "", "roce", "sn5600"),
    ],
    ids=["h100-auto", "b300-auto", "h100-roce", "explicit-switch", "mi300x-auto"],
)
def test_network_resolution(
    catalog: Catalog, write_spec: Callable[[str], Path], platform: str, network: str, technology: str, switch: str
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("dgx-h100", platform) + network))
    plan = solve(spec, catalog, size(spec, catalog))
    assert (plan.network.compute, plan.network.switch) == (technology, switch)
    assert plan.network.chosen_because
    has_note = any(a.id == "network-choice" for a in plan.assumptions)
    assert has_note == ("switch:" not in network or "compute:" not in network)


def test_switch_of_wrong_technology_is_refused(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC + "network:\n  compute: roce\n  switch: qm9700\n"))
    with pytest.raises(SpecError, match=r"'qm9700' is infiniband, but network\.compute is roce"):
        solve(spec, catalog, size(spec, catalog))


def _with_b300(systems: int) -> str:
    """MINIMAL_SPEC (2 x DGX H100 first, so the plan's switch is the H100's) plus a DGX B300 workload."""
    b300 = (
        "  - name: w2\n    type: training\n    model:\n      preset: llama3-8b\n"
        f"    platform: dgx-b300\n    systems: {systems}\n"
    )
    return MINIMAL_SPEC.replace("site:\n", b300 + "site:\n")


@pytest.mark.parametrize("b300_systems", [2, 40])
def test_each_platform_gets_its_reference_switch(
    catalog: Catalog, write_spec: Callable[[str], Path], b300_systems: int
) -> None:
    # Before: both fabrics were built on the first platform's 400G qm9700 and the 800G B300 fabric failed its own
    # validation (a traceback) from 16 systems on.
    spec = load_spec(write_spec(_with_b300(b300_systems)))
    plan = solve(spec, catalog, size(spec, catalog))
    assert plan.network.switch == "qm9700"
    fabrics = {
        name: (f.switch_model, f.endpoint_speed_gbps) for name, f in plan.fabrics.items() if name.startswith("compute")
    }
    assert fabrics == {"compute-dgx-h100": ("qm9700", 400), "compute-dgx-b300": ("q3400", 800)}
    notes = {a.id: a.text for a in plan.assumptions}
    assert "q3400, the reference switch of NVIDIA DGX B300" in notes["compute-switch-dgx-b300"]
    assert "compute-switch-dgx-h100" not in notes and "compute-link-speed-dgx-b300" not in notes


def test_a_slower_switch_runs_the_nics_at_its_port_speed(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    # 40 x DGX B300 (800G NICs) on the spec's 400G qm9700: before, the fabric failed its own validation.
    text = MINIMAL_SPEC.replace("dgx-h100", "dgx-b300").replace("systems: 2", "systems: 40")
    spec = load_spec(write_spec(text + "network:\n  switch: qm9700\n"))
    plan = solve(spec, catalog, size(spec, catalog))
    fabric = plan.fabrics["compute"]
    assert (fabric.switch_model, fabric.endpoint_speed_gbps) == ("qm9700", 400)
    assert all(run.speed_gbps == 400 for run in fabric.cables)
    note = next(a for a in plan.assumptions if a.id == "compute-link-speed-dgx-b300")
    assert "run at 400 Gb/s, not their 800 Gb/s" in note.text and "50%" in note.text


@pytest.mark.parametrize(
    ("compute", "switch"),
    [("infiniband", "qm9700"), ("roce", "sn5600"), ("ethernet", "sn5600")],
    ids=["infiniband", "roce", "ethernet"],
)
def test_default_switch_comes_from_the_catalog(catalog: Catalog, compute: str, switch: str) -> None:
    # The table this rule replaced: Quantum-2 for InfiniBand, Spectrum-4 for RoCE and Ethernet (fabric.md).
    assert default_compute_switch(catalog, compute) == switch


@pytest.mark.parametrize(
    ("platform", "network", "switch"),
    [
        ("cs-2", "network:\n  compute: infiniband\n", "qm9700"),
        ("mi300x-8gpu", "network:\n  compute: infiniband\n", "qm9700"),
    ],
    ids=["cs2-infiniband", "mi300x-infiniband"],
)
def test_a_platform_of_another_technology_gets_the_default_switch(
    catalog: Catalog, write_spec: Callable[[str], Path], platform: str, network: str, switch: str
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("dgx-h100", platform) + network))
    chosen, _ = choose_network(spec, catalog, [catalog.get(platform, System)])
    assert chosen.switch == switch and "the platform's own reference is another technology" in chosen.chosen_because


def test_default_switch_follows_the_reference_designs(tmp_path: Path) -> None:
    # Six more InfiniBand systems naming Quantum-X800 make it the switch most reference designs name.
    extra = "".join(f"  - {{id: dgx-b300-{i}, kind: system, extends: dgx-b300, name: B300 {i}}}\n" for i in range(6))
    (tmp_path / "more.yaml").write_text("entries:\n" + extra)
    assert default_compute_switch(load_catalog([tmp_path]), "infiniband") == "q3400"
