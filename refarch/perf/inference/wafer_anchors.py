"""Wafer inference calibration: one SRAM-bandwidth fraction fitted to the reference's single-stream CS-3 anchors.

Two vendor figures (Llama 3.1 8B at about 1,800 and 70B at about 450 tokens/s, 16-bit weights in SRAM) are all
there is, so the fit has one parameter, reports both residuals, and its band is at least WAFER_BAND_FLOOR_PCT.
Prefill and the compute roof borrow the wafer training fit's compute fraction.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.perf.inference.memory import InferenceRequest, wafer_layout
from refarch.perf.inference.timing import (
    WAFER_BAND_FLOOR_PCT,
    AnchorResidual,
    WaferInferenceCalibration,
    wafer_timing,
)
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.wafer.fit import default_wafer_calibration, shipped_catalog
from refarch.types import ModelShape

__all__ = [
    "ANCHORS",
    "ANCHOR_SYSTEM",
    "InferenceAnchor",
    "default_wafer_inference_calibration",
    "fit_wafer_inference",
    "reference_anchors",
]

# Reference anchors (performance.md, P, launch August 2024): single-stream output tokens/s, 16-bit weights in SRAM.
# Llama 3.1 has Llama 3's dimensions, so the llama3 presets stand in.
ANCHORS = (("llama3.1-8b", "llama3-8b", 1, 1800.0), ("llama3.1-70b", "llama3-70b", 4, 450.0))
ANCHOR_SYSTEM = "cs-3"


@dataclass(frozen=True)
class InferenceAnchor:
    """A published single-stream figure: `shape` on `systems` x `platform` at `tokens_per_s`."""

    id: str
    shape: ModelShape
    platform: Platform
    systems: int
    tokens_per_s: float


def reference_anchors(catalog: Catalog) -> list[InferenceAnchor]:
    """The reference's single-stream CS-3 figures with the catalog's model presets and platform."""
    platform = platform_from_catalog(catalog, ANCHOR_SYSTEM)
    fields = ("params", "layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len")
    anchors = []
    for anchor_id, preset, systems, value in ANCHORS:
        model = catalog.get(preset, LlmModel)
        shape = ModelShape(preset=preset, **{f: getattr(model, f) for f in fields})
        anchors.append(InferenceAnchor(anchor_id, shape, platform, systems, value))
    return anchors


def _single_stream(anchor: InferenceAnchor, cal: WaferInferenceCalibration) -> AnchorResidual:
    """The model's single-stream tokens/s for `anchor` on one replica, and the wafers it placed the weights on."""
    layout = wafer_layout(InferenceRequest(anchor.shape), anchor.platform, 1)
    step = wafer_timing(InferenceRequest(anchor.shape), anchor.platform, layout, cal).decode_step_s
    return AnchorResidual(anchor.id, anchor.tokens_per_s, 1 / step, layout.pipeline)


def fit_wafer_inference(anchors: Sequence[InferenceAnchor], compute_fraction: float) -> WaferInferenceCalibration:
    """Fit one SRAM-bandwidth fraction to single-stream anchors (log least squares) and report the residuals."""

    def predict(fraction: float) -> list[AnchorResidual]:
        return [_single_stream(a, WaferInferenceCalibration(fraction, compute_fraction)) for a in anchors]

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.asarray([math.log(r.predicted / r.measured) for r in predict(float(x[0]))])

    fraction = float(least_squares(residuals, [0.01], bounds=([1e-6], [1.0]), x_scale="jac").x[0])
    fitted = tuple(predict(fraction))
    errors = [abs(r.error) * 100 for r in fitted]
    names = ", ".join(f"{a.id} {a.tokens_per_s:g} tok/s on {a.systems} x {a.platform.system_id}" for a in anchors)
    return WaferInferenceCalibration(
        fraction,
        compute_fraction,
        fitted,
        float(np.mean(errors)),
        max(max(errors), WAFER_BAND_FLOOR_PCT),
        f"{len(anchors)} single-stream vendor anchors ({names}): one parameter; no concurrency data published",
        tuple(sorted({a.platform.accelerator_id for a in anchors})),
    )


@functools.lru_cache(maxsize=1)
def default_wafer_inference_calibration() -> WaferInferenceCalibration:
    """The fit to the reference anchors; prefill and the compute roof use the wafer training compute fraction."""
    return fit_wafer_inference(reference_anchors(shipped_catalog()), default_wafer_calibration().compute_fraction)
