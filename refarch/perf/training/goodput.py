"""Goodput of a training job: interruptions from per-component failure rates, Young/Daly checkpoints, restarts.

Failure rates are derived from the Llama 3 paper's 54-day snapshot of a 16,384-H100 pre-training job
(shared/reference/performance.md, "Reliability for goodput"): each of the 419 unexpected interruptions is
attributed to what its cause scales with (accelerators, hosts, network components or the job itself), so a job of
another size gets its own mean time between interruptions (MTBI) instead of the snapshot's 3.1 h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from refarch.types import Assumption, Confidence

__all__ = [
    "CHECKPOINT_BYTES_PER_PARAM",
    "DEFAULT_RESTART_S",
    "DEFAULT_WRITE_GBPS_PER_ACCELERATOR",
    "LLAMA3_SNAPSHOT",
    "ComponentKind",
    "FailureRates",
    "FailureSnapshot",
    "Goodput",
    "InterruptionCause",
    "checkpoint_write_s",
    "expected_mtbi_s",
    "failure_rates",
    "goodput",
    "optimal_checkpoint_interval_s",
    "training_checkpoint_bytes",
]

ComponentKind = Literal["accelerator", "system", "network", "job"]

# Neither figure is in the reference; both are estimates, reported as assumptions whenever a caller relies on them.
# Restart: detect the failure (collective timeout), swap the host for a spare, relaunch and reload the checkpoint,
# a few minutes each.
DEFAULT_RESTART_S = 600.0
# Aggregate checkpoint write bandwidth per accelerator (8 GB/s per 8-GPU host, about one 100 Gb/s storage link).
DEFAULT_WRITE_GBPS_PER_ACCELERATOR = 1.0
# Mixed-precision Adam training state (reference "Training memory"): bf16 weights and gradients, fp32 master
# weights, momentum and variance. Gradients need not be saved, so this is an upper bound by 2 bytes.
CHECKPOINT_BYTES_PER_PARAM = 16.0

_SOURCE = "Llama 3 paper, section 3.3.4 (shared/reference/performance.md, Reliability for goodput)"
_DEFAULT_SOURCE = "refarch default (not in shared/reference/performance.md)"


@dataclass(frozen=True)
class InterruptionCause:
    """One cause of unexpected interruptions, its count in the snapshot and what its rate scales with."""

    name: str
    count: int
    scales_with: ComponentKind


@dataclass(frozen=True)
class FailureSnapshot:
    """Interruptions observed on one job over a period, the data failure rates are derived from."""

    source: str
    days: float
    accelerators: int
    systems: int
    causes: tuple[InterruptionCause, ...]
    planned: int

    def unexpected(self, kind: ComponentKind | None = None) -> int:
        """Unexpected interruptions in total, or only those that scale with `kind`."""
        return sum(c.count for c in self.causes if kind is None or c.scales_with == kind)


def _causes(kind: ComponentKind, counts: dict[str, int]) -> tuple[InterruptionCause, ...]:
    return tuple(InterruptionCause(name, count, kind) for name, count in counts.items())


LLAMA3_SNAPSHOT = FailureSnapshot(
    source=_SOURCE,
    days=54.0,
    accelerators=16384,
    systems=2048,  # 8 H100 per host (derived, not published as a host count)
    causes=(
        *_causes("accelerator", {"faulty GPU incl. NVLink": 148, "GPU HBM3": 72, "GPU SRAM": 19,
                                 "GPU system processor": 17, "GPU thermal/sensor": 6, "silent data corruption": 6}),
        *_causes("system", {"unplanned host maintenance": 32, "SSD": 3, "PSU": 3, "chassis": 2, "IO board": 2,
                            "CPU": 2, "system memory": 2}),
        *_causes("network", {"network switch/cable": 35, "NIC": 7}),
        # Software failures hit the job once, however many components it spans.
        *_causes("job", {"software bug": 54, "NCCL watchdog": 7, "dependency": 2}),
    ),
    planned=47,
)  # fmt: skip


@dataclass(frozen=True)
class FailureRates:
    """Interruptions per component-hour; network failures count per system-hour or per switch-hour (`network_per`)."""

    per_accelerator_h: float
    per_system_h: float
    per_network_h: float
    network_per: Literal["system", "switch"]
    per_job_h: float
    planned_per_job_h: float
    assumptions: tuple[Assumption, ...] = field(default=(), compare=False)


def failure_rates(snapshot: FailureSnapshot = LLAMA3_SNAPSHOT, snapshot_switches: int | None = None) -> FailureRates:
    """Per-component-hour interruption rates from `snapshot`.

    Args:
        snapshot: Observed interruptions and the job they were observed on.
        snapshot_switches: Switches in the snapshot's job, when known; network failures are then a rate per
            switch-hour. Otherwise (the Llama 3 paper does not publish it) they are a rate per system-hour.
    """
    hours = _positive("snapshot days", snapshot.days) * 24
    _count("snapshot accelerators", snapshot.accelerators)
    _count("snapshot systems", snapshot.systems)
    network_units = snapshot.systems if snapshot_switches is None else _count("snapshot switches", snapshot_switches)
    return FailureRates(
        per_accelerator_h=snapshot.unexpected("accelerator") / (snapshot.accelerators * hours),
        per_system_h=snapshot.unexpected("system") / (snapshot.systems * hours),
        per_network_h=snapshot.unexpected("network") / (network_units * hours),
        network_per="system" if snapshot_switches is None else "switch",
        per_job_h=snapshot.unexpected("job") / hours,
        planned_per_job_h=snapshot.planned / hours,
        assumptions=_rate_notes(snapshot, snapshot_switches),
    )


def expected_mtbi_s(
    accelerators: int, systems: int, rates: FailureRates | None = None, switches: int | None = None
) -> float:
    """Mean time between unexpected interruptions (s) of a job on `accelerators` in `systems` hosts.

    Rates add up: per-accelerator rate x accelerators + per-system rate x systems + network rate x systems (or x
    `switches` when the rates are per switch) + per-job rate. `rates` defaults to the Llama 3 snapshot's.

    Raises:
        ValueError: a count is not positive, or switches are missing for (or given to) the wrong kind of rates.
    """
    rates = failure_rates() if rates is None else rates
    _count("accelerators", accelerators)
    _count("systems", systems)
    if (rates.network_per == "switch") != (switches is not None):
        raise ValueError(
            f"switches must be given exactly when network rates are per switch (here per {rates.network_per})"
        )
    network_units = systems if switches is None else _count("switches", switches)
    per_h = rates.per_accelerator_h * accelerators + rates.per_system_h * systems
    per_h += rates.per_network_h * network_units + rates.per_job_h
    return 3600.0 / _positive("total interruption rate", per_h)


def training_checkpoint_bytes(params: float, bytes_per_param: float = CHECKPOINT_BYTES_PER_PARAM) -> float:
    """Bytes of one training checkpoint: weights plus optimizer state of `params` parameters."""
    return _positive("parameter count", params) * _positive("bytes per parameter", bytes_per_param)


def checkpoint_write_s(checkpoint_bytes: float, write_gbps: float) -> float:
    """Seconds the job stalls to write `checkpoint_bytes` at an aggregate `write_gbps` GB/s (1 GB = 1e9 bytes)."""
    return _positive("checkpoint size", checkpoint_bytes) / (_positive("write bandwidth", write_gbps) * 1e9)


def optimal_checkpoint_interval_s(checkpoint_s: float, mtbi_s: float) -> float:
    """Young/Daly first-order optimal time between checkpoints: sqrt(2 x checkpoint_s x mtbi_s)."""
    return math.sqrt(2 * _positive("checkpoint time", checkpoint_s) * _positive("MTBI", mtbi_s))


@dataclass(frozen=True)
class Goodput:
    """Time lost to checkpoints, rework and restarts. Fractions are of the ideal (failure-free) time."""

    mtbi_s: float
    checkpoint_s: float
    checkpoint_interval_s: float
    expected_interruptions: float
    checkpoint_overhead_fraction: float
    rework_fraction: float
    restart_fraction: float
    goodput_fraction: float
    effective_time_s: float
    assumptions: list[Assumption]


def goodput(
    ideal_s: float,
    accelerators: int,
    systems: int,
    params: float,
    write_gbps: float | None = None,
    restart_s: float | None = None,
    rates: FailureRates | None = None,
    switches: int | None = None,
) -> Goodput:
    """Effective time to train `ideal_s` seconds of failure-free work, checkpointing at the Young/Daly interval.

    First-order model, per unit of useful work (valid while checkpoint_s and restart_s are well below the MTBI M):
    overhead = checkpoint_s / interval + (interval / 2 + restart_s) / M + restart_s / M_planned, i.e. a checkpoint
    write per interval, half an interval of lost work plus a restart per unexpected interruption, and a restart
    (no lost work: the job checkpoints first) per planned one. effective = ideal x (1 + overhead).

    Args:
        params: Model parameter count; the checkpoint holds CHECKPOINT_BYTES_PER_PARAM bytes per parameter.
        write_gbps: Aggregate checkpoint write bandwidth (GB/s); default DEFAULT_WRITE_GBPS_PER_ACCELERATOR each.
        restart_s: Time to detect a failure, reschedule and reload; default DEFAULT_RESTART_S.
        rates: Failure rates; default `failure_rates()`. `switches` is required when they are per switch.

    Returns:
        The breakdown, with an Assumption for each default used (explicit arguments are not listed).

    Raises:
        ValueError: a count, time, size or bandwidth is not positive.
    """
    ideal_s = _positive("ideal training time", ideal_s)
    notes: list[Assumption] = []
    if rates is None:
        rates = failure_rates()
        notes.extend(rates.assumptions)
    if write_gbps is None:
        write_gbps = DEFAULT_WRITE_GBPS_PER_ACCELERATOR * _count("accelerators", accelerators)
        notes.append(_write_note(write_gbps))
    if restart_s is None:
        restart_s = DEFAULT_RESTART_S
        notes.append(_restart_note())
    restart_s = _positive("restart time", restart_s)
    mtbi = expected_mtbi_s(accelerators, systems, rates, switches)
    checkpoint = checkpoint_write_s(training_checkpoint_bytes(params), write_gbps)
    interval = optimal_checkpoint_interval_s(checkpoint, mtbi)
    checkpointing = checkpoint / interval
    rework = interval / 2 / mtbi
    restarting = restart_s / mtbi + restart_s * rates.planned_per_job_h / 3600.0
    effective = ideal_s * (1 + checkpointing + rework + restarting)
    return Goodput(
        mtbi_s=mtbi,
        checkpoint_s=checkpoint,
        checkpoint_interval_s=interval,
        expected_interruptions=effective / mtbi,
        checkpoint_overhead_fraction=checkpointing,
        rework_fraction=rework,
        restart_fraction=restarting,
        goodput_fraction=ideal_s / effective,
        effective_time_s=effective,
        assumptions=notes,
    )


def _positive(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _rate_notes(snapshot: FailureSnapshot, snapshot_switches: int | None) -> tuple[Assumption, ...]:
    hours, total, src = snapshot.days * 24, snapshot.unexpected(), snapshot.source
    by_kind = ", ".join(f"{k} {snapshot.unexpected(k)}" for k in ("accelerator", "system", "network", "job"))
    rates = (
        f"Unexpected interruptions scale with what caused them, as in a {snapshot.accelerators:,}-accelerator job: "
        f"{total} in {snapshot.days:g} days (one every {hours / total:.2f} h; {by_kind}) and {snapshot.planned} "
        "planned ones. Other platforms are assumed to fail at the same per-component rates."
    )
    hosts = (
        f"The snapshot job ran on {snapshot.systems:,} hosts ({snapshot.accelerators // snapshot.systems} "
        "accelerators per host); the host count is not published."
    )
    notes = (_note("failure-rates", "derived", src, rates), _note("snapshot-hosts", "derived", src, hosts))
    if snapshot_switches is not None:
        return notes
    network = (
        f"Network interruptions ({snapshot.unexpected('network')}: switches, cables, NICs) are a rate per host-hour "
        "because the snapshot job's switch count is not published; assumes the network grows in proportion to hosts."
    )
    return (*notes, _note("network-per-host", "estimate", src, network))


def _write_note(write_gbps: float) -> Assumption:
    text = (
        f"Checkpoints are written at {DEFAULT_WRITE_GBPS_PER_ACCELERATOR:g} GB/s per accelerator in aggregate "
        f"({write_gbps:,.0f} GB/s for this job), about one 100 Gb/s storage link per 8-GPU host."
    )
    return _note("write-bandwidth", "estimate", _DEFAULT_SOURCE, text)


def _restart_note() -> Assumption:
    text = (
        f"Each interruption costs {DEFAULT_RESTART_S / 60:g} min to detect, replace the host from a spare pool, "
        "relaunch and reload the checkpoint, on top of the work lost since the last checkpoint."
    )
    return _note("restart", "estimate", _DEFAULT_SOURCE, text)


def _note(key: str, confidence: Confidence, source: str, text: str) -> Assumption:
    return Assumption(id=f"goodput-{key}", text=text, confidence=confidence, source=source)
