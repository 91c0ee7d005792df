"""Why no GPU layout fits a training workload: the layout rule a degree the spec fixes breaks, or else memory, with
the nearest size that fits, and the spec field to blame."""

from __future__ import annotations

from refarch.errors import InfeasibleError
from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import Platform
from refarch.perf.training.search import MAX_BATCH_ROUNDING, batch_fits, best_layout, rounded_batch, tensor_degrees
from refarch.perf.training.search import usable_bytes as usable_memory_bytes
from refarch.perf.training.setup import layout_limits, training_job
from refarch.types import WorkloadPlan

__all__ = ["fit_accelerators", "no_fit_error"]


def fit_accelerators(workload: WorkloadPlan, platform: Platform, calibration: Calibration, limit: int) -> int | None:
    """The fewest whole systems' accelerators (up to `limit`) on which some layout fits in memory, or None."""
    job = training_job(workload, platform)
    efficiency, _ = calibration.efficiency(platform.family)
    systems = 1
    while systems * platform.accelerators_per_system <= limit:
        if best_layout(job, platform, systems * platform.accelerators_per_system, efficiency, layout_limits(workload)):
            return systems * platform.accelerators_per_system
        systems *= 2
    return None


def _broken_rules(workload: WorkloadPlan, platform: Platform) -> list[tuple[str, str]]:
    """Which of the layout rules the spec's fixed degrees break (memory aside): (degree, why) pairs."""
    job = training_job(workload, platform)
    shape, fixed = job.shape, workload.parallelism
    broken = []
    tp, pp, dp, cp = (fixed.tp or 0, fixed.pp or 0, fixed.dp or 0, fixed.cp or 0)
    degrees = tensor_degrees(job, platform)
    if tp and tp not in degrees:
        allowed = ", ".join(str(t) for t in degrees)
        broken.append(
            (
                "tp",
                f"tp {tp} must divide the {shape.heads} attention heads and stay inside one {platform.scale_up_domain}-"
                f"accelerator scale-up domain (allowed: {allowed})",
            )
        )
    if pp > shape.layers:
        broken.append(("pp", f"pp {pp} exceeds the model's {shape.layers} layers"))
    if cp and shape.seq_len % cp:
        broken.append(("cp", f"cp {cp} does not divide the sequence length {shape.seq_len}"))
    if dp and not batch_fits(job.global_batch_seqs, dp):
        broken.append(
            (
                "dp",
                f"dp {dp} needs whole sequences on every replica: a global batch of {job.global_batch_seqs} would "
                f"round up to {rounded_batch(job.global_batch_seqs, dp, 1)} (at most {MAX_BATCH_ROUNDING:.0%} is "
                "allowed)",
            )
        )
    return broken


def no_fit_error(
    workload: WorkloadPlan, platform: Platform, accelerators: int, calibration: Calibration
) -> InfeasibleError:
    """Why no layout fits, blaming the first fixed degree whose rule is broken (else no field), with the smallest
    size that fits when memory is the reason."""
    usable = usable_memory_bytes(platform) / 1e9
    text = (
        f"workload '{workload.name}' ({workload.model.params / 1e9:g}B parameters) fits on no layout of "
        f"{accelerators} x {platform.accelerator_id} ({usable:.0f} GB usable each)"
    )
    fixed = workload.parallelism.degrees()
    if fixed:
        text += f" with the spec's parallelism {fixed}"
        broken = _broken_rules(workload, platform)
        if broken:
            reasons = "; ".join(why for _, why in broken)
            return InfeasibleError(f"{text}: {reasons}", field=("parallelism", broken[0][0]))
    nearest = fit_accelerators(workload, platform, calibration, limit=1 << 20)
    if nearest is not None:
        systems = nearest // platform.accelerators_per_system
        text += f"; the smallest size that fits is {systems} x {platform.system_id} ({nearest} accelerators)"
    return InfeasibleError(text)
