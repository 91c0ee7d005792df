"""The command line: parse arguments, call the library's stage functions, print. Nothing else lives here.

`main` is the one place that maps exceptions to exit codes:
0 ok, 1 internal error (a bug: please report), 2 bad input or not supported yet, 3 infeasible design,
4 output cannot be written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from refarch.catalog.loader import load_catalog
from refarch.cli.console import HELP_MARKUP, make_console
from refarch.cli.estimate import compare_command, estimate_command
from refarch.cli.perf import CalibrationOption, calibrate_command, perf_app, resolve_calibration
from refarch.cli.schema import catalog_schema, plan_schema, spec_schema
from refarch.errors import RefarchError
from refarch.inputs.spec import load_spec
from refarch.pipeline import plan_spec
from refarch.plan import REFARCH_VERSION, Plan
from refarch.render.stage import render
from refarch.sizing.stage import size

__all__ = ["app", "main"]

app = typer.Typer(
    help="Generate reference architectures for AI data centres from a workload spec and a hardware catalog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)
catalog_app = typer.Typer(
    help="Browse and check hardware catalogs.", no_args_is_help=True, rich_markup_mode=HELP_MARKUP
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(perf_app, name="perf")
app.command("calibrate")(calibrate_command)
app.command("estimate")(estimate_command)
app.command("compare")(compare_command)

out = make_console()
err = make_console(stderr=True)

CatalogDirs = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help="User catalog directory, searched before the built-in one (repeatable)."),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"refarch {REFARCH_VERSION}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """refarch command line."""


@app.command()
def plan(
    spec: Annotated[Path, typer.Argument(help="Workload spec (YAML).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Bundle directory [default: bundles/NAME, NAME being the spec's metadata.name]."
        ),
    ] = None,
    catalog: CatalogDirs = None,
    templates: Annotated[
        list[Path] | None, typer.Option("--templates", help="Template directory searched before the built-in one.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty output directory.")] = False,
    calibration: CalibrationOption = None,
) -> None:
    """Size the cluster and its networks for SPEC and write the bundle.

    Writes plan.json, summary.md, bom.csv, cabling.csv, diagrams/, validation/ (cable link lists) and manifest.json.

    Target workloads get the platform whose whole design (systems, fabrics, racks, power, cabling) is cheapest, and
    are sized again, leaving room for what their candidates did not count, if the design overruns a site limit.
    """
    with err.status("loading spec and catalog"):
        workload = load_spec(spec)
        hardware = load_catalog(catalog or [])
    with err.status("sizing compute, solving racks, networks, power and cooling (CP-SAT)"):
        result = plan_spec(workload, hardware, resolve_calibration(calibration))
    target = output or Path("bundles") / workload.metadata.name
    with err.status("rendering bundle"):
        written = render(result, target, force=force, templates=templates or [])
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


@app.command()
def validate(
    spec: Annotated[Path, typer.Argument(help="Workload spec (YAML).")],
    catalog: CatalogDirs = None,
) -> None:
    """Check SPEC (syntax, fields, units, catalog references) without planning."""
    workload = load_spec(spec)
    hardware = load_catalog(catalog or [])
    size(workload, hardware)
    out.print(f"{spec}: valid ({len(workload.workloads)} workloads)")


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[str | None, typer.Option("--kind", help="Only entries of this kind (system, switch, ...).")] = None,
    catalog: CatalogDirs = None,
) -> None:
    """List catalog entries: id, kind, name, confidence."""
    hardware = load_catalog(catalog or [])
    kinds = sorted({e.kind for e in hardware.entries.values()})
    if kind is not None and kind not in kinds:
        raise typer.BadParameter(f"unknown kind '{kind}'; valid kinds: {', '.join(kinds)}", param_hint="--kind")
    table = Table(show_header=True)
    for column in ("id", "kind", "name", "confidence"):
        table.add_column(column)
    for entry_id in hardware.ids():
        entry = hardware.entries[entry_id]
        if kind is None or entry.kind == kind:
            table.add_row(entry_id, entry.kind, entry.name, entry.confidence)
    out.print(table)


@catalog_app.command("show")
def catalog_show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Catalog id, e.g. dgx-h100.")],
    catalog: CatalogDirs = None,
) -> None:
    """Print one catalog entry (after inheritance and overrides) as JSON."""
    hardware = load_catalog(catalog or [])
    entry = hardware.get(entry_id, object)
    data: dict[str, Any] = entry.model_dump(mode="json")  # type: ignore[attr-defined]
    data["defined_in"] = str(hardware.origins[entry_id])
    out.print(json.dumps(data, indent=2, sort_keys=True))


@catalog_app.command("validate")
def catalog_validate(directory: Annotated[Path, typer.Argument(help="User catalog directory.")]) -> None:
    """Check a user catalog directory on top of the built-in catalog."""
    hardware = load_catalog([directory])
    own = sorted(i for i, f in hardware.origins.items() if directory.resolve() in f.resolve().parents)
    out.print(f"{directory}: valid ({len(own)} entries defined or overridden here)")


@app.command()
def schema(
    which: Annotated[str, typer.Argument(help="spec, plan or catalog.", metavar="{spec,plan,catalog}")],
) -> None:
    """Print the JSON Schema of the spec, the plan or a catalog entry."""
    schemas = {"spec": spec_schema, "plan": plan_schema, "catalog": catalog_schema}
    if which not in schemas:
        raise typer.BadParameter(f"'{which}' is not one of spec, plan, catalog", param_hint="WHICH")
    out.print(json.dumps(schemas[which](), indent=2, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every expected error becomes a message, never a traceback."""
    try:
        app(args=argv, prog_name="refarch")
    except RefarchError as exc:
        err.print(f"[red]error:[/red] {escape(exc.render())}")
        return exc.exit_code
    except SystemExit as exc:  # typer/click end every run with SystemExit, carrying the exit code
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
