"""The Jinja environment of every text output, built in one place.

Templates live under `templates/<target>/`: a root template per file the target writes, which includes one
fragment per section (`templates/summary/summary.md.j2` includes `templates/summary/sections/_*.md.j2`).
Directories given with `--templates` are searched first, file by file, so a user can replace one fragment and
keep the rest.

- `StrictUndefined`: a misspelt field is an error, never an empty cell.
- Autoescaping follows the format the template writes (its name without `.j2`): on for HTML, XML and SVG; off for
  Markdown, CSV, YAML, HCL and DOT, whose templates quote through the filters of `refarch.render.filters`.
- A broken template (syntax, an undefined name, a failing filter, a missing include) is an `InputError`, exit
  code 2, naming the template file and line: templates are input, like the spec, and the one that fails is most
  likely a user's override. Exit code 4 stays for a bundle that cannot be written to disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import jinja2

from refarch.errors import InputError, Location
from refarch.inputs.resources import builtin_templates_dir
from refarch.render.filters import FILTERS

__all__ = ["TEMPLATE_SUFFIX", "Templates", "autoescape_for"]

TEMPLATE_SUFFIX = ".j2"
_ESCAPED_FORMATS = ("html", "htm", "xml", "svg")
_escapes_markup = jinja2.select_autoescape(enabled_extensions=_ESCAPED_FORMATS, default_for_string=False)


def autoescape_for(template_name: str | None) -> bool:
    """Whether the template called `template_name` (e.g. `review/index.html.j2`) autoescapes: only markup does."""
    return template_name is not None and _escapes_markup(template_name.removesuffix(TEMPLATE_SUFFIX))


class Templates:
    """The template environment: user directories searched before the built-in templates, the shared filters."""

    def __init__(self, overrides: Sequence[Path] = ()) -> None:
        """Check the override directories and build the environment.

        Raises:
            InputError: an override directory does not exist.
        """
        for directory in overrides:
            if not directory.is_dir():
                raise InputError("template directory not found", Location(directory), "give a directory of *.j2 files")
        self.search_path = (*overrides, builtin_templates_dir())
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in self.search_path]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,  # a file ends with a newline because its template does
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=autoescape_for,
        )
        self._env.filters.update(FILTERS)

    def render(self, name: str, **variables: object) -> str:
        """Render the template `name` (relative to a template directory) with `variables`.

        Raises:
            InputError: the template or one it includes is missing, does not parse, or fails while rendering; the
                message names the template file and line.
        """
        try:
            return self._env.get_template(name).render(**variables)
        except jinja2.TemplateSyntaxError as exc:
            where = Location(Path(exc.filename or exc.name or name), "", exc.lineno)
            raise InputError(f"template syntax error: {exc.message}", where) from None
        except jinja2.TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in self.search_path)
            raise InputError(f"template '{exc.name}' not found (searched {searched})") from None
        except jinja2.TemplateError as exc:
            raise _failure(exc.message or type(exc).__name__, exc, name, variables) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            # a value of the wrong kind handed to a filter or an operator: the template's mistake, said as such
            raise _failure(f"{type(exc).__name__}: {exc}", exc, name, variables) from None


def _failure(message: str, exc: BaseException, name: str, variables: dict[str, object]) -> InputError:
    seen = ", ".join(f"`{v}`" for v in sorted(variables))
    hint = f"templates see {seen}; `refarch schema plan` lists the plan's fields"
    return InputError(f"template failed: {message}", _failing_line(exc.__traceback__, name), hint)


def _failing_line(trace: TracebackType | None, name: str) -> Location:
    """The innermost template file and line in `trace`: Jinja rewrites its frames to point at the template source."""
    where = Location(Path(name))
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIX):
            where = Location(Path(filename), "", trace.tb_lineno)
        trace = trace.tb_next
    return where
