"""A Dask cluster of separate processes, as a user starts one: `dask scheduler` and `dask worker`s on 127.0.0.1,
stopped by PID (the sweep tests' fixture and bench/bench_sweep.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from distributed import Client

__all__ = ["DaskProcesses", "dask_processes"]

DASK = Path(sys.executable).parent / "dask"


@dataclass
class DaskProcesses:
    """The scheduler's address and the processes: the scheduler first, then the workers."""

    address: str
    processes: list[subprocess.Popen[bytes]]


@contextmanager
def dask_processes(workers: int, log: Path, nanny: bool = True) -> Iterator[DaskProcesses]:
    """Start a scheduler and `workers` workers of one thread each (without a nanny, a killed worker stays dead),
    their output appended to `log`; wait for the workers to join; stop them all when the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    address = f"tcp://127.0.0.1:{port}"
    scheduler: list[str | Path] = [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
    scheduler += ["--dashboard-address", "127.0.0.1:0"]  # its HTTP routes on a free port, not 8787
    worker: list[str | Path] = [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"]
    worker += [] if nanny else ["--no-nanny"]
    started: list[subprocess.Popen[bytes]] = []
    with log.open("ab") as output:
        try:
            started.append(subprocess.Popen(scheduler, stdout=output, stderr=subprocess.STDOUT))
            started += [subprocess.Popen(worker, stdout=output, stderr=subprocess.STDOUT) for _ in range(workers)]
            with Client(address, timeout=60, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=120)
            yield DaskProcesses(address, started)
        finally:
            for process in reversed(started):  # workers first: a worker whose scheduler is gone waits for it
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
