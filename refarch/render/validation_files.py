"""Output `validation`: per fabric, the links in the forms cable-validation tools compare with a live fabric.

`validation/<fabric>.p2p.csv` lists each link once as A device, A port, B device, B port (sorted), the form a
cable-validation tool compares with what it discovers on the installed fabric (written with csv.writer through
`filters.csv_document`, which quotes exactly where needed); `validation/<fabric>.topo.dot` carries the same links
as an undirected DOT graph with the ports as edge attributes (every ID quoted with `dot_string`).
"""

from __future__ import annotations

from refarch.plan import CableRun, FabricPlan
from refarch.render.context import Files, Output, RenderContext
from refarch.render.filters import csv_document, dot_string

__all__ = ["OUTPUT", "p2p_csv", "topology_dot"]

_Ends = tuple[tuple[str, str], tuple[str, str]]


def _ends(run: CableRun) -> _Ends:
    """Both (device, port) ends, the smaller first: a link reads the same whichever end the plan called A."""
    a, b = (run.a_device, run.a_port), (run.b_device, run.b_port)
    return (a, b) if a <= b else (b, a)


def p2p_csv(fabric: FabricPlan) -> str:
    """Point-to-point links of one fabric, each once, in sorted order."""
    links = sorted(_ends(r) for r in fabric.cables)
    rows = ((a_device, a_port, b_device, b_port) for (a_device, a_port), (b_device, b_port) in links)
    return csv_document([("a_device", "a_port", "b_device", "b_port"), *rows])


def topology_dot(fabric: FabricPlan) -> str:
    """One fabric as an undirected DOT graph: every device a node, every cable an edge with both ports."""
    runs = fabric.cables
    lines = [f"graph {dot_string(fabric.name)} {{"]
    for device in sorted({r.a_device for r in runs} | {r.b_device for r in runs}):
        lines.append(f"  {dot_string(device)};")
    for run in sorted(runs, key=_ends):
        (a, a_port), (b, b_port) = _ends(run)
        lines.append(
            f"  {dot_string(a)} -- {dot_string(b)} [a_port={dot_string(a_port)}, b_port={dot_string(b_port)}, "
            f"medium={dot_string(run.medium)}, length_m={dot_string(f'{run.length_m:g}')}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _files(context: RenderContext) -> Files:
    files: dict[str, str] = {}
    for name, fabric in sorted(context.plan.fabrics.items()):
        files[f"validation/{name}.p2p.csv"] = p2p_csv(fabric)
        files[f"validation/{name}.topo.dot"] = topology_dot(fabric)
    return files


OUTPUT = Output(
    "validation",
    "validation/<fabric>.p2p.csv and .topo.dot: every link once, to compare with the fabric as discovered",
    _files,
)
