"""Golden bundles per example. Regenerate only on purpose: `make goldens` (pytest --update-goldens)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from refarch import load_catalog, load_spec, render, size, solve

from .conftest import EXAMPLES, REPO

GOLDEN = REPO / "tests" / "golden"
FILES = ("plan.json", "summary.md", "bom.csv")


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_bundle_matches_golden(example: Path, tmp_path: Path, update_goldens: bool) -> None:
    catalog = load_catalog()
    spec = load_spec(example)
    bundle = render(solve(spec, catalog, size(spec, catalog)), tmp_path / "bundle")
    golden = GOLDEN / example.stem
    if update_goldens:
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for name in FILES:
            shutil.copyfile(bundle / name, golden / name)
    for name in FILES:
        expected = golden / name
        assert expected.exists(), f"no golden {expected}; run `make goldens` once and review the diff"
        assert (bundle / name).read_text() == expected.read_text(), f"{name} differs from {expected}"
