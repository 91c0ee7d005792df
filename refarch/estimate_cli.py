"""CLI commands `estimate` and `compare`: the performance model on a spec's training and inference workloads."""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from refarch.catalog import Catalog, load_catalog
from refarch.console import make_console
from refarch.errors import InfeasibleError, InputError, Location, NotSupportedError, OutputError, RefarchError
from refarch.inference_targets import fixed_serving, inference_platforms
from refarch.perf.calibration_file import Calibration
from refarch.perf.estimate import TrainingEstimate, estimate_training, useful_systems
from refarch.perf.platform import MAX_SYSTEMS, Platform, platform_from_catalog
from refarch.perf.serving import ServingEstimate
from refarch.perf.target import Estimate, Outcome, SiteLimits, candidate
from refarch.perf_cli import CalibrationOption, CatalogDirs, resolve_calibration
from refarch.plan import WorkloadPlan
from refarch.site_fit import site_problems
from refarch.spec import Spec, load_spec
from refarch.target_sizing import platform_outcome, scale_out, site_limits, training_platforms
from refarch.workloads import resolve_workloads

__all__ = ["compare_command", "estimate_command"]

out = make_console()
notes = make_console(stderr=True)
COMPARE_COLUMNS = (
    "workload", "kind", "platform", "systems", "accelerators", "racks", "it_power_kw", "facility_power_kw",
    "capex_usd", "energy_mwh", "time_to_train_days", "tokens_per_second", "mfu", "output_tokens_per_second",
    "ttft_s", "band_pct", "site_problems",
)  # fmt: skip


def _estimates(spec: Spec, catalog: Catalog, calibration: Calibration, ids: list[str]) -> list[Estimate]:
    workloads, _ = resolve_workloads(spec, catalog)
    return [e for index, w in enumerate(workloads) for e in _estimates_for(spec, catalog, index, w, calibration, ids)]


def _estimates_for(
    spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, calibration: Calibration, ids: list[str]
) -> list[Estimate]:
    """The workload at its fixed size (same accelerators on other platforms) or at the size meeting its target."""
    limits = site_limits(spec, catalog, {})
    platforms = _platforms(spec, catalog, index, workload, ids)
    results = []
    for platform in platforms:
        try:
            results.append(_estimate_one(spec, catalog, index, workload, calibration, platform, limits))
        except (InfeasibleError, NotSupportedError) as exc:
            if len(platforms) > 1:
                notes.print(f"[yellow]{workload.name} on {platform.system_id}:[/yellow] {exc.message}")
                continue
            raise _located(spec, index, workload, platform, exc) from exc
    return results


def _located(
    spec: Spec, index: int, workload: WorkloadPlan, platform: Platform, exc: InfeasibleError | NotSupportedError
) -> RefarchError:
    """`exc` placed in the spec: at the field the model blamed, else the target (whose size the site's limits
    bound) or the platform, and naming the workload and platform when the model's message does not."""
    if exc.location is not None:
        return exc
    path = exc.field or _blamed_field(spec, index)
    message = exc.message
    if f"'{workload.name}'" not in message:
        message = f"workload '{workload.name}' on {platform.system_id}: {message}"
    hint = exc.hint
    if not hint and path == ("target",):
        hint = "raise the site's power_budget, max_racks or budget, relax the target, or try other --platforms"
    return type(exc)(message, spec.where("workloads", index, *path), hint)


def _estimate_one(
    spec: Spec,
    catalog: Catalog,
    index: int,
    workload: WorkloadPlan,
    calibration: Calibration,
    platform: Platform,
    limits: SiteLimits,
) -> Estimate:
    if workload.target:
        outcome = partial(platform_outcome, spec, catalog, index, workload, calibration, platform=platform)
        return _target_estimate(outcome, workload, platform, limits)
    systems = _systems_on(spec, catalog, index, platform)
    if workload.workload_type == "inference":
        return fixed_serving(spec, index, workload, platform, systems)
    return estimate_training(
        workload, platform, systems, calibration, scale_out(spec, catalog, platform), spec.site.pue
    )


def _target_estimate(
    outcome: Callable[[SiteLimits], Outcome], workload: WorkloadPlan, platform: Platform, limits: SiteLimits
) -> Estimate:
    """The fewest systems that meet the target: within the site's limits if they allow it, else beyond them (the
    site column then says what the site cannot take), so that a comparison shows every platform's price of the
    target instead of dropping the ones this site cannot host. With no size meeting it, the fastest size found.

    Raises:
        InfeasibleError: the model fits on no size of the platform.
    """
    within = outcome(limits)
    if within.meeting is not None:
        return within.meeting
    unbounded = replace(limits, power_w=None, racks=None, budget_usd=None)
    beyond = outcome(unbounded)
    if beyond.meeting is not None:
        return beyond.meeting
    closest = beyond.closest or within.closest
    reason = beyond.reason or within.reason
    if closest is None:
        raise InfeasibleError(reason or f"the model fits on no size of {platform.system_id}")
    notes.print(
        f"[yellow]{workload.name} on {platform.system_id}:[/yellow] meets the target at no size"
        f"{f' ({reason})' if reason else ''}; shown at the fastest size found, {closest.systems} systems"
        f"{_why_no_larger(workload, platform, closest.systems)}"
    )
    return closest


def _why_no_larger(workload: WorkloadPlan, platform: Platform, systems: int) -> str:
    """Why the fastest size is not larger: refarch's search cap, or a wafer per sequence of the global batch."""
    if systems >= MAX_SYSTEMS:
        return f" (refarch sizes at most {MAX_SYSTEMS:,})"
    if useful_systems(workload, platform) == systems:
        return " (one per sequence of the global batch: wafers train data parallel only)"
    return ""


def _systems_on(spec: Spec, catalog: Catalog, index: int, platform: Platform) -> int:
    """Systems of `platform` with the accelerators the spec gives its own platform."""
    given = spec.workloads[index]
    per_system = platform_from_catalog(catalog, str(given.platform)).accelerators_per_system
    accelerators = int(given.accelerators or 0) or int(given.systems or 0) * per_system
    return math.ceil(accelerators / platform.accelerators_per_system)


def _platforms(spec: Spec, catalog: Catalog, index: int, workload: WorkloadPlan, ids: list[str]) -> list[Platform]:
    if ids:
        return [platform_from_catalog(catalog, i, Location(None, "--platforms")) for i in ids]
    given = spec.workloads[index].platform
    if given is not None:
        return [platform_from_catalog(catalog, given, spec.where("workloads", index, "platform"))]
    if workload.workload_type == "inference":
        return inference_platforms(catalog)
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
    """Estimate SPEC's workloads: throughput, memory, time to train and energy (training); output tokens/s, TTFT,
    replicas and KV cache (inference).

    Fixed-size workloads are estimated at their size; target workloads on every candidate platform at the fewest
    systems that meet the target, beyond the site's limits if need be (or, if no size meets it, at the fastest size
    found; a note says so). The `site` column (`site_problems` in JSON) says whether the site's cooling,
    rack power, facility power, racks and budget can take each row; notes below the table say why not, and when a
    layout rounds the global batch up or leaves accelerators idle.
    """
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    ids = _platform_ids(platforms) if platforms is not None else []
    estimates = _estimates(workload_spec, hardware, resolve_calibration(calibration), ids)
    problems = _site_problems(workload_spec, hardware, estimates)
    if json_output:
        records = [e.as_dict() | {"site_problems": p} for e, p in zip(estimates, problems, strict=True)]
        out.print_json(json.dumps(records, sort_keys=True))
        return
    _print_training([(e, p) for e, p in zip(estimates, problems, strict=True) if isinstance(e, TrainingEstimate)])
    _print_inference([(e, p) for e, p in zip(estimates, problems, strict=True) if isinstance(e, ServingEstimate)])
    _print_site_problems(estimates, problems)
    for e in estimates:
        for note in e.layout_notes if isinstance(e, TrainingEstimate) else []:
            out.print(f"[yellow]{e.workload} on {e.platform}:[/yellow] {note}")
    for text in dict.fromkeys(e.calibrated_on for e in estimates):
        out.print(f"calibrated on: {text}")


def _blamed_field(spec: Spec, index: int) -> tuple[str, ...]:
    """The workload's field an estimate failure points at: its target, or the size it fixes."""
    given = spec.workloads[index]
    if given.target is not None:
        return ("target",)
    return ("systems",) if given.systems is not None else ("accelerators",)


def _platform_ids(text: str) -> list[str]:
    """The system ids of a --platforms value: comma-separated, none empty or repeated."""
    where = Location(None, "--platforms")
    hint = "comma-separated system ids, e.g. dgx-h100,dgx-b200 (`refarch catalog list` lists them)"
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


def _print_site_problems(estimates: list[Estimate], problems: list[list[str]]) -> None:
    for e, found in zip(estimates, problems, strict=True):
        if found:
            out.print(f"[yellow]site cannot take {e.workload} on {e.platform}:[/yellow] {'; '.join(found)}")


def _days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 86400:,.1f} d"


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in ("workload", "platform") else "right")
    return table


def _print_training(estimates: list[tuple[TrainingEstimate, list[str]]]) -> None:
    if not estimates:
        return
    table = _table(
        "training estimates (band: GPU leave-one-source-out error; wafers: their own, wider fit)",
        ("workload", "platform", "systems", "tp/pp/dp/cp", "tokens/s/acc", "TFLOP/s/acc", "MFU", "mem GB",
         "ideal", "with goodput", "energy MWh", "band", "site"),
    )  # fmt: skip
    for e, problems in estimates:
        p = e.parallelism
        table.add_row(
            e.workload, e.platform, str(e.systems), f"{p['tp']}/{p['pp']}/{p['dp']}/{p['cp']}",
            f"{e.tokens_per_second_per_accelerator:,.0f}", f"{e.model_tflops_per_accelerator:,.0f}",
            f"{e.mfu:.1%}", f"{e.memory_per_accelerator_gb:.0f}", _days(e.time_to_train_ideal_s),
            _days(e.time_to_train_s), "-" if e.energy_mwh is None else f"{e.energy_mwh:,.0f}", f"±{e.band:.0%}",
            _site_column(problems),
        )  # fmt: skip
    out.print(table)


def _print_inference(estimates: list[tuple[ServingEstimate, list[str]]]) -> None:
    if not estimates:
        return
    table = _table(
        "inference estimates (uncalibrated on GPUs; wafers anchored on two single-stream figures)",
        ("workload", "platform", "systems", "replicas", "streams/replica", "out tok/s", "per stream", "TTFT s",
         "mem GB/acc", "KV GB/acc", "band", "site"),
    )  # fmt: skip
    for e, problems in estimates:
        s = e.serving
        table.add_row(
            e.workload, e.platform, str(e.systems), f"{s.replicas} x {e.replica}", str(s.streams_per_replica),
            f"{s.aggregate_tokens_per_s:,.0f}", f"{s.per_stream_tokens_per_s:,.1f}", f"{s.ttft_s:.3g}",
            f"{(s.weight_bytes + s.kv_bytes) / 1e9:.1f}", f"{s.kv_bytes / 1e9:.1f}", f"±{e.band:.0%}",
            _site_column(problems),
        )  # fmt: skip
    out.print(table)


def compare_command(
    spec: Annotated[Path, typer.Argument(help="Workload spec (YAML).")],
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
    if need be, so no platform drops out; the `site_problems` column says what keeps a row from fitting the site
    (empty when it fits).
    """
    workload_spec = load_spec(spec)
    hardware = load_catalog(catalog or [])
    ids = _platform_ids(platforms)
    if len(ids) < 2:
        raise InputError("compare needs at least two platforms", Location(None, "--platforms"), "e.g. a,b")
    target = output or Path(f"{workload_spec.metadata.name}-compare.csv")
    if target.exists() and not force:
        raise OutputError("file exists; pass --force to replace it", Location(target))
    folder = target.parent
    if not folder.is_dir():  # checked before the estimates, which take seconds, rather than after them
        raise OutputError(f"cannot write the comparison: {folder} is not a directory", Location(target))
    limits = site_limits(workload_spec, hardware, {})
    estimates = _estimates(workload_spec, hardware, resolve_calibration(calibration), ids)
    problems = _site_problems(workload_spec, hardware, estimates)
    rows = [
        _compare_row(e, platform_from_catalog(hardware, e.platform), limits) | {"site_problems": "; ".join(p)}
        for e, p in zip(estimates, problems, strict=True)
    ]
    _print_compare(rows)
    _write_csv(target, rows)
    out.print(f"comparison written to {target}")


def _compare_row(e: Estimate, platform: Platform, limits: SiteLimits) -> dict[str, str]:
    site = candidate(e, platform, limits)
    row = {
        "workload": e.workload,
        "platform": e.platform,
        "systems": str(e.systems),
        "accelerators": str(e.accelerators),
        "racks": str(site.racks),
        "it_power_kw": f"{e.systems * platform.system_power_w / 1000:.1f}",
        "facility_power_kw": f"{site.facility_power_w / 1000:.1f}",
        "capex_usd": f"{site.capex_usd:.0f}",
        "band_pct": f"{e.band * 100:.0f}",
    }
    if isinstance(e, ServingEstimate):
        return row | {
            "kind": "inference",
            "output_tokens_per_second": f"{e.serving.aggregate_tokens_per_s:.0f}",
            "ttft_s": f"{e.serving.ttft_s:.4f}",
        }
    return row | {
        "kind": "training",
        "energy_mwh": "" if e.energy_mwh is None else f"{e.energy_mwh:.1f}",
        "time_to_train_days": "" if e.time_to_train_s is None else f"{e.time_to_train_s / 86400:.2f}",
        "tokens_per_second": f"{e.tokens_per_second:.0f}",
        "mfu": f"{e.mfu:.4f}",
    }


def _print_compare(rows: list[dict[str, str]]) -> None:
    table = _table("platform comparison (capex from catalog prices; energy at max power x PUE)", COMPARE_COLUMNS)
    for row in rows:
        table.add_row(*(row.get(c, "") for c in COMPARE_COLUMNS))
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
