"""Running sweeps on an in-process Dask cluster: the files and their manifest, byte-identical outputs whatever the
order, resume (finished scenarios are not planned again), torn and damaged results files, the directory rules."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from refarch.errors import OutputError
from refarch.sweep.evaluate import Inputs
from refarch.sweep.results_file import RESULTS_FILE, ResultsLog
from refarch.sweep.run import RunOptions, SweepReport, run_sweep
from refarch.sweep.sweepfile import load_sweep

from .conftest import BASE, SMALL_AXES, SWEEP_HEAD, WriteSweep


def _run(
    sweep_file: Path, inputs: Inputs, outdir: Path, scheduler: str, force: bool = False, batch: int | None = None
) -> SweepReport:
    sweep = load_sweep(sweep_file, inputs.catalog)
    return run_sweep(sweep, inputs, outdir, RunOptions(scheduler=scheduler, force=force, batch=batch))


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _lines(directory: Path) -> list[str]:
    return (directory / RESULTS_FILE).read_text().splitlines()


def test_run_writes_results_outputs_and_manifest(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    sweep = load_sweep(write_sweep(), inputs.catalog)
    report = run_sweep(
        sweep, inputs, tmp_path / "out", RunOptions(scheduler=threads_scheduler), lambda *c: calls.append(c)
    )
    files = _files(tmp_path / "out")
    outputs = {"sweep.csv", "sweep.parquet", "pareto.csv", "report.html", "report.pdf", "plots/pareto.svg"}
    assert {"manifest.json", RESULTS_FILE} | outputs <= set(files) and report.files == sorted(files)
    manifest = json.loads(files["manifest.json"])["files"]
    assert manifest == {n: hashlib.sha256(c).hexdigest() for n, c in files.items() if n != "manifest.json"}
    header, *rows = [json.loads(line) for line in _lines(tmp_path / "out")]
    assert header["scenarios"] == 4 and header["sweep"] == "t" and len(header["fingerprint"]) == 64
    assert [r["index"] for r in rows] == [0, 1, 2, 3]  # sorted once the sweep is done
    assert (report.scenarios, report.evaluated, report.resumed, report.statuses) == (4, 4, 0, {"feasible": 4})
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)


def test_outputs_are_byte_identical_whatever_the_order_results_came_in(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    sweep_file = write_sweep()
    _run(sweep_file, inputs, tmp_path / "one-a-task", threads_scheduler, batch=1)
    _run(sweep_file, inputs, tmp_path / "all-in-one", threads_scheduler, batch=4)
    reversed_dir = tmp_path / "reversed"
    reversed_dir.mkdir()
    header, *rows = _lines(tmp_path / "one-a-task")
    (reversed_dir / RESULTS_FILE).write_text("\n".join([header, *reversed(rows)]) + "\n")
    report = _run(sweep_file, inputs, reversed_dir, threads_scheduler)
    assert report.evaluated == 0
    reference = _files(tmp_path / "one-a-task")
    assert _files(tmp_path / "all-in-one") == reference
    assert _files(reversed_dir) == reference


@pytest.mark.parametrize(
    ("kept", "tail", "planned"),
    [(2, "", 2), (2, '{"scenario":"ab', 2), (0, "", 4), (4, "", 0)],
    ids=["half-done", "torn-last-line", "header-only", "all-done"],
)
def test_resume_plans_only_what_the_results_file_lacks(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path, plans: list[str], kept: int,
    tail: str, planned: int,
) -> None:  # fmt: skip
    sweep_file, out = write_sweep(), tmp_path / "out"
    _run(sweep_file, inputs, out, threads_scheduler)
    finished = _files(out)
    plans.clear()
    header, *rows = _lines(out)
    (out / RESULTS_FILE).write_text("\n".join([header, *rows[:kept]]) + "\n" + tail)
    report = _run(sweep_file, inputs, out, threads_scheduler)
    assert len(plans) == planned
    assert (report.resumed, report.evaluated) == (kept, 4 - kept)
    assert _files(out) == finished


def test_a_damaged_line_before_the_last_is_refused(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    sweep_file, out = write_sweep(), tmp_path / "out"
    _run(sweep_file, inputs, out, threads_scheduler)
    lines = _lines(out)
    lines[2] = lines[2][:20]
    (out / RESULTS_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(OutputError, match="line 3 of the results file is damaged"):
        _run(sweep_file, inputs, out, threads_scheduler)


def test_results_of_another_sweep_are_refused_unless_forced(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _run(write_sweep(file="a.yaml"), inputs, out, threads_scheduler)
    before = _files(out)
    other = write_sweep("  - {field: 'workloads[0].systems', values: [3]}\n", file="b.yaml")
    with pytest.raises(OutputError, match="results of another sweep") as raised:
        _run(other, inputs, out, threads_scheduler)
    assert "--force" in raised.value.hint
    assert _files(out) == before
    report = _run(other, inputs, out, threads_scheduler, force=True)
    assert (report.scenarios, report.evaluated) == (1, 1) and len(_lines(out)) == 2


def test_infeasible_and_invalid_scenarios_do_not_stop_the_sweep(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    axes = "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-h10]}\n"
    axes += "  - {field: site.power_budget, values: [20 kW, 5 MW]}\n  - {field: 'workloads[0].systems', values: [2]}\n"
    report = _run(write_sweep(axes), inputs, tmp_path / "out", threads_scheduler)
    assert report.statuses == {"feasible": 1, "infeasible": 1, "invalid": 2}
    with (tmp_path / "out" / "sweep.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows] == ["infeasible", "feasible", "invalid", "invalid"]
    assert "power budget" in rows[0]["problem"] and rows[1]["problem"] == "" and "dgx-h10" in rows[2]["problem"]


@pytest.mark.parametrize(
    ("setup", "force", "message"),
    [
        ("file", False, "not a directory"),
        ("file", True, "not a directory"),
        ("dangling-link", True, "not a directory"),
        ("other-files", False, "holds no results of this sweep"),
        ("inputs-inside", True, "an input of this sweep"),
    ],
    ids=["a-file", "a-file-even-with-force", "dangling-symlink", "other-files", "force-would-delete-the-inputs"],
)
def test_directories_a_sweep_refuses(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path, setup: str, force: bool,
    message: str,
) -> None:  # fmt: skip
    out = tmp_path / "out"
    sweep_file = write_sweep()
    if setup == "file":
        out.write_text("precious")
    elif setup == "dangling-link":
        out.symlink_to(tmp_path / "nowhere")
    elif setup == "other-files":
        out.mkdir()
        (out / "notes.txt").write_text("precious")
    else:
        out = tmp_path
    with pytest.raises(OutputError, match=message):
        _run(sweep_file, inputs, out, threads_scheduler, force=force)
    assert sweep_file.exists()
    if setup in ("file", "other-files"):
        assert "precious" in (out.read_text() if out.is_file() else (out / "notes.txt").read_text())


@pytest.mark.parametrize("setup", ["missing-parents", "empty"], ids=["created-with-parents", "empty-directory-used"])
def test_directories_a_sweep_uses(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path, setup: str
) -> None:
    out = tmp_path / "a" / "b" if setup == "missing-parents" else tmp_path / "empty"
    if setup == "empty":
        out.mkdir()
    report = _run(write_sweep(), inputs, out, threads_scheduler)
    assert report.evaluated == 4 and (out / "manifest.json").is_file()


def test_force_empties_a_directory_of_other_files(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "old" / "deep").mkdir(parents=True)
    (out / "notes.txt").write_text("old")
    _run(write_sweep(), inputs, out, threads_scheduler, force=True)
    assert not (out / "notes.txt").exists() and not (out / "old").exists()
    assert {"manifest.json", RESULTS_FILE, "sweep.csv", "report.pdf"} <= {p.name for p in out.iterdir()}


def test_a_results_file_in_use_is_refused(tmp_path: Path) -> None:
    header = {"refarch_sweep": 1, "fingerprint": "f"}
    with (
        ResultsLog(tmp_path / RESULTS_FILE, header, resume=False),
        pytest.raises(OutputError, match="another sweep is writing"),
    ):
        ResultsLog(tmp_path / RESULTS_FILE, header, resume=True)
    with ResultsLog(tmp_path / RESULTS_FILE, header, resume=True) as log:  # free again once closed
        assert log.earlier == []


def test_force_never_deletes_the_base_spec(inputs: Inputs, threads_scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "base.yaml").write_text(BASE.read_text())
    sweep_file = tmp_path / "sweeps" / "s.yaml"
    sweep_file.parent.mkdir()
    sweep_file.write_text(SWEEP_HEAD.format(name="t", base="../out/base.yaml", combine="zip") + SMALL_AXES)
    with pytest.raises(OutputError, match="an input of this sweep"):
        _run(sweep_file, inputs, out, threads_scheduler, force=True)
    assert (out / "base.yaml").read_text() == BASE.read_text()


def test_an_inline_spec_sweeps_like_a_base_file(
    write_sweep: WriteSweep, inputs: Inputs, threads_scheduler: str, tmp_path: Path
) -> None:
    inline = tmp_path / "inline.yaml"
    spec = "\n".join("  " + line for line in BASE.read_text().splitlines() if line and not line.startswith("#"))
    inline.write_text(
        SWEEP_HEAD.replace("base: {base}", "spec:\n" + spec).format(name="t", combine="product") + SMALL_AXES
    )
    _run(inline, inputs, tmp_path / "inline", threads_scheduler)
    _run(write_sweep(), inputs, tmp_path / "file", threads_scheduler)
    assert _lines(tmp_path / "inline")[1:] == _lines(tmp_path / "file")[1:]  # the same results, another fingerprint
