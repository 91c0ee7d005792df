"""Benchmark: a 1,000-scenario sweep of fixed-size GPU clusters on Dask, three ways, with the same results.

Not part of the test suite. Run:  .venv/bin/python bench/bench_sweep.py [--batch N] [--profile]
1. the command's default local cluster (one worker process per core, cluster start included in the wall time);
2. a scheduler started here as a separate process (`dask scheduler`) with 1 worker (`dask worker`), then with 2;
3. again with 2 workers, one of them killed (SIGKILL) when 30% of the scenarios are done.
Prints per run: wall seconds, scenarios/s over the wall time and over the evaluation (first to last result, which
leaves out the cluster start and the first task's imports and catalog load), and the host's load average. Then
checks that the three runs wrote byte-identical files. `--profile` plans 40 scenarios in this process under cProfile
and prints what dominates.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client

from refarch.sweep.evaluate import Context, Inputs, evaluate, load_inputs
from refarch.sweep.run import RunOptions, run_sweep
from refarch.sweep.scenarios import expand
from refarch.sweep.sweepfile import Sweep, load_sweep

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' helper that starts `dask scheduler` and `dask worker` processes
from tests.sweep.processes import dask_processes  # noqa: E402

# 2 platforms x 25 system counts x 20 prices: every scenario a fixed-size GPU cluster of 1-25 systems.
SWEEP = f"""\
apiVersion: refarch/v1
kind: Sweep
metadata: {{name: bench-1000}}
base: {REPO / "examples" / "dgx-h100-su.yaml"}
axes:
  - field: workloads[0].platform
    values: [dgx-h100, dgx-b200]
  - field: workloads[0].systems
    range: {{start: 1, stop: 25, step: 1}}
  - field: price.dgx-h100
    range: {{start: 150000, stop: 245000, step: 5000}}
"""


def timed_run(name: str, sweep: Sweep, inputs: Inputs, outdir: Path, options: RunOptions) -> None:
    """Run the sweep and print its row."""
    stamps: list[tuple[float, int]] = []
    start = time.perf_counter()
    report = run_sweep(sweep, inputs, outdir, options, lambda done, _total: stamps.append((time.perf_counter(), done)))
    wall = time.perf_counter() - start
    (first_t, first_n), (last_t, last_n) = stamps[1], stamps[-1]
    steady = (last_n - first_n) / (last_t - first_t)
    load = os.getloadavg()[0]
    print(f"| {name} | {report.evaluated} | {wall:.1f} | {report.evaluated / wall:.1f} | {steady:.1f} | {load:.1f} |")


def killed_run(sweep: Sweep, inputs: Inputs, outdir: Path, log: Path) -> None:
    """Two workers without a nanny; when 30% of the scenarios are done, SIGKILL a busy one (it stays dead): the
    other finishes the sweep, Dask rerunning the dead worker's tasks."""
    killed: list[int] = []
    with dask_processes(2, log, nanny=False) as cluster, Client(cluster.address, set_as_default=False) as observer:

        def kill_a_busy_worker(done: int, total: int) -> None:
            if killed or done < 0.3 * total:
                return
            busy = [address for address, keys in observer.processing().items() if keys]
            killed.append(observer.run(os.getpid, workers=busy[:1])[busy[0]])
            os.kill(killed[0], signal.SIGKILL)
            print(f"killed worker pid {killed[0]} after {done} of {total} scenarios")

        start = time.perf_counter()
        report = run_sweep(sweep, inputs, outdir, RunOptions(scheduler=cluster.address), kill_a_busy_worker)
        print(f"| 2 workers, one killed at 30% | {report.evaluated} | {time.perf_counter() - start:.1f} | | | |")


def profile(sweep: Sweep, inputs: Inputs) -> None:
    """Plan 40 scenarios in this process under cProfile and print the top of the cumulative list."""
    context = Context(inputs.sources, sweep.base, sweep.base_label, sweep.axes, sweep.file.name)
    scenarios = expand(sweep)[::25]
    profiler = cProfile.Profile()
    profiler.enable()
    for scenario in scenarios:
        evaluate(scenario, context, inputs)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batch", type=int, default=None, help="scenarios per task [default: chosen by refarch]")
    parser.add_argument("--profile", action="store_true", help="profile 40 scenarios in this process instead")
    parser.add_argument(
        "--only", choices=["local", "1", "2", "kill"], action="append", help="run only these (repeatable)"
    )
    args = parser.parse_args()
    inputs = load_inputs((), None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sweep.yaml").write_text(SWEEP)
        sweep = load_sweep(root / "sweep.yaml", inputs.catalog)
        if args.profile:
            profile(sweep, inputs)
            return
        runs = args.only or ["local", "1", "2", "kill"]
        print(f"{sweep.count} scenarios, {os.cpu_count()} cores, batch {args.batch or 'auto'}")
        print("| run | scenarios | wall s | scenarios/s (wall) | scenarios/s (evaluating) | load avg |")
        print("|---|---|---|---|---|---|")
        if "local" in runs:
            timed_run("local cluster, one worker per core", sweep, inputs, root / "local", RunOptions(batch=args.batch))
        for workers in (1, 2):
            if str(workers) in runs:
                with dask_processes(workers, root / "dask.log") as cluster:
                    options = RunOptions(scheduler=cluster.address, batch=args.batch)
                    timed_run(f"dask scheduler + {workers} worker(s)", sweep, inputs, root / str(workers), options)
        if "kill" in runs:
            killed_run(sweep, inputs, root / "kill", root / "dask-kill.log")
        outdirs = [root / r for r in ("local", "1", "2", "kill") if r in runs]
        contents = [_files(d) for d in outdirs]
        same = all(c == contents[0] for c in contents)
        print(f"identical files across the runs: {'yes' if same else 'NO'}")
        if not same:
            sys.exit(1)


def _files(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (plots/ included) by its relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


if __name__ == "__main__":
    main()
