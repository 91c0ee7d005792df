"""LLM inference: replica memory and timing, the inference estimate, whole-system serving."""
