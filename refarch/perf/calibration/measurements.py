"""Read published training measurements (the columns of shared/reference/calibration.csv) into typed points.

A row becomes a `Measurement` when its accelerator maps to a catalog platform and its metric is a single
throughput figure; otherwise it is kept as a `SkippedRow` with the reason, so reports show what was left out.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.errors import CatalogError, InputError, Location
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.training.search import RECOMPUTE_SHARES, LayoutLimits
from refarch.types import ModelShape

__all__ = [
    "ACCELERATOR_PLATFORMS",
    "METRICS",
    "Measurement",
    "MeasurementSet",
    "SkippedRow",
    "load_measurements",
    "source_key",
]

# Accelerator names used in published tables -> (catalog system, catalog accelerator). A row may also name a
# catalog system id directly.
ACCELERATOR_PLATFORMS: dict[str, tuple[str, str | None]] = {
    "a100-80gb": ("dgx-a100", "a100-sxm-80gb"),
    "a100-40gb": ("dgx-a100", "a100-sxm-40gb"),
    "h100": ("dgx-h100", None),
    "h100-80gb": ("dgx-h100", None),
    "h200": ("dgx-h200", None),
    "b200": ("dgx-b200", None),
    "gb200": ("gb200-nvl72", None),
    "mi300x": ("mi300x-8gpu", None),
}
METRICS = {
    "tokens/s/gpu": "tokens_per_second_per_accelerator",
    "achieved tflop/s per gpu (incl. recompute flops)": "hardware_tflops_per_accelerator",
}
REQUIRED_COLUMNS = ("id", "source", "accel", "n_accel", "model", "seq_len", "precision", "metric", "value")
# A global batch left open by the source ("see doc"): assume this many sequences per accelerator.
UNKNOWN_BATCH_SEQS_PER_ACCELERATOR = 8


@dataclass(frozen=True)
class Measurement:
    """One published throughput figure with everything needed to predict it."""

    id: str
    source: str
    platform: Platform
    accelerators: int
    shape: ModelShape
    global_batch_seqs: int
    precision: str
    limits: LayoutLimits
    metric: str
    value: float
    confidence: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not a usable point, and why."""

    id: str
    source: str
    reason: str


@dataclass(frozen=True)
class MeasurementSet:
    """The usable points and the skipped rows of one file."""

    path: Path
    points: list[Measurement]
    skipped: list[SkippedRow]


def source_key(source: str) -> str:
    """A short stable key for a source (its text up to the first parenthesis or comma), for grouping."""
    return re.split(r"[(,]", source, maxsplit=1)[0].strip()


def load_measurements(path: Path, catalog: Catalog) -> MeasurementSet:
    """Parse a measurements CSV.

    Raises:
        InputError: the file is missing, is not CSV with the required columns, or a usable row has a bad number.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(f"cannot read measurements: {exc.strerror}", Location(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            "not a text file (UTF-8)", Location(path), "a CSV with the columns of calibration.csv"
        ) from exc
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", Location(path)) from exc
    if not rows:
        raise InputError(
            "measurements file has no data rows", Location(path), "one measurement per row under the header"
        )
    header = set(rows[0])
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"measurements file lacks columns {', '.join(missing)}",
            Location(path),
            "use the columns of shared/reference/calibration.csv: " + ", ".join(REQUIRED_COLUMNS) + ", ...",
        )
    points: list[Measurement] = []
    skipped: list[SkippedRow] = []
    for line, row in enumerate(rows, start=2):
        outcome = _parse_row(row, catalog, Location(path, f"id={row['id']}", line))
        (points if isinstance(outcome, Measurement) else skipped).append(outcome)  # type: ignore[arg-type]
    return MeasurementSet(path, points, skipped)


def _parse_row(row: dict[str, str], catalog: Catalog, where: Location) -> Measurement | SkippedRow:
    metric = METRICS.get(row["metric"].strip().lower())
    platform_ids = ACCELERATOR_PLATFORMS.get(_norm(row["accel"].split("(")[0]))
    if platform_ids is None and row["accel"].strip() in catalog.ids():
        platform_ids = (row["accel"].strip(), None)
    reason = None
    if platform_ids is None:
        reason = f"accelerator '{row['accel']}' has no catalog platform"
    elif metric is None:
        reason = f"metric '{row['metric']}' is not a single per-accelerator throughput"
    shape = None if reason else _shape(row, catalog)
    if reason is None and shape is None:
        reason = f"model '{row['model']}' has no dimensions in the row and no catalog preset"
    if reason is not None or platform_ids is None or metric is None or shape is None:
        return SkippedRow(row["id"], row["source"], reason or "unusable")
    platform = platform_from_catalog(catalog, platform_ids[0], where, platform_ids[1])
    accelerators = _int(row["n_accel"], where, "n_accel")
    notes: list[str] = []
    batch = _int_or_none(row.get("global_batch_seqs", ""))
    if batch is None:
        batch = accelerators * UNKNOWN_BATCH_SEQS_PER_ACCELERATOR
        notes.append(f"global batch not given: {UNKNOWN_BATCH_SEQS_PER_ACCELERATOR} sequences per accelerator assumed")
    return Measurement(
        id=row["id"],
        source=row["source"],
        platform=platform,
        accelerators=accelerators,
        shape=shape,
        global_batch_seqs=batch,
        precision=_precision(row["precision"]),
        limits=_limits(row, metric),
        metric=metric,
        value=_float(row["value"], where, "value"),
        confidence=row.get("confidence", ""),
        notes=tuple(notes),
    )


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def _shape(row: dict[str, str], catalog: Catalog) -> ModelShape | None:
    dims = {k: _int_or_none(row.get(k, "")) for k in ("layers", "hidden", "heads", "seq_len")}
    params = _float_or_none(row.get("params_B", ""))
    if params is not None and all(dims.values()):
        heads = int(dims["heads"] or 1)
        hidden = int(dims["hidden"] or 1)
        return ModelShape(
            preset=None,
            params=params * 1e9,
            layers=int(dims["layers"] or 1),
            hidden=hidden,
            heads=heads,
            kv_heads=heads,
            ffn_hidden=4 * hidden,
            vocab=None,
            seq_len=int(dims["seq_len"] or 1),
        )
    try:
        preset = catalog.get(_norm(row["model"]), LlmModel)
    except CatalogError:
        return None
    return preset.shape(dims["seq_len"])


def _limits(row: dict[str, str], metric: str) -> LayoutLimits:
    fsdp = "fsdp" in row["precision"].lower()
    return LayoutLimits(
        tp=_int_or_none(row.get("tp", "")),
        pp=_int_or_none(row.get("pp", "")),
        dp=_int_or_none(row.get("dp", "")),
        cp=_int_or_none(row.get("cp", "")),
        recompute=(1.0,) if metric == "hardware_tflops_per_accelerator" else RECOMPUTE_SHARES,
        zero=(3,) if fsdp else (0, 1),
    )


def _precision(text: str) -> str:
    lowered = text.lower()
    for name in ("fp8", "bf16", "fp16"):
        if name in lowered:
            return name
    return "bf16"


def _int_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _float_or_none(text: str | None) -> float | None:
    try:
        return float((text or "").strip())
    except ValueError:
        return None


def _int(text: str, where: Location, column: str) -> int:
    value = _int_or_none(text)
    if value is None or value < 1:
        raise InputError(f"column '{column}' must be a positive integer, got {text!r}", where)
    return value


def _float(text: str, where: Location, column: str) -> float:
    value = _float_or_none(text)
    if value is None or value <= 0:
        raise InputError(f"column '{column}' must be a positive number, got {text!r}", where)
    return value
