"""The review output: review.pdf read back with pypdf (sections, headline figures, page numbers), both files
byte-identical across runs, user text escaped, and the section builders' figures checked against the plan.

The browser tests of review.html are in tests/render/review/.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from refarch import load_spec
from refarch.catalog.loader import Catalog
from refarch.errors import InputError, OutputError
from refarch.pipeline import plan_spec
from refarch.plan import Plan, TrainingEstimate
from refarch.render.filters import kw, money
from refarch.render.review.failures import failure_domains, single_homed
from refarch.render.review.inventory import MANIFEST_DIRECTORY_LIMIT, bom_by_category, manifest_entries, rack_groups
from refarch.render.review.pdf import html_to_pdf
from refarch.render.review.risks import THIN_MARGIN, risks
from refarch.render.stage import render

from ..conftest import REPO, with_description

SECTIONS = (
    "Requirements",
    "Executive summary",
    "Decisions",
    "Compute and performance",
    "Networks",
    "Racks",
    "Power and cooling",
    "Cost and time",
    "Failure domains",
    "Risks",
    "Bill of materials",
    "Assumptions",
    "Bundle manifest",
)
REVIEWED = ("dgx-h100-su", "cerebras-cs3", "train-70b-in-30-days")
OUTPUTS = ["plan", "bom", "review"]


@pytest.fixture(scope="module")
def plans(catalog: Catalog) -> dict[str, Plan]:
    return {name: plan_spec(load_spec(REPO / "examples" / f"{name}.yaml"), catalog) for name in REVIEWED}


@pytest.fixture(scope="module")
def bundles(plans: dict[str, Plan], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reviews")
    return {name: render(plan, root / name, outputs=OUTPUTS) for name, plan in plans.items()}


def _pdf_text(path: Path, layout: bool = False) -> list[str]:
    """Each page's text: in content order (a table cell's lines together), or as laid out (`layout`), which keeps
    the contents' dot leaders and the page numbers after them."""
    pages = PdfReader(path).pages
    if layout:
        return [page.extract_text(extraction_mode="layout") for page in pages]
    return [page.extract_text() for page in pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", REVIEWED)
def test_the_pdf_has_every_section_in_order_with_page_numbers(bundles: dict[str, Path], name: str) -> None:
    pages = _pdf_text(bundles[name] / "review.pdf", layout=True)
    # Each section starts a page with its numbered heading.
    starts = {}
    for number, heading in enumerate(SECTIONS, start=1):
        found = [i for i, text in enumerate(pages) if _flat(text).strip().startswith(f"{number}. {heading}")]
        assert found, f"section {number}. {heading} starts no page"
        starts[heading] = found[0] + 1
    assert list(starts.values()) == sorted(starts.values())
    contents = _flat(pages[1])
    for heading, page in starts.items():  # the table of contents gives each section's page
        assert re.search(rf"{re.escape(heading)}\s*\.+\s*{page}\b", contents), (heading, page)
    total = len(pages)
    assert f"page 2 of {total}" in _flat(pages[1]) and f"page {total} of {total}" in _flat(pages[-1])


@pytest.mark.parametrize("name", REVIEWED)
def test_the_pdf_states_the_headline_figures_of_the_plan(
    bundles: dict[str, Path], plans: dict[str, Plan], name: str
) -> None:
    plan = plans[name]
    text = _flat(" ".join(_pdf_text(bundles[name] / "review.pdf")))
    summary = plan.summary
    for figure in (f"{summary.accelerators:,}", money(summary.capex_usd), kw(summary.it_power_kw),
                   kw(summary.facility_power_kw)):  # fmt: skip
        assert figure in text, figure
    for allocation in plan.compute:
        assert f"Platform for {allocation.workload}" in text
        assert f"{allocation.systems:,} x {allocation.platform_name}" in text
    for estimate in plan.performance:
        if isinstance(estimate, TrainingEstimate) and estimate.time_to_train_s is not None:
            assert f"{estimate.time_to_train_s / 86400:.1f} days" in text
    for assumption in plan.assumptions:
        assert assumption.id in text.replace(" ", "")  # a long id wraps in its cell
    for fabric in plan.fabrics:
        assert f"Fabric '{fabric}'" in text


def test_the_pdf_and_html_are_byte_identical_across_runs(plans: dict[str, Plan], tmp_path: Path) -> None:
    first = render(plans["cerebras-cs3"], tmp_path / "a", outputs=OUTPUTS)
    second = render(plans["cerebras-cs3"], tmp_path / "b", outputs=OUTPUTS)
    for name in ("review.pdf", "review.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_pdf_carries_a_date_only_when_source_date_epoch_is_set(
    plans: dict[str, Plan], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    undated = PdfReader(render(plans["cerebras-cs3"], tmp_path / "a", outputs=["review"]) / "review.pdf")
    assert undated.metadata is None or undated.metadata.creation_date is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    dated = PdfReader(render(plans["cerebras-cs3"], tmp_path / "b", outputs=["review"]) / "review.pdf")
    assert dated.metadata is not None and dated.metadata.creation_date is not None
    assert dated.metadata.creation_date.year == 2026


def test_the_manifest_lists_the_other_outputs_files_with_their_digests(bundles: dict[str, Path]) -> None:
    bundle = bundles["dgx-h100-su"]
    html = (bundle / "review.html").read_text()
    for name in ("plan.json", "bom.csv"):
        assert f"<code>{name}</code>" in html
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() in html
    assert "<code>review.pdf</code>" not in html  # the review cannot list itself


def test_large_directories_collapse_in_the_manifest() -> None:
    files = {f"ansible/inventory/host_vars/h{i:03d}.yml": str(i).encode() for i in range(MANIFEST_DIRECTORY_LIMIT + 1)}
    files |= {"plan.json": b"{}", "ansible/site.yml": b"- hosts: all\n"}
    entries = {e.path: e for e in manifest_entries(files)}
    assert set(entries) == {"plan.json", "ansible/site.yml", "ansible/inventory/host_vars/"}
    collapsed = entries["ansible/inventory/host_vars/"]
    assert collapsed.files == MANIFEST_DIRECTORY_LIMIT + 1
    assert collapsed.size_bytes == sum(len(v) for k, v in files.items() if "host_vars" in k)
    assert entries["plan.json"].sha256 == hashlib.sha256(b"{}").hexdigest()


def test_user_text_is_escaped_in_the_html_and_literal_in_the_pdf(
    catalog: Catalog, write_spec: object, tmp_path: Path
) -> None:
    hostile = "<script>alert(1)</script> & <b>bold</b> =SUM(A1)"
    text = with_description((REPO / "examples" / "cerebras-cs3.yaml").read_text(), hostile)
    spec_path = tmp_path / "hostile.yaml"
    spec_path.write_text(text)
    bundle = render(plan_spec(load_spec(spec_path), catalog), tmp_path / "b", outputs=["review"])
    html = (bundle / "review.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert hostile in _flat(" ".join(_pdf_text(bundle / "review.pdf")))


def test_rack_groups_cover_every_rack_once(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        groups = rack_groups(plan)
        names = [name for g in groups for name in g.racks]
        assert sorted(names) == sorted(r.name for r in plan.racks)
        by_name = {r.name: r for r in plan.racks}
        for group in groups:
            assert {by_name[n].it_power_kw for n in group.racks} == {group.it_power_kw}


def test_bom_categories_add_up_to_the_capital_cost(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        categories = bom_by_category(plan)
        assert sum(c.extended_usd for c in categories) == pytest.approx(plan.summary.capex_usd)
        assert sum(c.lines for c in categories) == len(plan.bom)
        assert all(0 <= c.estimated_usd <= c.extended_usd for c in categories)


def test_one_compute_leaf_takes_one_rail_of_its_systems(plans: dict[str, Plan]) -> None:
    plan = plans["dgx-h100-su"]
    rails = plan.fabrics["compute"].rails
    leaf = next(d for d in failure_domains(plan) if d.component == "one compute leaf")
    assert leaf.count == plan.fabrics["compute"].switches["leaf"]
    systems = sum(c.systems for c in plan.compute)
    assert f"{systems} of them lose {1 / rails:.0%} of their compute links" in leaf.impact
    spine = next(d for d in failure_domains(plan) if d.component == "one compute spine")
    assert spine.count == plan.fabrics["compute"].switches["spine"]


def test_a_target_met_by_a_thin_margin_is_a_risk(plans: dict[str, Plan]) -> None:
    plan = plans["train-70b-in-30-days"]
    estimate = next(p for p in plan.performance if isinstance(p, TrainingEstimate))
    assert estimate.time_to_train_s is not None and estimate.target_time_to_train_s is not None
    margin = 1 - estimate.time_to_train_s / estimate.target_time_to_train_s
    assert margin < THIN_MARGIN  # target sizing picks the fewest systems that meet it: the margin is thin
    titles = [r.title for r in risks(plan)]
    assert f"{estimate.workload}: time-to-train target met by a thin margin" in titles
    assert any("estimated prices" in t for t in titles)  # the catalog's prices are estimates
    fixed = plans["dgx-h100-su"]
    assert not any("thin margin" in r.title for r in risks(fixed))  # no target, no margin


def test_the_review_pdf_is_a_pdf_of_a4_pages(bundles: dict[str, Path]) -> None:
    reader = PdfReader(io.BytesIO((bundles["dgx-h100-su"] / "review.pdf").read_bytes()))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_the_platform_decision_lists_every_candidate_weighed_with_its_outcome(
    bundles: dict[str, Path], plans: dict[str, Plan]
) -> None:
    plan = plans["train-70b-in-30-days"]
    (decision,) = plan.decisions
    text = _flat(" ".join(_pdf_text(bundles["train-70b-in-30-days"] / "review.pdf")))
    section = text[text.index("Platform for pretrain-70b") : text.index("Compute fabric technology")]
    squashed = section.replace(" ", "")  # a narrow cell wraps `not-designed` after its hyphen
    for candidate in decision.candidates:
        assert f"({candidate.platform})" in squashed and candidate.status in squashed, candidate.platform
    chosen = next(c for c in decision.candidates if c.status == "chosen")
    assert chosen.capex_usd is not None and money(chosen.capex_usd) in section
    html = (bundles["train-70b-in-30-days"] / "review.html").read_text()
    assert 'id="plot-sizing-pretrain-70b"' in html  # the curves of every candidate, next to the decision
    assert html.index("Platform for pretrain-70b") < html.index('id="plot-sizing-pretrain-70b"')
    assert html.index('id="plot-sizing-pretrain-70b"') < html.index("Compute fabric technology")


def test_a_malformed_source_date_epoch_is_bad_input(
    plans: dict[str, Plan], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH='yesterday' is not a date"):
        render(plans["cerebras-cs3"], tmp_path / "b", outputs=["review"])
    assert not (tmp_path / "b").exists()


def test_without_weasyprint_the_review_fails_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if Pango (or WeasyPrint) could not be loaded
    with pytest.raises(OutputError, match="WeasyPrint cannot be loaded") as caught:
        html_to_pdf("<p>x</p>")
    assert "libpango" in caught.value.hint and "--outputs" in caught.value.hint


def test_design_gaps_are_risks(plans: dict[str, Plan]) -> None:
    wafer = plans["cerebras-cs3"]
    titles = {r.title for r in risks(wafer)}
    assert "CDUs and liquid loops not sized" in titles  # liquid racks, and no CDU in the plan yet
    single = {e for e in single_homed(wafer.fabrics["compute"]) if e.startswith("cs-3-")}
    assert single and f"{len(single)} compute systems hang off a single switch of the compute fabric" in titles
    gpu = plans["dgx-h100-su"]
    assert "no scale-out compute fabric" not in {r.title for r in risks(gpu)}
    assert not any("CDU" in r.title or "single switch" in r.title for r in risks(gpu))
    unjoined = gpu.model_copy(update={"fabrics": {k: v for k, v in gpu.fabrics.items() if k != "compute"}})
    assert "no scale-out compute fabric" in {r.title for r in risks(unjoined)}


def test_letter_paper_keeps_every_section(plans: dict[str, Plan], tmp_path: Path) -> None:
    bundle = render(plans["cerebras-cs3"], tmp_path / "b", outputs=["review"], paper="letter")
    reader = PdfReader(bundle / "review.pdf")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # US Letter in points
    text = _flat(" ".join(_pdf_text(bundle / "review.pdf")))
    for number, heading in enumerate(SECTIONS, start=1):
        assert f"{number}. {heading}" in text


def test_an_unknown_paper_size_is_refused_before_planning(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_cli("plan", REPO / "examples" / "cerebras-cs3.yaml", "--paper", "a5")
    assert code == 2
    assert "option --paper: unknown paper size 'a5'" in err and "one of a4, letter" in err
