"""The files a finished sweep writes: sweep.csv and sweep.parquet read back as the results, the Pareto front's
invariants, the same bytes for the same results in any order, user strings written literally (CSV neutralised,
HTML escaped, PDF text), report.pdf read back with pypdf and bounded at 10,000 scenarios, SVGs that parse."""

from __future__ import annotations

import csv
import io
import itertools
import math
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from refarch.render.filters import spreadsheet_text
from refarch.render.templating import Templates
from refarch.sweep.outputs import HTML_TEMPLATE, sweep_files
from refarch.sweep.outputs.columns import FIGURES
from refarch.sweep.outputs.pareto import OBJECTIVES, pareto_front
from refarch.sweep.outputs.plots import time_vs_power_plot
from refarch.sweep.outputs.report import ROW_LIMIT, build_report, problem_pattern
from refarch.sweep.records import ScenarioResult, SweepInfo

from .outputs_factory import AXES, info, result, sweep

Files = dict[str, bytes]
SVG = "{http://www.w3.org/2000/svg}"
PLOTS = ("plots/pareto.svg", "plots/cost-by-platform.svg", "plots/time-vs-power.svg")
HOSTILE = {
    "formula": '=HYPERLINK("http://evil.example","click")',
    "plus": "+cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "script": "<script>alert(1)</script>",
    "markup": '</td><img src=x onerror="alert(1)">&amp;',
}


@pytest.fixture(scope="module")
def small() -> list[ScenarioResult]:
    return sweep(60, seed=3)


@pytest.fixture(scope="module")
def small_files(small: list[ScenarioResult]) -> Files:
    return sweep_files(small, info(AXES, len(small)))


@pytest.fixture(scope="module")
def large_files() -> Files:
    results = sweep(10_000, seed=11)
    return sweep_files(results, info(AXES, len(results)))


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _from_row(row: dict[str, Any], axes: dict[str, str]) -> ScenarioResult:
    """A result rebuilt from one row of the table (typed values), `axes` mapping axis name -> column."""
    categories = {
        c[len("capex_") : -len("_usd")]: v for c, v in row.items() if c.startswith("capex_") and c != "capex_usd"
    }
    return ScenarioResult(
        scenario=row["scenario"],
        index=row["index"],
        values={axis: row[column] for axis, column in axes.items()},
        status=row["status"],
        problem=row["problem"],
        capex_by_category={c: v for c, v in categories.items() if v is not None},
        **{m.field: row[m.field] for m in FIGURES},
    )


_AXIS_COLUMNS = {a: ("axis_systems" if a == "systems" else a) for a in AXES}


def _typed(cell: str, kind: pa.DataType) -> Any:
    """A CSV cell as the Parquet column's type would hold it."""
    if cell == "":
        return None
    if kind == pa.bool_():
        return {"true": True, "false": False}[cell]
    if kind == pa.int64():
        return int(cell)
    return float(cell) if kind == pa.float64() else cell


def test_parquet_reads_back_as_the_results(small: list[ScenarioResult], small_files: Files) -> None:
    table = pq.read_table(io.BytesIO(small_files["sweep.parquet"]))
    assert table.schema.metadata is None, "no pandas or Arrow metadata"
    assert b"pandas" not in small_files["sweep.parquet"]
    types = {f.name: f.type for f in table.schema}
    assert (
        types["index"],
        types["systems"],
        types["axis_systems"],
        types["pue"],
        types["fabric"],
        types["pareto"],
    ) == (pa.int64(), pa.int64(), pa.int64(), pa.float64(), pa.string(), pa.bool_())
    assert not table.schema.field("scenario").nullable and table.schema.field("capex_usd").nullable
    rows = table.to_pylist()
    assert [r["index"] for r in rows] == sorted(r.index for r in small)
    assert [_from_row(r, _AXIS_COLUMNS) for r in rows] == sorted(small, key=lambda r: r.index)


def test_csv_reads_back_as_the_results(small: list[ScenarioResult], small_files: Files) -> None:
    schema = pq.read_schema(io.BytesIO(small_files["sweep.parquet"]))
    rows = _rows(small_files["sweep.csv"])
    assert list(rows[0]) == schema.names
    assert schema.names[:2] == ["scenario", "index"] and schema.names[2 : 2 + len(AXES)] == list(_AXIS_COLUMNS.values())
    typed = [{name: _typed(row[name], schema.field(name).type) for name in schema.names} for row in rows]
    assert [_from_row(r, _AXIS_COLUMNS) for r in typed] == sorted(small, key=lambda r: r.index)
    front = pareto_front(small).members
    assert [r["pareto"] for r in typed] == [r.scenario in front for r in sorted(small, key=lambda r: r.index)]


def test_pareto_csv_is_the_front_by_capex(small: list[ScenarioResult], small_files: Files) -> None:
    rows = _rows(small_files["pareto.csv"])
    assert {r["scenario"] for r in rows} == pareto_front(small).members
    capex = [float(r["capex_usd"]) for r in rows]
    assert capex == sorted(capex) and {r["pareto"] for r in rows} == {"true"}


def test_the_same_results_in_any_order_give_the_same_bytes(small: list[ScenarioResult], small_files: Files) -> None:
    shuffled = list(small)
    random.Random(5).shuffle(shuffled)
    again = sweep_files(shuffled, info(AXES, len(small)))
    assert sorted(again) == sorted(small_files)
    assert [path for path in again if again[path] != small_files[path]] == []
    assert set(small_files) >= {"sweep.csv", "sweep.parquet", "pareto.csv", "report.html", "report.pdf", *PLOTS}


# --- the Pareto front ---------------------------------------------------------------------------------------------

_FIGURE = st.one_of(st.none(), st.integers(1, 4).map(float))  # few values: ties are common
_SCENARIO = st.tuples(st.sampled_from(["feasible", "feasible", "infeasible"]), _FIGURE, _FIGURE, _FIGURE)


def _scenarios(drawn: list[tuple[str, float | None, float | None, float | None]]) -> list[ScenarioResult]:
    return [
        result(k, status=status, capex_usd=capex, time_to_train_days=days, facility_power_kw=power)
        for k, (status, capex, days, power) in enumerate(drawn)
    ]


def _dominates(a: ScenarioResult, b: ScenarioResult, fields: tuple[str, ...]) -> bool:
    def value(r: ScenarioResult, f: str) -> float:
        v = getattr(r, f)
        return math.inf if v is None else float(v)

    pairs = [(value(a, f), value(b, f)) for f in fields]
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


@settings(max_examples=150, deadline=None)
@given(st.lists(_SCENARIO, max_size=25))
def test_pareto_front_invariants(drawn: list[tuple[str, float | None, float | None, float | None]]) -> None:
    results = _scenarios(drawn)
    front = pareto_front(results)
    feasible = [r for r in results if r.status == "feasible"]
    on = [r for r in feasible if r.scenario in front.members]
    off = [r for r in feasible if r.scenario not in front.members]
    assert front.members <= {r.scenario for r in feasible}, "infeasible scenarios are never on the front"
    if not front.objectives:  # no feasible scenario has any objective: nothing to rank by, no front
        assert not front.members
        return
    for member in on:
        assert not any(_dominates(r, member, front.objectives) for r in feasible), member.scenario
    for other in off:
        assert any(_dominates(m, other, front.objectives) for m in on), other.scenario
    for a, b in itertools.combinations(feasible, 2):  # same objectives: both on the front or both off
        if all(getattr(a, f) == getattr(b, f) for f in front.objectives):
            assert (a.scenario in front.members) == (b.scenario in front.members)
    assert front.members == pareto_front(list(reversed(results))).members


@pytest.mark.parametrize(
    ("cleared", "objectives", "dropped"),
    [
        ((), OBJECTIVES, ()),
        (
            ("time_to_train_days",),
            ("capex_usd", "cost_per_million_output_tokens_usd", "facility_power_kw"),
            ("time_to_train_days",),
        ),
        (
            ("time_to_train_days", "cost_per_million_output_tokens_usd"),
            ("capex_usd", "facility_power_kw"),
            ("time_to_train_days",),
        ),
        (
            ("capex_usd", "time_to_train_days", "cost_per_million_output_tokens_usd", "facility_power_kw"),
            (),
            OBJECTIVES,
        ),
    ],
    ids=["training", "inference-uses-cost-per-token", "neither", "nothing-known"],
)
def test_objectives_none_for_every_feasible_scenario_are_dropped(
    cleared: tuple[str, ...], objectives: tuple[str, ...], dropped: tuple[str, ...]
) -> None:
    results = [
        result(k, **({"cost_per_million_output_tokens_usd": 0.5 + k} | dict.fromkeys(cleared))) for k in range(4)
    ] + [
        result(9, status="infeasible", time_to_train_days=1.0, capex_usd=1.0)
    ]  # an infeasible one's figures do not count
    front = pareto_front(results)
    assert (front.objectives, front.dropped) == (objectives, dropped)
    assert bool(front.members) == bool(objectives)


def test_an_inference_sweep_plots_throughput_and_says_which_objectives() -> None:
    results = sweep(40, seed=2, inference=True)
    front = pareto_front(results)
    document = build_report(results, info(AXES, len(results)), front, [])
    html = Templates().render(HTML_TEMPLATE, doc=document, paper="a4", created=None)
    assert "capex, cost per million output tokens, facility power" in html
    assert "Not used: time to train" in html
    assert "Output tokens/s against facility power" in time_vs_power_plot(results, front)


# --- user strings -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("dgx-h100", "dgx-h100"), ("a=b", "a=b"), ("", "")],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "name", "inner-equals", "empty"],
)  # fmt: skip
def test_spreadsheet_text_neutralises_formula_prefixes(text: str, written: str) -> None:
    assert spreadsheet_text(text) == written


@pytest.fixture(scope="module")
def hostile_files() -> Files:
    results = [
        result(
            k,
            values={"platform": text, "note": text},
            platforms=text,
            capex_by_category={text: 1e6},
            capex_usd=14e6 + k,
        )
        for k, text in enumerate(HOSTILE.values())
    ]
    results.append(
        result(9, values={"platform": "x", "note": "y"}, status="infeasible", problem=HOSTILE["formula"] + " by 3 MW")
    )
    sweep_info = SweepInfo(name=HOSTILE["script"], description=HOSTILE["markup"], base=HOSTILE["formula"],
                           combine="zip", axes=["platform", "note"], scenarios=len(results))  # fmt: skip
    return sweep_files(results, sweep_info)


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_are_neutralised_in_csv(hostile_files: Files, text: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(hostile_files["sweep.csv"].decode(), newline="")) for cell in row]
    assert spreadsheet_text(text) in cells
    assert f"capex_{text}_usd" in cells or spreadsheet_text(f"capex_{text}_usd") in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), "every formula prefix is neutralised"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_are_escaped_in_html(hostile_files: Files, text: str) -> None:
    html = hostile_files["report.html"].decode()
    assert "<script>" not in html and "<img" not in html
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in html.replace("&#34;", '"').replace("&#39;", "'").replace("&quot;", '"')


def test_hostile_strings_print_literally_in_the_pdf(hostile_files: Files) -> None:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(hostile_files["report.pdf"])).pages)
    assert "<script>alert(1)</script>" in text
    assert "SUM(A1:A9)" in text


@pytest.mark.parametrize("path", PLOTS, ids=[p.split("/")[1] for p in PLOTS])
def test_hostile_strings_are_text_in_svgs(hostile_files: Files, path: str) -> None:
    root = ET.fromstring(hostile_files[path])
    assert root.find(f".//{SVG}script") is None and root.find(f".//{SVG}img") is None


# --- the report and the plots -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [("power budget exceeded by 1.2 MW", "power budget exceeded by 0.4 MW"),
     ("needs 1,234 racks, room for 40", "needs 12 racks, room for 8"),
     ("1e5 tokens/s short", "3.5E+4 tokens/s short")],
    ids=["decimals", "thousands", "exponents"],
)  # fmt: skip
def test_problems_differing_only_in_numbers_group_together(one: str, other: str) -> None:
    assert problem_pattern(one) == problem_pattern(other)
    assert problem_pattern("dgx-h100 exceeds by 2 kW") != problem_pattern("dgx-b200 exceeds by 2 kW"), (
        "names keep digits"
    )


def test_pdf_reads_back_with_title_and_front(small: list[ScenarioResult], small_files: Files) -> None:
    reader = PdfReader(io.BytesIO(small_files["report.pdf"]))
    assert reader.metadata is not None and reader.metadata.title == "h100-vs-b200: design-space sweep"
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "h100-vs-b200" in text and "Pareto front" in text
    assert next(iter(sorted(pareto_front(small).members))) in text


def test_large_sweeps_keep_the_report_short(large_files: Files) -> None:
    reader = PdfReader(io.BytesIO(large_files["report.pdf"]))
    assert len(reader.pages) <= 12
    html = large_files["report.html"].decode()
    assert "more (see pareto.csv)" in html
    assert len(re.findall(r"<td>#\d+<br>", html)) == ROW_LIMIT, "the front table stops at the row limit"
    assert len(_rows(large_files["sweep.csv"])) == 10_000


def _plot_checks(files: Files, path: str) -> None:
    root = ET.fromstring(files[path])
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None
    assert len(files[path]) < 1_000_000, "dense points are one image, not an element each"


@pytest.mark.parametrize("path", PLOTS, ids=[p.split("/")[1] for p in PLOTS])
@pytest.mark.parametrize("which", ["small_files", "large_files"], ids=["60", "10000"])
def test_svgs_parse_as_xml(request: pytest.FixtureRequest, which: str, path: str) -> None:
    files: Files = request.getfixturevalue(which)
    _plot_checks(files, path)


_EMPTY: dict[str, Callable[[], list[ScenarioResult]]] = {
    "no-results": list,
    "all-infeasible": lambda: [result(k, status="infeasible", problem=f"over by {k} kW") for k in range(3)],
}


@pytest.mark.parametrize("case", _EMPTY, ids=_EMPTY.keys())
def test_sweeps_without_a_feasible_scenario_still_write_every_file(case: str) -> None:
    results = _EMPTY[case]()
    files = sweep_files(results, info([], len(results)))
    assert _rows(files["pareto.csv"]) == []
    for path in PLOTS:
        _plot_checks(files, path)
    assert "no front" in files["report.html"].decode()
