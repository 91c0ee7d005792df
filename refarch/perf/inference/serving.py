"""Inference estimates for one workload on whole systems: the record `refarch estimate` prints and plans keep.

`refarch.perf.inference.estimate` reasons in replicas and accelerators; sites buy systems. This module rounds
replicas up to whole systems and finds the fewest systems meeting an output tokens/s and TTFT target within a site
bound, with the nearest size the bound allows when none does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from refarch.errors import InfeasibleError, NotSupportedError
from refarch.perf.inference.estimate import InferenceRequest, ReplicaEstimate, inference_estimate, required_replicas
from refarch.perf.inference.memory import tp_options, wafers_for_weights
from refarch.perf.platform import Platform, limit_text
from refarch.perf.records import InferenceEstimate, InferenceResult, Outcome, SizingPoint, sizing_points
from refarch.types import Band, InferenceTarget, Parallelism, WorkloadPlan

__all__ = ["ServingSetup", "fastest_first_token", "fewest_serving_systems", "serve_at_size"]


@dataclass(frozen=True)
class ServingSetup:
    """An inference workload on one platform and the requests it serves: what its estimate depends on besides the
    system count (with the tensor-parallel degree the spec fixes and the target it is sized for)."""

    workload: WorkloadPlan
    request: InferenceRequest
    platform: Platform

    @property
    def tp(self) -> int | None:
        """The spec's tensor-parallel degree; a wafer replica spans the wafers its weights need instead."""
        return self.workload.parallelism.tp

    @property
    def target(self) -> InferenceTarget:
        """The workload's target; without one, nothing beyond holding the streams."""
        target = self.workload.target
        return target if isinstance(target, InferenceTarget) else InferenceTarget()


def _result(setup: ServingSetup, request: InferenceRequest, systems: int, est: ReplicaEstimate) -> InferenceResult:
    """`est` on `systems` whole systems, as the workload's inference record with its band."""
    platform, target = setup.platform, setup.target
    band = Band.around(est.aggregate_tokens_per_s, est.band_pct / 100)
    record = InferenceEstimate(
        workload=setup.workload.name,
        platform=platform.system_id,
        systems=systems,
        accelerators=systems * platform.accelerators_per_system,
        replicas=est.replicas,
        parallelism=Parallelism(tp=est.tp, pp=est.pipeline, dp=est.replicas, cp=1),
        streams_per_replica=est.streams_per_replica,
        concurrency=request.concurrency,
        max_concurrency=est.max_concurrency,
        prompt_tokens=est.prompt_tokens,
        output_tokens=est.output_tokens,
        output_tokens_per_second=est.aggregate_tokens_per_s,
        output_tokens_per_second_per_stream=est.per_stream_tokens_per_s,
        ttft_s=est.ttft_s,
        decode_step_s=est.decode_step_s,
        decode_bound=est.bound,
        memory_per_accelerator_gb=(est.weight_bytes + est.kv_bytes) / 1e9,
        weights_gb_per_accelerator=est.weight_bytes / 1e9,
        kv_cache_gb_per_accelerator=est.kv_bytes / 1e9,
        usable_memory_gb_per_accelerator=est.usable_bytes / 1e9,
        confidence=est.confidence,
        confidence_low=band.low,
        confidence_high=band.high,
        calibrated_on=est.calibrated_on,
        target_output_tokens_per_second=target.output_tokens_per_second,
        target_ttft_s=target.ttft_p99,
    )
    return InferenceResult(record, band, est.assumptions, platform.wafer)


def serve_at_size(setup: ServingSetup, systems: int) -> InferenceResult:
    """Serve the setup's requests on `systems` x its platform with the replica layout that gives the most output
    tokens/s (the spec's tp, if it fixes one).

    Raises:
        NotSupportedError: a tensor-parallel degree fixed for a wafer platform.
        InfeasibleError: the model (with its streams) fits no replica the systems can form; names the size needed.
    """
    return _serve(setup, systems, setup.tp)


def _serve(setup: ServingSetup, systems: int, tp: int | None) -> InferenceResult:
    request, platform = setup.request, setup.platform
    accelerators = systems * platform.accelerators_per_system
    if platform.wafer and tp not in (None, 1):
        raise NotSupportedError(
            f"{platform.system_name} holds a replica's weights in the SRAM of as many wafers as they need; there "
            f"is no tensor parallel degree to fix (the spec gives tp {tp})",
            hint="drop parallelism.tp for this workload",
            field=("parallelism", "tp"),
        )
    if not platform.wafer:
        est = inference_estimate(request, platform, accelerators=accelerators, tp=tp)
        return _result(setup, request, systems, est)
    # Fewer replicas hold more streams each, and a replica's pipeline grows with its KV cache: try every count up to
    # one stream per replica (without a concurrency, each replica fills its SRAM, so the most replicas are best).
    most = accelerators // wafers_for_weights(request.shape, platform, request.precision)
    counts = range(1, min(most, request.concurrency) + 1) if request.concurrency else range(most, most + 1)
    options = [inference_estimate(request, platform, replicas=r) for r in counts if r >= 1]
    fitting = [e for e in options if e.accelerators <= accelerators]
    if not fitting:
        needed = min((e.accelerators for e in options), default=accelerators + 1)
        needed = max(needed, wafers_for_weights(request.shape, platform, request.precision))
        raise InfeasibleError(
            f"one replica of {request.shape.params / 1e9:g}B with its stream(s) needs {needed} x "
            f"{platform.accelerator_id}; {systems} x {platform.system_id} has {accelerators}",
            hint=f"at least {math.ceil(needed / platform.accelerators_per_system)} x {platform.system_id}",
        )
    best = max(fitting, key=lambda e: (e.aggregate_tokens_per_s, -e.accelerators))
    return _result(setup, request, systems, best)


def fewest_serving_systems(setup: ServingSetup, upper: int) -> Outcome:
    """The fewest systems up to `upper` meeting the workload's target (`meeting`), else the best estimate at `upper`
    (`closest`, None when nothing fits there) and why no size meets it (`reason`), with every estimate computed on
    the way (`tried`: the replica counts searched, as whole systems, beyond `upper` too).

    Replicas are rounded up to whole systems, so the estimate at the fewest systems may leave accelerators spare.
    A fixed `tp` shapes GPU replicas only: a wafer replica spans the wafers its weights need.
    """
    request, platform, target = setup.request, setup.platform, setup.target
    tp = None if platform.wafer else setup.tp
    goal = target.output_tokens_per_second or 0.0  # only concurrency or TTFT given: hold the streams
    sizing = required_replicas(request, platform, goal, target.ttft_p99, tp)
    per_system = platform.accelerators_per_system
    points = [
        _point(math.ceil(e.accelerators / per_system), e.aggregate_tokens_per_s, e.ttft_s, setup) for e in sizing.tried
    ]
    if sizing.estimate is not None and sizing.systems is not None and sizing.systems <= upper:
        meeting = _result(setup, request, sizing.systems, sizing.estimate)
        return Outcome(platform, meeting, None, tried=sizing_points(points, higher_is_better=True))
    reason = sizing.reason
    if sizing.systems is not None:
        reason = f"needs {sizing.systems:,} x {platform.system_id}; {limit_text(upper)}"
    try:
        closest = _serve(setup, upper, tp) if upper >= 1 else None
    except InfeasibleError:
        closest = None
    if closest is not None:
        record = closest.record
        points.append(_point(upper, record.output_tokens_per_second, record.ttft_s, setup))
    return Outcome(platform, None, closest, reason, sizing_points(points, higher_is_better=True))


def _point(systems: int, tokens_per_s: float, ttft_s: float, setup: ServingSetup) -> SizingPoint:
    """An estimate as a sizing point: it meets the target when it reaches the output tokens/s (if the target
    gives any) within the TTFT limit (if any); the streams are the request's in every estimate."""
    target = setup.target
    fast_enough = tokens_per_s >= (target.output_tokens_per_second or 0.0)
    soon_enough = target.ttft_p99 is None or ttft_s <= target.ttft_p99
    return SizingPoint(systems=systems, value=tokens_per_s, meets_target=fast_enough and soon_enough)


def fastest_first_token(setup: ServingSetup) -> InferenceResult | None:
    """One idle replica at the widest tensor parallelism (wafers: the weights' wafers), or None if nothing fits."""
    platform = setup.platform
    request = replace(setup.request, concurrency=1)
    options = tp_options(request.shape, platform)
    widest = None if platform.wafer or not options else max(options)
    try:
        est = inference_estimate(request, platform, replicas=1, tp=widest)
    except InfeasibleError:
        return None
    return _result(setup, request, math.ceil(est.accelerators / platform.accelerators_per_system), est)
