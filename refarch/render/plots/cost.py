"""Capital cost by bill-of-materials category: where the money goes, and how much of it rests on estimated prices.

A BOM line's price is "estimate" when no vendor or third-party figure exists (`BomLine.confidence`); that part of
each category is hatched, so a reviewer sees at a glance how firm the total is.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.plan import Plan
from refarch.render.filters import money, percent
from refarch.render.plots.canvas import (
    ESTIMATE_HATCH,
    SERIES_COLOURS,
    Patch,
    PlotText,
    caption,
    drawing,
    heading,
    label,
    svg_text,
)

__all__ = ["cost_by_category"]

_FIRM = SERIES_COLOURS[0]
_ESTIMATED_FILL = "#CFE3F1"  # _FIRM lightened: the hatch, drawn in _FIRM, stays visible on it


@dataclass(frozen=True)
class _Category:
    name: str
    total_usd: float
    estimated_usd: float


def _categories(plan: Plan) -> list[_Category]:
    totals: dict[str, float] = {}
    estimated: dict[str, float] = {}
    for line in plan.bom:
        totals[line.category] = totals.get(line.category, 0.0) + line.extended_price_usd
        if line.confidence == "estimate":
            estimated[line.category] = estimated.get(line.category, 0.0) + line.extended_price_usd
    categories = [_Category(name, total, estimated.get(name, 0.0)) for name, total in totals.items()]
    return sorted(categories, key=lambda c: (-c.total_usd, c.name))


def _summary(categories: list[_Category]) -> str:
    if not categories:
        return "The plan has no bill of materials."
    total = sum(c.total_usd for c in categories)
    estimated = sum(c.estimated_usd for c in categories)
    text = f"Bill of materials {money(total)} in {len(categories)} categories"
    if not estimated:
        return text + "; no price in it is an estimate."
    share = percent(estimated / total) if total else percent(1.0)
    return text + f"; {money(estimated)} ({share}) of it at estimated prices (hatched)."


def cost_by_category(plan: Plan) -> str:
    """Capital cost per BOM category as horizontal bars, largest first, each labelled with its dollar total.

    The part of a category priced by estimate (`BomLine.confidence == "estimate"`) is hatched; the caption gives
    the total and its estimated share. Returns SVG text to inline in HTML (see `refarch.render.plots.canvas`).
    """
    categories = _categories(plan)
    summary = _summary(categories)
    with drawing(height_in=1.3 + 0.32 * max(len(categories), 1)) as figure:
        axes = figure.add_subplot()
        positions = list(range(len(categories)))
        firm = [c.total_usd - c.estimated_usd for c in categories]
        axes.barh(positions, firm, color=_FIRM, height=0.6)
        estimated = [k for k, c in enumerate(categories) if c.estimated_usd]  # a hatch of width 0 still writes one
        axes.barh(estimated, [categories[k].estimated_usd for k in estimated], left=[firm[k] for k in estimated],
                  height=0.6, color=_ESTIMATED_FILL, edgecolor=_FIRM, hatch=ESTIMATE_HATCH, linewidth=0)  # fmt: skip
        largest = max((c.total_usd for c in categories), default=0.0) or 1.0
        for position, category in zip(positions, categories, strict=True):
            axes.text(category.total_usd + largest * 0.01, position, money(category.total_usd), va="center")
        axes.set_yticks(positions, [label(c.name) for c in categories])
        axes.set_ylim(len(categories) - 0.5, -0.5)  # largest on top
        axes.set_xlim(0, largest * 1.3)  # room for the longest dollar label beside the largest bar
        axes.xaxis.set_visible(False)
        axes.spines["bottom"].set_visible(False)
        heading(figure, "Capital cost by bill-of-materials category")
        handles = []
        if any(firm):
            handles.append(Patch(color=_FIRM, label="primary, secondary or derived price"))
        if estimated:
            handles.append(Patch(facecolor=_ESTIMATED_FILL, edgecolor=_FIRM, hatch=ESTIMATE_HATCH, linewidth=0,
                                 label="estimated price"))  # fmt: skip
        if handles:
            axes.legend(handles=handles, loc="lower right")
        caption(figure, summary)
        lines = "; ".join(f"{c.name} {money(c.total_usd)} ({money(c.estimated_usd)} estimated)" for c in categories)
        return svg_text(figure, PlotText("cost-by-category", "Capital cost by bill-of-materials category",
                                         f"{summary} {lines}".strip()))  # fmt: skip
