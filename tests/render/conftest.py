"""Render fixtures: a small plan (two DGX H100, four fabrics, two racks with PDUs) solved once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from refarch import load_spec, size, solve
from refarch.catalog.loader import Catalog
from refarch.plan import Plan

from ..conftest import MINIMAL_SPEC


@pytest.fixture(scope="session")
def tiny_plan(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path: Path = tmp_path_factory.mktemp("spec") / "tiny.yaml"
    path.write_text(MINIMAL_SPEC, encoding="utf-8")
    spec = load_spec(path)
    return solve(spec, catalog, size(spec, catalog))
