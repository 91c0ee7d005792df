"""Target sizing's site accounting: fixed workloads take power, racks and money exactly as candidates are costed."""

from __future__ import annotations

from pathlib import Path

from refarch.catalog import Catalog
from refarch.perf.platform import platform_from_catalog
from refarch.perf.target import site_cost
from refarch.spec import load_spec
from refarch.target_sizing import site_limits
from tests.conftest import MINIMAL_SPEC


def test_fixed_workloads_are_subtracted_as_candidates_are_costed(catalog: Catalog, tmp_path: Path) -> None:
    text = MINIMAL_SPEC.replace("40 kW", "20 kW") + "  power_budget: 1 MW\n  max_racks: 10\nbudget: 10000000 USD\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    spec = load_spec(path)
    free = site_limits(spec, catalog, {})
    taken = site_limits(spec, catalog, {"dgx-h100": 4})
    power, racks, money = site_cost(platform_from_catalog(catalog, "dgx-h100"), 4, free)
    assert racks == 4  # a 10.2 kW DGX H100 under a 20 kW rack limit: one per rack, not six by height
    assert free.racks is not None and taken.racks == free.racks - racks
    assert free.power_w is not None and taken.power_w == free.power_w - power
    assert free.budget_usd is not None and taken.budget_usd == free.budget_usd - money
