"""One sheet of BOM lines: a header row, one row per line with its price and power formulas, and a totals row.

Every formula is written with the value it computes as its cached result: Excel recalculates on opening, but
viewers that do not (previewers, some web mail, pandas and openpyxl's `data_only`) show the cached value. Text
from the spec or the catalog is written with `write_string` only, so a name starting with `=`, `+`, `-` or `@`
stays text (the workbook is also opened with XlsxWriter's string conversions turned off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from xlsxwriter.utility import xl_rowcol_to_cell

from refarch.errors import OutputError
from refarch.plan import BomLine
from refarch.render.workbook.groups import SheetLines
from refarch.render.workbook.styles import Styles, column_width_px, money_text

__all__ = ["COLUMNS", "EXTENDED", "FIRST_LINE_ROW", "POWER", "SheetTotals", "write_line_sheet", "write_text"]

COLUMNS: Final = (
    "Part", "Description", "Category", "Quantity", "Unit price (USD)", "Extended price (USD)",
    "Max power per unit (W)", "Max power (kW)", "Price confidence", "Price source",
)  # fmt: skip
PART, DESCRIPTION, CATEGORY, QUANTITY, UNIT_PRICE, EXTENDED, UNIT_POWER, POWER, CONFIDENCE, SOURCE = range(len(COLUMNS))
HEADER_ROW: Final = 0
FIRST_LINE_ROW: Final = 1
EXCEL_MAX_CELL_TEXT: Final = 32_767


@dataclass(frozen=True)
class SheetTotals:
    """Where a line sheet keeps its totals (cells in A1 notation on that sheet) and what they compute."""

    sheet: str
    lines: int
    price_cell: str
    price_usd: float
    power_cell: str
    power_kw: float


def write_text(worksheet: Any, row: int, col: int, text: str, style: Any) -> None:
    """Write `text` as a string cell, whatever it looks like.

    Raises:
        OutputError: the text is longer than an Excel cell holds (XlsxWriter would cut it short silently).
    """
    if worksheet.write_string(row, col, text, style) == -2:
        raise OutputError(
            f"bom.xlsx: a text of {len(text):,} characters ({text[:40]!r}...) is longer than the "
            f"{EXCEL_MAX_CELL_TEXT:,} an Excel cell holds"
        )


def write_line_sheet(
    worksheet: Any, group: SheetLines, max_power_w: Mapping[str, float], styles: Styles
) -> SheetTotals:
    """Fill `worksheet` with the lines of `group`; `max_power_w` is the maximum draw per part id, where known."""
    for col, title in enumerate(COLUMNS):
        worksheet.write_string(HEADER_ROW, col, title, styles.header)
    shown: list[list[str]] = [[] for _ in COLUMNS]  # each column's cell texts as displayed, to fit its width
    price_usd = power_kw = 0.0
    for row, line in enumerate(group.lines, start=FIRST_LINE_ROW):
        for col, text in ((PART, line.part), (DESCRIPTION, line.description), (CATEGORY, line.category),
                          (CONFIDENCE, line.confidence), (SOURCE, line.source)):  # fmt: skip
            write_text(worksheet, row, col, text, styles.text)
            shown[col].append(text)
        price_usd += _write_price(worksheet, row, line, styles, shown)
        power_kw += _write_power(worksheet, row, line, max_power_w.get(line.part), styles, shown)
    totals = _write_totals(worksheet, group, price_usd, power_kw, styles)
    shown[PART].append("Total")
    shown[EXTENDED].append(money_text(price_usd))
    shown[POWER].append(f"{power_kw:,.2f}")
    for col, title in enumerate(COLUMNS):
        worksheet.set_column_pixels(col, col, column_width_px(title, shown[col]))
    last_line_row = FIRST_LINE_ROW + len(group.lines) - 1
    worksheet.autofilter(HEADER_ROW, 0, last_line_row, len(COLUMNS) - 1)
    worksheet.freeze_panes(FIRST_LINE_ROW, 0)
    # Printed for a buyer: one page across, the header row repeated on every page.
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(HEADER_ROW)
    return totals


def _write_price(worksheet: Any, row: int, line: BomLine, styles: Styles, shown: list[list[str]]) -> float:
    """Quantity, unit price and the extended-price formula of one line; returns the extended price."""
    style = styles.money_estimate if line.confidence == "estimate" else styles.money
    extended = line.quantity * line.unit_price_usd  # what the formula computes, before the plan's rounding
    worksheet.write_number(row, QUANTITY, line.quantity, styles.count)
    worksheet.write_number(row, UNIT_PRICE, line.unit_price_usd, style)
    formula = f"={xl_rowcol_to_cell(row, QUANTITY)}*{xl_rowcol_to_cell(row, UNIT_PRICE)}"
    worksheet.write_formula(row, EXTENDED, formula, style, extended)
    shown[QUANTITY].append(f"{line.quantity:,}")
    shown[UNIT_PRICE].append(money_text(line.unit_price_usd))
    shown[EXTENDED].append(money_text(extended))
    return extended


def _write_power(
    worksheet: Any, row: int, line: BomLine, watts: float | None, styles: Styles, shown: list[list[str]]
) -> float:
    """Maximum power per unit and the total-power formula of one line, left blank when the part's is unknown."""
    if watts is None:
        return 0.0
    kilowatts = line.quantity * watts / 1000
    worksheet.write_number(row, UNIT_POWER, watts, styles.watts)
    formula = f"={xl_rowcol_to_cell(row, QUANTITY)}*{xl_rowcol_to_cell(row, UNIT_POWER)}/1000"
    worksheet.write_formula(row, POWER, formula, styles.kw, kilowatts)
    shown[UNIT_POWER].append(f"{watts:,.0f}")
    shown[POWER].append(f"{kilowatts:,.2f}")
    return kilowatts


def _write_totals(worksheet: Any, group: SheetLines, price_usd: float, power_kw: float, styles: Styles) -> SheetTotals:
    """The totals row right below the lines: SUM over exactly the line rows of the price and power columns."""
    row = FIRST_LINE_ROW + len(group.lines)
    last_line_row = row - 1
    for col in range(len(COLUMNS)):  # a rule across the whole row, not only under the sums
        worksheet.write_blank(row, col, None, styles.total_label)
    worksheet.write_string(row, PART, "Total", styles.total_label)
    for col, value, style in ((EXTENDED, price_usd, styles.total_money), (POWER, power_kw, styles.total_kw)):
        lines = f"{xl_rowcol_to_cell(FIRST_LINE_ROW, col)}:{xl_rowcol_to_cell(last_line_row, col)}"  # F2:F2, not F2
        worksheet.write_formula(row, col, f"=SUM({lines})", style, value)
    return SheetTotals(
        sheet=group.sheet,
        lines=len(group.lines),
        price_cell=xl_rowcol_to_cell(row, EXTENDED, row_abs=True, col_abs=True),
        price_usd=price_usd,
        power_cell=xl_rowcol_to_cell(row, POWER, row_abs=True, col_abs=True),
        power_kw=power_kw,
    )
