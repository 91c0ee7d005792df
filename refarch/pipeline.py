"""Plan a spec end to end: size the compute, design around it, and check the site's limits.

Target sizing compares candidates by their whole designs: `candidate_designer` designs a target workload's
candidate on its own (refarch.sizing.platform_choice designs only those that could win). What that leaves uncounted, the
fixed-size workloads' fabrics, management and network racks and whatever workloads add when they share a design, is
only known once the combined design exists. When that design overruns the site's power, rack or budget limit, the
overhead it measured is reserved and the compute sized again. Reservations only grow, so the rounds end.
"""

from __future__ import annotations

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.design.solve import design, site_use
from refarch.errors import InfeasibleError, RefarchError
from refarch.inputs.site import resolve_site
from refarch.inputs.spec import Spec
from refarch.perf.calibration.file import Calibration
from refarch.plan import Plan
from refarch.sizing.platform_choice import Candidate, DesignCost, Designer, Reservation
from refarch.sizing.site_limits import check_site_limits, within_site_limits
from refarch.sizing.stage import Sizing, candidate_sizing, size, systems_per_platform
from refarch.sizing.targets import compute_cost
from refarch.sizing.workloads import resolve_workloads
from refarch.types import WorkloadPlan

__all__ = ["MAX_ROUNDS", "candidate_designer", "overhead", "plan_spec"]

# Sizing rounds before the last design is checked as it is (each round is a full size + design).
MAX_ROUNDS = 4


def plan_spec(spec: Spec, catalog: Catalog, calibration: Calibration | None = None) -> Plan:
    """The full plan for `spec`, with target-sized compute chosen by the cost of its whole design and sized to
    leave room for the rest of the design.

    Raises:
        InfeasibleError: no design fits the site's limits (names the limit and by how much).
    """
    site = resolve_site(spec)
    designer = candidate_designer(spec, catalog)
    reserved = Reservation()
    plan, sizing = _round(spec, catalog, calibration, reserved, designer)
    for _ in range(MAX_ROUNDS - 1):
        if not sizing.targets or within_site_limits(site, site_use(plan)):
            break
        needed = reserved.merged(overhead(spec, catalog, plan, sizing))
        if reserved.covers(needed):
            break
        reserved = needed
        plan, sizing = _round(spec, catalog, calibration, reserved, designer)
    check_site_limits(site, site_use(plan))
    return plan


def candidate_designer(spec: Spec, catalog: Catalog) -> Designer:
    """Designs a target workload's candidate on its own and reports what the whole design costs the site.

    Designs are remembered, since sizing rounds and `compare` rows meet the same candidates again.
    """
    workloads: dict[str, WorkloadPlan] = {}
    designs: dict[tuple[str, str, int], DesignCost] = {}

    def cost(name: str, candidate: Candidate) -> DesignCost:
        if not workloads:
            workloads.update((w.name, w) for w in resolve_workloads(spec, catalog).workloads)
        key = (name, candidate.platform.system_id, candidate.estimate.systems)
        if key not in designs:
            designs[key] = _design_cost(spec, catalog, workloads[name], key[1], key[2])
        return designs[key]

    return cost


def _design_cost(spec: Spec, catalog: Catalog, workload: WorkloadPlan, system_id: str, systems: int) -> DesignCost:
    sizing = candidate_sizing(workload, catalog.get(system_id, System), systems, catalog)
    try:
        plan = design(spec, catalog, sizing)
    except RefarchError as exc:
        return DesignCost(problem=exc.message)
    use = site_use(plan)
    return DesignCost(use.facility_power_w, use.racks, use.capex_usd)


def overhead(spec: Spec, catalog: Catalog, plan: Plan, sizing: Sizing) -> Reservation:
    """What `plan` needs beyond what target sizing counted: the fixed workloads' systems (costed alone) and each
    target workload's chosen candidate (costed as designed on its own)."""
    fixed = compute_cost(spec, catalog, systems_per_platform(a for a in plan.compute if a.sizing == "fixed"))
    power_w, racks, usd = fixed.facility_power_w, fixed.racks, fixed.capex_usd
    for chosen in sizing.targets.values():
        power_w, racks, usd = power_w + chosen.total_power_w, racks + chosen.total_racks, usd + chosen.total_capex_usd
    return Reservation(
        power_w=max(0.0, plan.power.facility_power_kw * 1000 - power_w),
        racks=max(0, len(plan.racks) - racks),
        usd=max(0.0, plan.summary.capex_usd - usd),
    )


def _round(
    spec: Spec, catalog: Catalog, calibration: Calibration | None, reserved: Reservation, designer: Designer
) -> tuple[Plan, Sizing]:
    try:
        sizing = size(spec, catalog, calibration, reserved, designer)
        return design(spec, catalog, sizing), sizing
    except InfeasibleError as exc:
        if not reserved:
            raise
        note = f". Sizing held back {reserved.words()} for what an earlier design added beyond what sizing counted"
        raise InfeasibleError(exc.message + note, exc.location, exc.hint) from exc
