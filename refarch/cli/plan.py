"""CLI commands `plan` (spec to bundle) and `validate` (spec check without planning)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from refarch.catalog.loader import load_catalog
from refarch.cli.console import make_console
from refarch.cli.options import CalibrationOption, CatalogDirs, SpecArgument, resolve_calibration
from refarch.errors import InputError, Location
from refarch.inputs.spec import load_spec
from refarch.pipeline import plan_spec
from refarch.plan import Plan
from refarch.render.context import PAPERS, Paper
from refarch.render.registry import OUTPUTS, select_outputs
from refarch.render.stage import render
from refarch.sizing.stage import size

__all__ = ["plan_command", "validate_command"]

out = make_console()
err = make_console(stderr=True)

OUTPUTS_OPTION = "--outputs"


def _paper(value: str) -> Paper:
    """The --paper value, checked before any planning."""
    for paper in PAPERS:
        if value.strip().lower() == paper:
            return paper
    raise InputError(f"unknown paper size {value!r}", Location(None, "--paper"), f"one of {', '.join(PAPERS)}")


def _list_outputs(value: bool) -> None:
    """Print every output's name and description and stop: no spec is needed (an eager option, like --version)."""
    if value:
        width = max(len(o.name) for o in OUTPUTS)
        for output in OUTPUTS:
            out.print(f"{output.name:<{width}}  {escape(output.description)}")
        raise typer.Exit()


def _output_names(text: str | None) -> list[str] | None:
    """The names of an --outputs value, checked before any planning so that a typo costs no solver time."""
    if text is None:
        return None
    names = text.split(",")
    select_outputs(names, Location(None, OUTPUTS_OPTION))
    return [name.strip() for name in names]


def plan_command(  # noqa: PLR0913  # typer: one parameter per command-line option
    spec: SpecArgument,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Bundle directory [default: bundles/NAME, NAME being the spec's metadata.name]."
        ),
    ] = None,
    catalog: CatalogDirs = None,
    templates: Annotated[
        list[Path] | None,
        typer.Option("--templates", help="Template directory searched, file by file, before the built-in one."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty output directory.")] = False,
    calibration: CalibrationOption = None,
    outputs: Annotated[
        str | None,
        typer.Option(
            OUTPUTS_OPTION,
            help="Comma-separated outputs to write, e.g. summary,bom,cabling [default: all]; manifest.json is always "
            "written.",
        ),
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="Page size of review.pdf: a4 or letter.")] = "a4",
    list_outputs: Annotated[
        bool,
        typer.Option(
            "--list-outputs", callback=_list_outputs, is_eager=True, help="List the outputs with what each writes."
        ),
    ] = False,
) -> None:
    """Size the cluster and its networks for SPEC and write the bundle.

    Writes plan.json, summary.md, review.pdf and review.html (the architecture review), bom.csv, bom.xlsx,
    cabling.csv, diagrams/, validation/ (cable link lists), ansible/, terraform/ and manifest.json; with --outputs,
    only the outputs named and manifest.json (--list-outputs lists them).

    Target workloads get the platform whose whole design (systems, fabrics, racks, power, cabling) is cheapest, and
    are sized again, leaving room for what their candidates did not count, if the design overruns a site limit.
    """
    selected = _output_names(outputs)
    page = _paper(paper)
    with err.status("loading spec and catalog"):
        workload = load_spec(spec)
        hardware = load_catalog(catalog or [])
    with err.status("sizing compute, solving racks, networks, power and cooling (CP-SAT)"):
        result = plan_spec(workload, hardware, resolve_calibration(calibration))
    target = output or Path("bundles") / workload.metadata.name
    with err.status("rendering bundle"):
        written = render(result, target, force=force, templates=templates or [], outputs=selected, paper=page)
    _print_summary(result)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.print(f"bundle written to {written}")


def _print_summary(result: Plan) -> None:
    s = result.summary
    table = Table(title=f"{result.metadata.name}", show_header=True)
    for column in ("systems", "accelerators", "racks", "IT power", "facility power", "capex"):
        table.add_column(column, justify="right")
    table.add_row(
        str(s.systems), str(s.accelerators), str(s.racks), f"{s.it_power_kw:,.1f} kW",
        f"{s.facility_power_kw:,.1f} kW", f"${s.capex_usd:,.0f}",
    )  # fmt: skip
    out.print(table)


def validate_command(spec: SpecArgument, catalog: CatalogDirs = None) -> None:
    """Check SPEC (syntax, fields, units, catalog references) without planning."""
    workload = load_spec(spec)
    hardware = load_catalog(catalog or [])
    size(workload, hardware)
    out.print(f"{spec}: valid ({len(workload.workloads)} workloads)")
