"""The review's inventories: the BOM by category, the racks grouped by identical contents, and the bundle's
manifest with directories of many files collapsed, so that a 16,384-GPU plan still reads in a few pages (the full
lists are in bom.xlsx, cabling.csv and manifest.json).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath

from refarch.plan import Plan, RackPlan
from refarch.render.review.model import BomCategory, ManifestEntry, RackGroup

__all__ = ["MANIFEST_DIRECTORY_LIMIT", "bom_by_category", "manifest_entries", "rack_groups"]

# A directory with more files than this is one manifest line (files and bytes); smaller ones list every file.
MANIFEST_DIRECTORY_LIMIT = 12


def bom_by_category(plan: Plan) -> tuple[BomCategory, ...]:
    """The BOM per category, most expensive first (then by name)."""
    lines: dict[str, list[tuple[int, float, bool]]] = defaultdict(list)
    for line in plan.bom:
        lines[line.category].append((line.quantity, line.extended_price_usd, line.confidence == "estimate"))
    categories = [
        BomCategory(
            category=name,
            lines=len(items),
            units=sum(q for q, _, _ in items),
            extended_usd=sum(p for _, p, _ in items),
            estimated_usd=sum(p for _, p, estimated in items if estimated),
        )
        for name, items in lines.items()
    ]
    return tuple(sorted(categories, key=lambda c: (-c.extended_usd, c.category)))


def rack_groups(plan: Plan) -> tuple[RackGroup, ...]:
    """Racks with the same type, devices (by catalog id and U), power and cooling as one group, in rack order."""
    groups: dict[tuple[object, ...], list[RackPlan]] = {}
    for rack in plan.racks:
        groups.setdefault(_profile(rack), []).append(rack)
    return tuple(_group(racks) for racks in groups.values())


def _profile(rack: RackPlan) -> tuple[object, ...]:
    devices = tuple((d.catalog_id, d.u_position, d.height_u) for d in rack.devices)
    return (rack.catalog_id, devices, rack.it_power_kw, rack.power_limit_kw, rack.cooling, rack.air_heat_kw)


def _group(racks: list[RackPlan]) -> RackGroup:
    first = racks[0]
    kinds = Counter(d.catalog_id for d in first.devices)
    devices = ", ".join(f"{n} x {catalog_id}" for catalog_id, n in sorted(kinds.items()))
    return RackGroup(
        racks=tuple(r.name for r in racks),
        catalog_id=first.catalog_id,
        devices=devices,
        used_u=first.used_u,
        height_u=first.height_u,
        it_power_kw=first.it_power_kw,
        power_limit_kw=first.power_limit_kw,
        cooling=first.cooling,
        air_heat_kw=first.air_heat_kw,
        liquid_heat_kw=first.liquid_heat_kw,
    )


def manifest_entries(files: Mapping[str, bytes]) -> tuple[ManifestEntry, ...]:
    """The bundle's files in path order; a directory of more than MANIFEST_DIRECTORY_LIMIT files (counted under
    its top two levels) is one entry whose digest is the SHA-256 of its files' digests in path order."""
    by_directory: dict[str, list[str]] = defaultdict(list)
    for name in files:
        parts = PurePosixPath(name).parts
        by_directory["/".join(parts[: min(len(parts) - 1, 3)])].append(name)
    entries = []
    for directory, names in by_directory.items():
        if len(names) > MANIFEST_DIRECTORY_LIMIT:
            digest = hashlib.sha256()
            for name in sorted(names):
                digest.update(hashlib.sha256(files[name]).hexdigest().encode())
            size = sum(len(files[n]) for n in names)
            entries.append(ManifestEntry(f"{directory}/", len(names), size, digest.hexdigest()))
        else:
            entries += [ManifestEntry(n, 1, len(files[n]), hashlib.sha256(files[n]).hexdigest()) for n in names]
    return tuple(sorted(entries, key=lambda e: e.path))
