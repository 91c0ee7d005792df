"""The files a finished sweep writes, from its results alone (a stub until the outputs land: CSV only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from refarch.sweep.records import ScenarioResult, SweepInfo

__all__ = ["sweep_files"]


def sweep_files(results: Sequence[ScenarioResult], info: SweepInfo) -> dict[str, bytes]:
    """Relative path -> content for the sweep's outputs; `results` in any order (written sorted by index)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scenario", *info.axes, "status", "capex_usd"])
    for result in sorted(results, key=lambda r: r.index):
        writer.writerow([result.scenario, *(result.values[a] for a in info.axes), result.status, result.capex_usd])
    return {"sweep.csv": buffer.getvalue().encode()}
