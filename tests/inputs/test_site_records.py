"""The spec resolved once into the records the stages read: the site (derived rack limit), the feed, the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.inputs.network import resolve_network
from refarch.inputs.presets import COOLING_PRESETS
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import load_spec
from tests.conftest import MINIMAL_SPEC

NO_LIMIT = MINIMAL_SPEC.replace("  rack_power_limit: 40 kW\n", "")


@pytest.mark.parametrize(
    ("cooling", "limit_kw", "method"),
    [("[air]", 30, "air"), ("[air, rdhx]", 75, "rdhx"), ("[rdhx, air]", 75, "rdhx"), ("[liquid, air]", 140, "liquid")],
    ids=["air", "air-rdhx", "rdhx-air", "liquid-air"],
)
def test_an_unset_rack_limit_is_the_densest_cooling_methods_with_its_assumption(
    write_spec: Callable[[str], Path], cooling: str, limit_kw: int, method: str
) -> None:
    site = resolve_site(load_spec(write_spec(NO_LIMIT + f"  cooling: {cooling}\n")))
    assert site.rack_power_limit_w == limit_kw * 1000 and site.rack_power_limit_derived
    assumption = site.rack_power_limit_assumption
    assert assumption is not None and assumption.id == "rack-power-limit"
    assert f"{limit_kw:g} kW per rack" in assumption.text and f"'{method}' cooling" in assumption.text
    assert assumption.source == COOLING_PRESETS[method].source and assumption.confidence == "secondary"


def test_a_stated_rack_limit_is_kept_without_assumption(write_spec: Callable[[str], Path]) -> None:
    site = resolve_site(load_spec(write_spec(MINIMAL_SPEC + "  cooling: [liquid]\n")))
    assert site.rack_power_limit_w == 40_000 and site.rack_power_limit_assumption is None
    assert not site.rack_power_limit_derived


def test_defaults_resolve_with_units_in_the_field_names(write_spec: Callable[[str], Path]) -> None:
    site = resolve_site(load_spec(write_spec(NO_LIMIT.replace("site:\n", ""))))
    assert (site.rack_power_limit_w, site.cooling, site.rack_height_u, site.pue) == (30_000, ("air",), 48, 1.3)
    assert (site.power_budget_w, site.max_racks, site.budget_usd, site.electricity_price_usd_per_kwh) == (None,) * 4
    feed = site.feed
    assert (feed.voltage_v, feed.phases, feed.breaker_a, feed.redundancy, feed.derating) == (415, 3, 60, "2N", 0.8)
    assert feed.power_factor == 1.0  # NetBox's formula (docs/decisions.md)
    network = resolve_network(load_spec(write_spec(MINIMAL_SPEC)))
    assert (network.compute, network.switch_id, network.planes, network.oversubscription) == ("auto", None, 1, 1.0)


def test_written_fields_resolve_to_base_units(write_spec: Callable[[str], Path]) -> None:
    text = (
        MINIMAL_SPEC
        + "  power_budget: 1.5 MW\n  max_racks: 12\n  pue: 1.2\n  electricity_price: 0.1 USD/kWh\n  rack_height: 42\n"
        + "  feed: {voltage: 230 V, phases: 1, breaker: 32 A, redundancy: N+1, derating: 0.9}\n"
        + "network: {compute: roce, switch: sn5600, planes: 2, oversubscription: '2:1'}\nbudget: 2 MUSD\n"
    )
    spec = load_spec(write_spec(text))
    site = resolve_site(spec)
    assert (site.power_budget_w, site.max_racks, site.pue, site.rack_height_u) == (1.5e6, 12, 1.2, 42)
    assert site.budget_usd == 2e6 and site.electricity_price_usd_per_kwh == pytest.approx(0.1)
    feed = site.feed
    assert (feed.voltage_v, feed.phases, feed.breaker_a, feed.redundancy, feed.derating) == (230, 1, 32, "N+1", 0.9)
    network = resolve_network(spec)
    assert (network.compute, network.switch_id, network.planes, network.oversubscription) == ("roce", "sn5600", 2, 2)


def test_records_carry_the_spec_lines_errors_name(write_spec: Callable[[str], Path]) -> None:
    text = MINIMAL_SPEC + "  max_racks: 3\n  power_budget: 1 MW\n  feed:\n    voltage: 480 V\nbudget: 1 MUSD\n"
    text += "network:\n  switch: qm9700\n"
    spec = load_spec(write_spec(text))
    site, network = resolve_site(spec), resolve_network(spec)
    lines = {line.split(":")[0].strip(): n for n, line in enumerate(text.splitlines(), start=1)}
    assert (site.where.rack_power_limit.line, site.where.rack_power_limit.path) == (13, "site.rack_power_limit")
    assert (site.where.max_racks.line, site.where.power_budget.line) == (lines["max_racks"], lines["power_budget"])
    assert (site.feed.where.line, site.feed.where.path) == (lines["feed"], "site.feed")
    assert (site.where.budget.line, site.where.budget.path) == (lines["budget"], "budget")
    assert (network.where.line, network.switch_where.line) == (lines["network"], lines["switch"])
    assert site.where.cooling.path == "site.cooling" and site.where.cooling.line == lines["site"]  # unset: its section
