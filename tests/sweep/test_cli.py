"""`refarch sweep`: on bad input one clear message and the documented exit code, never a traceback; progress on a
terminal's stderr only; `refarch schema sweep`."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

import refarch.cli.sweep as sweep_cli
import refarch.sweep.cluster as cluster_module

from ..conftest import CliResult
from .conftest import WriteSweep

Run = Callable[..., CliResult]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["{errors}/unknown-top-key.yaml"], 2, "unknown key 'axis' (did you mean 'axes'"),
        (["{errors}/price-unknown-id.yaml"], 2, "did you mean dgx-h100"),
        (["{tmp}/missing.yaml"], 2, "file not found"),
        (["{sweep}", "--workers", "0"], 2, "Invalid value for '--workers'"),
        (["{sweep}", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], 2, "--workers sizes the local cluster"),
        (["{sweep}", "--scheduler", "tcp://127.0.0.1:1"], 2, "cannot connect to the Dask scheduler at tcp://127.0.0.1:1"),
        (["{sweep}", "--scheduler", "nonsense"], 2, "cannot connect to the Dask scheduler at nonsense"),
        (["{sweep}", "-o", "{sweep}"], 4, "output path exists and is not a directory"),
        (["{sweep}", "--catalog", "{tmp}/no-catalog"], 2, "catalog directory not found"),
    ],
    ids=[
        "sweep-file-key", "catalog-id", "no-sweep-file", "no-workers", "workers-with-scheduler", "no-scheduler",
        "bad-address", "output-is-a-file", "no-catalog-overlay",
    ],
)  # fmt: skip
def test_bad_input_gives_one_message_and_exit_code(
    run_cli: Run, write_sweep: WriteSweep, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
    code: int, message: str,
) -> None:  # fmt: skip
    monkeypatch.setattr(cluster_module, "_CONNECT_TIMEOUT_S", 1)
    places = {"errors": Path(__file__).parent / "errors", "tmp": tmp_path, "sweep": write_sweep()}
    argv = [a.format(**places) for a in args]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out")]
    result, out, err = run_cli("sweep", *argv)
    assert result == code
    assert message in " ".join(err.split())
    assert "Traceback" not in err and out == ""
    assert err.count("error:") <= 1


def test_schema_sweep_describes_the_sweep_file(run_cli: Run) -> None:
    code, out, _ = run_cli("schema", "sweep")
    assert code == 0
    assert '"combine"' in out and '"axes"' in out and "sweep-v1.json" in out


@pytest.mark.parametrize(("flags", "shown"), [([], True), (["--quiet"], False)], ids=["terminal", "quiet"])
def test_progress_goes_to_a_terminal_stderr_only(
    run_cli: Run, write_sweep: WriteSweep, threads_scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    flags: list[str], shown: bool,
) -> None:  # fmt: skip
    terminal = io.StringIO()
    monkeypatch.setattr(sweep_cli, "err", Console(file=terminal, force_terminal=True, width=120))
    code, out, err = run_cli("sweep", write_sweep(), "-o", tmp_path / "out", "--scheduler", threads_scheduler, *flags)
    assert code == 0, err
    assert ("4/4" in terminal.getvalue() and "scenarios/s" in terminal.getvalue()) is shown
    assert "t: 4 scenarios (4 feasible)" in out and "scenarios/s" in out  # the summary, on stdout
    assert b"scenarios/s" not in b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
