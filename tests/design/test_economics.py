"""Money and time in the plan: the TCO identities, unit costs, build against rent, lead times and power stages."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
import yaml

from refarch.catalog.loader import Catalog
from refarch.catalog.models import LeadTime
from refarch.design.economics import HOURS_PER_YEAR
from refarch.errors import CatalogError, InfeasibleError, SpecError
from refarch.inputs.spec import Spec
from refarch.pipeline import plan_spec
from refarch.plan import Plan

from ..conftest import REPO

BASE: dict[str, Any] = yaml.safe_load((REPO / "examples" / "dgx-h100-su.yaml").read_text())


def _spec(**sections: Any) -> Spec:
    data = copy.deepcopy(BASE)
    for key, value in sections.items():
        data[key] = value
    return Spec.model_validate(data)


def _plan(catalog: Catalog, **sections: Any) -> Plan:
    return plan_spec(_spec(**sections), catalog)


@pytest.fixture(scope="module")
def base_plan(catalog: Catalog) -> Plan:
    return _plan(catalog)


def test_tco_is_capex_plus_opex_over_the_horizon(base_plan: Plan) -> None:
    e = base_plan.economics
    assert e is not None
    opex = e.opex_per_year
    assert opex.total_usd == pytest.approx(opex.support_usd + (opex.energy_usd or 0) + (opex.colocation_usd or 0))
    assert opex.energy_usd == base_plan.summary.annual_energy_cost_usd
    assert e.tco_usd == pytest.approx(e.capex_usd + opex.total_usd * e.horizon_years)
    assert sum(e.capex_by_category.values()) == pytest.approx(e.capex_usd)
    assert 0 < e.capex_estimated_usd < e.capex_usd


def test_cost_per_accelerator_hour_spreads_a_year_over_useful_hours(base_plan: Plan) -> None:
    e = base_plan.economics
    assert e is not None
    yearly = e.capex_usd / e.horizon_years + e.opex_per_year.total_usd
    useful_hours = base_plan.summary.accelerators * HOURS_PER_YEAR * e.utilisation
    assert e.cost_per_accelerator_hour_usd == pytest.approx(yearly / useful_hours, rel=1e-4)


def test_training_run_costs_its_days_of_the_clusters_year(base_plan: Plan) -> None:
    e = base_plan.economics
    assert e is not None
    (run,) = e.workload_costs
    (estimate,) = base_plan.performance
    assert run.metric == "training run" and estimate.time_to_train_s is not None  # type: ignore[union-attr]
    days = estimate.time_to_train_s / 86400  # type: ignore[union-attr]
    yearly = e.capex_usd / e.horizon_years + e.opex_per_year.total_usd
    assert run.usd == pytest.approx(yearly * days / (HOURS_PER_YEAR / 24), rel=1e-6)


@pytest.mark.parametrize(
    ("finance", "field", "expected"),
    [
        ({"support": 0.3}, "support_usd", lambda p: 0.3 * p.summary.capex_usd),
        ({"colocation": "150 USD/kW/month"}, "colocation_usd", lambda p: 150 * p.summary.it_power_kw * 12),
    ],
    ids=["support-share", "colocation-per-kw-month"],
)
def test_opex_follows_the_finance_settings(
    catalog: Catalog, finance: dict[str, Any], field: str, expected: Any
) -> None:
    plan = _plan(catalog, finance=finance)
    assert plan.economics is not None
    assert getattr(plan.economics.opex_per_year, field) == pytest.approx(expected(plan), rel=1e-6)
    assert not any(a.id == f"default-finance.{next(iter(finance))}" for a in plan.assumptions)


def test_defaults_are_assumptions(base_plan: Plan) -> None:
    ids = {a.id for a in base_plan.assumptions}
    for field in ("horizon", "utilisation", "support", "colocation", "rental"):
        assert f"default-finance.{field}" in ids
    for field in ("facility", "install", "burn_in", "start"):
        assert f"default-schedule.{field}" in ids


@pytest.mark.parametrize("price", [1.0, 2.35, 40.0], ids=["cheap-rent", "market-rent", "dear-rent"])
def test_rental_breakeven_is_where_owning_has_cost_as_much(catalog: Catalog, price: float) -> None:
    plan = _plan(catalog, finance={"rental": {"h100-sxm": f"{price} USD/hour"}})
    assert plan.economics is not None
    (r,) = plan.economics.rental
    capex, opex = plan.economics.capex_usd, plan.economics.opex_per_year.total_usd
    assert r.accelerators == plan.summary.accelerators
    assert r.rent_per_year_usd == pytest.approx(price * r.accelerators * HOURS_PER_YEAR)
    if r.breakeven_years is None:
        assert r.rent_per_year_usd <= opex
    else:
        assert capex + opex * r.breakeven_years == pytest.approx(r.rent_per_year_usd * r.breakeven_years, rel=1e-3)
    assert (r.cheaper == "build") == (r.own_per_year_usd <= r.rent_per_year_usd)


def test_rental_for_an_unknown_accelerator_names_the_field(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as caught:
        _plan(catalog, finance={"rental": {"h100-sxn": "2 USD/hour"}})
    assert "h100-sxm" in str(caught.value.hint) and "finance.rental.h100-sxn" in str(caught.value.location)


def test_time_to_ready_is_the_longest_lead_time_then_install_and_burn_in(catalog: Catalog) -> None:
    plan = _plan(catalog, schedule={"start": "2027-01-04", "install": "3 weeks", "burn_in": "1 week"})
    s = plan.schedule
    assert s is not None
    known = [t.weeks for t in s.lead_times if t.weeks is not None]
    assert s.procurement_weeks == pytest.approx(max(known, default=0.0))
    assert s.ready_weeks == pytest.approx(s.procurement_weeks + 3 + 1)
    assert known, "every built-in part has a lead time"
    assert s.critical_item == next(t.part for t in s.lead_times if t.weeks == s.procurement_weeks)
    ready = datetime.date(2027, 1, 4) + datetime.timedelta(days=-(-s.ready_weeks * 7 // 1))
    assert s.ready_date == ready.isoformat()
    assert {t.part for t in s.lead_times} >= {line.part for line in plan.bom}


def test_a_longer_lead_time_moves_the_critical_item(catalog: Catalog) -> None:
    slow = LeadTime(weeks=300, confidence="estimate", source="test: a very late switch")
    entries = dict(catalog.entries)
    entries["qm9700"] = entries["qm9700"].model_copy(update={"lead_time": slow})
    plan = plan_spec(_spec(), Catalog(entries, catalog.origins))
    assert plan.schedule is not None
    assert plan.schedule.critical_item == "qm9700" and plan.schedule.procurement_weeks == 300


def test_a_new_facility_waits_for_its_power_plant(catalog: Catalog, base_plan: Plan) -> None:
    plan = _plan(catalog, schedule={"facility": "new"})
    assert plan.schedule is not None and base_plan.schedule is not None
    facility = [t for t in plan.schedule.lead_times if t.category == "facility"]
    assert facility and all(t.weeks is not None for t in facility)
    assert not any(t.category == "facility" for t in base_plan.schedule.lead_times)
    assert plan.schedule.ready_weeks >= base_plan.schedule.ready_weeks


def test_power_stages_switch_systems_on_as_power_arrives(catalog: Catalog) -> None:
    stages = [
        {"power_budget": "150 kW"},
        {"power_budget": "300 kW", "available": "30 weeks"},
        {"power_budget": "1 MW", "available": "60 weeks"},
    ]
    plan = _plan(catalog, schedule={"power_phases": stages})
    assert plan.schedule is not None
    phases = plan.schedule.phases
    assert [p.power_budget_kw for p in phases] == [150, 300, 1000]
    live = [p.systems["dgx-h100"] for p in phases]
    assert live == sorted(live) and live[-1] == plan.summary.systems and 0 < live[0] < live[-1]
    for phase in phases:
        assert phase.facility_power_kw <= phase.power_budget_kw + 1e-6
        assert phase.starts_week >= plan.schedule.ready_weeks
    days = [p.time_to_train_days["pretrain-70b"] for p in phases]
    assert days == sorted(days, reverse=True)


def test_a_last_stage_short_of_the_plan_is_refused(catalog: Catalog) -> None:
    with pytest.raises(InfeasibleError, match=r"last power stage supplies 0\.10 MW") as caught:
        _plan(catalog, schedule={"power_phases": [{"power_budget": "100 kW"}]})
    assert "schedule.power_phases" in str(caught.value.location)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            {
                "power_phases": [
                    {"power_budget": "1 MW", "available": "9 weeks"},
                    {"power_budget": "2 MW", "available": "3 weeks"},
                ]
            },
            "in order",
        ),
        (
            {"power_phases": [{"power_budget": "2 MW"}, {"power_budget": "1 MW", "available": "3 weeks"}]},
            "must not lose power",
        ),
        ({"install": "6 kW"}, "not a duration"),
        ({"facility": "greenfield"}, "ready"),
    ],
    ids=["stages-out-of-order", "stages-losing-power", "install-not-a-duration", "facility-unknown"],
)
def test_bad_schedules_are_spec_errors(tmp_path: Any, schedule: dict[str, Any], message: str) -> None:
    from refarch.inputs.spec import load_spec

    data = copy.deepcopy(BASE) | {"schedule": schedule}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message) as caught:
        load_spec(path)
    assert "schedule" in str(caught.value.location)


def test_liquid_heat_waits_for_a_cdu(catalog: Catalog, base_plan: Plan) -> None:
    from refarch.inputs.spec import load_spec

    plan = plan_spec(load_spec(REPO / "examples" / "gb200-nvl72-pod.yaml"), catalog)
    assert plan.schedule is not None and base_plan.schedule is not None
    (cdu,) = [t for t in plan.schedule.lead_times if t.category == "cooling"]
    liquid_kw = plan.cooling.heat_kw_by_method["liquid"]
    assert catalog.entries[cdu.part].capacity_w >= liquid_kw * 1000 and f"{liquid_kw:,.0f} kW" in cdu.description
    assert not any(t.category == "cooling" for t in base_plan.schedule.lead_times)  # air and rear doors only
