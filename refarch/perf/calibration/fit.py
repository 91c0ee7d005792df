"""Fit the training model's efficiency parameters to measurements, and judge it by leave-one-source-out error.

Parameters: per accelerator family, the fraction of dense peak matrix multiplies reach (`gemm`) and the share of
tensor/pipeline communication left exposed (`comm_exposed`, pulled weakly towards 1, i.e. no overlap, when a
family's data cannot tell); shared by all families, memory-bound traffic per stored activation byte, the share of
compute that hides data-parallel traffic and the width at which a tensor-parallel shard reaches half efficiency.
The fit minimises squared log residuals (scipy's least_squares), so a 10% miss costs the same at any scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from refarch.perf.calibration.file import Calibration, FamilyFit
from refarch.perf.calibration.measurements import Measurement, source_key
from refarch.perf.training.search import feasible_layouts
from refarch.perf.training.step import SHARED_PARAMETERS, StepTime, TrainingJob, step_time
from refarch.perf.transformer import Layout, model_flops_per_token

__all__ = [
    "CalibrationRun",
    "Prediction",
    "Prepared",
    "Residual",
    "calibrate",
    "fit",
    "in_sample",
    "leave_one_source_out",
    "predict",
    "prepare",
]

# Weight of the prior pulling `comm_exposed` towards 1 (no overlap) where the data cannot identify it.
_PRIOR_WEIGHT = 0.1
# Shared parameters: (start, lower bound, upper bound), in SHARED_PARAMETERS order.
_SHARED = {
    "memory_traffic": (20.0, 0.0, 50.0),
    "dp_overlap": (0.5, 0.0, 1.0),
    "gemm_half_width": (300.0, 0.0, 5000.0),
}


@dataclass(frozen=True)
class Prepared:
    """A measurement with the layouts that fit in memory (these do not depend on the parameters)."""

    point: Measurement
    job: TrainingJob
    layouts: tuple[Layout, ...]


@dataclass(frozen=True)
class Prediction:
    """The model's value for a measurement's metric, with the layout it chose."""

    value: float
    layout: Layout
    step: StepTime
    family_used: str


@dataclass(frozen=True)
class Residual:
    """Predicted against measured for one point; `error` is predicted / measured - 1."""

    point: Measurement
    predicted: float
    layout: Layout
    family_used: str

    @property
    def error(self) -> float:
        """Signed relative error."""
        return self.predicted / self.point.value - 1


def prepare(points: Sequence[Measurement]) -> list[Prepared]:
    """Precompute each point's memory-feasible layouts; points with none are dropped (they cannot be predicted)."""
    prepared = []
    for point in points:
        job = TrainingJob(point.shape, point.global_batch_seqs, point.precision)
        layouts = tuple(layout for layout, _ in feasible_layouts(job, point.platform, point.accelerators, point.limits))
        if layouts:
            prepared.append(Prepared(point, job, layouts))
    return prepared


def predict(item: Prepared, calibration: Calibration) -> Prediction:
    """The model's value of `item`'s metric at its fastest feasible layout."""
    efficiency, family = calibration.efficiency(item.point.platform.family)
    steps = [(step_time(item.job, item.point.platform, layout, efficiency), layout) for layout in item.layouts]
    step, layout = max(steps, key=lambda pair: pair[0].tokens_per_second)
    per_accelerator = step.tokens_per_second / item.point.accelerators
    if item.point.metric == "hardware_tflops_per_accelerator":
        hardware_flops = model_flops_per_token(item.point.shape, recompute=1.0)
        return Prediction(per_accelerator * hardware_flops / 1e12, layout, step, family)
    return Prediction(per_accelerator, layout, step, family)


def fit(prepared: Sequence[Prepared], fitted_on: str) -> Calibration:
    """Least-squares fit of the parameters to `prepared` (log residuals)."""
    families = sorted({item.point.platform.family for item in prepared})
    shared = [_SHARED[name] for name in SHARED_PARAMETERS]
    start = [0.6] * len(families) + [0.8] * len(families) + [s[0] for s in shared]
    lower = [0.1] * len(families) + [0.0] * len(families) + [s[1] for s in shared]
    upper = [1.0] * len(families) + [1.0] * len(families) + [s[2] for s in shared]
    result = least_squares(
        _residuals, start, bounds=(lower, upper), args=(prepared, families), diff_step=1e-3, x_scale="jac"
    )
    return _calibration(result.x, families, prepared, fitted_on)


def leave_one_source_out(prepared: Sequence[Prepared]) -> list[Residual]:
    """Each source's points predicted by a fit to all the other sources."""
    residuals: list[Residual] = []
    for source in sorted({source_key(item.point.source) for item in prepared}):
        held_out = [item for item in prepared if source_key(item.point.source) == source]
        training = [item for item in prepared if source_key(item.point.source) != source]
        calibration = fit(training, fitted_on=f"all sources but {source}")
        residuals.extend(_residual(item, calibration) for item in held_out)
    return residuals


def in_sample(prepared: Sequence[Prepared], calibration: Calibration) -> list[Residual]:
    """Residuals of `calibration` on the points it was fitted to."""
    return [_residual(item, calibration) for item in prepared]


def _residual(item: Prepared, calibration: Calibration) -> Residual:
    prediction = predict(item, calibration)
    return Residual(item.point, prediction.value, prediction.layout, prediction.family_used)


def _calibration(x: Sequence[float], families: list[str], prepared: Sequence[Prepared], fitted_on: str) -> Calibration:
    count = len(families)
    per_family = {
        family: FamilyFit(
            gemm=float(x[i]),
            comm_exposed=float(x[count + i]),
            points=sum(1 for item in prepared if item.point.platform.family == family),
        )
        for i, family in enumerate(families)
    }
    return Calibration(
        families=per_family,
        shared=dict(zip(SHARED_PARAMETERS, (float(v) for v in x[2 * count :]), strict=True)),
        fitted_on=fitted_on,
        points=len(prepared),
        sources=sorted({source_key(item.point.source) for item in prepared}),
    )


def _residuals(x: np.ndarray, prepared: Sequence[Prepared], families: list[str]) -> np.ndarray:
    calibration = _calibration(list(x), families, prepared, "")
    values = [math.log(predict(item, calibration).value / item.point.value) for item in prepared]
    count = len(families)
    values.extend(_PRIOR_WEIGHT * (float(c) - 1.0) for c in x[count : 2 * count])
    return np.asarray(values)


@dataclass(frozen=True)
class CalibrationRun:
    """A fitted calibration with its in-sample and leave-one-source-out residuals."""

    calibration: Calibration
    in_sample: list[Residual]
    loso: list[Residual]
    unpredictable: list[Measurement]


def calibrate(points: Sequence[Measurement], fitted_on: str) -> CalibrationRun:
    """Fit on every point, then measure the error honestly: each source predicted by a fit without it.

    Raises:
        ValueError: fewer than two sources (leave-one-source-out needs at least two).
    """
    prepared = prepare(points)
    if len({source_key(item.point.source) for item in prepared}) < 2:
        raise ValueError("calibration needs measurements from at least two sources")
    calibration = fit(prepared, fitted_on)
    loso = leave_one_source_out(prepared)
    errors = [abs(r.error) * 100 for r in loso]
    per_source: dict[str, list[float]] = {}
    for residual in loso:
        per_source.setdefault(source_key(residual.point.source), []).append(abs(residual.error) * 100)
    calibration = calibration.with_error(
        mape_pct=float(np.mean(errors)),
        max_pct=float(np.max(errors)),
        band_pct=float(np.percentile(errors, 90)),
        per_source={k: float(np.mean(v)) for k, v in sorted(per_source.items())},
    )
    kept = {item.point.id for item in prepared}
    return CalibrationRun(
        calibration=calibration,
        in_sample=in_sample(prepared, calibration),
        loso=loso,
        unpredictable=[p for p in points if p.id not in kept],
    )
