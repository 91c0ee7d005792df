"""JSON Schemas of the spec, the plan and catalog entries (the published interfaces)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from refarch.catalog.models import CatalogEntry
from refarch.inputs.spec import Spec
from refarch.plan import SCHEMA_VERSION, Plan

__all__ = ["catalog_schema", "plan_schema", "spec_schema"]


def spec_schema() -> dict[str, Any]:
    """Schema of a workload spec (refarch/v1)."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$id"] = "https://refarch.dev/schema/spec-v1.json"
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
