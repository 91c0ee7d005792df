"""Scenarios as Dask tasks: a local cluster (or a given scheduler), jobs of a few scenarios each, and their results
as they finish.

The local cluster runs one worker process per core with one thread each (planning holds the GIL), listens on
127.0.0.1 only and serves no dashboard. Its worker processes are spawned: they import refarch afresh, which works
from an installed refarch or a checkout on the parent's `sys.path` (multiprocessing passes it on). A given
scheduler's workers need refarch installed, at the same version, with the catalog directories at the same paths
(each worker checks the catalog's hash). Clients and clusters are context managers, closed on errors and Ctrl-C.

A worker that dies loses no scenario: the scheduler runs its tasks again elsewhere (a task whose workers keep
dying is given up after Dask's `distributed.scheduler.allowed-failures`, and the sweep stops, resumable).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from refarch.errors import InputError, Location, RefarchError
from refarch.sweep.evaluate import Context, Job, evaluate_job
from refarch.sweep.records import ScenarioResult
from refarch.sweep.scenarios import Scenario

__all__ = ["LOCAL_HOST", "MAX_BATCH", "batch_size", "dask_client", "local_workers", "run_jobs"]

LOCAL_HOST = "127.0.0.1"
# Scenarios per task at the most, and tasks per worker thread at the least, when the batch is not given: a plan
# takes 50-100 ms and a task costs the scheduler and the client about a millisecond each, which on a machine whose
# cores also run the workers is worth saving; smaller batches balance the end of a sweep (bench/bench_sweep.py).
MAX_BATCH = 8
TASKS_PER_THREAD = 4
_CONNECT_TIMEOUT_S = 10
_WORKERS_TIMEOUT_S = 60
_SCHEDULER_OPTION = "--scheduler"
# The scheduler always serves a few HTTP routes (health, metrics): on a free port of 127.0.0.1, without the dashboard
# (dashboard_address=None alone still takes port 8787, or warns when it is in use).
_NO_DASHBOARD = {"dashboard": False, "dashboard_address": f"{LOCAL_HOST}:0"}


def local_workers() -> int:
    """The cores this process may run on: the local cluster's default number of workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler` (tcp://HOST:PORT), or of a local cluster of `workers` processes
    (default: one per core) that is closed when the block ends.

    Raises:
        InputError: the scheduler cannot be reached or has no worker within a minute; `workers` with `scheduler`.
    """
    if scheduler is None:
        count = workers or local_workers()
        with (
            LocalCluster(
                n_workers=count, threads_per_worker=1, processes=True, host=LOCAL_HOST, dashboard_address=None,
                scheduler_kwargs=_NO_DASHBOARD, silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):  # fmt: skip
            yield client
        return
    if workers is not None:
        raise InputError(
            "--workers sizes the local cluster; a given scheduler has its own workers", Location(None, "--workers")
        )
    with _remote(scheduler) as client:
        yield client


@contextmanager
def _remote(address: str) -> Iterator[Client]:
    where = Location(None, _SCHEDULER_OPTION)
    try:
        client = Client(address, timeout=_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, ValueError) as exc:  # TimeoutError is an OSError
        raise InputError(
            f"cannot connect to the Dask scheduler at {address}: {exc}",
            where,
            "give tcp://HOST:PORT of a running `dask scheduler`, or leave out --scheduler for a local cluster",
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise InputError(
                f"no worker joined the scheduler at {address} within {_WORKERS_TIMEOUT_S} s",
                where,
                f"start workers with `dask worker {address}`",
            ) from None
        yield client


def batch_size(scenarios: int, threads: int) -> int:
    """Scenarios per task: at least `TASKS_PER_THREAD` tasks per worker thread, at most `MAX_BATCH` a task."""
    return max(1, min(MAX_BATCH, scenarios // max(1, threads * TASKS_PER_THREAD)))


def run_jobs(
    client: Client,
    context: Context,
    scenarios: Sequence[Scenario],
    on_results: Callable[[list[ScenarioResult]], None],
    batch: int | None = None,
) -> None:
    """Evaluate `scenarios` as tasks of `batch` scenarios (default: `batch_size`) and pass each task's results to
    `on_results` as it finishes; tasks not finished when this returns or raises are cancelled.

    Raises:
        RefarchError: a task's workers kept dying (the results passed on so far stand).
        InputError: a worker cannot import refarch, or loads another catalog than the client.
        RuntimeError: a scenario failed with a bug (named).
    """
    threads = sum(client.nthreads().values())
    size = batch or batch_size(len(scenarios), threads)
    run = uuid.uuid4().hex[:8]
    futures: list[Future[list[ScenarioResult]]] = [
        client.submit(evaluate_job, Job(context, tuple(scenarios[i : i + size])), key=f"refarch-sweep-{run}-{i}")
        for i in range(0, len(scenarios), size)
    ]
    try:
        for future in as_completed(futures, loop=client.loop):
            on_results(_results(future))
            future.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


def _results(future: Future[list[ScenarioResult]]) -> list[ScenarioResult]:
    try:
        results: list[ScenarioResult] = future.result()
    except KilledWorker as exc:
        raise RefarchError(
            f"Dask gave up on a task after its workers died: {exc}",
            hint="the results so far are kept in the results file; run the same command again to resume",
        ) from None
    except ImportError as exc:
        if "refarch" not in str(exc):
            raise
        raise InputError(
            f"a Dask worker cannot import refarch: {exc}",
            Location(None, _SCHEDULER_OPTION),
            "install refarch (the same version) in the workers' environment",
        ) from None
    return results
