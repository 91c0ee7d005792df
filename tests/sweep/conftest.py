"""Fixtures of the sweep tests: the inputs loaded once, a sweep-file writer around the DGX H100 example, an
in-process Dask cluster (worker threads: fast to start, and monkeypatching reaches its workers), and a counter of
the plans the workers make."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

import refarch.sweep.evaluate as evaluate_module
from refarch.pipeline import plan_spec
from refarch.sweep.evaluate import Inputs, load_inputs

from ..conftest import REPO

BASE = REPO / "examples" / "dgx-h100-su.yaml"

SWEEP_HEAD = """\
apiVersion: refarch/v1
kind: Sweep
metadata: {{name: {name}, description: a test sweep}}
base: {base}
combine: {combine}
axes:
"""

# Four fixed-size GPU scenarios that plan in about 70 ms each.
SMALL_AXES = """\
  - field: workloads[0].platform
    values: [dgx-h100, dgx-b200]
  - field: workloads.pretrain-70b.systems
    values: [2, 4]
"""

WriteSweep = Callable[..., Path]


@pytest.fixture(scope="session")
def inputs() -> Inputs:
    return load_inputs((), None)


@pytest.fixture
def write_sweep(tmp_path: Path) -> WriteSweep:
    """Write a sweep file with `axes` (YAML lines under `axes:`) into the test's directory."""

    def write(axes: str = SMALL_AXES, combine: str = "product", name: str = "t", file: str = "sweep.yaml") -> Path:
        path = tmp_path / file
        path.write_text(SWEEP_HEAD.format(name=name, base=BASE, combine=combine) + axes, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def threads_scheduler() -> Iterator[str]:
    """The address of a Dask cluster whose one worker is a thread of the test process."""
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},  # no dashboard, no port 8787
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The platform of each plan the in-process workers make (its length counts evaluations)."""
    made: list[str] = []
    real = plan_spec

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(args[0].workloads[0].platform)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "plan_spec", counting)
    return made
