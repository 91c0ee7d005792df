"""Run a sweep: expand it, skip what its results file already holds, evaluate the rest on Dask while appending each
result to the file, then write the outputs from every result, sorted by index, so that the same sweep gives the same
files whatever order its scenarios finished in and however often it was interrupted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refarch.sweep.directory import prepare_directory, write_files
from refarch.sweep.evaluate import Context, Inputs
from refarch.sweep.outputs import sweep_files
from refarch.sweep.records import ScenarioResult, ScenarioStatus
from refarch.sweep.results_file import RESULTS_FILE, ResultsLog, sorted_content
from refarch.sweep.scenarios import RESULTS_FORMAT, expand, fingerprint
from refarch.sweep.sweepfile import Sweep

__all__ = ["Progress", "RunOptions", "SweepReport", "run_sweep"]

# Called with (scenarios done, scenarios in the sweep) once before evaluating and after each finished task.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunOptions:
    """How to run: on the scheduler at `scheduler` (tcp://HOST:PORT) or a local cluster of `workers` processes
    (default: one per core); `force` starts over in a directory holding anything else than this sweep's results;
    `batch` scenarios per task (default: chosen from the scenarios and the workers' threads)."""

    scheduler: str | None = None
    workers: int | None = None
    force: bool = False
    batch: int | None = None


@dataclass(frozen=True)
class SweepReport:
    """What a run did: the directory and its files, the scenarios taken from the results file and evaluated, the
    count of each status, the seconds spent evaluating (cluster start and shutdown included) and those spent
    starting or connecting to the cluster."""

    directory: Path
    files: list[str]
    scenarios: int
    resumed: int
    evaluated: int
    statuses: dict[ScenarioStatus, int] = field(default_factory=dict)
    seconds: float = 0.0
    cluster_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Scenarios evaluated per second in this run."""
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0


def run_sweep(
    sweep: Sweep, inputs: Inputs, outdir: Path, options: RunOptions, progress: Progress | None = None
) -> SweepReport:
    """Evaluate every scenario of `sweep` not yet in `outdir`'s results file and write the sweep's files there.

    Raises:
        OutputError: `outdir` cannot be used (see `refarch.sweep.directory`) or written.
        InputError: the scheduler cannot be reached, or its workers lack refarch or have another catalog.
        RefarchError: Dask gave up on a task whose workers kept dying (the run can be resumed).
    """
    sources = inputs.sources
    identity = fingerprint(sweep, sources.catalog_sha256, sources.calibration_sha256)
    header = _header(sweep, identity)
    scenarios = expand(sweep)
    resume = prepare_directory(outdir, identity, options.force, sweep.inputs)
    tally = _Tally(len(scenarios), progress)
    with ResultsLog(outdir / RESULTS_FILE, header, resume) as log:
        ids = {s.id for s in scenarios}
        tally.resume([r for r in log.earlier if r.scenario in ids])
        pending = [s for s in scenarios if s.id not in tally.done]
        start = started = time.perf_counter()
        if pending:
            # Here rather than at the top: importing distributed costs every refarch command a fifth of a second.
            from refarch.sweep.cluster import dask_client, run_jobs

            context = Context(sources, sweep.base, sweep.base_label, sweep.axes, sweep.file.name)

            def on_results(results: list[ScenarioResult]) -> None:
                log.append(results)
                tally.add(results)

            with dask_client(options.scheduler, options.workers) as client:
                started = time.perf_counter()
                run_jobs(client, context, pending, on_results, options.batch)
        seconds = time.perf_counter() - start
    results = sorted(tally.done.values(), key=lambda r: r.index)
    files = write_files(outdir, sweep_files(results, sweep.info()), sorted_content(header, results))
    return SweepReport(
        directory=outdir.absolute(),
        files=files,
        scenarios=len(scenarios),
        resumed=tally.resumed,
        evaluated=len(results) - tally.resumed,
        statuses=dict(sorted(Counter(r.status for r in results).items())),
        seconds=seconds if pending else 0.0,
        cluster_seconds=started - start if pending else 0.0,
    )


def _header(sweep: Sweep, identity: str) -> dict[str, Any]:
    return {"refarch_sweep": RESULTS_FORMAT, "fingerprint": identity, "sweep": sweep.name, "scenarios": sweep.count}


class _Tally:
    """The results so far, by scenario id, reported to `progress` as they come."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.progress = progress
        self.done: dict[str, ScenarioResult] = {}
        self.resumed = 0

    def resume(self, results: list[ScenarioResult]) -> None:
        for result in results:
            self.done.setdefault(result.scenario, result)
        self.resumed = len(self.done)
        self._report()

    def add(self, results: list[ScenarioResult]) -> None:
        for result in results:
            self.done.setdefault(result.scenario, result)
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(len(self.done), self.total)
