"""Sizing curves: for each candidate platform, a metric (time to train, output tokens/s, ...) against the number of
systems, with the target and the chosen size, as a reviewer needs to see why a size and a platform were picked.

The input is plot-level (`CurveSeries` of `CurvePoint`): the caller turns whatever records the sizing keeps into
it, so this module depends on nothing but what it draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from refarch.render.plots.canvas import (
    SERIES_COLOURS,
    TARGET_COLOUR,
    Axes,
    FuncFormatter,
    Line2D,
    PlotText,
    caption,
    compact,
    drawing,
    figure_value,
    heading,
    label,
    legend_above,
    svg_text,
)

__all__ = ["LOG_SPAN", "CurvePoint", "CurveSeries", "sizing_curves"]

LOG_SPAN: Final = 20.0
"""System counts spanning more than this factor are drawn on a logarithmic axis."""

_TITLE = "Sizing curves of the candidate platforms"
_HOLLOW = "#FFFFFF"
_KEY = "#555555"
_BEHIND_TEXT: Final = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0}


@dataclass(frozen=True)
class _Style:
    """How one series is drawn: its colour, the system count past which labels go left, its label's stack level."""

    colour: str
    middle: float
    stack: int


@dataclass(frozen=True)
class CurvePoint:
    """One size of a candidate: its systems, the metric there, and whether that meets the target."""

    systems: int
    value: float
    meets_target: bool

    def __post_init__(self) -> None:
        if self.systems < 1:
            raise ValueError(f"a curve point needs at least 1 system, not {self.systems}")
        if not math.isfinite(self.value):
            raise ValueError(f"a curve point's value must be finite, not {self.value}")


@dataclass(frozen=True)
class CurveSeries:
    """A candidate platform's curve; `chosen_systems` is the size picked on it (one of its points), if any."""

    label: str
    points: tuple[CurvePoint, ...]
    chosen_systems: int | None

    def __post_init__(self) -> None:
        if self.chosen_systems is not None and all(p.systems != self.chosen_systems for p in self.points):
            raise ValueError(f"{self.label!r}: chosen size {self.chosen_systems} is not one of its points")

    @property
    def chosen(self) -> CurvePoint | None:
        """The point at the chosen size."""
        return next((p for p in self.points if p.systems == self.chosen_systems), None)


def _draw_series(axes: Axes, series: CurveSeries, style: _Style) -> None:
    points = sorted(series.points, key=lambda p: p.systems)
    axes.plot([p.systems for p in points], [p.value for p in points], color=style.colour, linewidth=1.2)
    for meets in (True, False):
        chosen = [p for p in points if p.meets_target == meets]
        axes.plot([p.systems for p in chosen], [p.value for p in chosen], linestyle="none", marker="o",
                  markersize=5, color=style.colour, markerfacecolor=style.colour if meets else _HOLLOW)  # fmt: skip
    point = series.chosen
    if point is None:
        return
    axes.plot([point.systems], [point.value], linestyle="none", marker="o", markersize=13, markerfacecolor="none",
              markeredgecolor=style.colour, markeredgewidth=2.0)  # fmt: skip
    # The label goes where its own curve is not: above a falling curve (time to train), below a rising one
    # (tokens/s), towards the middle of the axis; further chosen points stack their labels further out.
    before = [p for p in points if p.systems < point.systems]
    after = [p for p in points if p.systems > point.systems]
    neighbour = before[-1] if before else (after[0] if after else point)
    falling = (neighbour.value > point.value) == (neighbour.systems < point.systems)
    left = point.systems <= style.middle
    rise = (14 + 26 * style.stack) * (1 if falling else -1)
    axes.annotate(f"chosen: {label(series.label)}\n{point.systems:,} systems, {figure_value(point.value)}",
                  (point.systems, point.value), xytext=(12 if left else -12, rise), textcoords="offset points",
                  ha="left" if left else "right", va="bottom" if falling else "top", fontsize=8.0,
                  color=style.colour, fontweight="bold", bbox=_BEHIND_TEXT,
                  arrowprops={"arrowstyle": "-", "color": style.colour, "linewidth": 0.8, "shrinkB": 7})  # fmt: skip


def _legend(axes: Axes, series: Sequence[CurveSeries], target: float | None) -> None:
    handles = [
        Line2D([], [], color=SERIES_COLOURS[k % len(SERIES_COLOURS)], marker="o", label=label(s.label))
        for k, s in enumerate(series)
    ]
    handles.append(Line2D([], [], linestyle="none", marker="o", color=_KEY, label="meets target"))
    handles.append(Line2D([], [], linestyle="none", marker="o", color=_KEY, markerfacecolor=_HOLLOW,
                          label="misses target"))  # fmt: skip
    if target is not None:
        handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label=f"target {figure_value(target)}"))
    legend_above(axes, handles)


def _description(series: Sequence[CurveSeries], metric_label: str, target: float | None) -> str:
    parts = [f"{metric_label} against systems" + ("" if target is None else f", target {figure_value(target)}")]
    for s in series:
        sizes = [p.systems for p in s.points]
        text = f"{s.label}: {len(sizes)} points" + (f", {min(sizes):,} to {max(sizes):,} systems" if sizes else "")
        if (point := s.chosen) is not None:
            text += f", chosen {point.systems:,} systems ({figure_value(point.value)})"
        parts.append(text)
    return "; ".join(parts) + "."


def sizing_curves(series: Sequence[CurveSeries], metric_label: str, target: float | None) -> str:
    """Each series' value against its system count, one colour a series: points that meet the target filled,
    others hollow; the chosen point ringed and labelled; the target a dashed line. The system axis is
    logarithmic when the counts span more than `LOG_SPAN` times. Returns SVG text to inline in HTML.
    """
    sizes = sorted(p.systems for s in series for p in s.points)
    description = _description(series, metric_label, target)
    with drawing(height_in=3.8) as figure:
        axes = figure.add_subplot()
        if not sizes:
            axes.text(0.5, 0.5, "no sizing points", ha="center", va="center", transform=axes.transAxes)
        elif sizes[-1] / sizes[0] > LOG_SPAN:
            axes.set_xscale("log")
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: compact(value)))
        middle = sizes[len(sizes) // 2] if sizes else 0.0
        stack = 0
        for k, one in enumerate(series):
            _draw_series(axes, one, _Style(SERIES_COLOURS[k % len(SERIES_COLOURS)], middle, stack))
            stack += one.chosen is not None
        if target is not None:
            axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
        axes.set_xlabel("systems")
        axes.set_ylabel(metric_label)
        heading(figure, _TITLE)
        _legend(axes, series, target)
        caption(figure, "Filled points meet the target, hollow ones miss it; the ringed point is the size chosen.")
        return svg_text(figure, PlotText("sizing-curves", _TITLE, description))
