"""Shared fixtures: the shipped catalog, a CLI runner returning (exit code, stdout, stderr), spec writers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog, load_catalog
from refarch.cli.app import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden from the current output")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


CliResult = tuple[int, str, str]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def run(*args: str | Path) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


MINIMAL_SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata:
  name: tiny
workloads:
  - name: w1
    type: training
    model:
      preset: llama3-8b
    platform: dgx-h100
    systems: 2
site:
  rack_power_limit: 40 kW
"""


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
