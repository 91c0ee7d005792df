"""Inference workloads in a plan: the platforms that may serve them, the fewest systems per platform that meet
their target, and what to say when none does (the platform itself is chosen with training targets in
refarch.sizing.targets).
"""

from __future__ import annotations

from collections.abc import Sequence

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError
from refarch.perf.inference.serving import fastest_first_token, fewest_serving_systems
from refarch.perf.inference.wafer_anchors import default_wafer_inference_calibration
from refarch.perf.platform import Platform, largest_text, platform_from_catalog, remedy_text
from refarch.perf.records import InferenceResult, Outcome
from refarch.sizing.context import WorkloadContext
from refarch.types import InferenceTarget, WorkloadPlan

__all__ = [
    "covered_for_inference",
    "goal_words",
    "inference_platforms",
    "serving_note",
    "serving_outcome",
    "unmet_inference",
]


def covered_for_inference(platform: Platform) -> bool:
    """GPUs (the roofline model is the same, uncalibrated, for all) and wafers the anchors were measured on."""
    return not platform.wafer or default_wafer_inference_calibration().covers(platform.accelerator_id)


def inference_platforms(catalog: Catalog) -> list[Platform]:
    """Catalog systems the inference model covers."""
    platforms = [platform_from_catalog(catalog, system.id) for system in catalog.all(System)]
    return [p for p in platforms if covered_for_inference(p)]


def serving_outcome(ctx: WorkloadContext, platform: Platform, upper: int) -> Outcome:
    """The fewest systems (up to `upper`) of `platform` that meet the workload's target, or the nearest."""
    return fewest_serving_systems(ctx.serving(platform), upper)


def _goal(workload: WorkloadPlan) -> str:
    return goal_words(workload.target if isinstance(workload.target, InferenceTarget) else InferenceTarget())


def goal_words(target: InferenceTarget) -> str:
    """An inference target in words, each figure it gives: `20,000 output tokens/s, TTFT p99 <= 2 s`."""
    parts = []
    if target.output_tokens_per_second is not None:
        parts.append(f"{target.output_tokens_per_second:,.0f} output tokens/s")
    if target.concurrency is not None:
        parts.append(f"{target.concurrency:.0f} concurrent streams")
    if target.ttft_p99 is not None:
        parts.append(f"TTFT p99 <= {target.ttft_p99:g} s")
    return ", ".join(parts)


def _fastest_first(ctx: WorkloadContext, outcomes: Sequence[Outcome]) -> InferenceResult | None:
    """The quickest first token any platform's idle replica gives, or None when no replica fits."""
    firsts = [serve for o in outcomes if (serve := fastest_first_token(ctx.serving(o.platform)))]
    return min(firsts, key=lambda e: e.record.ttft_s) if firsts else None


def unmet_inference(ctx: WorkloadContext, outcomes: Sequence[Outcome]) -> InfeasibleError:
    """Why no platform meets the target, with the nearest feasible alternative and what binds on each platform."""
    workload = ctx.workload
    found = [o.closest for o in outcomes if isinstance(o.closest, InferenceResult)]
    reasons = "; ".join(f"{o.platform.system_id}: {o.reason}" for o in outcomes if o.reason)
    hint = f"per platform: {reasons}" if reasons else ""
    text = f"workload '{workload.name}': no platform serves {_goal(workload)} within the site's limits"
    ttft_s = workload.target.ttft_p99 if isinstance(workload.target, InferenceTarget) else None
    first = _fastest_first(ctx, outcomes) if ttft_s is not None else None
    if first is not None and ttft_s is not None and first.record.ttft_s > ttft_s:
        text += (
            f"; the fastest first token is {first.record.ttft_s:.3g} s (one idle replica of {first.platform}, "
            f"{first.replica}, {first.record.prompt_tokens}-token prompt): relax ttft_p99 or shorten the prompts"
        )
        return InfeasibleError(text, ctx.where("target", "ttft_p99"), hint)
    if found:
        within = [e for e in found if ttft_s is None or e.record.ttft_s <= ttft_s]
        best = max(within or found, key=lambda e: e.record.output_tokens_per_second)
        text += (
            f"; nearest: {best.systems:,} x {best.platform} ({largest_text(best.systems)}) serves "
            f"{best.record.output_tokens_per_second:,.0f} output tokens/s with TTFT {best.record.ttft_s:.3g} s; "
            f"{remedy_text(best.systems, 'the target')}"
        )
        return InfeasibleError(text, ctx.where("target"), hint)
    names = ", ".join(o.platform.system_id for o in outcomes)
    text += f"; the model fits on no size of {names} that the site's limits allow"
    return InfeasibleError(text, ctx.where("model"), hint)


def serving_note(result: InferenceResult, system_name: str, workload: WorkloadPlan) -> str:
    """Why this size: the target met and the estimate that meets it."""
    record = result.record
    return (
        f"the fewest {system_name} systems that serve {_goal(workload)} ({record.output_tokens_per_second:,.0f} "
        f"output tokens/s and TTFT {record.ttft_s:.3g} s estimated: {record.replicas} replica(s) of {result.replica})"
    )
