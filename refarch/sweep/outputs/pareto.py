"""The Pareto front of a sweep: the feasible scenarios no other feasible scenario beats on every objective.

The objectives, all minimised, are capex, time to train and facility power. One that no feasible scenario has
(every value None) is dropped; time to train, when dropped (an inference sweep), is replaced by the cost per
million output tokens if scenarios have that. `Front.objectives` and `Front.dropped` say which were used.

Scenario A dominates B when A is no worse on every objective and better on at least one, so scenarios with the
same objectives are all on the front or all off it. A feasible scenario missing one objective's value (None, or
NaN) counts as worst on it, so it can still be on the front through the others. Infeasible and invalid scenarios
are never on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from refarch.sweep.records import ScenarioResult

__all__ = ["OBJECTIVES", "Front", "front_order", "non_dominated", "pareto_front"]

OBJECTIVES: Final = ("capex_usd", "time_to_train_days", "facility_power_kw")
_STAND_INS: Final = {"time_to_train_days": "cost_per_million_output_tokens_usd"}


@dataclass(frozen=True)
class Front:
    """The objectives used, those dropped (no feasible scenario has them), and the scenario ids on the front."""

    objectives: tuple[str, ...]
    dropped: tuple[str, ...]
    members: frozenset[str]


def non_dominated(points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """For each row of `points` (one scenario's objectives, all minimised; +inf is worst), whether no other row
    dominates it.

    The lexicographically smallest row left is never dominated (a row dominating it would sort before it); it
    joins the front and the rows it dominates leave. Each pass is one vectorised comparison, so the cost is the
    number of rows times the size of the front.
    """
    count = points.shape[0]
    keep = np.zeros(count, dtype=np.bool_)
    if count == 0:
        return keep
    order = np.lexsort(points.T[::-1])
    left = order
    while left.size:
        best = left[0]
        keep[best] = True
        rest = left[1:]
        others = points[rest]
        dominated = np.all(others >= points[best], axis=1) & np.any(others > points[best], axis=1)
        left = rest[~dominated]
    return keep


def _value(result: ScenarioResult, field: str) -> float:
    value = getattr(result, field)
    return math.inf if value is None or math.isnan(value) else float(value)


def _chosen(feasible: Sequence[ScenarioResult]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    used: list[str] = []
    dropped: list[str] = []
    for field in OBJECTIVES:
        if any(getattr(r, field) is not None for r in feasible):
            used.append(field)
            continue
        dropped.append(field)
        stand_in = _STAND_INS.get(field)
        if stand_in is not None and any(getattr(r, stand_in) is not None for r in feasible):
            used.append(stand_in)
    return tuple(used), tuple(dropped)


def pareto_front(results: Sequence[ScenarioResult]) -> Front:
    """The front of the feasible scenarios among `results` (any order: the front does not depend on it)."""
    feasible = [r for r in results if r.status == "feasible"]
    objectives, dropped = _chosen(feasible)
    if not objectives:
        return Front(objectives, dropped, frozenset())
    points = np.array([[_value(r, field) for field in objectives] for r in feasible], dtype=np.float64)
    keep = non_dominated(points.reshape(len(feasible), len(objectives)))
    return Front(objectives, dropped, frozenset(r.scenario for r, on in zip(feasible, keep, strict=True) if on))


def front_order(result: ScenarioResult) -> tuple[float, int, str]:
    """pareto.csv's and the report's order of the front: by capex (unknown last), then index."""
    return (math.inf if result.capex_usd is None else result.capex_usd, result.index, result.scenario)
