"""Cable run list (`cabling.csv`) and per-fabric validation files, written with csv.writer from the Plan alone.

`validation/<fabric>.p2p.csv` lists each link once as A device, A port, B device, B port (sorted), the form a
cable-validation tool compares with what it discovers on the installed fabric; `validation/<fabric>.topo.dot`
carries the same links as a DOT graph with the ports as edge attributes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from refarch.plan import CableRun, Plan

__all__ = ["CABLING_COLUMNS", "cabling_csv", "p2p_csv", "topology_dot"]

CABLING_COLUMNS = (
    "cable_id", "fabric", "plane", "tier",
    "a_site", "a_row", "a_rack", "a_u", "a_device", "a_port", "a_transceiver",
    "b_site", "b_row", "b_rack", "b_u", "b_device", "b_port", "b_transceiver",
    "medium", "cable_part", "speed_gbps", "length_m",
)  # fmt: skip


@dataclass(frozen=True)
class _Place:
    row: int
    rack: str
    u: str


def _places(plan: Plan) -> dict[str, _Place]:
    """Where each device sits; zero-U PDUs are named <rack>-pdu<n> and sit at U 0."""
    places = {}
    for rack in plan.racks:
        for device in rack.devices:
            places[device.name] = _Place(rack.row, rack.name, str(device.u_position))
        for pdu in rack.pdu_names:
            places[pdu] = _Place(rack.row, rack.name, "0")
    return places


def cabling_csv(plan: Plan) -> str:
    """One row per cable, both ends located (site, row, rack, U, device, port), fabric by fabric."""
    places = _places(plan)
    site = plan.metadata.name
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CABLING_COLUMNS)
    for name, fabric in sorted(plan.fabrics.items()):
        for number, run in enumerate(fabric.cables, start=1):
            a, b = places[run.a_device], places[run.b_device]
            writer.writerow(
                [f"{name}-{number:06d}", name, run.plane, run.tier,
                 site, a.row, a.rack, a.u, run.a_device, run.a_port, run.a_transceiver or "",
                 site, b.row, b.rack, b.u, run.b_device, run.b_port, run.b_transceiver or "",
                 run.medium, run.cable, run.speed_gbps, f"{run.length_m:g}"]
            )  # fmt: skip
    return buffer.getvalue()


def _ends(run: CableRun) -> tuple[tuple[str, str], tuple[str, str]]:
    a, b = (run.a_device, run.a_port), (run.b_device, run.b_port)
    return (a, b) if a <= b else (b, a)


def p2p_csv(plan: Plan, fabric: str) -> str:
    """Point-to-point links of one fabric, each once, in sorted order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("a_device", "a_port", "b_device", "b_port"))
    for (a_device, a_port), (b_device, b_port) in sorted(_ends(r) for r in plan.fabrics[fabric].cables):
        writer.writerow((a_device, a_port, b_device, b_port))
    return buffer.getvalue()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def topology_dot(plan: Plan, fabric: str) -> str:
    """One fabric as an undirected DOT graph: every device a node, every cable an edge with both ports."""
    runs = plan.fabrics[fabric].cables
    lines = [f"graph {_quote(fabric)} {{"]
    for device in sorted({r.a_device for r in runs} | {r.b_device for r in runs}):
        lines.append(f"  {_quote(device)};")
    for run in sorted(runs, key=_ends):
        (a, a_port), (b, b_port) = _ends(run)
        lines.append(
            f"  {_quote(a)} -- {_quote(b)} [a_port={_quote(a_port)}, b_port={_quote(b_port)}, "
            f"medium={_quote(run.medium)}, length_m={_quote(f'{run.length_m:g}')}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
