"""Goodput: interruptions from component failure rates, checkpoints at the Young/Daly interval, restarts.

Rates come from the Llama 3 paper's 54-day snapshot of a 16,384-H100 job (shared/reference/performance.md):
419 unexpected interruptions, attributed here to what each cause scales with (GPUs, hosts, or the job itself).
Per unit of useful work the overhead is checkpoint_s / interval + (interval / 2 + restart_s) / MTBI, the first-order
model behind the Young/Daly interval sqrt(2 x checkpoint_s x MTBI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.plan import Assumption

__all__ = ["Goodput", "goodput", "mtbi_s"]

_SOURCE = "Llama 3 paper, section 3.3.4 (shared/reference/performance.md)"
_SNAPSHOT_HOURS = 54 * 24
_SNAPSHOT_GPUS = 16384
_SNAPSHOT_HOSTS = 2048  # 8 GPUs per host (derived)
# Unexpected interruptions by what they scale with.
_PER_GPU = {"faulty GPU": 148, "GPU HBM3": 72, "GPU SRAM": 19, "GPU system processor": 17, "GPU thermal": 6, "SDC": 6}
_PER_HOST = {
    "host maintenance": 32, "network switch/cable": 35, "NIC": 7, "SSD": 3, "PSU": 3, "chassis": 2, "IO board": 2,
    "CPU": 2, "system memory": 2,
}  # fmt: skip
_PER_JOB = {"software bug": 54, "NCCL watchdog": 7, "dependency": 2}
# Not in the reference: estimates, surfaced as assumptions whenever used.
DEFAULT_RESTART_S = 600.0
DEFAULT_WRITE_GBPS_PER_ACCELERATOR = 1.0
CHECKPOINT_BYTES_PER_PARAM = 16.0  # bf16 weights + fp32 master weights and Adam moments


@dataclass(frozen=True)
class Goodput:
    """Time lost to failures and checkpoints, and the effective time to train."""

    mtbi_s: float
    checkpoint_s: float
    checkpoint_interval_s: float
    expected_interruptions: float
    goodput_fraction: float
    effective_time_s: float
    assumptions: tuple[Assumption, ...]


def mtbi_s(accelerators: int, systems: int) -> float:
    """Mean time between unexpected interruptions for a job on `accelerators` GPUs in `systems` hosts."""
    if accelerators < 1 or systems < 1:
        raise ValueError("accelerators and systems must be positive")
    per_gpu = sum(_PER_GPU.values()) / (_SNAPSHOT_GPUS * _SNAPSHOT_HOURS)
    per_host = sum(_PER_HOST.values()) / (_SNAPSHOT_HOSTS * _SNAPSHOT_HOURS)
    per_job = sum(_PER_JOB.values()) / _SNAPSHOT_HOURS
    rate_per_hour = per_gpu * accelerators + per_host * systems + per_job
    return 3600.0 / rate_per_hour


def goodput(
    ideal_s: float,
    accelerators: int,
    systems: int,
    params: float,
    write_gbps: float | None = None,
    restart_s: float | None = None,
) -> Goodput:
    """Effective time to train `ideal_s` of failure-free work."""
    if ideal_s <= 0 or params <= 0:
        raise ValueError("ideal time and parameter count must be positive")
    notes = [_rates_note()]
    if write_gbps is None:
        write_gbps = DEFAULT_WRITE_GBPS_PER_ACCELERATOR * accelerators
        notes.append(
            _note("write", f"checkpoints written at {DEFAULT_WRITE_GBPS_PER_ACCELERATOR:g} GB/s per accelerator")
        )
    if restart_s is None:
        restart_s = DEFAULT_RESTART_S
        notes.append(_note("restart", f"{restart_s / 60:g} minutes to detect, reschedule and reload after a failure"))
    mtbi = mtbi_s(accelerators, systems)
    checkpoint = CHECKPOINT_BYTES_PER_PARAM * params / (write_gbps * 1e9)
    interval = math.sqrt(2 * checkpoint * mtbi)
    overhead = checkpoint / interval + (interval / 2 + restart_s) / mtbi
    effective = ideal_s * (1 + overhead)
    return Goodput(
        mtbi_s=mtbi,
        checkpoint_s=checkpoint,
        checkpoint_interval_s=interval,
        expected_interruptions=effective / mtbi,
        goodput_fraction=ideal_s / effective,
        effective_time_s=effective,
        assumptions=tuple(notes),
    )


def _rates_note() -> Assumption:
    return Assumption(
        id="goodput-failure-rates",
        text="Unexpected interruptions scale with GPUs, hosts and the job as in the Llama 3 16,384-H100 snapshot "
        "(419 in 54 days, one every 3.1 h); other platforms are assumed to fail at the same per-component rates.",
        confidence="derived",
        source=_SOURCE,
    )


def _note(key: str, text: str) -> Assumption:
    return Assumption(id=f"goodput-{key}", text=f"Goodput: {text}.", confidence="estimate", source="refarch default")
