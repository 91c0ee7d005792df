"""What an output is, and what it is given: the Plan, the shared views and the templates, in one record.

An output is a named plugin with a one-line description and a function from a `RenderContext` to files,
`{relative path: text or bytes}`. The render stage builds the context once and hands the same one to every
selected output, so the views are computed once whatever the number of outputs, and only if an output reads them
(plan.json, the summary, the BOM and the validation files do not: `--outputs plan` builds no views).

An output that describes the bundle (the review's manifest) is marked `describes_bundle`: the render stage builds
it after the others and hands it a context whose `bundle` holds their files. Work that two outputs need (the
diagrams' SVG for `diagrams` and `review`) is done once through `RenderContext.shared`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

from refarch.plan import Plan
from refarch.render.templating import Templates
from refarch.render.views import PlanViews, build_views

__all__ = ["PAPERS", "Files", "Output", "Paper", "RenderContext"]

# Relative POSIX path inside the bundle -> content; text is written as UTF-8 with "\n" line ends.
Files = Mapping[str, str | bytes]

_T = TypeVar("_T")

# The page sizes the printed outputs (review.pdf) lay out for; CSS names them the same.
Paper = Literal["a4", "letter"]
PAPERS: tuple[Paper, ...] = ("a4", "letter")
_NO_FILES: Mapping[str, bytes] = MappingProxyType({})


@dataclass(frozen=True)
class RenderContext:
    """Everything an output may read: the Plan, the views shared by all outputs, and the template environment."""

    plan: Plan
    templates: Templates
    paper: Paper = "a4"  # the page size of printed outputs
    # Files of the outputs rendered before this one, as bytes, by path: given only to outputs that describe the
    # bundle (`Output.describes_bundle`); empty for the others.
    bundle: Mapping[str, bytes] = field(default_factory=lambda: _NO_FILES)
    # What outputs share, computed once: kept across `with_bundle`, so the views are not built twice.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def views(self) -> PlanViews:
        """The shared views of the plan, built the first time an output asks for them."""
        return self.shared("views", lambda: build_views(self.plan))

    def shared(self, key: str, compute: Callable[[], _T]) -> _T:
        """`compute()`'s result, computed the first time any output asks for `key` and kept for the others."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(_T, self._memo[key])

    def computed(self, key: str) -> bool:
        """Whether some output has asked for `key` already (the views are `views`)."""
        return key in self._memo

    def with_bundle(self, files: Mapping[str, bytes]) -> RenderContext:
        """This context for an output that describes the bundle: `files` are the other outputs' files."""
        return replace(self, bundle=MappingProxyType(dict(files)))

    def template(self, name: str) -> str:
        """Render the template `name` with the variables every template sees: `plan` and `views`.

        Raises:
            InputError: the template is missing, broken or fails (the message names its file and line).
        """
        return self.templates.render(name, plan=self.plan, views=self.views)


@dataclass(frozen=True)
class Output:
    """A named output: `build` turns the context into the files it writes."""

    name: str
    description: str
    build: Callable[[RenderContext], Files]
    # Rendered after the other outputs, with their files in `RenderContext.bundle` (for a manifest of the bundle).
    describes_bundle: bool = False
