"""Cross-checks of a workload's resolved model: a shape that cannot exist, a parameter count the shape cannot
have, or inference requests longer than the model's context.

Each field is valid alone (pydantic checks that); these rules tie fields together, often a preset's values to
the spec's overrides, so they run after the two are merged. The error points at a field the spec gave, so the
user is sent to what they wrote rather than to a preset they cannot edit.
"""

from __future__ import annotations

from refarch.errors import SpecError
from refarch.inputs.spec import Spec, WorkloadSpec
from refarch.perf.inference.memory import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS
from refarch.perf.transformer import kv_hidden
from refarch.types import ModelShape

__all__ = ["PARAMS_TOLERANCE", "check_model", "check_request", "shape_params_range"]

# How far `params` may sit outside the range the shape implies. Of the built-in presets the farthest outside is
# gpt3-20b, 1.2% below its plain-MLP count (llama3-70b is 0.1% above its gated count); 10% leaves room for biases,
# norms and rounded published counts ("70B") without letting a 7B / 70B mix-up through.
PARAMS_TOLERANCE = 0.10
# With the vocabulary unknown, the embeddings may add this share of the layers' parameters at most (Cerebras-GPT
# 111M: 35% of its layers; every larger preset less).
UNKNOWN_VOCAB_SHARE = 0.5


def shape_params_range(shape: ModelShape) -> tuple[float, float]:
    """Parameters the shape implies: from a plain MLP (2 h f per layer) with tied embeddings to a gated one
    (3 h f, as in Llama) with separate input and output embeddings; the spec does not say which it is."""
    attention = 2 * shape.hidden * (shape.hidden + kv_hidden(shape))
    plain = shape.layers * (attention + 2 * shape.hidden * shape.ffn_hidden)
    gated = shape.layers * (attention + 3 * shape.hidden * shape.ffn_hidden)
    if shape.vocab is None:
        return float(plain), gated * (1 + UNKNOWN_VOCAB_SHARE)
    embedding = shape.vocab * shape.hidden
    return float(plain + embedding), float(gated + 2 * embedding)


def check_model(spec: Spec, index: int, shape: ModelShape) -> None:
    """Refuse a shape no transformer has.

    Raises:
        SpecError: kv_heads above or not dividing heads, hidden not divisible by heads, or params outside what
            the shape implies.
    """
    workload = spec.workloads[index]

    def fail(fields: tuple[str, ...], message: str, hint: str) -> SpecError:
        return SpecError(
            f"workload '{workload.name}': {message}",
            spec.where("workloads", index, "model", _blamed(workload, fields)),
            hint,
        )

    if shape.kv_heads > shape.heads or shape.heads % shape.kv_heads:
        raise fail(
            ("kv_heads", "heads"),
            f"kv_heads {shape.kv_heads} must divide heads {shape.heads} (each key/value head serves a whole group "
            "of query heads)",
            f"a divisor of {shape.heads}, e.g. {shape.heads} (multi-head) or 8 (grouped-query, as in Llama 3)",
        )
    if shape.hidden % shape.heads:
        raise fail(
            ("hidden", "heads"),
            f"hidden {shape.hidden} is not divisible by heads {shape.heads} (the head width must be whole)",
            "hidden a multiple of heads, e.g. hidden 8192 with 64 heads",
        )
    low, high = shape_params_range(shape)
    if not low * (1 - PARAMS_TOLERANCE) <= shape.params <= high * (1 + PARAMS_TOLERANCE):
        raise fail(
            ("params", "layers", "hidden", "ffn_hidden"),
            f"params {shape.params / 1e9:.3g}B does not match its shape ({shape.layers} layers, hidden {shape.hidden}, "
            f"ffn_hidden {shape.ffn_hidden}, kv_heads {shape.kv_heads}, vocab {shape.vocab or 'unknown'}), which "
            f"implies {low / 1e9:.3g}B-{high / 1e9:.3g}B; the model takes FLOPs and weight memory from params and "
            "the per-layer split from the shape",
            "correct params or the dimensions (a preset's own dimensions are kept unless overridden)",
        )


def check_request(spec: Spec, index: int, shape: ModelShape) -> None:
    """Refuse inference requests longer than the model's context.

    Raises:
        SpecError: prompt plus output tokens (given or defaulted) exceed the model's seq_len.
    """
    workload = spec.workloads[index]
    if workload.type != "inference":
        return
    prompt = workload.prompt_tokens or DEFAULT_PROMPT_TOKENS
    output = workload.output_tokens or DEFAULT_OUTPUT_TOKENS
    if prompt + output <= shape.seq_len:
        return
    defaulted = [f"{name} (default {value})" for name, value, given in (
        ("prompt_tokens", DEFAULT_PROMPT_TOKENS, workload.prompt_tokens),
        ("output_tokens", DEFAULT_OUTPUT_TOKENS, workload.output_tokens),
    ) if given is None]  # fmt: skip
    field = "prompt_tokens" if workload.prompt_tokens is not None or workload.output_tokens is None else "output_tokens"
    raise SpecError(
        f"workload '{workload.name}': requests of {prompt} prompt + {output} output tokens exceed the model's "
        f"context of {shape.seq_len} tokens (seq_len)" + (f"; defaulted: {', '.join(defaulted)}" if defaulted else ""),
        spec.where("workloads", index, field),
        f"prompt_tokens + output_tokens at most {shape.seq_len}, or a longer model.seq_len",
    )


def _blamed(workload: WorkloadSpec, fields: tuple[str, ...]) -> str:
    """The first of `fields` the spec gives itself, else the preset the values came from."""
    given = [f for f in fields if getattr(workload.model, f) is not None]
    return given[0] if given else "preset"
