"""Output `terraform`: the NetBox bundle under `terraform/`, from the NetBox view, for the e-breuninger/netbox
provider. Files by purpose; each keeps its objects in a `locals` map keyed by stable keys for `for_each`."""

from __future__ import annotations

from refarch.render.context import Files, Output, RenderContext
from refarch.render.netbox.hcl import hcl_map
from refarch.render.netbox.view import IPAM_STATUS, STATUS, build_netbox_view

__all__ = ["NETBOX_TESTED", "OUTPUT", "terraform_files"]

# The NetBox release the live tests load the objects into (tests/netbox).
NETBOX_TESTED = "4.7.3"
_FILES = ("versions.tf", "providers.tf", "variables.tf", "site.tf", "racks.tf", "device_types.tf", "devices.tf",
          "interfaces.tf", "cables.tf", "power.tf", "ipam.tf", "outputs.tf", "README.md")  # fmt: skip


def terraform_files(context: RenderContext) -> dict[str, str]:
    """Every file of the bundle, by path relative to the bundle root (`terraform/...`)."""
    view = build_netbox_view(context.plan, context.views)
    counts = view.counts()
    variables = {
        "view": view, "counts": counts, "width": max(len(k) for k in counts), "hcl_map": hcl_map,
        "status": STATUS, "ipam_status": IPAM_STATUS, "netbox_tested": NETBOX_TESTED,
        "refarch_version": context.plan.metadata.refarch_version,
    }  # fmt: skip
    return {f"terraform/{name}": context.templates.render(f"terraform/{name}.j2", **variables) for name in _FILES}


def _files(context: RenderContext) -> Files:
    return terraform_files(context)


OUTPUT = Output(
    "terraform",
    "terraform/: NetBox as the source of truth (e-breuninger/netbox): site, rows, racks, device types, devices, "
    "interfaces, cables, power panels and feeds, IPAM",
    _files,
)
