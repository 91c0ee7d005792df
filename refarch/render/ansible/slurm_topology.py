"""Slurm topology from the planned fabric (placeholder until the topology module lands)."""

from __future__ import annotations

from refarch.plan import Plan

__all__ = ["topology_files"]


def topology_files(plan: Plan) -> dict[str, str]:
    """Files under `ansible/` holding the Slurm topology of `plan`, by path relative to `ansible/`."""
    del plan
    return {}
