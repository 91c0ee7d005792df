"""Diagnostic: the model's GB200-over-H100 per-GPU throughput ratio across cluster sizes and batches (BF16).

The reference says GB200 is "about 2.2-2.5x H100 per GPU on Llama-3 70B/405B" without naming a configuration;
`refarch perf report` checks one configuration per model. This grid shows whether a miss is a property of the
chosen configuration or of the model.

Run: .venv/bin/python bench/gb200_ratio.py
"""

from __future__ import annotations

from refarch.catalog.loader import Catalog, load_catalog
from refarch.catalog.models import LlmModel
from refarch.perf.calibration.file import Calibration, default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.perf.training.search import best_layout
from refarch.perf.training.step import TrainingJob

GPU_COUNTS = (64, 128, 288, 576, 1152, 2304, 4608, 9216)
SEQUENCES_PER_GPU = (0.5, 1.0, 2.0)


def tokens_per_second(catalog: Catalog, calibration: Calibration, system: str, job: TrainingJob, gpus: int) -> float:
    platform = platform_from_catalog(catalog, system)
    efficiency, _ = calibration.efficiency(platform.family)
    choice = best_layout(job, platform, gpus, efficiency)
    return choice.step.tokens_per_second if choice is not None else float("nan")


def main() -> None:
    catalog = load_catalog()
    calibration = default_calibration()
    for preset in ("llama3-70b", "llama3.1-405b"):
        shape = catalog.get(preset, LlmModel).shape()
        for gpus in GPU_COUNTS:
            cells = []
            for per_gpu in SEQUENCES_PER_GPU:
                job = TrainingJob(shape, int(gpus * per_gpu), "bf16")
                gb200 = tokens_per_second(catalog, calibration, "gb200-nvl72", job, gpus)
                h100 = tokens_per_second(catalog, calibration, "dgx-h100", job, gpus)
                ratio = f"{gb200 / h100:.2f}" if gb200 == gb200 and h100 == h100 else "no fit"  # NaN: no layout
                cells.append(f"batch {job.global_batch_seqs:>5}: {ratio}")
            print(f"{preset:<14} {gpus:>5} GPUs  " + "  ".join(cells))


if __name__ == "__main__":
    main()
