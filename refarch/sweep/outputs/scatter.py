"""What the sweep's scatter plots share: the figures they draw with their units and tick formats, a colour and
marker per platform, points that fade and shrink as scenarios multiply, and log axes for wide ranges.

A scatter stays legible from 3 scenarios to 10,000: points drawn more than once (scenarios differing only in an axis
that changes neither figure, such as a price) are drawn once; past `_FEW` points each is smaller and more
transparent, so dense regions read as dense; at most `PLATFORM_LIMIT` platforms get a style of their own, the rest
share one grey; no point is labelled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from refarch.render.filters import money
from refarch.render.plots import LOG_SPAN
from refarch.render.plots.canvas import SERIES_COLOURS, Axes, FuncFormatter, Line2D, compact, figure_value, label
from refarch.sweep.records import ScenarioResult

__all__ = [
    "PLATFORM_LIMIT",
    "RASTER_ABOVE",
    "RASTER_DPI",
    "SIZE_LEVELS",
    "Point",
    "SCALES",
    "Scale",
    "Sizes",
    "draw_points",
    "platform_handles",
    "platform_styles",
    "points",
    "set_scale",
    "size_handles",
]

PLATFORM_LIMIT: Final = 10
OTHER_PLATFORMS: Final = "other platforms"
_OTHER_COLOUR: Final = "#999999"
_MARKERS: Final = ("o", "s", "^", "D", "v")
_FEW: Final = 100  # up to this many points, each full size and opaque
RASTER_ABOVE: Final = 500
"""Past this many points, those off the front are drawn as one image (at `RASTER_DPI`) rather than an SVG element
each: a 10,000-scenario sweep's plots held 9,000 elements, which took WeasyPrint 6 s to draw into report.pdf."""
RASTER_DPI: Final = 200
_AREA: Final = 36.0  # a point's area in pt^2 when there are few
FRONT_EDGE: Final = "#000000"
SIZE_LEVELS: Final = 5


def _money(value: float) -> str:
    return f"-${compact(-value)}" if value < 0 else f"${compact(value)}"


@dataclass(frozen=True)
class Scale:
    """How a figure is drawn on an axis: its name, the unit drawn, the factor from its field's unit, tick format."""

    name: str
    unit: str
    factor: float
    tick: Callable[[float], str]

    @property
    def label(self) -> str:
        """The axis label: name and unit."""
        return f"{self.name} ({self.unit})"

    def words(self, drawn: float) -> str:
        """A value as drawn (in the axis' unit) with its unit, for a description: `$12.5M`, `3.2 MW`."""
        return money(drawn) if self.unit == "USD" else f"{figure_value(drawn)} {self.unit}"


SCALES: Final = {
    "capex_usd": Scale("capex", "USD", 1.0, _money),
    "time_to_train_days": Scale("time to train", "days", 1.0, compact),
    "facility_power_kw": Scale("facility power", "MW", 1e-3, compact),
    "cost_per_million_output_tokens_usd": Scale("cost per million output tokens", "USD", 1.0, _money),
    "output_tokens_per_second": Scale("output", "tokens/s", 1.0, compact),
}


@dataclass(frozen=True)
class Point:
    """One scenario as drawn: its platform's style key, its position, its size figure, whether it is on the front."""

    platform: str
    x: float
    y: float
    size: float | None
    front: bool


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def platform_styles(results: Sequence[ScenarioResult]) -> dict[str, tuple[str, str]]:
    """Platform -> (colour, marker) for the `PLATFORM_LIMIT` platforms with the most feasible scenarios (then by
    name); every other platform is drawn as `OTHER_PLATFORMS`."""
    counts: dict[str, int] = {}
    for r in results:
        if r.status == "feasible" and r.platforms is not None:
            counts[r.platforms] = counts.get(r.platforms, 0) + 1
    ranked = sorted(counts, key=lambda p: (-counts[p], p))[:PLATFORM_LIMIT]
    shown = sorted(ranked)
    return {
        p: (SERIES_COLOURS[k % len(SERIES_COLOURS)], _MARKERS[(k // len(SERIES_COLOURS)) % len(_MARKERS)])
        for k, p in enumerate(shown)
    }


def _style(styles: dict[str, tuple[str, str]], platform: str) -> tuple[str, str]:
    return styles.get(platform, (_OTHER_COLOUR, "o"))


def points(
    results: Sequence[ScenarioResult],
    front: frozenset[str],
    styles: dict[str, tuple[str, str]],
    x: str,
    y: str,
    size: str | None = None,
) -> list[Point]:
    """The feasible scenarios that have both figures, once per distinct point (sorted, so any order of `results`
    draws the same picture)."""
    seen: set[Point] = set()
    for r in results:
        xv, yv = getattr(r, x), getattr(r, y)
        if r.status != "feasible" or not (_finite(xv) and _finite(yv)):
            continue
        sv = getattr(r, size) if size is not None else None
        drawn_size = sv * SCALES[size].factor if size is not None and sv is not None and math.isfinite(sv) else None
        key = r.platforms if r.platforms in styles else OTHER_PLATFORMS
        seen.add(Point(key or "", xv * SCALES[x].factor, yv * SCALES[y].factor, drawn_size, r.scenario in front))
    return sorted(seen, key=lambda p: (p.front, p.platform, p.x, p.y, p.size or 0.0))


@dataclass(frozen=True)
class Sizes:
    """Marker areas: `base` for all when no size figure varies, else `SIZE_LEVELS` steps from half to twice `base`
    between the smallest and largest figure drawn (one area a step lets the SVG reuse one marker per group)."""

    base: float
    low: float
    high: float

    def level(self, size: float | None) -> int | None:
        """The step of a size figure (None: drawn at `base`)."""
        if size is None or self.high <= self.low:
            return None
        return round((size - self.low) / (self.high - self.low) * (SIZE_LEVELS - 1))

    def area(self, level: int | None) -> float:
        """A step's marker area in pt^2."""
        return self.base if level is None else self.base * (0.5 + 1.5 * level / (SIZE_LEVELS - 1))

    def value(self, level: int) -> float:
        """The size figure at the middle of a step."""
        return self.low + (self.high - self.low) * level / (SIZE_LEVELS - 1)


def _sizes(drawn: Sequence[Point]) -> Sizes:
    base = _AREA if len(drawn) <= _FEW else max(6.0, _AREA * math.sqrt(_FEW / len(drawn)))
    sizes = [p.size for p in drawn if p.size is not None]
    return Sizes(base, min(sizes, default=0.0), max(sizes, default=0.0))


def draw_points(axes: Axes, drawn: Sequence[Point], styles: dict[str, tuple[str, str]]) -> Sizes:
    """Scatter the points, one call per platform, membership and size step: front members opaque with a black
    ring, on top. Returns the marker sizes, for the size legend."""
    sizes = _sizes(drawn)
    alpha = 1.0 if len(drawn) <= _FEW else max(0.12, math.sqrt(_FEW / len(drawn)))
    groups: dict[tuple[bool, str, int], list[Point]] = {}
    for p in drawn:
        groups.setdefault((p.front, p.platform, -1 if (k := sizes.level(p.size)) is None else k), []).append(p)
    for (on_front, platform, level), group in sorted(groups.items()):
        colour, marker = _style(styles, platform)
        axes.scatter([p.x for p in group], [p.y for p in group], s=sizes.area(None if level < 0 else level),
                     c=colour, marker=marker, alpha=1.0 if on_front else alpha,
                     linewidths=0.9 if on_front else 0.0, edgecolors=FRONT_EDGE if on_front else "none",
                     zorder=3 if on_front else 2, rasterized=not on_front and len(drawn) > RASTER_ABOVE)  # fmt: skip
    axes.margins(0.06)  # no point on an axis line
    return sizes


def platform_handles(drawn: Sequence[Point], styles: dict[str, tuple[str, str]]) -> list[Line2D]:
    """A legend entry per platform drawn, in the styles' order, `OTHER_PLATFORMS` last."""
    present = {p.platform for p in drawn}
    names = [p for p in styles if p in present] + ([OTHER_PLATFORMS] if OTHER_PLATFORMS in present else [])
    handles = []
    for name in names:
        colour, marker = _style(styles, name)
        handles.append(Line2D([], [], linestyle="none", marker=marker, color=colour, label=label(name) or "(none)"))
    return handles


def size_handles(sizes: Sizes, unit: str) -> list[Line2D]:
    """Legend entries for the smallest, middle and largest size step (none when sizes do not vary)."""
    if sizes.high <= sizes.low:
        return []
    handles = []
    for level in (0, (SIZE_LEVELS - 1) // 2, SIZE_LEVELS - 1):
        text = f"{compact(float(f'{sizes.value(level):.2g}'))} {unit}"
        handles.append(Line2D([], [], linestyle="none", marker="o", color="#777777",
                              markersize=math.sqrt(sizes.area(level)), label=text))  # fmt: skip
    return handles


def set_scale(axes: Axes, values: Sequence[float], which: str, scale: Scale) -> None:
    """Label an axis with its unit; logarithmic when its positive values span more than `LOG_SPAN` times, with
    ticks at 1, 2 and 5 of each decade labelled when the span is under three decades."""
    axis = axes.xaxis if which == "x" else axes.yaxis
    (axes.set_xlabel if which == "x" else axes.set_ylabel)(scale.label)
    formatter = FuncFormatter(lambda value, _: scale.tick(value))
    positive = [v for v in values if v > 0]
    if values and len(positive) == len(values) and max(positive) / min(positive) > LOG_SPAN:
        (axes.set_xscale if which == "x" else axes.set_yscale)("log", subs=(2.0, 5.0))
        span = max(positive) / min(positive)
        if span < 1000:
            axis.set_minor_formatter(formatter)
            axis.set_tick_params(which="both", length=3.5)  # labels of minor and major ticks in one line
        else:
            axis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
    axis.set_major_formatter(formatter)
