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
from refarch.perf.inference.serving import ServingEstimate
from refarch.perf.platform import MAX_SYSTEMS, Platform, platform_from_catalog
from refarch.perf.training.estimate import estimate_training, useful_systems
from refarch.sizing.inference_targets import fixed_serving, inference_platforms
from refarch.sizing.platform_choice import Estimate, Outcome, SiteLimits
from refarch.sizing.targets import platform_outcome, scale_out, site_limits, training_platforms
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


@dataclass(frozen=True)
class Subject:
    """One of the spec's workloads and what estimating it takes, whichever platform it is estimated on."""

    spec: Spec
    catalog: Catalog
    index: int
    workload: WorkloadPlan
    calibration: Calibration

    def outcome(self, limits: SiteLimits, platform: Platform) -> Outcome:
        """The target search on `platform` under `limits`."""
        return platform_outcome(self.spec, self.catalog, self.index, self.workload, self.calibration, limits, platform)

    def at(self, platform: Platform, systems: int) -> Estimate:
        """The workload on `systems` x `platform`.

        Raises:
            InfeasibleError, NotSupportedError: the model's reason it cannot run there, with the field it blames.
        """
        if self.workload.workload_type == "inference":
            return fixed_serving(self.spec, self.index, self.workload, platform, systems)
        scale = scale_out(self.spec, self.catalog, platform)
        return estimate_training(self.workload, platform, systems, self.calibration, scale, self.spec.site.pue)


def estimate_rows(
    spec: Spec, catalog: Catalog, calibration: Calibration, ids: list[str], note: Callable[[str], None]
) -> list[Row]:
    """Every workload on the platforms `ids` names (else its own, or every candidate); `note` gets a line for each
    platform that gives no estimate while others do.

    Raises:
        InfeasibleError, NotSupportedError: a workload has an estimate on no platform; located in the spec.
    """
    workloads, _ = resolve_workloads(spec, catalog)
    subjects = [Subject(spec, catalog, index, w, calibration) for index, w in enumerate(workloads)]
    return [row for subject in subjects for row in _rows_for(subject, ids, note)]


def _rows_for(subject: Subject, ids: list[str], note: Callable[[str], None]) -> list[Row]:
    limits = site_limits(subject.spec, subject.catalog, {})
    platforms = _platforms(subject, ids)
    rows: list[Row] = []
    failures: list[RefarchError] = []
    for platform in platforms:
        try:
            rows.append(_row(subject, platform, limits))
        except (InfeasibleError, NotSupportedError) as exc:
            failures.append(_located(subject, platform, exc, bool(ids)))
            if len(platforms) > 1:
                note(f"[yellow]{subject.workload.name} on {platform.system_id}: no estimate:[/yellow] {exc.message}")
    if rows or not failures:
        return rows
    if len(platforms) == 1:
        raise failures[0]
    first = failures[0]
    names = ", ".join(p.system_id for p in platforms)
    message = f"workload '{subject.workload.name}' has an estimate on none of {names} (why on each is above)"
    raise type(first)(message, first.location, f"try other --platforms ({SYSTEM_IDS})")


def _located(
    subject: Subject, platform: Platform, exc: InfeasibleError | NotSupportedError, from_option: bool
) -> RefarchError:
    """`exc` placed in the spec: at the field the model blamed, else at what to change (the size a fixed workload
    gives; for a target, the model, or the platform the spec names), naming the workload and platform."""
    if exc.location is not None:
        return exc
    path = exc.field or _blamed_field(subject, from_option)
    name = subject.workload.name
    message = exc.message
    if f"'{name}'" not in message:
        message = f"workload '{name}' on {platform.system_id}: {message}"
    elif platform.system_id not in message and subject.spec.workloads[subject.index].platform != platform.system_id:
        message = f"on {platform.system_id}: {message}"  # the platform came from --platforms or the catalog
    hint = exc.hint
    if not hint and path in (("model",), ("platform",)):
        hint = f"a lower precision, or a platform with more memory per accelerator ({SYSTEM_IDS})"
    return type(exc)(message, subject.spec.where("workloads", subject.index, *path), hint)


def _blamed_field(subject: Subject, from_option: bool) -> tuple[str, ...]:
    """The workload's field an estimate failure points at when the model names none."""
    given = subject.spec.workloads[subject.index]
    if given.target is not None:
        return ("platform",) if given.platform is not None and not from_option else ("model",)
    return ("systems",) if given.systems is not None else ("accelerators",)


def _row(subject: Subject, platform: Platform, limits: SiteLimits) -> Row:
    if subject.workload.target:
        return _target_row(subject, platform, limits)
    return Row(subject.at(platform, _systems_on(subject, platform)))


def _target_row(subject: Subject, platform: Platform, limits: SiteLimits) -> Row:
    """The fewest systems that meet the target: within the site's limits if they allow it, else beyond them (the
    site column then says what the site cannot take), so that a comparison shows every platform's price of the
    target instead of dropping the ones this site cannot host. When no size meets it, the most the site's limits
    allow (or, if nothing fits within them, the largest size refarch tried), marked as missing the target.

    Raises:
        InfeasibleError, NotSupportedError: the model runs on no size of the platform.
    """
    within = subject.outcome(limits, platform)
    if within.meeting is not None:
        return Row(within.meeting, meets_target=True)
    unbounded = replace(limits, power_w=None, racks=None, budget_usd=None)
    beyond = within
    if unbounded != limits:  # a site without limits was searched up to refarch's cap already
        beyond = subject.outcome(unbounded, platform)
    if beyond.meeting is not None:
        return Row(beyond.meeting, meets_target=True)
    shown = within.closest or beyond.closest
    if shown is None:
        raise _why_no_size(subject, platform, beyond.reason or within.reason)
    return Row(shown, meets_target=False, miss=_miss(subject.workload, platform, shown, within, beyond))


def _why_no_size(subject: Subject, platform: Platform, reason: str) -> RefarchError:
    """Why the model runs on no size of `platform`: the search's reason when it gives one, else the error at the
    largest size it tried; the field blamed (e.g. a fixed degree) comes from that error, which the search drops."""
    largest = min(MAX_SYSTEMS, _useful_systems(subject.workload, platform) or MAX_SYSTEMS)
    try:
        subject.at(platform, largest)
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
    if isinstance(estimate, ServingEstimate):
        s = estimate.serving
        return f"{s.aggregate_tokens_per_s:,.0f} output tokens/s with TTFT {s.ttft_s:.3g} s"
    seconds = estimate.time_to_train_s
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


def _systems_on(subject: Subject, platform: Platform) -> int:
    """Systems of `platform` with the accelerators the spec gives its own platform."""
    given = subject.spec.workloads[subject.index]
    per_system = platform_from_catalog(subject.catalog, str(given.platform)).accelerators_per_system
    accelerators = int(given.accelerators or 0) or int(given.systems or 0) * per_system
    return math.ceil(accelerators / platform.accelerators_per_system)


def _platforms(subject: Subject, ids: list[str]) -> list[Platform]:
    if ids:
        return [platform_from_catalog(subject.catalog, i, Location(None, "--platforms")) for i in ids]
    given = subject.spec.workloads[subject.index].platform
    if given is not None:
        where = subject.spec.where("workloads", subject.index, "platform")
        return [platform_from_catalog(subject.catalog, given, where)]
    if subject.workload.workload_type == "inference":
        return inference_platforms(subject.catalog)
    return training_platforms(subject.catalog, subject.workload.precision)
