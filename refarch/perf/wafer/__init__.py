"""Wafer-scale (Cerebras) training: the weight-streaming step, its fit and the estimate."""
