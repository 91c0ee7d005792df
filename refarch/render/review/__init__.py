"""Output `review`: the architecture-review document, as review.pdf (WeasyPrint) and review.html (one
self-contained, interactive file), from the templates under `templates/review/`.

Both render the same sections from one `ReviewDocument` (refarch.render.review.document); the PDF's print root
draws the fabrics at page density and embeds drawings as images, the HTML's root inlines them. The review is built
after the other outputs so that its manifest can list their files.
"""

from __future__ import annotations

import os

from refarch.render.context import Files, Output, RenderContext
from refarch.render.dates import source_date
from refarch.render.review.document import build_document, for_print
from refarch.render.review.explorer import build_explorer
from refarch.render.review.pdf import html_to_pdf

__all__ = ["HTML_TEMPLATE", "OUTPUT", "PRINT_TEMPLATE"]

PRINT_TEMPLATE = "review/print.html.j2"
HTML_TEMPLATE = "review/review.html.j2"


def _files(context: RenderContext) -> Files:
    variables = {
        "plan": context.plan,
        "views": context.views,
        "created": source_date(os.environ),
        "paper": context.paper,
    }
    on_screen = build_document(context)
    printed = for_print(on_screen, context)
    return {
        "review.pdf": html_to_pdf(context.templates.render(PRINT_TEMPLATE, doc=printed, **variables)),
        "review.html": context.templates.render(
            HTML_TEMPLATE, doc=on_screen, explorer=build_explorer(context), **variables
        ),
    }


OUTPUT = Output(
    "review",
    "review.pdf and review.html: the architecture review (requirements, decisions and alternatives, performance, "
    "networks, racks, power, failure domains, risks, BOM, assumptions, manifest)",
    _files,
    describes_bundle=True,
)
