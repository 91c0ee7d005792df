"""Parallelism search: the fastest layout that fits in memory for a job on a given number of accelerators.

The search is exhaustive over a small, structured space (degrees that divide the accelerator count, tensor
parallel inside the scale-up domain and dividing the heads), so its answer does not depend on a starting point.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from refarch.perf.platform import Platform
from refarch.perf.training.step import Efficiency, StepTime, TrainingJob, step_time
from refarch.perf.transformer import Layout, MemoryBreakdown, training_memory

__all__ = [
    "MAX_BATCH_ROUNDING",
    "RECOMPUTE_SHARES",
    "USABLE_MEMORY_FRACTION",
    "Choice",
    "LayoutLimits",
    "batch_fits",
    "best_layout",
    "candidate_layouts",
    "feasible_layouts",
    "rounded_batch",
    "tensor_degrees",
    "usable_bytes",
]

# HBM left for tensors after the CUDA context, allocator fragmentation and communication buffers (estimate;
# B200's "about 180 GB usable of 192" in shared/reference/performance.md is 94%, older stacks keep more back).
USABLE_MEMORY_FRACTION = 0.9
_MICRO_BATCHES = (1, 2, 4, 8)
# Share of a stage's layers whose activations are recomputed (Megatron's block recomputation): none, some, all.
RECOMPUTE_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
_CONTEXT = (1, 2, 4, 8, 16)
_VIRTUAL = (1, 2, 4, 8)
# Context parallelism splits each sequence; published recipes use it only for long contexts (NeMo: CP=2 at 8K for
# Llama 3 8B/70B/405B), so every CP rank keeps at least this many tokens unless the spec fixes CP (estimate).
MIN_TOKENS_PER_CP_RANK = 4096
# Every data-parallel replica runs whole micro-batches, so a step's batch is a multiple of dp x micro-batch. The
# search rounds the spec's global batch up to such a multiple by at most this share (a recipe would adjust its batch
# that little to fit the cluster); beyond it the layout leaves replicas idle rather than train on a larger batch
# than the spec's (estimate).
MAX_BATCH_ROUNDING = 0.05


@dataclass(frozen=True)
class LayoutLimits:
    """What the search may vary. A `None` degree is searched; a value is fixed (from the spec or a measurement)."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None
    micro_batch: tuple[int, ...] = _MICRO_BATCHES
    recompute: tuple[float, ...] = RECOMPUTE_SHARES
    zero: tuple[int, ...] = (1, 3)


@dataclass(frozen=True)
class Choice:
    """The chosen layout with its step time and memory, and how many layouts were feasible."""

    layout: Layout
    step: StepTime
    memory: MemoryBreakdown
    feasible: int


def usable_bytes(platform: Platform) -> float:
    """Bytes of accelerator memory a layout may fill."""
    return platform.memory_gb * 1e9 * USABLE_MEMORY_FRACTION


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _options(fixed: int | None, allowed: list[int]) -> list[int]:
    return [fixed] if fixed is not None else allowed


def candidate_layouts(
    job: TrainingJob, platform: Platform, accelerators: int, limits: LayoutLimits
) -> Iterator[Layout]:
    """Every layout worth timing for `accelerators` accelerators (memory not yet checked)."""
    shape = job.shape
    tps = tensor_degrees(job, platform)
    cps = [c for c in _CONTEXT if c == 1 or shape.seq_len // c >= MIN_TOKENS_PER_CP_RANK]
    for tp, cp in itertools.product(_options(limits.tp, tps), _options(limits.cp, cps)):
        if shape.seq_len % cp or tp not in tps:
            continue
        for pp, dp in _pipeline_and_data(job, accelerators, tp * cp, limits):
            yield from _variants(job, tp, pp, dp, cp, limits)


def tensor_degrees(job: TrainingJob, platform: Platform) -> list[int]:
    """Tensor-parallel degrees a layout may use: inside one scale-up domain, dividing the attention heads."""
    return [t for t in _divisors(min(platform.scale_up_domain, job.shape.heads)) if job.shape.heads % t == 0]


def _pipeline_and_data(job: TrainingJob, accelerators: int, group: int, limits: LayoutLimits) -> list[tuple[int, int]]:
    """(pp, dp) pairs for `accelerators` split into tensor x context groups of `group`.

    Without idle replicas, group x pp x dp is every accelerator. When the global batch leaves replicas idle anyway,
    any group and pp may leave some out, so that the search can trade pipeline depth against busy replicas.
    """
    pairs = []
    for pp in _options(limits.pp, list(range(1, job.shape.layers + 1))):
        full = accelerators // (group * pp)
        if full < 1 or pp > job.shape.layers:
            continue
        exact = group * pp * full == accelerators
        if limits.dp is not None:
            if exact and limits.dp == full:
                pairs.append((pp, full))
            continue
        busy = _busy_replicas(full, job.global_batch_seqs)
        if exact or busy < full:
            pairs.append((pp, busy))
    return pairs


def rounded_batch(global_batch_seqs: int, replicas: int, micro_batch: int) -> int:
    """The step's batch: the global batch rounded up to whole micro-batches on every data-parallel replica."""
    return math.ceil(global_batch_seqs / (replicas * micro_batch)) * replicas * micro_batch


def batch_fits(global_batch_seqs: int, replicas: int, micro_batch: int = 1) -> bool:
    """Whether `replicas` data-parallel replicas take the global batch in whole micro-batches, rounding it up by at
    most MAX_BATCH_ROUNDING."""
    return rounded_batch(global_batch_seqs, replicas, micro_batch) <= global_batch_seqs * (1 + MAX_BATCH_ROUNDING)


def _busy_replicas(replicas: int, global_batch_seqs: int) -> int:
    """The most data-parallel replicas, up to `replicas`, that the global batch keeps busy without rounding it up by
    more than MAX_BATCH_ROUNDING (the rest stay idle)."""
    most = min(replicas, math.floor(global_batch_seqs * (1 + MAX_BATCH_ROUNDING)))
    return next(dp for dp in range(most, 0, -1) if batch_fits(global_batch_seqs, dp))


def _variants(job: TrainingJob, tp: int, pp: int, dp: int, cp: int, limits: LayoutLimits) -> Iterator[Layout]:
    virtuals = [v for v in _VIRTUAL if v == 1 or (pp > 1 and pp * v <= job.shape.layers)]
    zeros = limits.zero if dp > 1 else limits.zero[:1]
    for mb, zero, virtual in itertools.product(limits.micro_batch, zeros, virtuals):
        if not batch_fits(job.global_batch_seqs, dp, mb):
            continue
        for recompute in limits.recompute:
            yield Layout(tp, pp, dp, cp, mb, recompute, zero, virtual)


def feasible_layouts(
    job: TrainingJob, platform: Platform, accelerators: int, limits: LayoutLimits
) -> Iterator[tuple[Layout, MemoryBreakdown]]:
    """The layouts that fit in memory, each with the least recomputation that makes it fit.

    Recomputing more layers only adds time (one more forward pass over them), so for every other choice the
    smallest share that fits dominates the larger ones, and those are not timed.
    """
    budget = usable_bytes(platform)
    # Everything but the recomputed share, as a plain tuple: `dataclasses.replace` here took a third of a search.
    fitted: set[tuple[int, ...]] = set()
    for layout in candidate_layouts(job, platform, accelerators, limits):
        base = (layout.tp, layout.pp, layout.dp, layout.cp, layout.micro_batch, layout.zero, layout.virtual_stages)
        if base in fitted:
            continue
        memory = training_memory(job.shape, layout)
        if memory.total <= budget:
            fitted.add(base)
            yield layout, memory


def best_layout(
    job: TrainingJob, platform: Platform, accelerators: int, efficiency: Efficiency, limits: LayoutLimits | None = None
) -> Choice | None:
    """The layout with the most trained tokens per second that fits in memory, or None when none does. Ties go to
    the smaller degrees."""
    best: Choice | None = None
    feasible = 0
    for layout, memory in feasible_layouts(job, platform, accelerators, limits or LayoutLimits()):
        feasible += 1
        step = step_time(job, platform, layout, efficiency)
        if best is None or step.tokens_per_second > best.step.tokens_per_second * (1 + 1e-9):
            best = Choice(layout, step, memory, 0)
    if best is None:
        return None
    return Choice(best.layout, best.step, best.memory, feasible)
