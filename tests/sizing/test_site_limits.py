"""Site limits are checked in one place: the listing, raising and boolean forms agree, and the texts stay as users
know them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refarch.errors import InfeasibleError, Location
from refarch.inputs.site import ResolvedFeed, ResolvedSite, SiteLocations
from refarch.sizing.site_limits import (
    SiteLimits,
    SiteUse,
    Wording,
    check_site_limits,
    exceeded_limits,
    site_limits_of,
    within_site_limits,
)

_WHERE = SiteLocations(*(Location(None, name) for name in ("pb", "rpl", "cooling", "height", "mr", "budget")))
_FEED = ResolvedFeed(415.0, 3, 60.0, "2N", 0.8, 1.0, Location(None, "site.feed"))


def _site(power_w: float | None, racks: int | None, budget_usd: float | None, pue: float = 1.3) -> ResolvedSite:
    return ResolvedSite(
        power_budget_w=power_w,
        rack_power_limit_w=40_000.0,
        rack_power_limit_assumption=None,
        rack_height_u=48,
        cooling=("air",),
        max_racks=racks,
        pue=pue,
        budget_usd=budget_usd,
        electricity_price_usd_per_kwh=None,
        feed=_FEED,
        where=_WHERE,
    )


_LIMIT = st.one_of(st.none(), st.floats(0, 1e8, allow_nan=False))
_RACKS = st.one_of(st.none(), st.integers(0, 500))
_USE = st.builds(SiteUse, st.floats(0, 1e8, allow_nan=False), st.integers(0, 500), st.floats(0, 1e8, allow_nan=False))


@given(power_w=_LIMIT, racks=_RACKS, budget_usd=_LIMIT, pue=st.floats(1, 3), use=_USE)
def test_listing_raising_and_boolean_forms_agree(
    power_w: float | None, racks: int | None, budget_usd: float | None, pue: float, use: SiteUse
) -> None:
    site = _site(power_w, racks, budget_usd, pue)
    limits = site_limits_of(site)
    listed = exceeded_limits(use, limits, "plan")
    expected = [
        name
        for name, needed, allowed in (
            ("power", use.facility_power_w, power_w),
            ("racks", use.racks, racks),
            ("budget", use.capex_usd, budget_usd),
        )
        if allowed is not None and needed > allowed
    ]
    assert [e.limit for e in listed] == expected
    assert within_site_limits(site, use) == (not listed)
    for wording in ("whole design", "systems alone"):
        assert [e.limit for e in exceeded_limits(use, limits, wording)] == expected
    if not listed:
        check_site_limits(site, use)
        return
    with pytest.raises(InfeasibleError) as info:
        check_site_limits(site, use)
    first = next(e for name in ("racks", "power", "budget") for e in listed if e.limit == name)
    assert info.value.message == first.text
    assert (
        info.value.location
        == {"racks": _WHERE.max_racks, "power": _WHERE.power_budget, "budget": _WHERE.budget}[first.limit]
    )


_OVER = SiteUse(facility_power_w=1_234_567.0, racks=17, capex_usd=2_345_678.0)
_TIGHT = SiteLimits(power_w=1e6, racks=12, budget_usd=2e6, pue=1.3, rack_power_w=40_000.0, rack_height_u=48)


@pytest.mark.parametrize(
    ("wording", "texts"),
    [
        (
            "plan",
            [
                "the design needs 1.235 MW at the facility (PUE 1.3); site power budget is 1.000 MW (over by 0.235 MW)",
                "the design needs 17 racks (network racks included); the site allows 12 (short by 5)",
                "the design costs $2,345,678; the budget is $2,000,000 (over by $345,678)",
            ],
        ),
        (
            "whole design",
            [
                "its whole design needs 1,235 kW of facility power, over the site's 1,000 kW",
                "its whole design needs 17 racks, over the site's 12",
                "its whole design costs $2,345,678, over the $2,000,000 budget",
            ],
        ),
        (
            "systems alone",
            [
                "its systems alone need 1,235 kW of facility power, over the site's 1,000 kW",
                "its systems alone need 17 racks, over the site's 12",
                "its systems alone cost $2,345,678, over the $2,000,000 budget",
            ],
        ),
    ],
    ids=["plan", "whole-design", "systems-alone"],
)
def test_each_wording_keeps_its_text(wording: Wording, texts: list[str]) -> None:
    exceeded = exceeded_limits(_OVER, _TIGHT, wording)
    assert [e.text for e in exceeded] == texts
    assert [(e.limit, e.allowed, e.needed) for e in exceeded] == [
        ("power", 1e6, 1_234_567.0),
        ("racks", 12, 17),
        ("budget", 2e6, 2_345_678.0),
    ]


@pytest.mark.parametrize(
    ("limits", "message", "hint"),
    [
        (_TIGHT, "needs 17 racks", "raise site.max_racks or site.rack_power_limit, or reduce the system count"),
        (replace(_TIGHT, racks=None), "MW at the facility", "raise site.power_budget, lower site.pue, or reduce"),
        (replace(_TIGHT, racks=None, power_w=None), "the design costs", "prices marked 'estimate' can be overridden"),
    ],
    ids=["racks-first", "then-power", "then-budget"],
)
def test_the_raising_form_names_racks_then_power_then_budget(limits: SiteLimits, message: str, hint: str) -> None:
    site = _site(limits.power_w, limits.racks, limits.budget_usd)
    with pytest.raises(InfeasibleError) as info:
        check_site_limits(site, _OVER)
    assert message in info.value.message and hint in info.value.hint


def test_a_use_at_the_limit_fits() -> None:
    at_limit = SiteUse(facility_power_w=1e6, racks=12, capex_usd=2e6)
    assert exceeded_limits(at_limit, _TIGHT, "plan") == []
    assert within_site_limits(_site(1e6, 12, 2e6), at_limit)
