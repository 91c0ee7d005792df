"""One workload as sizing sees it: the spec it came from, the catalog and calibration it is estimated with, and its
resolved plan. Sizing, target search and the `estimate` rows pass this one record instead of the five things it
holds, and it builds the perf model's setup for a platform the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from refarch.catalog.loader import Catalog
from refarch.catalog.models import System
from refarch.errors import Location
from refarch.inputs.spec import Spec, WorkloadSpec
from refarch.perf.calibration.file import Calibration
from refarch.perf.inference.estimate import InferenceRequest
from refarch.perf.inference.serving import ServingSetup, serve_at_size
from refarch.perf.platform import Platform
from refarch.perf.records import EstimateResult
from refarch.perf.training.estimate import estimate_training
from refarch.perf.training.setup import ScaleOut, TrainingSetup
from refarch.sizing.network_choice import scalable_unit_systems
from refarch.types import WorkloadPlan

__all__ = ["WorkloadContext", "scale_out", "workload_contexts"]


@dataclass(frozen=True)
class WorkloadContext:
    """`spec.workloads[index]`, resolved as `workload`, with the catalog and calibration it is estimated with."""

    spec: Spec
    catalog: Catalog
    calibration: Calibration
    index: int
    workload: WorkloadPlan

    @property
    def given(self) -> WorkloadSpec:
        """The workload as the spec writes it."""
        return self.spec.workloads[self.index]

    def where(self, *path: str | int) -> Location:
        """Location of a field of this workload in the spec."""
        return self.spec.where("workloads", self.index, *path)

    def request(self) -> InferenceRequest:
        """The requests an inference workload serves; unset sizes take the model's defaults (listed as
        assumptions). Concurrency is the target's, else the fixed size's."""
        given = self.given
        concurrency = given.target.concurrency if given.target is not None else given.concurrency
        workload = self.workload
        return InferenceRequest(
            workload.model, workload.precision, concurrency, given.prompt_tokens, given.output_tokens
        )

    def training(self, platform: Platform) -> TrainingSetup:
        """The training model's setup on `platform`: the spec's fabric and PUE."""
        scale = scale_out(self.spec, self.catalog, platform)
        return TrainingSetup(self.workload, platform, self.calibration, scale, self.spec.site.pue)

    def serving(self, platform: Platform) -> ServingSetup:
        """The inference model's setup on `platform`."""
        return ServingSetup(self.workload, self.request(), platform)

    def estimate_at(self, platform: Platform, systems: int) -> EstimateResult:
        """The workload on `systems` x `platform`.

        Raises:
            InfeasibleError, NotSupportedError: the model's reason it cannot run there, with the field it blames.
        """
        if self.workload.workload_type == "inference":
            return serve_at_size(self.serving(platform), systems)
        return estimate_training(self.training(platform), systems)


def workload_contexts(
    spec: Spec, catalog: Catalog, calibration: Calibration, workloads: list[WorkloadPlan]
) -> list[WorkloadContext]:
    """A context per workload, in the spec's order (`workloads` resolved from it)."""
    return [WorkloadContext(spec, catalog, calibration, index, w) for index, w in enumerate(workloads)]


def scale_out(spec: Spec, catalog: Catalog, platform: Platform) -> ScaleOut:
    """The spec's oversubscription and the scalable unit of the compute fabric `platform` would get."""
    units = scalable_unit_systems(spec, catalog, catalog.get(platform.system_id, System))
    return ScaleOut(spec.network.oversubscription, units)
