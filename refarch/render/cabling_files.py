"""Output `cabling`: cabling.csv, the cable run list, one row per cable with both ends located.

Rows come from the shared cable view (`refarch.render.views`), which resolves each end to site, row, rack, U,
device and port once for every output. Built in Python with csv.writer (`filters.csv_document`) rather than from
a template, so that every field is quoted exactly when it must be.
"""

from __future__ import annotations

from collections.abc import Sequence

from refarch.render.context import Files, Output, RenderContext
from refarch.render.filters import csv_document
from refarch.render.views import CableView

__all__ = ["CABLING_COLUMNS", "OUTPUT", "cabling_csv"]

CABLING_COLUMNS = (
    "cable_id", "fabric", "plane", "tier",
    "a_site", "a_row", "a_rack", "a_u", "a_device", "a_port", "a_transceiver",
    "b_site", "b_row", "b_rack", "b_u", "b_device", "b_port", "b_transceiver",
    "medium", "cable_part", "speed_gbps", "length_m",
)  # fmt: skip


def cabling_csv(cables: Sequence[CableView]) -> str:
    """One row per cable, both ends located (site, row, rack, U, device, port, optic), in the views' order."""
    rows = (
        [c.cable_id, c.fabric, c.plane, c.tier,
         c.a.site, c.a.row, c.a.rack, c.a.u, c.a.device, c.a.port, c.a.transceiver or "",
         c.b.site, c.b.row, c.b.rack, c.b.u, c.b.device, c.b.port, c.b.transceiver or "",
         c.medium, c.cable, c.speed_gbps, f"{c.length_m:g}"]
        for c in cables
    )  # fmt: skip
    return csv_document([CABLING_COLUMNS, *rows])


def _files(context: RenderContext) -> Files:
    return {"cabling.csv": cabling_csv(context.views.cables)}


OUTPUT = Output(
    "cabling",
    "cabling.csv: one row per cable, both ends with rack, U, device, port and optic; medium, part, length",
    _files,
)
