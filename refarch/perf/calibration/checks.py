"""Consistency checks from shared/reference/performance.md ("Sanity ranges a calibrated GPU model should land in").

Each check runs the calibrated model on a published configuration and compares with the published band, so a
calibration that fits its points but gets the big picture wrong is caught.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.perf.calibration.file import Calibration
from refarch.perf.platform import platform_from_catalog
from refarch.perf.training.search import best_layout
from refarch.perf.training.step import StepTime, TrainingJob

__all__ = ["Check", "consistency_checks"]

_SOURCE = "shared/reference/performance.md, sanity ranges"


@dataclass(frozen=True)
class Check:
    """One published band and where the model lands."""

    name: str
    value: float
    low: float
    high: float
    source: str = _SOURCE

    @property
    def passed(self) -> bool:
        """Whether the model's value lies in the band."""
        return self.low <= self.value <= self.high


def _step(
    catalog: Catalog, calibration: Calibration, system: str, preset: str, gpus: int, batch: int, precision: str
) -> StepTime:
    platform = platform_from_catalog(catalog, system)
    job = TrainingJob(catalog.get(preset, LlmModel).shape(), batch, precision)
    efficiency, _ = calibration.efficiency(platform.family)
    choice = best_layout(job, platform, gpus, efficiency)
    if choice is None:
        raise ValueError(f"{preset} fits on no layout of {gpus} x {system}")
    return choice.step


def consistency_checks(catalog: Catalog, calibration: Calibration) -> list[Check]:
    """The reference's sanity ranges, evaluated with `calibration`."""
    h100_405b = _step(catalog, calibration, "dgx-h100", "llama3.1-405b", 16384, 2048, "bf16")
    h100_70b_bf16 = _step(catalog, calibration, "dgx-h100", "llama3-70b", 1024, 1024, "bf16")
    h100_70b_fp8 = _step(catalog, calibration, "dgx-h100", "llama3-70b", 1024, 1024, "fp8")
    a100_175b = _step(catalog, calibration, "dgx-a100", "gpt3-175b", 1024, 1536, "bf16")
    checks = [
        Check("H100 BF16 MFU, Llama 3.1 405B on 16,384 GPUs", h100_405b.mfu, 0.38, 0.48),
        Check("A100 BF16 MFU, GPT-3 175B on 1,024 GPUs", a100_175b.mfu, 0.44, 0.56),
        Check(
            "FP8 over BF16 speed-up, Llama 3 70B on 1,024 H100",
            h100_70b_fp8.tokens_per_second / h100_70b_bf16.tokens_per_second,
            1.0,
            2.0,
        ),
    ]
    for preset, gpus, batch in (("llama3-70b", 576, 1152), ("llama3.1-405b", 1152, 1152)):
        gb200 = _step(catalog, calibration, "gb200-nvl72", preset, gpus, batch, "bf16")
        h100 = _step(catalog, calibration, "dgx-h100", preset, gpus, batch, "bf16")
        ratio = gb200.tokens_per_second / h100.tokens_per_second
        checks.append(Check(f"GB200 over H100 per GPU, {preset} on {gpus} GPUs", ratio, 2.2, 2.5))
    return checks
