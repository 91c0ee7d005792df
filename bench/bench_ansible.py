"""Benchmark: the `ansible` output alone for fixed-size DGX H100 clusters (issue 18 aims under 5 s at 16,384 GPUs).

Not part of the test suite. Run:  .venv/bin/python bench/bench_ansible.py
Prints one row per case: the wall time of the Ansible files (views built beforehand and not counted, as every
output shares them), how many files and bytes they are, and the peak resident memory of the process.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from refarch import load_catalog, load_spec, size, solve
from refarch.render.ansible.output import ansible_files
from refarch.render.context import RenderContext
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


def main() -> None:
    catalog = load_catalog()
    print("| case | files | MB | ansible s | peak RSS MiB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, systems in CASES:
            spec_file = Path(tmp) / "spec.yaml"
            spec_file.write_text(SPEC.format(systems=systems))
            spec = load_spec(spec_file)
            context = RenderContext(solve(spec, catalog, size(spec, catalog)), Templates(()))
            _ = context.views
            start = time.perf_counter()
            files = ansible_files(context)
            seconds = time.perf_counter() - start
            megabytes = sum(len(text.encode("utf-8")) for text in files.values()) / 1e6
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {name} | {len(files)} | {megabytes:.1f} | {seconds:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
