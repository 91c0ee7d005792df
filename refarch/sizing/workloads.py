"""Resolve each workload: model preset plus overrides, batch in both units, and the defaults it relied on."""

from __future__ import annotations

from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LlmModel
from refarch.inputs.spec import Spec, WorkloadSpec
from refarch.sizing.model_checks import check_model, check_request
from refarch.types import Assumption, ModelShape, WorkloadPlan

__all__ = ["ResolvedWorkloads", "resolve_workloads"]

_SHAPE_FIELDS = ("params", "layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len")


@dataclass(frozen=True)
class ResolvedWorkloads:
    """Every workload of a spec as planned, in the spec's order, and the defaults resolving them relied on."""

    workloads: list[WorkloadPlan]
    assumptions: list[Assumption]


def resolve_workloads(spec: Spec, catalog: Catalog) -> ResolvedWorkloads:
    """Every workload with its model shape resolved.

    Raises:
        CatalogError: a `model.preset` names no model entry (the message suggests the closest ids).
        SpecError: a model shape that cannot exist or does not match its params, or inference requests longer
            than the model's context (refarch.sizing.model_checks).
    """
    plans: list[WorkloadPlan] = []
    assumptions: list[Assumption] = []
    for index, workload in enumerate(spec.workloads):
        shape = _shape(spec, catalog, workload, index, assumptions)
        check_model(spec, index, shape)
        check_request(spec, index, shape)
        plans.append(_workload_plan(workload, shape, assumptions))
    return ResolvedWorkloads(plans, assumptions)


def _shape(spec: Spec, catalog: Catalog, workload: WorkloadSpec, index: int, notes: list[Assumption]) -> ModelShape:
    given = workload.model
    values: dict[str, object] = {}
    if given.preset is not None:
        preset = catalog.get(given.preset, LlmModel, spec.where("workloads", index, "model", "preset"))
        values = {f: getattr(preset, f) for f in _SHAPE_FIELDS}
    values.update({f: getattr(given, f) for f in _SHAPE_FIELDS if getattr(given, f) is not None})
    if values.get("kv_heads") is None:
        values["kv_heads"] = values["heads"]
        notes.append(_note(workload, "kv-heads", "no kv_heads given: multi-head attention (kv_heads = heads)"))
    if values.get("ffn_hidden") is None:
        values["ffn_hidden"] = 4 * int(str(values["hidden"]))  # values are validated ints here
        notes.append(_note(workload, "ffn-hidden", "no ffn_hidden given: 4 x hidden, the GPT convention"))
    return ModelShape.model_validate({"preset": given.preset, "vocab": None, **values})


def _workload_plan(workload: WorkloadSpec, shape: ModelShape, notes: list[Assumption]) -> WorkloadPlan:
    seqs, tokens = workload.global_batch_seqs, workload.global_batch_tokens
    if seqs is not None:
        tokens = float(seqs * shape.seq_len)
    elif tokens is not None:
        seqs_f = tokens / shape.seq_len
        notes.append(
            _note(workload, "batch", f"global batch of {tokens:g} tokens = {seqs_f:g} sequences of {shape.seq_len}")
        )
    target = workload.target.model_dump(exclude_none=True) if workload.target else {}
    parallelism = workload.parallelism.model_dump(exclude_none=True) if workload.parallelism else {}
    return WorkloadPlan(
        name=workload.name,
        workload_type=workload.type,
        model=shape,
        precision=workload.precision,
        tokens=workload.tokens,
        global_batch_seqs=float(seqs) if seqs is not None else (tokens / shape.seq_len if tokens else None),
        global_batch_tokens=tokens,
        parallelism=parallelism,
        target={k: float(v) for k, v in target.items()},
    )


def _note(workload: WorkloadSpec, key: str, text: str) -> Assumption:
    return Assumption(
        id=f"workload-{workload.name}-{key}",
        text=f"Workload '{workload.name}': {text}.",
        confidence="estimate",
        source="refarch default",
    )
