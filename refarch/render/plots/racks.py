"""IT power per rack against its limit, coloured by cooling method, with the liquid-cooled share hatched.

Up to `PER_RACK_LIMIT` racks each get a bar labelled with its name. Beyond that (a 16,384-GPU plan has some 760
racks) names cannot be read, so the racks are counted instead: a histogram of IT power per rack, stacked by
cooling method, each bar labelled with its count (a single air-cooled network rack among 700 others stays
visible as a "1", where a profile of one step per rack would make it a hairline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from refarch.plan import Plan, RackPlan
from refarch.render.filters import count, kw
from refarch.render.plots.canvas import (
    COOLING_COLOURS,
    ESTIMATE_HATCH,
    LIMIT_COLOUR,
    Axes,
    Line2D,
    Patch,
    PlotText,
    caption,
    drawing,
    heading,
    label,
    legend_above,
    svg_text,
)

__all__ = ["PER_RACK_LIMIT", "RACK_LABEL_CHARS", "rack_power"]

PER_RACK_LIMIT: Final = 60
"""The most racks drawn one bar each; more are counted in a histogram."""
RACK_LABEL_CHARS: Final = 16
"""The longest rack name drawn whole under its bar; longer ones end in an ellipsis."""
_BINS: Final = 40  # a kilowatt a bin at a 40 kW limit: racks a kilowatt apart are told apart

_TITLE = "IT power per rack against the rack power limit"
_UNKNOWN_COOLING = "#999999"  # a method the palette does not know yet still gets drawn, in grey
_HATCH_EDGE = "#FFFFFF"


def _order(racks: Sequence[RackPlan]) -> list[RackPlan]:
    methods = list(COOLING_COLOURS)
    rank = {method: k for k, method in enumerate(methods)}
    return sorted(racks, key=lambda r: (rank.get(r.cooling, len(methods)), r.cooling, -r.it_power_kw, r.name))


def _top(racks: Sequence[RackPlan]) -> float:
    """The scale of the power axis: the highest rack power or limit."""
    return max((max(r.it_power_kw, r.power_limit_kw) for r in racks), default=1.0) or 1.0


def _limits(racks: Sequence[RackPlan]) -> str:
    limits = sorted({r.power_limit_kw for r in racks})
    if not limits:
        return "no racks"
    return kw(limits[0]) if len(limits) == 1 else f"{kw(limits[0])} to {kw(limits[-1])}"


def _by_method(racks: Sequence[RackPlan]) -> dict[str, int]:
    methods: dict[str, int] = {}
    for rack in _order(racks):
        methods[rack.cooling] = methods.get(rack.cooling, 0) + 1
    return methods


def _legend(axes: Axes, racks: Sequence[RackPlan], collapsed: bool) -> None:
    handles: list[Patch | Line2D] = [
        Patch(color=COOLING_COLOURS.get(method, _UNKNOWN_COOLING), label=f"{label(method)} ({count(n)})")
        for method, n in _by_method(racks).items()
    ]
    if not collapsed and any(r.liquid_heat_kw > 0 for r in racks):
        handles.append(Patch(facecolor="#777777", edgecolor=_HATCH_EDGE, hatch=ESTIMATE_HATCH, linewidth=0,
                             label="heat to liquid"))  # fmt: skip
    handles.append(Line2D([], [], color=LIMIT_COLOUR, linestyle="--", label=f"rack limit {_limits(racks)}"))
    legend_above(axes, handles)


def _bars(axes: Axes, racks: Sequence[RackPlan]) -> None:
    """One bar per rack in plan order, named below; the limit as a dash over each bar."""
    positions = list(range(len(racks)))
    colours = [COOLING_COLOURS.get(r.cooling, _UNKNOWN_COOLING) for r in racks]
    air = [r.it_power_kw - r.liquid_heat_kw for r in racks]
    axes.bar(positions, air, color=colours, width=0.75)
    liquid = [k for k, r in enumerate(racks) if r.liquid_heat_kw > 0]  # a hatch of height 0 still writes one
    axes.bar(liquid, [racks[k].liquid_heat_kw for k in liquid], bottom=[air[k] for k in liquid],
             color=[colours[k] for k in liquid], width=0.75, edgecolor=_HATCH_EDGE, hatch=ESTIMATE_HATCH,
             linewidth=0)  # fmt: skip
    axes.hlines([r.power_limit_kw for r in racks], [p - 0.45 for p in positions], [p + 0.45 for p in positions],
                colors=LIMIT_COLOUR, linestyles="--", linewidth=1.0)  # fmt: skip
    rotate = len(racks) > 12  # side by side, a dozen names of five characters fit
    axes.set_xticks(positions, [label(r.name, RACK_LABEL_CHARS) for r in racks], rotation=90 if rotate else 0,
                    fontsize=7.0 if len(racks) > 30 else 8.0)  # fmt: skip
    axes.set_xlim(-0.6, len(racks) - 0.4)
    axes.set_ylim(0, _top(racks) * 1.08)
    axes.set_ylabel("IT power per rack (kW)")


def _histogram(axes: Axes, racks: Sequence[RackPlan]) -> None:
    """How many racks draw how much IT power, stacked by cooling method, each bar counted; the limit as a line."""
    top = _top(racks)
    edges = [top * k / _BINS for k in range(_BINS + 1)]
    methods = _by_method(racks)
    powers = [[r.it_power_kw for r in racks if r.cooling == method] for method in methods]
    colours = [COOLING_COLOURS.get(method, _UNKNOWN_COOLING) for method in methods]
    axes.hist(powers, bins=edges, stacked=True, color=colours, rwidth=0.85)
    totals = [int(n) for n in np.histogram([r.it_power_kw for r in racks], bins=edges)[0]]  # as hist counts them
    for k, total in enumerate(totals):
        if total:
            axes.annotate(count(total), ((edges[k] + edges[k + 1]) / 2, total), xytext=(0, 2),
                          textcoords="offset points", ha="center", fontsize=7.0,
                          gid=f"rack-count-{k}")  # fmt: skip
    for limit in sorted({r.power_limit_kw for r in racks}):
        axes.axvline(limit, color=LIMIT_COLOUR, linestyle="--", linewidth=1.0)
    axes.set_xlim(0, top * 1.02)
    axes.set_ylim(0, max(totals) * 1.12)
    axes.set_xlabel("IT power per rack (kW)")
    axes.set_ylabel("racks")


def _extreme(racks: Sequence[RackPlan], power_kw: float) -> str:
    at = [r.name for r in racks if r.it_power_kw == power_kw]
    return f"{kw(power_kw)} ({at[0] if len(at) == 1 else f'{count(len(at))} racks'})"


def _caption(racks: Sequence[RackPlan], collapsed: bool) -> str:
    methods = ", ".join(f"{count(n)} {method}" for method, n in _by_method(racks).items())
    drawn = "one bar each"
    if collapsed:
        drawn = f"counted in {kw(_top(racks) / _BINS)} bins of IT power and stacked by cooling method"
    text = f"{count(len(racks))} racks ({methods}), {drawn}; rack limit {_limits(racks)}."
    if racks:
        powers = [r.it_power_kw for r in racks]
        if max(powers) == min(powers):
            text += f" All at {kw(powers[0])}."
        else:
            text += f" Highest {_extreme(racks, max(powers))}, lowest {_extreme(racks, min(powers))}."
    liquid = sum(r.liquid_heat_kw for r in racks)
    if liquid > 0:
        lead = "Heat to liquid:" if collapsed else "Hatched: heat to liquid,"
        text += f" {lead} {kw(liquid)} of {kw(sum(r.it_power_kw for r in racks))}."
    return text


def rack_power(plan: Plan) -> str:
    """IT power per rack (`RackPlan.it_power_kw`) against its limit, coloured by cooling method.

    Up to `PER_RACK_LIMIT` racks: a bar per rack, named, the share of its heat that goes to liquid
    (`liquid_heat_kw`) hatched. More: a histogram of racks by IT power, stacked by cooling method, each bar
    counted, the limit a vertical line. The caption counts the racks of each method, names the extremes and
    gives the heat to liquid. Returns SVG text to inline in HTML.
    """
    racks = plan.racks
    collapsed = len(racks) > PER_RACK_LIMIT
    text = _caption(racks, collapsed)
    with drawing(height_in=3.6) as figure:
        axes = figure.add_subplot()
        if collapsed:
            _histogram(axes, racks)
        else:
            _bars(axes, racks)
        heading(figure, _TITLE)
        if racks:
            _legend(axes, racks, collapsed)
        caption(figure, text)
        return svg_text(figure, PlotText("rack-power", _TITLE, text))
