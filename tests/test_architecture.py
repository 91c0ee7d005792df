"""The layer contract (pyproject's [tool.importlinter]) holds, and breaks when a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ROOT_MODULES = {"__init__.py", "__main__.py", "pipeline.py", "errors.py", "units.py", "types.py"}


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy_of_the_packages(tmp_path: Path) -> Path:
    for name in ("refarch", "solvers"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copyfile(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_repository_keeps_the_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imports", "message"),
    [
        ("refarch/perf/leak.py", "from refarch.plan import Plan", "refarch.perf is not allowed to import refarch.plan"),
        (
            "refarch/sizing/leak.py",
            "from refarch.design import solve",
            "refarch.sizing is not allowed to import refarch.design",
        ),
        (
            "refarch/catalog/leak.py",
            "from refarch.sizing import stage",
            "refarch.catalog is not allowed to import refarch.sizing",
        ),
        (
            "refarch/render/leak.py",
            "from refarch.cli import app",
            "refarch.render is not allowed to import refarch.cli",
        ),
        ("solvers/leak.py", "import refarch.units", "solvers is not allowed to import refarch"),
    ],
    ids=[
        "perf-imports-plan",
        "sizing-imports-design",
        "catalog-imports-sizing",
        "render-imports-cli",
        "solver-imports-refarch",
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, imports: str, message: str) -> None:
    tree = _copy_of_the_packages(tmp_path)
    (tree / module).write_text(f'"""A deliberate layer violation."""\n\n{imports}\n')
    result = _lint(tree)
    assert result.returncode == 1
    assert message in " ".join(result.stdout.split())


def test_the_package_root_holds_only_the_public_api_and_base_modules() -> None:
    modules = {p.name for p in (REPO / "refarch").glob("*.py")}
    assert modules == ROOT_MODULES


def test_no_module_over_400_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in [*(REPO / "refarch").rglob("*.py"), *(REPO / "solvers").rglob("*.py")]
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long
