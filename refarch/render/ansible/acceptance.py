"""Acceptance plan with expected results: `acceptance.md` for people, `inventory/group_vars/all/acceptance.yml` for
`playbooks/validate.yml`. Both hold the same figures (acceptance_figures.py derives them from the Plan).

Keys of acceptance.yml (bandwidths in GB/s for NCCL busbw as nccl-tests prints it, Gb/s for ib_write_bw with
`--report_gbits`; a measured value at or above a minimum passes):

- `acceptance_allreduce_bands`: nccl-tests message-size bands (`min_bytes`, `max_bytes`; `bandwidth` False: no
  bandwidth floor, correctness only).
- `acceptance_allreduce`: per GPU platform, `min_busbw_gbytes_per_s.intra_system.<band>` (one system) and
  `.multi_system.<band>` (across the fabric), with the inputs they come from. Empty for wafer-scale plans.
- `acceptance_ib_write_bw`: per fabric, `min_gbits_per_s` per rail and its inputs.
- `acceptance_cabling`: per fabric, the planned links file (bundle-relative) and its link count.
- `acceptance_rack_power`: per rack, `min_kw` and `max_kw` under burn-in.
- `acceptance_burn_in`: hours, DCGM diagnostic level, allowed XID and link-down events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from refarch.plan import Plan
from refarch.render.ansible.acceptance_figures import (
    BANDS,
    BURN_IN,
    FABRIC_EFFICIENCY,
    INTRA_EFFICIENCY,
    POWER_LOWER,
    Allreduce,
    FabricShare,
    RackPower,
    RailBandwidth,
    allreduce_expectations,
    gpu_platforms,
    rack_power_expectations,
    rail_expectations,
)
from refarch.render.ansible.yaml_files import yaml_file

__all__ = ["ACCEPTANCE_MD", "ACCEPTANCE_YML", "acceptance_data", "acceptance_files"]

ACCEPTANCE_MD = "acceptance.md"
ACCEPTANCE_YML = "inventory/group_vars/all/acceptance.yml"
_RATED = [b for b in BANDS if b.bandwidth]


def acceptance_files(plan: Plan) -> dict[str, str]:
    """Files under `ansible/` holding the acceptance plan of `plan`, by path relative to `ansible/`."""
    return {ACCEPTANCE_MD: acceptance_markdown(plan), ACCEPTANCE_YML: yaml_file(acceptance_data(plan))}


def _num(value: float) -> str:
    """A number as the tables print it (and as acceptance.yml holds it): integers without a point."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(_num(c) if isinstance(c, int | float) else str(c) for c in cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    return [_row(header), "|" + "---|" * len(header), *(_row(r) for r in rows), ""]


# ---- acceptance.yml -------------------------------------------------------------------------------------------


def _allreduce_data(item: Allreduce) -> dict[str, object]:
    bands = [b.name for b in _RATED]
    minimum: dict[str, object] = {"intra_system": {b: item.intra(b) for b in bands}}
    data: dict[str, object] = {
        "accelerators_per_system": item.accelerators_per_system,
        "hosts_per_system": item.hosts_per_system,
        "scale_up_gbytes_per_s": item.scale_up_gbytes,
        "scale_up_per_direction_gbytes_per_s": item.per_direction_gbytes,
        "intra_system_efficiency": {b: INTRA_EFFICIENCY[b].value for b in bands},
        "min_busbw_gbytes_per_s": minimum,
    }
    if item.fabric is not None:
        share = item.fabric
        minimum["fabric"] = {b: item.across(b) for b in bands}
        minimum["multi_system"] = {b: item.multi(b) for b in bands}
        data["fabric"] = {
            "name": share.fabric,
            "rails": share.rails,
            "planes": share.planes,
            "link_gbits_per_s": share.link_gbps,
            "system_gbytes_per_s": share.system_gbytes,
            "oversubscription": share.oversubscription,
            "efficiency": {b: FABRIC_EFFICIENCY[b].value for b in bands},
        }
    return data


def _rail_data(rail: RailBandwidth) -> dict[str, object]:
    return {
        "technology": rail.technology,
        "rails": rail.rails,
        "planes": rail.planes,
        "link_gbits_per_s": rail.link_gbps,
        "efficiency": rail.efficiency.value,
        "min_gbits_per_s": rail.minimum_gbps,
    }


def _power_data(rack: RackPower) -> dict[str, object]:
    return {
        "systems": rack.systems,
        "plan_it_power_kw": rack.it_power_kw,
        "power_limit_kw": rack.power_limit_kw,
        "lower_fraction": POWER_LOWER.value if rack.systems else 0,
        "min_kw": rack.min_kw,
        "max_kw": rack.max_kw,
    }


def acceptance_data(plan: Plan) -> dict[str, object]:
    """The machine-readable expectations validate.yml compares with (the content of acceptance.yml)."""
    return {
        "acceptance_allreduce_bands": [
            {"name": b.name, "min_bytes": b.min_bytes, "max_bytes": b.max_bytes, "bandwidth": b.bandwidth}
            for b in BANDS
        ],
        "acceptance_allreduce": {a.platform: _allreduce_data(a) for a in allreduce_expectations(plan)},
        "acceptance_ib_write_bw": {r.fabric: _rail_data(r) for r in rail_expectations(plan)},
        "acceptance_cabling": {
            name: {"p2p_csv": f"validation/{name}.p2p.csv", "links": len(f.cables)}
            for name, f in sorted(plan.fabrics.items())
        },
        "acceptance_rack_power": {r.rack: _power_data(r) for r in rack_power_expectations(plan)},
        "acceptance_burn_in": _burn_in_data(bool(gpu_platforms(plan))),
    }


def _burn_in_data(gpu: bool) -> dict[str, object]:
    data: dict[str, object] = {"hours": BURN_IN.hours, "max_link_down_events": BURN_IN.max_link_down_events}
    if gpu:
        data |= {"dcgm_diag_level": BURN_IN.dcgm_diag_level, "max_xid_events": BURN_IN.max_xid_events}
    return data | {"nccl": gpu}


# ---- acceptance.md --------------------------------------------------------------------------------------------


def _intra_section(items: list[Allreduce]) -> list[str]:
    lines = [
        "## NCCL all-reduce inside one system",
        "",
        "Run `all_reduce_perf -b 1M -e 4G -f 2 -g 1` (nccl-tests) with one rank per accelerator on the hosts of one "
        "system. Pass: `#wrong` is 0 at every size, and the out-of-place `busbw` of every size is at least the "
        "minimum of its band. Small messages are latency-bound: no bandwidth floor.",
        "",
        *_table(
            ["band", "min bytes", "max bytes", "bandwidth floor"],
            [(b.name, b.min_bytes, b.max_bytes, "yes" if b.bandwidth else "no") for b in BANDS],
        ),
    ]
    if not items:
        return [*lines, "The plan records no scale-up bandwidth (plan.json before 1.3): re-run `refarch plan`.", ""]
    rows = [
        (a.platform, b.name, a.scale_up_gbytes, a.per_direction_gbytes, INTRA_EFFICIENCY[b.name].value,
         a.intra(b.name), INTRA_EFFICIENCY[b.name].confidence)
        for a in items for b in _RATED
    ]  # fmt: skip
    header = ["platform", "band", "scale-up GB/s", "per direction GB/s", "efficiency", "min busbw GB/s", "confidence"]
    lines += _table(header, rows)
    for a in items:
        for b in _RATED:
            lines.append(
                f"- {a.platform} ({a.accelerators_per_system} accelerators over {a.hosts_per_system} host(s)), "
                f"{b.name}: {_num(a.scale_up_gbytes)} GB/s (catalog, both directions, in the plan's compute "
                f"allocation) / 2 x {_num(INTRA_EFFICIENCY[b.name].value)} = {_num(a.intra(b.name))} GB/s."
            )
    lines += ["", *(f"- Efficiency {b.name}: {INTRA_EFFICIENCY[b.name].source}." for b in _RATED), ""]
    return lines


def _fabric_rows(items: list[Allreduce]) -> list[tuple[object, ...]]:
    return [
        (a.platform, f.fabric, f.rails, f.planes, f.link_gbps, f.system_gbytes, f.oversubscription, b.name,
         FABRIC_EFFICIENCY[b.name].value, a.across(b.name), a.intra(b.name), a.multi(b.name))
        for a in items if (f := a.fabric) is not None for b in _RATED
    ]  # fmt: skip


def _fabric_arithmetic(item: Allreduce, share: FabricShare, band: str) -> str:
    across = share.busbw(FABRIC_EFFICIENCY[band].value)
    return (
        f"- {item.platform}, {band}: {share.rails} x {share.planes} x {share.link_gbps} Gb/s / 8 = "
        f"{_num(share.system_gbytes)} GB/s; / {_num(share.oversubscription)} x "
        f"{_num(FABRIC_EFFICIENCY[band].value)} = {_num(across)} GB/s; min({_num(across)}, "
        f"{_num(item.intra(band))}) = {_num(min(across, item.intra(band)))} GB/s."
    )


def _rail_arithmetic(rail: RailBandwidth) -> str:
    efficiency = rail.efficiency
    return (
        f"- {rail.fabric}: {rail.link_gbps} Gb/s x {_num(efficiency.value)} = {_num(rail.minimum_gbps)} Gb/s "
        f"(efficiency {efficiency.confidence}: {efficiency.source})."
    )


def _fabric_section(items: list[Allreduce]) -> list[str]:
    lines = [
        "## NCCL all-reduce across the fabric",
        "",
        "Run the same sweep over all systems (one rank per accelerator). Each system's share of the fabric is its "
        "links at the link rate (rails x planes x Gb/s / 8 bits), reduced by the leaf oversubscription (a job "
        "across leaves shares their uplinks), times a stated efficiency; busbw across systems is bounded by the "
        "slower of the fabric and NVLink. Pass: `#wrong` 0 and `busbw` at least the minimum of its band.",
        "",
    ]
    rows = _fabric_rows(items)
    if not rows:
        return [*lines, "The plan has no compute fabric: no cross-fabric expectation is derived.", ""]
    header = ["platform", "fabric", "rails", "planes", "link Gb/s", "per system GB/s", "oversubscription", "band",
              "efficiency", "fabric busbw GB/s", "intra-system GB/s", "min busbw GB/s"]  # fmt: skip
    lines += _table(header, rows)
    lines += [_fabric_arithmetic(a, f, b.name) for a in items if (f := a.fabric) is not None for b in _RATED]
    sources = (f"- Efficiency {b.name} ({FABRIC_EFFICIENCY[b.name].confidence}): {FABRIC_EFFICIENCY[b.name].source}."
               for b in _RATED)  # fmt: skip
    return [*lines, "", *sources, ""]


def _rail_section(rails: list[RailBandwidth]) -> list[str]:
    rows = [(r.fabric, r.technology, r.rails, r.planes, r.link_gbps, r.efficiency.value, r.minimum_gbps,
             r.efficiency.confidence) for r in rails]  # fmt: skip
    header = ["fabric", "technology", "rails", "planes", "link Gb/s", "efficiency", "min Gb/s", "confidence"]
    lines = [
        "## ib_write_bw per rail",
        "",
        "On every rail, between two hosts on the same leaf: `ib_write_bw -d <hca> -F --report_gbits -s 1048576 "
        "-D 10` (RoCE: add `-x <gid index>`). Pass: `BW average` at least the minimum. `validate.yml` runs it on the "
        "compute rails: the GPU hosts that share a leaf form a ring (`ib_write_bw_peer` in each host's vars), each "
        "sending to the next while receiving from the previous, one rail at a time; a host alone on its leaf is "
        "not tested. Storage rails are tested by hand (their HCA names are not in the plan).",
        "",
    ]
    if not rails:
        return [*lines, "The plan has no host fabric for RDMA: no ib_write_bw expectation.", ""]
    return [
        *lines,
        *_table(header, rows),
        *(_rail_arithmetic(r) for r in rails),
        "",
    ]


def _cabling_section(plan: Plan) -> list[str]:
    rows = [(name, len(f.cables), f"validation/{name}.p2p.csv") for name, f in sorted(plan.fabrics.items())]
    return [
        "## Cabling",
        "",
        "Discover every fabric's links (InfiniBand: `ibnetdiscover` or UFM's cable validation; Ethernet: LLDP "
        "neighbours on the switches), write each link as the planned file does (both ends, the smaller first) and "
        "compare the sets. Pass: no planned link missing, no unplanned link, no link on another port. The files "
        "are in the bundle beside `ansible/`.",
        "",
        *_table(["fabric", "links", "planned links"], rows),
    ]


def _power_section(racks: list[RackPower]) -> list[str]:
    rows = [(r.rack, r.systems, r.it_power_kw, r.min_kw, r.max_kw) for r in racks]
    return [
        "## Rack power under burn-in",
        "",
        "Sum the rack's PDU (or power-shelf) readings during the burn-in. Pass: within the band. The maximum is the "
        "plan's `it_power_kw` (devices at maximum power plus optics): above it the plan is wrong. The minimum, for "
        f"racks holding systems, is {_num(POWER_LOWER.value)} x `it_power_kw` ({POWER_LOWER.confidence}: "
        f"{POWER_LOWER.source}); racks of network gear only have no minimum.",
        "",
        *_table(["rack", "systems", "plan IT kW", "min kW", "max kW"], rows),
    ]


def _burn_in_section(gpu: bool) -> list[str]:
    b = BURN_IN
    rules = [("links", "whole run", "no link down or error recovery (InfiniBand `perfquery` LinkDownedCounter and "
              "LinkErrorRecoveryCounter unchanged; Ethernet carrier changes unchanged)"),
             ("rack power", "hourly", "every rack within its band (rack power above)")]  # fmt: skip
    if gpu:
        rules = [
            ("DCGM", "start and end", f"`dcgmi diag -r {b.dcgm_diag_level}` passes on every host"),
            ("XID", "whole run", "no `NVRM: Xid` event in any host's kernel log"),
            *rules,
            ("all-reduce", "start and end", "both NCCL all-reduce checks pass at both ends"),
        ]
    else:
        rules.append(("appliance", "start and end", "the vendor's system diagnostics pass on every wafer-scale system"))
    load = "all accelerators under load (NCCL all-reduce loops and a GPU stress)" if gpu else "the systems under load"
    return [
        f"## Burn-in ({b.hours} hours)",
        "",
        f"Keep {load} for {b.hours} hours. Any rule failing fails the burn-in; after a repair it restarts.",
        "",
        *_table(["check", "when", "pass rule"], rules),
    ]


def acceptance_markdown(plan: Plan) -> str:
    """acceptance.md: every expectation with its arithmetic, source and confidence."""
    items = allreduce_expectations(plan)
    gpu = bool(gpu_platforms(plan))
    lines = [
        f"# Acceptance plan: {plan.metadata.name}",
        "",
        "Expected results derived from this plan (plan.json schema " + plan.schema_version + "). Efficiencies are "
        "stated assumptions with their source and confidence; every other figure is the plan's. The same numbers "
        "are in `inventory/group_vars/all/acceptance.yml`, which `playbooks/validate.yml` compares with.",
        "",
    ]
    if gpu:
        lines += _intra_section(items) + _fabric_section(items) + _rail_section(rail_expectations(plan))
    else:
        lines += ["Wafer-scale systems run no NCCL or GPU tests: cabling, power and burn-in only.", ""]
    lines += _cabling_section(plan) + _power_section(rack_power_expectations(plan)) + _burn_in_section(gpu)
    return "\n".join(lines).rstrip("\n") + "\n"
