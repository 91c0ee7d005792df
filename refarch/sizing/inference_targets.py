"""Inference workloads in a plan: the request the spec describes, the platforms that may serve it, and the fewest
systems per platform that meet its target (the platform itself is chosen with training targets in target_sizing).
"""

from __future__ import annotations

from collections.abc import Sequence

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError
from refarch.inputs.spec import Spec
from refarch.perf.inference.estimate import InferenceRequest
from refarch.perf.inference.serving import (
    ServingEstimate,
    ServingTarget,
    fastest_first_token,
    fewest_serving_systems,
    serve_at_size,
)
from refarch.perf.inference.wafer_anchors import default_wafer_inference_calibration
from refarch.perf.platform import Platform, largest_text, platform_from_catalog, remedy_text
from refarch.plan import InferencePerformanceEstimate
from refarch.sizing.platform_choice import Outcome
from refarch.types import WorkloadPlan

__all__ = [
    "covered_for_inference",
    "fixed_serving",
    "inference_platforms",
    "inference_request",
    "serving_note",
    "serving_outcome",
    "serving_record",
    "unmet_inference",
]


def inference_request(spec: Spec, index: int, workload: WorkloadPlan) -> InferenceRequest:
    """The requests `spec.workloads[index]` serves; unset sizes take the model's defaults (listed as assumptions)."""
    given = spec.workloads[index]
    concurrency = given.target.concurrency if given.target is not None else given.concurrency
    return InferenceRequest(workload.model, workload.precision, concurrency, given.prompt_tokens, given.output_tokens)


def _target(workload: WorkloadPlan) -> ServingTarget:
    """The workload's target; with only concurrency or TTFT given, 0 tokens/s asks for the streams to fit."""
    return ServingTarget(workload.target.get("output_tokens_per_second", 0.0), workload.target.get("ttft_p99"))


def covered_for_inference(platform: Platform) -> bool:
    """GPUs (the roofline model is the same, uncalibrated, for all) and wafers the anchors were measured on."""
    return not platform.wafer or default_wafer_inference_calibration().covers(platform.accelerator_id)


def inference_platforms(catalog: Catalog) -> list[Platform]:
    """Catalog systems the inference model covers."""
    platforms = [platform_from_catalog(catalog, system.id) for system in catalog.all(System)]
    return [p for p in platforms if covered_for_inference(p)]


def serving_outcome(spec: Spec, index: int, workload: WorkloadPlan, platform: Platform, upper: int) -> Outcome:
    """The fewest systems (up to `upper`) of `platform` that meet the workload's target, or the nearest."""
    request = inference_request(spec, index, workload)
    tp = workload.parallelism.get("tp")
    meeting, closest, reason = fewest_serving_systems(workload.name, request, platform, _target(workload), upper, tp)
    return Outcome(platform, meeting, closest, reason)


def fixed_serving(spec: Spec, index: int, workload: WorkloadPlan, platform: Platform, systems: int) -> ServingEstimate:
    """The workload served on `systems` x `platform` (the spec's tp if it fixes one).

    Raises:
        InfeasibleError: the model and its streams fit no replica the systems can form.
    """
    request = inference_request(spec, index, workload)
    return serve_at_size(workload.name, request, platform, systems, workload.parallelism.get("tp"))


def _goal(workload: WorkloadPlan) -> str:
    target = workload.target
    parts = []
    if "output_tokens_per_second" in target:
        parts.append(f"{target['output_tokens_per_second']:,.0f} output tokens/s")
    if "concurrency" in target:
        parts.append(f"{target['concurrency']:.0f} concurrent streams")
    if "ttft_p99" in target:
        parts.append(f"TTFT p99 <= {target['ttft_p99']:g} s")
    return ", ".join(parts)


def _fastest_first(
    spec: Spec, index: int, workload: WorkloadPlan, outcomes: Sequence[Outcome]
) -> ServingEstimate | None:
    """The quickest first token any platform's idle replica gives, or None when no replica fits."""
    request = inference_request(spec, index, workload)
    firsts = [serve for o in outcomes if (serve := fastest_first_token(workload.name, request, o.platform))]
    return min(firsts, key=lambda e: e.serving.ttft_s) if firsts else None


def unmet_inference(spec: Spec, index: int, workload: WorkloadPlan, outcomes: Sequence[Outcome]) -> InfeasibleError:
    """Why no platform meets the target, with the nearest feasible alternative and what binds on each platform."""
    found = [o.closest for o in outcomes if isinstance(o.closest, ServingEstimate)]
    reasons = "; ".join(f"{o.platform.system_id}: {o.reason}" for o in outcomes if o.reason)
    hint = f"per platform: {reasons}" if reasons else ""
    text = f"workload '{workload.name}': no platform serves {_goal(workload)} within the site's limits"
    ttft_s = _target(workload).ttft_s
    first = _fastest_first(spec, index, workload, outcomes) if ttft_s is not None else None
    if first is not None and ttft_s is not None and first.serving.ttft_s > ttft_s:
        text += (
            f"; the fastest first token is {first.serving.ttft_s:.3g} s (one idle replica of {first.platform}, "
            f"{first.replica}, {first.serving.prompt_tokens}-token prompt): relax ttft_p99 or shorten the prompts"
        )
        return InfeasibleError(text, spec.where("workloads", index, "target", "ttft_p99"), hint)
    if found:
        within = [e for e in found if ttft_s is None or e.serving.ttft_s <= ttft_s]
        best = max(within or found, key=lambda e: e.serving.aggregate_tokens_per_s)
        text += (
            f"; nearest: {best.systems:,} x {best.platform} ({largest_text(best.systems)}) serves "
            f"{best.serving.aggregate_tokens_per_s:,.0f} output tokens/s with TTFT {best.serving.ttft_s:.3g} s; "
            f"{remedy_text(best.systems, 'the target')}"
        )
        return InfeasibleError(text, spec.where("workloads", index, "target"), hint)
    names = ", ".join(o.platform.system_id for o in outcomes)
    text += f"; the model fits on no size of {names} that the site's limits allow"
    return InfeasibleError(text, spec.where("workloads", index, "model"), hint)


def serving_note(estimate: ServingEstimate, system_name: str, workload: WorkloadPlan) -> str:
    """Why this size: the target met and the estimate that meets it."""
    s = estimate.serving
    return (
        f"the fewest {system_name} systems that serve {_goal(workload)} ({s.aggregate_tokens_per_s:,.0f} output "
        f"tokens/s and TTFT {s.ttft_s:.3g} s estimated: {s.replicas} replica(s) of {estimate.replica})"
    )


def serving_record(estimate: ServingEstimate, target: dict[str, float]) -> InferencePerformanceEstimate:
    """The plan.json form of an inference estimate."""
    values = estimate.as_dict()
    band = estimate.confidence
    drop = ("tp", "band", "confidence", "kind")
    return InferencePerformanceEstimate.model_validate(
        {k: v for k, v in values.items() if k not in drop}
        | {
            "confidence": estimate.serving.confidence,
            "confidence_low": band["low"],
            "confidence_high": band["high"],
            "target_output_tokens_per_second": target.get("output_tokens_per_second"),
            "target_ttft_s": target.get("ttft_p99"),
        }
    )
