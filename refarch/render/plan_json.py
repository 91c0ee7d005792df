"""Output `plan`: plan.json, the Plan serialised canonically (the interface other tools read; schema: `refarch schema
plan`). Built with json, not a template: a JSON document is a serialisation of the model, not a text layout."""

from __future__ import annotations

import json

from refarch.plan import Plan
from refarch.render.context import Files, Output, RenderContext

__all__ = ["OUTPUT", "plan_json"]


def plan_json(plan: Plan) -> str:
    """The Plan as canonical JSON: sorted keys, two-space indent, non-ASCII kept, trailing newline."""
    return json.dumps(plan.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _files(context: RenderContext) -> Files:
    return {"plan.json": plan_json(context.plan)}


OUTPUT = Output("plan", "plan.json: the resolved design, schema `refarch schema plan`", _files)
