"""Benchmark: the parallelism search for Llama 3.1 405B on 16,384 H100 GPUs, and target sizing of the example.

Run: .venv/bin/python bench/bench_perf.py   (figures go into bench/results.md by hand)
"""

from __future__ import annotations

import time

from refarch.catalog.loader import load_catalog
from refarch.catalog.models import LlmModel
from refarch.perf.calibration.file import default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.perf.training.search import best_layout
from refarch.perf.training.step import TrainingJob


def main() -> None:
    catalog = load_catalog()
    model = catalog.get("llama3.1-405b", LlmModel)
    shape = model.shape()
    platform = platform_from_catalog(catalog, "dgx-h100")
    efficiency, _ = default_calibration().efficiency(platform.family)
    job = TrainingJob(shape, global_batch_seqs=2048, precision="bf16")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        choice = best_layout(job, platform, 16384, efficiency)
        runs.append(time.perf_counter() - start)
    assert choice is not None
    layout = choice.layout
    print(
        f"405B on 16,384 H100: best of 5 {min(runs):.3f} s, median {sorted(runs)[2]:.3f} s, {choice.feasible} feasible"
    )
    print(
        f"  layout tp={layout.tp} pp={layout.pp} dp={layout.dp} cp={layout.cp} mb={layout.micro_batch} "
        f"recompute={layout.recompute} zero={layout.zero} v={layout.virtual_stages}; MFU {choice.step.mfu:.1%}"
    )


if __name__ == "__main__":
    main()
