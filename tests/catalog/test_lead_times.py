"""The shipped catalog's lead times: every priced part has one that cites its source, and the site equipment a new
build waits for is there."""

from __future__ import annotations

from refarch.catalog.loader import Catalog
from refarch.catalog.models import Facility

CRITICAL_PATH_ROLES = {"transformer", "switchgear", "ups"}


def test_every_priced_entry_has_a_lead_time(catalog: Catalog) -> None:
    priced = [e for e in catalog.entries.values() if getattr(e, "price", None) is not None]
    assert len(priced) > 50  # the test sees the whole catalog, not an empty one
    missing = sorted(e.id for e in priced if e.lead_time is None)
    assert not missing, f"priced entries without a lead time: {missing}"


def test_an_estimated_lead_time_says_so_and_a_sourced_one_does_not(catalog: Catalog) -> None:
    timed = [e for e in catalog.entries.values() if getattr(e, "lead_time", None) is not None]
    wrong = sorted(
        e.id for e in timed if (e.lead_time.confidence == "estimate") != e.lead_time.source.startswith("estimate:")
    )
    assert not wrong, f"an estimate's source starts with 'estimate:' (and only an estimate's): {wrong}"
    assert any(e.lead_time.confidence != "estimate" for e in timed)  # some figures are published


def test_facility_entries_cover_the_critical_path(catalog: Catalog) -> None:
    assert {f.role for f in catalog.all(Facility)} >= CRITICAL_PATH_ROLES
