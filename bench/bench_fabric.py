"""Benchmark: fabric sizing and cabling for large clusters (issue 4), inside a full `solve` and `render`.

Not part of the test suite. Run:  .venv/bin/python bench/bench_fabric.py
Stage times are measured by wrapping the stage functions `solve` calls: host fabrics (compute and storage sizing,
graphs, validation), network racks (in-band, out-of-band, CP-SAT packing of network racks), and cabling (lengths,
media, cable runs). Peak RSS is the process maximum so far.
"""

from __future__ import annotations

import importlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_plan import SPEC as PLAN_SPEC  # the script's directory is on sys.path when run as a script
from bench_plan import run_case

from refarch import load_catalog

solve_module = importlib.import_module("refarch.design.solve")  # the package re-exports the function under this name

CASES = [
    ("dgx-h100 16,384 GPUs (QM9700, 3 tiers)", "dgx-h100", 2048, "{compute: infiniband}"),
    ("dgx-b300 131,072 GPUs (Q3400 XDR)", "dgx-b300", 16384, "{compute: infiniband}"),
]

# The plan benchmark's spec with a 60 kW rack limit and the compute network chosen explicitly.
SPEC = PLAN_SPEC.replace("{limit}", "60 kW").replace("{cooling}", "[air, rdhx]") + "network: {network}\n"

STAGES = ("design_host_fabrics", "design_network_racks", "cable_runs")


def _timed(name: str, function: Callable[..., Any], times: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def main() -> None:
    catalog = load_catalog()
    times: dict[str, float] = {}
    for stage in STAGES:
        setattr(solve_module, stage, _timed(stage, getattr(solve_module, stage), times))
    print("| case | switches | cables | host fabrics s | network racks s | cabling s | solve s | render s | RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, platform, systems, network in CASES:
            times.clear()
            case = run_case(catalog, Path(tmp), SPEC.format(platform=platform, systems=systems, network=network))
            stages = " | ".join(f"{times.get(s, 0.0):.2f}" for s in STAGES)
            summary = case.plan.summary
            print(
                f"| {name} | {summary.switches:,} | {summary.cables:,} | {stages} | {case.solve_s:.2f} "
                f"| {case.render_s:.2f} | {case.rss_mib:.0f} |"
            )


if __name__ == "__main__":
    main()
