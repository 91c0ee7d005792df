"""Target sizing costs candidates by their whole designs and leaves room for what they do not count.

refarch.sizing.platform_choice designs candidates lazily (only those that could win); refarch.pipeline designs each on its
own and, when the combined design overruns a site limit, reserves what the candidates did not count and sizes
again. The example runs with a 31-day target; the mixed spec adds a fixed-size workload whose fabrics and
management no candidate counts.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from refarch import load_spec, plan_spec, size
from refarch.catalog.loader import Catalog
from refarch.design.solve import design
from refarch.errors import InfeasibleError
from refarch.inputs.spec import Spec
from refarch.perf.calibration.file import default_calibration
from refarch.perf.platform import platform_from_catalog
from refarch.perf.records import TrainingResult
from refarch.perf.training.estimate import estimate_training
from refarch.pipeline import candidate_designer, overhead
from refarch.plan import Plan
from refarch.sizing.context import WorkloadContext
from refarch.sizing.platform_choice import (
    Candidate,
    DesignCost,
    SiteLimits,
    candidate,
    undesigned_text,
    weigh_candidates,
)
from refarch.sizing.stage import Sizing, systems_per_platform
from refarch.sizing.targets import allowed_platforms, compute_cost, platform_outcome, site_limits
from refarch.sizing.training_targets import fewer_below
from refarch.sizing.workloads import resolve_workloads

from ..conftest import REPO

SOURCE = REPO / "examples" / "train-70b-in-30-days.yaml"
TEXT = SOURCE.read_text().replace("time_to_train: 30 days", "time_to_train: 31 days")
FIXED_WORKLOAD = """workloads:
  - name: finetune
    type: training
    model:
      preset: llama3-8b
    tokens: 100B
    global_batch_seqs: 256
    precision: bf16
    platform: dgx-h100
    systems: 16
"""
MIXED = TEXT.replace("workloads:\n", FIXED_WORKLOAD)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    path = tmp_path_factory.mktemp("example") / "train-70b-in-31-days.yaml"
    path.write_text(TEXT)
    return load_spec(path)


@pytest.fixture(scope="module")
def example_plan(catalog: Catalog, example: Spec) -> Plan:
    return plan_spec(example, catalog)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mixed") / "mixed.yaml"
    path.write_text(MIXED)
    return path


@pytest.fixture(scope="module")
def mixed_design(catalog: Catalog, mixed: Path) -> tuple[Sizing, Plan]:
    spec = load_spec(mixed)
    sizing = size(spec, catalog, designer=candidate_designer(spec, catalog))
    return sizing, design(spec, catalog, sizing)


@pytest.fixture(scope="module")
def every(catalog: Catalog, example: Spec) -> dict[str, tuple[Candidate, DesignCost]]:
    """Every platform that meets the example's target, at its fewest systems, with its whole design: the brute
    force the lazy choice must match."""
    ctx = _context(catalog, example)
    limits, designer = site_limits(example, catalog, {}), candidate_designer(example, catalog)
    found = {}
    for platform in allowed_platforms(ctx).allowed:
        outcome = platform_outcome(ctx, limits, platform)
        if not isinstance(outcome.meeting, TrainingResult):
            continue
        option = candidate(outcome.meeting, platform, limits)  # binary search, then the counts below it
        found[platform.system_id] = (option, designer(ctx.workload.name, option))
    return found


def _context(catalog: Catalog, spec: Spec) -> WorkloadContext:
    """The spec's first workload as sizing sees it."""
    return WorkloadContext(spec, catalog, default_calibration(), 0, resolve_workloads(spec, catalog).workloads[0])


def _fits(cost: DesignCost, limits: SiteLimits) -> bool:
    return (
        not cost.problem
        and (limits.power_w is None or cost.facility_power_w <= limits.power_w)
        and (limits.racks is None or cost.racks <= limits.racks)
        and (limits.budget_usd is None or cost.capex_usd <= limits.budget_usd)
    )


def test_the_plan_is_the_cheapest_whole_design_of_every_platform_meeting_the_target(
    catalog: Catalog, example: Spec, example_plan: Plan, every: dict[str, tuple[Candidate, DesignCost]]
) -> None:
    plan = example_plan
    limits = site_limits(example, catalog, {})
    fitting = {p: cost for p, (_, cost) in every.items() if _fits(cost, limits)}
    assert len(fitting) >= 3  # the example has several GPU platforms to choose from
    cheapest = min(fitting, key=lambda p: fitting[p].capex_usd)
    assert plan.compute[0].platform == cheapest
    assert plan.compute[0].systems == every[cheapest][0].estimate.systems
    assert plan.summary.capex_usd == pytest.approx(fitting[cheapest].capex_usd)  # one workload: its own design
    # The systems alone rank the platforms differently from their designs, which is why designs are compared.
    overheads = {p: fitting[p].capex_usd / every[p][0].capex_usd - 1 for p in fitting}
    assert max(overheads.values()) - min(overheads.values()) > 0.05, overheads


def _synthetic(
    catalog: Catalog, estimate: TrainingResult, seed: int
) -> tuple[dict[str, list[Candidate]], dict[tuple[str, str], DesignCost]]:
    """Two workloads with four platforms each: systems' costs and designs 5-40% dearer, one design failing."""
    rng = random.Random(seed)
    ids = ["dgx-a100", "dgx-h100", "dgx-h200", "dgx-b200"]
    options: dict[str, list[Candidate]] = {}
    designs: dict[tuple[str, str], DesignCost] = {}
    for name in ("w1", "w2"):
        options[name] = []
        for system_id in ids:
            power, racks, usd = rng.uniform(1e5, 1e6), rng.randint(1, 20), rng.uniform(1e6, 2e7)
            platform = platform_from_catalog(catalog, system_id)
            options[name].append(Candidate(estimate, platform, power, racks, usd))
            grow = 1 + rng.uniform(0.05, 0.4)
            designs[name, system_id] = DesignCost(power * grow, racks + rng.randint(0, 3), usd * grow)
    designs["w1", rng.choice(ids)] = DesignCost(problem="cooling")
    return options, designs


@pytest.fixture(scope="module")
def an_estimate(catalog: Catalog) -> TrainingResult:
    spec = load_spec(SOURCE)
    platform = platform_from_catalog(catalog, "dgx-b200")
    outcome = platform_outcome(_context(catalog, spec), site_limits(spec, catalog, {}), platform)
    assert isinstance(outcome.meeting, TrainingResult)
    return outcome.meeting


@pytest.mark.parametrize("seed", range(6))
def test_lazy_designs_give_the_brute_force_optimum_and_skip_what_cannot_win(
    catalog: Catalog, an_estimate: TrainingResult, seed: int
) -> None:
    options, designs = _synthetic(catalog, an_estimate, seed)
    limits = SiteLimits(power_w=1.2e6, racks=30, budget_usd=3e7, pue=1.3, rack_power_w=None, rack_height_u=42)
    designed: list[tuple[str, str]] = []

    def designer(name: str, picked: Candidate) -> DesignCost:
        designed.append((name, picked.platform.system_id))
        return designs[name, picked.platform.system_id]

    combos = []
    for a, b in itertools.product(options["w1"], options["w2"]):
        costs = [designs["w1", a.platform.system_id], designs["w2", b.platform.system_id]]
        total = DesignCost(*(sum(getattr(c, f) for c in costs) for f in ("facility_power_w", "racks", "capex_usd")))
        if not any(c.problem for c in costs) and _fits(total, limits):
            combos.append((total.capex_usd, a.platform.system_id, b.platform.system_id))
    if not combos:
        with pytest.raises(InfeasibleError):
            weigh_candidates(options, limits, designer)
        return
    best = min(combos)
    weighing = weigh_candidates(options, limits, designer)
    chosen = weighing.chosen
    assert (chosen["w1"].platform.system_id, chosen["w2"].platform.system_id) == best[1:]
    assert chosen["w1"].total_capex_usd + chosen["w2"].total_capex_usd == pytest.approx(best[0])
    assert len(designed) == len(set(designed))  # nothing designed twice
    for name, items in options.items():  # a candidate whose systems alone cost more than the optimum is never designed
        for item in items:
            if item.capex_usd > best[0]:
                assert (name, item.platform.system_id) not in designed
    assert any("cooling" in undesigned_text(c) for c in weighing.undesignable["w1"]) == any(
        designs["w1", p].problem for n, p in designed if n == "w1"
    )


def test_a_workload_none_of_whose_candidates_can_be_designed_names_each_problem(
    catalog: Catalog, an_estimate: TrainingResult
) -> None:
    options, _ = _synthetic(catalog, an_estimate, 0)
    limits = SiteLimits(power_w=None, racks=None, budget_usd=None, pue=1.3, rack_power_w=None, rack_height_u=42)

    def failing(name: str, picked: Candidate) -> DesignCost:
        return DesignCost(1.0, 1, 1.0, "needs liquid cooling" if name == "w1" else "")

    with pytest.raises(InfeasibleError, match=r"workload 'w1': no platform meeting the target can be designed") as exc:
        weigh_candidates(options, limits, failing)
    assert exc.value.message.count("needs liquid cooling") == len(options["w1"])


def test_overhead_is_what_the_combined_design_adds_beyond_what_sizing_counted(
    catalog: Catalog, mixed: Path, mixed_design: tuple[Sizing, Plan]
) -> None:
    spec = load_spec(mixed)
    sizing, plan = mixed_design
    extra = overhead(spec, catalog, plan, sizing)
    fixed = systems_per_platform(a for a in plan.compute if a.sizing == "fixed")
    counted = compute_cost(spec, catalog, fixed)
    (chosen,) = sizing.targets.values()
    assert chosen.design is not None and extra.power_w > 0 and extra.usd > 0  # the fixed workload's fabric
    total_w = counted.facility_power_w + chosen.total_power_w + extra.power_w
    assert total_w == pytest.approx(plan.power.facility_power_kw * 1000)
    # Racks can be fewer than counted (the fixed workload's systems share racks with the candidate's network racks):
    # a reservation never goes below zero.
    assert extra.racks == max(0, len(plan.racks) - counted.racks - chosen.total_racks)
    assert counted.capex_usd + chosen.total_capex_usd + extra.usd == pytest.approx(plan.summary.capex_usd)


def _with_budget(write_spec: Callable[[str, str], Path], megawatts: float, name: str) -> Path:
    text = re.sub(r"power_budget: [^#\n]*", f"power_budget: {megawatts:.6f} MW ", MIXED)
    return write_spec(text, name)


def test_a_budget_the_counted_parts_fit_but_the_whole_does_not_is_met_by_resizing(
    catalog: Catalog, write_spec: Callable[[str, str], Path], mixed_design: tuple[Sizing, Plan]
) -> None:
    first = mixed_design[1]
    budget_w = first.power.facility_power_kw * 1000 - 1000
    plan = plan_spec(load_spec(_with_budget(write_spec, budget_w / 1e6, "tight.yaml")), catalog)
    assert plan.power.facility_power_kw * 1000 <= budget_w
    reservation = next(a for a in plan.assumptions if a.id == "target-sizing-reservation")
    held = re.search(r"held back ([\d,.]+) kW", reservation.text)
    assert held is not None and float(held.group(1).replace(",", "")) > 1.0
    record = next(r for r in plan.performance if r.workload == "pretrain-70b")
    assert record.kind == "training" and record.time_to_train_s is not None
    assert record.time_to_train_s <= 31 * 86400


def test_a_budget_nothing_fits_names_the_reservation(
    catalog: Catalog, write_spec: Callable[[str, str], Path], every: dict[str, tuple[Candidate, DesignCost]]
) -> None:
    # Just room for the fixed workload's systems and the least power-hungry candidate's design: the first round
    # picks it, the combined design overruns by the fixed workload's fabrics, and with those reserved nothing fits.
    fixed_w = compute_cost(
        load_spec(_with_budget(write_spec, 3, "any.yaml")), catalog, {"dgx-h100": 16}
    ).facility_power_w
    least_w = min(cost.facility_power_w for _, cost in every.values() if not cost.problem)
    spec = load_spec(_with_budget(write_spec, (fixed_w + least_w + 1) / 1e6, "tighter.yaml"))
    with pytest.raises(InfeasibleError, match=r"held back .* kW facility power") as failure:
        plan_spec(spec, catalog)
    assert failure.value.exit_code == 3


def test_specs_within_their_limits_are_planned_in_one_round(
    catalog: Catalog, example: Spec, example_plan: Plan
) -> None:
    plan = example_plan
    assert plan == design(example, catalog, size(example, catalog, designer=candidate_designer(example, catalog)))
    assert all(a.id != "target-sizing-reservation" for a in plan.assumptions)


def test_a_budget_the_systems_fit_but_no_whole_design_does_exits_3_naming_the_design(
    run_cli: Callable[..., tuple[int, str, str]], write_spec: Callable[[str, str], Path]
) -> None:
    # 50 DGX B200 cost $20.0M; their whole design, the cheapest of all, $22.8M.
    spec = write_spec(SOURCE.read_text() + "budget: 21 MUSD\n", "budget.yaml")
    code, _, err = run_cli("plan", spec, "-o", spec.parent / "bundle")
    assert code == 3
    found = re.search(r"need [\d.]+ MW, \d+ racks and \$([\d.]+)M \(whole designs\)", err)
    assert found is not None and float(found.group(1)) > 21.0 and "budget $21.0M" in err, err
    assert not (spec.parent / "bundle").exists()


def test_fewer_below_finds_the_fewest_systems_binary_search_skips(catalog: Catalog) -> None:
    # On the example, 51 DGX B200 train slower than 50 or 52 (51 = 3 x 17 splits badly); with a target just above
    # 50's time, binary search can stop at 52. The scan must return what trying every count gives.
    setup = _context(catalog, load_spec(SOURCE)).training(platform_from_catalog(catalog, "dgx-b200"))

    def at(systems: int) -> TrainingResult:
        return estimate_training(setup, systems)

    def seconds(estimate: TrainingResult) -> float:
        assert estimate.record.time_to_train_s is not None
        return estimate.record.time_to_train_s

    target = seconds(at(50)) * 1.001
    assert seconds(at(52)) <= target < seconds(at(51))  # the estimate is not monotonic here
    found = fewer_below(at(52), setup, target)
    fewest = min(n for n in range(1, 53) if seconds(at(n)) <= target)
    assert found.systems == fewest <= 50
