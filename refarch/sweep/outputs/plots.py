"""The sweep's scatter plots: the Pareto front (plots/pareto.svg) and time to train, or output tokens/s, against
facility power (plots/time-vs-power.svg). Each returns SVG text to inline in HTML (`refarch.render.plots.canvas`),
the same bytes for the same results in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from refarch.render.plots.canvas import (
    TARGET_COLOUR,
    Axes,
    Figure,
    Line2D,
    PlotText,
    caption,
    drawing,
    heading,
    legend_above,
    svg_text,
)
from refarch.sweep.outputs.pareto import Front, non_dominated
from refarch.sweep.outputs.scatter import (
    FRONT_EDGE,
    RASTER_DPI,
    SCALES,
    SIZE_LEVELS,
    Point,
    draw_points,
    platform_handles,
    platform_styles,
    points,
    set_scale,
    size_handles,
)
from refarch.sweep.records import ScenarioResult

__all__ = ["pareto_plot", "time_vs_power_plot"]

_HEIGHT_IN: Final = 4.6
_STEPS: Final = TARGET_COLOUR


def _empty(figure: Figure, axes: Axes, text: PlotText) -> str:
    axes.text(0.5, 0.5, text.description, ha="center", va="center", transform=axes.transAxes, wrap=True)
    axes.set_axis_off()
    heading(figure, text.title)
    return svg_text(figure, text)


def _staircase(drawn: Sequence[Point]) -> tuple[list[float], list[float]]:
    """The front members that no other front member beats on the two drawn figures, left to right: the best y
    for each x, drawn as a step line."""
    members = [p for p in drawn if p.front]
    if not members:
        return [], []
    xy = np.array([[p.x, p.y] for p in members], dtype=np.float64)
    corners = sorted({(p.x, p.y) for p, keep in zip(members, non_dominated(xy), strict=True) if keep})
    return [c[0] for c in corners], [c[1] for c in corners]


def _span(drawn: Sequence[Point], field: str, axis: str) -> str:
    values = [p.x if axis == "x" else p.y for p in drawn]
    scale = SCALES[field]
    return f"{scale.name} {scale.words(min(values))} to {scale.words(max(values))}"


def pareto_plot(results: Sequence[ScenarioResult], front: Front) -> str:
    """The first objective (capex) against the second (time to train, or cost per million output tokens), points
    by platform with the third (facility power) as their area; front members ringed, and the step line of the
    best first objective for each value of the second. Returns SVG text."""
    title = "Pareto front"
    with drawing(height_in=_HEIGHT_IN) as figure:
        figure.set_dpi(RASTER_DPI)
        axes = figure.add_subplot()
        if len(front.objectives) < 2:
            why = "Fewer than two objectives have values: there is no trade-off to draw."
            return _empty(figure, axes, PlotText("sweep-pareto", title, why))
        y_field, x_field = front.objectives[:2]
        size_field = front.objectives[2] if len(front.objectives) > 2 else None
        styles = platform_styles(results)
        drawn = points(results, front.members, styles, x_field, y_field, size_field)
        if not drawn:
            return _empty(figure, axes, PlotText("sweep-pareto", title, "No feasible scenario to draw."))
        sizes = draw_points(axes, drawn, styles)
        steps_x, steps_y = _staircase(drawn)
        axes.step(steps_x, steps_y, where="post", color=_STEPS, linewidth=1.3, zorder=2.5)  # under the front's points
        set_scale(axes, [p.x for p in drawn], "x", SCALES[x_field])
        set_scale(axes, [p.y for p in drawn], "y", SCALES[y_field])
        x_name, y_name = SCALES[x_field].name, SCALES[y_field].name
        title = f"Pareto front: {y_name} against {x_name}"
        heading(figure, title)
        handles = platform_handles(drawn, styles)
        handles.append(Line2D([], [], linestyle="none", marker="o", color="#FFFFFF", markeredgecolor=FRONT_EDGE,
                              label="on the Pareto front"))  # fmt: skip
        handles.append(Line2D([], [], color=_STEPS, linewidth=1.3, label=f"trade-off (least {y_name})"))
        if size_field is not None:
            handles.extend(size_handles(sizes, SCALES[size_field].unit))
        legend_above(axes, handles)
        sized = f", area by {SCALES[size_field].name} in {SIZE_LEVELS} steps" if size_field is not None else ""
        objectives = ", ".join(SCALES[f].name for f in front.objectives)
        caption(figure, f"One point per feasible scenario, coloured by platform{sized}. Ringed: on the Pareto front "
                        f"over {objectives}. The line: the least {y_name} that reaches each {x_name}. Lower and "
                        "further left is better.")  # fmt: skip
        on_front = sum(p.front for p in drawn)
        description = (
            f"{len(drawn)} distinct points, {on_front} on the front; {_span(drawn, x_field, 'x')}; "
            f"{_span(drawn, y_field, 'y')}."
        )
        return svg_text(figure, PlotText("sweep-pareto", title, description))


def time_vs_power_plot(results: Sequence[ScenarioResult], front: Front) -> str:
    """Time to train (inference sweeps: output tokens/s) against facility power, points by platform, front
    members ringed. Returns SVG text."""
    feasible = [r for r in results if r.status == "feasible"]
    training = any(r.time_to_train_days is not None for r in feasible)
    y_field = "time_to_train_days" if training else "output_tokens_per_second"
    x_field = "facility_power_kw"
    title = f"{'Time to train' if training else 'Output tokens/s'} against facility power"
    with drawing(height_in=_HEIGHT_IN) as figure:
        figure.set_dpi(RASTER_DPI)
        axes = figure.add_subplot()
        styles = platform_styles(results)
        drawn = points(results, front.members, styles, x_field, y_field)
        if not drawn:
            why = "No feasible scenario has both figures to draw."
            return _empty(figure, axes, PlotText("sweep-time-power", title, why))
        draw_points(axes, drawn, styles)
        set_scale(axes, [p.x for p in drawn], "x", SCALES[x_field])
        set_scale(axes, [p.y for p in drawn], "y", SCALES[y_field])
        heading(figure, title)
        handles = platform_handles(drawn, styles)
        handles.append(Line2D([], [], linestyle="none", marker="o", color="#FFFFFF", markeredgecolor=FRONT_EDGE,
                              label="on the Pareto front"))  # fmt: skip
        legend_above(axes, handles)
        better = "lower" if training else "higher"
        caption(figure, f"One point per feasible scenario, coloured by platform; ringed: on the Pareto front. "
                        f"Further left draws less power; {better} is better.")  # fmt: skip
        description = f"{len(drawn)} distinct points; {_span(drawn, x_field, 'x')}; {_span(drawn, y_field, 'y')}."
        return svg_text(figure, PlotText("sweep-time-power", title, description))
