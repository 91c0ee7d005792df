"""Wafer-scale (Cerebras CS-2/CS-3) training in weight-streaming mode: step time, SRAM and MemoryX fit, calibration.

Weights and Adam states live off-wafer in MemoryX. Each step streams every layer's weights through the system I/O
onto the wafer, which keeps activations in SRAM, and streams gradients back; systems train data-parallel through
SwarmX. Per system and step:

    step = fixed x (reference peak / peak) + micro_batches x stream bytes / (system I/O x io_efficiency)
           + model FLOPs / (peak x compute_fraction)

`fixed`, `io_efficiency` and `compute_fraction` are fitted (log residuals) to ALCF CS-2 runs in
`refarch/perf/data/wafer_calibration.csv`: few, noisy points, so the band is wide and the fit says what it skipped.
Encoder rows use the causal FLOP formula too (at sequence 128 attention is about 1% of BERT-large's FLOPs).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from refarch.catalog import Catalog, load_catalog
from refarch.catalog_models import System
from refarch.errors import InfeasibleError
from refarch.perf.platform import Platform, platform_from_catalog
from refarch.perf.transformer import ACTIVATION_BYTES_PER_HIDDEN, layer_params, model_flops_per_token
from refarch.plan import Assumption, ModelShape

__all__ = [
    "WaferCalibration",
    "WaferMeasurement",
    "WaferResidual",
    "WaferTrainingEstimate",
    "activation_bytes_per_token",
    "default_wafer_calibration",
    "fit_wafer",
    "load_wafer_measurements",
    "memoryx_nodes",
    "sram_budget_bytes",
    "wafer_training_estimate",
]

ADAM_BYTES_PER_PARAM = 16.0  # reference: mixed-precision Adam, weights + optimizer states
# Estimates (not in the reference); each is returned as an Assumption wherever it is used.
STREAM_BYTES_PER_PARAM = 6.0  # bf16 weights in for forward and again for backward, bf16 gradients out
CHECKPOINT_BYTES_PER_HIDDEN = 2.0  # per token per layer: the bf16 layer input kept for backward (checkpointing)
SRAM_USABLE_FRACTION = 0.9  # SRAM left for tensors after kernels, routing and I/O buffers
LAYER_BUFFER_BYTES_PER_PARAM = 8.0  # streamed layer, double-buffered: 2 x (bf16 weights + bf16 gradients)
SWARMX_SCALING_EFFICIENCY = 0.95  # Andromeda's "near-perfect linear scaling" 1-16 systems is a vendor claim
MEMORYX_NODE_CAPACITY_GB = 512.0  # DRAM per 1U DDR5 MemoryX node: not published, low end of such servers
BAND_FLOOR_PCT = 30.0  # floor on the band: 5 fitted points from a shared testbed cannot pin the error down
UNKNOWN_SEQ_RANGE = (1024, 2048, 4096)  # the CSV note's range for a row whose sequence length is unknown
DEFAULT_DATA = "wafer_calibration.csv"
_NOTES = {
    "stream-bytes": f"{STREAM_BYTES_PER_PARAM:g} bytes per parameter cross the system I/O per micro-batch (bf16 "
    "weights for forward and again for backward, bf16 gradients out)",
    "activations": f"activations checkpointed per layer ({CHECKPOINT_BYTES_PER_HIDDEN:g} x hidden bytes per token "
    f"per layer) plus one layer's working set ({ACTIVATION_BYTES_PER_HIDDEN:g} x hidden) held in SRAM",
    "sram": f"{SRAM_USABLE_FRACTION:.0%} of SRAM holds tensors; the streamed layer takes "
    f"{LAYER_BUFFER_BYTES_PER_PARAM:g} bytes per layer parameter (double-buffered weights and gradients)",
    "fixed-scaling": "the per-step fixed cost fitted on CS-2 shrinks in proportion to the wafer's peak (CS-3 measured "
    "1.69x CS-2 on ESM-2 35M, a model whose step is mostly fixed cost)",
    "scaling": f"data parallel over SwarmX at {SWARMX_SCALING_EFFICIENCY:.0%} of linear beyond one system (Andromeda's "
    "'near-perfect linear scaling' over 1-16 systems is a vendor claim; every fitted run is one system)",
    "cs3": "CS-3 system I/O is the catalog's 12 x 100 GbE = 150 GB/s (reference: 1.2-1.56 Tb/s, unconfirmed) and its "
    "15 PF dense peak is a catalog estimate (about 2x WSE-2, vendor)",
}
_PARAMS = ("compute_fraction", "fixed_step_s", "io_efficiency")
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


@dataclass(frozen=True)
class WaferResidual:
    """Predicted against measured samples/s for one run; `fitted` False for checks kept out of the fit."""

    id: str
    measured: float
    predicted: float
    fitted: bool
    note: str = ""

    @property
    def error(self) -> float:
        """Signed relative error, predicted / measured - 1."""
        return self.predicted / self.measured - 1


@dataclass(frozen=True)
class WaferCalibration:
    """Fitted wafer training parameters, their error and what they were fitted on.

    compute_fraction: share of the dense peak the wafer's matrix work reaches. fixed_step_s: per-step overhead on
    the reference system (peak `reference_peak_flops`), scaled by peak on others. io_efficiency: share of the
    nominal system I/O the weight stream achieves. scaling_efficiency: share of linear scaling over SwarmX (not
    fitted: every run is one system).
    """

    compute_fraction: float
    fixed_step_s: float
    io_efficiency: float
    reference_peak_flops: float
    scaling_efficiency: float = SWARMX_SCALING_EFFICIENCY
    residuals: tuple[WaferResidual, ...] = ()
    checks: tuple[WaferResidual, ...] = ()
    skipped: tuple[str, ...] = ()
    parameter_stderr: dict[str, float] = field(default_factory=dict)
    mape_pct: float = 0.0
    max_error_pct: float = 0.0
    loo_mape_pct: float = 0.0
    band_pct: float = BAND_FLOOR_PCT
    calibrated_on: str = ""


@dataclass(frozen=True)
class WaferTrainingEstimate:
    """One training step on `systems` wafers, what it achieves, and the memory it needs."""

    platform: str
    systems: int
    global_batch_seqs: int
    seqs_per_system: int
    micro_batches: int
    micro_batch_seqs: int
    fixed_s: float
    stream_s: float
    compute_s: float
    step_s: float
    tokens_per_second: float
    tokens_per_second_per_system: float
    model_flops_per_system: float
    peak_flops: float
    mfu: float
    sram_activation_bytes: float
    sram_budget_bytes: float
    memoryx_bytes: float
    memoryx_capacity_bytes: float
    memoryx_nodes: int
    band_pct: float
    calibrated_on: str
    assumptions: tuple[Assumption, ...]


def load_wafer_measurements(path: Path | None = None, catalog: Catalog | None = None) -> list[WaferMeasurement]:
    """Read the wafer calibration CSV (default: the shipped copy); rows with unknown seq_len get a skip reason."""
    path = path or Path(str(resources.files("refarch.perf").joinpath("data", DEFAULT_DATA)))
    text = path.read_text(encoding="utf-8")
    catalog = catalog or _shipped_catalog()
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


def memoryx_nodes(catalog: Catalog, system_id: str, systems: int) -> int:
    """MemoryX nodes the catalog's support ratio gives `systems` x `system_id` (0 if it names none)."""
    for role in catalog.get(system_id, System).support:
        if role.server == "cs-memoryx-node":
            return max(role.minimum, math.ceil(role.per_system * systems))
    return 0


@functools.lru_cache(maxsize=1)
def _shipped_catalog() -> Catalog:
    return load_catalog()


def sram_budget_bytes(shape: ModelShape, platform: Platform) -> float:
    """SRAM left for activations: the usable share less the streamed layer's double-buffered weights."""
    return platform.memory_gb * 1e9 * SRAM_USABLE_FRACTION - LAYER_BUFFER_BYTES_PER_PARAM * layer_params(shape)


def activation_bytes_per_token(shape: ModelShape) -> float:
    """On-wafer activation bytes per token: checkpointed layer inputs plus one layer's full working set."""
    return shape.hidden * (shape.layers * CHECKPOINT_BYTES_PER_HIDDEN + ACTIVATION_BYTES_PER_HIDDEN)


def _micro_batching(shape: ModelShape, platform: Platform, seqs: int) -> tuple[int, int]:
    """(micro-batches, sequences per micro-batch) for `seqs` sequences on one wafer.

    Raises:
        InfeasibleError: not even one sequence's activations fit in SRAM; names the longest sequence that does.
    """
    budget = sram_budget_bytes(shape, platform)
    per_token = activation_bytes_per_token(shape)
    fit_seqs = math.floor(max(budget, 0.0) / (per_token * shape.seq_len))
    if fit_seqs < 1:
        longest = math.floor(max(budget, 0.0) / per_token)
        raise InfeasibleError(
            f"one sequence of {shape.seq_len} tokens needs {per_token * shape.seq_len / 1e9:.1f} GB of on-wafer "
            f"activations but {platform.system_id} has {max(budget, 0.0) / 1e9:.1f} GB for them",
            hint=f"the longest sequence that fits is {longest} tokens"
            if longest
            else "one layer's streamed weights alone exceed the SRAM",
        )
    micro_batches = math.ceil(seqs / fit_seqs)
    return micro_batches, math.ceil(seqs / micro_batches)


def _io_bytes_per_s(platform: Platform) -> float:
    """System I/O from the catalog's compute ports (12 x 100 GbE = 150 GB/s on CS-2; CS-3 inherits it)."""
    return platform.network_gbps * platform.accelerators_per_system * 1e9


def _parts(
    shape: ModelShape, platform: Platform, systems: int, batch: int, cal: WaferCalibration
) -> tuple[int, int, int, float, float, float]:
    """(seqs per system, micro-batches, seqs per micro-batch, fixed s, stream s, compute s) of one step."""
    seqs = math.ceil(batch / systems)
    micro_batches, micro_seqs = _micro_batching(shape, platform, seqs)
    peak = platform.peak_flops("bf16")
    fixed = cal.fixed_step_s * cal.reference_peak_flops / peak
    stream = micro_batches * STREAM_BYTES_PER_PARAM * shape.params / (_io_bytes_per_s(platform) * cal.io_efficiency)
    compute = seqs * shape.seq_len * model_flops_per_token(shape) / (peak * cal.compute_fraction)
    return seqs, micro_batches, micro_seqs, fixed, stream, compute


def _step_s(shape: ModelShape, platform: Platform, systems: int, batch: int, cal: WaferCalibration) -> float:
    *_, fixed, stream, compute = _parts(shape, platform, systems, batch, cal)
    return (fixed + stream + compute) / (cal.scaling_efficiency if systems > 1 else 1.0)


def _predict(point: WaferMeasurement, cal: WaferCalibration, seq_len: int | None = None) -> float:
    """Predicted samples/s of `point` (at `seq_len` when its own is unknown)."""
    step = _step_s(point.at_seq(seq_len), point.platform, point.systems, point.global_batch_seqs, cal)
    return point.global_batch_seqs / step


def _with_params(x: Sequence[float], reference_peak: float) -> WaferCalibration:
    return WaferCalibration(float(x[0]), float(x[1]), float(x[2]), reference_peak)


def _solve(points: Sequence[WaferMeasurement]) -> tuple[WaferCalibration, np.ndarray]:
    """Least squares on log(predicted / measured); returns the parameters and the Jacobian at the optimum."""
    peak = points[0].platform.peak_flops("bf16")

    def residuals(x: np.ndarray) -> np.ndarray:
        cal = _with_params(list(x), peak)
        return np.asarray([math.log(_predict(p, cal) / p.samples_per_s) for p in points])

    result = least_squares(residuals, _START, bounds=(_LOWER, _UPPER), x_scale="jac")
    return _with_params(list(result.x), peak), np.asarray(result.jac)


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


def wafer_training_estimate(
    shape: ModelShape,
    platform: Platform,
    systems: int,
    global_batch_seqs: int,
    calibration: WaferCalibration | None = None,
    memoryx_node_count: int | None = None,
    memoryx_node_gb: float = MEMORYX_NODE_CAPACITY_GB,
) -> WaferTrainingEstimate:
    """Estimate one weight-streaming training step of `shape` on `systems` x `platform` (data parallel).

    Args:
        memoryx_node_count: MemoryX nodes; default the catalog's ratio for the system (6 per CS-2/CS-3).
        memoryx_node_gb: DRAM per MemoryX node (not published: estimate).

    Raises:
        ValueError: fewer than one system, or fewer sequences than systems.
        InfeasibleError: not a wafer platform, one sequence's activations exceed SRAM, or weights and optimizer
            states exceed MemoryX; the message names the nearest feasible alternative.
    """
    if systems < 1 or global_batch_seqs < systems:
        raise ValueError(f"need at least one system and one sequence per system, got {systems} and {global_batch_seqs}")
    if not platform.wafer:
        raise InfeasibleError(f"{platform.system_id} is not a wafer-scale system", hint="use the GPU training model")
    cal = calibration or default_wafer_calibration()
    nodes = memoryx_node_count
    if nodes is None:
        nodes = memoryx_nodes(_shipped_catalog(), platform.system_id, systems)
    memoryx_bytes = ADAM_BYTES_PER_PARAM * shape.params
    capacity = nodes * memoryx_node_gb * 1e9
    if memoryx_bytes > capacity:
        need = math.ceil(memoryx_bytes / (memoryx_node_gb * 1e9))
        raise InfeasibleError(
            f"weights and Adam states need {memoryx_bytes / 1e12:.2f} TB of MemoryX; {nodes} nodes of "
            f"{memoryx_node_gb:g} GB (estimate) hold {capacity / 1e12:.2f} TB",
            hint=f"at least {need} MemoryX nodes",
        )
    seqs, micro_batches, micro_seqs, fixed, stream, compute = _parts(shape, platform, systems, global_batch_seqs, cal)
    step = _step_s(shape, platform, systems, global_batch_seqs, cal)
    tokens_per_s = global_batch_seqs * shape.seq_len / step
    peak = platform.peak_flops("bf16")
    flops_per_system = model_flops_per_token(shape) * tokens_per_s / systems
    return WaferTrainingEstimate(
        platform=platform.system_id,
        systems=systems,
        global_batch_seqs=global_batch_seqs,
        seqs_per_system=seqs,
        micro_batches=micro_batches,
        micro_batch_seqs=micro_seqs,
        fixed_s=fixed,
        stream_s=stream,
        compute_s=compute,
        step_s=step,
        tokens_per_second=tokens_per_s,
        tokens_per_second_per_system=tokens_per_s / systems,
        model_flops_per_system=flops_per_system,
        peak_flops=peak,
        mfu=flops_per_system / peak,
        sram_activation_bytes=micro_seqs * shape.seq_len * activation_bytes_per_token(shape),
        sram_budget_bytes=sram_budget_bytes(shape, platform),
        memoryx_bytes=memoryx_bytes,
        memoryx_capacity_bytes=capacity,
        memoryx_nodes=nodes,
        band_pct=cal.band_pct,
        calibrated_on=cal.calibrated_on,
        assumptions=_assumptions(platform, systems, cal, memoryx_node_gb),
    )


def _assumptions(platform: Platform, systems: int, cal: WaferCalibration, node_gb: float) -> tuple[Assumption, ...]:
    fitted = (
        f"compute at {cal.compute_fraction:.2f} of peak, {cal.fixed_step_s:.3f} s fixed per step, I/O at "
        f"{cal.io_efficiency:.2f} of nominal: fitted to {cal.calibrated_on}; MAPE {cal.mape_pct:.0f}%, "
        f"leave-one-out {cal.loo_mape_pct:.0f}%"
    )
    notes = [
        Assumption(
            id="wafer-calibration", text=fitted, confidence="derived", source=f"refarch/perf/data/{DEFAULT_DATA}"
        )
    ]
    keys = [k for k in _NOTES if (k != "scaling" or systems > 1) and (k != "cs3" or platform.accelerator_id != "wse-2")]
    memoryx = f"{node_gb:g} GB of DRAM per MemoryX node (not published); weights and Adam states take 16 B/param"
    texts = [(f"wafer-{k}", _NOTES[k]) for k in keys] + [("wafer-memoryx", memoryx)]
    notes += [Assumption(id=i, text=t, confidence="estimate", source="refarch estimate") for i, t in texts]
    return tuple(notes)
