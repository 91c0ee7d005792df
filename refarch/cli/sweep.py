"""CLI command `sweep`: plan every scenario of a sweep file on Dask and write the sweep's tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from refarch.cli.console import make_console
from refarch.cli.options import CalibrationOption, CatalogDirs
from refarch.sweep.evaluate import load_inputs
from refarch.sweep.run import Progress as OnProgress
from refarch.sweep.run import RunOptions, SweepReport, run_sweep
from refarch.sweep.sweepfile import load_sweep

__all__ = ["sweep_command"]

out = make_console()
err = make_console(stderr=True)


def sweep_command(  # typer: one parameter per command-line option
    sweep: Annotated[
        Path, typer.Argument(help="Sweep file (YAML): a base spec and the axes that vary it.", metavar="SWEEP")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output directory [default: sweeps/NAME, NAME being the sweep's name]."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler to run on, tcp://HOST:PORT [default: a local cluster]."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes of the local cluster [default: cores].")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Empty the output directory and start over (needed when it holds another sweep's results or other "
            "files).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    catalog: CatalogDirs = None,
    calibration: CalibrationOption = None,
) -> None:
    """Plan every scenario of SWEEP (no bundles) and write its results and tables.

    Scenarios run as tasks on Dask: a local cluster of one worker process per core, or the cluster of --scheduler.
    Each result is appended to results.jsonl in the output directory as it finishes; an interrupted sweep resumes
    where it stopped when the same command runs again. Infeasible and invalid scenarios are recorded, not fatal.
    """
    inputs = load_inputs(tuple(catalog or ()), calibration)
    checked = load_sweep(sweep, inputs.catalog)
    target = output or Path("sweeps") / checked.name
    options = RunOptions(scheduler=scheduler, workers=workers, force=force)
    try:
        with _progress(quiet) as progress:
            report = run_sweep(checked, inputs, target, options, progress)
    except KeyboardInterrupt:
        err.print("the results so far are in the output directory; run the same command again to resume")
        raise
    _print_summary(checked.name, report)


class _RateColumn(ProgressColumn):
    """Scenarios per second over rich's recent window."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.1f} scenarios/s" if task.speed else "")


@contextmanager
def _progress(quiet: bool) -> Iterator[OnProgress]:
    """A progress callback drawing a bar on stderr; nothing when `quiet` or stderr is not a terminal. The bar starts
    at the scenarios resumed, so that they do not count in the rate."""
    columns = (
        TextColumn("scenarios"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=err, disable=quiet or not err.is_terminal) as bar:
        task: list[TaskID] = []

        def update(done: int, total: int) -> None:
            if not task:
                task.append(bar.add_task("scenarios", total=total, completed=done))
            bar.update(task[0], completed=done)

        yield update


def _print_summary(name: str, report: SweepReport) -> None:
    counts = ", ".join(f"{n} {status}" for status, n in report.statuses.items())
    out.print(f"{escape(name)}: {report.scenarios} scenarios ({counts})")
    if report.evaluated:
        out.print(
            f"evaluated {report.evaluated} in {report.seconds:.1f} s ({report.rate:.1f} scenarios/s; "
            f"{report.cluster_seconds:.1f} s starting the cluster)"
        )
    if report.resumed:
        out.print(f"{report.resumed} taken from the results file")
    out.print(f"files written to {report.directory}: {', '.join(report.files)}")
