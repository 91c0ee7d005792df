"""Where the plots are drawn and turned into SVG text that HTML and WeasyPrint can inline.

Every plot is drawn inside `drawing()`: a Matplotlib `Figure` on the SVG canvas (no pyplot, so no global figure
list to leak into), under Matplotlib's default settings plus ours, whatever the user's matplotlibrc says. A lock
serialises drawings because rcParams are process-global even when figures are not.

`svg_text()` makes the SVG fit to sit inline in a page:
- no XML prolog, DOCTYPE or RDF metadata (a Matplotlib version or a date would make outputs differ);
- it scales to its container (`width: 100%`) but never beyond its drawn size, so text keeps its design size;
- every id, and every reference to one, carries a prefix unique to the plot's content, so several plots in one
  HTML document neither clash nor pick up each other's clip paths and hatches; Matplotlib's default stroke style
  is scoped to the plot instead of applying to the whole page;
- a `<title>` and `<desc>` name it for screen readers (`role="img"`, `aria-labelledby`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import textwrap
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

# Importing Matplotlib without a writable config directory logs warnings meant for Matplotlib users (set
# MPLCONFIGDIR); a refarch user can do nothing with them, so they are silenced for the import only.
_MATPLOTLIB_LOG = logging.getLogger("matplotlib")
_LOG_LEVEL = _MATPLOTLIB_LOG.level
_MATPLOTLIB_LOG.setLevel(logging.ERROR)
try:
    import matplotlib.style
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator
finally:
    _MATPLOTLIB_LOG.setLevel(_LOG_LEVEL)

__all__ = [
    "COOLING_COLOURS",
    "ESTIMATE_HATCH",
    "LABEL_CHARS",
    "LIMIT_COLOUR",
    "SERIES_COLOURS",
    "TARGET_COLOUR",
    "WIDTH_IN",
    "Axes",
    "Figure",
    "FuncFormatter",
    "Line2D",
    "MaxNLocator",
    "Patch",
    "PlotText",
    "caption",
    "compact",
    "drawing",
    "figure_value",
    "heading",
    "legend_above",
    "label",
    "svg_text",
]

# Drawn width: an A4 page's text column (210 mm less 2 x 20 mm margins is 6.7 in); the SVG scales down from it.
WIDTH_IN: Final = 6.7
# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print by lightness.
SERIES_COLOURS: Final = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")  # vermillion: targets
COOLING_COLOURS: Final = {
    "air": "#56B4E9",
    "rdhx": "#0072B2",
    "liquid": "#009E73",
    "liquid+air": "#E69F00",
    "liquid+rdhx": "#CC79A7",
}
TARGET_COLOUR: Final = "#D55E00"
LIMIT_COLOUR: Final = "#000000"
ESTIMATE_HATCH: Final = "////"
LABEL_CHARS: Final = 40
"""The longest user string drawn whole (rotated rack names: `RACK_LABEL_CHARS`); longer ones end in an ellipsis."""

_STYLE: Final = {
    "svg.fonttype": "none",  # text stays text: searchable and selectable in HTML and the PDF, and small
    "svg.hashsalt": "refarch",  # clip-path and hatch ids are hashes of content and this salt, not of uuid4()
    "text.parse_math": False,  # a `$` in a rack or workload name is a dollar sign, never mathtext that can raise
    "text.usetex": False,
    "font.family": "sans-serif",
    # Matplotlib ships DejaVu Sans and finds its own copy first, so text is measured alike on every machine.
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.8,
}
_NO_METADATA: Final = {"Creator": None, "Date": None, "Format": None, "Type": None}
_LOCK = threading.Lock()
_SIZE = re.compile(r' (width|height)="([\d.]+)pt"')
_TAG = re.compile(r"<[^>]+>")
_REFERENCE = re.compile(r'( id="|url\(#|href="#)')


@dataclass(frozen=True)
class PlotText:
    """What a plot is called and says, for the SVG's `<title>` and `<desc>`; `kind` starts its ids."""

    kind: str
    title: str
    description: str


@contextmanager
def drawing(height_in: float, width_in: float = WIDTH_IN) -> Iterator[Figure]:
    """A figure to draw one plot on, under the plots' style; finish it with `svg_text` inside the block."""
    with _LOCK, matplotlib.style.context(["default", _STYLE]):
        figure = Figure(figsize=(width_in, height_in), layout="constrained")
        FigureCanvasSVG(figure)
        yield figure


def svg_text(figure: Figure, text: PlotText) -> str:
    """The figure as SVG to inline in HTML: ids prefixed, sized to its container, titled (see the module)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    prefix = f"refarch-{text.kind}-{hashlib.sha256(svg.encode('utf-8')).hexdigest()[:10]}"
    # Text content cannot hold a raw "<" (Matplotlib escapes it), so ids are rewritten inside tags only and a label
    # that reads id="x" stays as written.
    svg = _TAG.sub(lambda tag: _REFERENCE.sub(lambda ref: f"{ref.group(1)}{prefix}-", tag.group(0)), svg)
    svg = svg.replace('<style type="text/css">*{', f'<style type="text/css">#{prefix} *{{', 1)
    head_end = svg.index(">") + 1
    size = {match.group(1): match.group(2) for match in _SIZE.finditer(svg[:head_end])}
    opening = _SIZE.sub("", svg[:head_end]).replace(
        "<svg ",
        f'<svg id="{prefix}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'style="width: 100%; height: auto; max-width: {size["width"]}pt" ',
        1,
    )
    accessible = (
        f'\n <title id="{prefix}-title">{escape(text.title)}</title>'
        f'\n <desc id="{prefix}-desc">{escape(text.description)}</desc>'
    )
    return opening + accessible + svg[head_end:]


def label(text: str, limit: int = LABEL_CHARS) -> str:
    """A user string (rack, workload, platform, category) cut to `limit` characters with an ellipsis, so that it
    cannot squeeze the plot; the review's tables carry it whole."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def heading(figure: Figure, text: str) -> None:
    """The plot's title, over its legend and axes, flush left."""
    figure.suptitle(text, x=0.0, ha="left", fontsize=10.0)


def legend_above(axes: Axes, handles: Sequence[Artist]) -> None:
    """A legend over the axes, in as many columns as its longest label lets fit across the figure."""
    longest = max((len(str(h.get_label())) for h in handles), default=1)
    across = int(WIDTH_IN * 72 / (8.0 * 0.6))  # 8 pt characters across the figure, with some room
    columns = max(1, min(len(handles), across // (longest + 6)))  # 6: the key and the gap before the next entry
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=columns, borderaxespad=0.2)


def caption(figure: Figure, text: str) -> None:
    """A caption under the plot, wrapped to the figure's width (constrained layout makes room for it)."""
    chars = int(figure.get_figwidth() * 72 / (8.0 * 0.55))  # 8 pt DejaVu Sans averages about 0.55 em a character
    figure.supxlabel(textwrap.fill(text, chars), x=0.0, ha="left", fontsize=8.0, color="#333333")


def figure_value(value: float) -> str:
    """A figure for a label: whole with separators from 1,000 up (`21,718`), else 3 significant digits (`29.9`)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def compact(value: float) -> str:
    """An axis tick, short: `12500000` -> `12.5M`, `20000` -> `20k`, `0.25` -> `0.25`."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"
