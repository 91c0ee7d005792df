"""CLI command `schema`: the JSON Schemas of the spec, the sweep file, the plan and catalog entries (the published
interfaces)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter

from refarch.catalog.models import CatalogEntry
from refarch.cli.console import make_console
from refarch.inputs.spec import Spec
from refarch.plan import SCHEMA_VERSION, Plan
from refarch.sweep.sweepfile import SweepFile

__all__ = ["catalog_schema", "plan_schema", "schema_command", "spec_schema", "sweep_schema"]

out = make_console()


def spec_schema() -> dict[str, Any]:
    """Schema of a workload spec (refarch/v1)."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$id"] = "https://refarch.dev/schema/spec-v1.json"
    return schema


def sweep_schema() -> dict[str, Any]:
    """Schema of a sweep file (refarch/v1, kind Sweep)."""
    schema = SweepFile.model_json_schema(by_alias=True)
    schema["$id"] = "https://refarch.dev/schema/sweep-v1.json"
    return schema


def plan_schema() -> dict[str, Any]:
    """Schema of plan.json."""
    schema = Plan.model_json_schema(mode="serialization")
    schema["$id"] = f"https://refarch.dev/schema/plan-{SCHEMA_VERSION}.json"
    return schema


def catalog_schema() -> dict[str, Any]:
    """Schema of one catalog entry (a union over `kind`)."""
    schema = TypeAdapter(CatalogEntry).json_schema()
    schema["$id"] = "https://refarch.dev/schema/catalog-entry-v1.json"
    return schema


def schema_command(
    which: Annotated[str, typer.Argument(help="spec, sweep, plan or catalog.", metavar="{spec,sweep,plan,catalog}")],
) -> None:
    """Print the JSON Schema of the spec, a sweep file, the plan or a catalog entry."""
    schemas = {"spec": spec_schema, "sweep": sweep_schema, "plan": plan_schema, "catalog": catalog_schema}
    if which not in schemas:
        raise typer.BadParameter(f"'{which}' is not one of {', '.join(schemas)}", param_hint="WHICH")
    out.print(json.dumps(schemas[which](), indent=2, sort_keys=True))
