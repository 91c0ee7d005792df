"""Workload resolution: presets expand, explicit fields override, defaults become assumptions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog
from refarch.errors import CatalogError
from refarch.inputs.spec import load_spec
from refarch.sizing.model_checks import PARAMS_TOLERANCE, shape_params_range
from refarch.sizing.stage import size

from ..conftest import MINIMAL_SPEC, REPO, CliResult


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


SERVE = (REPO / "examples" / "serve-70b.yaml").read_text()


def with_model(fields: str, text: str = SERVE) -> str:
    """The serving example with extra fields under its `model` (each "name: value", comma-separated)."""
    extra = "".join(f"\n      {field.strip()}" for field in fields.split(",") if field.strip())
    return text.replace("      preset: llama3-70b", "      preset: llama3-70b" + extra)


@pytest.mark.parametrize(
    ("text", "path", "fragments"),
    [
        (with_model("kv_heads: 128"), "workloads[0].model.kv_heads", ["kv_heads 128 must divide heads 64"]),
        (with_model("kv_heads: 6"), "workloads[0].model.kv_heads", ["kv_heads 6 must divide heads 64"]),
        (with_model("hidden: 8100"), "workloads[0].model.hidden", ["hidden 8100 is not divisible by heads 64"]),
        (with_model("params: 7B"), "workloads[0].model.params", ["params 7B does not match", "50.7B-70.6B"]),
        (with_model("seq_len: 2048"), "workloads[0].prompt_tokens", ["2048 prompt + 512 output", "context of 2048"]),
        (
            with_model("", SERVE.replace("llama3-70b", "gpt3-175b").replace("    prompt_tokens: 2048", "    #")),
            "workloads[0].output_tokens",
            ["2048 prompt + 512 output", "defaulted: prompt_tokens (default 2048)"],
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "estimate"])
def test_impossible_models_and_requests_are_refused(
    run_cli: Callable[..., CliResult],
    write_spec: Callable[[str], Path],
    command: str,
    text: str,
    path: str,
    fragments: list[str],
) -> None:
    code, out, err = run_cli(command, write_spec(text))
    assert code == 2 and f"at '{path}'" in err and "workload 'chat-70b'" in err and "Traceback" not in out + err
    for fragment in fragments:
        assert fragment in err


def test_every_preset_matches_its_own_shape(catalog: Catalog) -> None:
    """The tolerance is not what lets the presets through: each lies within 2% of the range its shape implies."""
    for model in catalog.of_kind("model"):
        shape = model.shape()
        low, high = shape_params_range(shape)
        assert low * 0.98 <= shape.params <= high * 1.02, model.id
    assert PARAMS_TOLERANCE >= 0.05  # a rounded published count ("70B" for 70.6B) must still pass
