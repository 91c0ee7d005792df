"""sweep.csv, pareto.csv and sweep.parquet from the table's columns.

CSV is written with the project's quoting (`refarch.render.filters.csv_document`, as bom.csv is): empty for None,
`true`/`false` for booleans, a float's shortest round-trip form. A string cell that a spreadsheet would evaluate
(one starting with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's list for CSV injection) gets a leading
`'`, which spreadsheets take as "this is text" and most hide; axis values, names and problem texts come from the
user's sweep file and catalog. Numbers are never prefixed: a negative figure stays a number.

Parquet keeps every value as it is (a typed store is not a spreadsheet): an explicit schema (string, int64,
float64, bool; nullable where a value may be missing), no pandas or Arrow schema metadata, and fixed writer
options, so the same results give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from refarch.render.filters import csv_document
from refarch.sweep.outputs.columns import Column, ColumnKind

__all__ = ["csv_bytes", "parquet_bytes"]

_ARROW_TYPES: Final[dict[ColumnKind, object]] = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
}


def _cell(value: bool | int | float | str | None) -> str | int | float:
    """Text is neutralised by `csv_document`; numbers stay numbers (an int as written, a float's shortest
    round-trip form), so a negative number is not taken for a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_bytes(columns: Sequence[Column], rows: Sequence[int] | None = None) -> bytes:
    """The columns as CSV (UTF-8, "\n" line ends), every row or the rows at positions `rows` in that order."""
    count = len(columns[0].values) if columns else 0
    positions = range(count) if rows is None else rows
    header = [c.name for c in columns]
    body = ([_cell(c.values[k]) for c in columns] for k in positions)
    return csv_document([header, *body]).encode("utf-8")


def arrow_table(columns: Sequence[Column]) -> pa.Table:
    """The columns as an Arrow table with an explicit schema and no metadata."""
    schema = pa.schema([pa.field(c.name, _ARROW_TYPES[c.kind], nullable=c.nullable) for c in columns])
    arrays = [pa.array(c.values, type=_ARROW_TYPES[c.kind]) for c in columns]
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(columns: Sequence[Column]) -> bytes:
    """The columns as one Parquet file: zstd level 3, dictionary encoding, statistics, one row group, no page
    index or checksums, no stored Arrow schema (the Parquet schema says it all)."""
    buffer = io.BytesIO()
    table = arrow_table(columns)
    pq.write_table(
        table,
        buffer,
        row_group_size=max(table.num_rows, 1),
        version="2.6",
        data_page_version="1.0",
        use_dictionary=True,
        compression="zstd",
        compression_level=3,
        write_statistics=True,
        store_schema=False,
        write_page_index=False,
        write_page_checksum=False,
    )
    return buffer.getvalue()
