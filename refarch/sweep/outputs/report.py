"""What report.html and report.pdf show, built once from the results, the sweep's description and its front.

Tables are cut to `ROW_LIMIT` rows (a 10,000-scenario sweep must not print a 1,000-page PDF); each cut table says
how many rows it left out and which file holds them. Problems are grouped by their text with the numbers taken out
(`problem_pattern`), so "power budget exceeded by 1.2 MW" and "... by 0.4 MW" are one binding limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from refarch.plan import REFARCH_VERSION
from refarch.render.filters import count, kw, money, thousands
from refarch.render.review.document import Drawing
from refarch.render.review.model import Figure
from refarch.sweep.outputs.columns import FIGURES, axis_text, ordered
from refarch.sweep.outputs.pareto import Front, front_order
from refarch.sweep.records import ScenarioResult, ScenarioStatus, SweepInfo

__all__ = [
    "ROW_LIMIT",
    "AxisSummary",
    "Best",
    "ProblemGroup",
    "Row",
    "SweepReport",
    "build_report",
    "figure_text",
    "problem_pattern",
]

ROW_LIMIT: Final = 50
VALUE_LIMIT: Final = 20
"""The most distinct values listed for one axis."""
_NUMBER: Final = re.compile(r"(?<![A-Za-z_])\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")
_SPACES: Final = re.compile(r"\s+")
_LABELS: Final = {m.field: m.label for m in FIGURES}
_BEST: Final = (
    ("capex_usd", "cheapest capex"),
    ("time_to_train_days", "fastest time to train"),
    ("facility_power_kw", "lowest facility power"),
    ("cost_per_training_run_usd", "lowest cost per training run"),
    ("cost_per_million_output_tokens_usd", "lowest cost per million output tokens"),
)


@dataclass(frozen=True)
class AxisSummary:
    """An axis, the distinct values its scenarios take (first `VALUE_LIMIT`, in sweep order), how many more."""

    name: str
    values: tuple[str, ...]
    more: int


@dataclass(frozen=True)
class Row:
    """A scenario in a table: index, id, platforms, its axis values (in the axes' order), the figures shown."""

    index: int
    scenario: str
    platforms: str
    values: tuple[str, ...]
    figures: tuple[str, ...]


@dataclass(frozen=True)
class Best:
    """The best feasible scenario on one objective."""

    objective: str
    value: str
    row: Row


@dataclass(frozen=True)
class ProblemGroup:
    """Scenarios whose problem reads the same but for its numbers: the pattern, how many, one of them."""

    pattern: str
    count: int
    example: str
    index: int
    scenario: str


@dataclass(frozen=True)
class SweepReport:
    """Everything the report templates show."""

    title: str
    description: str
    base: str
    combine: str
    generated_by: str
    axes: tuple[AxisSummary, ...]
    counts: tuple[Figure, ...]
    objectives: tuple[str, ...]
    dropped: tuple[str, ...]
    best: tuple[Best, ...]
    front_columns: tuple[str, ...]
    front: tuple[Row, ...]
    front_total: int
    feasible: int
    infeasible: tuple[ProblemGroup, ...]
    infeasible_groups: int
    invalid: tuple[ProblemGroup, ...]
    invalid_groups: int
    plots: tuple[Drawing, ...]
    row_limit: int = ROW_LIMIT


def figure_text(field: str, value: float | None) -> str:
    """A figure as the report prints it: dollars whole (cents for unit costs), power in kW, days and weeks with
    one decimal, counts with separators; None is "n/a"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if field in ("cost_per_accelerator_hour_usd", "cost_per_million_output_tokens_usd"):
        return f"${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"
    if field.endswith("_usd"):
        return money(value)
    if field.endswith("_kw"):
        return kw(value)
    if field.endswith("_days"):
        return f"{thousands(value, 1)} days"
    if field.endswith("_weeks"):
        return f"{thousands(value, 1)} weeks"
    if isinstance(value, int):
        return count(value)
    return thousands(value)


def problem_pattern(problem: str | None) -> str:
    """A problem text with each number replaced by `#` and spaces collapsed: the key that groups scenarios by
    binding limit. Digits inside a word (`h100`, `tp8`) are part of a name and stay."""
    if problem is None or not problem.strip():
        return "(no reason given)"
    return _SPACES.sub(" ", _NUMBER.sub("#", problem)).strip()


def _row(result: ScenarioResult, info: SweepInfo, fields: Sequence[str]) -> Row:
    return Row(
        result.index,
        result.scenario,
        result.platforms or "n/a",
        tuple(axis_text(result.values.get(a)) for a in info.axes),
        tuple(figure_text(f, getattr(result, f)) for f in fields),
    )


def _axes(results: Sequence[ScenarioResult], info: SweepInfo) -> tuple[AxisSummary, ...]:
    summaries = []
    for axis in info.axes:
        seen = list(dict.fromkeys(axis_text(r.values.get(axis)) for r in results))
        summaries.append(AxisSummary(axis, tuple(seen[:VALUE_LIMIT]), max(len(seen) - VALUE_LIMIT, 0)))
    return tuple(summaries)


def _counts(results: Sequence[ScenarioResult], info: SweepInfo) -> tuple[Figure, ...]:
    by_status = {s: sum(r.status == s for r in results) for s in ("feasible", "infeasible", "invalid")}
    figures = [Figure("scenarios", count(info.scenarios))]
    if len(results) != info.scenarios:
        figures.append(Figure("results received", count(len(results))))
    figures.extend(Figure(status, count(n)) for status, n in by_status.items())
    return tuple(figures)


def _best(feasible: Sequence[ScenarioResult], info: SweepInfo) -> tuple[Best, ...]:
    best = []
    for field, objective in _BEST:
        known = [r for r in feasible if getattr(r, field) is not None and not math.isnan(getattr(r, field))]
        if known:
            winner = min(known, key=lambda r: (getattr(r, field), r.index))
            best.append(Best(objective, figure_text(field, getattr(winner, field)), _row(winner, info, ())))
    return tuple(best)


def _groups(results: Sequence[ScenarioResult], status: ScenarioStatus) -> list[ProblemGroup]:
    members: dict[str, list[ScenarioResult]] = {}
    for r in results:
        if r.status == status:
            members.setdefault(problem_pattern(r.problem), []).append(r)
    groups = [
        ProblemGroup(pattern, len(rs), rs[0].problem or "(no reason given)", rs[0].index, rs[0].scenario)
        for pattern, rs in members.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.pattern))


def build_report(
    results: Sequence[ScenarioResult], info: SweepInfo, front: Front, plots: Sequence[Drawing]
) -> SweepReport:
    """The report's content; `results` in any order."""
    rows = ordered(results)
    feasible = [r for r in rows if r.status == "feasible"]
    members = sorted((r for r in feasible if r.scenario in front.members), key=front_order)
    fields = [*front.objectives, *(f for f in ("tco_usd",) if f not in front.objectives)]
    infeasible, invalid = _groups(rows, "infeasible"), _groups(rows, "invalid")
    return SweepReport(
        title=info.name,
        description=info.description,
        base=info.base,
        combine=info.combine,
        generated_by=f"refarch {REFARCH_VERSION}",
        axes=_axes(rows, info),
        counts=_counts(rows, info),
        objectives=tuple(_LABELS[f] for f in front.objectives),
        dropped=tuple(_LABELS[f] for f in front.dropped),
        best=_best(feasible, info),
        front_columns=tuple(_LABELS[f] for f in fields),
        front=tuple(_row(r, info, fields) for r in members[:ROW_LIMIT]),
        front_total=len(members),
        feasible=len(feasible),
        infeasible=tuple(infeasible[:ROW_LIMIT]),
        infeasible_groups=len(infeasible),
        invalid=tuple(invalid[:ROW_LIMIT]),
        invalid_groups=len(invalid),
        plots=tuple(plots),
    )
