"""Electrical design: circuits per rack from the feed, the rack PDU, feed-loss behaviour per system.

The site's power budget is checked with its other limits, in `refarch.sizing.site_limits`.
"""

from __future__ import annotations

import math

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Pdu, System
from refarch.errors import CatalogError
from refarch.inputs.site import ResolvedFeed
from refarch.plan import FeedLossCheck

__all__ = ["choose_pdu", "circuits_for", "feed_loss_check", "usable_w_per_circuit"]


def usable_w_per_circuit(feed: ResolvedFeed) -> float:
    """Continuous real power one circuit can carry: V x I (x sqrt 3 for three-phase) x derating x PF."""
    phase_factor = math.sqrt(3) if feed.phases == 3 else 1.0
    return phase_factor * feed.voltage_v * feed.breaker_a * feed.derating * feed.power_factor


def circuits_for(load_w: float, feed: ResolvedFeed) -> int:
    """Circuits (one rack PDU each) that carry `load_w` with the feed's redundancy.

    N: enough circuits for the load. N+1: one spare. 2N: two independent sets (A and B), each carrying it all.
    """
    needed = max(1, math.ceil(load_w / usable_w_per_circuit(feed) - 1e-9))
    if feed.redundancy == "N+1":
        return needed + 1
    if feed.redundancy == "2N":
        return 2 * needed
    return needed


def choose_pdu(catalog: Catalog, feed: ResolvedFeed) -> Pdu:
    """The catalog PDU matching the site feed's voltage, phases and breaker.

    Raises:
        CatalogError: no PDU matches; the message lists the feeds the catalog has.
    """
    for pdu in catalog.of_kind("pdu"):
        if (pdu.voltage_v, pdu.phases, pdu.breaker_a) == (feed.voltage_v, feed.phases, feed.breaker_a):
            return pdu  # type: ignore[no-any-return]
    available = ", ".join(f"{p.voltage_v:g} V {p.phases}-ph {p.breaker_a:g} A" for p in catalog.of_kind("pdu"))
    raise CatalogError(
        f"no PDU in the catalog for a {feed.voltage_v:g} V {feed.phases}-phase {feed.breaker_a:g} A feed",
        feed.where,
        f"use one of: {available}; or add a 'pdu' entry with --catalog",
    )


def feed_loss_check(system: System, count: int) -> FeedLossCheck:
    """What a system does when one of two feeds fails, its PSUs split evenly over feeds A and B."""
    if system.psu is None:
        return FeedLossCheck(
            catalog_id=system.id,
            systems=count,
            psus_total=0,
            psus_on_remaining_feed=0,
            capacity_on_remaining_feed_w=0.0,
            max_power_w=system.max_power_w,
            status="no-psu-data",
        )
    remaining = system.psu.count // 2
    capacity = remaining * system.psu.rating_w
    return FeedLossCheck(
        catalog_id=system.id,
        systems=count,
        psus_total=system.psu.count,
        psus_on_remaining_feed=remaining,
        capacity_on_remaining_feed_w=capacity,
        max_power_w=system.max_power_w,
        status="full" if capacity >= system.max_power_w else "degraded",
    )
