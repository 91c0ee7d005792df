"""review.html's explorer without a browser: the same bytes twice, the assets inlined as they are, the embedded
data safe inside its script element and complete (every device, cable, port and switch tier of the plan).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from refarch import load_spec
from refarch.catalog.loader import Catalog
from refarch.inputs.resources import builtin_templates_dir
from refarch.pipeline import plan_spec
from refarch.plan import Plan
from refarch.render.context import RenderContext
from refarch.render.review.explorer import FEW_RACKS, build_explorer, script_json
from refarch.render.stage import render
from refarch.render.templating import Templates
from refarch.render.views import build_views

from ...conftest import REPO

ASSETS = builtin_templates_dir() / "review" / "assets"
_DATA = re.compile(r'<script type="application/json" id="review-data">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def plans(catalog: Catalog) -> dict[str, Plan]:
    return {
        name: plan_spec(load_spec(REPO / "examples" / f"{name}.yaml"), catalog)
        for name in ("dgx-h100-su", "cerebras-cs3")
    }


@pytest.fixture(scope="module")
def pages(plans: dict[str, Plan], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("explorer")
    return {
        name: (render(plan, root / name, outputs=["review"]) / "review.html").read_text()
        for name, plan in plans.items()
    }


def _data(page: str) -> dict[str, Any]:
    found = _DATA.findall(page)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    return data


def test_review_html_is_the_same_bytes_twice(plans: dict[str, Plan], tmp_path: Path) -> None:
    first = render(plans["dgx-h100-su"], tmp_path / "a", outputs=["review"]) / "review.html"
    second = render(plans["dgx-h100-su"], tmp_path / "b", outputs=["review"]) / "review.html"
    assert first.read_bytes() == second.read_bytes()


def test_a_plan_read_back_from_plan_json_gives_the_same_explorer(plans: dict[str, Plan]) -> None:
    """plan.json sorts its keys (a fabric's tiers, its links): the explorer orders them itself."""
    plan = plans["dgx-h100-su"]
    again = Plan.model_validate_json(json.dumps(json.loads(plan.model_dump_json()), sort_keys=True))
    assert build_explorer(RenderContext(again, Templates())) == build_explorer(RenderContext(plan, Templates()))


@pytest.mark.parametrize("asset", ["explorer.js", "explorer.css"])
def test_the_assets_are_inlined_as_they_are(pages: dict[str, str], asset: str) -> None:
    text = (ASSETS / asset).read_text()
    assert text in pages["dgx-h100-su"]  # Jinja found no delimiter in it to interpret
    assert not re.search(r"</(script|style)|<!--", text, re.IGNORECASE)  # nothing that ends its element early
    assert not re.search(r"https?://|fetch\(|XMLHttpRequest|import\(", text)  # nothing loaded


@pytest.mark.parametrize(
    "text",
    [
        "</script><script>alert(1)</script>",
        "<!-- <script>",
        "a & b > c",
        "line\u2028para\u2029end",
        "\"quoted\" 'x' \\",
    ],
    ids=["script-end", "comment", "ampersand", "line-separators", "quotes"],
)
def test_script_json_keeps_hostile_text_data(text: str) -> None:
    data = {"name": text, "list": [text, 1, 2.5, None]}
    embedded = str(script_json(data))
    assert not set("<>&\u2028\u2029") & set(embedded)
    assert json.loads(embedded) == data


def test_the_data_holds_every_device_cable_and_port_of_the_views(plans: dict[str, Plan], pages: dict[str, str]) -> None:
    for name, plan in plans.items():
        data, views = _data(pages[name]), build_views(plan)
        strings, devices, cables, racks = data["strings"], data["devices"], data["cables"], data["racks"]
        assert devices["name"] == [d.name for d in views.devices]
        assert [racks["name"][r] for r in devices["rack"]] == [d.rack for d in views.devices]
        assert devices["u"] == [d.u for d in views.devices]
        assert cables["id"] == [c.cable_id for c in views.cables]
        for i, device in enumerate(views.devices):
            ends = ["a" if cables["a"][c] == i else "b" for c in devices["cables"][i]]
            ports = [strings[cables[f"{end}_port"][c]] for end, c in zip(ends, devices["cables"][i], strict=True)]
            assert ports == [p.port for p in device.ports], device.name
        assert racks["name"] == [r.name for r in plan.racks]


def test_every_switch_tier_lists_the_plans_switches(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        explorer = build_explorer(RenderContext(plan, Templates()))
        assert [f.name for f in explorer.fabrics] == sorted(plan.fabrics)
        for fabric in explorer.fabrics:
            planned = plan.fabrics[fabric.name]
            assert {t.tier: t.planned for t in fabric.tiers} == planned.switches
            for tier in fabric.tiers:
                assert len(tier.switches) == tier.planned, (fabric.name, tier.tier)
                cabled = sum(s.ports for s in tier.switches)
                assert cabled == sum(int(n) for n in re.findall(r"(\d+) \w", ", ".join(s.peers for s in tier.switches)))


def test_the_bom_rows_are_every_line_and_the_total_is_the_capital_cost(
    plans: dict[str, Plan], pages: dict[str, str]
) -> None:
    plan, page = plans["dgx-h100-su"], pages["dgx-h100-su"]
    explorer = build_explorer(RenderContext(plan, Templates()))
    assert [r.part for r in explorer.bom] == [line.part for line in plan.bom]
    assert [float(r.extended_usd) for r in explorer.bom] == [line.extended_price_usd for line in plan.bom]
    assert [r.estimate for r in explorer.bom] == [line.confidence == "estimate" for line in plan.bom]
    assert f'<td class="num" id="bom-total">{html.escape(explorer.bom_total)}</td>' in page


def test_the_rack_map_has_every_rack_once_row_by_row(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        explorer = build_explorer(RenderContext(plan, Templates()))
        boxes = [box for row in explorer.rack_rows for box in row.racks]
        by_name = {r.name: r for r in plan.racks}
        assert sorted(b.name for b in boxes) == sorted(by_name)
        assert [(by_name[b.name].row, by_name[b.name].position) for b in boxes] == sorted(
            (r.row, r.position) for r in plan.racks
        )
        assert explorer.few_racks == (len(plan.racks) <= FEW_RACKS)
        for box in boxes:
            rack = by_name[box.name]
            assert float(box.fill_percent.rstrip("%")) == pytest.approx(
                min(rack.it_power_kw / rack.power_limit_kw, 1) * 100, abs=0.05
            )
