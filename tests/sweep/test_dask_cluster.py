"""Sweeps on real Dask clusters of separate processes: the command's default local cluster (spawned workers), and a
scheduler and two workers started here as `dask scheduler` / `dask worker` processes on 127.0.0.1. Both give the
same files; a worker killed mid-sweep loses no scenario."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from distributed import Client

from refarch.sweep.evaluate import Inputs
from refarch.sweep.results_file import RESULTS_FILE
from refarch.sweep.run import RunOptions, run_sweep
from refarch.sweep.sweepfile import load_sweep

from ..conftest import CliResult
from .conftest import WriteSweep
from .processes import DaskProcesses, dask_processes

pytestmark = pytest.mark.slow

EIGHT = "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-b200]}\n"
EIGHT += "  - {field: 'workloads[0].systems', values: [1, 2, 3, 4]}\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    """`dask scheduler` and two `dask worker` processes without nannies, stopped when the module's tests are done."""
    with dask_processes(2, tmp_path_factory.mktemp("dask") / "dask.log", nanny=False) as processes:
        yield processes


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_local_cluster_and_separate_processes_give_identical_files(
    run_cli: Callable[..., CliResult], write_sweep: WriteSweep, cluster: DaskProcesses, tmp_path: Path
) -> None:
    sweep_file = write_sweep(EIGHT)
    code, out, err = run_cli("sweep", sweep_file, "-o", tmp_path / "local", "--workers", "2", "--quiet")
    assert code == 0, err
    assert "t: 8 scenarios (8 feasible)" in out and f"files written to {tmp_path / 'local'}" in out
    code, out, err = run_cli("sweep", sweep_file, "-o", tmp_path / "remote", "--scheduler", cluster.address)
    assert code == 0, err
    assert _files(tmp_path / "remote") == _files(tmp_path / "local")
    assert err == ""  # no progress bar without a terminal, and no Dask chatter


def test_a_worker_killed_mid_sweep_loses_no_scenario(
    write_sweep: WriteSweep, inputs: Inputs, cluster: DaskProcesses, threads_scheduler: str, tmp_path: Path
) -> None:
    sweep = load_sweep(write_sweep(EIGHT + "  - {field: price.dgx-h100, values: [180000, 199000]}\n"), inputs.catalog)
    reference = run_sweep(sweep, inputs, tmp_path / "reference", RunOptions(scheduler=threads_scheduler))
    killed: list[int] = []
    with Client(cluster.address, set_as_default=False) as observer:

        def kill_a_busy_worker(done: int, total: int) -> None:
            if killed or done < 3:
                return
            busy = [address for address, keys in observer.processing().items() if keys]
            killed.append(observer.run(os.getpid, workers=busy[:1])[busy[0]])
            os.kill(killed[0], signal.SIGKILL)

        options = RunOptions(scheduler=cluster.address, batch=1)
        report = run_sweep(sweep, inputs, tmp_path / "killed", options, kill_a_busy_worker)
    assert killed and killed[0] in [p.pid for p in cluster.processes[1:]]
    assert cluster.processes[1 + [p.pid for p in cluster.processes[1:]].index(killed[0])].wait(10) != 0
    assert report.evaluated == reference.evaluated == 16
    assert _files(tmp_path / "killed") == _files(tmp_path / "reference")
    assert len((tmp_path / "killed" / RESULTS_FILE).read_text().splitlines()) == 17
