"""Golden bundles per example. Regenerate only on purpose: `make goldens` (pytest --update-goldens)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from refarch import load_catalog, load_spec, plan_spec, render

from .conftest import EXAMPLES, REPO

GOLDEN = REPO / "tests" / "golden"
# SVGs are left out: their bytes depend on the installed graphviz; their DOT sources are pinned instead.
FILES = (
    "plan.json", "summary.md", "bom.csv", "cabling.csv", "diagrams/compute-topology.dot", "validation/oob.p2p.csv",
    "ansible/site.yml", "ansible/inventory/hosts.yml", "ansible/inventory/group_vars/all/cluster.yml",
    "ansible/inventory/group_vars/all/acceptance.yml", "ansible/acceptance.md",
    "ansible/roles/slurm_controller/files/topology.conf",
    "terraform/site.tf", "terraform/racks.tf", "terraform/device_types.tf", "terraform/power.tf", "terraform/README.md",
)  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_bundle_matches_golden(example: Path, tmp_path: Path, update_goldens: bool) -> None:
    catalog = load_catalog()
    spec = load_spec(example)
    bundle = render(plan_spec(spec, catalog), tmp_path / "bundle")  # as `refarch plan` does
    golden = GOLDEN / example.stem
    if update_goldens:
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for name in FILES:
            if (bundle / name).exists():
                (golden / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(bundle / name, golden / name)
    for name in FILES:
        expected = golden / name
        if not (bundle / name).exists():  # e.g. no compute fabric for rack-scale systems yet
            assert not expected.exists(), f"{name} is no longer written"
            continue
        assert expected.exists(), f"no golden {expected}; run `make goldens` once and review the diff"
        assert (bundle / name).read_text() == expected.read_text(), f"{name} differs from {expected}"
