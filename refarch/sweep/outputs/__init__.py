"""The files a finished sweep writes, from its results alone.

- `sweep.csv`, `sweep.parquet`: one row per scenario in index order (`columns`, `tabular`).
- `pareto.csv`: the Pareto front over the feasible scenarios, by capex (`pareto`).
- `plots/pareto.svg`, `plots/cost-by-platform.svg`, `plots/time-vs-power.svg` (`plots`, `cost_plot`).
- `report.html` (one self-contained file) and `report.pdf` (WeasyPrint), from the templates under
  `templates/sweep/` (`report`).

The same results, in any order, give the same bytes. Every string from the sweep file or the catalog (axis values,
names, problems) is written literally: quoted and formula-neutralised in CSV, escaped in HTML and in the PDF's HTML,
drawn as text in the SVGs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from refarch.errors import OutputError
from refarch.render.context import Paper
from refarch.render.dates import source_date
from refarch.render.review.document import Drawing
from refarch.render.review.pdf import html_to_pdf
from refarch.render.templating import Templates
from refarch.sweep.outputs.columns import FIGURES, ordered, sweep_columns
from refarch.sweep.outputs.cost_plot import cost_by_platform_plot
from refarch.sweep.outputs.pareto import Front, front_order, pareto_front
from refarch.sweep.outputs.plots import pareto_plot, time_vs_power_plot
from refarch.sweep.outputs.report import build_report
from refarch.sweep.outputs.tabular import csv_bytes, parquet_bytes
from refarch.sweep.records import ScenarioResult, SweepInfo

__all__ = ["HTML_TEMPLATE", "PRINT_TEMPLATE", "sweep_files"]

HTML_TEMPLATE = "sweep/report.html.j2"
PRINT_TEMPLATE = "sweep/print.html.j2"
_VIEWBOX: Final = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')
_ROOT_STYLE: Final = re.compile(r' style="[^"]*"')


def _plots(results: Sequence[ScenarioResult], front: Front) -> dict[str, Drawing]:
    """Path -> drawing, in the report's order."""
    labels = {m.field: m.label for m in FIGURES}
    objectives = ", ".join(labels[f] for f in front.objectives) or "none"
    return {
        "plots/pareto.svg": Drawing(
            "plot-pareto", "Pareto front", f"Ringed: the front over {objectives}.",
            pareto_plot(results, front), self_sizing=True,
        ),
        "plots/cost-by-platform.svg": Drawing(
            "plot-cost", "Cost by platform", "Each platform's cheapest feasible scenario: capex by category and "
            "opex over the horizon.", cost_by_platform_plot(results), self_sizing=True,
        ),
        "plots/time-vs-power.svg": Drawing(
            "plot-time-power", "Performance against power", "What each feasible scenario delivers for the power "
            "it draws.", time_vs_power_plot(results, front), self_sizing=True,
        ),
    }  # fmt: skip


def _on_paper(drawing: Drawing) -> Drawing:
    """A plot as report.pdf embeds it: an image of the SVG sized by its view box (in points), which the page
    scales down. Inline, WeasyPrint would run every element of the SVG through the page's style sheet: a
    10,000-scenario sweep's plots took 4 s more that way."""
    end = drawing.svg.index(">")
    head = drawing.svg[:end]
    size = _VIEWBOX.search(head)
    if size is None:  # not one of our plots' SVG: inline it as on screen
        return drawing
    # The page's sizing (width 100%, height auto) leaves an image nothing to go by: its size in points instead.
    head = _ROOT_STYLE.sub("", head).replace("<svg ", f'<svg width="{size.group(1)}pt" height="{size.group(2)}pt" ', 1)
    return replace(drawing, svg=head + drawing.svg[end:], self_sizing=False)


def _pdf(html: str) -> bytes:
    try:
        return html_to_pdf(html)
    except OutputError as exc:  # html_to_pdf speaks of review.pdf
        message = exc.message.replace("review.pdf", "report.pdf", 1)
        hint = exc.hint and "install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        raise OutputError(message, hint=hint) from exc


def sweep_files(
    results: Sequence[ScenarioResult],
    info: SweepInfo,
    *,
    paper: Paper = "a4",
    templates: Templates | None = None,
) -> dict[str, bytes]:
    """Relative path -> content for the sweep's outputs; `results` in any order (written sorted by index).

    `paper` is report.pdf's page size; `templates` the environment with the user's template directories, if any.

    Raises:
        InputError: a template fails (a user's override).
        OutputError: WeasyPrint cannot be loaded or fails.
    """
    rows = ordered(results)
    front = pareto_front(rows)
    columns = sweep_columns(rows, info, front.members)
    position = {r.scenario: k for k, r in enumerate(rows)}
    members = sorted((r for r in rows if r.scenario in front.members), key=front_order)
    plots = _plots(rows, front)
    report = build_report(rows, info, front, list(plots.values()))
    environment = templates or Templates()
    variables = {"paper": paper, "created": source_date(os.environ)}
    printed = replace(report, plots=tuple(_on_paper(d) for d in report.plots))
    files = {
        "sweep.csv": csv_bytes(columns),
        "sweep.parquet": parquet_bytes(columns),
        "pareto.csv": csv_bytes(columns, [position[r.scenario] for r in members]),
    }
    files.update({path: drawing.svg.encode("utf-8") for path, drawing in plots.items()})
    files["report.html"] = environment.render(HTML_TEMPLATE, doc=report, **variables).encode("utf-8")
    files["report.pdf"] = _pdf(environment.render(PRINT_TEMPLATE, doc=printed, **variables))
    return files
