"""GPU training: step time, parallelism search, goodput, the training estimate."""
