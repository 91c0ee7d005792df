"""Benchmark: one output alone for fixed-size DGX H100 clusters (Ansible and Terraform each aim under 5 s at 16,384
GPUs; the review under 30 s with a PDF under 20 MB).

Not part of the test suite. Run:  .venv/bin/python bench/bench_outputs.py [ansible|terraform ...]
Prints one row per output and case: the wall time of the output's files (views built beforehand and not counted,
as every output shares them), how many files and bytes they are, and the peak resident memory of the process.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from refarch import load_catalog, load_spec, size, solve
from refarch.render.context import RenderContext
from refarch.render.registry import OUTPUTS, select_outputs
from refarch.render.stage import collect_files
from refarch.render.templating import Templates

CASES = [("dgx-h100 1 SU (248 GPUs)", 31), ("dgx-h100 4 SU (1,016 GPUs)", 127), ("dgx-h100 16,384 GPUs", 2048)]

SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata: {{name: bench}}
workloads:
  - {{name: w, type: training, model: {{preset: llama3-70b}}, platform: dgx-h100, systems: {systems}}}
site: {{rack_power_limit: 40 kW, cooling: [air, rdhx], rack_height: 48}}
"""


def main(outputs: list[str]) -> None:
    catalog = load_catalog()
    print("| output | case | files | MB | s | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, systems in CASES:
            spec_file = Path(tmp) / "spec.yaml"
            spec_file.write_text(SPEC.format(systems=systems))
            spec = load_spec(spec_file)
            context = RenderContext(solve(spec, catalog, size(spec, catalog)), Templates(()))
            _ = context.views
            for output in select_outputs(outputs):
                seen = context
                if output.describes_bundle:  # the review lists the others' files: render them first, untimed
                    seen = context.with_bundle(collect_files([o for o in OUTPUTS if not o.describes_bundle], context))
                start = time.perf_counter()
                files = output.build(seen)
                seconds = time.perf_counter() - start
                written = sum(len(text.encode("utf-8") if isinstance(text, str) else text) for text in files.values())
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"| {output.name} | {name} | {len(files)} | {written / 1e6:.1f} | {seconds:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["ansible", "terraform"])
