"""Whether the site can take a platform: one system at all (cooling, rack power), and an estimate's whole size
(facility power, racks, capital).

Target sizing leaves out the platforms the site cannot take. `estimate` and `compare` show every platform asked
for and say which the site could not take and why, so that a comparison never hides that its fastest row cannot
be built there.
"""

from __future__ import annotations

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import Spec
from refarch.perf.platform import platform_from_catalog
from refarch.sizing.platform_choice import DesignCost, Estimate, SiteLimits, candidate

__all__ = ["design_problems", "hosting_problems", "site_problems", "size_problems"]


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


def size_problems(estimate: Estimate, catalog: Catalog, limits: SiteLimits) -> list[str]:
    """Which of the site's facility power, racks and capital budget `estimate`'s systems alone exceed."""
    cost = candidate(estimate, platform_from_catalog(catalog, estimate.platform), limits)
    figures = (cost.facility_power_w, cost.racks, cost.capex_usd)
    return _over_limits(("its systems alone need", "its systems alone cost"), *figures, limits)


def _over_limits(
    phrases: tuple[str, str], power_w: float, racks: int, capex_usd: float, limits: SiteLimits
) -> list[str]:
    """Which of the site's facility power, racks and capital budget these figures exceed; `phrases` start the
    sentences about needs and about cost ("its systems alone need", "its systems alone cost")."""
    need, cost = phrases
    problems = []
    if limits.power_w is not None and power_w > limits.power_w:
        problems.append(
            f"{need} {power_w / 1e3:,.0f} kW of facility power, over the site's {limits.power_w / 1e3:,.0f} kW"
        )
    if limits.racks is not None and racks > limits.racks:
        problems.append(f"{need} {racks} racks, over the site's {limits.racks}")
    if limits.budget_usd is not None and capex_usd > limits.budget_usd:
        problems.append(f"{cost} ${capex_usd:,.0f}, over the ${limits.budget_usd:,.0f} budget")
    return problems


def site_problems(spec: Spec, catalog: Catalog, estimate: Estimate, limits: SiteLimits) -> list[str]:
    """Everything that keeps `estimate` from being built on the spec's site (empty when nothing does)."""
    system = catalog.get(estimate.platform, System)
    return hosting_problems(spec, system) + size_problems(estimate, catalog, limits)


def design_problems(design: DesignCost, limits: SiteLimits) -> list[str]:
    """Which of the site's facility power, racks and capital budget a whole design exceeds, or why there is none."""
    if design.problem:
        return [f"cannot be designed: {design.problem}"]
    figures = (design.facility_power_w, design.racks, design.capex_usd)
    return _over_limits(("its whole design needs", "its whole design costs"), *figures, limits)
