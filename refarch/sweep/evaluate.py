"""Evaluating scenarios, where the work runs (a Dask worker, or the caller's process): one scenario becomes its
spec and catalog, is planned without rendering, and is summed up in a `ScenarioResult`.

A scenario whose spec the Spec model refuses, or that planning refuses as input (an unknown platform, a layout
that does not fit), is `invalid`; one with no design within the site's limits is `infeasible`, with the binding
limit as its problem. Neither stops the sweep. Any other exception is a bug and is raised, naming the scenario.

The catalog and the calibration are loaded once per process (`worker_inputs`, keyed by where they come from) and
checked against the hashes the client computed, so that a worker with another catalog cannot mix its results in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refarch.catalog.loader import Catalog, load_catalog
from refarch.errors import InfeasibleError, InputError, Location, RefarchError, SpecError
from refarch.inputs.spec import Spec, validate_spec
from refarch.inputs.yaml_source import YamlDocument
from refarch.perf.calibration.file import Calibration, default_calibration, load_calibration
from refarch.pipeline import plan_spec
from refarch.plan import InferenceEstimate, Plan, TrainingEstimate
from refarch.sweep.fields import CatalogField, SpecField, apply_catalog, apply_spec, catalog_value
from refarch.sweep.records import ScenarioResult, ScenarioStatus
from refarch.sweep.scenarios import Scenario, calibration_sha256, catalog_sha256
from refarch.sweep.sweepfile import Axis

__all__ = [
    "Context",
    "Inputs",
    "Job",
    "Sources",
    "evaluate",
    "evaluate_job",
    "load_inputs",
    "result_from_plan",
    "scenario_inputs",
    "worker_inputs",
]

_SECONDS_PER_DAY = 86_400.0
# ScenarioResult's figures: None for a scenario without a plan.
_FIGURES = (
    "platforms", "systems", "accelerators", "racks", "it_power_kw", "facility_power_kw", "capex_usd",
    "opex_per_year_usd", "tco_usd", "cost_per_accelerator_hour_usd", "cost_per_training_run_usd",
    "cost_per_million_output_tokens_usd", "time_to_train_days", "output_tokens_per_second", "time_to_ready_weeks",
)  # fmt: skip


@dataclass(frozen=True)
class Sources:
    """Where the catalog and the calibration come from (absolute paths; None: the shipped calibration), with the
    hashes of their content as the client loaded them."""

    catalog_dirs: tuple[str, ...]
    calibration: str | None
    catalog_sha256: str
    calibration_sha256: str


@dataclass(frozen=True)
class Inputs:
    """The catalog and calibration every scenario of a sweep plans with."""

    catalog: Catalog
    calibration: Calibration
    sources: Sources


@dataclass(frozen=True)
class Context:
    """What every job of a sweep shares: the inputs' sources, the base spec's data and label, the axes, and the
    sweep file's name (the source of the prices and lead times axes set)."""

    sources: Sources
    base: dict[str, Any]
    base_label: str
    axes: tuple[Axis, ...]
    sweep_file: str


@dataclass(frozen=True)
class Job:
    """One task: a few scenarios of a sweep (batched: a task costs the scheduler more than a fast plan)."""

    context: Context
    scenarios: tuple[Scenario, ...]


def load_inputs(catalog_dirs: tuple[Path, ...], calibration: Path | None) -> Inputs:
    """Load the catalog (built-in plus `catalog_dirs`) and the calibration (`calibration` or the shipped one).

    Raises:
        CatalogError, InputError: as `load_catalog` and `load_calibration` do.
    """
    catalog = load_catalog(list(catalog_dirs))
    fitted = load_calibration(calibration) if calibration is not None else default_calibration()
    sources = Sources(
        catalog_dirs=tuple(str(d.absolute()) for d in catalog_dirs),
        calibration=str(calibration.absolute()) if calibration is not None else None,
        catalog_sha256=catalog_sha256(catalog),
        calibration_sha256=calibration_sha256(fitted),
    )
    return Inputs(catalog, fitted, sources)


_LOADED: dict[Sources, Inputs] = {}
_LOCK = threading.Lock()


def worker_inputs(sources: Sources) -> Inputs:
    """The inputs `sources` names, loaded once per process and checked against the client's hashes.

    Raises:
        InputError: this process loads another catalog or calibration than the client did (another refarch
            version, or different files at those paths).
    """
    with _LOCK:
        if sources not in _LOADED:
            dirs = tuple(Path(d) for d in sources.catalog_dirs)
            inputs = load_inputs(dirs, Path(sources.calibration) if sources.calibration is not None else None)
            for what in ("catalog_sha256", "calibration_sha256"):
                if getattr(inputs.sources, what) != getattr(sources, what):
                    raise InputError(
                        f"a worker's {what.removesuffix('_sha256')} differs from the one the sweep was checked with",
                        Location(None, "--scheduler"),
                        "run the workers with the same refarch version and the same catalog and calibration paths",
                    )
            _LOADED[sources] = inputs
        return _LOADED[sources]


def evaluate_job(job: Job) -> list[ScenarioResult]:
    """The results of a job's scenarios, in its order (the Dask task)."""
    inputs = worker_inputs(job.context.sources)
    return [evaluate(scenario, job.context, inputs) for scenario in job.scenarios]


def evaluate(scenario: Scenario, context: Context, inputs: Inputs) -> ScenarioResult:
    """Plan one scenario (no rendering) and sum it up.

    Raises:
        RuntimeError: planning failed with an exception that is not a `RefarchError` (a bug), naming the scenario.
    """
    try:
        spec, catalog = scenario_inputs(scenario, context, inputs)
    except SpecError as exc:  # the Spec model's refusal; its hint only points to the schema
        return _without_plan(scenario, "invalid", _describe(exc, hint=False))
    try:
        plan = plan_spec(spec, catalog, inputs.calibration)
    except InfeasibleError as exc:
        return _without_plan(scenario, "infeasible", exc.message)
    except RefarchError as exc:
        return _without_plan(scenario, "invalid", _describe(exc))
    except Exception as exc:
        raise RuntimeError(f"scenario {scenario.id} {scenario.values}: {type(exc).__name__}: {exc}") from exc
    return result_from_plan(scenario, plan)


def scenario_inputs(scenario: Scenario, context: Context, inputs: Inputs) -> tuple[Spec, Catalog]:
    """The scenario's spec (the base data with its values set, validated) and catalog (with its prices and lead
    times set)."""
    spec_settings: list[tuple[SpecField, Any]] = []
    catalog_settings: list[tuple[CatalogField, Any]] = []
    for axis in context.axes:
        value = scenario.values[axis.name]
        if isinstance(axis.target, SpecField):
            spec_settings.append((axis.target, value))
        else:
            source = f"sweep {context.sweep_file}, axis {axis.name}"
            catalog_settings.append((axis.target, catalog_value(axis.target, value, source)))
    data = apply_spec(context.base, spec_settings)
    spec = validate_spec(YamlDocument(Path(context.base_label), data))
    return spec, apply_catalog(inputs.catalog, catalog_settings)


def result_from_plan(scenario: Scenario, plan: Plan) -> ScenarioResult:
    """A feasible scenario's row: the plan's summary, performance estimates, economics and schedule (the last two
    None while plans do not carry them)."""
    summary, economics = plan.summary, plan.economics
    training = [e for e in plan.performance if isinstance(e, TrainingEstimate)]
    inference = [e for e in plan.performance if isinstance(e, InferenceEstimate)]
    days = [e.time_to_train_s / _SECONDS_PER_DAY for e in training if e.time_to_train_s is not None]
    costs = economics.workload_costs if economics is not None else []
    runs = [c.usd for c in costs if c.metric == "training run"]
    tokens = [c.usd for c in costs if c.metric == "million output tokens"]
    return ScenarioResult(
        scenario=scenario.id,
        index=scenario.index,
        values=scenario.values,
        status="feasible",
        problem=None,
        platforms="+".join(a.platform for a in plan.compute),
        systems=summary.systems,
        accelerators=summary.accelerators,
        racks=summary.racks,
        it_power_kw=summary.it_power_kw,
        facility_power_kw=summary.facility_power_kw,
        capex_usd=summary.capex_usd,
        capex_by_category=dict(economics.capex_by_category) if economics is not None else {},
        opex_per_year_usd=economics.opex_per_year.total_usd if economics is not None else None,
        tco_usd=economics.tco_usd if economics is not None else None,
        cost_per_accelerator_hour_usd=economics.cost_per_accelerator_hour_usd if economics is not None else None,
        cost_per_training_run_usd=sum(runs) if runs else None,
        cost_per_million_output_tokens_usd=tokens[0] if tokens else None,
        time_to_train_days=max(days) if days else None,
        output_tokens_per_second=sum(e.output_tokens_per_second for e in inference) if inference else None,
        time_to_ready_weeks=plan.schedule.ready_weeks if plan.schedule is not None else None,
    )


def _without_plan(scenario: Scenario, status: ScenarioStatus, problem: str) -> ScenarioResult:
    figures: dict[str, Any] = dict.fromkeys(_FIGURES)
    return ScenarioResult(
        scenario=scenario.id, index=scenario.index, values=scenario.values, status=status, problem=problem, **figures
    )


def _describe(exc: RefarchError, hint: bool = True) -> str:
    """An input error without its file: where in the spec, what, and the hint (a 'did you mean' is worth keeping)."""
    text = exc.message
    if exc.location is not None and exc.location.path and not exc.location.path.startswith("--"):
        text = f"{exc.location.path}: {text}"
    return f"{text} ({exc.hint})" if hint and exc.hint else text
