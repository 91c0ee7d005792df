"""The performance model: pure functions that turn a workload and a platform into time, throughput and memory.

Modules: `platform` (hardware facts from the catalog), `transformer` (FLOPs and memory), `records` (the estimate
records, one per kind, that plans keep and `estimate` prints), `training/` (setup, step time, parallelism search,
goodput, the training estimate and its wafer path), `wafer/` (wafer-scale training), `inference/`, `calibration/`
(fitting and its error).
"""
