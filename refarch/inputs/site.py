"""The site the spec describes, resolved once: its limits, cooling methods and feed, with where each was written.

Design stages and the limit checks read these records rather than the spec: the rack power limit is derived from
the cooling methods here, once, with the assumption that says so, and every field name carries its unit. The
`Location`s are those error messages name (file, path and line in the spec).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from refarch.errors import Location
from refarch.inputs.presets import COOLING_PRESETS, POWER_FACTOR
from refarch.inputs.spec import Feed, Site, Spec
from refarch.types import Assumption, CoolingMethod, Redundancy

__all__ = ["ResolvedFeed", "ResolvedSite", "SiteLocations", "resolve_feed", "resolve_site"]


@dataclass(frozen=True)
class ResolvedFeed:
    """The power feed to each rack PDU, with the power factor circuits are computed with."""

    voltage_v: float
    phases: Literal[1, 3]
    breaker_a: float
    redundancy: Redundancy
    derating: float
    power_factor: float
    where: Location  # site.feed in the spec


@dataclass(frozen=True)
class SiteLocations:
    """Where each site limit sits in the spec (the field itself, or its nearest written ancestor when unset)."""

    power_budget: Location
    rack_power_limit: Location
    cooling: Location
    rack_height: Location
    max_racks: Location
    budget: Location


@dataclass(frozen=True)
class ResolvedSite:
    """The site's limits and facilities. Unset limits are None (unbounded), except the rack power limit, which
    follows the densest cooling method when the spec leaves it out (`rack_power_limit_assumption` says so)."""

    power_budget_w: float | None
    rack_power_limit_w: float
    rack_power_limit_assumption: Assumption | None
    rack_height_u: int
    cooling: tuple[CoolingMethod, ...]
    max_racks: int | None
    pue: float
    budget_usd: float | None
    electricity_price_usd_per_kwh: float | None
    feed: ResolvedFeed
    where: SiteLocations

    @property
    def rack_power_limit_derived(self) -> bool:
        """The rack power limit comes from the cooling methods, not from site.rack_power_limit."""
        return self.rack_power_limit_assumption is not None


def resolve_site(spec: Spec) -> ResolvedSite:
    """The spec's site section (and its capital budget) as the stages need it."""
    site = spec.site
    limit_w, assumption = _rack_power_limit(site)
    return ResolvedSite(
        power_budget_w=site.power_budget,
        rack_power_limit_w=limit_w,
        rack_power_limit_assumption=assumption,
        rack_height_u=site.rack_height,
        cooling=tuple(site.cooling),
        max_racks=site.max_racks,
        pue=site.pue,
        budget_usd=spec.budget,
        electricity_price_usd_per_kwh=site.electricity_price,
        feed=resolve_feed(site.feed, spec.where("site", "feed")),
        where=SiteLocations(
            power_budget=spec.where("site", "power_budget"),
            rack_power_limit=spec.where("site", "rack_power_limit"),
            cooling=spec.where("site", "cooling"),
            rack_height=spec.where("site", "rack_height"),
            max_racks=spec.where("site", "max_racks"),
            budget=spec.where("budget"),
        ),
    )


def resolve_feed(feed: Feed, where: Location) -> ResolvedFeed:
    """A spec feed section as the electrical design reads it (NetBox's formula: no power factor, see presets)."""
    return ResolvedFeed(
        voltage_v=feed.voltage,
        phases=feed.phases,
        breaker_a=feed.breaker,
        redundancy=feed.redundancy,
        derating=feed.derating,
        power_factor=POWER_FACTOR,
        where=where,
    )


def _rack_power_limit(site: Site) -> tuple[float, Assumption | None]:
    """The per-rack power limit: the spec's, or the highest preset of the allowed cooling methods."""
    if site.rack_power_limit is not None:
        return site.rack_power_limit, None
    best = max((COOLING_PRESETS[m] for m in site.cooling), key=lambda p: p.rack_limit_w)
    assumption = Assumption(
        id="rack-power-limit",
        text=f"No site.rack_power_limit given: {best.rack_limit_w / 1000:g} kW per rack, the practical limit "
        f"of '{best.method}' cooling, the densest method in site.cooling.",
        confidence="secondary",
        source=best.source,
    )
    return best.rack_limit_w, assumption
