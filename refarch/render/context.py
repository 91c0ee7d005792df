"""What an output is, and what it is given: the Plan, the shared views and the templates, in one record.

An output is a named plugin with a one-line description and a function from a `RenderContext` to files,
`{relative path: text or bytes}`. The render stage builds the context once and hands the same one to every
selected output, so the views are computed once whatever the number of outputs, and only if an output reads them
(plan.json, the summary, the BOM and the validation files do not: `--outputs plan` builds no views).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from refarch.plan import Plan
from refarch.render.templating import Templates
from refarch.render.views import PlanViews, build_views

__all__ = ["Files", "Output", "RenderContext"]

# Relative POSIX path inside the bundle -> content; text is written as UTF-8 with "\n" line ends.
Files = Mapping[str, str | bytes]


@dataclass(frozen=True)
class RenderContext:
    """Everything an output may read: the Plan, the views shared by all outputs, and the template environment."""

    plan: Plan
    templates: Templates

    @functools.cached_property
    def views(self) -> PlanViews:
        """The shared views of the plan, built the first time an output asks for them."""
        return build_views(self.plan)

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
