"""The performance model: pure functions that turn a workload and a platform into time, throughput and memory.

Modules: `platform` (hardware facts from the catalog), `transformer` (FLOPs and memory), `training` (step
time), `search` (parallelism), `measurements`/`calibration`/`calibration_file` (fitting and its error),
`wafer` (wafer-scale training), `inference`, `goodput`, `estimate` (what the CLI and planner call).
"""
