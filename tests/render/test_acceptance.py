"""The acceptance plan: expectations follow from the Plan's figures (recomputed here from its fields), wafer-scale
plans get no NCCL steps, and acceptance.md's tables and acceptance.yml hold the same numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

import refarch
from refarch.catalog.loader import Catalog
from refarch.catalog.models import Accelerator
from refarch.plan import Plan
from refarch.render.ansible.acceptance import ACCEPTANCE_MD, ACCEPTANCE_YML, acceptance_files
from refarch.render.validation_files import p2p_csv

from ..conftest import REPO


def _plan(catalog: Catalog, example: str) -> Plan:
    return refarch.plan_spec(refarch.load_spec(REPO / "examples" / f"{example}.yaml"), catalog)


@pytest.fixture(scope="module")
def dgx(catalog: Catalog) -> Plan:
    return _plan(catalog, "dgx-h100-su")


@pytest.fixture(scope="module")
def cs3(catalog: Catalog) -> Plan:
    return _plan(catalog, "cerebras-cs3")


def _data(plan: Plan) -> dict[str, Any]:
    text = acceptance_files(plan)[ACCEPTANCE_YML]
    assert text.startswith("---\n")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _with_fabric(plan: Plan, **update: object) -> Plan:
    fabric = plan.fabrics["compute"].model_copy(update=update)
    return plan.model_copy(update={"fabrics": {**plan.fabrics, "compute": fabric}})


def test_scale_up_bandwidth_comes_from_the_catalog_accelerator(dgx: Plan, catalog: Catalog) -> None:
    for item in dgx.compute:
        assert item.scale_up_bandwidth_gbps == catalog.get(item.accelerator, Accelerator).scale_up_bandwidth_gbps


def test_intra_system_busbw_is_scale_up_per_direction_times_efficiency(dgx: Plan) -> None:
    expected = _data(dgx)["acceptance_allreduce"]
    assert set(expected) == {c.platform for c in dgx.compute}
    for item in dgx.compute:
        entry = expected[item.platform]
        assert item.scale_up_bandwidth_gbps is not None
        for band, efficiency in entry["intra_system_efficiency"].items():
            assert 0 < efficiency <= 1
            want = round(item.scale_up_bandwidth_gbps / 2 * efficiency, 1)
            assert entry["min_busbw_gbytes_per_s"]["intra_system"][band] == pytest.approx(want)


def test_cross_fabric_busbw_follows_rails_link_rate_and_oversubscription(dgx: Plan) -> None:
    fabric = dgx.fabrics["compute"]
    for entry in _data(dgx)["acceptance_allreduce"].values():
        minimum = entry["min_busbw_gbytes_per_s"]
        for band, efficiency in entry["fabric"]["efficiency"].items():
            per_system = fabric.rails * fabric.planes * fabric.endpoint_speed_gbps / 8
            assert minimum["fabric"][band] == pytest.approx(round(per_system / fabric.oversubscription * efficiency, 1))
            assert minimum["multi_system"][band] == min(minimum["fabric"][band], minimum["intra_system"][band])


@pytest.mark.parametrize(("rails", "oversubscription"), [(4, 1.0), (8, 2.0), (2, 3.0)])
def test_cross_fabric_expectation_scales_with_the_plan(dgx: Plan, rails: int, oversubscription: float) -> None:
    fabric = dgx.fabrics["compute"]
    before = _data(dgx)["acceptance_allreduce"]["dgx-h100"]["min_busbw_gbytes_per_s"]["fabric"]
    changed = _with_fabric(dgx, rails=rails, oversubscription=oversubscription)
    after = _data(changed)["acceptance_allreduce"]["dgx-h100"]["min_busbw_gbytes_per_s"]["fabric"]
    ratio = (rails / fabric.rails) * (fabric.oversubscription / oversubscription)
    for band, value in before.items():
        assert after[band] == pytest.approx(value * ratio, abs=0.1)


def test_ib_write_bw_is_link_rate_times_efficiency(dgx: Plan) -> None:
    rails = _data(dgx)["acceptance_ib_write_bw"]
    assert "compute" in rails
    for name, entry in rails.items():
        fabric = dgx.fabrics[name]
        assert entry["link_gbits_per_s"] == fabric.endpoint_speed_gbps
        assert entry["rails"] == fabric.rails
        assert entry["min_gbits_per_s"] == pytest.approx(round(fabric.endpoint_speed_gbps * entry["efficiency"], 1))
    faster = _data(_with_fabric(dgx, endpoint_speed_gbps=800))["acceptance_ib_write_bw"]["compute"]
    assert faster["min_gbits_per_s"] == pytest.approx(rails["compute"]["min_gbits_per_s"] * 2)


def test_rack_power_band_against_the_plan(dgx: Plan) -> None:
    bands = _data(dgx)["acceptance_rack_power"]
    assert list(bands) == [r.name for r in dgx.racks]
    for rack in dgx.racks:
        band = bands[rack.name]
        assert band["max_kw"] == rack.it_power_kw
        assert band["min_kw"] == pytest.approx(round(rack.it_power_kw * band["lower_fraction"], 1))
        assert (band["systems"] > 0) == (band["min_kw"] > 0)
    assert sum(b["systems"] for b in bands.values()) == sum(c.systems for c in dgx.compute)


def test_cabling_check_names_each_fabrics_planned_links(dgx: Plan) -> None:
    cabling = _data(dgx)["acceptance_cabling"]
    assert set(cabling) == set(dgx.fabrics)
    for name, entry in cabling.items():
        assert entry["p2p_csv"] == f"validation/{name}.p2p.csv"
        assert entry["links"] == len(p2p_csv(dgx.fabrics[name]).splitlines()) - 1


def test_wafer_scale_plan_has_no_nccl_or_gpu_steps(cs3: Plan) -> None:
    files = acceptance_files(cs3)
    text = files[ACCEPTANCE_MD]
    for gpu_only in ("NCCL all-reduce", "all_reduce_perf", "dcgmi", "Xid", "ib_write_bw"):
        assert gpu_only not in text
    data = _data(cs3)
    assert data["acceptance_allreduce"] == {}
    assert data["acceptance_ib_write_bw"] == {}
    assert data["acceptance_burn_in"]["nccl"] is False
    assert set(data["acceptance_cabling"]) == set(cs3.fabrics)
    assert list(data["acceptance_rack_power"]) == [r.name for r in cs3.racks]
    assert "## Cabling" in text and "## Rack power under burn-in" in text and "## Burn-in (48 hours)" in text


def _yaml_numbers(node: object) -> set[float]:
    if isinstance(node, dict):
        return set().union(*(_yaml_numbers(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_yaml_numbers(v) for v in node))
    if isinstance(node, int | float) and not isinstance(node, bool):
        return {float(node)}
    return set()


def _table_numbers(markdown: str) -> list[float]:
    cells = (c.strip() for line in markdown.splitlines() if line.startswith("|") for c in line.strip("|").split("|"))
    return [float(c) for c in cells if re.fullmatch(r"-?\d+(\.\d+)?", c)]


@pytest.mark.parametrize("example", ["dgx", "cs3"])
def test_every_table_number_is_in_the_yaml(example: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(example)
    files = acceptance_files(plan)
    numbers = _table_numbers(files[ACCEPTANCE_MD])
    assert len(numbers) > 10
    missing = set(numbers) - _yaml_numbers(yaml.safe_load(files[ACCEPTANCE_YML]))
    assert not missing, f"in acceptance.md's tables but not in acceptance.yml: {sorted(missing)}"


def test_plan_before_1_3_loads_and_says_to_replan(dgx: Plan) -> None:
    old = dgx.model_dump(mode="json")
    for item in old["compute"]:
        del item["scale_up_bandwidth_gbps"]
    plan = Plan.model_validate(old)
    assert plan.compute[0].scale_up_bandwidth_gbps is None
    files = acceptance_files(plan)
    assert "re-run `refarch plan`" in files[ACCEPTANCE_MD]
    assert _data(plan)["acceptance_allreduce"] == {}


def test_output_is_deterministic(dgx: Plan) -> None:
    assert acceptance_files(dgx) == acceptance_files(dgx)
