"""The sweep file: errors located by file, path and line with what is valid; expansion order and counts; ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from refarch.errors import InputError
from refarch.sweep.evaluate import Inputs
from refarch.sweep.fields import CatalogField, SpecField
from refarch.sweep.records import AxisValue
from refarch.sweep.scenarios import expand, scenario_id
from refarch.sweep.sweepfile import load_sweep

from ..conftest import REPO
from .conftest import WriteSweep

ERRORS = sorted((Path(__file__).parent / "errors").glob("*.yaml"))
EXAMPLES = sorted((REPO / "examples" / "sweeps").glob("*.yaml"))


def _expected(case: Path) -> list[str]:
    lines = case.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


@pytest.mark.parametrize("case", ERRORS, ids=[c.stem for c in ERRORS])
def test_sweep_file_error_names_place_and_remedy(case: Path, inputs: Inputs) -> None:
    expected = _expected(case)
    assert expected, f"{case.name} states no '# expect:' line"
    with pytest.raises(InputError) as raised:
        load_sweep(case, inputs.catalog)
    message = raised.value.render()
    for text in expected:
        assert text in message


def test_error_cases_are_found() -> None:
    assert len(ERRORS) >= 25  # an empty glob would parametrise the test above into nothing


@pytest.mark.parametrize(
    ("combine", "axes", "count", "first", "last"),
    [
        (
            "product",
            "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-b200]}\n"
            "  - {field: 'workloads[0].systems', values: [2, 4, 8]}\n",
            6,
            {"platform": "dgx-h100", "systems": 2},
            {"platform": "dgx-b200", "systems": 8},
        ),
        (
            "zip",
            "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-b200, dgx-h200]}\n"
            "  - {field: 'workloads[0].systems', values: [2, 4, 8]}\n",
            3,
            {"platform": "dgx-h100", "systems": 2},
            {"platform": "dgx-h200", "systems": 8},
        ),
        (
            "product",
            "  - {field: 'workloads[0].systems', range: {start: 4, stop: 64, step: 4}}\n"
            "  - {field: site.power_budget, values: [2 MW, 5 MW]}\n",
            32,
            {"systems": 4, "power_budget": "2 MW"},
            {"systems": 64, "power_budget": "5 MW"},
        ),
    ],
    ids=["product-last-axis-fastest", "zip-side-by-side", "range-includes-stop"],
)
def test_expansion_count_and_order(
    write_sweep: WriteSweep, inputs: Inputs, combine: str, axes: str, count: int, first: dict[str, object],
    last: dict[str, object],
) -> None:  # fmt: skip
    sweep = load_sweep(write_sweep(axes, combine=combine), inputs.catalog)
    scenarios = expand(sweep)
    assert sweep.count == len(scenarios) == count
    assert [s.index for s in scenarios] == list(range(count))
    assert scenarios[0].values == first and scenarios[-1].values == last
    if combine == "product" and count == 6:
        assert [s.values["systems"] for s in scenarios[:3]] == [2, 4, 8]  # the last axis varies fastest


@pytest.mark.parametrize(
    ("range_text", "values"),
    [
        ("{start: 4, stop: 16, step: 4}", [4, 8, 12, 16]),
        ("{start: 4, stop: 15, step: 4}", [4, 8, 12]),
        ("{start: 0.1, stop: 0.4, step: 0.1}", [0.1, 0.2, 0.3, 0.4]),
        ("{start: 7, stop: 7, step: 1}", [7]),
    ],
    ids=["stop-on-a-step", "stop-between-steps", "decimal-steps", "single-value"],
)
def test_range_values(write_sweep: WriteSweep, inputs: Inputs, range_text: str, values: list[float]) -> None:
    axes = f"  - {{field: price.dgx-h100, range: {range_text}}}\n"
    sweep = load_sweep(write_sweep(axes), inputs.catalog)
    assert list(sweep.axes[0].values) == values
    assert all(type(v) is type(values[0]) for v in sweep.axes[0].values)


@pytest.mark.parametrize(
    ("field", "name", "target"),
    [
        ("workloads.pretrain-70b.systems", "systems", SpecField(("workloads", 0, "systems"))),
        ("workloads[0].model.seq_len", "seq_len", SpecField(("workloads", 0, "model", "seq_len"))),
        ("site.power_budget", "power_budget", SpecField(("site", "power_budget"))),
        ("api_version", "apiVersion", SpecField(("apiVersion",))),
        ("price.dgx-h100", "price.dgx-h100", CatalogField("price", "dgx-h100")),
        ("lead_time.qm9700", "lead_time.qm9700", CatalogField("lead_time", "qm9700")),
    ],
    ids=["workload-by-name", "key-missing-in-base", "site-limit", "alias-as-written-in-yaml", "price", "lead-time"],
)
def test_fields_resolve_to_targets_and_names(
    write_sweep: WriteSweep, inputs: Inputs, field: str, name: str, target: object
) -> None:
    sweep = load_sweep(write_sweep(f'  - {{field: "{field}", values: [1]}}\n'), inputs.catalog)
    assert sweep.axes[0].target == target
    assert sweep.axes[0].name == name


def test_clashing_default_names_use_the_whole_field(write_sweep: WriteSweep, inputs: Inputs) -> None:
    axes = "  - {field: 'workloads[0].systems', values: [1]}\n  - {field: 'workloads[0].model.seq_len', values: [1]}\n"
    axes += "  - {field: site.rack_height, name: systems, values: [42]}\n"
    sweep = load_sweep(write_sweep(axes), inputs.catalog)
    assert [a.name for a in sweep.axes] == ["workloads[0].systems", "seq_len", "systems"]


def test_ids_are_stable_and_depend_only_on_what_is_set(write_sweep: WriteSweep, inputs: Inputs) -> None:
    forward = write_sweep(
        "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-b200]}\n"
        "  - {field: 'workloads[0].systems', values: [2, 4]}\n",
        file="a.yaml",
    )
    reordered = write_sweep(
        "  - {field: workloads.pretrain-70b.systems, name: size, values: [2, 4]}\n"
        "  - {field: 'workloads[0].platform', values: [dgx-h100, dgx-b200]}\n",
        file="b.yaml",
    )
    ids_a = {tuple(sorted(s.values.values(), key=str)): s.id for s in expand(load_sweep(forward, inputs.catalog))}
    ids_b = {tuple(sorted(s.values.values(), key=str)): s.id for s in expand(load_sweep(reordered, inputs.catalog))}
    assert ids_a == ids_b and len(set(ids_a.values())) == 4
    assert ids_a[(2, "dgx-h100")] == "cadd5f53bd004eb5"  # a hash of the settings: the same in every run and release


@pytest.mark.parametrize(
    ("a", "b"),
    [(1, 1.0), (1, "1"), (True, 1), ("dgx-h100", "dgx-b200")],
    ids=["int-float", "int-text", "bool-int", "text"],
)
def test_different_values_give_different_ids(
    write_sweep: WriteSweep, inputs: Inputs, a: AxisValue, b: AxisValue
) -> None:
    axis = load_sweep(write_sweep(), inputs.catalog).axes[:1]
    assert scenario_id(axis, [a]) != scenario_id(axis, [b])


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_sweeps_load_and_stay_small(example: Path, inputs: Inputs) -> None:
    sweep = load_sweep(example, inputs.catalog)
    assert 1 < sweep.count <= 100  # examples run in seconds
