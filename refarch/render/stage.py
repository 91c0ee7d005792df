"""Stage `render`: write the bundle from the Plan alone (plan, summary, BOM, cabling, diagrams, manifest)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path

import jinja2

from refarch.errors import InputError, Location
from refarch.inputs.resources import builtin_templates_dir
from refarch.plan import Plan
from refarch.render.bundle import write_bundle_atomically
from refarch.render.cabling_files import cabling_csv, p2p_csv, topology_dot
from refarch.render.diagrams import dot_to_svg, fabric_dot, su_detail_dot

__all__ = ["BOM_COLUMNS", "plan_json", "render"]

BOM_COLUMNS = (
    "part",
    "description",
    "category",
    "quantity",
    "unit_price_usd",
    "extended_price_usd",
    "confidence",
    "source",
)


def plan_json(plan: Plan) -> str:
    """The Plan as canonical JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(plan.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(plan: Plan, outdir: Path, force: bool = False, template_dirs: Sequence[Path] = ()) -> Path:
    """Write the bundle for `plan` into `outdir` atomically and return its absolute path.

    Args:
        plan: the resolved design.
        outdir: bundle directory; must not exist or be empty unless `force`.
        force: replace an existing non-empty directory.
        template_dirs: user template directories searched before the built-in templates.

    Raises:
        OutputError: the directory cannot be written or exists without `force`.
    """
    env = _environment(template_dirs)

    def fill(staging: Path) -> None:
        files = {
            "plan.json": plan_json(plan),
            "summary.md": _render_template(env, "summary/summary.md.j2", plan),
            "bom.csv": _bom_csv(plan),
            "cabling.csv": cabling_csv(plan),
            **_network_files(plan),
        }
        for name, text in files.items():
            _write(staging / name, text)
        _write(staging / "manifest.json", _manifest(files))

    return write_bundle_atomically(outdir, fill, force)


def _environment(template_dirs: Sequence[Path]) -> jinja2.Environment:
    for directory in template_dirs:
        if not directory.is_dir():
            raise InputError("template directory not found", Location(directory), "give a directory of *.j2 files")
    search = [*map(str, template_dirs), str(builtin_templates_dir())]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # markdown and config text, not HTML
    )
    env.filters["money"] = lambda v: f"${v:,.0f}"
    env.filters["kw"] = lambda v: f"{v:,.1f} kW"
    env.filters["days"] = lambda v: "n/a" if v is None else f"{v / 86400:,.1f} days"
    env.filters["mwh"] = lambda v: "n/a" if v is None else f"{v:,.1f} MWh"
    env.filters["count"] = lambda v: f"{v:,}"
    return env


def _render_template(env: jinja2.Environment, name: str, plan: Plan) -> str:
    """Render one template; a broken user template is reported with its file and line, not a traceback."""
    try:
        return env.get_template(name).render(plan=plan)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            f"template syntax error: {exc.message}", Location(Path(exc.filename or name), "", exc.lineno)
        ) from None
    except jinja2.TemplateError as exc:
        raise InputError(
            f"template '{name}' failed: {exc.message}",
            None,
            "templates see only `plan`; `refarch schema plan` lists its fields",
        ) from None


def _network_files(plan: Plan) -> dict[str, str]:
    """Per fabric: validation exports and diagrams (DOT source and SVG rendered by graphviz's dot)."""
    roles = {d.name: d.role for rack in plan.racks for d in rack.devices}
    files = {}
    for name, fabric in sorted(plan.fabrics.items()):
        files[f"validation/{name}.p2p.csv"] = p2p_csv(plan, name)
        files[f"validation/{name}.topo.dot"] = topology_dot(plan, name)
        diagrams = {f"{name}-topology": fabric_dot(fabric, roles)}
        if fabric.rail_optimized:
            diagrams[f"{name}-su1"] = su_detail_dot(fabric, roles, su=1)
        for stem, source in diagrams.items():
            files[f"diagrams/{stem}.dot"] = source
            files[f"diagrams/{stem}.svg"] = dot_to_svg(source, stem)
    return files


def _bom_csv(plan: Plan) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BOM_COLUMNS)
    for line in plan.bom:
        writer.writerow(
            [line.part, line.description, line.category, line.quantity, f"{line.unit_price_usd:.2f}",
             f"{line.extended_price_usd:.2f}", line.confidence, line.source]
        )  # fmt: skip
    return buffer.getvalue()


def _manifest(files: dict[str, str]) -> str:
    digests = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in sorted(files.items())}
    return json.dumps({"files": digests}, sort_keys=True, indent=2) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
