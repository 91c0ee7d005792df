"""`refarch estimate` and `compare`: the --platforms list, where errors point in the spec, and target rows that
the site's limits cannot hold."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_SPEC, REPO, CliResult

Run = Callable[..., CliResult]
SERVE_EXAMPLE = REPO / "examples" / "serve-70b.yaml"
TARGET_EXAMPLE = REPO / "examples" / "train-70b-in-30-days.yaml"
WAFER_EXAMPLE = REPO / "examples" / "cerebras-cs3.yaml"


@pytest.mark.parametrize(
    ("platforms", "fragment"),
    [
        (",", "no system id"),
        (" , ", "no system id"),
        ("dgx-h100,dgx-h100", "dgx-h100 given more than once"),
        ("dgx-h100, dgx-h100 ", "dgx-h100 given more than once"),
        ("dgx-h100,,dgx-b200", "an empty system id"),
        ("dgx-h100,", "an empty system id"),
    ],
)
@pytest.mark.parametrize("command", ["estimate", "compare"])
def test_a_bad_platform_list_is_refused(
    run_cli: Run, tmp_path: Path, command: str, platforms: str, fragment: str
) -> None:
    extra = ("-o", tmp_path / "c.csv") if command == "compare" else ()
    code, out, err = run_cli(command, SERVE_EXAMPLE, "--platforms", platforms, *extra)
    assert code == 2 and "--platforms" in err and fragment in err and "refarch catalog list" in err
    assert not (tmp_path / "c.csv").exists() and "Traceback" not in out + err


def test_spaces_around_platform_ids_are_allowed(run_cli: Run) -> None:
    code, out, _ = run_cli("estimate", SERVE_EXAMPLE, "--platforms", " dgx-h100 , dgx-b200 ")
    assert code == 0 and "dgx-h100" in out and "dgx-b200" in out


def fixed_training(parallelism: str = "", preset: str = "llama3-8b", systems: int = 2) -> str:
    text = MINIMAL_SPEC.replace("llama3-8b", preset).replace("systems: 2", f"systems: {systems}")
    return text.replace("    systems:", f"    parallelism: {parallelism}\n    systems:") if parallelism else text


@pytest.mark.parametrize(
    ("spec", "code", "path", "fragment"),
    [
        (fixed_training("{tp: 16}", "llama3-70b", 4), 3, "workloads[0].parallelism.tp", "tp 16 must divide"),
        (fixed_training("{pp: 200}", "llama3-70b", 4), 3, "workloads[0].parallelism.pp", "pp 200 exceeds"),
        (fixed_training("", "llama3.1-405b", 1), 3, "workloads[0].systems", "the smallest size that fits is"),
        (
            fixed_training()
            .replace("dgx-h100", "dgx-a100")
            .replace("    systems:", "    precision: fp8\n    systems:"),
            2,
            "workloads[0].precision",
            "no fp8 peak",
        ),
    ],
)
def test_estimate_errors_point_at_the_field_to_change(
    run_cli: Run, write_spec: Callable[[str], Path], spec: str, code: int, path: str, fragment: str
) -> None:
    got, out, err = run_cli("estimate", write_spec(spec))
    assert got == code and "Traceback" not in out + err
    assert f"at '{path}'" in err and fragment in err and "workload 'w1'" in err


def test_a_fixed_tp_on_a_wafer_points_at_parallelism(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    text = WAFER_EXAMPLE.read_text().replace("    systems: 4\n", "    systems: 4\n    parallelism: {tp: 2}\n")
    code, _, err = run_cli("estimate", write_spec(text))
    assert code == 2 and "at 'workloads[0].parallelism'" in err and "data parallel" in err


def test_compare_shows_a_platform_the_site_cannot_hold_at_the_size_that_meets_the_target(
    run_cli: Run, tmp_path: Path
) -> None:
    """cs-2 needs more wafers for the serving target than the example's site allows: its row is there, at the
    size that meets the target, and site_problems says what the site cannot take."""
    output = tmp_path / "c.csv"
    code, _, err = run_cli("compare", SERVE_EXAMPLE, "--platforms", "cs-2,dgx-h100", "-o", output)
    assert code == 0, err
    rows = {row["platform"]: row for row in csv.DictReader(output.open(encoding="utf-8"))}
    assert set(rows) == {"cs-2", "dgx-h100"}
    assert float(rows["cs-2"]["output_tokens_per_second"]) >= 20000
    assert "over the site's" in rows["cs-2"]["site_problems"] and rows["dgx-h100"]["site_problems"] == ""


def test_estimate_on_one_platform_the_site_cannot_hold_says_so(run_cli: Run) -> None:
    code, out, _ = run_cli("estimate", SERVE_EXAMPLE, "--platforms", "cs-2")
    assert code == 0 and "site cannot take chat-70b on cs-2" in out and "facility power" in out


def test_a_target_met_at_no_size_is_shown_at_the_fastest_and_says_why(run_cli: Run) -> None:
    code, out, err = run_cli("estimate", TARGET_EXAMPLE, "--platforms", "cs-2")
    assert code == 0 and "meets the target at no size" in err
    assert "one per sequence of the global batch" in err  # 512 sequences: 512 wafers at most
    assert " 512 " in out


def test_compare_into_a_missing_directory_fails_before_estimating(run_cli: Run, tmp_path: Path) -> None:
    code, out, err = run_cli("compare", SERVE_EXAMPLE, "--platforms", "dgx-h100,dgx-b200", "-o", tmp_path / "no/c.csv")
    assert code == 4 and "is not a directory" in err and "platform comparison" not in out
