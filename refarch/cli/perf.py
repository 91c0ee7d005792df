"""CLI commands of the performance model: `calibrate` and `perf report` (estimate and compare live in
`refarch.cli.estimate`). Like every command module, these only parse arguments, call library functions and print.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from refarch.catalog.loader import load_catalog
from refarch.cli.console import HELP_MARKUP, make_console
from refarch.cli.options import CalibrationOption, CatalogDirs, resolve_calibration
from refarch.errors import InputError, Location, OutputError
from refarch.perf.calibration.checks import consistency_checks
from refarch.perf.calibration.fit import CalibrationRun, Residual, calibrate
from refarch.perf.calibration.measurements import MeasurementSet, load_measurements, source_key

__all__ = ["calibrate_command", "perf_app", "reference_measurements"]

out = make_console()
perf_app = typer.Typer(help="Inspect the performance model.", no_args_is_help=True, rich_markup_mode=HELP_MARKUP)


def reference_measurements() -> Path:
    """The shipped copy of shared/reference/calibration.csv."""
    return Path(str(resources.files("refarch.perf").joinpath("data", "calibration.csv")))


def calibrate_command(
    measurements: Annotated[Path, typer.Argument(help="Measurements CSV (the columns of calibration.csv).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Calibration file to write (YAML).")],
    catalog: CatalogDirs = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
) -> None:
    """Fit the model's efficiency parameters to MEASUREMENTS and write them to OUTPUT.

    Prints every point's residual (in sample and leave-one-source-out) and the mean absolute percentage error.
    """
    if output.exists() and not force:
        raise OutputError("file exists; pass --force to replace it", Location(output))
    points = load_measurements(measurements, load_catalog(catalog or []))
    run = _calibrate(points)
    _print_run(run, points)
    header = (
        f"refarch calibration fitted on {measurements.name} ({len(run.in_sample)} points).\n"
        f"Regenerate: refarch calibrate {measurements.name} -o {output.name} --force"
    )
    run.calibration.write(output, header)
    out.print(f"calibration written to {output}")


def _calibrate(points: MeasurementSet) -> CalibrationRun:
    """Fit and judge `points`; too few sources is the user's input problem, said as such."""
    try:
        return calibrate(points.points, fitted_on=points.path.name)
    except ValueError as exc:
        raise InputError(str(exc), Location(points.path), "add measurements from another source") from exc


def _print_run(run: CalibrationRun, points: MeasurementSet) -> None:
    loso = {r.point.id: r for r in run.loso}
    table = Table(title="residuals (predicted / measured - 1)")
    for column in ("point", "platform", "metric", "measured", "predicted", "error", "LOSO error"):
        table.add_column(column, justify="left" if column in ("point", "platform", "metric") else "right")
    for residual in run.in_sample:
        held_out = loso[residual.point.id]
        table.add_row(
            residual.point.id, residual.point.platform.system_id, residual.point.metric,
            f"{residual.point.value:,.1f}", f"{residual.predicted:,.1f}", f"{residual.error:+.1%}",
            f"{held_out.error:+.1%}",
        )  # fmt: skip
    out.print(table)
    c = run.calibration
    in_mape = sum(abs(r.error) for r in run.in_sample) / len(run.in_sample) * 100
    out.print(f"in-sample MAPE {in_mape:.1f}% over {len(run.in_sample)} points")
    out.print(f"leave-one-source-out MAPE {c.loso_mape_pct:.1f}%, worst point {c.loso_max_pct:.1f}%")
    for row in points.skipped:
        out.print(f"skipped {row.id}: {row.reason}")
    for point in run.unpredictable:
        out.print(f"skipped {point.id}: no layout fits in memory")


@perf_app.command("report")
def perf_report(
    calibration: CalibrationOption = None,
    measurements: Annotated[
        Path | None, typer.Option("--measurements", help="Measurements CSV [default: the reference data].")
    ] = None,
    catalog: CatalogDirs = None,
) -> None:
    """Print the model's error on every reference point, per platform and per source, and the sanity checks."""
    hardware = load_catalog(catalog or [])
    path = measurements or reference_measurements()
    points = load_measurements(path, hardware)
    run = _calibrate(points)
    used = resolve_calibration(calibration)
    _print_run(run, points)
    _print_groups("per platform", run.loso, lambda r: r.point.platform.system_id)
    _print_groups("per source", run.loso, lambda r: source_key(r.point.source))
    checks = Table(title=f"consistency checks ({used.fitted_on})")
    for column in ("check", "model", "published band", "result"):
        checks.add_column(column)
    for check in consistency_checks(hardware, used):
        band = f"{check.low:g} - {check.high:g}"
        checks.add_row(check.name, f"{check.value:.3f}", band, "ok" if check.passed else "OUT OF BAND")
    out.print(checks)


def _print_groups(title: str, residuals: list[Residual], key: object) -> None:
    groups: dict[str, list[float]] = {}
    for residual in residuals:
        groups.setdefault(key(residual), []).append(abs(residual.error) * 100)  # type: ignore[operator]
    table = Table(title=f"leave-one-source-out error {title}")
    for column in ("group", "points", "MAPE", "worst"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name in sorted(groups):
        errors = groups[name]
        table.add_row(name, str(len(errors)), f"{sum(errors) / len(errors):.1f}%", f"{max(errors):.1f}%")
    out.print(table)
