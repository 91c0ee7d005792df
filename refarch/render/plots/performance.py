"""Each workload's estimated performance with its confidence band, against its target where it has one.

One row per estimate in `plan.performance`. Left, the headline throughput (training tokens/s, inference output
tokens/s) with the band (`confidence_low` to `confidence_high`) as an error bar. Right, for training, the time to
train; for inference, the time to first token, which the model gives without a band. A target, when the
workload has one, is a dashed line, and the label says whether the estimate meets it.

The time-to-train band is the tokens/s band carried over at the plan's goodput: the ideal time is the tokens over
tokens/s, so the time at each end of the band is the estimate's time scaled by tokens/s over that end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from refarch.plan import InferenceEstimate, Plan, TrainingEstimate, WorkloadEstimate
from refarch.render.plots.canvas import (
    LIMIT_COLOUR,
    TARGET_COLOUR,
    Axes,
    FuncFormatter,
    MaxNLocator,
    PlotText,
    caption,
    compact,
    drawing,
    figure_value,
    heading,
    label,
    svg_text,
)

__all__ = ["performance_band"]

_TITLE = "Estimated performance with its confidence band"
_SECONDS_PER_DAY: Final = 86400.0
_ROW_IN: Final = 1.3
_BEHIND_TEXT: Final = {"facecolor": "white", "edgecolor": "none", "pad": 1.0}  # keeps a crossing line off the text


@dataclass(frozen=True)
class _Measure:
    """One figure of an estimate as drawn: value, band (None: the model gives none), target, and which way is good."""

    name: str
    unit: str
    value: float
    band: tuple[float, float] | None
    target: float | None
    better: Literal["higher", "lower"]

    @property
    def verdict(self) -> str:
        """Whether the estimate meets the target ("met", "missed"); empty without a target."""
        if self.target is None:
            return ""
        meets = self.value >= self.target if self.better == "higher" else self.value <= self.target
        return "met" if meets else "missed"


def _training(estimate: TrainingEstimate) -> tuple[_Measure, _Measure | None]:
    rate = estimate.tokens_per_second
    throughput = _Measure("tokens/s", "tokens/s", rate, (estimate.confidence_low, estimate.confidence_high), None,
                          "higher")  # fmt: skip
    if estimate.time_to_train_s is None:
        return throughput, None
    days = estimate.time_to_train_s / _SECONDS_PER_DAY
    band = (days * rate / estimate.confidence_high, days * rate / estimate.confidence_low)
    target = None if estimate.target_time_to_train_s is None else estimate.target_time_to_train_s / _SECONDS_PER_DAY
    return throughput, _Measure("time to train", "days", days, band, target, "lower")


def _inference(estimate: InferenceEstimate) -> tuple[_Measure, _Measure]:
    throughput = _Measure("output tokens/s", "tokens/s", estimate.output_tokens_per_second,
                          (estimate.confidence_low, estimate.confidence_high),
                          estimate.target_output_tokens_per_second, "higher")  # fmt: skip
    ttft = _Measure("time to first token", "s", estimate.ttft_s, None, estimate.target_ttft_s, "lower")
    return throughput, ttft


def _words(measure: _Measure) -> str:
    text = f"{measure.name} {figure_value(measure.value)} {measure.unit}"
    if measure.band is not None:
        text += f" (band {figure_value(measure.band[0])} to {figure_value(measure.band[1])})"
    if measure.target is not None:
        text += f", target {figure_value(measure.target)} {measure.unit} ({measure.verdict})"
    return text


def _draw(axes: Axes, measure: _Measure) -> None:
    if measure.band is None:
        low = high = measure.value
        axes.plot([measure.value], [0], "o", color=LIMIT_COLOUR, markersize=6)
    else:
        low, high = measure.band
        axes.errorbar([measure.value], [0], xerr=[[measure.value - low], [high - measure.value]], fmt="o",
                      color=LIMIT_COLOUR, capsize=6, markersize=6, elinewidth=1.5)  # fmt: skip
    text = f"{figure_value(measure.value)} {measure.unit}"
    if measure.band is not None:
        text += f" ({figure_value(low)} to {figure_value(high)})"
    axes.annotate(text, (measure.value, 0), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=8.0,
                  bbox=_BEHIND_TEXT)  # fmt: skip
    right = max(high, measure.target or 0.0)
    if measure.target is not None:
        axes.axvline(measure.target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, zorder=1)
        axes.annotate(f"target {figure_value(measure.target)} {measure.unit} ({measure.verdict})",
                      (measure.target, 0), xytext=(-4 if measure.target > right / 2 else 4, -16),
                      textcoords="offset points", ha="right" if measure.target > right / 2 else "left",
                      fontsize=8.0, color=TARGET_COLOUR, bbox=_BEHIND_TEXT)  # fmt: skip
    axes.set_xlim(0, right * 1.15 or 1.0)
    axes.set_ylim(-1, 1)
    axes.yaxis.set_visible(False)
    axes.spines["left"].set_visible(False)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: compact(value)))
    name = measure.name if measure.name.endswith(measure.unit) else f"{measure.name} ({measure.unit})"
    axes.set_xlabel(name if measure.band is not None else f"{name}, no band", fontsize=8.0)


def _caption(rows: list[tuple[WorkloadEstimate, tuple[_Measure, _Measure | None]]]) -> str:
    text = "Points: the estimates; bars: their confidence bands; dashed lines: the targets."
    if any(isinstance(e, TrainingEstimate) and second is not None for e, (_, second) in rows):
        text += " Time to train includes goodput; its band is the tokens/s band carried over at the same goodput."
    return text


def performance_band(plan: Plan) -> str | None:
    """Each estimate's headline figure with its band as an error bar, and time to train (training) or time to
    first token (inference) beside it, each against its target where there is one; None without estimates.

    Returns SVG text to inline in HTML (see `refarch.render.plots.canvas`).
    """
    if not plan.performance:
        return None
    rows = [
        (estimate, _training(estimate) if isinstance(estimate, TrainingEstimate) else _inference(estimate))
        for estimate in plan.performance
    ]
    sentences = []
    with drawing(height_in=0.7 + _ROW_IN * len(rows)) as figure:
        heading(figure, _TITLE)
        grid = figure.subplots(len(rows), 2, squeeze=False)
        for (estimate, measures), axes_row in zip(rows, grid, strict=True):
            name = f"{estimate.workload} on {estimate.platform}"
            sentences.append(f"{name}: " + "; ".join(_words(m) for m in measures if m is not None) + ".")
            axes_row[0].set_title(f"{label(estimate.workload)} on {label(estimate.platform)}", loc="left",
                                  fontsize=9.0)  # fmt: skip
            for axes, measure in zip(axes_row, measures, strict=True):
                if measure is None:
                    axes.set_axis_off()
                else:
                    _draw(axes, measure)
        caption(figure, _caption(rows))
        return svg_text(figure, PlotText("performance-band", _TITLE, " ".join(sentences)))
