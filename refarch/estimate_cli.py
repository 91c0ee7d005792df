"""CLI commands `estimate` and `compare`: the performance model on a spec's training workloads."""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from refarch.catalog import Catalog, load_catalog
from refarch.errors import InfeasibleError, InputError, Location, NotSupportedError, OutputError
from refarch.perf.calibration_file import Calibration
from refarch.perf.estimate import TrainingEstimate, estimate_training
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.target import candidate, fewest_systems, max_systems
from refarch.perf_cli import CalibrationOption, CatalogDirs, resolve_calibration
from refarch.plan import WorkloadPlan
from refarch.spec import Spec, load_spec
from refarch.target_sizing import site_limits, training_platforms
from refarch.workloads import resolve_workloads

__all__ = ["compare_command", "estimate_command"]

out = Console(highlight=False, soft_wrap=True)
COMPARE_COLUMNS = (
    "workload", "platform", "systems", "accelerators", "racks", "it_power_kw", "facility_power_kw", "capex_usd",
    "energy_mwh", "time_to_train_days", "tokens_per_second", "mfu", "band_pct",
)  # fmt: skip


def _training(spec: Spec, catalog: Catalog) -> list[tuple[int, WorkloadPlan]]:
    workloads, _ = resolve_workloads(spec, catalog)
    chosen = [(i, w) for i, w in enumerate(workloads) if w.workload_type == "training"]
    if not chosen:
        raise NotSupportedError(
            "the spec has no training workload; the inference model does not estimate from specs yet",
            spec.where("workloads"),
        )
    return chosen


def _estimates_for(
    spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, calibration: Calibration, platforms: list[str]
) -> list[TrainingEstimate]:
    """The workload at its fixed size (same accelerators on other platforms) or at the size meeting its target."""
    given = spec.workloads[index]
    limits = site_limits(spec, catalog, {})
    results = []
    for platform in _platforms(spec, catalog, index, workload, platforms):
        if workload.target:
            meeting, fastest = fewest_systems(
                workload, platform, calibration, workload.target["time_to_train"],
                max_systems(platform, limits), spec.network.oversubscription, spec.site.pue,
            )  # fmt: skip
            found = meeting or fastest
            if found is not None:
                results.append(found)
            continue
        accelerators = int(given.accelerators or 0) or int(given.systems or 0) * _per_system(spec, catalog, index)
        systems = math.ceil(accelerators / platform.accelerators_per_system)
        try:
            results.append(
                estimate_training(
                    workload, platform, systems, calibration, spec.network.oversubscription, spec.site.pue
                )
            )
        except (InfeasibleError, NotSupportedError) as exc:
            if len(platforms) > 1:
                out.print(f"[yellow]{platform.system_id}:[/yellow] {exc.message}")
                continue
            if exc.location is None and given.platform is not None:
                raise type(exc)(exc.message, spec.where("workloads", index, "platform"), exc.hint) from exc
            raise
    return results


def _per_system(spec: Spec, catalog: Catalog, index: int) -> int:
    return platform_from_catalog(catalog, str(spec.workloads[index].platform)).accelerators_per_system


def _platforms(spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, ids: list[str]) -> list[Platform]:
    if ids:
        return [platform_from_catalog(catalog, i, Location(None, "--platforms")) for i in ids]
    given = spec.workloads[index].platform
    if given is not None:
        return [platform_from_catalog(catalog, given, spec.where("workloads", index, "platform"))]
    return training_platforms(catalog, workload.precision)


def estimate_command(
    spec: Annotated[Path, typer.Argument(help="Workload spec (YAML).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    platforms: Annotated[
        str | None, typer.Option("--platforms", help="Comma-separated system ids [default: the spec's].")
    ] = None,
    calibration: CalibrationOption = None,
    catalog: CatalogDirs = None,
) -> None:
    """Estimate throughput, memory, time to train and energy for SPEC's training workloads.

    Fixed-size workloads are estimated at their size; target workloads on every candidate platform at the fewest
    systems that meet the target.
    """
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    used = resolve_calibration(calibration)
    ids = [p.strip() for p in platforms.split(",") if p.strip()] if platforms else []
    estimates = [
        e
        for index, workload in _training(workload_spec, hardware)
        for e in _estimates_for(workload_spec, hardware, index, workload, used, ids)
    ]
    if json_output:
        out.print_json(json.dumps([e.as_dict() for e in estimates], sort_keys=True))
        return
    _print_estimates(estimates)


def _days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 86400:,.1f} d"


def _print_estimates(estimates: list[TrainingEstimate]) -> None:
    table = Table(title="training estimates (calibrated; band is the leave-one-source-out error)")
    columns = ("workload", "platform", "systems", "tp/pp/dp/cp", "tokens/s/acc", "TFLOP/s/acc", "MFU", "mem GB",
               "ideal", "with goodput", "energy MWh", "band")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("workload", "platform") else "right")
    for e in estimates:
        p = e.parallelism
        table.add_row(
            e.workload, e.platform, str(e.systems), f"{p['tp']}/{p['pp']}/{p['dp']}/{p['cp']}",
            f"{e.tokens_per_second_per_accelerator:,.0f}", f"{e.model_tflops_per_accelerator:,.0f}",
            f"{e.mfu:.1%}", f"{e.memory_per_accelerator_gb:.0f}", _days(e.time_to_train_ideal_s),
            _days(e.time_to_train_s), "-" if e.energy_mwh is None else f"{e.energy_mwh:,.0f}", f"±{e.band:.0%}",
        )  # fmt: skip
    out.print(table)
    for e in estimates[:1]:
        out.print(f"calibrated on: {e.calibrated_on}")


def compare_command(
    spec: Annotated[Path, typer.Argument(help="Workload spec (YAML).")],
    platforms: Annotated[str, typer.Option("--platforms", help="Comma-separated system ids, e.g. dgx-h100,dgx-b200.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="CSV to write [default: <spec name>-compare.csv].")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing CSV.")] = False,
    calibration: CalibrationOption = None,
    catalog: CatalogDirs = None,
) -> None:
    """Compare platforms side by side for SPEC's training workloads and write the table as CSV."""
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    ids = [p.strip() for p in platforms.split(",") if p.strip()]
    if len(ids) < 2:
        raise InputError("compare needs at least two platforms", Location(None, "--platforms"), "e.g. a,b")
    target = output or Path(f"{workload_spec.metadata.name}-compare.csv")
    if target.exists() and not force:
        raise OutputError("file exists; pass --force to replace it", Location(target))
    used = resolve_calibration(calibration)
    limits = site_limits(workload_spec, hardware, {})
    rows = []
    for index, workload in _training(workload_spec, hardware):
        for e in _estimates_for(workload_spec, hardware, index, workload, used, ids):
            rows.append(_compare_row(e, platform_from_catalog(hardware, e.platform), limits))
    _print_compare(rows)
    _write_csv(target, rows)
    out.print(f"comparison written to {target}")


def _compare_row(e: TrainingEstimate, platform: Platform, limits: object) -> dict[str, str]:
    site = candidate(e, platform, limits)  # type: ignore[arg-type]
    it_kw = e.systems * platform.system_power_w / 1000
    return {
        "workload": e.workload,
        "platform": e.platform,
        "systems": str(e.systems),
        "accelerators": str(e.accelerators),
        "racks": str(site.racks),
        "it_power_kw": f"{it_kw:.1f}",
        "facility_power_kw": f"{site.facility_power_w / 1000:.1f}",
        "capex_usd": f"{site.capex_usd:.0f}",
        "energy_mwh": "" if e.energy_mwh is None else f"{e.energy_mwh:.1f}",
        "time_to_train_days": "" if e.time_to_train_s is None else f"{e.time_to_train_s / 86400:.2f}",
        "tokens_per_second": f"{e.tokens_per_second:.0f}",
        "mfu": f"{e.mfu:.4f}",
        "band_pct": f"{e.band * 100:.0f}",
    }


def _print_compare(rows: list[dict[str, str]]) -> None:
    table = Table(title="platform comparison (capex from catalog prices; energy at max power x PUE)")
    for column in COMPARE_COLUMNS:
        table.add_column(column, justify="left" if column in ("workload", "platform") else "right")
    for row in rows:
        table.add_row(*(row[c] for c in COMPARE_COLUMNS))
    out.print(table)


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COMPARE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    try:
        with tempfile.NamedTemporaryFile("w", dir=path.parent or Path(), delete=False, encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
        Path(handle.name).replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write the comparison: {exc.strerror}", Location(path)) from exc
