"""The review's plots: SVG that inlines in HTML (no prolog, ids of its own, titled, scalable), the same bytes every
time, the Plan's figures in its labels, user strings drawn literally, and the rack plot collapsing past its limit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

from refarch import load_spec
from refarch.catalog.loader import Catalog
from refarch.pipeline import plan_spec
from refarch.plan import InferenceEstimate, Plan, RackPlan, TrainingEstimate
from refarch.render.filters import kw, money
from refarch.render.plots import (
    PER_RACK_LIMIT,
    CurvePoint,
    CurveSeries,
    cost_by_category,
    performance_band,
    rack_power,
    sizing_curves,
)
from refarch.render.plots.canvas import figure_value

from ..conftest import REPO

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "</svg><script>alert(1)</script>$\\foo$&"  # 38 characters: drawn whole
MATH = '$x^2$ $\\frac{1}{2$ id="x" &amp;'  # mathtext, broken mathtext, what looks like an attribute, an entity
SHORT = {HOSTILE: "</svg><script>&", MATH: "$\\frac{1}{2$ &"}  # what fits under a rack's bar whole
DAY_S = 86400.0
REFERENCE = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')


@pytest.fixture(scope="module")
def serve_plan(catalog: Catalog) -> Plan:
    """An inference plan with a target (tokens/s and TTFT), planned as `refarch plan` does."""
    return plan_spec(load_spec(REPO / "examples" / "serve-70b.yaml"), catalog)


def _curves() -> list[CurveSeries]:
    falling = tuple(CurvePoint(s, 100.0 / s, s >= 16) for s in (1, 2, 4, 8, 16, 32, 64))
    return [CurveSeries("platform-a", falling, 16), CurveSeries("platform-b", falling[2:], None)]


def _texts(svg: str) -> list[str]:
    """The text of every drawn <text> element (title and desc excluded)."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def _tick_labels(svg: str, axis: str) -> list[str]:
    """The labels of one axis' ticks: the text inside each `<g id="...-xtick_N">` group."""
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if re.search(rf"-{axis}tick_\d+$", g.get("id", ""))]
    return ["".join(t.itertext()) for g in groups for t in g.iter(f"{SVG}text")]


def _racks(plan: Plan, count: int) -> Plan:
    """`plan` with `count` racks, copies of its own under new names (`r001`...)."""
    racks = [plan.racks[k % len(plan.racks)].model_copy(update={"name": f"r{k + 1:03d}"}) for k in range(count)]
    return plan.model_copy(update={"racks": racks})


def _check_inline_svg(svg: str) -> None:
    assert svg.startswith("<svg "), "no XML prolog or DOCTYPE: the SVG is inlined in HTML"
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    assert root.get("width") is None and root.get("height") is None
    assert "width: 100%" in root.get("style", "")
    assert root.get("role") == "img"
    prefix = root.get("id", "")
    assert prefix.startswith("refarch-")
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(i == prefix or i.startswith(prefix + "-") for i in ids if i)
    references = [url or href for url, href in REFERENCE.findall(svg)]
    assert references and set(references) <= set(ids), "every url(#) and href=# names an id of its own"
    labelled = [root.find(f"{SVG}{tag}") for tag in ("title", "desc")]
    assert [e.get("id") for e in labelled if e is not None] == root.get("aria-labelledby", "").split()
    assert root[0].tag == f"{SVG}title" and root[0].text
    styles = [e.text or "" for e in root.iter(f"{SVG}style")]
    assert all(css.startswith(f"#{prefix} ") for css in styles), "Matplotlib's page-wide `*{...}` scoped to the plot"
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert "<script" not in svg


PLOTS: dict[str, Callable[[Plan], str | None]] = {
    "cost": cost_by_category,
    "racks": rack_power,
    "racks-collapsed": lambda plan: rack_power(_racks(plan, PER_RACK_LIMIT + 1)),
    "performance": performance_band,
    "curves": lambda plan: sizing_curves(_curves(), "time to train (days)", 10.0),
}


@pytest.mark.parametrize("name", list(PLOTS))
def test_plots_are_inline_svg_and_the_same_bytes_twice(name: str, tiny_plan: Plan) -> None:
    first, second = PLOTS[name](tiny_plan), PLOTS[name](tiny_plan)
    assert first is not None
    _check_inline_svg(first)
    assert first == second


def test_plots_have_ids_of_their_own(tiny_plan: Plan) -> None:
    ids = [{e.get("id") for e in ET.fromstring(plot(tiny_plan) or "").iter()} - {None} for plot in PLOTS.values()]
    assert all(not (a & b) for k, a in enumerate(ids) for b in ids[k + 1 :])


def test_a_users_matplotlib_settings_change_nothing(tiny_plan: Plan) -> None:
    expected = cost_by_category(tiny_plan)
    with matplotlib.rc_context({"font.size": 20.0, "svg.fonttype": "path", "svg.hashsalt": None,
                                "axes.facecolor": "red", "text.usetex": True, "text.parse_math": True,
                                "lines.linewidth": 5.0}):  # fmt: skip
        assert cost_by_category(tiny_plan) == expected


def test_another_process_without_a_config_directory_draws_the_same_bytes_silently(
    tiny_plan: Plan, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(tiny_plan.model_dump_json(), encoding="utf-8")
    script = (
        "import sys; from pathlib import Path; from refarch.plan import Plan; "
        "from refarch.render.plots import rack_power; "
        f"sys.stdout.write(rack_power(Plan.model_validate_json(Path({str(plan_file)!r}).read_text())))"
    )
    env = os.environ | {"MPLCONFIGDIR": "/proc/not-writable", "PYTHONHASHSEED": "7"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stderr == ""
    assert result.stdout == rack_power(tiny_plan)


def test_cost_names_every_category_with_its_total(tiny_plan: Plan) -> None:
    svg = cost_by_category(tiny_plan)
    totals: dict[str, float] = {}
    for line in tiny_plan.bom:
        totals[line.category] = totals.get(line.category, 0.0) + line.extended_price_usd
    texts = _texts(svg)
    assert _tick_labels(svg, "y") == sorted(totals, key=lambda c: -totals[c]), "largest first, from the top"
    assert all(money(total) in texts for total in totals.values())
    assert money(sum(totals.values())) in " ".join(texts)


@pytest.mark.parametrize("confidence", ["estimate", "primary"])
def test_cost_hatches_estimated_prices_only(tiny_plan: Plan, confidence: str) -> None:
    bom = [line.model_copy(update={"confidence": confidence}) for line in tiny_plan.bom]
    svg = cost_by_category(tiny_plan.model_copy(update={"bom": bom}))
    texts = _texts(svg)
    assert ("estimated price" in texts) == (confidence == "estimate"), "the legend's hatched key"
    assert ("<pattern" in svg) == (confidence == "estimate")
    words = "(100.0%) of it at estimated prices" if confidence == "estimate" else "no price in it is an estimate"
    assert words in " ".join(texts)


@pytest.mark.parametrize("count", [3, PER_RACK_LIMIT], ids=["3-racks", "at-the-limit"])
def test_racks_up_to_the_limit_get_a_named_bar_each(tiny_plan: Plan, count: int) -> None:
    plan = _racks(tiny_plan, count)
    svg = rack_power(plan)
    assert _tick_labels(svg, "x") == [r.name for r in plan.racks]
    limit = f"rack limit {kw(plan.racks[0].power_limit_kw)}"
    assert limit in _texts(svg)
    assert f"{count} racks ({count} air), one bar each" in " ".join(_texts(svg))


@pytest.mark.parametrize("count", [PER_RACK_LIMIT + 1, 1100], ids=["past-the-limit", "1100-racks"])
def test_more_racks_are_counted_in_a_histogram(tiny_plan: Plan, count: int) -> None:
    plan = _racks(tiny_plan, count)
    svg = rack_power(plan)
    names = {r.name for r in plan.racks}
    assert not names & set(_tick_labels(svg, "x"))
    root = ET.fromstring(svg)
    counts = [g for g in root.iter(f"{SVG}g") if re.search(r"-rack-count-\d+$", g.get("id", ""))]
    assert sum(int("".join(g.itertext()).replace(",", "")) for g in counts) == count
    assert f"{count:,} racks ({count:,} air), counted in" in " ".join(_texts(svg))


def test_racks_are_coloured_by_cooling_with_the_liquid_share_hatched(tiny_plan: Plan) -> None:
    air = rack_power(tiny_plan)
    first = tiny_plan.racks[0]
    liquid = first.model_copy(update={"cooling": "liquid+air", "liquid_heat_kw": first.it_power_kw * 0.9,
                                      "air_heat_kw": first.it_power_kw * 0.1})  # fmt: skip
    mixed = rack_power(tiny_plan.model_copy(update={"racks": [liquid, *tiny_plan.racks[1:]]}))
    assert "#e69f00" not in air and "<pattern" not in air
    assert "#e69f00" in mixed and "<pattern" in mixed
    assert "heat to liquid" in _texts(mixed)


def _training(plan: Plan, **update: float | None) -> Plan:
    estimate = plan.performance[0]
    assert isinstance(estimate, TrainingEstimate)
    return plan.model_copy(update={"performance": [estimate.model_copy(update=update)]})


def test_performance_is_none_without_estimates(tiny_plan: Plan) -> None:
    assert performance_band(tiny_plan.model_copy(update={"performance": []})) is None


def test_performance_shows_the_headline_with_its_band(tiny_plan: Plan) -> None:
    estimate = tiny_plan.performance[0]
    texts = " ".join(_texts(performance_band(tiny_plan) or ""))
    assert f"{estimate.workload} on {estimate.platform}" in texts
    band = (figure_value(estimate.confidence_low), figure_value(estimate.confidence_high))
    assert f"({band[0]} to {band[1]})" in texts
    assert "time to train" not in texts, "the tiny plan has no tokens, so no time to train"


@pytest.mark.parametrize(("days", "verdict"), [(20.0, "met"), (40.0, "missed")])
def test_time_to_train_is_drawn_against_its_target(tiny_plan: Plan, days: float, verdict: str) -> None:
    plan = _training(tiny_plan, time_to_train_s=days * DAY_S, target_time_to_train_s=30 * DAY_S)
    texts = " ".join(_texts(performance_band(plan) or ""))
    assert f"target 30 days ({verdict})" in texts
    assert f"{days:.3g} days" in texts


def test_inference_shows_output_tokens_and_ttft_against_targets(serve_plan: Plan) -> None:
    estimate = serve_plan.performance[0]
    assert isinstance(estimate, InferenceEstimate) and estimate.target_output_tokens_per_second is not None
    texts = " ".join(_texts(performance_band(serve_plan) or ""))
    assert f"{figure_value(estimate.output_tokens_per_second)} tokens/s" in texts
    assert f"target {figure_value(estimate.target_output_tokens_per_second)} tokens/s" in texts
    assert "time to first token (s), no band" in texts


def _marker_fills(svg: str, colour: str) -> list[str]:
    """The fill of every marker drawn with `colour` as its edge ("none" when transparent)."""
    fills = []
    for style in re.findall(r'<use [^>]*style="([^"]*)"', svg):
        if f"stroke: {colour}" in style:
            fill = re.search(r"fill: (#[0-9a-f]+)", style)
            fills.append(fill.group(1) if fill else "none" if "fill-opacity: 0;" in style else "?")
    return fills


def test_sizing_curves_mark_meeting_points_and_the_choice() -> None:
    series = _curves()
    svg = sizing_curves(series[:1], "time to train (days)", 10.0)
    texts = " ".join(_texts(svg))
    assert "chosen: platform-a 16 systems, 6.25" in texts.replace("\n", " ")
    assert "target 10" in texts and "time to train (days)" in texts
    fills = _marker_fills(svg, "#0072b2")
    misses = sum(not p.meets_target for p in series[0].points)
    assert fills.count("#ffffff") == misses
    assert fills.count("#0072b2") == len(series[0].points) - misses + 1, "and the legend's key"
    assert fills.count("none") == 1, "the ring around the chosen point"


@pytest.mark.parametrize(("sizes", "log"), [((1, 8, 64), True), ((10, 50, 100), False)], ids=["64x", "10x"])
def test_sizing_curves_use_a_log_axis_past_a_twentyfold_span(sizes: tuple[int, ...], log: bool) -> None:
    series = CurveSeries("p", tuple(CurvePoint(s, 1.0 / s, True) for s in sizes), None)
    labels = _tick_labels(sizing_curves([series], "m", None), "x")
    assert ("10" in labels and "20" not in labels) == log


@pytest.mark.parametrize(
    "make",
    [lambda: CurvePoint(0, 1.0, True), lambda: CurvePoint(1, float("nan"), True),
     lambda: CurveSeries("p", (CurvePoint(1, 1.0, True),), 2)],
    ids=["no-systems", "nan", "chosen-not-a-point"],
)  # fmt: skip
def test_curve_inputs_are_checked(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


def test_sizing_curves_without_points_say_so() -> None:
    assert "no sizing points" in _texts(sizing_curves([], "m", None))


def _hostile_category(plan: Plan, text: str) -> str:
    bom = [plan.bom[0].model_copy(update={"category": text}), *plan.bom[1:]]
    return cost_by_category(plan.model_copy(update={"bom": bom}))


def _hostile_rack(plan: Plan, text: str) -> str:
    rack = plan.racks[0].model_copy(update={"name": SHORT[text]})
    return rack_power(plan.model_copy(update={"racks": [rack]}))


def _hostile_workload(plan: Plan, text: str) -> str:
    estimate = plan.performance[0].model_copy(update={"workload": text})
    return performance_band(plan.model_copy(update={"performance": [estimate]})) or ""


def _hostile_series(plan: Plan, text: str) -> str:
    return sizing_curves([CurveSeries(text, (CurvePoint(1, 1.0, True),), 1)], text, None)


@pytest.mark.parametrize("text", [HOSTILE, MATH], ids=["markup", "mathtext"])
@pytest.mark.parametrize("draw", [_hostile_category, _hostile_rack, _hostile_workload, _hostile_series],
                         ids=["category", "rack", "workload", "series"])  # fmt: skip
def test_user_strings_are_drawn_literally(tiny_plan: Plan, draw: Callable[[Plan, str], str], text: str) -> None:
    svg = draw(tiny_plan, text)
    _check_inline_svg(svg)
    shown = SHORT[text] if draw is _hostile_rack else text
    assert any(shown in t for t in _texts(svg))


def test_long_user_strings_are_cut(tiny_plan: Plan) -> None:
    long = "a" * 100
    bom = [line.model_copy(update={"category": long}) for line in tiny_plan.bom]
    texts = _texts(cost_by_category(tiny_plan.model_copy(update={"bom": bom})))
    assert long not in texts and "a" * 39 + "\u2026" in texts


def test_rack_names_are_cut_under_their_bars_and_whole_in_the_caption(tiny_plan: Plan) -> None:
    racks: list[RackPlan] = [tiny_plan.racks[0].model_copy(update={"name": "x" * 30}), *tiny_plan.racks[1:]]
    svg = rack_power(tiny_plan.model_copy(update={"racks": racks}))
    assert _tick_labels(svg, "x")[0] == "x" * 15 + "\u2026"
    assert any("x" * 30 in t for t in _texts(svg)), "the caption names the lowest rack"
