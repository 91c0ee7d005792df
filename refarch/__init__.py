"""refarch: reference architectures for AI data centres from a workload spec and a hardware catalog.

Library API, one function per pipeline stage:

    spec = load_spec(path); catalog = load_catalog(); sizing = size(spec, catalog)
    plan = solve(spec, catalog, sizing); render(plan, outdir)

or, with target-sized compute re-sized when the whole design overruns the site's limits,
`plan = plan_spec(spec, catalog)`.
"""

from __future__ import annotations

from refarch.catalog.loader import Catalog, load_catalog
from refarch.design.solve import solve
from refarch.errors import RefarchError
from refarch.inputs.spec import Spec, load_spec
from refarch.pipeline import plan_spec
from refarch.plan import REFARCH_VERSION, Plan
from refarch.render.stage import render
from refarch.sizing.stage import size

__version__ = REFARCH_VERSION

__all__ = [
    "Catalog",
    "Plan",
    "RefarchError",
    "Spec",
    "__version__",
    "load_catalog",
    "load_spec",
    "render",
    "plan_spec",
    "size",
    "solve",
]
