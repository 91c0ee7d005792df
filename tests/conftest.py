"""Shared fixtures: the shipped catalog, a CLI runner returning (exit code, stdout, stderr), spec writers, and a
live NetBox server shared by the session (`live_netbox`, tests/netbox/README.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# pytest-xdist's workers start with COLUMNS=80, and refarch's consoles take their width when refarch.cli is imported
# (below): drop it so the CLI tests read tables as a process without a terminal prints them (refarch.cli.console).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)

from refarch.catalog.loader import Catalog, load_catalog
from refarch.cli.app import main
from tests.netbox.live import LiveNetBox, NetBoxError, down, up

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


def with_description(text: str, description: str) -> str:
    """A spec's text (metadata.description on a line of its own, as in the examples) with its description replaced
    by `description`, written as JSON, which is valid YAML for any string."""
    lines = text.splitlines(keepends=True)
    return "".join(f"  description: {json.dumps(description)}\n" if line.startswith("  description:") else line
                   for line in lines)  # fmt: skip


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def live_netbox() -> Iterator[LiveNetBox]:
    """A real NetBox (tests/netbox/live.py) started once for the session: `.url`, `.token`, `.version`.

    Mark tests that use it with `@pytest.mark.netbox`. When the server cannot start, the tests using it fail with the
    reason (never skip): CI must run them.
    """
    try:
        server = up()
    except NetBoxError as exc:
        reason = str(exc)
    else:
        reason = ""
    if reason:  # failed outside the except block: the report shows the reason once, not a chain of two
        pytest.fail(f"the live NetBox did not start: {reason}", pytrace=False)
    try:
        yield server
    finally:
        down(server)
