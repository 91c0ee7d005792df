"""Design stages receive the resolved records: the spec is read once, at the top of the design stage."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from refarch import load_spec, size, solve
from refarch.catalog.loader import Catalog
from tests.conftest import MINIMAL_SPEC, REPO

# solve.py reads the plan's metadata and listed defaults; context.py resolves the rest and calls sizing's network
# choice, which still reads the spec.
SPEC_READERS = {"refarch/design/context.py", "refarch/design/solve.py"}


def _imports_spec(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "refarch.inputs.spec" for node in ast.walk(tree)
    ) or any(
        isinstance(node, ast.Import) and any(alias.name == "refarch.inputs.spec" for alias in node.names)
        for node in ast.walk(tree)
    )


def test_only_the_top_of_the_design_stage_reads_the_spec() -> None:
    modules = (REPO / "refarch" / "design").rglob("*.py")
    assert {str(p.relative_to(REPO)) for p in modules if _imports_spec(p)} == SPEC_READERS


def test_a_derived_rack_limit_packs_the_racks_and_is_listed_once(
    catalog: Catalog, write_spec: Callable[[str], Path]
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("  rack_power_limit: 40 kW\n", "  cooling: [air]\n")))
    plan = solve(spec, catalog, size(spec, catalog))
    assert plan.site.rack_power_limit_w == 30_000
    assert {r.power_limit_kw for r in plan.racks} == {30.0}
    notes = [a for a in plan.assumptions if a.id == "rack-power-limit"]
    assert len(notes) == 1 and "'air' cooling" in notes[0].text
    stated = load_spec(write_spec(MINIMAL_SPEC))
    assert not any(a.id == "rack-power-limit" for a in solve(stated, catalog, size(stated, catalog)).assumptions)
