"""Electrical rules against the derived figures in the reference (power-cooling.md)."""

from __future__ import annotations

import pytest

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.design.power import circuits_for, feed_loss_check, usable_w_per_circuit
from refarch.errors import Location
from refarch.inputs.site import ResolvedFeed, resolve_feed
from refarch.inputs.spec import Feed


def _feed(fields: dict[str, object]) -> ResolvedFeed:
    return resolve_feed(Feed.model_validate(fields), Location(None, "site.feed"))


@pytest.mark.parametrize(
    ("voltage", "phases", "breaker", "kva_at_80"),
    [("415 V", 3, "60 A", 34.5), ("415 V", 3, "32 A", 18.4), ("400 V", 3, "63 A", 34.9), ("380 V", 3, "32 A", 16.9),
     ("208 V", 3, "60 A", 17.3), ("230 V", 1, "32 A", 5.9)],
    ids=["415V-60A", "415V-32A", "400V-63A", "380V-32A", "208V-60A", "230V-1ph-32A"],
)  # fmt: skip
def test_circuit_capacity_matches_reference(voltage: str, phases: int, breaker: str, kva_at_80: float) -> None:
    feed = _feed({"voltage": voltage, "phases": phases, "breaker": breaker})
    assert usable_w_per_circuit(feed) / 1000 == pytest.approx(kva_at_80, abs=0.06)


@pytest.mark.parametrize(
    ("redundancy", "load_kw", "expected"),
    [("N", 30.6, 1), ("N", 40.0, 2), ("N+1", 30.6, 2), ("2N", 30.6, 2), ("2N", 40.0, 4), ("2N", 120.0, 8)],
    ids=["N-fits-one", "N-needs-two", "N+1", "2N", "2N-two-each", "2N-nvl72"],
)
def test_circuits_follow_redundancy(redundancy: str, load_kw: float, expected: int) -> None:
    feed = _feed({"redundancy": redundancy})
    assert circuits_for(load_kw * 1000, feed) == expected


@pytest.mark.parametrize(
    ("system_id", "status"),
    [("dgx-h100", "degraded"), ("dgx-b200", "degraded"), ("dgx-b300", "full")],
    ids=["h100-4+2", "b200-5+1", "b300-n+n"],
)
def test_feed_loss_follows_psu_redundancy(catalog: Catalog, system_id: str, status: str) -> None:
    system = catalog.get(system_id, System)
    check = feed_loss_check(system, 4)
    assert check.status == status
    assert system.psu is not None
    assert check.capacity_on_remaining_feed_w == system.psu.count // 2 * system.psu.rating_w
