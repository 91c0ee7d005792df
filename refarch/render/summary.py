"""Output `summary`: summary.md, the design for a reader, from the template `templates/summary/summary.md.j2` (a
root including one fragment per section under `templates/summary/sections/`)."""

from __future__ import annotations

from refarch.render.context import Files, Output, RenderContext

__all__ = ["OUTPUT", "SUMMARY_TEMPLATE"]

SUMMARY_TEMPLATE = "summary/summary.md.j2"


def _files(context: RenderContext) -> Files:
    return {"summary.md": context.template(SUMMARY_TEMPLATE)}


OUTPUT = Output(
    "summary",
    "summary.md: headline figures, networks, compute, performance, racks, power, cooling, BOM, assumptions",
    _files,
)
