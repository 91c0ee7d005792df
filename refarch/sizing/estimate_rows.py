"""The rows of `estimate` and `compare`: each workload on each candidate platform, at its fixed size or at the size
that meets its target, with the reason in the spec's terms when a platform gives no estimate."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from refarch.catalog.loader import Catalog
from refarch.errors import InfeasibleError, Location, NotSupportedError, RefarchError
from refarch.inputs.spec import Spec
from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import MAX_SYSTEMS, Platform, platform_from_catalog
from refarch.perf.records import InferenceResult
from refarch.perf.training.estimate import useful_systems
from refarch.sizing.context import WorkloadContext, workload_contexts
from refarch.sizing.inference_targets import inference_platforms
from refarch.sizing.platform_choice import Estimate, Outcome, SiteLimits
from refarch.sizing.targets import platform_outcome, site_limits
from refarch.sizing.training_targets import training_platforms
from refarch.sizing.workloads import resolve_workloads
from refarch.types import WorkloadPlan

__all__ = ["SYSTEM_IDS", "Row", "estimate_rows"]

SYSTEM_IDS = "`refarch catalog list --kind system` lists the system ids"


@dataclass(frozen=True)
class Row:
    """One workload on one platform: its estimate and, for a target workload, whether that size meets the target
    (None for a fixed size) and, when it does not, why no size does and what the size shown is."""

    estimate: Estimate
    meets_target: bool | None = None
    miss: str = ""


def estimate_rows(
    spec: Spec, catalog: Catalog, calibration: Calibration, ids: list[str], note: Callable[[str], None]
) -> list[Row]:
    """Every workload on the platforms `ids` names (else its own, or every candidate); `note` gets a line for each
    platform that gives no estimate while others do.

    Raises:
        InfeasibleError, NotSupportedError: a workload has an estimate on no platform; located in the spec.
    """
    contexts = workload_contexts(spec, catalog, calibration, resolve_workloads(spec, catalog).workloads)
    return [row for ctx in contexts for row in _rows_for(ctx, ids, note)]


def _rows_for(ctx: WorkloadContext, ids: list[str], note: Callable[[str], None]) -> list[Row]:
    limits = site_limits(ctx.spec, ctx.catalog, {})
    platforms = _platforms(ctx, ids)
    rows: list[Row] = []
    failures: list[RefarchError] = []
    for platform in platforms:
        try:
            rows.append(_row(ctx, platform, limits))
        except (InfeasibleError, NotSupportedError) as exc:
            failures.append(_located(ctx, platform, exc, bool(ids)))
            if len(platforms) > 1:
                note(f"[yellow]{ctx.workload.name} on {platform.system_id}: no estimate:[/yellow] {exc.message}")
    if rows or not failures:
        return rows
    if len(platforms) == 1:
        raise failures[0]
    first = failures[0]
    names = ", ".join(p.system_id for p in platforms)
    message = f"workload '{ctx.workload.name}' has an estimate on none of {names} (why on each is above)"
    raise type(first)(message, first.location, f"try other --platforms ({SYSTEM_IDS})")


def _located(
    ctx: WorkloadContext, platform: Platform, exc: InfeasibleError | NotSupportedError, from_option: bool
) -> RefarchError:
    """`exc` placed in the spec: at the field the model blamed, else at what to change (the size a fixed workload
    gives; for a target, the model, or the platform the spec names), naming the workload and platform."""
    if exc.location is not None:
        return exc
    path = exc.field or _blamed_field(ctx, from_option)
    name = ctx.workload.name
    message = exc.message
    if f"'{name}'" not in message:
        message = f"workload '{name}' on {platform.system_id}: {message}"
    elif platform.system_id not in message and ctx.given.platform != platform.system_id:
        message = f"on {platform.system_id}: {message}"  # the platform came from --platforms or the catalog
    hint = exc.hint
    if not hint and path in (("model",), ("platform",)):
        hint = f"a lower precision, or a platform with more memory per accelerator ({SYSTEM_IDS})"
    return type(exc)(message, ctx.where(*path), hint)


def _blamed_field(ctx: WorkloadContext, from_option: bool) -> tuple[str, ...]:
    """The workload's field an estimate failure points at when the model names none."""
    given = ctx.given
    if given.target is not None:
        return ("platform",) if given.platform is not None and not from_option else ("model",)
    return ("systems",) if given.systems is not None else ("accelerators",)


def _row(ctx: WorkloadContext, platform: Platform, limits: SiteLimits) -> Row:
    if ctx.workload.target is not None:
        return _target_row(ctx, platform, limits)
    return Row(ctx.estimate_at(platform, _systems_on(ctx, platform)))


def _target_row(ctx: WorkloadContext, platform: Platform, limits: SiteLimits) -> Row:
    """The fewest systems that meet the target: within the site's limits if they allow it, else beyond them (the
    site column then says what the site cannot take), so that a comparison shows every platform's price of the
    target instead of dropping the ones this site cannot host. When no size meets it, the most the site's limits
    allow (or, if nothing fits within them, the largest size refarch tried), marked as missing the target.

    Raises:
        InfeasibleError, NotSupportedError: the model runs on no size of the platform.
    """
    within = platform_outcome(ctx, limits, platform)
    if within.meeting is not None:
        return Row(within.meeting, meets_target=True)
    unbounded = replace(limits, power_w=None, racks=None, budget_usd=None)
    beyond = within
    if unbounded != limits:  # a site without limits was searched up to refarch's cap already
        beyond = platform_outcome(ctx, unbounded, platform)
    if beyond.meeting is not None:
        return Row(beyond.meeting, meets_target=True)
    shown = within.closest or beyond.closest
    if shown is None:
        raise _why_no_size(ctx, platform, beyond.reason or within.reason)
    return Row(shown, meets_target=False, miss=_miss(ctx.workload, platform, shown, within, beyond))


def _why_no_size(ctx: WorkloadContext, platform: Platform, reason: str) -> RefarchError:
    """Why the model runs on no size of `platform`: the search's reason when it gives one, else the error at the
    largest size it tried; the field blamed (e.g. a fixed degree) comes from that error, which the search drops."""
    largest = min(MAX_SYSTEMS, _useful_systems(ctx.workload, platform) or MAX_SYSTEMS)
    try:
        ctx.estimate_at(platform, largest)
    except (InfeasibleError, NotSupportedError) as exc:
        return type(exc)(reason, field=exc.field) if reason else exc
    return InfeasibleError(reason or f"the model fits on no size of {platform.system_id}")


def _miss(workload: WorkloadPlan, platform: Platform, shown: Estimate, within: Outcome, beyond: Outcome) -> str:
    """Why no size meets the target, what the largest size tried gives, and which size the row shows."""
    reason = beyond.reason or within.reason
    parts = [f"no size does{f' ({reason})' if reason else ''}"]
    largest = beyond.closest
    if largest is not None and largest.systems != shown.systems:
        why = _why_no_larger(workload, platform, largest.systems)
        parts.append(f"{largest.systems:,} systems{why} give {_achieved(largest)}")
    bound = shown is within.closest and within is not beyond  # else the site sets no limit, or nothing fits it
    where = "the most the site's limits allow" if bound else "the largest size refarch tried"
    why = "" if bound else _why_no_larger(workload, platform, shown.systems)
    parts.append(f"shown at {where}, {shown.systems:,} systems{why}, which give {_achieved(shown)}")
    return "; ".join(parts)


def _achieved(estimate: Estimate) -> str:
    if isinstance(estimate, InferenceResult):
        record = estimate.record
        return f"{record.output_tokens_per_second:,.0f} output tokens/s with TTFT {record.ttft_s:.3g} s"
    seconds = estimate.record.time_to_train_s
    return "no time to train" if seconds is None else f"{seconds / 86400:,.1f} d to train (with goodput)"


def _why_no_larger(workload: WorkloadPlan, platform: Platform, systems: int) -> str:
    """Why a size is the largest tried: refarch's search cap, or a wafer per sequence of the global batch."""
    if systems >= MAX_SYSTEMS:
        return " (the most refarch sizes)"
    if _useful_systems(workload, platform) == systems:
        return " (one per sequence of the global batch: wafers train data parallel only)"
    return ""


def _useful_systems(workload: WorkloadPlan, platform: Platform) -> int | None:
    """The most systems one training step can use (wafers); None for inference, which the search sizes alone."""
    return useful_systems(workload, platform) if workload.workload_type == "training" else None


def _systems_on(ctx: WorkloadContext, platform: Platform) -> int:
    """Systems of `platform` with the accelerators the spec gives its own platform."""
    given = ctx.given
    per_system = platform_from_catalog(ctx.catalog, str(given.platform)).accelerators_per_system
    accelerators = int(given.accelerators or 0) or int(given.systems or 0) * per_system
    return math.ceil(accelerators / platform.accelerators_per_system)


def _platforms(ctx: WorkloadContext, ids: list[str]) -> list[Platform]:
    if ids:
        return [platform_from_catalog(ctx.catalog, i, Location(None, "--platforms")) for i in ids]
    given = ctx.given.platform
    if given is not None:
        where = ctx.where("platform")
        return [platform_from_catalog(ctx.catalog, given, where)]
    if ctx.workload.workload_type == "inference":
        return inference_platforms(ctx.catalog)
    return training_platforms(ctx.catalog, ctx.workload.precision)
