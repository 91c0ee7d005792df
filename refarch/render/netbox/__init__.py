"""NetBox: the view of a plan as NetBox objects, shared by the Terraform bundle and `refarch netbox push`."""

from refarch.render.netbox.terraform import OUTPUT

__all__ = ["OUTPUT"]
