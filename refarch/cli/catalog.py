"""CLI command group `catalog`: list, show and validate hardware catalogs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from refarch.catalog.loader import load_catalog
from refarch.cli.console import HELP_MARKUP, make_console
from refarch.cli.options import CatalogDirs

__all__ = ["catalog_app"]

out = make_console()
catalog_app = typer.Typer(
    help="Browse and check hardware catalogs.", no_args_is_help=True, rich_markup_mode=HELP_MARKUP
)


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
