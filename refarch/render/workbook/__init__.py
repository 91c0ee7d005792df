"""Output `workbook`: bom.xlsx, the bill of materials as an Excel workbook (see `book.py`)."""

from refarch.render.workbook.book import OUTPUT

__all__ = ["OUTPUT"]
