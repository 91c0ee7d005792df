"""The CLI: exit codes, clear one-message errors (never a traceback), safe output directories."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import refarch.cli.console as console
from refarch.render.registry import output_names

from ..conftest import EXAMPLES, MINIMAL_SPEC, REPO, CliResult

Run = Callable[..., CliResult]


def test_version(run_cli: Run) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("refarch ")


def test_plan_writes_bundle_and_summary(run_cli: Run, tmp_path: Path) -> None:
    code, out, err = run_cli("plan", REPO / "examples/dgx-h100-su.yaml", "-o", tmp_path / "b")
    assert code == 0, err
    assert "bundle written to" in out and "systems" in out
    names = {p.name for p in (tmp_path / "b").iterdir()}
    assert names == {
        "plan.json",
        "summary.md",
        "bom.csv",
        "bom.xlsx",
        "cabling.csv",
        "manifest.json",
        "diagrams",
        "validation",
        "ansible",
        "terraform",
        "review.pdf",
        "review.html",
    }


def test_existing_directory_is_not_overwritten_without_force(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "b"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    code, _, err = run_cli("plan", REPO / "examples/dgx-h100-su.yaml", "-o", target)
    assert code == 4 and "--force" in err
    assert (target / "keep.txt").read_text() == "mine"
    code, _, err = run_cli("plan", REPO / "examples/dgx-h100-su.yaml", "-o", target, "--force")
    assert code == 0, err
    assert not (target / "keep.txt").exists() and (target / "plan.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging leftovers


def test_failed_plan_leaves_no_partial_bundle(run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path) -> None:
    spec = write_spec(MINIMAL_SPEC + "  power_budget: 10 kW\n")
    code, _, err = run_cli("plan", spec, "-o", tmp_path / "out")
    assert code == 3 and "site power budget" in err
    assert not (tmp_path / "out").exists()


BAD_INPUTS = [
    ("malformed", "a: [1,\n", 2, "invalid YAML"),
    ("unknown-key", MINIMAL_SPEC.replace("kind: Workload", "kind: Workload\nkindd: x"), 2, "unknown key 'kindd'"),
    ("wrong-unit", MINIMAL_SPEC.replace("40 kW", "40 kg"), 2, "is not a power"),
    ("zero-count", MINIMAL_SPEC.replace("systems: 2", "systems: 0"), 2, "greater than 0"),
    ("unknown-platform", MINIMAL_SPEC.replace("dgx-h100", "dgx-h1000"), 2, "did you mean dgx-h100"),
    ("duplicate-key", MINIMAL_SPEC.replace("kind: Workload", "kind: Workload\nkind: Workload"), 2, "duplicate key"),
    ("alias-bomb", "a: &a [1,1,1,1]\nb: [*a,*a,*a,*a]\n", 2, "not allowed"),
    ("inference-target-unmet", MINIMAL_SPEC.replace("type: training", "type: inference").replace("    platform: dgx-h100\n    systems: 2\n", "    target:\n      output_tokens_per_second: 1000000\n") + "  power_budget: 200 kW\n",
     3, "nearest:"),
    ("inference-ttft-unmet", MINIMAL_SPEC.replace("type: training", "type: inference").replace("    platform: dgx-h100\n    systems: 2\n", "    target:\n      ttft_p99: 1 ms\n"),
     3, "spec.yaml:11 at 'workloads[0].target.ttft_p99'"),
    ("request-on-training", MINIMAL_SPEC.replace("systems: 2", "systems: 2\n    prompt_tokens: 100"), 2, "describe inference requests"),
    ("training-fields-on-inference", MINIMAL_SPEC.replace("type: training", "type: inference").replace("systems: 2", "systems: 2\n    tokens: 1T"), 2, "tokens describe training"),
    ("pipeline-on-inference", MINIMAL_SPEC.replace("type: training", "type: inference").replace("systems: 2", "systems: 2\n    parallelism: {tp: 8, pp: 2}"), 2, "parallelism.pp is not modelled for inference"),
    ("target-unmet", MINIMAL_SPEC.replace("    platform: dgx-h100\n    systems: 2\n", "    tokens: 15T\n    target:\n      time_to_train: 30 days\n") + "  power_budget: 200 kW\n",
     3, "nearest:"),
    ("target-without-tokens", MINIMAL_SPEC.replace("    platform: dgx-h100\n    systems: 2\n", "    target:\n      time_to_train: 30 days\n"),
     2, "no 'tokens'"),
    ("rack-too-small", MINIMAL_SPEC.replace("40 kW", "8 kW"), 3, "spec.yaml:13 at 'site.rack_power_limit'"),
    ("no-liquid", MINIMAL_SPEC.replace("dgx-h100", "gb200-nvl72").replace("40 kW", "140 kW"), 3, "needs liquid cooling"),
    ("too-many-racks", MINIMAL_SPEC.replace("systems: 2", "systems: 40") + "  max_racks: 3\n", 3, "the site allows 3"),
    ("budget", MINIMAL_SPEC + "budget: 1000 USD\n", 3, "over by"),
    ("no-pdu", MINIMAL_SPEC + "  feed:\n    voltage: 480 V\n", 2, "no PDU in the catalog"),
    ("no-rack-height", MINIMAL_SPEC + "  rack_height: 45\n", 2, "no rack of 45U"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "code", "fragment"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_one_clear_message(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path, text: str, code: int, fragment: str
) -> None:
    spec = write_spec(text)
    actual, out, err = run_cli("plan", spec, "-o", tmp_path / "out")
    assert actual == code, err
    assert fragment in err
    assert "Traceback" not in err + out
    assert err.startswith("error:")
    assert "spec.yaml:" in err  # every message names the file, with a line where one exists
    assert not (tmp_path / "out").exists()


def test_huge_spec_is_refused(run_cli: Run, write_spec: Callable[[str], Path]) -> None:
    code, _, err = run_cli("validate", write_spec("# " + "x" * 2_000_000 + "\n"))
    assert code == 2 and "limit" in err


def test_validate_accepts_examples(run_cli: Run) -> None:
    for example in EXAMPLES:
        code, out, err = run_cli("validate", example)
        assert code == 0, err
        assert "valid" in out


@pytest.mark.parametrize("which", ["spec", "sweep", "plan", "catalog"])
def test_schema_commands_print_json(run_cli: Run, which: str) -> None:
    code, out, _ = run_cli("schema", which)
    assert code == 0
    assert "properties" in json.loads(out) or "oneOf" in json.loads(out) or "$defs" in json.loads(out)


def test_schema_rejects_unknown_name(run_cli: Run) -> None:
    code, _, err = run_cli("schema", "plans")
    assert code == 2 and "spec, sweep, plan, catalog" in err


def test_catalog_list_and_show(run_cli: Run) -> None:
    code, out, _ = run_cli("catalog", "list", "--kind", "switch")
    assert code == 0 and "qm9700" in out and "dgx-h100" not in out
    code, out, _ = run_cli("catalog", "show", "dgx-h200")
    entry = json.loads(out)
    assert code == 0 and entry["id"] == "dgx-h200" and entry["source"]
    assert entry["price"]["usd"] > 0 and entry["lead_time"]["weeks"] > 0 and entry["lead_time"]["source"]
    code, out, _ = run_cli("catalog", "list", "--kind", "facility")
    assert code == 0 and "power-transformer" in out and "dgx-h100" not in out
    code, out, _ = run_cli("catalog", "show", "power-transformer")
    entry = json.loads(out)
    assert code == 0 and entry["role"] == "transformer" and entry["lead_time"]["weeks"] > 0 and "price" not in entry
    code, _, err = run_cli("catalog", "show", "dgx-h2000")
    assert code == 2 and "did you mean" in err
    code, _, err = run_cli("catalog", "list", "--kind", "swtich")
    assert code == 2 and "valid kinds" in err


def test_missing_spec_file(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("plan", tmp_path / "nope.yaml")
    assert code == 2 and "file not found" in err


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: refarch/v1\nkind: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "refarch", "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "bad.yaml" in result.stderr


@pytest.mark.parametrize(
    ("template", "code", "fragment"),
    [
        ("# {{ plan.nope }}\n", 2, "has no attribute 'nope'"),
        ("# {% for x in %}\n", 2, "summary.md.j2:1"),
    ],
    ids=["undefined", "syntax"],
)
def test_user_template_errors_are_reported(
    run_cli: Run, tmp_path: Path, template: str, code: int, fragment: str
) -> None:
    templates = tmp_path / "tpl" / "summary"
    templates.mkdir(parents=True)
    (templates / "summary.md.j2").write_text(template)
    actual, _, err = run_cli(
        "plan", REPO / "examples/dgx-h100-su.yaml", "-o", tmp_path / "o", "--templates", tmp_path / "tpl"
    )
    assert actual == code and fragment in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_user_template_overrides_builtin(run_cli: Run, tmp_path: Path) -> None:
    templates = tmp_path / "tpl" / "summary"
    templates.mkdir(parents=True)
    (templates / "summary.md.j2").write_text("{{ plan.summary.systems }} systems\n")
    code, _, err = run_cli(
        "plan", REPO / "examples/dgx-h100-su.yaml", "-o", tmp_path / "o", "--templates", tmp_path / "tpl"
    )
    assert code == 0, err
    assert (tmp_path / "o" / "summary.md").read_text() == "31 systems\n"


def test_unwritable_output_is_a_clear_error(run_cli: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("plan", REPO / "examples/dgx-h100-su.yaml", "-o", blocker / "sub")
    assert code == 4 and "Traceback" not in err


def test_output_is_identical_across_processes(tmp_path: Path) -> None:
    """Hash seeds differ per process; the bundle must not depend on them."""
    bundles = []
    for seed in ("1", "2"):
        out = tmp_path / f"b{seed}"
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        subprocess.run(
            [sys.executable, "-m", "refarch", "plan", str(REPO / "examples/cerebras-cs3.yaml"), "-o", str(out)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        bundles.append({str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert bundles[0] == bundles[1]


def test_tables_are_not_cut_to_80_columns_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_unattended", lambda: True)
    assert console.make_console().width == console.UNATTENDED_WIDTH
    monkeypatch.setattr(console, "_unattended", lambda: False)
    monkeypatch.setenv("COLUMNS", "100")
    assert console.make_console().width == 100  # a terminal or an explicit width keeps rich's choice


def test_unattended_means_no_terminal_and_no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, name, io.StringIO())
    monkeypatch.delenv("COLUMNS", raising=False)
    assert console._unattended()
    monkeypatch.setenv("COLUMNS", "90")
    assert not console._unattended()


def test_help_reflows_paragraphs_and_keeps_defaults(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docstring line breaks are not kept (a paragraph fills the terminal), and "[default: ...]" is not eaten as
    a rich style tag."""
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_cli("estimate", "--help")
    assert code == 0
    assert "the fewest systems that meet the target" in out  # one docstring line ends after "fewest"
    assert "[default: the spec's]" in out
    code, out, _ = run_cli("plan", "--help")
    assert code == 0 and "[default: bundles/NAME" in out


def test_list_outputs_needs_no_spec_and_names_every_output(run_cli: Run) -> None:
    code, out, err = run_cli("plan", "--list-outputs")
    assert code == 0, err
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(output_names())
    assert all(len(line.split(maxsplit=1)) == 2 for line in out.splitlines())  # each with its description


BAD_OUTPUTS = [
    ("unknown", "sumary,bom", ["option --outputs", "unknown output 'sumary'", "did you mean 'summary'?",
                               "valid outputs: plan, summary, bom, workbook, cabling, diagrams, validation"]),
    ("empty", "", ["option --outputs", "no output given", "valid outputs: plan, summary"]),
    ("trailing-comma", "bom,", ["option --outputs", "an empty output name in 'bom,'"]),
    ("repeated", "bom,bom", ["option --outputs", "output bom given more than once"]),
]  # fmt: skip


@pytest.mark.parametrize(("value", "fragments"), [b[1:] for b in BAD_OUTPUTS], ids=[b[0] for b in BAD_OUTPUTS])
def test_bad_outputs_option_exits_2_naming_what_is_valid(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path, value: str, fragments: list[str]
) -> None:
    code, out, err = run_cli("plan", write_spec(MINIMAL_SPEC), "-o", tmp_path / "out", "--outputs", value)
    assert code == 2
    assert err.startswith("error:") and "Traceback" not in err + out
    assert all(f in err for f in fragments), err
    assert not (tmp_path / "out").exists()


def test_outputs_option_writes_only_those_and_their_manifest(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path
) -> None:
    code, _, err = run_cli("plan", write_spec(MINIMAL_SPEC), "-o", tmp_path / "b", "--outputs", "summary, bom,cabling")
    assert code == 0, err
    written = {p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*")}
    assert written == {"summary.md", "bom.csv", "cabling.csv", "manifest.json"}
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["bom.csv", "cabling.csv", "summary.md"]


def test_user_fragment_with_an_undefined_name_exits_2_naming_the_fragment(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path
) -> None:
    """Templates are input like the spec: a typo in an override is exit code 2 (4 is for a bundle that cannot be
    written), with the fragment's file and line."""
    fragment = tmp_path / "tpl" / "summary" / "sections" / "_racks.md.j2"
    fragment.parent.mkdir(parents=True)
    fragment.write_text("## Racks\n\n{{ plan.rackz }}\n")
    code, out, err = run_cli(
        "plan", write_spec(MINIMAL_SPEC), "-o", tmp_path / "o", "--templates", tmp_path / "tpl", "--outputs", "summary"
    )
    assert code == 2 and "Traceback" not in err + out
    assert f"{fragment}:3: template failed:" in err and "has no attribute 'rackz'" in err
    assert not (tmp_path / "o").exists()


def test_user_fragment_overrides_only_its_section(
    run_cli: Run, write_spec: Callable[[str], Path], tmp_path: Path
) -> None:
    fragment = tmp_path / "tpl" / "summary" / "sections" / "_racks.md.j2"
    fragment.parent.mkdir(parents=True)
    fragment.write_text("## Racks\n\n{{ plan.racks | length }} racks\n\n")
    spec = write_spec(MINIMAL_SPEC)
    code, _, err = run_cli("plan", spec, "-o", tmp_path / "o", "--templates", tmp_path / "tpl", "--outputs", "summary")
    assert code == 0, err
    code, _, err = run_cli("plan", spec, "-o", tmp_path / "builtin", "--outputs", "summary")
    assert code == 0, err
    custom, builtin = ((tmp_path / d / "summary.md").read_text() for d in ("o", "builtin"))
    assert "\n## Racks\n\n2 racks\n\n## Power\n" in custom
    assert custom.split("## Racks")[0] == builtin.split("## Racks")[0]
    assert custom.split("## Power")[1] == builtin.split("## Power")[1]
