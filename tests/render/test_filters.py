"""Every Jinja filter on ordinary and edge inputs; the quoting filters also against real parsers (csv, PyYAML,
Terraform when installed), so that no value can change the structure of the file it is written into."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import TemplateRuntimeError

from refarch.render.filters import FILTERS, csv_document, csv_field, hcl_string, spreadsheet_text, yaml_string

# (filter, arguments, expected output); ids say what each case checks.
CASES: list[tuple[str, tuple[Any, ...], str, str]] = [
    ("count", (1234567,), "1,234,567", "count-thousands"),
    ("count", (0,), "0", "count-zero"),
    ("count", (-1000,), "-1,000", "count-negative"),
    ("count", (None,), "n/a", "count-none"),
    ("thousands", (12345.678,), "12,346", "thousands-rounds"),
    ("thousands", (1234.5, 1), "1,234.5", "thousands-decimals"),
    ("thousands", (999.5,), "1,000", "thousands-carry"),
    ("thousands", (None,), "n/a", "thousands-none"),
    ("money", (1234567.8,), "$1,234,568", "money-thousands"),
    ("money", (0,), "$0", "money-zero"),
    ("money", (-5,), "-$5", "money-negative"),
    ("money", (-0.4,), "$0", "money-rounds-to-zero"),
    ("money", (None,), "n/a", "money-none"),
    ("kw", (1234.56,), "1,234.6 kW", "kw-thousands"),
    ("kw", (0.04,), "0.0 kW", "kw-small"),
    ("kw", (None,), "n/a", "kw-none"),
    ("mwh", (12345.67,), "12,345.7 MWh", "mwh-thousands"),
    ("mwh", (None,), "n/a", "mwh-none"),
    ("days", (2592000,), "30.0 days", "days-thirty"),
    ("days", (86400 * 1234.5,), "1,234.5 days", "days-thousands"),
    ("days", (None,), "n/a", "days-none"),
    ("percent", (0.4567,), "45.7%", "percent-one-decimal"),
    ("percent", (0.5, 0), "50%", "percent-whole"),
    ("percent", (None,), "n/a", "percent-none"),
    ("ratio", (1.0,), "1:1", "ratio-whole"),
    ("ratio", (4 / 3,), "1.33:1", "ratio-two-decimals"),
    ("ratio", (1.5,), "1.5:1", "ratio-trailing-zero-dropped"),
    ("ratio", (None,), "n/a", "ratio-none"),
    ("csv_field", ("plain",), "plain", "csv-plain"),
    ("csv_field", ("a,b",), '"a,b"', "csv-comma"),
    ("csv_field", ('say "hi"',), '"say ""hi"""', "csv-quotes"),
    ("csv_field", ("two\nlines",), '"two\nlines"', "csv-newline"),
    ("csv_field", (None,), "", "csv-none"),
    ("csv_field", (3.5,), "3.5", "csv-number"),
    ("csv_row", (["a", 1, None, "x,y"],), 'a,1,,"x,y"', "csv-row"),
    ("yaml_string", ("plain",), '"plain"', "yaml-plain"),
    ("yaml_string", ("key: value # note",), '"key: value # note"', "yaml-colon-hash"),
    ("yaml_string", ('say "hi" \\o/',), '"say \\"hi\\" \\\\o/"', "yaml-quote-backslash"),
    ("yaml_string", ("a\nb\tc",), '"a\\nb\\tc"', "yaml-newline-tab"),
    ("yaml_string", ("\x00\x1b\x7f\u2028",), '"\\0\\u001b\\u007f\\u2028"', "yaml-controls"),
    ("yaml_string", ("ünï ☃",), '"ünï ☃"', "yaml-unicode-kept"),
    ("yaml_string", (42,), '"42"', "yaml-number-as-string"),
    ("hcl_string", ("plain",), '"plain"', "hcl-plain"),
    ("hcl_string", ('say "hi"',), '"say \\"hi\\""', "hcl-quotes"),
    ("hcl_string", ("C:\\dir",), '"C:\\\\dir"', "hcl-backslash"),
    ("hcl_string", ("a\nb\r\tc",), '"a\\nb\\r\\tc"', "hcl-newline"),
    ("hcl_string", ("${var.secret}",), '"$${var.secret}"', "hcl-interpolation"),
    ("hcl_string", ("%{ if true }x%{ endif }",), '"%%{ if true }x%%{ endif }"', "hcl-directive"),
    ("hcl_string", ("$${",), '"$$${"', "hcl-escaped-interpolation"),
    ("hcl_string", ("cost $5, 100%",), '"cost $5, 100%"', "hcl-lone-dollar-percent"),
    ("hcl_string", ("\x1b",), '"\\u001b"', "hcl-control"),
    ("dot_string", ('a"b',), '"a\\"b"', "dot-quote"),
    ("dot_string", ("a\\N",), '"a\\\\N"', "dot-backslash"),
    ("dot_string", ("two\r\nlines",), '"two\\nlines"', "dot-newline"),
]


@pytest.mark.parametrize(("name", "args", "expected"), [c[:3] for c in CASES], ids=[c[3] for c in CASES])
def test_filter_output(name: str, args: tuple[Any, ...], expected: str) -> None:
    assert FILTERS[name](*args) == expected


def test_every_filter_has_cases() -> None:
    assert {c[0] for c in CASES} == set(FILTERS)


@pytest.mark.parametrize("name", ["yaml_string", "hcl_string", "dot_string"])
@pytest.mark.parametrize("value", [None, True, ["a"], {"a": 1}], ids=["none", "bool", "list", "dict"])
def test_quoting_filters_refuse_non_scalars(name: str, value: object) -> None:
    with pytest.raises(TemplateRuntimeError, match=f"{name} quotes a string or a number"):
        FILTERS[name](value)


TRICKY = [
    "plain", "", " leading and trailing ", "key: value", "# comment", "- item", "? key", "yes", "no", "on", "off",
    "null", "~", "true", "False", "1e3", "0x10", "010", ".inf", "'single'", '"double"', "back\\slash", "a\nb",
    "a\r\nb", "tab\there", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick`", "{{ jinja }}", "{a: 1}",
    "[1, 2]", "|", ">", "---", "...", "\x00\x07\x1b\x7f\x85\xa0", "\u2028\u2029\ufeff", "ünï ☃ 😀", "${x}", "%{x}",
]  # fmt: skip


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_yaml_string_loads_back_as_the_same_string(text: str) -> None:
    document = f"key: {yaml_string(text)}\nlist:\n  - {yaml_string(text)}\n"
    assert yaml.safe_load(document) == {"key": text, "list": [text]}


@given(st.text())
def test_yaml_string_round_trips_any_text(text: str) -> None:
    assert yaml.safe_load(yaml_string(text)) == text


@given(st.lists(st.one_of(st.text(), st.none(), st.integers()), max_size=6))
def test_csv_fields_read_back_as_written(values: list[str | int | None]) -> None:
    line = ",".join(csv_field(v) for v in values)
    expected = ["" if v is None else spreadsheet_text(v) if isinstance(v, str) else str(v) for v in values]
    rows = list(csv.reader(io.StringIO(line, newline="")))
    if expected in ([], [""]):
        assert rows in ([], [[]])  # an empty record and a record of one empty field read the same
    else:
        assert rows == [expected]


def test_csv_document_quotes_line_breaks_and_ends_records_with_newlines() -> None:
    """A lone carriage return is quoted too: csv.writer with "\n" line ends would leave it bare, ending the record."""
    text = csv_document([("a", "b"), ("x\ry", "p\r\nq"), (None, 1)])
    assert text == 'a,b\n"x\ry","p\r\nq"\n,1\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a", "b"], ["x\ry", "p\r\nq"], ["", "1"]]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_hcl_string_evaluates_to_the_same_string_in_terraform(tmp_path: Path) -> None:
    """Terraform itself evaluates every quoted string; base64 keeps its console's own escaping out of the way."""
    texts = [*TRICKY, "$${", "%%{", "$$${x}", "a\\${b}", "\\n", "$", "%", "}"]
    expression = f"base64encode(jsonencode([{', '.join(hcl_string(t) for t in texts)}]))\n"
    result = subprocess.run(
        ["terraform", "console"], input=expression, capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    encoded = result.stdout.strip().splitlines()[-1].strip('"')
    assert json.loads(base64.b64decode(encoded)) == texts


@pytest.mark.parametrize(
    ("row", "written"),
    [
        (['=HYPERLINK("http://x")', 1], '"\'=HYPERLINK(""http://x"")",1\n'),
        (["+1", "-2", "@sum"], "'+1,'-2,'@sum\n"),
        ([-2, -2.5, "ok"], "-2,-2.5,ok\n"),
        (["a=b", "x-y"], "a=b,x-y\n"),
    ],
    ids=["formula", "every-prefix", "negative-numbers-stay-numbers", "prefix-inside-text"],
)
def test_csv_document_neutralises_spreadsheet_formulas_in_text_cells(row: list[object], written: str) -> None:
    assert csv_document([row]) == written
