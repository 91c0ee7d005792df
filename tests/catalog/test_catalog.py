"""The shipped catalog validates and has what the issue names; user catalogs overlay it; broken ones fail clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog, load_catalog
from refarch.catalog.models import Accelerator, LeadTime, LlmModel, Server, Switch, System
from refarch.errors import CatalogError

REQUIRED = {
    "system": ["dgx-a100", "dgx-h100", "dgx-h200", "dgx-b200", "dgx-b300", "gb200-nvl72", "hgx-h100-8gpu",
               "mi300x-8gpu", "cs-2", "cs-3"],
    "server": ["cs-memoryx-node", "cs-swarmx-node", "cs-input-worker", "cs-activation-server", "ufm-appliance"],
    "switch": ["qm9700", "qm9790", "q3400", "sn5600", "sn5610", "sn4600c", "sn2201"],
    "nic": ["cx7-osfp-400g", "cx8-800g", "bluefield-3"],
    "transceiver": ["mma4z00-ns", "mma4z00-ns400", "mms4x00-ns", "mms4x00-nm", "mms4x50-nm"],
    "cable": ["mcp4y10-n001", "mcp7y00-n003"],
    "rack": ["rack-42u", "rack-48u", "rack-52u", "orv3-rack"],
    "pdu": ["pdu-415v-3ph-32a", "pdu-415v-3ph-60a", "pdu-208v-3ph-60a"],
    "power_shelf": ["nvl72-power-shelf"],
    "cdu": ["vertiv-xdu1350", "coolit-chx2000"],
    "rdhx": ["rdhx-passive-35kw", "rdhx-active-75kw"],
    "facility": ["power-transformer", "mv-switchgear", "ups-system", "diesel-generator"],
    "model": ["llama3-70b", "llama3.1-405b", "gpt3-175b", "cerebras-gpt-13b"],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_required_ids_exist(catalog: Catalog, kind: str) -> None:
    ids = {e.id for e in catalog.of_kind(kind)}
    assert set(REQUIRED[kind]) <= ids, set(REQUIRED[kind]) - ids


@pytest.mark.parametrize("cls", [System, Switch, Server, LlmModel], ids=lambda c: c.__name__)
def test_all_gives_the_entries_of_one_class_typed(
    catalog: Catalog, cls: type[System | Switch | Server | LlmModel]
) -> None:
    entries = catalog.all(cls)
    assert entries and all(isinstance(e, cls) for e in entries)
    kind = cls.model_fields["kind"].annotation.__args__[0]  # type: ignore[union-attr]
    assert [e.id for e in entries] == [e.id for e in catalog.of_kind(kind)]  # sorted by id, as of_kind is


def test_every_entry_cites_a_source(catalog: Catalog) -> None:
    for entry in catalog.entries.values():
        assert entry.source.strip() and entry.confidence in ("primary", "secondary", "derived", "estimate")
        price = getattr(entry, "price", None)
        if price is not None:
            assert price.source.strip()


@pytest.mark.parametrize(
    ("system_id", "accelerators", "max_power_w"),
    [("dgx-h100", 8, 10_200), ("dgx-b200", 8, 14_300), ("dgx-b300", 8, 14_500), ("gb200-nvl72", 72, 120_000)],
    ids=["dgx-h100", "dgx-b200", "dgx-b300", "gb200-nvl72"],
)
def test_systems_carry_reference_figures(
    catalog: Catalog, system_id: str, accelerators: int, max_power_w: float
) -> None:
    system = catalog.get(system_id, System)
    assert system.accelerators == accelerators
    assert system.max_power_w == max_power_w


@pytest.mark.parametrize(
    ("accel", "bf16", "memory_gb"),
    [("h100-sxm", 989, 80), ("h200-sxm", 989, 141), ("b200", 2250, 192), ("mi300x", 1307, 192)],
)
def test_accelerator_dense_peaks(catalog: Catalog, accel: str, bf16: float, memory_gb: float) -> None:
    entry = catalog.get(accel, Accelerator)
    assert entry.dense_tflops["bf16"] == bf16
    assert entry.memory_gb == memory_gb


def test_inheritance_resolves(catalog: Catalog) -> None:
    h100 = catalog.get("dgx-h100", System)
    h200 = catalog.get("dgx-h200", System)
    assert h200.height_u == h100.height_u and h200.accelerator != h100.accelerator


def _user_dir(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "mycat"
    directory.mkdir(exist_ok=True)
    (directory / "extra.yaml").write_text(text, encoding="utf-8")
    return directory


USER_SYSTEM = """\
entries:
  - id: dgx-h100-lab
    extends: dgx-h100
    name: DGX H100 (lab, capped)
    max_power_w: 9000
    source: our lab measurement 2026-10
    confidence: primary
overrides:
  - id: qm9700
    max_power_w: 1500
prices:
  dgx-h100: {usd: 250000, confidence: primary, source: "quote Q-123"}
"""


def test_user_catalog_adds_overrides_and_prices(tmp_path: Path) -> None:
    catalog = load_catalog([_user_dir(tmp_path, USER_SYSTEM)])
    lab = catalog.get("dgx-h100-lab", System)
    assert lab.max_power_w == 9000 and lab.accelerators == 8
    assert catalog.entries["qm9700"].max_power_w == 1500
    assert catalog.entries["qm9700"].ports == 64  # the rest of the entry is kept
    assert catalog.entries["dgx-h100"].price.usd == 250000
    assert catalog.entries["dgx-h100"].price.source == "quote Q-123"


# A quote for one id -> the entry it extends, if any: a system, an entry that inherits its lead time, a support
# server and a facility entry (lead time, no price).
QUOTED_LEAD_TIMES = {"dgx-h100": None, "sn5610": "sn5600", "cs-memoryx-node": None, "power-transformer": None}


@pytest.mark.parametrize("entry_id", sorted(QUOTED_LEAD_TIMES))
def test_lead_times_section_sets_the_quoted_entry(catalog: Catalog, tmp_path: Path, entry_id: str) -> None:
    text = f"lead_times:\n  {entry_id}: {{weeks: 7.5, confidence: primary, source: 'quote Q-9'}}\n"
    quoted = load_catalog([_user_dir(tmp_path, text)])
    entry, builtin = quoted.entries[entry_id], catalog.entries[entry_id]
    assert entry.lead_time == LeadTime(weeks=7.5, confidence="primary", source="quote Q-9")
    assert builtin.lead_time is not None and builtin.lead_time.weeks != 7.5  # the quote changed something
    # only the lead time: the price (if any) and the technical fields stay the built-in ones
    assert entry.model_dump(exclude={"lead_time"}) == builtin.model_dump(exclude={"lead_time"})
    assert quoted.origins[entry_id].name == "extra.yaml"
    parent_id = QUOTED_LEAD_TIMES[entry_id]
    if parent_id is not None:  # a quote for a child never reaches its parent
        assert quoted.entries[parent_id].lead_time == catalog.entries[parent_id].lead_time


@pytest.mark.parametrize(
    ("quoted_id", "other_id", "reached"),
    [("sn5600", "sn5610", True), ("dgx-h100", "dgx-h200", False)],
    ids=["child-inherits", "child-has-its-own"],
)
def test_a_lead_time_quote_reaches_children_without_their_own(
    catalog: Catalog, tmp_path: Path, quoted_id: str, other_id: str, reached: bool
) -> None:
    text = f"lead_times:\n  {quoted_id}: {{weeks: 3, confidence: primary, source: 'quote Q-9'}}\n"
    other = load_catalog([_user_dir(tmp_path, text)]).entries[other_id].lead_time
    assert (other.source == "quote Q-9") is reached
    if not reached:
        assert other == catalog.entries[other_id].lead_time


def test_the_last_directory_quoting_a_lead_time_wins(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    first = _user_dir(tmp_path / "a", "lead_times:\n  qm9700: {weeks: 30, confidence: primary, source: 'quote A'}\n")
    second = _user_dir(tmp_path / "b", "lead_times:\n  qm9700: {weeks: 9, confidence: primary, source: 'quote B'}\n")
    assert load_catalog([first, second]).entries["qm9700"].lead_time.source == "quote B"
    assert load_catalog([second, first]).entries["qm9700"].lead_time.source == "quote A"


BROKEN = [
    ("bad-field", "entries:\n  - id: x1\n    kind: rack\n    name: r\n    vendor: v\n    source: src\n    confidence: primary\n"
     "    height_u: -3\n    standard: eia-310\n    width_mm: 600\n    depth_mm: 1200\n"
     "    price: {usd: 1, confidence: estimate, source: est}\n", "height_u", 8),
    ("unknown-kind", "entries:\n  - id: x2\n    kind: toaster\n", "kind", 3),
    ("cycle", "entries:\n  - id: a1\n    extends: b1\n  - id: b1\n    extends: a1\n", "cycle", None),
    ("unknown-parent", "entries:\n  - id: a1\n    extends: dgx-h10\n", "did you mean dgx-h100", 3),
    ("override-unknown", "overrides:\n  - id: qm970\n    max_power_w: 1\n", "no catalog entry 'qm970'", 2),
    ("price-unknown", "prices:\n  dgxh100: {usd: 1, confidence: primary, source: q}\n", "did you mean dgx-h100", 2),
    ("price-shape", "prices:\n  dgx-h100: {usd: 1, confidence: maybe, source: quote}\n",
     "at 'prices.dgx-h100.confidence': price of 'dgx-h100': confidence:", 2),
    ("price-no-field", "prices:\n  power-transformer: {usd: 1, confidence: primary, source: quote}\n",
     "'power-transformer' (kind facility) has no price", 2),
    ("lead-time-unknown", "lead_times:\n  dgxh100: {weeks: 1, confidence: primary, source: q}\n",
     "did you mean dgx-h100", 2),
    ("lead-time-weeks", "lead_times:\n  dgx-h100: {weeks: 0, confidence: primary, source: quote}\n",
     "at 'lead_times.dgx-h100.weeks': lead time of 'dgx-h100': weeks: Input should be greater than 0", 2),
    ("lead-time-too-long", "\nlead_times:\n  qm9700: {weeks: 600, confidence: primary, source: quote}\n",
     "weeks: Input should be less than or equal to 520", 3),
    ("lead-time-confidence", "lead_times:\n  qm9700: {weeks: 4, confidence: quoted, source: quote}\n",
     "confidence: Input should be 'primary', 'secondary', 'derived' or 'estimate'", 2),
    ("lead-time-missing-source", "lead_times:\n  qm9700: {weeks: 4, confidence: primary}\n",
     "at 'lead_times.qm9700.source'", 2),
    ("lead-time-not-a-mapping", "lead_times:\n  qm9700: 4\n",
     "hint: a lead time is {weeks, confidence, source}", 2),
    ("lead-time-table", "lead_times: [qm9700]\n", "'lead_times' must map entry ids to {weeks, confidence, source}", 1),
    ("lead-time-no-field", "lead_times:\n  h100-sxm: {weeks: 4, confidence: primary, source: quote}\n",
     "'h100-sxm' (kind accelerator) has no lead time", 2),
    ("bad-top-level", "things: []\n", "unknown: things", 1),
    ("bad-reference", "entries:\n  - id: s1\n    extends: dgx-h100\n    accelerator: h100-sxn\n", "unknown accelerator id", None),
    ("missing-source", "entries:\n  - id: s2\n    extends: dgx-h100\n    source: ''\n", "source", 4),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment", "line"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_user_catalog_is_rejected(tmp_path: Path, text: str, fragment: str, line: int | None) -> None:
    directory = _user_dir(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog([directory])
    message = str(info.value)
    assert fragment in message
    assert "extra.yaml" in message
    if line is not None:
        assert f"extra.yaml:{line}" in message


def test_catalog_validate_command(run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, out, _ = run_cli("catalog", "validate", _user_dir(tmp_path, USER_SYSTEM))
    assert code == 0 and "valid" in out
    code, _, err = run_cli("catalog", "validate", tmp_path / "absent")
    assert code == 2 and "not found" in err
