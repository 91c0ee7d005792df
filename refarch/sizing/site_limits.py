"""The site's limits, checked in one place: facility power, racks and capital budget, and whether the site can
take one system at all (cooling, rack power).

`exceeded_limits` is the one function that compares what a design, or a set of systems, takes of the site
(`SiteUse`) with what the site allows (`SiteLimits`); every other form derives from its list:

- raising, `check_site_limits`: the plan's InfeasibleError, naming the limit and the spec line that sets it;
- boolean, `within_site_limits`: whether a target-sized plan needs another sizing round;
- listing, `size_problems` and `design_problems`: the `site_problems` of `estimate` and `compare` rows, so that a
  comparison never hides that its fastest row cannot be built there.

Target sizing leaves out the platforms the site cannot take (`hosting_problems`) and searches sizes within what
each limit allows (`system_allowances`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import InfeasibleError
from refarch.inputs.site import ResolvedSite, resolve_site
from refarch.inputs.spec import Spec
from refarch.perf.platform import MAX_SYSTEMS, Platform, platform_from_catalog
from refarch.perf.records import EstimateResult

if TYPE_CHECKING:  # platform_choice imports this module at run time
    from refarch.sizing.platform_choice import DesignCost

__all__ = [
    "ExceededLimit",
    "LimitName",
    "SiteLimits",
    "SiteUse",
    "Wording",
    "check_site_limits",
    "design_problems",
    "exceeded_limits",
    "hosting_problems",
    "max_systems",
    "site_cost",
    "site_limits_of",
    "site_problems",
    "size_problems",
    "system_allowances",
    "within_site_limits",
]

LimitName = Literal["power", "racks", "budget"]
"""A site-wide limit: facility power (site.power_budget), racks (site.max_racks), capital (budget)."""

Wording = Literal["plan", "whole design", "systems alone"]
"""Whose use the texts speak of: a plan being checked, a candidate's whole design, or its systems alone."""

# The raising form names one limit: the first exceeded in this order (the order the plan has always checked in).
_RAISED_FIRST: tuple[LimitName, ...] = ("racks", "power", "budget")
_HINTS: dict[LimitName, str] = {
    "racks": "raise site.max_racks or site.rack_power_limit, or reduce the system count",
    "power": "raise site.power_budget, lower site.pue, or reduce the system count",
    "budget": "raise the budget or reduce the system count; prices marked 'estimate' can be overridden with --catalog",
}
# How the listing texts start, per wording: (about what is needed, about what it costs).
_PHRASES: dict[Wording, tuple[str, str]] = {
    "whole design": ("its whole design needs", "its whole design costs"),
    "systems alone": ("its systems alone need", "its systems alone cost"),
}


@dataclass(frozen=True)
class SiteLimits:
    """What the site allows: facility power, racks and capital (None: unlimited), with what screening needs to
    turn systems into racks and facility power. Target sizing passes what remains for its workloads (fixed
    workloads and reservations already subtracted)."""

    power_w: float | None
    racks: int | None
    budget_usd: float | None
    pue: float
    rack_power_w: float | None
    rack_height_u: int


@dataclass(frozen=True)
class SiteUse:
    """What a design, or a set of systems, takes of the site: facility power, racks and capital cost."""

    facility_power_w: float
    racks: int
    capex_usd: float


@dataclass(frozen=True)
class ExceededLimit:
    """One limit a use exceeds: which, what the site allows, what the use needs, and the sentence saying so."""

    limit: LimitName
    allowed: float
    needed: float
    text: str


def site_limits_of(site: ResolvedSite) -> SiteLimits:
    """The whole site's limits, nothing subtracted."""
    return SiteLimits(
        power_w=site.power_budget_w,
        racks=site.max_racks,
        budget_usd=site.budget_usd,
        pue=site.pue,
        rack_power_w=site.rack_power_limit_w,
        rack_height_u=site.rack_height_u,
    )


def exceeded_limits(use: SiteUse, limits: SiteLimits, wording: Wording) -> list[ExceededLimit]:
    """Every limit `use` exceeds, in the order power, racks, budget (empty when it fits)."""
    found = []
    if limits.power_w is not None and use.facility_power_w > limits.power_w:
        text = _power_text(use.facility_power_w, limits.power_w, limits.pue, wording)
        found.append(ExceededLimit("power", limits.power_w, use.facility_power_w, text))
    if limits.racks is not None and use.racks > limits.racks:
        found.append(ExceededLimit("racks", limits.racks, use.racks, _racks_text(use.racks, limits.racks, wording)))
    if limits.budget_usd is not None and use.capex_usd > limits.budget_usd:
        text = _budget_text(use.capex_usd, limits.budget_usd, wording)
        found.append(ExceededLimit("budget", limits.budget_usd, use.capex_usd, text))
    return found


def _power_text(needed_w: float, allowed_w: float, pue: float, wording: Wording) -> str:
    if wording == "plan":
        return (
            f"the design needs {needed_w / 1e6:.3f} MW at the facility (PUE {pue:g}); "
            f"site power budget is {allowed_w / 1e6:.3f} MW (over by {(needed_w - allowed_w) / 1e6:.3f} MW)"
        )
    need = _PHRASES[wording][0]
    return f"{need} {needed_w / 1e3:,.0f} kW of facility power, over the site's {allowed_w / 1e3:,.0f} kW"


def _racks_text(needed: int, allowed: int, wording: Wording) -> str:
    if wording == "plan":
        return (
            f"the design needs {needed} racks (network racks included); the site allows {allowed} "
            f"(short by {needed - allowed})"
        )
    return f"{_PHRASES[wording][0]} {needed} racks, over the site's {allowed}"


def _budget_text(needed_usd: float, allowed_usd: float, wording: Wording) -> str:
    if wording == "plan":
        return (
            f"the design costs ${needed_usd:,.0f}; the budget is ${allowed_usd:,.0f} "
            f"(over by ${needed_usd - allowed_usd:,.0f})"
        )
    return f"{_PHRASES[wording][1]} ${needed_usd:,.0f}, over the ${allowed_usd:,.0f} budget"


def check_site_limits(site: ResolvedSite, use: SiteUse) -> None:
    """Raise when a plan's `use` exceeds the site's racks, facility power or budget.

    Raises:
        InfeasibleError: the first limit exceeded (racks, power, budget), by how much, at the spec line setting it.
    """
    exceeded = exceeded_limits(use, site_limits_of(site), "plan")
    if exceeded:
        first = min(exceeded, key=lambda e: _RAISED_FIRST.index(e.limit))
        where = {"racks": site.where.max_racks, "power": site.where.power_budget, "budget": site.where.budget}
        raise InfeasibleError(first.text, where[first.limit], _HINTS[first.limit])


def within_site_limits(site: ResolvedSite, use: SiteUse) -> bool:
    """Whether a plan's `use` fits the site's racks, facility power and budget."""
    return not exceeded_limits(use, site_limits_of(site), "plan")


def _systems_per_rack(platform: Platform, limits: SiteLimits) -> int:
    """Systems one rack takes by height and by the rack power limit (screening only; `solve` packs for real)."""
    if platform.rack_scale or platform.height_u >= limits.rack_height_u:
        return 1
    per_rack = max(1, limits.rack_height_u // platform.height_u)
    if limits.rack_power_w is not None:
        per_rack = min(per_rack, max(1, int(limits.rack_power_w // platform.system_power_w)))
    return per_rack


def site_cost(platform: Platform, systems: int, limits: SiteLimits) -> SiteUse:
    """What `systems` x `platform` alone take of this site (facility power, racks, capital cost)."""
    return SiteUse(
        facility_power_w=systems * platform.system_power_w * limits.pue,
        racks=math.ceil(systems / _systems_per_rack(platform, limits)),
        capex_usd=systems * platform.system_price_usd,
    )


def max_systems(platform: Platform, limits: SiteLimits) -> int:
    """The most systems the site's limits allow for one platform on its own (a search bound)."""
    return max(min([MAX_SYSTEMS, *system_allowances(platform, limits).values()]), 0)


def system_allowances(platform: Platform, limits: SiteLimits) -> dict[LimitName, int]:
    """The most systems of `platform` each limit the site sets allows on its own, by limit (what a message names
    when the limits leave no room for a platform)."""
    allowed: dict[LimitName, int] = {}
    if limits.power_w is not None:
        allowed["power"] = int(limits.power_w // (platform.system_power_w * limits.pue))
    if limits.budget_usd is not None and platform.system_price_usd > 0:
        allowed["budget"] = int(limits.budget_usd // platform.system_price_usd)
    if limits.racks is not None:
        allowed["racks"] = limits.racks * _systems_per_rack(platform, limits)
    return allowed


def hosting_problems(spec: Spec, system: System) -> list[str]:
    """Why the site's cooling methods or rack power limit cannot take one `system` (empty when they can)."""
    site = resolve_site(spec)
    problems = []
    methods = list(site.cooling)
    allowed = ", ".join(methods)
    if system.requires_liquid and "liquid" not in methods:
        problems.append(f"needs liquid cooling; the site allows {allowed}")
    elif not set(methods).intersection(system.cooling):
        problems.append(f"is cooled by {', '.join(system.cooling)}; the site allows {allowed}")
    # Without a stated limit the plan packs racks to the densest allowed cooling method's practical limit, so a
    # platform is judged against the same figure here.
    limit = site.rack_power_limit_w
    if system.max_power_w > limit:
        draw = system.max_power_w / 1e3
        derived = site.rack_power_limit_derived
        source = ", which the site's cooling implies when site.rack_power_limit is unset" if derived else ""
        problems.append(f"one system draws {draw:,.1f} kW, over the {limit / 1e3:,.1f} kW rack limit{source}")
    return problems


def size_problems(estimate: EstimateResult, catalog: Catalog, limits: SiteLimits) -> list[str]:
    """Which of the site's facility power, racks and capital budget `estimate`'s systems alone exceed."""
    use = site_cost(platform_from_catalog(catalog, estimate.platform), estimate.systems, limits)
    return [e.text for e in exceeded_limits(use, limits, "systems alone")]


def site_problems(spec: Spec, catalog: Catalog, estimate: EstimateResult, limits: SiteLimits) -> list[str]:
    """Everything that keeps `estimate` from being built on the spec's site (empty when nothing does)."""
    system = catalog.get(estimate.platform, System)
    return hosting_problems(spec, system) + size_problems(estimate, catalog, limits)


def design_problems(design: DesignCost, limits: SiteLimits) -> list[str]:
    """Which of the site's facility power, racks and capital budget a whole design exceeds, or why there is none."""
    if design.problem:
        return [f"cannot be designed: {design.problem}"]
    use = SiteUse(design.facility_power_w, design.racks, design.capex_usd)
    return [e.text for e in exceeded_limits(use, limits, "whole design")]
