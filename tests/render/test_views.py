"""The shared views: every device located, every cable end resolved as the Plan places it, every switch port
pointing at a port that points back; cabling.csv is written from the cable view."""

from __future__ import annotations

import csv
import io

import pytest

from refarch.errors import OutputError
from refarch.plan import CableRun, Plan
from refarch.render.cabling_files import CABLING_COLUMNS, cabling_csv
from refarch.render.views import CableEnd, PlanViews, build_views


@pytest.fixture(scope="module")
def views(tiny_plan: Plan) -> PlanViews:
    return build_views(tiny_plan)


def test_every_racked_device_and_pdu_is_located(tiny_plan: Plan, views: PlanViews) -> None:
    expected = {d.name: (r.name, r.row, d.u_position, d.role, d.catalog_id) for r in tiny_plan.racks for d in r.devices}
    expected |= {pdu: (r.name, r.row, 0, "pdu", r.pdu_model or "") for r in tiny_plan.racks for pdu in r.pdu_names}
    assert {d.name: (d.rack, d.row, d.u, d.role, d.catalog_id) for d in views.devices} == expected
    assert len(views.devices) == len(expected)  # no name twice
    assert [d.rack for d in views.devices] == sorted(
        (d.rack for d in views.devices), key=[r.name for r in tiny_plan.racks].index
    )


def test_cable_ends_are_where_the_plan_puts_their_devices(tiny_plan: Plan, views: PlanViews) -> None:
    runs = [run for _, fabric in sorted(tiny_plan.fabrics.items()) for run in fabric.cables]
    assert len(views.cables) == len(runs) == tiny_plan.summary.cables
    for cable, run in zip(views.cables, runs, strict=True):
        for end, device, port in ((cable.a, run.a_device, run.a_port), (cable.b, run.b_device, run.b_port)):
            place = views.device(device)
            assert end == CableEnd(
                tiny_plan.metadata.name, place.row, place.rack, place.u, device, port, end.transceiver
            )
        assert (cable.a.transceiver, cable.b.transceiver) == (run.a_transceiver, run.b_transceiver)
    assert len({c.cable_id for c in views.cables}) == len(views.cables)


def test_switch_interfaces_point_at_ports_that_point_back(tiny_plan: Plan, views: PlanViews) -> None:
    roles = {d.role for d in views.switches}
    assert roles == {
        "compute-leaf",
        "compute-spine",
        "inband-leaf",
        "inband-spine",
        "storage-leaf",
        "storage-spine",
        "oob-leaf",
    }
    ends = sum(len(d.ports) for d in views.devices)
    assert ends == 2 * len(views.cables)
    for switch in views.switches:
        for port in switch.ports:
            peer = views.device(port.peer_device)
            assert [(p.peer_device, p.peer_port) for p in peer.ports if p.cable_id == port.cable_id] == [
                (switch.name, port.port)
            ]


def test_ports_are_in_natural_order(views: PlanViews) -> None:
    spine = views.device("compute-spine01")
    assert [p.fabric for p in spine.ports] == sorted(p.fabric for p in spine.ports)  # fabric by fabric
    numbers = [int(p.port.split("/")[0]) for p in spine.ports if p.fabric == "compute"]
    assert numbers == sorted(numbers) and numbers[-1] >= 10  # "10" after "9", not after "1"
    assert [p.port for p in spine.ports if p.fabric != "compute"] == ["oob1"]


def test_cabling_csv_is_the_cable_view(views: PlanViews) -> None:
    rows = list(csv.DictReader(io.StringIO(cabling_csv(views.cables))))
    assert list(rows[0]) == list(CABLING_COLUMNS)
    assert [(r["cable_id"], r["a_rack"], r["a_u"], r["b_rack"], r["b_u"]) for r in rows] == [
        (c.cable_id, c.a.rack, str(c.a.u), c.b.rack, str(c.b.u)) for c in views.cables
    ]


def test_a_cable_to_a_device_in_no_rack_is_an_output_error(tiny_plan: Plan) -> None:
    oob = tiny_plan.fabrics["oob"]
    ghost = CableRun.model_validate(oob.cables[0].model_dump() | {"a_device": "ghost-01"})
    broken = tiny_plan.model_copy(
        update={"fabrics": tiny_plan.fabrics | {"oob": oob.model_copy(update={"cables": [ghost]})}}
    )
    with pytest.raises(OutputError, match="cable oob-000001 ends at 'ghost-01', which sits in no rack"):
        build_views(broken)
