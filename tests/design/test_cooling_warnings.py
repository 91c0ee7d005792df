"""Cooling warnings say what is wrong: heat above an air-side limit, or air-side heat with no air side at all."""

from __future__ import annotations

from pathlib import Path

from refarch import load_spec, plan_spec
from refarch.catalog.loader import Catalog

SPEC = """\
apiVersion: refarch/v1
kind: Workload
metadata: {{name: cooling}}
workloads:
  - {{name: w, type: training, model: {{preset: llama3-70b}}, platform: {platform}, systems: {systems}}}
site: {{rack_power_limit: {limit}, cooling: {cooling}, rack_height: 48}}
"""


def _warnings(catalog: Catalog, tmp_path: Path, **fields: object) -> list[str]:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC.format(**fields))
    return [w for w in plan_spec(load_spec(spec_file), catalog).warnings if "air-cooled" in w]


def test_liquid_only_site_is_told_to_add_an_air_side_not_that_a_limit_is_exceeded(
    catalog: Catalog, tmp_path: Path
) -> None:
    warnings = _warnings(catalog, tmp_path, platform="gb200-nvl72", systems=2, limit="140 kW", cooling="[liquid]")
    assert warnings, "a GB200 rack's optics are air cooled; a liquid-only site must hear about it"
    for warning in warnings:
        assert "offers no air-side method" in warning and "add 'air' or 'rdhx' to site.cooling" in warning
        assert "practical limit" not in warning and " 0.0 kW" not in warning


def test_an_air_side_that_exists_and_suffices_gives_no_warning(catalog: Catalog, tmp_path: Path) -> None:
    assert not _warnings(catalog, tmp_path, platform="gb200-nvl72", systems=2, limit="140 kW", cooling="[liquid, air]")
