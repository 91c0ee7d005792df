"""The files a finished sweep writes, from its results alone (the report is still to come).

- `sweep.csv`, `sweep.parquet`: one row per scenario in index order (`columns`, `tabular`).
- `pareto.csv`: the Pareto front over the feasible scenarios, by capex (`pareto`).
- `plots/pareto.svg`, `plots/cost-by-platform.svg`, `plots/time-vs-power.svg` (`plots`, `cost_plot`).

The same results, in any order, give the same bytes. Every string from the sweep file or the catalog (axis values,
names, problems) is written literally: quoted and formula-neutralised in CSV, drawn as text in the SVGs.
"""

from __future__ import annotations

from collections.abc import Sequence

from refarch.sweep.outputs.columns import ordered, sweep_columns
from refarch.sweep.outputs.cost_plot import cost_by_platform_plot
from refarch.sweep.outputs.pareto import front_order, pareto_front
from refarch.sweep.outputs.plots import pareto_plot, time_vs_power_plot
from refarch.sweep.outputs.tabular import csv_bytes, parquet_bytes
from refarch.sweep.records import ScenarioResult, SweepInfo

__all__ = ["sweep_files"]


def sweep_files(results: Sequence[ScenarioResult], info: SweepInfo) -> dict[str, bytes]:
    """Relative path -> content for the sweep's outputs; `results` in any order (written sorted by index)."""
    rows = ordered(results)
    front = pareto_front(rows)
    columns = sweep_columns(rows, info, front.members)
    position = {r.scenario: k for k, r in enumerate(rows)}
    members = sorted((r for r in rows if r.scenario in front.members), key=front_order)
    return {
        "sweep.csv": csv_bytes(columns),
        "sweep.parquet": parquet_bytes(columns),
        "pareto.csv": csv_bytes(columns, [position[r.scenario] for r in members]),
        "plots/pareto.svg": pareto_plot(rows, front).encode("utf-8"),
        "plots/cost-by-platform.svg": cost_by_platform_plot(rows).encode("utf-8"),
        "plots/time-vs-power.svg": time_vs_power_plot(rows, front).encode("utf-8"),
    }
