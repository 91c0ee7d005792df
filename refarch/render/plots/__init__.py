"""Plots for the architecture review (review.html and review.pdf), each a function returning SVG text to inline.

Every figure drawn comes from the Plan (or, for sizing curves, from the points the caller passes). The SVG is
deterministic (the same plan gives the same bytes in any process), has no XML prolog so it can sit inside HTML,
scales to its container up to its drawn size, and is titled for screen readers; `canvas` says how.
"""

from __future__ import annotations

from refarch.render.plots.cost import cost_by_category
from refarch.render.plots.curves import LOG_SPAN, CurvePoint, CurveSeries, sizing_curves
from refarch.render.plots.performance import performance_band
from refarch.render.plots.racks import PER_RACK_LIMIT, rack_power

__all__ = [
    "LOG_SPAN",
    "PER_RACK_LIMIT",
    "CurvePoint",
    "CurveSeries",
    "cost_by_category",
    "performance_band",
    "rack_power",
    "sizing_curves",
]
