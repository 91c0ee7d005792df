"""Target sizing: site accounting for fixed workloads, and wafer-scale platforms as estimates and target candidates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import load_spec
from refarch.perf.calibration.file import default_calibration
from refarch.perf.platform import MAX_SYSTEMS, platform_from_catalog
from refarch.perf.training.estimate import estimate_training
from refarch.perf.training.setup import TrainingSetup
from refarch.plan import TrainingEstimate
from refarch.sizing.platform_choice import max_systems, site_cost, system_allowances
from refarch.sizing.site_limits import LimitName, hosting_problems
from refarch.sizing.stage import size
from refarch.sizing.targets import site_limits
from refarch.sizing.workloads import resolve_workloads
from tests.conftest import MINIMAL_SPEC, REPO


def test_fixed_workloads_are_subtracted_as_candidates_are_costed(catalog: Catalog, tmp_path: Path) -> None:
    text = MINIMAL_SPEC.replace("40 kW", "20 kW") + "  power_budget: 1 MW\n  max_racks: 10\nbudget: 10000000 USD\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    spec = load_spec(path)
    free = site_limits(spec, catalog, {})
    taken = site_limits(spec, catalog, {"dgx-h100": 4})
    use = site_cost(platform_from_catalog(catalog, "dgx-h100"), 4, free)
    assert use.racks == 4  # a 10.2 kW DGX H100 under a 20 kW rack limit: one per rack, not six by height
    assert free.racks is not None and taken.racks == free.racks - use.racks
    assert free.power_w is not None and taken.power_w == free.power_w - use.facility_power_w
    assert free.budget_usd is not None and taken.budget_usd == free.budget_usd - use.capex_usd


def test_each_limit_allows_what_its_own_cost_does_and_the_search_takes_the_least(
    catalog: Catalog, tmp_path: Path
) -> None:
    text = MINIMAL_SPEC.replace("40 kW", "20 kW") + "  power_budget: 1 MW\n  max_racks: 10\nbudget: 10000000 USD\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    limits = site_limits(load_spec(path), catalog, {})
    platform = platform_from_catalog(catalog, "dgx-h100")
    allowed = system_allowances(platform, limits)
    assert set(allowed) == {"power", "budget", "racks"} and max_systems(platform, limits) == min(allowed.values())
    fields: tuple[tuple[LimitName, str], ...] = (
        ("power", "facility_power_w"),
        ("racks", "racks"),
        ("budget", "capex_usd"),
    )
    for limit, field in fields:
        bound = {"power": limits.power_w, "racks": limits.racks, "budget": limits.budget_usd}[limit]
        assert bound is not None
        assert (
            getattr(site_cost(platform, allowed[limit], limits), field)
            <= bound
            < getattr(site_cost(platform, allowed[limit] + 1, limits), field)
        )
    unlimited = site_limits(load_spec(REPO / "examples" / "dgx-h100-su.yaml"), catalog, {})
    assert system_allowances(platform, unlimited) == {} and max_systems(platform, unlimited) == MAX_SYSTEMS


def test_site_limits_take_the_rack_power_the_cooling_implies_when_unset(
    catalog: Catalog, write_spec: Callable[[str], Path]
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("  rack_power_limit: 40 kW\n", "  cooling: [air]\n")))
    limits = site_limits(spec, catalog, {})
    assert limits.rack_power_w == resolve_site(spec).rack_power_limit_w > 0
    racks = site_cost(platform_from_catalog(catalog, "dgx-h100"), 12, limits).racks
    per_rack = int(limits.rack_power_w // platform_from_catalog(catalog, "dgx-h100").system_power_w)
    assert racks == -(-12 // per_rack)  # packed by power as the plan packs them, not by height alone


@pytest.mark.parametrize(
    ("site", "system", "expected"),
    [
        ("  rack_power_limit: 40 kW\n  cooling: [air, rdhx]\n", "dgx-h100", []),
        ("  rack_power_limit: 40 kW\n  cooling: [air, rdhx]\n", "gb200-nvl72", ["needs liquid", "rack limit"]),
        ("  rack_power_limit: 200 kW\n  cooling: [liquid]\n", "gb200-nvl72", []),
        ("  rack_power_limit: 40 kW\n  cooling: [liquid]\n", "dgx-h100", ["is cooled by air"]),
        ("  rack_power_limit: 8 kW\n  cooling: [air]\n", "dgx-h100", ["10.2 kW, over the 8.0 kW rack limit"]),
        # No stated limit: the plan packs to the cooling's practical limit, so hosting is judged against it too.
        (
            "  cooling: [air]\n",
            "gb200-nvl72",
            ["needs liquid", "over the 30.0 kW rack limit, which the site's cooling"],
        ),
    ],
)
def test_hosting_problems_name_each_limit_one_system_breaks(
    catalog: Catalog, write_spec: Callable[[str], Path], site: str, system: str, expected: list[str]
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("  rack_power_limit: 40 kW\n", site)))
    problems = hosting_problems(spec, catalog.get(system, System))
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


WAFER_EXAMPLE = REPO / "examples" / "cerebras-cs3.yaml"
TARGET_EXAMPLE = REPO / "examples" / "train-70b-in-30-days.yaml"


def wafer_target_spec(days: int, batch: int = 720) -> str:
    """The CS-3 example with a time-to-train target on its named platform instead of a fixed size."""
    text = WAFER_EXAMPLE.read_text().replace("    systems: 4\n", f"    target:\n      time_to_train: {days} days\n")
    return text.replace("global_batch_seqs: 720", f"global_batch_seqs: {batch}")


def test_wafer_example_plan_records_a_wafer_estimate(catalog: Catalog) -> None:
    sizing = size(load_spec(WAFER_EXAMPLE), catalog)
    (record,) = sizing.performance
    assert isinstance(record, TrainingEstimate)
    assert record.platform == "cs-3" and record.systems == record.accelerators == 4
    assert record.memory_kind == "wafer-sram" and record.parallelism.dp == 4 and record.parallelism.tp == 1
    assert record.confidence_low < record.tokens_per_second < record.confidence_high
    assert record.time_to_train_s is not None and record.time_to_train_ideal_s is not None
    assert record.time_to_train_s > record.time_to_train_ideal_s and record.energy_mwh
    gpu = size(load_spec(TARGET_EXAMPLE), catalog).performance[0]
    assert isinstance(gpu, TrainingEstimate)
    wafer_band = (record.confidence_high - record.tokens_per_second) / record.tokens_per_second
    assert wafer_band > (gpu.confidence_high - gpu.tokens_per_second) / gpu.tokens_per_second
    notes = {a.id for a in sizing.assumptions}
    assert {"wafer-calibration", "wafer-memoryx", "perf-wafer-goodput", "goodput-restart"} <= notes
    assert not sizing.warnings


def test_training_target_weighs_measured_wafers_and_says_which_it_left_out(catalog: Catalog) -> None:
    (allocation,) = size(load_spec(TARGET_EXAMPLE), catalog).allocations
    note = allocation.sizing_note
    considered, _, left_out = note.partition("not considered:")
    assert "cs-2" in considered  # the wafer the wafer model was fitted on competes on cost
    assert "cs-3" in left_out and "no training measurements" in left_out


def test_named_wafer_platform_meets_a_target_with_the_fewest_systems(
    catalog: Catalog, write_spec: Callable[[str], Path]
) -> None:
    spec = load_spec(write_spec(wafer_target_spec(days=40)))
    sizing = size(spec, catalog)
    (allocation,), (record,) = sizing.allocations, sizing.performance
    assert isinstance(record, TrainingEstimate) and allocation.sizing == "target" and allocation.platform == "cs-3"
    assert record.time_to_train_s is not None and record.target_time_to_train_s is not None
    assert record.time_to_train_s <= record.target_time_to_train_s and record.systems >= 2
    cs3 = platform_from_catalog(catalog, "cs-3")
    setup = TrainingSetup(sizing.workloads[0], cs3, default_calibration(), pue=spec.site.pue)
    fewer = estimate_training(setup, record.systems - 1).record
    assert fewer.time_to_train_s is not None and fewer.time_to_train_s > record.target_time_to_train_s


def test_wafer_search_stops_at_one_sequence_per_system(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(wafer_target_spec(days=1, batch=8)))
    with pytest.raises(InfeasibleError, match="nearest: 8 x cs-3") as info:
        size(spec, catalog)
    assert info.value.location is not None and info.value.location.path == "workloads[0].target.time_to_train"
    workload = resolve_workloads(spec, catalog).workloads[0]
    with pytest.raises(InfeasibleError, match="at least one sequence"):
        estimate_training(TrainingSetup(workload, platform_from_catalog(catalog, "cs-3"), default_calibration()), 9)
