"""Output `diagrams`: per fabric, its topology by tier and, for rail-optimized fabrics, its first scalable unit in
full, each as DOT source and as SVG.

The DOT comes from `refarch.render.fabric_drawing`; the SVG from Graphviz's `dot` binary, run from Python (a
graph layout is not text a template could write). Endpoint labels name each device's role from the shared views.
"""

from __future__ import annotations

import subprocess
from typing import NamedTuple

from refarch.errors import OutputError
from refarch.render.context import Files, Output, RenderContext
from refarch.render.fabric_drawing import fabric_dot, su_detail_dot

__all__ = ["OUTPUT", "Diagram", "dot_to_svg", "drawing_roles", "fabric_diagrams"]

_DOT_TIMEOUT_S = 120  # a collapsed fabric renders in seconds; a hang should fail the build, not stall it


def dot_to_svg(dot_source: str, name: str) -> str:
    """Render DOT to SVG with Graphviz's `dot`.

    Args:
        dot_source: the graph.
        name: what the diagram is called in error messages.

    Raises:
        OutputError: `dot` is missing, times out, or rejects the source (the message carries its stderr).
    """
    try:
        result = subprocess.run(["dot", "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True,
                                check=False, timeout=_DOT_TIMEOUT_S)  # fmt: skip
    except FileNotFoundError as exc:
        raise OutputError(f"diagram {name!r}: cannot run Graphviz 'dot': {exc}", hint="install graphviz") from exc
    except subprocess.TimeoutExpired as exc:
        raise OutputError(f"diagram {name!r}: dot did not finish within {_DOT_TIMEOUT_S} s") from exc
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace").strip()
        raise OutputError(f"diagram {name!r}: dot failed with exit code {result.returncode}: {stderr}")
    return result.stdout.decode("utf-8")


class Diagram(NamedTuple):
    """One drawing: its DOT source and the SVG Graphviz made of it."""

    dot: str
    svg: str


def fabric_diagrams(context: RenderContext) -> dict[str, Diagram]:
    """Each fabric's drawings by file stem (`<fabric>-topology`, `<fabric>-su1`), rendered once per bundle whichever
    outputs ask (the diagrams and the review)."""
    return context.shared("fabric-diagrams", lambda: _draw(context))


def drawing_roles(context: RenderContext) -> dict[str, str]:
    """Device name -> role, as the fabric drawings label endpoints. Racked devices only: zero-U PDUs keep the
    generic "endpoint" label they have always had in the drawings."""
    return {d.name: d.role for d in context.views.devices if not d.zero_u}


def _draw(context: RenderContext) -> dict[str, Diagram]:
    roles = drawing_roles(context)
    drawings: dict[str, Diagram] = {}
    for name, fabric in sorted(context.plan.fabrics.items()):
        sources = {f"{name}-topology": fabric_dot(fabric, roles)}
        if fabric.rail_optimized:
            sources[f"{name}-su1"] = su_detail_dot(fabric, roles, su=1)
        for stem, source in sources.items():
            drawings[stem] = Diagram(source, dot_to_svg(source, stem))
    return drawings


def _files(context: RenderContext) -> Files:
    files: dict[str, str] = {}
    for stem, drawing in fabric_diagrams(context).items():
        files[f"diagrams/{stem}.dot"] = drawing.dot
        files[f"diagrams/{stem}.svg"] = drawing.svg
    return files


OUTPUT = Output(
    "diagrams",
    "diagrams/<fabric>-topology and -su1, as DOT and SVG (needs Graphviz's dot)",
    _files,
)
