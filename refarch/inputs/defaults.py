"""Name every spec default the plan relied on, so `assumptions` lists what the user did not choose."""

from __future__ import annotations

from typing import Any

from refarch.inputs.finance import FINANCE_DEFAULTS, SCHEDULE_DEFAULTS, Default
from refarch.inputs.spec import Spec
from refarch.types import Assumption

__all__ = ["default_assumptions"]

_SITE_DEFAULTS = {
    "pue": ("PUE {v:g}: new large sites run at or below 1.3; the industry average is 1.55-1.59", "secondary",
            "Uptime Institute via power-cooling.md"),
    "rack_height": ("racks of {v}U (NVIDIA asks >= 48U for DGX B200 racks)", "primary", "NVIDIA via power-cooling.md"),
    "cooling": ("cooling methods available: {v}", "estimate", "refarch default"),
    "power_budget": ("no site power budget: facility power is not limited", "estimate", "refarch default"),
    "max_racks": ("no limit on the number of racks", "estimate", "refarch default"),
    "electricity_price": ("no electricity price: energy cost is not computed", "estimate", "refarch default"),
}  # fmt: skip
_FEED_DEFAULTS = {
    "voltage": "{v:g} V", "phases": "{v}-phase", "breaker": "{v:g} A breakers",
    "redundancy": "{v} feed redundancy (A and B feeds, as in NVIDIA's reference designs)",
    "derating": "{v:g} continuous-load derating (NEC 80% rule)",
}  # fmt: skip


def default_assumptions(spec: Spec) -> list[Assumption]:
    """One assumption per optional spec field the user left at its default."""
    site = spec.site
    found: list[Assumption] = []
    for field, (text, confidence, source) in _SITE_DEFAULTS.items():
        if field not in site.model_fields_set:
            value = getattr(site, field)
            shown = ", ".join(value) if isinstance(value, list) else value
            found.append(_assumption(f"site.{field}", text.format(v=shown), confidence, source))
    for field, text in _FEED_DEFAULTS.items():
        if field not in site.feed.model_fields_set:
            value = text.format(v=getattr(site.feed, field))
            found.append(_assumption(f"site.feed.{field}", value, "primary", "power-cooling.md"))
    if "oversubscription" not in spec.network.model_fields_set:
        found.append(
            _assumption("network.oversubscription", "compute fabric non-blocking (1:1)", "primary", "fabric.md")
        )
    addressing = spec.network.addressing
    for field, purpose in (("management", "in-band management"), ("oob", "out-of-band management")):
        if field not in addressing.model_fields_set:
            text = f"{purpose} addresses from {getattr(addressing, field)} (private, RFC 1918), one flat prefix"
            found.append(_assumption(f"network.addressing.{field}", text, "estimate", "refarch default"))
    if spec.budget is None:
        found.append(
            _assumption("budget", "no capital budget: cost is reported, not limited", "estimate", "refarch default")
        )
    found += _section_defaults("finance", spec.finance.model_fields_set, FINANCE_DEFAULTS)
    found += _section_defaults("schedule", spec.schedule.model_fields_set, SCHEDULE_DEFAULTS)
    return found


def _section_defaults(section: str, given: set[str], defaults: dict[str, Default]) -> list[Assumption]:
    return [
        _assumption(f"{section}.{field}", d.text, d.confidence, d.source)
        for field, d in defaults.items()
        if field not in given
    ]


def _assumption(field: str, text: str, confidence: Any, source: str) -> Assumption:
    return Assumption(
        id=f"default-{field}",
        text=f"{field} not given: {text}.",
        confidence=confidence,
        source=source,
    )
