"""`refarch estimate` and `compare`: the --platforms list, where errors point in the spec, and target rows that
the site's limits cannot hold."""

from __future__ import annotations

import csv
import json
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
    assert code == 2 and "error: option --platforms: " in err and fragment in err and "refarch catalog list" in err
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
        (
            fixed_training("", "llama3.1-405b", 1).replace("dgx-h100", "cs-2"),
            3,
            "workloads[0].model.seq_len",
            "the longest sequence that fits is 2252 tokens",
        ),
    ],
)
def test_estimate_errors_point_at_the_field_to_change(
    run_cli: Run, write_spec: Callable[[str], Path], spec: str, code: int, path: str, fragment: str
) -> None:
    got, out, err = run_cli("estimate", write_spec(spec))
    assert got == code and "Traceback" not in out + err
    assert f"at '{path}'" in err and fragment in err and "workload 'w1'" in err


def test_a_fixed_tp_on_a_wafer_points_at_the_degree(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    text = WAFER_EXAMPLE.read_text().replace("    systems: 4\n", "    systems: 4\n    parallelism: {tp: 2}\n")
    code, _, err = run_cli("estimate", write_spec(text))
    assert code == 2 and "at 'workloads[0].parallelism.tp'" in err and "data parallel" in err


def test_several_broken_degrees_point_at_the_first(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    code, _, err = run_cli("estimate", write_spec(fixed_training("{tp: 16, pp: 200}", "llama3-70b", 4)))
    assert code == 3 and "at 'workloads[0].parallelism.tp'" in err
    assert "tp 16 must divide" in err and "pp 200 exceeds" in err


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        (fixed_training("{tp: 16}", "llama3-70b", 4), "workloads[0].parallelism.tp", "tp 16 must divide"),
        (fixed_training("", "llama3.1-405b", 1), "workloads[0].systems", "the smallest size that fits is"),
    ],
)
def test_plan_warns_where_a_fixed_size_has_no_estimate(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path, spec: str, path: str, fragment: str
) -> None:
    """`plan` keeps a fixed-size workload whose estimate fails and warns instead (target_sizing.fixed_estimate),
    pointing at the field to change; plan.json keeps the warning without the spec's file name."""
    code, out, err = run_cli("plan", write_spec(spec), "-o", tmp_path / "bundle")
    assert code == 0, err
    expected = f"no performance estimate (spec at '{path}'): workload 'w1'"
    assert expected in out + err and fragment in out + err
    (warning,) = [w for w in json.loads((tmp_path / "bundle" / "plan.json").read_text())["warnings"] if expected in w]
    assert fragment in warning and ".yaml" not in warning


def target_spec(example: Path, old: str, new: str) -> str:
    text = example.read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        (
            target_spec(TARGET_EXAMPLE, "    precision: bf16", "    precision: bf16\n    parallelism: {tp: 16}"),
            "workloads[0].parallelism.tp",
            "tp 16 must divide the 64 attention heads",
        ),
        (
            target_spec(SERVE_EXAMPLE, "    precision: bf16", "    precision: bf16\n    parallelism: {tp: 16}"),
            "workloads[0].parallelism.tp",
            "tp 16 is not one of [1, 2, 4, 8]",
        ),
        (
            target_spec(SERVE_EXAMPLE, "preset: llama3-70b", "preset: llama3.1-405b"),
            "workloads[0].model",
            "fits with fp8 weights",
        ),
    ],
    ids=["training-tp", "inference-tp", "model-too-big"],
)
def test_a_target_no_size_of_the_platform_runs_points_at_the_cause(
    run_cli: Run, write_spec: Callable[[str], Path], spec: str, path: str, fragment: str
) -> None:
    code, out, err = run_cli("estimate", write_spec(spec), "--platforms", "dgx-a100")
    assert code == 3 and "Traceback" not in out + err
    assert "spec.yaml" in err and f"at '{path}'" in err and fragment in err
    assert "on dgx-a100" in err and ("'pretrain-70b'" in err or "'chat-70b'" in err)


def test_a_workload_with_no_estimate_on_any_platform_is_an_error(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path
) -> None:
    spec = write_spec(target_spec(SERVE_EXAMPLE, "preset: llama3-70b", "preset: llama3.1-405b"))
    code, out, err = run_cli("estimate", spec, "--platforms", "dgx-a100,dgx-h100")
    assert code == 3 and "Traceback" not in out + err
    assert "chat-70b on dgx-a100: no estimate:" in err and "chat-70b on dgx-h100: no estimate:" in err
    assert "at 'workloads[0].model'" in err and "has an estimate on none of dgx-a100, dgx-h100" in err
    output = tmp_path / "c.csv"
    code, _, err = run_cli("compare", spec, "--platforms", "dgx-a100,dgx-h100", "-o", output)
    assert code == 3 and "has an estimate on none of" in err and not output.exists()


def test_a_platform_with_no_estimate_is_named_and_the_others_are_shown(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    spec = write_spec(target_spec(SERVE_EXAMPLE, "preset: llama3-70b", "preset: llama3.1-405b"))
    code, out, err = run_cli("estimate", spec, "--platforms", "dgx-a100,cs-2")
    assert code == 0, err
    assert "chat-70b on dgx-a100: no estimate:" in err and "does not fit dgx-a100" in err
    assert "cs-2" in out and "dgx-a100" not in out


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
    assert rows["cs-2"]["meets_target"] == rows["dgx-h100"]["meets_target"] == "yes"


def test_estimate_on_one_platform_the_site_cannot_hold_says_so(run_cli: Run) -> None:
    """One platform is shown as in a comparison: at the fewest systems that meet the target, with what the site
    cannot take and what would help, rather than an error naming neither file nor workload."""
    code, out, _ = run_cli("estimate", SERVE_EXAMPLE, "--platforms", "cs-2")
    assert code == 0 and "site cannot take chat-70b on cs-2 at the fewest systems that meet the target" in out
    assert "facility power" in out and "relax the target or try another platform" in out
    assert table_cells(out, "cs-2")[-2:] == ["met", "no"]  # the target and site columns
    code, out, _ = run_cli("estimate", SERVE_EXAMPLE, "--platforms", "cs-2", "--json")
    (record,) = json.loads(out)
    assert record["meets_target"] is True and record["systems"] > 3 and record["site_problems"]


def test_a_training_target_the_site_cannot_hold_is_shown_beyond_its_limits(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    """Training targets behave as inference ones: the fewest systems that meet them, whatever the site allows."""
    spec = write_spec(target_spec(TARGET_EXAMPLE, "power_budget: 3 MW", "power_budget: 300 kW"))
    code, out, err = run_cli("estimate", spec, "--platforms", "dgx-h100", "--json")
    assert code == 0, err
    (record,) = json.loads(out)
    assert record["meets_target"] is True and record["time_to_train_s"]["with_goodput"] <= 30 * 86400
    assert any("over the site's 300 kW" in p for p in record["site_problems"])


def test_a_training_target_no_size_meets_is_shown_at_what_the_site_allows(run_cli: Run, tmp_path: Path) -> None:
    """cs-2 trains data parallel only, one wafer per sequence: even 512 wafers take longer than 30 days."""
    code, out, err = run_cli("estimate", TARGET_EXAMPLE, "--platforms", "cs-2")
    assert code == 0, err
    assert table_cells(out, "cs-2")[-2:] == ["missed", "ok"]  # the target and site columns
    assert "pretrain-70b on cs-2 misses the target at the size shown" in out
    assert "512 systems (one per sequence of the global batch" in out
    assert "shown at the most the site's limits allow, 80 systems" in out
    code, out, err = run_cli("estimate", TARGET_EXAMPLE, "--platforms", "cs-2", "--json")
    (record,) = json.loads(out)
    assert record["meets_target"] is False and record["systems"] == 80 and record["site_problems"] == []
    assert record["target_note"].startswith("no size does") and "80 systems" in record["target_note"]
    assert "misses the target" in err  # stdout holds the JSON alone
    output = tmp_path / "c.csv"
    code, out, err = run_cli("compare", TARGET_EXAMPLE, "--platforms", "cs-2,dgx-h100", "-o", output)
    assert code == 0, err
    with output.open(encoding="utf-8") as handle:
        rows = {row["platform"]: row for row in csv.DictReader(handle)}
    assert {p: row["meets_target"] for p, row in rows.items()} == {"cs-2": "no", "dgx-h100": "yes"}
    assert "512 systems" in rows["cs-2"]["target_note"] and rows["dgx-h100"]["target_note"] == ""
    assert "misses the target" in out and "target_note" not in out  # a note below the table, not a column


def test_a_target_no_size_meets_on_a_site_too_small_for_any_is_shown_at_the_largest_size_tried(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    """A 10 kW site holds no CS-2: the row is the largest size tried, and the note says what bounds it."""
    spec = write_spec(target_spec(TARGET_EXAMPLE, "power_budget: 3 MW", "power_budget: 10 kW"))
    code, out, err = run_cli("estimate", spec, "--platforms", "cs-2")
    assert code == 0, err
    assert table_cells(out, "cs-2")[-2:] == ["missed", "no"]
    shown = "shown at the largest size refarch tried, 512 systems (one per sequence of the global batch"
    assert shown in out and "over the site's 10 kW" in out


def test_an_inference_target_no_size_meets_is_shown_at_what_the_site_allows(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    """No replica prefills 2048 tokens in a millisecond: more systems do not help, so the rows stay on the site."""
    spec = write_spec(target_spec(SERVE_EXAMPLE, "ttft_p99: 1 s", "ttft_p99: 0.001 s"))
    code, out, err = run_cli("estimate", spec, "--platforms", "dgx-h100,dgx-b200", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["platform"] for r in records] == ["dgx-h100", "dgx-b200"]
    assert all(r["meets_target"] is False and r["site_problems"] == [] for r in records)
    assert err.count("misses the target at the size shown") == 2 and "over the 0.001 s TTFT limit" in err


def test_fixed_size_rows_have_no_target(run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path) -> None:
    code, out, err = run_cli("estimate", write_spec(MINIMAL_SPEC), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["meets_target"] is None
    code, out, err = run_cli("estimate", write_spec(MINIMAL_SPEC))
    assert code == 0 and "target" not in out and table_cells(out, "dgx-h100")[-1] == "ok"
    output = tmp_path / "c.csv"
    code, _, err = run_cli("compare", write_spec(MINIMAL_SPEC), "--platforms", "dgx-h100,dgx-b200", "-o", output)
    assert code == 0, err
    assert {row["meets_target"] for row in csv.DictReader(output.open(encoding="utf-8"))} == {""}


def test_compare_into_a_missing_directory_fails_before_estimating(run_cli: Run, tmp_path: Path) -> None:
    code, out, err = run_cli("compare", SERVE_EXAMPLE, "--platforms", "dgx-h100,dgx-b200", "-o", tmp_path / "no/c.csv")
    assert code == 4 and "is not a directory" in err and "platform comparison" not in out


def table_cells(out: str, platform: str) -> list[str]:
    """The cells of the one table row on `platform`."""
    (line,) = [line for line in out.splitlines() if line.startswith("│") and f" {platform} " in line]
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_compare_prints_a_table_per_kind_with_the_site_problems_below(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terminal table leaves out what the CSV has empty for every row (training columns on inference), and
    says only ok/no for the site, with the reasons below, so that it fits a terminal; the CSV keeps every column."""
    monkeypatch.setenv("COLUMNS", "250")
    output = tmp_path / "c.csv"
    code, out, err = run_cli("compare", SERVE_EXAMPLE, "--platforms", "dgx-h100,cs-2", "-o", output)
    assert code == 0, err
    assert "inference comparison" in out and "training comparison" not in out
    header = next(line for line in out.splitlines() if "platform" in line and "systems" in line)
    assert "mfu" not in header and "energy_mwh" not in header and "output_tokens_per_second" in header
    assert table_cells(out, "cs-2")[-1] == "no" and table_cells(out, "dgx-h100")[-1] == "ok"
    assert "site cannot take chat-70b on cs-2" in out
    with output.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"mfu", "energy_mwh", "site_problems"} <= set(rows[0]) and rows[1]["site_problems"]


def test_compare_help_names_its_default_output(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--help` renders markdown: a default written as <spec name> would vanish as an HTML tag."""
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_cli("compare", "--help")
    assert code == 0 and "[default: NAME-compare.csv, NAME being the spec's metadata.name]" in out
