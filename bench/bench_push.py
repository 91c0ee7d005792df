"""Benchmark: `refarch netbox push` throughput against a live NetBox 4.7.3 (tests/netbox/live.py starts one).

Not part of the test suite. Run:  .venv/bin/python bench/bench_push.py [SYSTEMS ...]   (default: 31 127)
Per DGX H100 plan: objects written, seconds and objects per second of the first push, seconds of the second push
(which reads everything back and writes nothing), and the time of each kind of the first push.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from refarch import load_catalog, load_spec, plan_spec
from refarch.render.netbox.push import push_view
from refarch.render.netbox.view import build_netbox_view
from refarch.render.views import build_views
from tests.netbox.live import down, up

SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata: {{name: push-{systems}}}
workloads:
  - {{name: w, type: training, model: {{preset: llama3-70b}}, platform: dgx-h100, systems: {systems}}}
network: {{compute: infiniband, addressing: {{management: 10.{n}.0.0/16, oob: 10.{m}.0.0/16}}}}
site: {{rack_power_limit: 40 kW, cooling: [air, rdhx], rack_height: 48}}
"""


class KindTimer:
    """The push's progress callback: seconds spent on each kind."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def __call__(self, kind: str, count: int) -> None:
        now = time.perf_counter()
        self.seconds[kind] = now - self.last
        self.last = now


def main(sizes: list[int]) -> None:
    catalog = load_catalog()
    server = up()
    try:
        print("| systems | objects written | first push s | objects/s | second push s | slowest kinds (s) |")
        print("|---|---|---|---|---|---|")
        with tempfile.TemporaryDirectory() as tmp:
            for k, systems in enumerate(sizes):
                spec = Path(tmp) / "spec.yaml"
                spec.write_text(SPEC.format(systems=systems, n=2 * k + 10, m=2 * k + 11))
                plan = plan_spec(load_spec(spec), catalog)
                view = build_netbox_view(plan, build_views(plan))
                timer = KindTimer()
                start = time.perf_counter()
                report = push_view(view, server.url, server.token, progress=timer)
                first = time.perf_counter() - start
                written = report.count("create") + report.count("update")
                start = time.perf_counter()
                push_view(view, server.url, server.token)
                second = time.perf_counter() - start
                slowest = ", ".join(f"{n} {s:.0f}" for n, s in sorted(timer.seconds.items(), key=lambda i: -i[1])[:3])
                print(f"| {systems} | {written} | {first:.0f} | {written / first:.1f} | {second:.0f} | {slowest} |")
    finally:
        down(server)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [31, 127])
