"""Whether the site can take a platform: one system at all (cooling, rack power), and an estimate's whole size
(facility power, racks, capital).

Target sizing leaves out the platforms the site cannot take. `estimate` and `compare` show every platform asked
for and say which the site could not take and why, so that a comparison never hides that its fastest row cannot
be built there.
"""

from __future__ import annotations

from refarch.catalog import Catalog
from refarch.catalog_models import System
from refarch.perf.platform import platform_from_catalog
from refarch.perf.target import Estimate, SiteLimits, candidate
from refarch.racks import rack_power_limit
from refarch.spec import Spec

__all__ = ["hosting_problems", "site_problems", "size_problems"]


def hosting_problems(spec: Spec, system: System) -> list[str]:
    """Why the site's cooling methods or rack power limit cannot take one `system` (empty when they can)."""
    problems = []
    methods = list(spec.site.cooling)
    allowed = ", ".join(methods)
    if system.requires_liquid and "liquid" not in methods:
        problems.append(f"needs liquid cooling; the site allows {allowed}")
    elif not set(methods).intersection(system.cooling):
        problems.append(f"is cooled by {', '.join(system.cooling)}; the site allows {allowed}")
    # Without a stated limit the plan packs racks to the densest allowed cooling method's practical limit, so a
    # platform is judged against the same figure here.
    limit, derived = rack_power_limit(spec)
    if system.max_power_w > limit:
        draw = system.max_power_w / 1e3
        source = ", which the site's cooling implies when site.rack_power_limit is unset" if derived else ""
        problems.append(f"one system draws {draw:,.1f} kW, over the {limit / 1e3:,.1f} kW rack limit{source}")
    return problems


def size_problems(estimate: Estimate, catalog: Catalog, limits: SiteLimits) -> list[str]:
    """Which of the site's facility power, racks and capital budget `estimate`'s systems alone exceed."""
    cost = candidate(estimate, platform_from_catalog(catalog, estimate.platform), limits)
    problems = []
    if limits.power_w is not None and cost.facility_power_w > limits.power_w:
        problems.append(
            f"its systems alone need {cost.facility_power_w / 1e3:,.0f} kW of facility power, over the site's "
            f"{limits.power_w / 1e3:,.0f} kW"
        )
    if limits.racks is not None and cost.racks > limits.racks:
        problems.append(f"its systems alone fill {cost.racks} racks, over the site's {limits.racks}")
    if limits.budget_usd is not None and cost.capex_usd > limits.budget_usd:
        problems.append(f"its systems alone cost ${cost.capex_usd:,.0f}, over the ${limits.budget_usd:,.0f} budget")
    return problems


def site_problems(spec: Spec, catalog: Catalog, estimate: Estimate, limits: SiteLimits) -> list[str]:
    """Everything that keeps `estimate` from being built on the spec's site (empty when nothing does)."""
    system = catalog.get(estimate.platform, System)
    return hosting_problems(spec, system) + size_problems(estimate, catalog, limits)
