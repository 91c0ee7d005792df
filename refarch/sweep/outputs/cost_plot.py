"""plots/cost-by-platform.svg: for each platform, its cheapest feasible scenario's capex by category and its opex
over the horizon (TCO minus capex, where the scenario has a TCO), as one stacked horizontal bar.

The cheapest is the least capex (then the lowest index). At most `BAR_LIMIT` platforms are drawn, cheapest first;
at most `_CATEGORY_LIMIT` categories get a colour of their own (the largest over the bars drawn), the rest are one
"other categories" segment; capex no category accounts for is "uncategorised".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from refarch.render.filters import money
from refarch.render.plots.canvas import (
    ESTIMATE_HATCH,
    WIDTH_IN,
    Axes,
    Figure,
    FuncFormatter,
    Patch,
    PlotText,
    caption,
    drawing,
    heading,
    label,
    svg_text,
)
from refarch.sweep.outputs.scatter import SCALES
from refarch.sweep.records import ScenarioResult

__all__ = ["BAR_LIMIT", "cost_by_platform_plot"]

BAR_LIMIT: Final = 20
_CATEGORY_LIMIT: Final = 6
_TITLE: Final = "Cost of each platform's cheapest feasible scenario"
_CATEGORY_COLOURS: Final = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
_OTHER: Final = ("other categories", "#999999")
_UNCATEGORISED: Final = ("uncategorised", "#C8C8C8")
_OPEX: Final = ("opex over the horizon (TCO - capex)", "#FFFFFF")
_OPEX_EDGE: Final = "#555555"
_ROUNDING: Final = 0.005  # capex left over by the categories below this share of it is rounding, not drawn


@dataclass(frozen=True)
class _Bar:
    platform: str
    index: int
    capex_usd: float
    segments: dict[str, float]  # category -> USD
    opex_usd: float | None

    @property
    def total_usd(self) -> float:
        """Capex plus opex over the horizon: the TCO where the scenario has one."""
        return self.capex_usd + (self.opex_usd or 0.0)


def cheapest(results: Sequence[ScenarioResult]) -> list[ScenarioResult]:
    """Each platform's feasible scenario with the least capex (ties: lowest index), cheapest platform first."""
    best: dict[str, ScenarioResult] = {}
    for r in results:
        if r.status != "feasible" or r.capex_usd is None:
            continue
        platform = r.platforms or ""
        held = best.get(platform)
        if held is None or (r.capex_usd, r.index) < (held.capex_usd or 0.0, held.index):
            best[platform] = r
    return sorted(best.values(), key=lambda r: (r.capex_usd or 0.0, r.index))


def _bars(chosen: Sequence[ScenarioResult]) -> tuple[list[_Bar], list[str]]:
    totals: dict[str, float] = {}
    for r in chosen:
        for category, usd in r.capex_by_category.items():
            totals[category] = totals.get(category, 0.0) + usd
    named = sorted(totals, key=lambda c: (-totals[c], c))[:_CATEGORY_LIMIT]
    bars = []
    for r in chosen:
        capex = r.capex_usd or 0.0
        segments = {c: r.capex_by_category.get(c, 0.0) for c in named}
        others = sum(usd for c, usd in r.capex_by_category.items() if c not in segments)
        segments[_OTHER[0]] = others
        segments[_UNCATEGORISED[0]] = max(capex - sum(segments.values()), 0.0)
        if segments[_UNCATEGORISED[0]] < _ROUNDING * capex:
            segments[_UNCATEGORISED[0]] = 0.0
        opex = None if r.tco_usd is None else max(r.tco_usd - capex, 0.0)
        bars.append(_Bar(r.platforms or "", r.index, capex, segments, opex))
    return bars, named


def _description(bars: Sequence[_Bar], more: int) -> str:
    parts = [
        f"{b.platform or '(no platform)'}: scenario #{b.index}, capex {money(b.capex_usd)}"
        + ("" if b.opex_usd is None else f", opex over the horizon {money(b.opex_usd)}")
        for b in bars
    ]
    tail = f"; {more} more platforms in sweep.csv" if more else ""
    return ("; ".join(parts) or "No feasible scenario has a capex.") + tail + "."


def _legend(figure: Figure, axes: Axes, handles: list[Patch]) -> None:
    """The legend over the bars, from the figure's left edge rather than the axes' (long platform names push the
    axes right, and a legend over the axes alone would run off the figure)."""
    from matplotlib.transforms import blended_transform_factory  # loaded by the canvas already, as it must be

    longest = max(len(str(h.get_label())) for h in handles)
    columns = max(1, min(len(handles), int(WIDTH_IN * 72 / (8.0 * 0.6)) // (longest + 6)))
    where = blended_transform_factory(figure.transFigure, axes.transAxes)  # x: the figure's, y: the axes'
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), bbox_transform=where, ncols=columns,
                borderaxespad=0.2)  # fmt: skip


def cost_by_platform_plot(results: Sequence[ScenarioResult]) -> str:
    """One bar per platform (its cheapest feasible scenario): capex by category, then opex over the horizon
    hatched; labelled with the total and the scenario's index. Returns SVG text."""
    chosen = cheapest(results)
    more = max(len(chosen) - BAR_LIMIT, 0)
    bars, named = _bars(chosen[:BAR_LIMIT])
    description = _description(bars, more)
    colours = dict(zip(named, _CATEGORY_COLOURS, strict=False)) | dict([_OTHER, _UNCATEGORISED])
    with drawing(height_in=1.9 + 0.42 * max(len(bars), 1)) as figure:
        axes = figure.add_subplot()
        heading(figure, _TITLE)
        if not bars:
            axes.text(0.5, 0.5, "No feasible scenario has a capex.", ha="center", va="center",
                      transform=axes.transAxes)  # fmt: skip
            axes.set_axis_off()
            return svg_text(figure, PlotText("sweep-cost", _TITLE, description))
        positions = list(range(len(bars)))
        left = [0.0] * len(bars)
        drawn: list[str] = []
        for name, colour in colours.items():
            widths = [b.segments.get(name, 0.0) for b in bars]
            if not any(widths):
                continue
            drawn.append(name)
            axes.barh(positions, widths, left=left, height=0.62, color=colour, linewidth=0)
            left = [a + w for a, w in zip(left, widths, strict=True)]
        opex = [b.opex_usd or 0.0 for b in bars]
        if any(opex):
            axes.barh(positions, opex, left=left, height=0.62, color=_OPEX[1], edgecolor=_OPEX_EDGE,
                      hatch=ESTIMATE_HATCH, linewidth=0.6)  # fmt: skip
        largest = max(b.total_usd for b in bars) or 1.0
        for position, bar in zip(positions, bars, strict=True):
            axes.text(bar.total_usd + largest * 0.01, position, f"{money(bar.total_usd)}  (#{bar.index})",
                      va="center", fontsize=8.0)  # fmt: skip
        axes.set_yticks(positions, [label(b.platform) or "(none)" for b in bars])
        axes.set_ylim(len(bars) - 0.5, -0.5)  # cheapest on top
        axes.set_xlim(0, largest * 1.32)  # room for the label beside the longest bar
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: SCALES["capex_usd"].tick(value)))
        axes.set_xlabel("USD")
        handles = [Patch(color=colours[name], label=label(name)) for name in drawn]
        if any(opex):
            handles.append(Patch(facecolor=_OPEX[1], edgecolor=_OPEX_EDGE, hatch=ESTIMATE_HATCH, linewidth=0.6,
                                 label=_OPEX[0]))  # fmt: skip
        _legend(figure, axes, handles)
        note = "Each bar: the platform's feasible scenario with the least capex (its index after the total)"
        note += ", capex by BOM category" + (", then opex over the horizon, TCO minus capex, hatched." if any(opex)
                                             else "; no scenario has a TCO, so no opex is drawn.")  # fmt: skip
        if more:
            note += f" {more} more platforms are not drawn (sweep.csv has them)."
        caption(figure, note)
        return svg_text(figure, PlotText("sweep-cost", _TITLE, description))
