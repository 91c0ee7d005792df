"""Benchmark: plan fixed-size clusters of growing size end to end (load, size, solve, render).

Not part of the test suite. Run:  .venv/bin/python bench/bench_plan.py
Prints one row per case: wall time of each stage and the peak resident memory of the process.
"""

from __future__ import annotations

import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from refarch import load_catalog, load_spec, render, size, solve
from refarch.catalog.loader import Catalog
from refarch.plan import Plan

CASES = [
    ("dgx-h100 1 SU (248 GPUs)", "dgx-h100", 31, "40 kW", "[air, rdhx]"),
    ("dgx-h100 4 SU (1,016 GPUs)", "dgx-h100", 127, "40 kW", "[air, rdhx]"),
    ("dgx-h100 16,384 GPUs", "dgx-h100", 2048, "40 kW", "[air, rdhx]"),
    ("dgx-b300 131,072 GPUs (Q3400)", "dgx-b300", 16384, "60 kW", "[air, rdhx]"),
    ("gb200-nvl72 1,152 racks (82,944 GPUs)", "gb200-nvl72", 1152, "140 kW", "[liquid]"),
    ("cs-3 64 systems + support servers", "cs-3", 64, "50 kW", "[air, liquid]"),
]

SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata: {{name: bench}}
workloads:
  - {{name: w, type: training, model: {{preset: llama3-70b}}, platform: {platform}, systems: {systems}}}
site: {{rack_power_limit: {limit}, cooling: {cooling}, rack_height: 48}}
"""


@dataclass(frozen=True)
class CaseResult:
    """One planned case: the plan, wall seconds of size+solve and of render, peak RSS so far."""

    plan: Plan
    solve_s: float
    render_s: float
    rss_mib: float


def run_case(catalog: Catalog, directory: Path, spec_text: str) -> CaseResult:
    """Write `spec_text`, then size, solve and render it in `directory`, timing each step."""
    spec_file = directory / "spec.yaml"
    spec_file.write_text(spec_text)
    spec = load_spec(spec_file)
    start = time.perf_counter()
    plan = solve(spec, catalog, size(spec, catalog))
    solved = time.perf_counter()
    render(plan, directory / "bundle", force=True)
    rendered = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return CaseResult(plan, solved - start, rendered - solved, rss)


def main() -> None:
    catalog = load_catalog()
    print("| case | racks | size+solve s | render s | peak RSS MiB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, platform, systems, limit, cooling in CASES:
            text = SPEC.format(platform=platform, systems=systems, limit=limit, cooling=cooling)
            case = run_case(catalog, Path(tmp), text)
            racks = case.plan.summary.racks
            print(f"| {name} | {racks} | {case.solve_s:.2f} | {case.render_s:.2f} | {case.rss_mib:.0f} |")


if __name__ == "__main__":
    main()
