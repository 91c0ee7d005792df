"""`refarch estimate`, `compare`, `calibrate`, `perf report` and target-driven `plan` from the command line."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog
from tests.conftest import EXAMPLES, REPO, CliResult

EXAMPLES_DIR = REPO / "examples"

Run = Callable[..., CliResult]
TARGET_EXAMPLE = REPO / "examples" / "train-70b-in-30-days.yaml"
SERVE_EXAMPLE = REPO / "examples" / "serve-70b.yaml"
WAFER_EXAMPLE = REPO / "examples" / "cerebras-cs3.yaml"
REQUIRED = {
    "training": {
        "platform", "accelerators", "parallelism", "step_time_s", "tokens_per_second",
        "tokens_per_second_per_accelerator", "model_tflops_per_accelerator", "mfu", "memory_per_accelerator_gb",
        "time_to_train_s", "energy_mwh", "confidence", "calibrated_on",
    },
    "inference": {
        "platform", "systems", "accelerators", "replicas", "tp", "parallelism", "output_tokens_per_second",
        "output_tokens_per_second_per_stream", "ttft_s", "memory_per_accelerator_gb", "kv_cache_gb_per_accelerator",
        "confidence", "calibrated_on",
    },
}  # fmt: skip


def check_record(record: dict[str, Any]) -> None:
    """Fields and internal consistency of one `estimate --json` record."""
    assert set(record) >= REQUIRED[record["kind"]]
    assert set(record["parallelism"]) >= {"tp", "pp", "dp", "cp"}
    low, high = record["confidence"]["low"], record["confidence"]["high"]
    if record["kind"] == "inference":
        assert low < record["output_tokens_per_second"] < high
        assert (
            record["output_tokens_per_second"]
            <= record["replicas"] * record["streams_per_replica"] * (record["output_tokens_per_second_per_stream"])
        )
        assert record["replicas"] * record["parallelism"]["tp"] * record["parallelism"]["pp"] <= record["accelerators"]
        return
    assert low < record["tokens_per_second"] < high
    # A weight-streaming wafer on a large model waits on its I/O: its MFU may fall far below a GPU's.
    assert (0.05 if record["memory_kind"] == "hbm" else 0.0) < record["mfu"] < 0.8
    ideal, real = record["time_to_train_s"]["ideal"], record["time_to_train_s"]["with_goodput"]
    assert real > ideal  # goodput below 1 always costs time


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_estimate_json_has_every_field(run_cli: Run, example: Path) -> None:
    code, out, err = run_cli("estimate", example, "--json")
    assert code == 0, err
    records = json.loads(out)
    assert records
    for record in records:
        check_record(record)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_compare_works_on_every_example(run_cli: Run, example: Path, tmp_path: Path) -> None:
    target = tmp_path / "cmp.csv"
    code, out, err = run_cli("compare", example, "--platforms", "dgx-h100,cs-3", "-o", target)
    assert code == 0, err
    assert "Traceback" not in out + err
    rows = list(csv.DictReader(target.open()))
    assert rows and {r["platform"] for r in rows} <= {"dgx-h100", "cs-3"}
    for row in rows:
        assert float(row["capex_usd"]) > 0 and int(row["racks"]) >= 1
        measure = "output_tokens_per_second" if row["kind"] == "inference" else "tokens_per_second"
        assert float(row[measure]) > 0


def test_wafer_example_is_estimated_with_the_wafer_model(run_cli: Run) -> None:
    code, out, err = run_cli("estimate", WAFER_EXAMPLE, "--json")
    assert code == 0, err
    (record,) = json.loads(out)
    assert record["platform"] == "cs-3" and record["accelerators"] == 4 and record["memory_kind"] == "wafer-sram"
    assert record["parallelism"]["dp"] == 4 and record["parallelism"]["micro_batches"] >= 1
    assert record["memory_per_accelerator_gb"] <= record["memory_breakdown_gb"]["sram_capacity"]
    assert "CS-2 runs" in record["calibrated_on"] and "wse-3" in record["calibrated_on"]
    code, out, _ = run_cli("estimate", TARGET_EXAMPLE, "--json", "--platforms", "dgx-h100")
    gpu_band = json.loads(out)[0]["band"]
    assert record["band"] > gpu_band  # thin wafer data: a wider band than the GPU model's


def test_target_plan_meets_its_target_at_the_lowest_cost(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("plan", TARGET_EXAMPLE, "-o", tmp_path / "b")
    assert code == 0, err
    plan = json.loads((tmp_path / "b" / "plan.json").read_text())
    estimate = plan["performance"][0]
    assert plan["compute"][0]["sizing"] == "target"
    assert estimate["time_to_train_s"] <= estimate["target_time_to_train_s"]
    assert plan["summary"]["facility_power_kw"] <= 3000
    # One system fewer would miss the target: the size is the smallest that meets it.
    code, out, _ = run_cli("estimate", TARGET_EXAMPLE, "--json", "--platforms", estimate["platform"])
    assert code == 0
    assert json.loads(out)[0]["systems"] == estimate["systems"]


def test_compare_writes_a_csv_row_per_platform(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "cmp.csv"
    code, _, err = run_cli("compare", TARGET_EXAMPLE, "--platforms", "dgx-h100,dgx-b200", "-o", target)
    assert code == 0, err
    rows = list(csv.DictReader(target.open()))
    assert [r["platform"] for r in rows] == ["dgx-h100", "dgx-b200"]
    assert all(float(r["time_to_train_days"]) <= 30 for r in rows)
    assert int(rows[0]["systems"]) > int(rows[1]["systems"])  # B200 is faster per GPU, so fewer systems
    code, _, err = run_cli("compare", TARGET_EXAMPLE, "--platforms", "dgx-h100,dgx-b200", "-o", target)
    assert code == 4 and "--force" in err  # never silently overwritten


def test_compare_costs_each_row_by_its_whole_design(run_cli: Run, tmp_path: Path, catalog: Catalog) -> None:
    target = tmp_path / "cmp.csv"
    code, _, err = run_cli("compare", TARGET_EXAMPLE, "--platforms", "dgx-h100,cs-2", "-o", target)
    assert code == 0, err
    rows = {r["platform"]: r for r in csv.DictReader(target.open())}
    h100 = rows["dgx-h100"]
    # The same size planned as a fixed workload: compare's figures are that plan's.
    text = TARGET_EXAMPLE.read_text().replace(
        "    target:\n      time_to_train: 30 days", f"    platform: dgx-h100\n    systems: {h100['systems']}"
    )
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(re.sub(r"#.*", "", text))
    plan = plan_spec(load_spec(fixed), catalog)
    assert float(h100["capex_usd"]) == pytest.approx(plan.summary.capex_usd, abs=1)
    assert float(h100["facility_power_kw"]) == pytest.approx(plan.power.facility_power_kw, abs=0.1)
    assert int(h100["racks"]) == len(plan.racks)
    assert float(h100["capex_usd"]) > float(h100["systems_capex_usd"]) * 1.05  # fabrics, optics, racks, PDUs
    # CS-2 is shown at the most systems the site's limits allow by the systems alone; its whole design is more.
    assert "its whole design needs" in rows["cs-2"]["site_problems"]


def test_estimate_and_compare_say_which_platforms_the_site_cannot_take(run_cli: Run, tmp_path: Path) -> None:
    # The example's site is air and rear-door cooled with 40 kW racks: a GB200 NVL72 rack needs liquid and 120 kW.
    code, out, err = run_cli("estimate", TARGET_EXAMPLE, "--json", "--platforms", "dgx-h100,gb200-nvl72")
    assert code == 0, err
    problems = {r["platform"]: r["site_problems"] for r in json.loads(out)}
    assert problems["dgx-h100"] == []
    assert any("needs liquid cooling" in p for p in problems["gb200-nvl72"])
    assert any("120.0 kW, over the 40.0 kW rack limit" in p for p in problems["gb200-nvl72"])
    target = tmp_path / "cmp.csv"
    code, _, err = run_cli("compare", TARGET_EXAMPLE, "--platforms", "dgx-h100,gb200-nvl72", "-o", target)
    assert code == 0, err
    rows = {r["platform"]: r["site_problems"] for r in csv.DictReader(target.open())}
    assert rows["dgx-h100"] == "" and "needs liquid cooling" in rows["gb200-nvl72"]


def test_estimate_says_when_a_fixed_size_exceeds_the_site(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    # 31 DGX H100 at 10.2 kW x PUE 1.3 need about 411 kW of facility power and cost $7.1M at catalog prices.
    text = (EXAMPLES_DIR / "dgx-h100-su.yaml").read_text()
    text = text.replace("site:\n", "site:\n  power_budget: 300 kW\n  max_racks: 4\n").replace(
        "workloads:\n", "budget: 1000000 USD\nworkloads:\n"
    )
    code, out, err = run_cli("estimate", write_spec(text), "--json")
    assert code == 0, err
    (record,) = json.loads(out)
    found = " | ".join(record["site_problems"])
    assert "kW of facility power, over the site's 300 kW" in found
    assert "racks, over the site's 4" in found
    assert "over the $1,000,000 budget" in found
    code, out, err = run_cli("estimate", write_spec(text))
    assert code == 0 and "site cannot take pretrain-70b on dgx-h100" in out


def test_a_batch_too_small_for_the_cluster_leaves_accelerators_idle_and_says_so(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    text = (EXAMPLES_DIR / "dgx-h100-su.yaml").read_text().replace("global_batch_seqs: 1024", "global_batch_seqs: 16")
    code, out, err = run_cli("estimate", write_spec(text), "--json")
    assert code == 0, err
    (record,) = json.loads(out)
    assert record["parallelism"]["dp"] <= 16 and record["accelerators"] < 31 * 8
    notes = {a["id"]: a["text"] for a in record["assumptions"]}
    assert f"keeps {record['accelerators']} of 248 accelerators busy" in notes["perf-pretrain-70b-idle-accelerators"]
    code, out, err = run_cli("estimate", write_spec(text))
    (line,) = [line for line in out.splitlines() if "accelerators busy" in line]
    assert code == 0 and line.startswith("on dgx-h100: Workload 'pretrain-70b' keeps"), line  # named once
    fixed = text.replace("    systems: 31", "    systems: 31\n    parallelism: {dp: 31}")
    code, out, err = run_cli("estimate", write_spec(fixed))
    assert code == 3 and "Traceback" not in out + err
    assert "dp 31 needs whole sequences on every replica: a global batch of 16 would round up to 31" in err


def test_calibrate_writes_a_file_plan_can_use(run_cli: Run, tmp_path: Path) -> None:
    rows = (REPO / "refarch" / "perf" / "data" / "calibration.csv").read_text().splitlines()
    subset = tmp_path / "m.csv"
    subset.write_text("\n".join([rows[0], *[r for r in rows[1:] if "mpt_" in r or "nemo" in r]]) + "\n")
    output = tmp_path / "cal.yaml"
    code, out, err = run_cli("calibrate", subset, "-o", output)
    assert code == 0, err
    assert "leave-one-source-out MAPE" in out and "in-sample MAPE" in out and output.exists()
    code, out, err = run_cli("estimate", EXAMPLES[1], "--json", "--calibration", output)
    assert code == 0, err
    assert "calibration" not in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("id,source\nx,y\n", "lacks columns"),
        ("not,a,calibration\n", "no data rows"),
        ("\udcff\udcfe,binary\n", "not a text file (UTF-8)"),
    ],
    ids=["missing-columns", "header-only", "binary"],
)
def test_calibrate_rejects_bad_files(run_cli: Run, tmp_path: Path, content: str, fragment: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content.encode("utf-8", "surrogateescape"))
    code, _, err = run_cli("calibrate", bad, "-o", tmp_path / "out.yaml")
    assert code == 2 and fragment in err and "bad.csv" in err


SHIPPED_CALIBRATION = REPO / "refarch" / "perf" / "data" / "calibration.yaml"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda text: "version: 1\nfamilies: {}\n", "not a refarch calibration"),
        (lambda text: "", "must hold a mapping"),
        (lambda text: "- 1\n- 2\n", "must hold a mapping"),
        (
            lambda text: text.replace("gemm: 0.750108", "gemm: 0.0"),
            "families.ampere.gemm is 0.0; it must lie in (0, 1]",
        ),
        (lambda text: text.replace("gemm: 0.750108", "gemm: 5.0"), "families.ampere.gemm is 5.0"),
        (lambda text: text.replace("gemm: 0.750108", "gemm: .nan"), "families.ampere.gemm is nan"),
        (lambda text: text.replace("dp_overlap: 0.601045", "dp_overlap: -1"), "shared.dp_overlap is -1"),
        (lambda text: text.replace("band_pct: 16.6927", "band_pct: 100"), "error.band_pct is 100"),
    ],
    ids=["no-families", "empty", "list", "gemm-zero", "gemm-above-peak", "nan", "negative-overlap", "band-100"],
)
def test_bad_calibration_file_is_a_clear_error(
    run_cli: Run, tmp_path: Path, edit: Callable[[str], str], fragment: str
) -> None:
    text = SHIPPED_CALIBRATION.read_text()
    changed = edit(text)
    assert changed != text
    bad = tmp_path / "cal.yaml"
    bad.write_text(changed)
    code, out, err = run_cli("estimate", TARGET_EXAMPLE, "--calibration", bad)
    assert code == 2 and fragment in err and "cal.yaml" in err and "Traceback" not in out + err


def test_model_too_big_for_the_cluster_names_the_smallest_that_fits(
    run_cli: Run, write_spec: Callable[[str], Path]
) -> None:
    spec = write_spec(
        "apiVersion: refarch/v1\nkind: Workload\nmetadata: {name: big}\nworkloads:\n  - name: w\n    type: training\n"
        "    model: {preset: llama3.1-405b}\n    tokens: 1T\n    platform: dgx-h100\n    systems: 1\n"
    )
    code, _, err = run_cli("estimate", spec)
    assert code == 3
    assert "fits on no layout of 8 x h100-sxm" in err and "the smallest size that fits is" in err


def test_perf_report_prints_errors_and_checks(run_cli: Run) -> None:
    code, out, err = run_cli("perf", "report")
    assert code == 0, err
    for fragment in ("per platform", "per source", "consistency checks", "leave-one-source-out MAPE"):
        assert fragment in out


@pytest.mark.parametrize("command", [("calibrate",), ("perf", "report")], ids=["calibrate", "perf-report"])
def test_one_source_cannot_be_judged_leave_one_out(run_cli: Run, tmp_path: Path, command: tuple[str, ...]) -> None:
    one = tmp_path / "one.csv"
    one.write_text(
        "id,source,accel,n_accel,model,seq_len,precision,metric,value\n"
        "x,only-one,H100,8,llama3-8b,8192,bf16,tokens/s/GPU,1000\n"
    )
    args = (
        [*command, one, "-o", tmp_path / "c.yaml"] if command == ("calibrate",) else [*command, "--measurements", one]
    )
    code, out, err = run_cli(*args)
    assert code == 2 and "at least two sources" in err and "one.csv" in err
    assert "Traceback" not in out + err


def test_wafer_model_parallel_layout_is_refused(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    text = WAFER_EXAMPLE.read_text().replace("    systems: 4\n", "    systems: 4\n    parallelism: {tp: 2}\n")
    code, out, err = run_cli("estimate", write_spec(text))
    assert code == 2 and "data parallel" in err and "Traceback" not in out + err


def test_unmeetable_inference_target_names_the_nearest_size(run_cli: Run, tmp_path: Path) -> None:
    spec = tmp_path / "serve-70b.yaml"
    spec.write_text(SERVE_EXAMPLE.read_text().replace("power_budget: 1 MW", "power_budget: 40 kW"))
    code, out, err = run_cli("plan", spec, "-o", tmp_path / "b")
    assert code == 3 and "Traceback" not in out + err
    assert "serve-70b.yaml:" in err and "at 'workloads[0].target'" in err
    assert re.search(r"nearest: \d+ x [a-z0-9-]+ \(the most the limits allow\) serves [\d,]+ output tokens/s", err)
    assert not (tmp_path / "b").exists()


def _unmeetable(limits: bool) -> str:
    """The 30-day example on DGX H100 alone: with the site's limits at 300 kW, or with no limits and 1,000T tokens
    (which 16,384 systems, refarch's cap, cannot train in 30 days on a 512-sequence batch)."""
    text = TARGET_EXAMPLE.read_text().replace("    precision: bf16", "    precision: bf16\n    platform: dgx-h100")
    if limits:
        return text.replace("power_budget: 3 MW", "power_budget: 300 kW")
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(("power_budget", "max_racks"))]
    return "\n".join(kept).replace("tokens: 2T", "tokens: 1000T") + "\n"


@pytest.mark.parametrize(
    ("limits", "nearest", "remedy"),
    [
        (True, "(the most the limits allow)", "raise the power budget, max_racks or budget, or relax time_to_train"),
        (False, "16,384 x dgx-h100 (the most refarch sizes)", "relax time_to_train, or raise global_batch_seqs"),
    ],
)
def test_an_unmet_target_suggests_what_would_meet_it(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path, limits: bool, nearest: str, remedy: str
) -> None:
    """Raising the site's limits is suggested only when they bound the nearest size, not at refarch's own cap."""
    code, out, err = run_cli("plan", write_spec(_unmeetable(limits)), "-o", tmp_path / "b")
    assert code == 3 and "at 'workloads[0].target.time_to_train'" in err and "Traceback" not in out + err
    assert nearest in err and remedy in err
    assert ("raise the power budget" in err) == limits


def test_the_sizing_note_says_what_bounds_a_platform_that_cannot_meet_the_target(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path
) -> None:
    """On a site ten times larger, CS-2 is bounded by the batch (one wafer per sequence), not by the site."""
    text = TARGET_EXAMPLE.read_text().replace("max_racks: 80", "max_racks: 800")
    spec = write_spec(text.replace("power_budget: 3 MW", "power_budget: 30 MW"))
    code, _, err = run_cli("plan", spec, "-o", tmp_path / "b")
    assert code == 0, err
    (compute,) = json.loads((tmp_path / "b" / "plan.json").read_text())["compute"]
    note = re.search(r"cannot meet the target within them: cs-2 \(([^)]*)\)", compute["sizing_note"])
    assert note is not None, compute["sizing_note"]
    systems, bound, days = note.group(1).split(", ")
    assert systems == "512 systems" and bound == "one per sequence of the global batch"
    assert float(days.removeprefix("need ").removesuffix(" days")) > 30
