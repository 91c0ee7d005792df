"""bom.xlsx, read back with openpyxl: formulas (data_only=False) and the values cached for viewers that do not
recalculate (data_only=True). Totals add up to bom.csv, sums cover exactly the line rows, every BOM line is on one
sheet, estimated prices are marked, headers are frozen, hostile text stays text, and the bytes depend only on the
plan and SOURCE_DATE_EPOCH."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import coordinate_from_string, range_boundaries

from refarch import load_catalog, load_spec, plan_spec, render
from refarch.catalog.loader import Catalog
from refarch.errors import InputError
from refarch.plan import BomLine, Plan
from refarch.render.bom import bom_csv
from refarch.render.context import RenderContext
from refarch.render.templating import Templates
from refarch.render.workbook.book import OPTIONS, OUTPUT, SUMMARY_SHEET, bom_workbook, created_at
from refarch.render.workbook.groups import OTHER, SHEET_ORDER, group_lines
from refarch.render.workbook.lines import COLUMNS, EXTENDED, POWER, write_text
from refarch.render.workbook.styles import ESTIMATE_FILL, MAX_COLUMN_PX, column_width_px
from refarch.render.workbook.summary_sheet import LEGEND, TOTALS_HEADER

from ..conftest import MINIMAL_SPEC, REPO, with_description

EXAMPLES = ["dgx-h100-su", "cerebras-cs3", "train-70b-in-30-days"]
PRICE_COLUMNS = {COLUMNS.index("Unit price (USD)") + 1, EXTENDED + 1}  # openpyxl counts columns from 1
FORMULA_COLUMNS = {EXTENDED + 1, POWER + 1}
HOSTILE = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://evil.example","click")',
           "=cmd|' /C calc'!A0", "http://evil.example", "0123", "1e3", "\t=TAB()", "_x0041_ stays"]  # fmt: skip
HOSTILE_CATALOG = f"""\
overrides:
  - {{id: qm9700, name: {json.dumps(HOSTILE[4])}}}
  - {{id: sn2201, name: {json.dumps(HOSTILE[1])}}}
  - {{id: dgx-h100, name: {json.dumps(HOSTILE[9])}}}
  - {{id: sn4600c, name: {json.dumps(HOSTILE[7])}}}
  - {{id: cat6a-1g, name: {json.dumps(HOSTILE[8])}}}
prices:
  qm9700: {{usd: 30000, confidence: primary, source: {json.dumps(HOSTILE[5])}}}
  sn4600c: {{usd: 20000, confidence: estimate, source: {json.dumps(HOSTILE[3])}}}
  cat6a-1g: {{usd: 10, confidence: estimate, source: {json.dumps(HOSTILE[6])}}}
  sn2201: {{usd: 6000, confidence: derived, source: {json.dumps(HOSTILE[10])}}}
  dgx-h100: {{usd: 199000, confidence: secondary, source: {json.dumps(HOSTILE[2])}}}
"""


def _xlsx(plan: Plan) -> bytes:
    """bom.xlsx as the bundle gets it: through the registered output."""
    content = OUTPUT.build(RenderContext(plan, Templates()))["bom.xlsx"]
    assert isinstance(content, bytes)
    return content


def _open(content: bytes, data_only: bool) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content), data_only=data_only)


def _line_rows(sheet: Any) -> range:
    """The rows holding BOM lines: from below the header to above the row labelled Total."""
    total_row = next(c.row for c in sheet["A"] if c.value == "Total")
    return range(2, total_row)


def _total_row(sheet: Any) -> int:
    return _line_rows(sheet).stop


def _totals_table(summary: Any) -> tuple[list[Any], list[Any]]:
    """The Summary's rows of per-sheet totals (between the header starting "Sheet" and "Grand total"), and the
    grand total row."""
    rows = list(summary.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == TOTALS_HEADER[0])
    grand = next(i for i, row in enumerate(rows) if row[0].value == "Grand total")
    return rows[header + 1 : grand], rows[grand]


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request: pytest.FixtureRequest, catalog: Catalog) -> tuple[Plan, Any, Any]:
    """A planned example (as `refarch plan` plans it) with its workbook opened for formulas and for values."""
    plan = plan_spec(load_spec(REPO / "examples" / f"{request.param}.yaml"), catalog)
    content = _xlsx(plan)
    return plan, _open(content, data_only=False), _open(content, data_only=True)


def test_sheet_totals_and_the_grand_total_equal_bom_csv(example: tuple[Plan, Any, Any]) -> None:
    plan, _, values = example
    rows = list(csv.DictReader(io.StringIO(bom_csv(plan.bom))))
    csv_price = {(r["part"], r["category"]): float(r["extended_price_usd"]) for r in rows}
    summary = values[SUMMARY_SHEET]
    rows_of_sheets, grand = _totals_table(summary)
    table = {row[0].value: row for row in rows_of_sheets}
    assert list(table) == values.sheetnames[1:]
    for sheet in values.worksheets[1:]:
        on_sheet = [(sheet.cell(r, 1).value, sheet.cell(r, 3).value) for r in _line_rows(sheet)]
        expected = sum(csv_price[key] for key in on_sheet)
        assert sheet.cell(_total_row(sheet), EXTENDED + 1).value == pytest.approx(expected, abs=0.005), sheet.title
        assert table[sheet.title][2].value == pytest.approx(expected, abs=0.005), sheet.title
    assert grand[2].value == pytest.approx(sum(csv_price.values()), abs=0.005)
    assert grand[2].value == pytest.approx(plan.summary.capex_usd, abs=0.005)
    assert grand[1].value == len(plan.bom)


def _referenced(formula: str) -> tuple[str, str]:
    """(sheet, cell) of a formula `='Sheet name'!$F$6`, dollars removed."""
    sheet, cell = formula.removeprefix("=").split("!")
    return sheet.strip("'").replace("''", "'"), cell.replace("$", "")


def test_every_total_is_a_formula_over_exactly_the_line_rows(example: tuple[Plan, Any, Any]) -> None:
    _, formulas, values = example
    for sheet in formulas.worksheets[1:]:
        lines = _line_rows(sheet)
        for col in FORMULA_COLUMNS:
            formula = sheet.cell(_total_row(sheet), col).value
            assert formula.startswith("=SUM(") and formula.endswith(")"), formula
            min_col, min_row, max_col, max_row = range_boundaries(formula[len("=SUM(") : -1])
            assert (min_col, max_col, min_row, max_row) == (col, col, lines.start, lines.stop - 1), formula
            cached = [values[sheet.title].cell(r, col).value or 0 for r in range(min_row, max_row + 1)]
            assert values[sheet.title].cell(_total_row(sheet), col).value == pytest.approx(sum(cached))
    summary = formulas[SUMMARY_SHEET]
    table, grand = _totals_table(summary)
    assert [row[0].value for row in table] == formulas.sheetnames[1:]
    for row in table:  # each sheet's row reads that sheet's totals row
        for cell, col in ((row[2], EXTENDED + 1), (row[3], POWER + 1)):
            sheet, target = _referenced(cell.value)
            _, number = coordinate_from_string(target)
            assert sheet == row[0].value and number == _total_row(formulas[sheet])
            assert formulas[sheet].cell(number, col).coordinate == target
    for cell in grand[1:4]:
        min_col, min_row, _, max_row = range_boundaries(cell.value[len("=SUM(") : -1])
        assert (min_col, min_row, max_row) == (cell.column, table[0][0].row, table[-1][0].row), cell.value


def _lines_on_sheets(book: Any) -> Counter[tuple[str, str, int, float]]:
    return Counter(
        (sheet.cell(r, 1).value, sheet.cell(r, 3).value, sheet.cell(r, 4).value, sheet.cell(r, 5).value)
        for sheet in book.worksheets[1:]
        for r in _line_rows(sheet)
    )


def test_every_bom_line_is_on_exactly_one_sheet_with_its_price_formula(example: tuple[Plan, Any, Any]) -> None:
    plan, formulas, values = example
    assert _lines_on_sheets(formulas) == Counter((b.part, b.category, b.quantity, b.unit_price_usd) for b in plan.bom)
    assert formulas.sheetnames[0] == SUMMARY_SHEET
    assert formulas.sheetnames[1:] == [s for s in SHEET_ORDER if s in formulas.sheetnames]
    by_key = {(b.part, b.category): b for b in plan.bom}
    for sheet in formulas.worksheets[1:]:
        for r in _line_rows(sheet):
            line = by_key[(sheet.cell(r, 1).value, sheet.cell(r, 3).value)]
            assert sheet.cell(r, EXTENDED + 1).value == f"=D{r}*E{r}"
            assert values[sheet.title].cell(r, EXTENDED + 1).value == pytest.approx(line.extended_price_usd, abs=0.005)


def test_a_category_no_sheet_names_lands_on_other(tiny_plan: Plan) -> None:
    def extra(part: str, category: str) -> BomLine:
        return BomLine(part=part, description=f"a {category} part", category=category, quantity=3,
                       unit_price_usd=7.5, extended_price_usd=22.5, confidence="primary", source="a quote")  # fmt: skip

    lines = [*tiny_plan.bom, extra("cdu-1", "cooling"), extra("gizmo", "quantum-foam"), extra("gadget", "Compute")]
    plan = tiny_plan.model_copy(update={"bom": lines})
    grouped = group_lines(plan.bom)
    assert Counter(line for group in grouped for line in group.lines) == Counter(lines)
    assert [line.part for line in grouped[-1].lines] == ["gizmo", "gadget"] and grouped[-1].sheet == OTHER
    book = _open(_xlsx(plan), data_only=True)
    assert _lines_on_sheets(book) == Counter((b.part, b.category, b.quantity, b.unit_price_usd) for b in lines)
    assert [book["Cooling"].cell(r, 1).value for r in _line_rows(book["Cooling"])] == ["cdu-1"]
    assert book.sheetnames[-2:] == ["Cooling", OTHER]
    _, grand = _totals_table(book[SUMMARY_SHEET])
    assert grand[2].value == pytest.approx(sum(line.quantity * line.unit_price_usd for line in lines))


def _marked(cell: Any) -> bool:
    return bool(cell.font.i) and cell.fill.fgColor.rgb == f"FF{ESTIMATE_FILL.removeprefix('#')}"


def test_estimated_prices_and_only_they_are_marked(example: tuple[Plan, Any, Any]) -> None:
    plan, formulas, _ = example
    confidences = {b.part: b.confidence for b in plan.bom}
    seen = set()
    for sheet in formulas.worksheets[1:]:
        for r in _line_rows(sheet):
            estimate = confidences[sheet.cell(r, 1).value] == "estimate"
            seen.add(estimate)
            for col in range(1, len(COLUMNS) + 1):
                assert _marked(sheet.cell(r, col)) == (estimate and col in PRICE_COLUMNS), sheet.cell(r, col)
    assert True in seen
    legend = next(c for row in formulas[SUMMARY_SHEET].iter_rows() for c in row if c.value == LEGEND)
    assert _marked(legend)


def test_headers_are_frozen_filtered_and_columns_fit_their_text(example: tuple[Plan, Any, Any]) -> None:
    plan, formulas, _ = example
    for sheet in formulas.worksheets[1:]:
        assert [c.value for c in sheet[1]] == list(COLUMNS)
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:J{_line_rows(sheet).stop - 1}"
        description = sheet.column_dimensions["B"]
        longest = max(len(sheet.cell(r, 2).value) for r in _line_rows(sheet))
        # Excel widths are in characters of the default font: about 7 pixels each plus padding.
        assert min(longest, MAX_COLUMN_PX / 7) * 0.8 <= description.width <= MAX_COLUMN_PX / 7 + 1
        assert sheet.cell(2, 2).alignment.wrap_text
    summary = formulas[SUMMARY_SHEET]
    assert summary.cell(1, 1).value == f"Bill of materials: {plan.metadata.name}"
    assert [c.value for c in next(r for r in summary.iter_rows() if r[0].value == "Sheet")] == list(TOTALS_HEADER)
    figures = {row[0].value: row[1].value for row in summary.iter_rows() if isinstance(row[1].value, int | float)}
    assert figures["Accelerators"] == plan.summary.accelerators
    assert figures["Capital cost (USD)"] == plan.summary.capex_usd


def test_column_widths_grow_with_the_text_up_to_a_cap() -> None:
    assert column_width_px("Part", ["ab"]) < column_width_px("Part", ["a much longer part id"])
    assert column_width_px("Part", ["x" * 500]) == MAX_COLUMN_PX
    assert column_width_px("Extended price (USD)", []) < column_width_px("Extended price (USD)", ["$1,234,567,890.00"])


@pytest.fixture(scope="module")
def hostile(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, bytes]:
    """The tiny plan from a catalog and a spec whose names, price sources and description look like formulas."""
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "catalog").mkdir()
    (tmp / "catalog" / "hostile.yaml").write_text(HOSTILE_CATALOG, encoding="utf-8")
    spec_text = with_description(MINIMAL_SPEC.replace("  name: tiny\n", "  name: tiny\n  description: x\n"), HOSTILE[0])
    (tmp / "spec.yaml").write_text(spec_text, encoding="utf-8")
    plan = plan_spec(load_spec(tmp / "spec.yaml"), load_catalog([tmp / "catalog"]))
    assert plan.metadata.description == HOSTILE[0]
    return plan, _xlsx(plan)


def test_hostile_text_stays_text(hostile: tuple[Plan, bytes]) -> None:
    plan, content = hostile
    book = _open(content, data_only=False)
    texts = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "s"}
    written = set(HOSTILE)
    assert written <= texts
    assert written <= {b.description for b in plan.bom} | {b.source for b in plan.bom} | {plan.metadata.description}
    table, grand = _totals_table(book[SUMMARY_SHEET])
    summary_rows = {row[0].row for row in [*table, grand]}
    for sheet in book.worksheets:
        for cell in (c for row in sheet.iter_rows() for c in row if c.data_type == "f"):
            if sheet.title == SUMMARY_SHEET:
                assert cell.row in summary_rows and cell.column in (2, 3, 4), cell
            else:
                assert cell.column in FORMULA_COLUMNS and cell.value.startswith(("=D", "=SUM(")), cell


@pytest.mark.parametrize(
    ("options", "write"),
    [(OPTIONS, lambda sheet, row, text: sheet.write(row, 0, text)), ({}, lambda sheet, row, text: write_text(sheet, row, 0, text, None))],
    ids=["workbook-options", "write-text"],
)  # fmt: skip
def test_each_defence_alone_keeps_hostile_text_text(
    options: dict[str, bool], write: Callable[[Any, int, str], None]
) -> None:
    """The workbook's options make even XlsxWriter's guessing `write` keep text, and `write_text` keeps it on a
    workbook with XlsxWriter's default options (which turn `=...` into formulas and `http://...` into links)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {**options, "in_memory": True})
    sheet = workbook.add_worksheet()
    for row, text in enumerate(HOSTILE):
        write(sheet, row, text)
    workbook.close()
    cells = [row[0] for row in _open(buffer.getvalue(), data_only=False).active.iter_rows()]
    assert [(c.value, c.data_type, c.hyperlink) for c in cells] == [(text, "s", None) for text in HOSTILE]


def _entries(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        return {name: archive.read(name) for name in archive.namelist()}


def test_bytes_depend_only_on_the_plan_and_source_date_epoch(tiny_plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = _xlsx(tiny_plan), _xlsx(tiny_plan.model_copy(deep=True))
    assert first == second
    core = _entries(first)["docProps/core.xml"].decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">1980-01-01T00:00:00Z</dcterms:created>' in core
    assert f"<dc:description>Generated by refarch {tiny_plan.metadata.refarch_version}</dc:description>" in core
    assert "<dc:title>Bill of materials: tiny</dc:title>" in core
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = _xlsx(tiny_plan)
    assert dated == _xlsx(tiny_plan) and dated != first
    differing = {name for name, data in _entries(dated).items() if _entries(first)[name] != data}
    assert differing == {"docProps/core.xml"}
    assert "2023-11-14T22:13:20Z" in _entries(dated)["docProps/core.xml"].decode()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", "99999999999999"], ids=["word", "negative", "fraction",
                                                                                  "empty", "past-9999"])  # fmt: skip
def test_a_source_date_epoch_that_is_not_a_date_is_refused(value: str) -> None:
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        created_at({"SOURCE_DATE_EPOCH": value})


def test_the_bundle_writes_bom_xlsx(tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    bundle = render(tiny_plan, tmp_path / "bundle", outputs=["workbook"])
    assert (bundle / "bom.xlsx").read_bytes() == bom_workbook(tiny_plan, created_at({}))
