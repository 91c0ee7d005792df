"""Cooling: split each rack's heat between liquid and air, pick the air-side method, total the site's needs.

Liquid takes what must be liquid cooled (e.g. GB200 NVL72). The rest goes to air, or to a rear door when it is too
dense for room air; only if that is still too much do liquid-capable systems (e.g. CS-3) move to facility water.
Air-only equipment (servers, switches, most DGX) always stays on the air side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from refarch.catalog.models import Server, Switch, System
from refarch.errors import InfeasibleError
from refarch.inputs.presets import COOLING_PRESETS, LIQUID_LPM_PER_KW, airflow_cfm_per_w
from refarch.inputs.site import ResolvedSite
from refarch.plan import CoolingPlan
from refarch.types import CoolingMethod

__all__ = ["RackCooling", "cooling_plan", "rack_cooling"]

Device = System | Server | Switch


@dataclass(frozen=True)
class RackCooling:
    """How one rack is cooled: a method label, heat per side, and a warning when a preset is exceeded."""

    method: str
    air_w: float
    liquid_w: float
    warning: str | None = None


def rack_cooling(
    site: ResolvedSite, devices: Sequence[Device], rack_name: str, extra_air_w: float = 0.0
) -> RackCooling:
    """Cool one rack with the cheapest allowed methods; `extra_air_w` (optics) always goes to the air side.

    Raises:
        InfeasibleError: a device needs liquid cooling and site.cooling has no liquid.
    """
    allowed = site.cooling
    required = [d for d in devices if isinstance(d, System) and d.requires_liquid]
    if required and "liquid" not in allowed:
        names = ", ".join(sorted({d.id for d in required}))
        raise InfeasibleError(
            f"{names} needs liquid cooling; site.cooling allows only {', '.join(allowed)}",
            site.where.cooling,
            "add 'liquid' to site.cooling or choose an air-cooled platform",
        )
    liquid = list(required)
    air = [d for d in devices if d not in liquid]
    if _air_method(allowed, _power(air) + extra_air_w) is None and "liquid" in allowed:
        movable = [d for d in air if isinstance(d, System) and "liquid" in d.cooling]
        liquid += movable
        air = [d for d in air if d not in movable]
    return _label(allowed, _power(air) + extra_air_w, _power(liquid), rack_name)


def _power(devices: Sequence[Device]) -> float:
    return sum(d.max_power_w for d in devices)


def _air_method(allowed: tuple[CoolingMethod, ...], air_w: float) -> str | None:
    """The cheapest allowed air-side method whose practical limit covers `air_w`."""
    for method in ("air", "rdhx"):
        if method in allowed and air_w <= COOLING_PRESETS[method].rack_limit_w:
            return method
    return None


def _label(allowed: tuple[CoolingMethod, ...], air_w: float, liquid_w: float, rack_name: str) -> RackCooling:
    if air_w == 0:
        return RackCooling("liquid", 0.0, liquid_w)
    method = _air_method(allowed, air_w)
    warning = None
    if method is None:
        options = [m for m in ("air", "rdhx") if m in allowed]
        method = options[-1] if options else "air"
        warning = _air_warning(rack_name, air_w, options, allowed)
    return RackCooling(f"liquid+{method}" if liquid_w else method, air_w, liquid_w, warning)


def _air_warning(rack_name: str, air_w: float, options: Sequence[str], allowed: tuple[CoolingMethod, ...]) -> str:
    heat = f"{air_w / 1000:.1f} kW" if air_w >= 1000 else f"{air_w:.0f} W"
    if not options:
        # The heat is small (a rack-scale system's air-cooled residue) but still needs an air side in the room.
        return (
            f"rack {rack_name} has {heat} of air-cooled equipment, but site.cooling ({', '.join(allowed)}) offers no "
            "air-side method to remove it: add 'air' or 'rdhx' to site.cooling"
        )
    limit = COOLING_PRESETS[options[-1]].rack_limit_w / 1000
    return (
        f"rack {rack_name} has {heat} of air-cooled equipment, above the {limit:g} kW practical limit of "
        f"'{options[-1]}' cooling"
    )


def cooling_plan(racks: Sequence[RackCooling]) -> CoolingPlan:
    """Site totals: heat per method, racks per method label, airflow for the air side, facility liquid flow."""
    heat: dict[str, float] = {}
    labels: dict[str, int] = {}
    for rack in racks:
        air_side = rack.method.removeprefix("liquid+") if rack.air_w else None
        if air_side:
            heat[air_side] = heat.get(air_side, 0.0) + rack.air_w / 1000
        if rack.liquid_w:
            heat["liquid"] = heat.get("liquid", 0.0) + rack.liquid_w / 1000
        labels[rack.method] = labels.get(rack.method, 0) + 1
    air_w = sum(r.air_w for r in racks)
    return CoolingPlan(
        heat_kw_by_method={k: round(v, 3) for k, v in sorted(heat.items())},
        racks_by_method=dict(sorted(labels.items())),
        airflow_cfm=round(air_w * airflow_cfm_per_w(), 1),
        liquid_flow_lpm=round(heat.get("liquid", 0.0) * LIQUID_LPM_PER_KW, 1),
    )
