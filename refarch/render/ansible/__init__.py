"""Output `ansible`: the bring-up bundle (inventory, playbooks and roles, Slurm topology, acceptance plan)."""

from refarch.render.ansible.output import OUTPUT

__all__ = ["OUTPUT"]
