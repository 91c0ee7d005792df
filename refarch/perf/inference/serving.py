"""Inference estimates for one workload on whole systems: the record `refarch estimate` prints and plans keep.

`refarch.perf.inference.estimate` reasons in replicas and accelerators; sites buy systems. This module rounds
replicas up to whole systems and finds the fewest systems meeting an output tokens/s and TTFT target within a site
bound, with the nearest size the bound allows when none does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from refarch.errors import InfeasibleError, NotSupportedError
from refarch.perf.inference.estimate import InferenceEstimate, InferenceRequest, inference_estimate, required_replicas
from refarch.perf.inference.memory import tp_options, wafers_for_weights
from refarch.perf.platform import Platform, limit_text
from refarch.types import Assumption

__all__ = ["ServingEstimate", "ServingTarget", "fastest_first_token", "fewest_serving_systems", "serve_at_size"]


@dataclass(frozen=True)
class ServingTarget:
    """What an inference workload must achieve: aggregate output tokens/s (0: only hold the streams), TTFT."""

    output_tokens_per_s: float
    ttft_s: float | None = None


@dataclass(frozen=True)
class ServingEstimate:
    """One inference workload on `systems` x `platform`: the replicas it runs and what they deliver."""

    workload: str
    platform: str
    systems: int
    accelerators: int
    concurrency: int | None
    serving: InferenceEstimate
    wafer: bool = False

    @property
    def replica(self) -> str:
        """One replica in words: its tensor-parallel GPUs or its pipelined wafers."""
        return f"{self.serving.pipeline} wafer(s)" if self.wafer else f"tp {self.serving.tp}"

    @property
    def band(self) -> float:
        """Half-width of the band as a fraction of the tokens/s."""
        return self.serving.band_pct / 100

    @property
    def confidence(self) -> dict[str, float]:
        """Low/high band of aggregate output tokens/s."""
        tokens = self.serving.aggregate_tokens_per_s
        return {"low": tokens * (1 - self.band), "high": tokens * (1 + self.band)}

    @property
    def parallelism(self) -> dict[str, int]:
        """tp GPUs per replica, pp wafers per replica (pipelined layers), dp replicas; no context parallelism."""
        return {"tp": self.serving.tp, "pp": self.serving.pipeline, "dp": self.serving.replicas, "cp": 1}

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        """What the inference model assumed."""
        return self.serving.assumptions

    @property
    def calibrated_on(self) -> str:
        """What the estimate rests on."""
        return self.serving.calibrated_on

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-ready values (what `estimate --json` prints)."""
        s = self.serving
        return {
            "kind": "inference",
            "workload": self.workload,
            "platform": self.platform,
            "systems": self.systems,
            "accelerators": self.accelerators,
            "replicas": s.replicas,
            "tp": s.tp,
            "parallelism": self.parallelism,
            "streams_per_replica": s.streams_per_replica,
            "concurrency": self.concurrency,
            "max_concurrency": s.max_concurrency,
            "prompt_tokens": s.prompt_tokens,
            "output_tokens": s.output_tokens,
            "output_tokens_per_second": s.aggregate_tokens_per_s,
            "output_tokens_per_second_per_stream": s.per_stream_tokens_per_s,
            "ttft_s": s.ttft_s,
            "decode_step_s": s.decode_step_s,
            "decode_bound": s.bound,
            "memory_per_accelerator_gb": (s.weight_bytes + s.kv_bytes) / 1e9,
            "weights_gb_per_accelerator": s.weight_bytes / 1e9,
            "kv_cache_gb_per_accelerator": s.kv_bytes / 1e9,
            "usable_memory_gb_per_accelerator": s.usable_bytes / 1e9,
            "confidence": self.confidence,
            "band": self.band,
            "calibrated_on": self.calibrated_on,
        }


def _wrap(
    name: str, request: InferenceRequest, platform: Platform, systems: int, est: InferenceEstimate
) -> ServingEstimate:
    accelerators = systems * platform.accelerators_per_system
    return ServingEstimate(name, platform.system_id, systems, accelerators, request.concurrency, est, platform.wafer)


def serve_at_size(
    name: str, request: InferenceRequest, platform: Platform, systems: int, tp: int | None = None
) -> ServingEstimate:
    """Serve `request` on `systems` x `platform` with the replica layout that gives the most output tokens/s.

    Raises:
        InfeasibleError: the model (with its streams) fits no replica the systems can form; names the size needed.
    """
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
        return _wrap(name, request, platform, systems, est)
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
    return _wrap(name, request, platform, systems, best)


def fewest_serving_systems(
    name: str,
    request: InferenceRequest,
    platform: Platform,
    target: ServingTarget,
    upper: int,
    tp: int | None = None,
) -> tuple[ServingEstimate | None, ServingEstimate | None, str]:
    """(fewest systems up to `upper` meeting `target` or None, the best estimate at `upper` or None, why not).

    Replicas are rounded up to whole systems, so the estimate at the fewest systems may leave accelerators spare.
    A fixed `tp` shapes GPU replicas only: a wafer replica spans the wafers its weights need.
    """
    tp = None if platform.wafer else tp
    sizing = required_replicas(request, platform, target.output_tokens_per_s, target.ttft_s, tp)
    if sizing.estimate is not None and sizing.systems is not None and sizing.systems <= upper:
        return _wrap(name, request, platform, sizing.systems, sizing.estimate), None, ""
    reason = sizing.reason
    if sizing.systems is not None:
        reason = f"needs {sizing.systems:,} x {platform.system_id}; {limit_text(upper)}"
    try:
        closest = serve_at_size(name, request, platform, upper, tp) if upper >= 1 else None
    except InfeasibleError:
        closest = None
    return None, closest, reason


def fastest_first_token(name: str, request: InferenceRequest, platform: Platform) -> ServingEstimate | None:
    """One idle replica at the widest tensor parallelism (wafers: the weights' wafers), or None if nothing fits."""
    options = tp_options(request.shape, platform)
    widest = None if platform.wafer or not options else max(options)
    try:
        est = inference_estimate(replace(request, concurrency=1), platform, replicas=1, tp=widest)
    except InfeasibleError:
        return None
    return _wrap(
        name,
        replace(request, concurrency=1),
        platform,
        math.ceil(est.accelerators / platform.accelerators_per_system),
        est,
    )
