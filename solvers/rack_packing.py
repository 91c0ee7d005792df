"""Pack devices into racks under a per-rack power limit and rack height, with CP-SAT.

Identical devices are grouped, so the model has one integer per (group, rack) rather than one boolean per
device: a 1,000-system cluster with three device types is a few thousand variables. Two solves run in turn:
first the fewest racks, then, at that rack count, the lowest peak rack power (spreads heat and load).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

__all__ = [
    "DeviceGroup",
    "PackingInstance",
    "PackingInfeasibleError",
    "PackingResult",
    "PlacedDevice",
    "pack_racks",
    "lower_bound_racks",
    "validate_packing",
]

SEED = 0
# Deterministic time (CP-SAT's work units) rather than wall time, so a slow machine gives the same answer.
# Real designs have a few device types and solve to optimality well inside these limits; adversarial mixes stop
# at the best packing found, which the result reports as not proven optimal.
RACK_COUNT_TIME_LIMIT = 2.0
PEAK_POWER_TIME_LIMIT = 0.5


@dataclass(frozen=True)
class DeviceGroup:
    """`count` identical devices. A `dedicated_rack` device (a rack-scale system) fills a rack alone."""

    key: str
    height_u: int
    power_w: float
    count: int
    dedicated_rack: bool = False


@dataclass(frozen=True)
class PackingInstance:
    """Devices to place and the limits of every rack."""

    groups: tuple[DeviceGroup, ...]
    rack_height_u: int
    rack_power_w: float


@dataclass(frozen=True)
class PlacedDevice:
    """One device in a rack: its group, its index within the group, and its lowest U (1-based)."""

    group: str
    index: int
    u_position: int
    height_u: int
    power_w: float


@dataclass
class PackingResult:
    """Racks in order; each is the list of devices placed in it."""

    racks: list[list[PlacedDevice]] = field(default_factory=list)
    optimal: bool = True

    def rack_power_w(self, rack: int) -> float:
        """Total power of one rack's devices."""
        return sum(d.power_w for d in self.racks[rack])


class PackingInfeasibleError(Exception):
    """A device cannot fit any rack; `reason` says which limit binds and by how much."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def lower_bound_racks(instance: PackingInstance) -> int:
    """Racks no packing can go below: by total height, by total power, and by devices that cannot pair.

    Two devices taller than half a rack (or drawing more than half its power) never share one, so their
    count is a bound too; it is the one that binds when devices are large relative to the rack.
    """
    shared = [g for g in instance.groups if not g.dedicated_rack]
    dedicated = sum(g.count for g in instance.groups if g.dedicated_rack)
    by_height = math.ceil(sum(g.height_u * g.count for g in shared) / instance.rack_height_u)
    by_power = math.ceil(sum(g.power_w * g.count for g in shared) / instance.rack_power_w)
    tall = sum(g.count for g in shared if 2 * g.height_u > instance.rack_height_u)
    hungry = sum(g.count for g in shared if 2 * g.power_w > instance.rack_power_w)
    return dedicated + max(by_height, by_power, tall, hungry)


def pack_racks(instance: PackingInstance, effort: float = 1.0) -> PackingResult:
    """Place every device in the fewest racks, then with the lowest peak rack power.

    `effort` scales the deterministic work limits (network racks, solved once per design round, use less).

    Raises:
        PackingInfeasibleError: a single device exceeds the rack's height or power limit.
    """
    _check_each_device_fits(instance)
    shared = [g for g in instance.groups if not g.dedicated_rack and g.count > 0]
    racks: list[list[tuple[DeviceGroup, int]]] = []
    proven = True
    if shared:
        racks, proven = _solve_shared(shared, instance, effort)
    for group in (g for g in instance.groups if g.dedicated_rack):
        racks += [[(group, 1)] for _ in range(group.count)]
    result = _place(racks)
    result.optimal = proven
    return result


def _check_each_device_fits(instance: PackingInstance) -> None:
    for g in instance.groups:
        if g.power_w > instance.rack_power_w:
            raise PackingInfeasibleError(
                f"{g.key} draws {g.power_w / 1000:.1f} kW, above the rack power limit of "
                f"{instance.rack_power_w / 1000:.1f} kW by {(g.power_w - instance.rack_power_w) / 1000:.1f} kW"
            )
        if g.height_u > instance.rack_height_u and not g.dedicated_rack:
            raise PackingInfeasibleError(f"{g.key} is {g.height_u}U, taller than the {instance.rack_height_u}U racks")


def _first_fit_decreasing(groups: list[DeviceGroup], instance: PackingInstance) -> list[dict[int, int]]:
    """A first-fit-decreasing packing (rack -> group index -> count): a feasible start and an upper bound."""
    free: list[tuple[int, float]] = []
    racks: list[dict[int, int]] = []
    order = sorted(range(len(groups)), key=lambda i: (-groups[i].power_w, -groups[i].height_u, groups[i].key))
    for gi in order:
        g = groups[gi]
        for _ in range(g.count):
            slot = next((i for i, (u, p) in enumerate(free) if u >= g.height_u and p >= g.power_w), None)
            if slot is None:
                free.append((instance.rack_height_u, instance.rack_power_w))
                racks.append({})
                slot = len(free) - 1
            u, p = free[slot]
            free[slot] = (u - g.height_u, p - g.power_w)
            racks[slot][gi] = racks[slot].get(gi, 0) + 1
    return racks


def _solve_shared(
    groups: list[DeviceGroup], instance: PackingInstance, effort: float
) -> tuple[list[list[tuple[DeviceGroup, int]]], bool]:
    start = _first_fit_decreasing(groups, instance)
    upper = len(start)
    model, counts, used, peak = _build_model(groups, instance, upper)
    model.add(
        sum(used) >= lower_bound_racks(PackingInstance(tuple(groups), instance.rack_height_u, instance.rack_power_w))
    )
    for r, content in enumerate(start):
        model.add_hint(used[r], 1)
        for gi in range(len(groups)):
            model.add_hint(counts[gi][r], content.get(gi, 0))
    model.minimize(sum(used))
    status, solver = _run(model, RACK_COUNT_TIME_LIMIT * effort)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # the work limit ran out before CP-SAT took even the hinted packing: keep first-fit-decreasing
        return [[(groups[gi], n) for gi, n in sorted(content.items())] for content in start], False
    proven = status == cp_model.OPTIMAL
    model.add(sum(used) == round(solver.objective_value))
    model.clear_hints()  # type: ignore[no-untyped-call]
    _hint_from(model, solver, counts, used)
    model.minimize(peak)
    peak_status, peak_solver = _run(model, PEAK_POWER_TIME_LIMIT * effort)
    if peak_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver = peak_solver
    racks = [
        [(g, solver.value(counts[gi][r])) for gi, g in enumerate(groups) if solver.value(counts[gi][r])]
        for r in range(upper)
        if solver.value(used[r])
    ]
    return racks, proven


def _build_model(
    groups: list[DeviceGroup], instance: PackingInstance, upper: int
) -> tuple[cp_model.CpModel, list[list[cp_model.IntVar]], list[cp_model.IntVar], cp_model.IntVar]:
    model = cp_model.CpModel()
    power = [round(g.power_w) for g in groups]
    limit = math.floor(instance.rack_power_w)
    used = [model.new_bool_var(f"used_{r}") for r in range(upper)]
    counts = [
        [
            model.new_int_var(
                0, min(g.count, instance.rack_height_u // g.height_u if g.height_u else g.count), f"n_{gi}_{r}"
            )
            for r in range(upper)
        ]
        for gi, g in enumerate(groups)
    ]
    peak = model.new_int_var(0, limit, "peak_rack_power_w")
    for gi, g in enumerate(groups):
        model.add(sum(counts[gi]) == g.count)
    for r in range(upper):
        model.add(sum(counts[gi][r] * g.height_u for gi, g in enumerate(groups)) <= instance.rack_height_u * used[r])
        rack_power = sum(counts[gi][r] * power[gi] for gi in range(len(groups)))
        model.add(rack_power <= limit * used[r])
        model.add(rack_power <= peak)
        if r:  # symmetry breaking: racks are used in order
            model.add(used[r] <= used[r - 1])
    return model, counts, used, peak


def _per_rack_cap(group: DeviceGroup, instance: PackingInstance) -> int:
    by_height = instance.rack_height_u // group.height_u if group.height_u else group.count
    by_power = int(instance.rack_power_w // group.power_w) if group.power_w else group.count
    return min(group.count, by_height, by_power)


def _run(model: cp_model.CpModel, time_limit: float) -> tuple[Any, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = SEED
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = time_limit
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:  # cannot happen with a first-fit start; a modelling bug if it does
        raise PackingInfeasibleError("rack packing found the model infeasible")
    return status, solver


def _hint_from(
    model: cp_model.CpModel, solver: cp_model.CpSolver, counts: list[list[cp_model.IntVar]], used: list[cp_model.IntVar]
) -> None:
    for row in counts:
        for var in row:
            model.add_hint(var, solver.value(var))
    for var in used:
        model.add_hint(var, solver.value(var))


def _place(racks: list[list[tuple[DeviceGroup, int]]]) -> PackingResult:
    """Stack each rack's devices from U1 upwards, tallest and heaviest first; number devices per group."""
    result = PackingResult()
    next_index: dict[str, int] = {}
    # Fullest racks first, so a partly filled rack ends the row instead of sitting in its middle.
    racks = sorted(racks, key=lambda c: (-sum(g.power_w * n for g, n in c), sorted((g.key, -n) for g, n in c)))
    for content in racks:
        u = 1
        placed: list[PlacedDevice] = []
        for group, count in sorted(content, key=lambda item: (-item[0].height_u, -item[0].power_w, item[0].key)):
            for _ in range(count):
                index = next_index.get(group.key, 0)
                next_index[group.key] = index + 1
                placed.append(PlacedDevice(group.key, index, u, group.height_u, group.power_w))
                u += group.height_u
        result.racks.append(placed)
    return result


def validate_packing(instance: PackingInstance, result: PackingResult) -> list[str]:
    """Check a packing independently of how it was found. Returns every violation (empty when valid)."""
    problems: list[str] = []
    placed: dict[str, int] = {}
    for r, rack in enumerate(result.racks):
        problems += _rack_problems(instance, r, rack)
        for device in rack:
            placed[device.group] = placed.get(device.group, 0) + 1
    for g in instance.groups:
        if placed.get(g.key, 0) != g.count:
            problems.append(f"{g.key}: {placed.get(g.key, 0)} placed, {g.count} required")
    if len(result.racks) < lower_bound_racks(instance):
        problems.append(f"{len(result.racks)} racks is below the lower bound {lower_bound_racks(instance)}")
    return problems


def _rack_problems(instance: PackingInstance, r: int, rack: list[PlacedDevice]) -> list[str]:
    problems: list[str] = []
    dedicated = {g.key for g in instance.groups if g.dedicated_rack}
    if any(d.group in dedicated for d in rack) and len(rack) > 1:
        problems.append(f"rack {r}: a rack-scale system shares its rack")
    power = sum(d.power_w for d in rack)
    if power > instance.rack_power_w + 1e-6:
        problems.append(f"rack {r}: {power:.0f} W exceeds the {instance.rack_power_w:.0f} W limit")
    occupied: set[int] = set()
    for d in rack:
        if d.group in dedicated:
            continue
        span = set(range(d.u_position, d.u_position + d.height_u))
        if d.u_position < 1 or max(span, default=0) > instance.rack_height_u:
            problems.append(f"rack {r}: {d.group}#{d.index} at U{d.u_position} is outside the rack")
        if span & occupied:
            problems.append(f"rack {r}: {d.group}#{d.index} at U{d.u_position} overlaps another device")
        occupied |= span
    return problems
