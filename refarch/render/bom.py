"""Output `bom`: bom.csv, one row per part of the bill of materials.

CSV outputs are built in Python with csv.writer (through `filters.csv_document`) rather than from a template:
every field is quoted exactly when it must be (commas, quotes, line breaks in descriptions and sources), which a
template would have to ask for cell by cell.
"""

from __future__ import annotations

from refarch.plan import BomLine
from refarch.render.context import Files, Output, RenderContext
from refarch.render.filters import csv_document

__all__ = ["BOM_COLUMNS", "OUTPUT", "bom_csv"]

BOM_COLUMNS = (
    "part",
    "description",
    "category",
    "quantity",
    "unit_price_usd",
    "extended_price_usd",
    "confidence",
    "source",
)


def bom_csv(lines: list[BomLine]) -> str:
    """The BOM lines as CSV, prices with two decimals, in the plan's order."""
    rows = (
        [line.part, line.description, line.category, line.quantity, f"{line.unit_price_usd:.2f}",
         f"{line.extended_price_usd:.2f}", line.confidence, line.source]
        for line in lines
    )  # fmt: skip
    return csv_document([BOM_COLUMNS, *rows])


def _files(context: RenderContext) -> Files:
    return {"bom.csv": bom_csv(context.plan.bom)}


OUTPUT = Output(
    "bom", "bom.csv: every part with quantity, unit and extended price, price confidence and source", _files
)
