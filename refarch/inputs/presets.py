"""Planning presets the spec leaves to defaults, each with its source, so the plan can cite them.

All come from `shared/reference/power-cooling.md`; the user overrides them in the spec's `site` section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refarch.types import Assumption

__all__ = [
    "AIR_DELTA_T_F",
    "AISLE_M",
    "COOLING_PRESETS",
    "LIQUID_LPM_PER_KW",
    "POWER_FACTOR",
    "RACKS_PER_ROW",
    "CoolingPreset",
    "airflow_cfm_per_w",
    "racks_per_row",
    "preset_assumptions",
]


@dataclass(frozen=True)
class CoolingPreset:
    """Practical per-rack heat limit of one cooling method."""

    method: str
    rack_limit_w: float
    source: str


COOLING_PRESETS: dict[str, CoolingPreset] = {
    "air": CoolingPreset("air", 30_000, "air with hot/cold containment ~30 kW/rack (S, power-cooling.md)"),
    "rdhx": CoolingPreset("rdhx", 75_000, "active rear-door heat exchanger up to ~75 kW/rack (S, power-cooling.md)"),
    "liquid": CoolingPreset("liquid", 140_000, "direct liquid cooling 50-140+ kW/rack (S/P, power-cooling.md)"),
}

# CFM = 3.16 x W / dT(F); 20 F gives 158 CFM/kW (power-cooling.md, derived).
AIR_DELTA_T_F = 20.0
# OCP guideline for facility-side liquid flow at dT <= 10 K (S).
LIQUID_LPM_PER_KW = 1.5
# NetBox computes feed capacity without a power factor; we do the same and say so.
POWER_FACTOR = 1.0
RACKS_PER_ROW = 10  # the shortest row; large halls are laid out about square (see racks_per_row)
# Between rows of racks: one aisle, alternately hot and cold (estimate; a floor plan replaces it).
AISLE_M = 1.2


def racks_per_row(racks: int) -> int:
    """Row length of the default layout: rows of 10, or about square for large halls so cables stay in reach."""
    return max(RACKS_PER_ROW, math.ceil(math.sqrt(racks)))


def airflow_cfm_per_w() -> float:
    """Sensible-heat airflow per watt at the assumed air temperature rise."""
    return 3.16 / AIR_DELTA_T_F


def preset_assumptions() -> list[Assumption]:
    """The fixed planning constants every plan relies on."""
    return [
        Assumption(
            id="airflow",
            text=f"Airflow sized as CFM = 3.16 x W / dT with dT = {AIR_DELTA_T_F:g} F "
            f"({airflow_cfm_per_w() * 1000:.0f} CFM per kW).",
            confidence="derived",
            source="power-cooling.md (sensible-heat formula)",
        ),
        Assumption(
            id="liquid-flow",
            text=f"Facility liquid flow sized at {LIQUID_LPM_PER_KW} L/min per kW of liquid-cooled load (dT <= 10 K).",
            confidence="secondary",
            source="OCP guideline via power-cooling.md",
        ),
        Assumption(
            id="power-factor",
            text=f"Circuit capacity computed with power factor {POWER_FACTOR:g} (kW = kVA), as NetBox does.",
            confidence="estimate",
            source="NetBox feed formula via power-cooling.md; no site power factor given",
        ),
        Assumption(
            id="max-power",
            text="Power, energy and cooling use each device's maximum (nameplate) power; average draw is lower.",
            confidence="derived",
            source="catalog max_power_w",
        ),
        Assumption(
            id="scope-fabrics",
            text="Fabric switches, fabric managers, optics and cables are sized and counted in the BOM, power and "
            "cooling. Storage appliances and the site's uplinks (border, internet) are not in this plan.",
            confidence="estimate",
            source="refarch scope",
        ),
        Assumption(
            id="row-layout",
            text=f"Racks are laid out in rows of {RACKS_PER_ROW} (about square, rows of the square root of the rack "
            "count, for larger halls) until a physical floor plan is given: compute "
            "and support racks first, then the network racks (fabric switches, fabric managers, management).",
            confidence="estimate",
            source="refarch default",
        ),
    ]
