"""Plan a spec end to end: size the compute, design around it, and check the site's limits.

Target sizing costs candidates by their systems alone, because fabrics, management and storage networks, support
servers and network racks are only known once a design exists. When the systems fit the site's power, rack or
budget limit but the whole design does not, the overhead that design measured is reserved and the compute sized
again, so the cheapest platform is chosen for what is actually left. Reservations only grow, so the rounds end.
"""

from __future__ import annotations

from refarch.catalog import Catalog
from refarch.errors import InfeasibleError
from refarch.perf.calibration_file import Calibration
from refarch.perf.target import Reservation
from refarch.plan import Plan
from refarch.sizing import size, systems_per_platform
from refarch.solve import check_site_limits, design
from refarch.spec import Spec
from refarch.target_sizing import compute_cost

__all__ = ["MAX_ROUNDS", "plan_spec"]

# Sizing rounds before the last design is checked as it is (each round is a full size + design).
MAX_ROUNDS = 4


def plan_spec(spec: Spec, catalog: Catalog, calibration: Calibration | None = None) -> Plan:
    """The full plan for `spec`, with target-sized compute chosen to leave room for the rest of the design.

    Raises:
        InfeasibleError: no design fits the site's limits (names the limit and by how much).
    """
    reserved = Reservation()
    plan = _round(spec, catalog, calibration, reserved)
    for _ in range(MAX_ROUNDS - 1):
        if not _has_targets(spec) or _within_limits(spec, plan):
            break
        needed = reserved.merged(overhead(spec, catalog, plan))
        if reserved.covers(needed):
            break
        reserved = needed
        plan = _round(spec, catalog, calibration, reserved)
    check_site_limits(spec, plan)
    return plan


def overhead(spec: Spec, catalog: Catalog, plan: Plan) -> Reservation:
    """What `plan` needs beyond its compute systems as target sizing costs them."""
    power_w, racks, usd = compute_cost(spec, catalog, systems_per_platform(plan.compute))
    return Reservation(
        power_w=max(0.0, plan.power.facility_power_kw * 1000 - power_w),
        racks=max(0, len(plan.racks) - racks),
        usd=max(0.0, plan.summary.capex_usd - usd),
    )


def _round(spec: Spec, catalog: Catalog, calibration: Calibration | None, reserved: Reservation) -> Plan:
    try:
        return design(spec, catalog, size(spec, catalog, calibration, reserved))
    except InfeasibleError as exc:
        if not reserved:
            raise
        note = f". Sizing held back {reserved.words()} for what an earlier design added beyond its systems"
        raise InfeasibleError(exc.message + note, exc.location, exc.hint) from exc


def _has_targets(spec: Spec) -> bool:
    return any(workload.target is not None for workload in spec.workloads)


def _within_limits(spec: Spec, plan: Plan) -> bool:
    try:
        check_site_limits(spec, plan)
    except InfeasibleError:
        return False
    return True
