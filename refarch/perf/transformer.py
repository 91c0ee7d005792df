"""FLOPs and memory of a decoder-only transformer under a parallel layout (pure functions).

Conventions (shared/reference/performance.md): model FLOPs per trained token are 6N + 6 L s h (causal
attention); full activation recomputation adds one forward pass. Flash attention is assumed, so attention scores
are never stored, and sequence parallelism is assumed whenever tensor parallelism is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.types import ModelShape

__all__ = [
    "BYTES_PER_PARAM",
    "Layout",
    "MemoryBreakdown",
    "activation_bytes_per_layer",
    "kv_hidden",
    "layer_params",
    "logits_params",
    "model_flops_per_token",
    "stage_attention_flops_per_token",
    "stage_forward_flops_per_token",
    "stage_layers",
    "stage_params",
    "training_memory",
]

# Mixed-precision Adam: bf16 weights (2) + bf16 gradients (2) + fp32 master weights, momentum, variance (12).
BYTES_PER_PARAM = {"weights": 2.0, "gradients": 2.0, "optimizer": 12.0}
# Activations stored per token per layer for backward, in units of hidden (Korthikanti et al.: 34 s b h).
ACTIVATION_BYTES_PER_HIDDEN = 34.0


@dataclass(frozen=True)
class Layout:
    """A parallel layout: tensor, pipeline, data and context parallel degrees and how memory is saved.

    `zero` is the sharding stage over data parallel ranks: 0 none, 1 optimizer states (Megatron's distributed
    optimizer), 3 everything (FSDP full shard). `virtual_stages` is the interleaved pipeline factor.
    """

    tp: int
    pp: int
    dp: int
    cp: int = 1
    micro_batch: int = 1
    recompute: float = 0.0
    zero: int = 1
    virtual_stages: int = 1

    @property
    def accelerators(self) -> int:
        """Accelerators the layout occupies."""
        return self.tp * self.pp * self.dp * self.cp


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes per accelerator on the most loaded pipeline stage."""

    weights: float
    gradients: float
    optimizer: float
    activations: float
    logits: float

    @property
    def total(self) -> float:
        """All of it, in bytes."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.logits


def kv_hidden(shape: ModelShape) -> int:
    """Width of the key (or value) projection: hidden scaled by kv_heads / heads (grouped-query attention)."""
    return shape.hidden * shape.kv_heads // shape.heads


def logits_params(shape: ModelShape) -> float:
    """Parameters of the output projection (vocab x hidden); 0 when the vocabulary is unknown."""
    return float((shape.vocab or 0) * shape.hidden)


def layer_params(shape: ModelShape) -> float:
    """Parameters of one transformer layer: the model's parameters less the embeddings, spread evenly."""
    body = shape.params - 2 * logits_params(shape)
    if body <= 0:  # tied or tiny models: fall back to the parameter count itself
        body = shape.params
    return body / shape.layers


def model_flops_per_token(shape: ModelShape, recompute: float = 0.0) -> float:
    """FLOPs per trained token: 6N + 6 L s h (forward and backward); 8N + 8 L s h when full recomputation repeats
    the forward pass (the hardware FLOPs that some publications report)."""
    passes = 3 + recompute
    return 2 * passes * (shape.params + shape.layers * shape.seq_len * shape.hidden)


def stage_layers(shape: ModelShape, layout: Layout) -> int:
    """Layers on the most loaded pipeline stage: its `virtual_stages` chunks of equal size, the last ones short
    when the layers do not divide evenly (Megatron allows uneven stages)."""
    chunks = layout.pp * layout.virtual_stages
    return layout.virtual_stages * math.ceil(shape.layers / chunks)


def stage_forward_flops_per_token(shape: ModelShape, layout: Layout) -> float:
    """Forward FLOPs per token on the most loaded stage (its layers plus the output projection), before TP/CP."""
    per_layer = 2 * layer_params(shape) + 2 * shape.seq_len * shape.hidden
    return stage_layers(shape, layout) * per_layer + 2 * logits_params(shape)


def stage_attention_flops_per_token(shape: ModelShape, layout: Layout) -> float:
    """The attention-score part of `stage_forward_flops_per_token` (Q K^T and A V, causal): 2 s h per layer."""
    return stage_layers(shape, layout) * 2 * shape.seq_len * shape.hidden


def stage_params(shape: ModelShape, layout: Layout) -> float:
    """Parameters held by one accelerator of the most loaded stage (tensor parallel shards them).

    The last stage holds the output projection, the first the input embedding; one stage holds both.
    """
    embeddings = logits_params(shape) * (2 if layout.pp == 1 else 1)
    body = shape.params - 2 * logits_params(shape)
    layers = stage_layers(shape, layout) * layer_params(shape) if body > 0 else shape.params / layout.pp
    return (layers + embeddings * (body > 0)) / layout.tp


def activation_bytes_per_layer(shape: ModelShape, layout: Layout) -> float:
    """Activation bytes one layer stores per micro-batch per accelerator (selective recompute, flash, SP)."""
    tokens = layout.micro_batch * shape.seq_len / layout.cp
    return ACTIVATION_BYTES_PER_HIDDEN * tokens * shape.hidden / layout.tp


def training_memory(shape: ModelShape, layout: Layout) -> MemoryBreakdown:
    """Memory per accelerator for training with mixed-precision Adam under `layout`."""
    params = stage_params(shape, layout)
    shard = layout.dp if layout.zero >= 1 else 1
    weights_shard = layout.dp if layout.zero >= 3 else 1
    grads_shard = layout.dp if layout.zero >= 2 else 1
    per_layer = activation_bytes_per_layer(shape, layout)
    # 1F1B: the first stage holds up to `pp` micro-batches in flight, so activations total about L layers' worth.
    in_flight = layout.pp * (1 + (layout.pp - 1) / (layout.pp * layout.virtual_stages)) if layout.pp > 1 else 1
    layers = stage_layers(shape, layout)
    # Block recomputation: a `recompute` share of the layers keeps only its input (2 bytes per hidden) and rebuilds
    # the rest during backward, one layer at a time (its working set is `per_layer`).
    kept = layers * in_flight * per_layer
    rebuilt = kept * 2 / ACTIVATION_BYTES_PER_HIDDEN + per_layer
    stored = (1 - layout.recompute) * kept + layout.recompute * rebuilt
    tokens = layout.micro_batch * shape.seq_len / layout.cp
    return MemoryBreakdown(
        weights=BYTES_PER_PARAM["weights"] * params / weights_shard,
        gradients=BYTES_PER_PARAM["gradients"] * params / grads_shard,
        optimizer=BYTES_PER_PARAM["optimizer"] * params / shard,
        activations=stored,
        logits=4.0 * tokens * (shape.vocab or 0) / layout.tp,  # fp32 logits for the loss
    )
