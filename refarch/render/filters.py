"""Every custom Jinja filter, in one place: number formats for text outputs and quoting for each target format.

Templates of formats without autoescaping (Markdown, CSV, YAML, HCL, DOT) quote what they interpolate through the
filter of their format, so that a name with a quote, a newline or an interpolation sequence cannot change the
structure of the file it lands in:

- `csv_field`, `csv_row`: RFC 4180 quoting as Python's csv.writer does it (quotes only where needed, and always
  around a carriage return or a newline); `csv_document` is the same for the CSV outputs built in Python.
- `yaml_string`: always a double-quoted YAML scalar, so `yes`, `no`, `null`, `1e3`, `: `, `#`, a leading `-`
  or `*` all stay strings. Ansible templates the strings of its playbooks on its own (`{{ ... }}`); an Ansible
  output that must not evaluate a value has to tag it `!unsafe` as well, which plain YAML parsers reject.
- `hcl_string`: a Terraform/HCL quoted string; `${` and `%{` are escaped as `$${` and `%%{` so that no value
  becomes an interpolation or a template directive.
- `dot_string`: a Graphviz quoted ID.

Number filters render None as "n/a": a value the plan leaves unknown is said to be unknown, not shown as 0.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from jinja2 import TemplateRuntimeError

__all__ = [
    "FILTERS",
    "count",
    "FORMULA_PREFIXES",
    "csv_document",
    "csv_field",
    "csv_row",
    "spreadsheet_text",
    "days",
    "dot_string",
    "hcl_string",
    "kw",
    "money",
    "mwh",
    "percent",
    "thousands",
    "yaml_string",
]

NOT_AVAILABLE: Final = "n/a"
_SECONDS_PER_DAY = 86400


def count(value: int | None) -> str:
    """An integer with thousands separators: `1234567` -> `1,234,567`."""
    return NOT_AVAILABLE if value is None else f"{value:,}"


def thousands(value: float | None, decimals: int = 0) -> str:
    """A number with thousands separators and fixed decimals: `12345.678` -> `12,346`; `(1234.5, 1)` -> `1,234.5`."""
    return NOT_AVAILABLE if value is None else f"{value:,.{decimals}f}"


def money(value: float | None) -> str:
    """US dollars, whole: `1234567.8` -> `$1,234,568`; a negative amount is `-$5`."""
    if value is None:
        return NOT_AVAILABLE
    sign = "-" if round(value) < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def kw(value: float | None) -> str:
    """Kilowatts with one decimal: `1234.56` -> `1,234.6 kW`."""
    return NOT_AVAILABLE if value is None else f"{value:,.1f} kW"


def mwh(value: float | None) -> str:
    """Megawatt-hours with one decimal: `1234.56` -> `1,234.6 MWh`."""
    return NOT_AVAILABLE if value is None else f"{value:,.1f} MWh"


def days(seconds: float | None) -> str:
    """A duration given in seconds, in days with one decimal: `2592000` -> `30.0 days`."""
    return NOT_AVAILABLE if seconds is None else f"{seconds / _SECONDS_PER_DAY:,.1f} days"


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: `0.4567` -> `45.7%`."""
    return NOT_AVAILABLE if fraction is None else f"{fraction * 100:.{decimals}f}%"


def ratio(value: float | None) -> str:
    """An oversubscription as people write it, to two decimals at most: `1.0` -> `1:1`, `1.3333` -> `1.33:1`."""
    return NOT_AVAILABLE if value is None else f"{value:.2f}".rstrip("0").rstrip(".") + ":1"


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """`text` as a spreadsheet shows it and never evaluates it: `=HYPERLINK(...)` -> `'=HYPERLINK(...)`."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_document(rows: Iterable[Iterable[object]]) -> str:
    """CSV records, each ended by "\n", quoted as `csv_row` quotes them: the CSV outputs built in Python use this.
    Text cells that a spreadsheet would evaluate are prefixed with `'` (`spreadsheet_text`); numbers pass as they are.

    csv.writer with "\n" line ends leaves a field holding a lone "\r" unquoted, and readers take that "\r" for
    the end of the record. Each record is written with "\r\n" line ends instead, which makes csv.writer quote
    both characters, and its own line end is then replaced with "\n".
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([spreadsheet_text(v) if isinstance(v, str) else v for v in row])
        lines.append(buffer.getvalue().removesuffix("\r\n"))
    return "".join(f"{line}\n" for line in lines)


def csv_row(values: Iterable[object]) -> str:
    """One CSV record without its line end, each field quoted only where it needs to be (None is empty)."""
    return csv_document([values]).removesuffix("\n")


def csv_field(value: object) -> str:
    """One CSV field, quoted only where needed: `a,b` -> `"a,b"`; quotes are doubled; a newline is kept, quoted.

    None and the empty string are an empty field (csv.writer alone would write `""` for a record of one empty field).
    """
    return "" if value is None or value == "" else csv_row([value])


def _text(value: object, filter_name: str) -> str:
    """The text of a scalar; None, booleans and containers are refused so a template cannot quote them by accident."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateRuntimeError(f"{filter_name} quotes a string or a number, not {type(value).__name__}")
    return str(value)


# Characters YAML's double-quoted style must escape: the quote, the escape, and everything a YAML reader does not
# take literally (C0 and C1 controls, DEL, the Unicode line separators that YAML folds, the BOM, noncharacters).
_YAML_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def _yaml_literal(ch: str) -> bool:
    code = ord(ch)
    return (
        0x20 <= code <= 0x7E
        or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


def _unicode_escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def yaml_string(value: object) -> str:
    """A double-quoted YAML scalar that any YAML 1.1 or 1.2 reader loads back as exactly this string.

    Raises:
        TemplateRuntimeError: `value` is None, a boolean or a container.
    """
    text = _text(value, "yaml_string")
    body = "".join(_YAML_ESCAPES.get(ch) or (ch if _yaml_literal(ch) else _unicode_escape(ch)) for ch in text)
    return f'"{body}"'


_HCL_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_HCL_PLAIN = re.compile(r'[^\\"\x00-\x1f\x7f-\x9f$%]*')


def hcl_string(value: object) -> str:
    """A quoted HCL (Terraform) string that evaluates to exactly this text: no interpolation, no directive.

    Raises:
        TemplateRuntimeError: `value` is None, a boolean or a container.
    """
    if type(value) is str and _HCL_PLAIN.fullmatch(value):
        return f'"{value}"'  # the common case, a name: nothing to escape (a large bundle quotes ~10^6 of them)
    text = _text(value, "hcl_string")
    escaped = "".join(
        _HCL_ESCAPES.get(ch) or (_unicode_escape(ch) if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F else ch)
        for ch in text
    )
    # `$${` is a literal `${` and `%%{` a literal `%{`; a `$` or `%` not before `{` is literal as it is.
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


_DOT_SPECIALS = re.compile(r'[\\"\r\n]')


def dot_string(value: object) -> str:
    """A Graphviz quoted ID: backslashes and quotes escaped (so a name cannot inject `\\N` or end the string),
    newlines as `\\n`, carriage returns dropped.

    Raises:
        TemplateRuntimeError: `value` is None, a boolean or a container.
    """
    if type(value) is str and not _DOT_SPECIALS.search(value):
        return f'"{value}"'  # the common case, a plain name: nothing to escape (validation files quote ~10^6 of them)
    escaped = _text(value, "dot_string").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


# Name in templates -> filter. The Jinja environment registers exactly these.
FILTERS: Final[dict[str, Callable[..., Any]]] = {
    "count": count,
    "csv_field": csv_field,
    "csv_row": csv_row,
    "days": days,
    "dot_string": dot_string,
    "hcl_string": hcl_string,
    "kw": kw,
    "money": money,
    "mwh": mwh,
    "percent": percent,
    "ratio": ratio,
    "thousands": thousands,
    "yaml_string": yaml_string,
}
