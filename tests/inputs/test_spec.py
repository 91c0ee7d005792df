"""Spec parsing: every example loads, units convert, defaults apply, and bad input names its path and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.errors import SpecError
from refarch.inputs.spec import load_spec

from ..conftest import EXAMPLES, MINIMAL_SPEC


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_load(example: Path) -> None:
    spec = load_spec(example)
    assert spec.api_version == "refarch/v1"
    assert spec.workloads


def test_units_and_defaults(write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC + "  power_budget: 1.5 MW\n  electricity_price: 0.1 USD/kWh\n"))
    assert spec.site.rack_power_limit == pytest.approx(40_000)
    assert spec.site.power_budget == pytest.approx(1.5e6)
    assert spec.site.electricity_price == pytest.approx(0.1)
    assert spec.site.feed.voltage == 415 and spec.site.feed.redundancy == "2N"
    assert spec.site.cooling == ["air"]
    assert spec.network.oversubscription == 1.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30 days", 30 * 86400), ("2 weeks", 14 * 86400), ("36 h", 36 * 3600)],
    ids=["days", "weeks", "hours"],
)
def test_duration_units(write_spec: Callable[[str], Path], value: str, seconds: float) -> None:
    text = MINIMAL_SPEC.replace(
        "    platform: dgx-h100\n    systems: 2\n", f"    target:\n      time_to_train: {value}\n"
    )
    spec = load_spec(write_spec(text))
    assert spec.workloads[0].target is not None
    assert spec.workloads[0].target.time_to_train == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "count"), [("15T", 15e12), ("260B", 260e9), ("1.5e12", 1.5e12)], ids=str)
def test_token_counts(write_spec: Callable[[str], Path], text: str, count: float) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace("    systems: 2\n", f"    systems: 2\n    tokens: {text}\n")))
    assert spec.workloads[0].tokens == pytest.approx(count)


def test_ratio_parsing(write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC + 'network:\n  oversubscription: "2:1"\n'))
    assert spec.network.oversubscription == 2.0


BAD = [
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kg\n", "site.rack_power_limit", "is not a power", 13),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40000\n", "site.rack_power_limit", "with a unit", 13),
    ("    systems: 2\n", "    systems: 0\n", "workloads[0].systems", "greater than 0", 11),
    ("    systems: 2\n", "    systems: -4\n", "workloads[0].systems", "greater than 0", 11),
    ("    type: training\n", "    type: trainig\n", "workloads[0].type", "'training' or 'inference'", 7),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limt: 40 kW\n", "site", "did you mean 'rack_power_limit'", 13),
    ("kind: Workload\n", "kind: Workload\nextra: 1\n", "extra", "unknown key 'extra'", 3),
    ("apiVersion: refarch/v1\n", "apiVersion: refarch/v2\n", "apiVersion", "'refarch/v1'", 1),
    ("    systems: 2\n", "    systems: 2\n    accelerators: 16\n", "workloads[0]", "not both", 6),
    ("    platform: dgx-h100\n    systems: 2\n", "", "workloads[0]", "give a 'target' or a fixed size", 6),
    ("    preset: llama3-8b\n", "    layers: 4\n", "workloads[0].model", "missing: params, hidden, heads", 8),
    ("    systems: 2\n", "    systems: 2\n    tokens: lots\n", "workloads[0].tokens", "expected a count", 12),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kW\n  feed:\n    derating: 1.5\n", "site.feed.derating",
     "less than or equal to 1", 15),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kW\nnetwork:\n  planes: 3\n", "network.planes",
     "less than or equal to 2", 15),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kW\nnetwork:\n  oversubscription: '1:2'\n",
     "network.oversubscription", "at least 1:1", 15),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kW\nnetwork:\n  addressing:\n    oob: 10.0.0.0/8\n",
     "network.addressing", "overlap; give disjoint prefixes", 15),
    ("  rack_power_limit: 40 kW\n", "  rack_power_limit: 40 kW\nnetwork:\n  addressing:\n    oob: 10.1.0.1/16\n",
     "network.addressing.oob", "IPv4 network", 16),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "path", "fragment", "line"), BAD, ids=[f"{b[2]}-{b[3][:20]}" for b in BAD])
def test_bad_spec_names_path_and_line(
    write_spec: Callable[[str], Path], old: str, new: str, path: str, fragment: str, line: int
) -> None:
    assert old in MINIMAL_SPEC
    file = write_spec(MINIMAL_SPEC.replace(old, new, 1))
    with pytest.raises(SpecError) as info:
        load_spec(file)
    message = str(info.value)
    assert fragment in message
    assert path in message
    assert f"spec.yaml:{line} " in message
    assert str(file) in message


def test_several_problems_are_all_reported(write_spec: Callable[[str], Path]) -> None:
    text = MINIMAL_SPEC.replace("systems: 2", "systems: 0").replace("40 kW", "40 kg")
    with pytest.raises(SpecError) as info:
        load_spec(write_spec(text))
    assert "workloads[0].systems" in str(info.value) and "site.rack_power_limit" in str(info.value)


def test_spec_must_be_a_mapping(write_spec: Callable[[str], Path]) -> None:
    with pytest.raises(SpecError, match="must be a YAML mapping"):
        load_spec(write_spec("- 1\n- 2\n"))


def test_duplicate_workload_names(write_spec: Callable[[str], Path]) -> None:
    workload = MINIMAL_SPEC.split("workloads:\n")[1].split("site:")[0]
    text = MINIMAL_SPEC.replace("site:", workload + "site:", 1)
    with pytest.raises(SpecError, match="repeated: w1"):
        load_spec(write_spec(text))


def test_inference_target_rejects_training_fields(write_spec: Callable[[str], Path]) -> None:
    text = MINIMAL_SPEC.replace("type: training", "type: inference").replace(
        "    platform: dgx-h100\n    systems: 2\n", "    target:\n      time_to_train: 3 days\n"
    )
    with pytest.raises(SpecError, match="'time_to_train' is a training target"):
        load_spec(write_spec(text))
