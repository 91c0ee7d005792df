"""Calibration of the wafer step model on the ALCF CS-2 runs in `refarch/perf/data/wafer_calibration.csv`.

`fixed_step_s`, `io_efficiency` and `compute_fraction` are fitted (log residuals). The points are few and noisy, so
the fit reports parameter error bars, a leave-one-out error and what it skipped, and the band it implies is wide.
Encoder rows use the causal FLOP formula too (at sequence 128 attention is about 1% of BERT-large's FLOPs).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from refarch.catalog.loader import Catalog, load_catalog
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.wafer.step import BAND_FLOOR_PCT, WaferCalibration, WaferResidual, step_parts
from refarch.types import ModelShape

__all__ = [
    "DEFAULT_DATA",
    "UNKNOWN_SEQ_RANGE",
    "WaferMeasurement",
    "default_wafer_calibration",
    "fit_wafer",
    "load_wafer_measurements",
    "shipped_catalog",
]

UNKNOWN_SEQ_RANGE = (1024, 2048, 4096)  # the CSV note's range for a row whose sequence length is unknown
DEFAULT_DATA = "wafer_calibration.csv"
_PARAMS = ("compute_fraction", "fixed_step_s", "io_efficiency")
# Fitted parameters are kept to this many significant digits: the optimum least_squares reports moves in the 8th
# digit between SciPy/NumPy releases, and plans must be byte-identical wherever they are made.
_FIT_DIGITS = 6
_START, _LOWER, _UPPER = (0.3, 0.1, 0.3), (0.02, 0.0, 0.02), (1.0, 5.0, 1.0)


@dataclass(frozen=True)
class WaferMeasurement:
    """One wafer run from the calibration CSV; a `skip_reason` keeps it out of the fit.

    `shape` has the run's sequence length, 0 when the row does not give it (such rows are skipped).
    """

    id: str
    platform: Platform
    systems: int
    model: str
    shape: ModelShape
    global_batch_seqs: int
    samples_per_s: float
    noisy: bool
    alternates: tuple[float, ...]
    source: str
    notes: str
    skip_reason: str | None = None

    def at_seq(self, seq_len: int | None) -> ModelShape:
        """The run's model at `seq_len` (its own when None)."""
        return self.shape.model_copy(update={"seq_len": seq_len}) if seq_len else self.shape


@functools.lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The built-in catalog (loaded once): the CSV's system ids and the default MemoryX ratio come from it."""
    return load_catalog()


def load_wafer_measurements(path: Path | None = None, catalog: Catalog | None = None) -> list[WaferMeasurement]:
    """Read the wafer calibration CSV (default: the shipped copy); rows with unknown seq_len get a skip reason."""
    path = path or Path(str(resources.files("refarch.perf").joinpath("data", DEFAULT_DATA)))
    text = path.read_text(encoding="utf-8")
    catalog = catalog or shipped_catalog()
    return [_parse_row(row, catalog) for row in csv.DictReader(io.StringIO(text))]


def _parse_row(row: dict[str, str], catalog: Catalog) -> WaferMeasurement:
    notes, hidden, heads = row["notes"], int(row["hidden"]), int(row["heads"])
    seq = int(row["seq_len"] or 0)
    # FLOPs need only params, layers, hidden and sequence; FFN width and vocabulary are not in the CSV.
    shape = ModelShape(
        preset=None,
        params=float(row["params_B"]) * 1e9,
        layers=int(row["layers"]),
        hidden=hidden,
        heads=heads,
        kv_heads=heads,
        ffn_hidden=4 * hidden,
        vocab=None,
        seq_len=seq,
    )
    return WaferMeasurement(
        row["id"],
        platform_from_catalog(catalog, row["system"]),
        int(row["systems"]),
        row["model"],
        shape,
        int(row["global_batch_seqs"]),
        float(row["measured"]),
        "noisy" in notes,
        # A noisy row's note names the other measurement of the same config: reported, not fitted.
        tuple(float(v) for v in re.findall(r"measured ([\d.]+) samples/s", notes)),
        row["source"],
        notes,
        None if seq else "sequence length unknown: samples/s cannot be turned into tokens",
    )


def _predict(point: WaferMeasurement, cal: WaferCalibration, seq_len: int | None = None) -> float:
    """Predicted samples/s of `point` (at `seq_len` when its own is unknown)."""
    parts = step_parts(point.at_seq(seq_len), point.platform, point.systems, point.global_batch_seqs, cal)
    return point.global_batch_seqs / parts.step_s(point.systems, cal.scaling_efficiency)


def _with_params(x: Sequence[float], reference_peak: float) -> WaferCalibration:
    return WaferCalibration(float(x[0]), float(x[1]), float(x[2]), reference_peak)


def _solve(points: Sequence[WaferMeasurement]) -> tuple[WaferCalibration, np.ndarray]:
    """Least squares on log(predicted / measured); returns the parameters and the Jacobian at the optimum."""
    peak = points[0].platform.peak_flops("bf16")

    def residuals(x: np.ndarray) -> np.ndarray:
        cal = _with_params(list(x), peak)
        return np.asarray([math.log(_predict(p, cal) / p.samples_per_s) for p in points])

    result = least_squares(residuals, _START, bounds=(_LOWER, _UPPER), x_scale="jac")
    fitted = [float(f"{value:.{_FIT_DIGITS}g}") for value in result.x]
    return _with_params(fitted, peak), np.asarray(result.jac)


def fit_wafer(points: Sequence[WaferMeasurement]) -> WaferCalibration:
    """Fit compute fraction, fixed step cost and I/O efficiency to the usable points, and report the error.

    Skipped rows and noisy rows' alternate measurements are predicted as checks, not fitted.

    Raises:
        ValueError: fewer usable points than parameters.
    """
    used = [p for p in points if p.skip_reason is None]
    if len(used) <= len(_PARAMS):
        raise ValueError(f"wafer fit needs more than {len(_PARAMS)} usable points, got {len(used)}")
    cal, jac = _solve(used)
    residuals = tuple(WaferResidual(p.id, p.samples_per_s, _predict(p, cal), True, p.notes) for p in used)
    errors = [abs(r.error) * 100 for r in residuals]
    loo = [abs(_predict(p, _solve([q for q in used if q is not p])[0]) / p.samples_per_s - 1) * 100 for p in used]
    mape = float(np.mean(errors))
    return replace(
        cal,
        residuals=residuals,
        checks=_checks(points, cal),
        skipped=tuple(f"{p.id}: {p.skip_reason}" for p in points if p.skip_reason),
        parameter_stderr=_stderr(jac, residuals),
        mape_pct=mape,
        max_error_pct=max(errors),
        loo_mape_pct=float(np.mean(loo)),
        band_pct=max(2 * mape, max(errors), float(np.mean(loo)), BAND_FLOOR_PCT),
        calibrated_on=_calibrated_on(used, points),
        accelerators=tuple(sorted({p.platform.accelerator_id for p in used})),
    )


def _checks(points: Sequence[WaferMeasurement], cal: WaferCalibration) -> tuple[WaferResidual, ...]:
    """Out-of-fit predictions: noisy rows' other measurements, unknown-seq rows across the plausible range."""
    checks: list[WaferResidual] = []
    for p in points:
        for value in p.alternates:
            checks.append(WaferResidual(f"{p.id}@alt", value, _predict(p, cal), False, "same config, other date"))
        if not p.shape.seq_len:
            for seq in UNKNOWN_SEQ_RANGE:
                note = "sequence length unknown; predicted at this length"
                checks.append(WaferResidual(f"{p.id}@seq{seq}", p.samples_per_s, _predict(p, cal, seq), False, note))
    return tuple(checks)


def _stderr(jac: np.ndarray, residuals: Sequence[WaferResidual]) -> dict[str, float]:
    """Parameter standard errors from the Jacobian (log residuals, n - p degrees of freedom)."""
    logs = np.asarray([math.log(r.predicted / r.measured) for r in residuals])
    dof = max(1, len(logs) - len(_PARAMS))
    cov = np.linalg.pinv(jac.T @ jac) * float(logs @ logs) / dof
    return {name: float(math.sqrt(max(cov[i, i], 0.0))) for i, name in enumerate(_PARAMS)}


def _calibrated_on(used: Sequence[WaferMeasurement], points: Sequence[WaferMeasurement]) -> str:
    models = sorted({p.model for p in used})
    noisy = [f"{p.id} also measured {', '.join(f'{v:g}' for v in p.alternates)}" for p in points if p.alternates]
    text = f"{len(used)} single-system CS-2 runs (ALCF logs, wafer_calibration.csv): {', '.join(models)}"
    if noisy:
        text += f"; shared-testbed noise: {'; '.join(noisy)} (reported, not fitted)"
    return text


@functools.lru_cache(maxsize=1)
def default_wafer_calibration() -> WaferCalibration:
    """The fit to the shipped `refarch/perf/data/wafer_calibration.csv`."""
    return fit_wafer(load_wafer_measurements())
