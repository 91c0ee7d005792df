"""The wheel carries the catalog and templates: install it into a fresh venv and plan from outside the repo."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(dist.glob("refarch-*.whl"))


@pytest.mark.slow
def test_wheel_contains_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "refarch/_data/catalog/systems.yaml" in names
    assert "refarch/_data/templates/summary/summary.md.j2" in names
    assert any(n.startswith("solvers/") for n in names)


@pytest.mark.slow
def test_installed_wheel_plans_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # uv (a dev tool) resolves and installs the wheel's dependencies in parallel: pip took 2.5 minutes of CI here
    uv = str(Path(sys.executable).with_name("uv"))
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    spec = work / "su.yaml"
    spec.write_text((REPO / "examples" / "dgx-h100-su.yaml").read_text())
    result = subprocess.run(
        [str(venv / "bin" / "refarch"), "plan", "su.yaml", "-o", "out"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads((work / "out" / "plan.json").read_text())
    assert plan["summary"]["systems"] == 31
    assert (work / "out" / "review.pdf").read_bytes().startswith(b"%PDF-")  # the review's templates are packaged
    assert str(REPO) not in (work / "out" / "plan.json").read_text()
