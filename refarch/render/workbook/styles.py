"""The cell formats of bom.xlsx, created once per workbook, and column widths fitted to the text they hold.

Estimated prices carry their own formats (italic on a pale amber fill) so that a buyer sees at a glance which
figures to replace with a quote; the Summary's legend is written in the same format and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from xlsxwriter.utility import cell_autofit_width

__all__ = ["ESTIMATE_FILL", "MAX_COLUMN_PX", "Styles", "column_width_px", "make_styles", "money_text"]

ESTIMATE_FILL: Final = "#FFF2CC"  # Excel's pale amber ("Gold, lighter 80%"): legible in print and on screen
MONEY: Final = '"$"#,##0.00'
WHOLE_MONEY: Final = '"$"#,##0'
COUNT: Final = "#,##0"
KW: Final = "#,##0.00"
ONE_DECIMAL: Final = "#,##0.0"
# Wider columns make a sheet that neither fits a screen nor prints on one page across; longer text wraps instead.
MAX_COLUMN_PX: Final = 360
MIN_COLUMN_PX: Final = 48
BOLD_PADDING_PX: Final = 1.1  # bold glyphs are about a tenth wider than the regular ones cell_autofit_width measures


@dataclass(frozen=True)
class Styles:
    """Every format the workbook uses (xlsxwriter Format objects)."""

    title: Any
    header: Any
    text: Any
    count: Any
    money: Any
    money_estimate: Any
    whole_money: Any
    watts: Any
    kw: Any
    one_decimal: Any
    legend: Any
    total_label: Any
    total_money: Any
    total_kw: Any
    total_count: Any


def make_styles(workbook: Any) -> Styles:
    """Add the formats to `workbook` (an xlsxwriter Workbook) and return them."""

    def add(**properties: object) -> Any:
        return workbook.add_format(properties)

    total = {"bold": True, "top": 1}
    estimate = {"italic": True, "bg_color": ESTIMATE_FILL}
    return Styles(
        title=add(bold=True, font_size=14),
        header=add(bold=True, text_wrap=True, valign="top", bottom=1, bg_color="#D9D9D9"),
        text=add(text_wrap=True, valign="top"),
        count=add(num_format=COUNT, valign="top"),
        money=add(num_format=MONEY, valign="top"),
        money_estimate=add(num_format=MONEY, valign="top", **estimate),
        whole_money=add(num_format=WHOLE_MONEY),
        watts=add(num_format=COUNT, valign="top"),
        kw=add(num_format=KW, valign="top"),
        one_decimal=add(num_format=ONE_DECIMAL),
        legend=add(**estimate),
        total_label=add(**total),
        total_money=add(num_format=MONEY, **total),
        total_kw=add(num_format=KW, **total),
        total_count=add(num_format=COUNT, **total),
    )


def column_width_px(header: str, cells: Iterable[str]) -> int:
    """Pixels that fit the column's longest cell text and its header's longest word (headers wrap), capped."""
    widest_header_word = max((cell_autofit_width(word) for word in header.split()), default=0) * BOLD_PADDING_PX
    widest_cell = max((cell_autofit_width(text) for text in cells), default=0)
    return round(min(MAX_COLUMN_PX, max(MIN_COLUMN_PX, widest_header_word, widest_cell)))


def money_text(value: float) -> str:
    """How MONEY displays `value`, for measuring its width."""
    return f"${value:,.2f}"
