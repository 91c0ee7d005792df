"""Target sizing leaves room for what the design adds beyond its systems (refarch.pipeline).

The example, with a 31-day target, is sized under power budgets just below what its first design draws, where
sizing by systems alone picks that design again, and far below, where nothing fits. (At 30 days the example's
first design is the only one within a kilowatt of its power, so no resizing could meet the tighter budget.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from refarch import load_spec, plan_spec, size, solve
from refarch.catalog import Catalog
from refarch.errors import InfeasibleError
from refarch.pipeline import overhead
from refarch.plan import Plan
from refarch.sizing import systems_per_platform
from refarch.target_sizing import compute_cost

from .conftest import REPO

SOURCE = REPO / "examples" / "train-70b-in-30-days.yaml"
TEXT = SOURCE.read_text().replace("time_to_train: 30 days", "time_to_train: 31 days")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example") / "train-70b-in-31-days.yaml"
    path.write_text(TEXT)
    return path


def _with_budget(write_spec: Callable[[str, str], Path], megawatts: float, name: str) -> Path:
    text = re.sub(r"power_budget: [^#\n]*", f"power_budget: {megawatts:.6f} MW ", TEXT)
    return write_spec(text, name)


@pytest.fixture(scope="module")
def unconstrained(catalog: Catalog, example: Path) -> Plan:
    return plan_spec(load_spec(example), catalog)


def test_overhead_is_what_the_design_adds_beyond_its_systems(
    unconstrained: Plan, catalog: Catalog, example: Path
) -> None:
    spec = load_spec(example)
    extra = overhead(spec, catalog, unconstrained)
    power_w, racks, usd = compute_cost(spec, catalog, systems_per_platform(unconstrained.compute))
    assert extra.power_w > 0 and extra.usd > 0  # switches, optics and management are never free
    assert power_w + extra.power_w == pytest.approx(unconstrained.power.facility_power_kw * 1000)
    assert racks + extra.racks == len(unconstrained.racks)
    assert usd + extra.usd == pytest.approx(unconstrained.summary.capex_usd)


def test_a_budget_the_systems_fit_but_the_design_does_not_is_met_by_resizing(
    unconstrained: Plan, catalog: Catalog, write_spec: Callable[[str, str], Path], example: Path
) -> None:
    spec = load_spec(example)
    systems_w = compute_cost(spec, catalog, systems_per_platform(unconstrained.compute))[0]
    design_w = unconstrained.power.facility_power_kw * 1000
    budget_w = design_w - 1000
    assert systems_w < budget_w
    tight = load_spec(_with_budget(write_spec, budget_w / 1e6, "tight.yaml"))
    with pytest.raises(InfeasibleError, match="power budget"):
        solve(tight, catalog, size(tight, catalog))  # systems-only sizing overruns the budget
    plan = plan_spec(tight, catalog)
    assert plan.power.facility_power_kw * 1000 <= budget_w
    reservation = next(a for a in plan.assumptions if a.id == "target-sizing-reservation")
    assert f"{(design_w - systems_w) / 1e3:,.1f} kW" in reservation.text
    record = plan.performance[0]
    assert record.kind == "training" and record.time_to_train_s is not None
    assert record.time_to_train_s <= 31 * 86400


def test_a_budget_nothing_fits_names_the_reservation(
    unconstrained: Plan, catalog: Catalog, write_spec: Callable[[str, str], Path], example: Path
) -> None:
    spec = load_spec(example)
    systems_w = compute_cost(spec, catalog, systems_per_platform(unconstrained.compute))[0]
    tight = load_spec(_with_budget(write_spec, systems_w * 1.001 / 1e6, "tighter.yaml"))
    with pytest.raises(InfeasibleError, match=r"held back .* kW facility power") as failure:
        plan_spec(tight, catalog)
    assert failure.value.exit_code == 3


def test_specs_within_their_limits_are_planned_in_one_round(
    unconstrained: Plan, catalog: Catalog, example: Path
) -> None:
    spec = load_spec(example)
    assert unconstrained == solve(spec, catalog, size(spec, catalog))
    assert all(a.id != "target-sizing-reservation" for a in unconstrained.assumptions)
