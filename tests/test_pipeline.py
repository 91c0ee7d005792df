"""The whole pipeline on every example: schema-valid plans, consistent totals, deterministic bytes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest

from refarch import load_catalog, load_spec, render, size, solve
from refarch.catalog.loader import Catalog
from refarch.cli.schema import plan_schema
from refarch.plan import Plan

from .conftest import EXAMPLES


def _plan(example: Path, catalog: Catalog) -> Plan:
    spec = load_spec(example)
    return solve(spec, catalog, size(spec, catalog))


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    catalog = load_catalog()
    return {p.stem: _plan(p, catalog) for p in EXAMPLES}


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_plan_json_validates_against_schema(plans: dict[str, Plan], example: str, tmp_path: Path) -> None:
    bundle = render(plans[example], tmp_path / "bundle")
    data = json.loads((bundle / "plan.json").read_text())
    jsonschema.validate(data, plan_schema())
    assert data["schema_version"] == "1.6"  # bumped by hand, with the README's schema history


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_totals_are_consistent(plans: dict[str, Plan], example: str) -> None:
    plan = plans[example]
    devices = [d for r in plan.racks for d in r.devices]
    assert plan.summary.racks == len(plan.racks)
    optics_kw = sum(r.optics_power_kw for r in plan.racks)
    assert plan.summary.it_power_kw == pytest.approx(sum(d.max_power_w for d in devices) / 1000 + optics_kw, abs=0.01)
    assert plan.summary.facility_power_kw == pytest.approx(plan.summary.it_power_kw * plan.power.pue, abs=0.01)
    assert plan.summary.capex_usd == pytest.approx(sum(line.extended_price_usd for line in plan.bom))
    assert plan.summary.systems == sum(1 for d in devices if d.role == "compute")
    assert sum(plan.cooling.heat_kw_by_method.values()) == pytest.approx(plan.summary.it_power_kw, abs=0.01)
    assert sum(plan.cooling.racks_by_method.values()) == len(plan.racks)
    for rack in plan.racks:
        assert rack.it_power_kw <= rack.power_limit_kw + 1e-9
        assert rack.used_u <= rack.height_u
        assert rack.air_heat_kw + rack.liquid_heat_kw == pytest.approx(rack.it_power_kw, abs=0.01)
    for line in plan.bom:
        assert line.extended_price_usd == pytest.approx(line.quantity * line.unit_price_usd)


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_every_rack_circuit_carries_its_load(plans: dict[str, Plan], example: str) -> None:
    plan = plans[example]
    per_set = {"N": 1, "N+1": 1, "2N": 2}[plan.power.redundancy]
    spare = 1 if plan.power.redundancy == "N+1" else 0
    for rack in plan.racks:
        needed = math.ceil(rack.it_power_kw / plan.power.usable_kw_per_circuit - 1e-9)
        # circuits are sized for the most optics a rack's devices can take, so at least the actual load
        assert rack.circuits >= needed * per_set + spare


def test_dgx_h100_su_layout(plans: dict[str, Plan]) -> None:
    plan = plans["dgx-h100-su"]
    assert plan.summary.systems == 31 and plan.summary.accelerators == 248
    # 10.2 kW systems under a 40 kW limit: three per rack is the most power allows; switches get racks of their own.
    compute_racks = [r for r in plan.racks if any(d.role == "compute" for d in r.devices)]
    assert len(compute_racks) == math.ceil(31 / 3)
    assert all({d.role for d in r.devices} == {"compute"} for r in compute_racks)
    assert {line.part for line in plan.bom} >= {"dgx-h100", "rack-48u", "pdu-415v-3ph-60a"}
    assert any(a.id == "default-site.max_racks" for a in plan.assumptions)


def test_cerebras_cluster_has_its_support_servers(plans: dict[str, Plan]) -> None:
    plan = plans["cerebras-cs3"]
    roles = {d.role for r in plan.racks for d in r.devices}
    assert {"compute", "memoryx", "swarmx", "input-worker", "activation"} <= roles
    assert any(a.id.startswith("support-cs-3-") for a in plan.assumptions)


def test_gb200_pod_is_liquid_cooled_rack_scale(plans: dict[str, Plan]) -> None:
    plan = plans["gb200-nvl72-pod"]
    assert plan.summary.accelerators == 576
    nvl72 = [r for r in plan.racks if r.catalog_id == "gb200-nvl72"]
    assert len(nvl72) == 8 and plan.summary.racks == 8 + 1  # one network rack for the management switches
    assert all(r.cooling.startswith("liquid") and r.pdu_model is None for r in nvl72)
    assert all(r.liquid_heat_kw * 1000 == pytest.approx(120_000) and r.air_heat_kw == r.optics_power_kw for r in nvl72)
    assert plan.cooling.liquid_flow_lpm > 0
    # an NVL72 ships in its own rack: only the network rack is billed
    assert [line.quantity for line in plan.bom if line.category == "rack"] == [1]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_two_runs_are_byte_identical(example: Path, tmp_path: Path) -> None:
    catalog = load_catalog()
    first = render(_plan(example, catalog), tmp_path / "a")
    second = render(_plan(example, load_catalog()), tmp_path / "b")
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    assert {"bom.csv", "cabling.csv", "manifest.json", "plan.json", "summary.md"} <= set(names)
    assert any(n.startswith("diagrams/") and n.endswith(".svg") for n in names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_summary_reports_every_performance_estimate(plans: dict[str, Plan], example: str, tmp_path: Path) -> None:
    plan = plans[example]
    summary = (render(plan, tmp_path / "bundle") / "summary.md").read_text()
    assert ("## Performance" in summary) == bool(plan.performance)
    for record in plan.performance:
        row = next(
            line for line in summary.splitlines() if line.startswith(f"| {record.workload} | `{record.platform}`")
        )
        if record.kind == "training":
            assert (
                f"{record.tokens_per_second:,.0f} ({record.confidence_low:,.0f}-{record.confidence_high:,.0f})" in row
            )
            assert f"{record.mfu * 100:.1f}%" in row
            if record.time_to_train_s is not None:
                assert f"{record.time_to_train_s / 86400:,.1f} days" in row
        else:
            assert f"{record.output_tokens_per_second:,.0f}" in row
            assert f"{record.ttft_s:.3f} s" in row
        assert record.calibrated_on in summary
