"""The `refarch` command: assembles the command groups and maps exceptions to exit codes. Nothing else lives here.

Commands live one group per module: `plan` (plan, validate), `sweep`, `catalog`, `schema`, `estimate` (estimate,
compare), `perf` (calibrate, perf report), `netbox` (netbox push); options shared between them in `options`.

`main` is the one place that maps exceptions to exit codes:
0 ok, 1 internal error (a bug: please report), 2 bad input or not supported yet, 3 infeasible design,
4 output cannot be written.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from refarch.cli.catalog import catalog_app
from refarch.cli.console import HELP_MARKUP, make_console
from refarch.cli.estimate import compare_command, estimate_command
from refarch.cli.netbox import netbox_app
from refarch.cli.perf import calibrate_command, perf_app
from refarch.cli.plan import plan_command, validate_command
from refarch.cli.schema import schema_command
from refarch.cli.sweep import sweep_command
from refarch.errors import RefarchError
from refarch.plan import REFARCH_VERSION

__all__ = ["app", "main"]

app = typer.Typer(
    help="Generate reference architectures for AI data centres from a workload spec and a hardware catalog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)
# Registration order is the order of `refarch --help` (commands, then groups).
app.command("calibrate")(calibrate_command)
app.command("estimate")(estimate_command)
app.command("compare")(compare_command)
app.command("plan")(plan_command)
app.command("validate")(validate_command)
app.command("sweep")(sweep_command)
app.command("schema")(schema_command)
app.add_typer(catalog_app, name="catalog")
app.add_typer(perf_app, name="perf")
app.add_typer(netbox_app, name="netbox")

out = make_console()
err = make_console(stderr=True)


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
