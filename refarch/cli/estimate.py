"""CLI commands `estimate` and `compare`: the performance model on a spec's training and inference workloads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from refarch.catalog.loader import Catalog, load_catalog
from refarch.catalog.models import System
from refarch.cli.console import make_console
from refarch.cli.options import CalibrationOption, CatalogDirs, SpecArgument, resolve_calibration
from refarch.errors import InputError, Location, OutputError
from refarch.inputs.files import write_atomically
from refarch.inputs.spec import Spec, load_spec
from refarch.perf.platform import platform_from_catalog
from refarch.perf.records import InferenceEstimate, InferenceResult, TrainingResult
from refarch.pipeline import candidate_designer
from refarch.sizing.estimate_rows import SYSTEM_IDS, Row, estimate_rows
from refarch.sizing.platform_choice import Candidate, DesignCost, Estimate, SiteLimits, candidate
from refarch.sizing.site_limits import design_problems, hosting_problems, site_problems, size_problems
from refarch.sizing.targets import site_limits

__all__ = ["compare_command", "estimate_command"]

out = make_console()
notes = make_console(stderr=True)
COMPARE_COLUMNS = (
    "workload", "kind", "platform", "systems", "accelerators", "racks", "it_power_kw", "facility_power_kw",
    "capex_usd", "systems_capex_usd", "energy_mwh", "time_to_train_days", "tokens_per_second", "mfu",
    "output_tokens_per_second", "ttft_s", "band_pct", "meets_target", "target_note", "site_problems",
)  # fmt: skip
_NOTE_COLUMNS = ("kind", "target_note", "site_problems")  # printed below the terminal table, not in it
PLATFORMS_HINT = f"comma-separated system ids, e.g. dgx-h100,dgx-b200 ({SYSTEM_IDS})"


def estimate_command(
    spec: SpecArgument,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    platforms: Annotated[
        str | None, typer.Option("--platforms", help="Comma-separated system ids [default: the spec's].")
    ] = None,
    calibration: CalibrationOption = None,
    catalog: CatalogDirs = None,
) -> None:
    """Estimate SPEC's workloads: throughput, memory, time to train and energy (training); output tokens/s, TTFT,
    replicas and KV cache (inference).

    Fixed-size workloads are estimated at their size; target workloads on every candidate platform at the fewest systems
    that meet the target, beyond the site's limits if need be. When no size meets it, the row shows the most the site's
    limits allow and a note below the table says that it misses the target, why, and what the largest size tried gives;
    the `target` column says met or missed (`meets_target` in JSON). The `site` column (`site_problems` in JSON) says
    whether the site's cooling, rack power, facility power, racks and budget can take each row; notes below the table
    say why not, and when a layout rounds the global batch up or leaves accelerators idle. A platform the model cannot
    run the workload on at any size gets a note on stderr instead of a row; a workload with no row at all is an error.
    """
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    ids = _platform_ids(platforms) if platforms is not None else []
    rows = estimate_rows(workload_spec, hardware, resolve_calibration(calibration), ids, notes.print)
    estimates = [r.estimate for r in rows]
    problems = _site_problems(workload_spec, hardware, estimates)
    if json_output:
        records = [
            r.estimate.as_json() | {"site_problems": p, "meets_target": r.meets_target, "target_note": r.miss}
            for r, p in zip(rows, problems, strict=True)
        ]
        out.print_json(json.dumps(records, sort_keys=True))
        _print_misses(rows, notes)  # stdout carries the JSON alone
        return
    _print_training([(r, p) for r, p in zip(rows, problems, strict=True) if isinstance(r.estimate, TrainingResult)])
    _print_inference([(r, p) for r, p in zip(rows, problems, strict=True) if isinstance(r.estimate, InferenceResult)])
    _print_misses(rows, out)
    _print_site_problems(rows, problems)
    for e in estimates:
        for note in e.layout_notes if isinstance(e, TrainingResult) else []:
            who = "" if f"'{e.workload}'" in note else f"{e.workload} "  # the note names its workload already
            out.print(f"[yellow]{who}on {e.platform}:[/yellow] {note}")
    for text in dict.fromkeys(e.record.calibrated_on for e in estimates):
        out.print(f"calibrated on: {text}")


def _print_misses(rows: list[Row], console: Console) -> None:
    for r in rows:
        if r.meets_target is False:
            e = r.estimate
            console.print(
                f"[yellow]{e.workload} on {e.platform} misses the target at the size shown:[/yellow] {r.miss}"
            )


def _platform_ids(text: str) -> list[str]:
    """The system ids of a --platforms value: comma-separated, none empty or repeated."""
    where = Location(None, "--platforms")
    hint = PLATFORMS_HINT
    ids = [part.strip() for part in text.split(",")]
    if not any(ids):
        raise InputError(f"no system id in {text!r}", where, hint)
    if "" in ids:
        raise InputError(f"an empty system id in {text!r} (two commas in a row, or one at an end)", where, hint)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)} given more than once", where, hint)
    return ids


def _site_problems(spec: Spec, catalog: Catalog, estimates: list[Estimate]) -> list[list[str]]:
    """Per estimate, what keeps it from being built on the spec's site (each workload on its own)."""
    limits = site_limits(spec, catalog, {})
    return [site_problems(spec, catalog, e, limits) for e in estimates]


def _site_column(problems: list[str]) -> str:
    return "no" if problems else "ok"


def _target_column(row: Row) -> str:
    return {None: "-", True: "met", False: "missed"}[row.meets_target]


def _print_site_problems(rows: list[Row], problems: list[list[str]]) -> None:
    for r, found in zip(rows, problems, strict=True):
        if found:
            e = r.estimate
            # A target row this big is the fewest systems that meet the target: say so, and what would let it fit.
            size = " at the fewest systems that meet the target" if r.meets_target else ""
            cure = "; to fit, raise these limits, relax the target or try another platform" if r.meets_target else ""
            out.print(f"[yellow]site cannot take {e.workload} on {e.platform}{size}:[/yellow] {'; '.join(found)}{cure}")


def _days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 86400:,.1f} d"


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in ("workload", "platform") else "right")
    return table


def _print_training(rows: list[tuple[Row, list[str]]]) -> None:
    if not rows:
        return
    targets = _has_targets(rows)
    table = _table(
        "training estimates (band: GPU leave-one-source-out error; wafers: their own, wider fit)",
        ("workload", "platform", "systems", "tp/pp/dp/cp", "tokens/s/acc", "TFLOP/s/acc", "MFU", "mem GB",
         "ideal", "with goodput", "energy MWh", "band", *(("target",) if targets else ()), "site"),
    )  # fmt: skip
    for r, problems in rows:
        assert isinstance(r.estimate, TrainingResult)
        e, p = r.estimate.record, r.estimate.record.parallelism
        table.add_row(
            e.workload, e.platform, str(e.systems), f"{p.tp}/{p.pp}/{p.dp}/{p.cp}",
            f"{e.tokens_per_second_per_accelerator:,.0f}", f"{e.model_tflops_per_accelerator:,.0f}",
            f"{e.mfu:.1%}", f"{e.memory_per_accelerator_gb:.0f}", _days(e.time_to_train_ideal_s),
            _days(e.time_to_train_s), "-" if e.energy_mwh is None else f"{e.energy_mwh:,.0f}",
            f"±{r.estimate.band.fraction:.0%}",
            *((_target_column(r),) if targets else ()), _site_column(problems),
        )  # fmt: skip
    out.print(table)


def _has_targets(rows: list[tuple[Row, list[str]]]) -> bool:
    """Whether a table needs the target column: specs with fixed sizes only keep the table they always had."""
    return any(r.meets_target is not None for r, _ in rows)


def _print_inference(rows: list[tuple[Row, list[str]]]) -> None:
    if not rows:
        return
    targets = _has_targets(rows)
    table = _table(
        "inference estimates (uncalibrated on GPUs; wafers anchored on two single-stream figures)",
        ("workload", "platform", "systems", "replicas", "streams/replica", "out tok/s", "per stream", "TTFT s",
         "mem GB/acc", "KV GB/acc", "band", *(("target",) if targets else ()), "site"),
    )  # fmt: skip
    for r, problems in rows:
        assert isinstance(r.estimate, InferenceResult)
        e, s = r.estimate, r.estimate.record
        table.add_row(
            e.workload, e.platform, str(e.systems), f"{s.replicas} x {e.replica}", str(s.streams_per_replica),
            f"{s.output_tokens_per_second:,.0f}", f"{s.output_tokens_per_second_per_stream:,.1f}", f"{s.ttft_s:.3g}",
            f"{s.memory_per_accelerator_gb:.1f}", f"{s.kv_cache_gb_per_accelerator:.1f}", f"±{e.band.fraction:.0%}",
            *((_target_column(r),) if targets else ()), _site_column(problems),
        )  # fmt: skip
    out.print(table)


def compare_command(
    spec: SpecArgument,
    platforms: Annotated[str, typer.Option("--platforms", help="Comma-separated system ids, e.g. dgx-h100,dgx-b200.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="CSV to write [default: NAME-compare.csv, NAME being the spec's metadata.name]."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing CSV.")] = False,
    calibration: CalibrationOption = None,
    catalog: CatalogDirs = None,
) -> None:
    """Compare platforms side by side for SPEC's workloads and write the table as CSV.

    Target workloads are compared at each platform's fewest systems that meet the target, beyond the site's limits
    if need be, so that no platform drops out for the site's sake; when no size meets it, at the most the site's
    limits allow, with `meets_target` "no" and a note saying why. Racks, power and capex are those of the whole
    design of each row (systems, fabrics, management, racks, power, cabling), as `plan` would lay it out for that
    workload alone; `systems_capex_usd` is the systems' share. The `site_problems` column says what keeps a row
    from fitting the site (empty when it fits). A platform the model cannot run the workload on at any size gets a
    note on stderr instead of a row.
    """
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    ids = _platform_ids(platforms)
    if len(ids) < 2:
        raise InputError("compare needs at least two platforms", Location(None, "--platforms"), PLATFORMS_HINT)
    target = output or Path(f"{workload_spec.metadata.name}-compare.csv")
    if target.exists() and not force:
        raise OutputError("file exists; pass --force to replace it", Location(target))
    folder = target.parent
    if not folder.is_dir():  # checked before the estimates, which take seconds, rather than after them
        raise OutputError(f"cannot write the comparison: {folder} is not a directory", Location(target))
    limits = site_limits(workload_spec, hardware, {})
    rows = estimate_rows(workload_spec, hardware, resolve_calibration(calibration), ids, notes.print)
    designer = candidate_designer(workload_spec, hardware)
    records, problems = [], []
    for row in rows:
        option = candidate(row.estimate, platform_from_catalog(hardware, row.estimate.platform), limits)
        design = designer(row.estimate.workload, option)
        found = _design_site_problems(workload_spec, hardware, row.estimate, design, limits)
        notes_of_row = {"meets_target": _yes_no(row.meets_target), "target_note": row.miss}
        record = _compare_row(option, design, limits.pue)
        records.append(record | notes_of_row | {"site_problems": "; ".join(found)})
        problems.append(found)
    _print_compare(records)
    _print_misses(rows, out)
    _print_site_problems(rows, problems)
    _write_csv(target, records)
    out.print(f"comparison written to {target}")


def _design_site_problems(
    spec: Spec, catalog: Catalog, estimate: Estimate, design: DesignCost, limits: SiteLimits
) -> list[str]:
    """What keeps a compare row's whole design from the site: one system's hosting (cooling, rack power), then the
    design's power, racks and capex, or, when it could not be designed, its systems' and why."""
    hosting = hosting_problems(spec, catalog.get(estimate.platform, System))
    if design.problem:
        size = size_problems(estimate, catalog, limits)
        return hosting + size + ([] if hosting else design_problems(design, limits))
    return hosting + design_problems(design, limits)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _compare_row(option: Candidate, design: DesignCost, pue: float) -> dict[str, str]:
    """A CSV row: the estimate, the whole design's racks, power and capex (empty when it cannot be designed) and
    the systems' share of the capex."""
    e = option.estimate.record
    row = {
        "workload": e.workload,
        "platform": e.platform,
        "systems": str(e.systems),
        "accelerators": str(e.accelerators),
        "systems_capex_usd": f"{option.capex_usd:.0f}",
        "band_pct": f"{option.estimate.band.fraction * 100:.0f}",
    }
    if not design.problem:
        row |= {
            "racks": str(design.racks),
            "it_power_kw": f"{design.facility_power_w / pue / 1000:.1f}",
            "facility_power_kw": f"{design.facility_power_w / 1000:.1f}",
            "capex_usd": f"{design.capex_usd:.0f}",
        }
    if isinstance(e, InferenceEstimate):
        return row | {
            "kind": "inference",
            "output_tokens_per_second": f"{e.output_tokens_per_second:.0f}",
            "ttft_s": f"{e.ttft_s:.4f}",
        }
    return row | {
        "kind": "training",
        "energy_mwh": "" if e.energy_mwh is None else f"{e.energy_mwh:.1f}",
        "time_to_train_days": "" if e.time_to_train_s is None else f"{e.time_to_train_s / 86400:.2f}",
        "tokens_per_second": f"{e.tokens_per_second:.0f}",
        "mfu": f"{e.mfu:.4f}",
    }


def _print_compare(records: list[dict[str, str]]) -> None:
    """The CSV's rows as a table per kind, without the columns that kind leaves empty, and with the site's problems
    as a yes/no column (the reasons follow the table) so that the table fits a terminal."""
    for kind, note in (("training", "; energy at max power x PUE"), ("inference", "")):
        chosen = [r for r in records if r["kind"] == kind]
        if not chosen:
            continue
        filled = [c for c in COMPARE_COLUMNS if c not in _NOTE_COLUMNS and any(r.get(c) for r in chosen)]
        title = f"{kind} comparison (whole designs; capex from catalog prices{note})"
        table = _table(title, (*filled, "site"))
        for r in chosen:
            table.add_row(*(r.get(c, "") for c in filled), "no" if r["site_problems"] else "ok")
        out.print(table)


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COMPARE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    try:
        write_atomically(path, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the comparison: {exc.strerror}", Location(path)) from exc
