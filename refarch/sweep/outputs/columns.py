"""The columns of sweep.csv and sweep.parquet: one row per scenario, sorted by index, each column typed.

Columns, in order: `scenario`, `index`, one per axis (named as in the sweep file), `status`, `problem`, the figures
of `ScenarioResult` in its order with `capex_by_category` flattened after `capex_usd` into one `capex_<category>_usd`
column per category any scenario has (sorted; empty where a scenario has none), and `pareto`.

An axis column takes the type its values share: boolean, integer, float (integers and floats mixed), else string
(each value as `axis_text` writes it). An axis whose name is already a column's (`status`, `systems`, ...) is
written as `axis_<name>`, so no column is written twice and the fixed columns keep their names for every sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from refarch.sweep.records import AxisValue, ScenarioResult, SweepInfo

__all__ = [
    "FIGURES",
    "Column",
    "ColumnKind",
    "Measure",
    "axis_columns",
    "axis_text",
    "categories",
    "ordered",
    "sweep_columns",
]

ColumnKind = Literal["bool", "int", "float", "str"]


@dataclass(frozen=True)
class Measure:
    """A figure of `ScenarioResult`: its field (also its column's name), how the report names it, and its unit."""

    field: str
    label: str
    unit: str
    kind: ColumnKind


FIGURES: Final = (
    Measure("platforms", "platforms", "", "str"),
    Measure("systems", "systems", "", "int"),
    Measure("accelerators", "accelerators", "", "int"),
    Measure("racks", "racks", "", "int"),
    Measure("it_power_kw", "IT power", "kW", "float"),
    Measure("facility_power_kw", "facility power", "kW", "float"),
    Measure("capex_usd", "capex", "USD", "float"),
    Measure("opex_per_year_usd", "opex per year", "USD", "float"),
    Measure("tco_usd", "TCO", "USD", "float"),
    Measure("cost_per_accelerator_hour_usd", "cost per accelerator-hour", "USD", "float"),
    Measure("cost_per_training_run_usd", "cost per training run", "USD", "float"),
    Measure("cost_per_million_output_tokens_usd", "cost per million output tokens", "USD", "float"),
    Measure("time_to_train_days", "time to train", "days", "float"),
    Measure("output_tokens_per_second", "output tokens/s", "tokens/s", "float"),
    Measure("time_to_ready_weeks", "time to ready", "weeks", "float"),
)
_CATEGORIES_AFTER: Final = "capex_usd"


@dataclass(frozen=True)
class Column:
    """One column: its name, type, whether it may be empty, and one value per row (None: empty)."""

    name: str
    kind: ColumnKind
    nullable: bool
    values: list[bool | int | float | str | None]


def ordered(results: Sequence[ScenarioResult]) -> list[ScenarioResult]:
    """The results in the sweep's expansion order (by index, then id), whatever order they arrived in."""
    return sorted(results, key=lambda r: (r.index, r.scenario))


def axis_text(value: AxisValue | None) -> str:
    """An axis value as text: booleans `true`/`false` (as the sweep file writes them), numbers as Python prints
    them (a float's shortest round-trip form), strings as they are; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _axis_kind(values: Sequence[AxisValue | None]) -> ColumnKind:
    present = [v for v in values if v is not None]
    if not present or any(isinstance(v, str) for v in present):
        return "str"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if any(isinstance(v, bool) for v in present):
        return "str"
    return "int" if all(isinstance(v, int) for v in present) else "float"


def _axis_column(name: str, values: list[AxisValue | None]) -> Column:
    kind = _axis_kind(values)
    cells: list[bool | int | float | str | None]
    if kind == "str":
        cells = [None if v is None else axis_text(v) for v in values]
    elif kind == "float":
        cells = [None if v is None else float(v) for v in values]
    else:
        cells = list(values)
    return Column(name, kind, any(v is None for v in values), cells)


def axis_columns(info: SweepInfo, fixed: set[str]) -> dict[str, str]:
    """Axis name -> its column's name: the axis' own, or `axis_<name>` where that is a fixed column's."""
    names: dict[str, str] = {}
    taken = set(fixed)
    for axis in info.axes:
        column = axis
        while column in taken:
            column = f"axis_{column}"
        taken.add(column)
        names[axis] = column
    return names


def categories(results: Sequence[ScenarioResult]) -> list[str]:
    """Every capex category any scenario has, sorted."""
    return sorted({category for r in results for category in r.capex_by_category})


def sweep_columns(results: Sequence[ScenarioResult], info: SweepInfo, front: frozenset[str]) -> list[Column]:
    """The table's columns for `results` (any order; rows are sorted by index); `front` holds the scenario ids
    on the Pareto front."""
    rows = ordered(results)
    category_names = categories(rows)
    figures: list[Column] = []
    for measure in FIGURES:
        figures.append(Column(measure.field, measure.kind, True, [getattr(r, measure.field) for r in rows]))
        if measure.field == _CATEGORIES_AFTER:
            figures.extend(
                Column(f"capex_{c}_usd", "float", True, [r.capex_by_category.get(c) for r in rows])
                for c in category_names
            )
    head = [
        Column("scenario", "str", False, [r.scenario for r in rows]),
        Column("index", "int", False, [r.index for r in rows]),
    ]
    middle = [
        Column("status", "str", False, [r.status for r in rows]),
        Column("problem", "str", True, [r.problem for r in rows]),
    ]
    pareto = Column("pareto", "bool", False, [r.scenario in front for r in rows])
    fixed = {c.name for c in (*head, *middle, *figures, pareto)}
    names = axis_columns(info, fixed)
    axes = [_axis_column(names[a], [r.values.get(a) for r in rows]) for a in info.axes]
    return [*head, *axes, *middle, *figures, pareto]
