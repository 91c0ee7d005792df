"""Network defaults follow the platform's reference design; contradictions are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog import Catalog
from refarch.errors import SpecError
from refarch.sizing import size
from refarch.solve import solve
from refarch.spec import load_spec

from .conftest import MINIMAL_SPEC


@pytest.mark.parametrize(
    ("platform", "network", "technology", "switch"),
    [
        ("dgx-h100", "", "infiniband", "qm9700"),
        ("dgx-b300", "", "infiniband", "q3400"),
        ("dgx-h100", "network:\n  compute: roce\n", "roce", "sn5600"),
        ("dgx-h100", "network:\n  compute: infiniband\n  switch: qm9790\n", "infiniband", "qm9790"),
        ("mi300x-8gpu", "", "roce", "sn5600"),
    ],
    ids=["h100-auto", "b300-auto", "h100-roce", "explicit-switch", "mi300x-auto"],
)
def test_network_resolution(
    catalog: Catalog, write_spec: Callable[[str], Path], platform: str, network: str, technology: str, switch: str
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("dgx-h100", platform) + network))
    plan = solve(spec, catalog, size(spec, catalog))
    assert (plan.network.compute, plan.network.switch) == (technology, switch)
    assert plan.network.chosen_because
    has_note = any(a.id == "network-choice" for a in plan.assumptions)
    assert has_note == ("switch:" not in network or "compute:" not in network)


def test_switch_of_wrong_technology_is_refused(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC + "network:\n  compute: roce\n  switch: qm9700\n"))
    with pytest.raises(SpecError, match=r"'qm9700' is infiniband, but network\.compute is roce"):
        solve(spec, catalog, size(spec, catalog))
