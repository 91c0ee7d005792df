"""Acceptance plan with expected results (placeholder until the acceptance module lands)."""

from __future__ import annotations

from refarch.plan import Plan

__all__ = ["acceptance_files"]


def acceptance_files(plan: Plan) -> dict[str, str]:
    """Files under `ansible/` holding the acceptance plan of `plan`, by path relative to `ansible/`."""
    del plan
    return {}
