"""The review document's content, built once from the Plan and shared by review.pdf and review.html.

Sections follow the order a review meeting takes: what was asked, the headline and summary, the decisions with
their alternatives, compute and performance, every network with its drawing, racks, power and cooling, failure
domains, risks, the BOM by category, assumptions, and the bundle's manifest.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from refarch.plan import REFARCH_VERSION, Plan, SizingDecision
from refarch.render.context import RenderContext
from refarch.render.diagrams import dot_to_svg, drawing_roles, fabric_diagrams
from refarch.render.fabric_drawing import PAGE, fabric_dot
from refarch.render.review.decisions import decisions
from refarch.render.review.failures import failure_domains
from refarch.render.review.inventory import bom_by_category, manifest_entries, rack_groups
from refarch.render.review.model import (
    BomCategory,
    Decision,
    FailureDomain,
    Figure,
    ManifestEntry,
    RackGroup,
    Risk,
)
from refarch.render.review.narrative import executive_summary, headline, requirements, site_requirements
from refarch.render.review.risks import risks

__all__ = ["Drawing", "ReviewDocument", "build_document", "for_print"]

_PROLOG = re.compile(r"\A(?:\s*<\?xml[^>]*\?>|\s*<!DOCTYPE[^>]*>|\s*<!--.*?-->)*\s*", re.DOTALL)


@dataclass(frozen=True)
class Drawing:
    """An SVG drawing (a fabric diagram or a plot) with its title, inlined in HTML or embedded as an image."""

    key: str
    title: str
    caption: str
    svg: str
    # Sizes itself with CSS (the plots: width 100% up to their drawn width), so it is inlined on paper too; the
    # Graphviz drawings have a fixed size in points and go on paper as images, which the page scales down.
    self_sizing: bool = False

    @property
    def inline(self) -> str:
        """The SVG element alone (no XML prolog, doctype or leading comments), for inlining in HTML."""
        return _PROLOG.sub("", self.svg, count=1)

    @property
    def data_uri(self) -> str:
        """The SVG as a data URI for an <img>, which scales it to the page while keeping its proportions."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class ReviewDocument:
    """Everything the review templates show, section by section."""

    title: str
    description: str
    generated_by: str
    requirements: tuple[str, ...]
    site: tuple[Figure, ...]
    headline: tuple[Figure, ...]
    summary: str
    decisions: tuple[Decision, ...]
    diagrams: tuple[Drawing, ...]
    plots: Mapping[str, Drawing]
    racks: tuple[RackGroup, ...]
    failure_domains: tuple[FailureDomain, ...]
    risks: tuple[Risk, ...]
    bom: tuple[BomCategory, ...]
    bom_total_usd: float
    manifest: tuple[ManifestEntry, ...]


def build_document(context: RenderContext) -> ReviewDocument:
    """The review's content for the context's plan, as on screen (the fabrics are the diagrams output's drawings,
    which scroll); the manifest lists the files rendered before the review."""
    plan = context.plan
    found = risks(plan)
    return ReviewDocument(
        title=plan.metadata.name,
        description=plan.metadata.description,
        generated_by=f"refarch {REFARCH_VERSION} (plan schema {plan.schema_version})",
        requirements=requirements(plan),
        site=site_requirements(plan),
        headline=headline(plan),
        summary=executive_summary(plan, len(found)),
        decisions=decisions(plan),
        diagrams=_diagrams(context),
        plots=_plots(context.plan),
        racks=rack_groups(plan),
        failure_domains=failure_domains(plan),
        risks=found,
        bom=bom_by_category(plan),
        bom_total_usd=sum(line.extended_price_usd for line in plan.bom),
        manifest=manifest_entries(context.bundle),
    )


def _diagrams(context: RenderContext) -> tuple[Drawing, ...]:
    drawings = []
    for stem, drawing in fabric_diagrams(context).items():
        fabric_name, _, view = stem.rpartition("-")
        fabric = context.plan.fabrics[fabric_name]
        if view == "topology":
            title = f"{fabric_name}: {fabric.purpose}, by tier"
            caption = "Switches grouped by tier and plane; edge labels count the links between groups."
        else:
            title = f"{fabric_name}: scalable unit 1 in full"
            caption = "Every system and leaf of the first scalable unit, one edge per rail."
        drawings.append(Drawing(f"diagram-{stem}", title, caption, drawing.svg))
    return tuple(drawings)


def for_print(document: ReviewDocument, context: RenderContext) -> ReviewDocument:
    """`document` on paper: the fabrics drawn at page density (refarch.render.fabric_drawing.PAGE), so that labels
    stay readable at A4 width; everything else as on screen."""
    roles = drawing_roles(context)
    pages = tuple(
        Drawing(
            f"diagram-{name}-page",
            f"{name}: {fabric.purpose}, by tier",
            "Devices grouped by scalable unit, pod or tier; edge labels count the links and their bandwidth. "
            "diagrams/ holds the full drawings, review.html shows them inline.",
            dot_to_svg(fabric_dot(fabric, roles, PAGE), f"{name}-page"),
        )
        for name, fabric in sorted(context.plan.fabrics.items())
    )
    return replace(document, diagrams=pages)


def _plots(plan: Plan) -> Mapping[str, Drawing]:
    """The plots by where they go: `cost` (summary), `racks`, `performance` (compute), `sizing-<workload>`
    (decisions)."""
    # Matplotlib loads here, not when refarch starts: only the review draws plots.
    from refarch.render import plots

    drawn: dict[str, Drawing] = {
        "cost": Drawing(
            "plot-cost", "Capital cost by category", "Estimated prices hatched.", plots.cost_by_category(plan), True
        ),
        "racks": Drawing(
            "plot-racks",
            "IT power per rack against its limit",
            "Coloured by cooling method; heat to liquid hatched.",
            plots.rack_power(plan),
            True,
        ),
    }
    band = plots.performance_band(plan)
    if band is not None:
        drawn["performance"] = Drawing(
            "plot-performance",
            "Performance estimates with their bands",
            "The band is the calibration's error; dashed lines are the targets.",
            band,
            True,
        )
    for decision in plan.decisions:
        drawn[f"sizing-{decision.workload}"] = _sizing_curves(decision)
    return drawn


def _sizing_curves(decision: SizingDecision) -> Drawing:
    from refarch.render import plots

    series = [
        plots.CurveSeries(
            label=c.platform,
            points=tuple(plots.CurvePoint(p.systems, p.value, p.meets_target) for p in c.points),
            chosen_systems=c.systems if c.status == "chosen" else None,
        )
        for c in decision.candidates
        if c.points
    ]
    training = decision.metric == "time_to_train_days"
    label = "time to train (days, with goodput)" if training else "output tokens/s"
    # An inference target of 0 means the search compared concurrency or TTFT only: no throughput line to draw.
    target = decision.target if training or decision.target > 0 else None
    return Drawing(
        f"plot-sizing-{decision.workload}",
        f"{decision.workload}: {'time to train' if training else 'throughput'} against system count per candidate",
        "Every estimate target sizing computed on its way to each platform's size; filled points meet the target, "
        "the ringed one was chosen.",
        plots.sizing_curves(series, label, target),
        True,
    )
