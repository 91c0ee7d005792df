"""Workload resolution: presets expand, explicit fields override, defaults become assumptions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog import Catalog
from refarch.errors import CatalogError
from refarch.sizing import size
from refarch.spec import load_spec

from .conftest import MINIMAL_SPEC


def test_preset_expands_and_overrides(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    text = MINIMAL_SPEC.replace("preset: llama3-8b", "preset: llama3-70b\n      seq_len: 16384").replace(
        "    systems: 2\n", "    systems: 2\n    global_batch_seqs: 512\n"
    )
    workload = size(load_spec(write_spec(text)), catalog).workloads[0]
    assert (workload.model.layers, workload.model.hidden, workload.model.kv_heads) == (80, 8192, 8)
    assert workload.model.seq_len == 16384
    assert workload.global_batch_tokens == 512 * 16384


def test_explicit_shape_defaults_are_stated(catalog: Catalog, write_spec: Callable[[str], Path]) -> None:
    text = MINIMAL_SPEC.replace(
        "preset: llama3-8b", "params: 1.3B\n      layers: 24\n      hidden: 2048\n      heads: 16\n      seq_len: 2048"
    ).replace("    systems: 2\n", "    systems: 2\n    global_batch_tokens: 4M\n")
    sizing = size(load_spec(write_spec(text)), catalog)
    model = sizing.workloads[0].model
    assert model.kv_heads == 16 and model.ffn_hidden == 4 * 2048 and model.vocab is None
    assert sizing.workloads[0].global_batch_seqs == pytest.approx(4e6 / 2048)
    ids = {a.id for a in sizing.assumptions}
    assert {"workload-w1-kv-heads", "workload-w1-ffn-hidden", "workload-w1-batch"} <= ids


@pytest.mark.parametrize(
    ("old", "new", "fragment", "line"),
    [
        ("preset: llama3-8b", "preset: llama3-8", "did you mean llama3-8b", 9),
        ("platform: dgx-h100", "platform: qm9700", "'qm9700' is a switch, not a system", 10),
        ("site:", "network:\n  switch: qm970\nsite:", "did you mean qm9790, qm9700", 13),
    ],
    ids=["preset", "platform-kind", "network-switch"],
)
def test_unknown_ids_name_line_and_suggest(
    catalog: Catalog, write_spec: Callable[[str], Path], old: str, new: str, fragment: str, line: int
) -> None:
    spec = load_spec(write_spec(MINIMAL_SPEC.replace(old, new)))
    with pytest.raises(CatalogError) as info:
        size(spec, catalog)
    assert fragment in str(info.value)
    assert f"spec.yaml:{line} " in str(info.value)
