"""Output `ansible`: the bring-up bundle (inventory, playbooks and roles, Slurm topology, acceptance plan)."""
