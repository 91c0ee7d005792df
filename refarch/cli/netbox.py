"""CLI group `netbox`: `refarch netbox push BUNDLE|SPEC --url URL`, the token from the environment."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import Progress

from refarch.catalog.loader import load_catalog
from refarch.cli.console import HELP_MARKUP, make_console
from refarch.cli.options import CalibrationOption, CatalogDirs, resolve_calibration
from refarch.errors import InputError, Location
from refarch.inputs.spec import load_spec
from refarch.pipeline import plan_spec
from refarch.plan import Plan
from refarch.render.netbox.push import PushReport, push_view
from refarch.render.netbox.slugs import DEFAULT_NETBOX_VERSION, NETBOX_VERSIONS
from refarch.render.netbox.view import build_netbox_view
from refarch.render.views import build_views

__all__ = ["TOKEN_VARIABLES", "netbox_app"]

TOKEN_VARIABLES = ("NETBOX_TOKEN", "NETBOX_API_TOKEN")
_SHOWN_CHANGES = 50

netbox_app = typer.Typer(help="Load a plan into a live NetBox.", no_args_is_help=True, rich_markup_mode=HELP_MARKUP)
out = make_console()
err = make_console(stderr=True)


@netbox_app.command("push")
def push_command(
    source: Annotated[Path, typer.Argument(help="A bundle directory (its plan.json) or a workload spec (YAML).")],
    url: Annotated[str, typer.Option("--url", help="NetBox base URL, e.g. https://netbox.example.net")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the changes without making them.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete objects tagged for this plan that the plan no longer has.")
    ] = False,
    netbox_version: Annotated[
        str, typer.Option("--netbox-version", help="Target NetBox version for the slugs (4.6 or 4.7).")
    ] = DEFAULT_NETBOX_VERSION,
    catalog: CatalogDirs = None,
    calibration: CalibrationOption = None,
) -> None:
    """Create or update the plan's site, racks, devices, interfaces, cables, power and addresses in NetBox.

    Idempotent: a second push changes nothing. The token is read from NETBOX_TOKEN (or NETBOX_API_TOKEN), never
    from the command line. Every object is tagged refarch-NAME, NAME being the plan's name.
    """
    if netbox_version not in NETBOX_VERSIONS:
        known = ", ".join(NETBOX_VERSIONS)
        raise InputError(f"no NetBox slug table for version {netbox_version!r}", Location(None, "--netbox-version"),
                         f"one of {known}")  # fmt: skip
    token = next((os.environ[v] for v in TOKEN_VARIABLES if os.environ.get(v)), None)
    if token is None:
        raise InputError("no NetBox token: set NETBOX_TOKEN (or NETBOX_API_TOKEN) in the environment")
    plan = _load_plan(source, catalog or [], calibration)
    view = build_netbox_view(plan, build_views(plan), netbox_version)
    kinds = view.counts()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("pushing to NetBox", total=len(kinds) + 3)
        report = push_view(view, url, token, dry_run=dry_run, prune=prune,
                           progress=lambda kind, count: progress.advance(task))  # fmt: skip
    _print_report(report, dry_run)


def _load_plan(source: Path, catalog: list[Path], calibration: Path | None) -> Plan:
    if source.is_dir():
        plan_json = source / "plan.json"
        if not plan_json.is_file():
            raise InputError("no plan.json in the bundle directory", Location(source), "give a bundle or a spec")
        try:
            return Plan.model_validate_json(plan_json.read_bytes())
        except ValidationError as exc:
            raise InputError(f"not a refarch plan: {exc.errors()[0]['msg']}", Location(plan_json)) from None
    with err.status("planning the spec"):
        return plan_spec(load_spec(source), load_catalog(catalog), resolve_calibration(calibration))


def _print_report(report: PushReport, dry_run: bool) -> None:
    verb = "would" if dry_run else ""
    counts = Counter((c.action, c.kind) for c in report.changes)
    for change in report.changes[:_SHOWN_CHANGES]:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        out.print(f"{change.action} {change.kind} {escape(change.key)}{escape(fields)}")
    if len(report.changes) > _SHOWN_CHANGES:
        out.print(f"... and {len(report.changes) - _SHOWN_CHANGES} more")
    unchanged = sum(report.unchanged.values())
    if not any(c.action in ("create", "update", "retire") for c in report.changes):
        out.print(f"NetBox already matches the plan: {unchanged} objects unchanged")
    else:
        summary = ", ".join(f"{n} {action} {kind}" for (action, kind), n in sorted(counts.items()))
        out.print(f"{verb + ' ' if verb else ''}changed: {summary}; {unchanged} unchanged".strip())
    stale = report.count("stale")
    if stale:
        out.print(f"{stale} objects tagged for this plan are no longer in it: --prune deletes them")
