"""Inference workloads in plans: target sizing (fewest systems, cheapest platform), fixed-size estimates, spec fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog
from refarch.errors import InfeasibleError, NotSupportedError, SpecError
from refarch.inputs.spec import Spec, load_spec
from refarch.perf.calibration.file import default_calibration
from refarch.perf.inference.memory import tp_options
from refarch.perf.inference.serving import ServingSetup, serve_at_size
from refarch.perf.platform import MAX_SYSTEMS, platform_from_catalog
from refarch.plan import InferenceEstimate
from refarch.sizing.context import WorkloadContext
from refarch.sizing.platform_choice import candidate, choose_candidates, max_systems
from refarch.sizing.stage import size
from refarch.sizing.targets import platform_outcome, site_limits
from refarch.sizing.workloads import resolve_workloads
from refarch.types import FixedParallelism, WorkloadPlan
from tests.conftest import MINIMAL_SPEC, REPO

SERVE_EXAMPLE = REPO / "examples" / "serve-70b.yaml"
FIXED_INFERENCE = MINIMAL_SPEC.replace("type: training", "type: inference")


def inference_record(catalog: Catalog, path: Path) -> InferenceEstimate:
    (record,) = size(load_spec(path), catalog).performance
    assert isinstance(record, InferenceEstimate)
    return record


def test_serve_example_meets_its_target_and_one_system_fewer_does_not(catalog: Catalog) -> None:
    spec = load_spec(SERVE_EXAMPLE)
    target = spec.workloads[0].target
    assert target is not None and target.output_tokens_per_second and target.ttft_p99 and target.concurrency
    record = inference_record(catalog, SERVE_EXAMPLE)
    assert record.output_tokens_per_second >= target.output_tokens_per_second
    assert record.ttft_s <= target.ttft_p99
    assert record.replicas * record.streams_per_replica >= target.concurrency == record.concurrency
    assert record.target_output_tokens_per_second == target.output_tokens_per_second
    assert record.systems >= 2  # the example needs several systems, so "one fewer" below is a real check
    platform = platform_from_catalog(catalog, record.platform)
    ctx = _context(catalog, spec)
    for tp in tp_options(ctx.workload.model, platform):
        setup = ServingSetup(_with_tp(ctx.workload, tp), ctx.request(), platform)
        try:
            fewer = serve_at_size(setup, record.systems - 1).record
        except InfeasibleError:
            continue  # the streams do not fit one system fewer at this tp
        assert fewer.output_tokens_per_second < target.output_tokens_per_second or fewer.ttft_s > target.ttft_p99


def _context(catalog: Catalog, spec: Spec) -> WorkloadContext:
    """The spec's first workload as sizing sees it."""
    return WorkloadContext(spec, catalog, default_calibration(), 0, resolve_workloads(spec, catalog).workloads[0])


def _with_tp(workload: WorkloadPlan, tp: int | None) -> WorkloadPlan:
    return workload.model_copy(update={"parallelism": FixedParallelism(tp=tp)})


def test_inference_target_picks_fewer_systems_on_a_faster_platform_when_cost_allows(catalog: Catalog) -> None:
    spec = load_spec(SERVE_EXAMPLE)
    ctx = _context(catalog, spec)
    limits = site_limits(spec, catalog, {})
    slow, fast = (platform_outcome(ctx, limits, platform_from_catalog(catalog, p)) for p in ("dgx-h100", "dgx-b200"))
    assert slow.meeting is not None and fast.meeting is not None
    assert fast.meeting.systems < slow.meeting.systems  # B200: more HBM bandwidth per GPU, so fewer systems
    options = {"chat": [candidate(slow.meeting, slow.platform, limits), candidate(fast.meeting, fast.platform, limits)]}
    many, few = options["chat"]
    assert many.racks > few.racks
    # The budget allows either; the racks allow only the faster platform's fewer systems.
    roomy = dataclasses.replace(limits, budget_usd=max(many.capex_usd, few.capex_usd), racks=few.racks)
    assert choose_candidates(options, roomy)["chat"] is few
    # Without limits the cheaper of the two wins, whichever it is.
    free = dataclasses.replace(limits, budget_usd=None, racks=None, power_w=None)
    assert choose_candidates(options, free)["chat"].capex_usd == min(many.capex_usd, few.capex_usd)
    # A budget below the faster platform's price leaves only the slower one, if it is cheaper, or nothing.
    tight = dataclasses.replace(free, budget_usd=few.capex_usd - 1)
    if many.capex_usd < few.capex_usd:
        assert choose_candidates(options, tight)["chat"] is many
    else:
        with pytest.raises(InfeasibleError, match="cheapest platforms"):
            choose_candidates(options, tight)


def test_serve_plan_says_which_platforms_were_considered(catalog: Catalog) -> None:
    (allocation,) = size(load_spec(SERVE_EXAMPLE), catalog).allocations
    assert allocation.sizing == "target" and allocation.workload_type == "inference"
    assert (
        "cheapest systems within the site's limits of" in allocation.sizing_note
        and "dgx-h100" in allocation.sizing_note
    )
    assert "not considered: cs-2 (no inference measurements" in allocation.sizing_note


def test_fixed_inference_workload_gets_an_estimate(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    text = FIXED_INFERENCE.replace("systems: 2", "systems: 2\n    concurrency: 64")
    sizing = size(load_spec(write_spec(text)), catalog)
    (record,) = sizing.performance
    assert isinstance(record, InferenceEstimate) and record.kind == "inference"
    assert record.systems == 2 and record.accelerators == 16 and record.concurrency == 64
    assert record.replicas * record.parallelism.tp <= record.accelerators
    assert record.kv_cache_gb_per_accelerator > 0 and record.ttft_s > 0
    assert record.output_tokens_per_second <= 64 * record.output_tokens_per_second_per_stream
    assert record.confidence == "estimate" and record.confidence_low < record.output_tokens_per_second
    notes = {a.id: a for a in sizing.assumptions}
    assert notes["inference-request"].confidence == "estimate"  # no prompt/output sizes given: defaults, said so
    assert "inference-concurrency" not in notes


def test_request_sizes_come_from_the_spec(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    text = FIXED_INFERENCE.replace("systems: 2", "systems: 2\n    prompt_tokens: 512\n    output_tokens: 128")
    sizing = size(load_spec(write_spec(text)), catalog)
    (record,) = sizing.performance
    assert isinstance(record, InferenceEstimate)
    assert (record.prompt_tokens, record.output_tokens) == (512, 128)
    notes = {a.id for a in sizing.assumptions}
    assert "inference-request" not in notes and "inference-concurrency" in notes  # memory-bound batch assumed


def test_concurrency_belongs_under_the_target(write_spec: Callable[[str], Path]) -> None:
    text = FIXED_INFERENCE.replace(
        "    platform: dgx-h100\n    systems: 2\n", "    concurrency: 8\n    target:\n      ttft_p99: 1 s\n"
    )
    with pytest.raises(SpecError, match=r"target\.concurrency"):
        load_spec(write_spec(text))


def test_a_tensor_parallel_degree_on_a_wafer_is_refused_not_ignored(
    catalog: Catalog, write_spec: Callable[[str], Path]
) -> None:
    text = FIXED_INFERENCE.replace("dgx-h100", "cs-3").replace("systems: 2", "systems: 4\n    parallelism: {tp: 2}")
    sizing = size(load_spec(write_spec(text)), catalog)
    assert sizing.performance == []  # a fixed-size plan is still designed, with the reason as a warning
    assert any("no tensor parallel degree to fix" in w for w in sizing.warnings)
    ctx = _context(catalog, load_spec(write_spec(text)))
    cs3 = platform_from_catalog(catalog, "cs-3")
    with pytest.raises(NotSupportedError, match="tp 2"):
        serve_at_size(ctx.serving(cs3), 4)
    assert serve_at_size(ServingSetup(_with_tp(ctx.workload, None), ctx.request(), cs3), 4).record.accelerators == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("tokens: 1T", "tokens describe training"),
        ("global_batch_seqs: 64", "global_batch_seqs describe training"),
        ("parallelism: {tp: 8, cp: 2}", "parallelism.cp is not modelled for inference"),
        ("parallelism: {pp: 2, dp: 4}", "parallelism.pp, parallelism.dp are not modelled"),
    ],
)
def test_inference_refuses_fields_it_would_ignore(write_spec: Callable[[str], Path], extra: str, message: str) -> None:
    text = FIXED_INFERENCE.replace("systems: 2", f"systems: 2\n    {extra}")
    with pytest.raises(SpecError, match=message):
        load_spec(write_spec(text))


def _support(catalog: Catalog, path: Path) -> tuple[dict[str, int], dict[str, str]]:
    sizing = size(load_spec(path), catalog)
    return {s.server.id: s.count for s in sizing.support}, {a.id: a.text for a in sizing.assumptions}


def test_wafers_that_only_serve_get_no_weight_streaming_servers(
    catalog: Catalog, write_spec: Callable[[str], Path]
) -> None:
    serving = (
        FIXED_INFERENCE.replace("llama3-8b", "llama3-70b")
        .replace("dgx-h100", "cs-3")
        .replace("systems: 2", "systems: 4")
    )
    counts, notes = _support(catalog, write_spec(serving))
    assert "cs-memoryx-node" not in counts and "cs-swarmx-node" not in counts  # weights sit in SRAM
    assert counts["cs-input-worker"] == 4 and counts["cs-management-server"] == 1
    assert "they do no training work" in notes["support-cs-3-cs-memoryx-node"]
    training = "\n".join(
        [
            "  - name: train",
            "    type: training",
            "    model: {preset: llama3-8b}",
            "    platform: cs-3",
            "    systems: 2",
        ]
    )
    mixed = serving.replace("site:", training + "\nsite:")
    counts, notes = _support(catalog, write_spec(mixed))
    assert counts["cs-memoryx-node"] == 6 * 2 and counts["cs-swarmx-node"] == 2 * 2  # the training systems only
    assert counts["cs-input-worker"] == 2 + 4  # every system
    assert "for the 2 doing training work" in notes["support-cs-3-cs-memoryx-node"]


@pytest.mark.parametrize(("site_bounded", "expected"), [(True, "the site's limits allow"), (False, "refarch sizes")])
def test_an_unmet_target_names_what_bounds_the_size(
    catalog: Catalog, write_spec: Callable[[str], Path], site_bounded: bool, expected: str
) -> None:
    """Without site limits the bound is refarch's own search cap: the reason must not blame the site for it."""
    text = SERVE_EXAMPLE.read_text().replace("output_tokens_per_second: 20000", "output_tokens_per_second: 1e8")
    spec = load_spec(write_spec(text.replace("concurrency: 512", "concurrency: 4000000")))
    limits = site_limits(spec, catalog, {})
    if not site_bounded:
        limits = dataclasses.replace(limits, power_w=None, racks=None, budget_usd=None)
    platform = platform_from_catalog(catalog, "dgx-h100")
    outcome = platform_outcome(_context(catalog, spec), limits, platform)
    assert outcome.meeting is None and outcome.reason is not None and expected in outcome.reason
    bound = max_systems(platform, limits)
    assert f"{bound:,}" in outcome.reason and (bound == MAX_SYSTEMS) != site_bounded
