"""`refarch netbox push` refuses bad input before touching NetBox, and an unreachable server is one clear line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import REPO, CliResult

Run = Callable[..., CliResult]
# Port 9 (discard) on the loopback: nothing listens there, so a connection is refused at once.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETBOX_TOKEN", "not-a-real-token")


def test_no_token_is_a_clear_error(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETBOX_TOKEN", raising=False)
    monkeypatch.delenv("NETBOX_API_TOKEN", raising=False)
    code, _, err = run_cli("netbox", "push", REPO / "examples/dgx-h100-su.yaml", "--url", NOWHERE)
    assert code == 2 and "set NETBOX_TOKEN" in err


@pytest.mark.usefixtures("token")
def test_unknown_netbox_version_names_the_option_and_the_known_ones(run_cli: Run) -> None:
    code, _, err = run_cli("netbox", "push", REPO / "examples/dgx-h100-su.yaml", "--url", NOWHERE,
                           "--netbox-version", "3.0")  # fmt: skip
    assert code == 2 and "--netbox-version" in err and "4.6, 4.7" in err


@pytest.mark.usefixtures("token")
def test_a_directory_without_plan_json_is_refused(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("netbox", "push", tmp_path, "--url", NOWHERE)
    assert code == 2 and "no plan.json" in err


@pytest.mark.usefixtures("token")
def test_an_unreachable_server_is_one_line_not_a_traceback(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("plan", REPO / "examples/dgx-h100-su.yaml", "-o", tmp_path / "b", "--outputs", "plan")
    assert code == 0, err
    code, _, err = run_cli("netbox", "push", tmp_path / "b", "--url", NOWHERE)
    assert code == 4 and "cannot be reached" in err and "Traceback" not in err
