"""The Jinja environment: escaping by format, strict undefined names, errors that name the template file and line,
and `--templates` overriding the built-in templates file by file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refarch.errors import InputError
from refarch.inputs.resources import builtin_templates_dir
from refarch.plan import Plan
from refarch.render.summary import SUMMARY_TEMPLATE
from refarch.render.templating import Templates, autoescape_for
from refarch.render.views import build_views

ESCAPING = [
    ("review/index.html.j2", True), ("review/page.htm.j2", True), ("netbox/devices.xml.j2", True),
    ("diagrams/rack.svg.j2", True), ("summary/summary.md.j2", False), ("bom/bom.csv.j2", False),
    ("ansible/hosts.yaml.j2", False), ("terraform/netbox/main.tf.j2", False), ("fabric.dot.j2", False),
    (None, False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "escapes"), ESCAPING, ids=[str(n) for n, _ in ESCAPING])
def test_autoescape_follows_the_format_written(name: str | None, escapes: bool) -> None:
    assert autoescape_for(name) is escapes


def _templates(tmp_path: Path, files: dict[str, str]) -> Templates:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Templates([tmp_path])


def test_markup_is_escaped_and_text_formats_are_not(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {"t/page.html.j2": "<p>{{ x }}</p>\n", "t/page.md.j2": "{{ x }}\n"})
    assert templates.render("t/page.html.j2", x="<b>&") == "<p>&lt;b&gt;&amp;</p>\n"
    assert templates.render("t/page.md.j2", x="<b>&") == "<b>&\n"


BROKEN = [
    ("undefined-field", "ok\n{{ plan.power.nope }}\n", r"has no attribute 'nope'", 2),
    ("undefined-name", "{{ plna.summary }}\n", r"'plna' is undefined", 1),
    ("filter-on-wrong-type", "\n\n{{ 'x' | kw }}\n", r"ValueError: Unknown format code 'f'", 3),
    ("quoting-none", "{{ none | yaml_string }}\n", r"yaml_string quotes a string or a number", 1),
    ("syntax", "{% for x in %}\n", r"template syntax error", 1),
]


@pytest.mark.parametrize(("text", "fragment", "line"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_fragment_is_an_input_error_naming_its_file_and_line(
    tmp_path: Path, tiny_plan: Plan, text: str, fragment: str, line: int
) -> None:
    """A user's fragment with a typo fails the whole summary with exit code 2, naming the fragment, not the root."""
    templates = _templates(tmp_path, {"summary/sections/_power.md.j2": text})
    with pytest.raises(InputError) as caught:
        templates.render(SUMMARY_TEMPLATE, plan=tiny_plan, views=build_views(tiny_plan))
    assert caught.value.exit_code == 2
    assert re.search(fragment, caught.value.message)
    assert f"{tmp_path / 'summary/sections/_power.md.j2'}:{line}" in caught.value.render()


def test_a_missing_include_names_the_template(tmp_path: Path) -> None:
    templates = _templates(tmp_path, {"t/root.md.j2": '{% include "t/_nope.md.j2" %}\n'})
    with pytest.raises(InputError, match=r"template 't/_nope.md.j2' not found"):
        templates.render("t/root.md.j2")


def test_a_missing_template_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="template directory not found"):
        Templates([tmp_path / "nope"])


def test_overriding_one_fragment_keeps_the_others(tmp_path: Path, tiny_plan: Plan) -> None:
    views = build_views(tiny_plan)
    builtin = Templates().render(SUMMARY_TEMPLATE, plan=tiny_plan, views=views)
    templates = _templates(
        tmp_path, {"summary/sections/_power.md.j2": "## Power\n\n{{ plan.power.circuits }} circuits\n\n"}
    )
    custom = templates.render(SUMMARY_TEMPLATE, plan=tiny_plan, views=views)
    before, _, after = builtin.partition("## Power\n")
    assert custom.startswith(before + f"## Power\n\n{tiny_plan.power.circuits} circuits\n\n## Cooling\n")
    assert custom.endswith(after[after.index("## Cooling\n") :])


def test_the_summary_root_includes_every_section_fragment() -> None:
    root = (builtin_templates_dir() / SUMMARY_TEMPLATE).read_text(encoding="utf-8")
    included = re.findall(r'{% include "summary/sections/(_[a-z]+\.md\.j2)" %}', root)
    fragments = sorted(p.name for p in (builtin_templates_dir() / "summary" / "sections").glob("*.j2"))
    assert sorted(included) == fragments and len(included) == len(set(included))
    assert "\n".join(line for line in root.splitlines() if not line.startswith("{#")).count("{%") == len(included)
