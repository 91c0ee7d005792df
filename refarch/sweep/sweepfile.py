"""The sweep file (apiVersion refarch/v1, kind Sweep): a base spec and the axes that vary it, read strictly.

```yaml
apiVersion: refarch/v1
kind: Sweep
metadata: {name: h100-vs-b200, description: "..."}
base: ../dgx-h100-su.yaml        # relative to this file; or `spec:` with the spec inline
combine: product                 # product (every combination) | zip (axes side by side, all the same length)
axes:
  - field: workloads[0].platform # see refarch.sweep.fields for what a field can name
    values: [dgx-h100, dgx-b200]
  - field: workloads.pretrain-70b.systems
    name: systems                # the column's name; by default the field's last key
    range: {start: 4, stop: 64, step: 4}   # stop included when it falls on a step
```

Errors name the file, the path inside it, the line and what would be valid, like the spec's. A sweep expands to
at most `MAX_SCENARIOS` scenarios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictFloat,
    StrictInt,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from refarch.catalog.loader import Catalog
from refarch.errors import InputError, Location, SpecError
from refarch.inputs.messages import raise_validation_error
from refarch.inputs.spec import validate_spec
from refarch.inputs.yaml_source import YamlDocument, read_yaml
from refarch.sweep.fields import CatalogField, SpecField, Target, catalog_value, resolve_field
from refarch.sweep.records import AxisValue, SweepInfo

__all__ = ["MAX_SCENARIOS", "Axis", "Sweep", "SweepFile", "load_sweep"]

# Scenarios one sweep may expand to: about an hour and a half at 20 scenarios/s, and a results file of about
# 100 MB. Larger studies are several sweeps (or a coarser step).
MAX_SCENARIOS = 100_000

Number = StrictInt | StrictFloat


def _scalar(value: Any) -> AxisValue:
    if not isinstance(value, str | int | float):  # bool is an int
        raise ValueError(f"expected a string, a number or a boolean, got {value!r}")
    return value


Scalar = Annotated[
    AxisValue,
    PlainValidator(_scalar),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SweepMetadata(_Strict):
    """What the sweep compares."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    description: str = ""


class Range(_Strict):
    """Numbers from `start` to `stop` by `step`; `stop` is included when it falls on a step."""

    start: Number
    stop: Number
    step: Number

    @model_validator(mode="after")
    def _bounded(self) -> Range:
        if self.step <= 0:
            raise ValueError(f"step must be greater than zero, got {self.step}")
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) is below start ({self.start})")
        if self.count > MAX_SCENARIOS:
            raise ValueError(f"the range has {self.count:,} values, more than the limit of {MAX_SCENARIOS:,} scenarios")
        return self

    @property
    def count(self) -> int:
        """How many values the range holds."""
        return math.floor((Decimal(str(self.stop)) - Decimal(str(self.start))) / Decimal(str(self.step))) + 1

    def values(self) -> list[int | float]:
        """The values, as ints when start and step are ints (decimal arithmetic: 0.1 steps give 0.3, not
        0.30000000000000004)."""
        if isinstance(self.start, int) and isinstance(self.step, int):
            return [self.start + i * self.step for i in range(self.count)]
        start, step = Decimal(str(self.start)), Decimal(str(self.step))
        return [float(start + i * step) for i in range(self.count)]


class AxisSpec(_Strict):
    """One axis: a field and the values it takes, listed (`values`) or as a `range`."""

    field: str = Field(min_length=1, description="a spec path, price.<catalog id> or lead_time.<catalog id>")
    name: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64, description="column name [default: from field]"
    )
    values: list[Scalar] | None = Field(None, min_length=1, description="strings, numbers or booleans")
    range: Range | None = None

    @model_validator(mode="after")
    def _values_or_range(self) -> AxisSpec:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either 'values' (a list) or 'range' ({start, stop, step}), not both")
        if self.values is not None:
            seen = [repr(v) for v in self.values]
            repeated = sorted({v for v in seen if seen.count(v) > 1})
            if repeated:
                raise ValueError(f"values repeat: {', '.join(repeated)}")
        return self

    def taken(self) -> list[AxisValue]:
        """The values the axis takes, in order."""
        if self.range is not None:
            return list(self.range.values())
        return list(self.values or [])


class SweepFile(_Strict):
    """A sweep (apiVersion refarch/v1, kind Sweep): the base spec, how axes combine, the axes."""

    api_version: Literal["refarch/v1"] = Field(alias="apiVersion")
    kind: Literal["Sweep"]
    metadata: SweepMetadata
    base: str | None = Field(None, description="the base spec's path, relative to the sweep file")
    spec: dict[str, Any] | None = Field(None, description="the base spec inline (instead of base)")
    combine: Literal["product", "zip"] = Field("product", description="product: every combination; zip: side by side")
    axes: list[AxisSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _base_or_spec(self) -> SweepFile:
        if (self.base is None) == (self.spec is None):
            raise ValueError("give either 'base' (a spec file) or 'spec' (the spec inline), not both")
        return self


@dataclass(frozen=True)
class Axis:
    """An axis as checked: its column name, the field as written, what it sets, and its values."""

    name: str
    field: str
    target: Target
    values: tuple[AxisValue, ...]


@dataclass(frozen=True)
class Sweep:
    """A sweep file, checked: its base spec's data (valid as a spec) and its resolved axes; `base_file` is the
    base spec's file (None: inline) and `base_label` its name for messages and outputs ('inline')."""

    file: Path
    name: str
    description: str
    base_file: Path | None
    base: dict[str, Any]
    combine: Literal["product", "zip"]
    axes: tuple[Axis, ...]

    @property
    def base_label(self) -> str:
        """The base spec's file name, or 'inline'."""
        return self.base_file.name if self.base_file is not None else "inline"

    @property
    def inputs(self) -> list[Path]:
        """The files the sweep reads: the sweep file and its base spec's."""
        return [self.file] if self.base_file is None else [self.file, self.base_file]

    @property
    def count(self) -> int:
        """Scenarios the sweep expands to."""
        lengths = [len(a.values) for a in self.axes]
        return math.prod(lengths) if self.combine == "product" else lengths[0]

    def info(self) -> SweepInfo:
        """What the outputs need to know of the sweep."""
        return SweepInfo(
            name=self.name, description=self.description, base=self.base_label, combine=self.combine,
            axes=[a.name for a in self.axes], scenarios=self.count,
        )  # fmt: skip


def load_sweep(file: Path, catalog: Catalog) -> Sweep:
    """Read and check a sweep file: its base spec, each axis's field (against the base spec and `catalog`) and
    values, and the number of scenarios it expands to.

    Raises:
        InputError: anything wrong with the sweep file or its base spec, located by file, path and line.
    """
    doc = read_yaml(file)
    if not isinstance(doc.data, dict):
        raise InputError(
            "a sweep file must be a YAML mapping with apiVersion, kind, metadata, base (or spec), axes",
            doc.location(()),
        )
    try:
        parsed = SweepFile.model_validate(doc.data)
    except ValidationError as exc:
        raise_validation_error(exc, doc, SweepFile, InputError, schema="sweep")
    base_file, base = _base(parsed, doc)
    axes = _axes(parsed, doc, base, catalog)
    sweep = Sweep(file, parsed.metadata.name, parsed.metadata.description, base_file, base, parsed.combine, axes)
    _check_count(sweep, doc)
    return sweep


def _base(parsed: SweepFile, doc: YamlDocument) -> tuple[Path | None, dict[str, Any]]:
    """The base spec's file (None: inline) and data, validated as a spec."""
    if parsed.base is None:
        lines = {key[1:]: line for key, line in doc.lines.items() if key[:1] == ("spec",)}
        try:
            validate_spec(YamlDocument(doc.file, parsed.spec, lines))
        except SpecError as exc:  # located in the sweep file, under `spec`
            where = exc.location or Location(doc.file)
            inside = f"spec.{where.path}" if where.path else "spec"
            raise SpecError(exc.message, Location(where.file, inside, where.line), exc.hint) from None
        return None, dict(parsed.spec or {})
    path = doc.file.parent / parsed.base
    if not path.is_file():
        raise InputError(
            f"base spec '{parsed.base}' not found (looked for {path})",
            doc.location(("base",)),
            "base is a spec file's path relative to the sweep file",
        )
    spec_doc = read_yaml(path)
    validate_spec(spec_doc)
    return path, spec_doc.data


def _axes(parsed: SweepFile, doc: YamlDocument, base: dict[str, Any], catalog: Catalog) -> tuple[Axis, ...]:
    targets: list[Target] = []
    for i, axis in enumerate(parsed.axes):
        target = resolve_field(axis.field, base, catalog, doc.location(("axes", i, "field")))
        if target in targets:
            first = targets.index(target)
            raise InputError(
                f"axes {first} and {i} both set '{target}'", doc.location(("axes", i, "field")), "merge their values"
            )
        if isinstance(target, CatalogField):
            _check_catalog_values(axis, target, doc, ("axes", i))
        targets.append(target)
    names = _names(parsed, targets, doc)
    return tuple(
        Axis(name, axis.field, target, tuple(axis.taken()))
        for name, axis, target in zip(names, parsed.axes, targets, strict=True)
    )


def _check_catalog_values(axis: AxisSpec, target: CatalogField, doc: YamlDocument, at: tuple[Any, ...]) -> None:
    for j, value in enumerate(axis.taken()):
        try:
            catalog_value(target, value, "check")
        except ValueError as exc:
            where = (*at, "values", j) if axis.values is not None else (*at, "range")
            problem = exc.errors(include_url=False)[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise InputError(f"{target}: {value!r}: {problem}", doc.location(where)) from None


def _names(parsed: SweepFile, targets: list[Target], doc: YamlDocument) -> list[str]:
    """Each axis's column name: its `name`, or its field's last key (the whole field where two would clash)."""
    defaults = [t.path[-1] if isinstance(t, SpecField) and isinstance(t.path[-1], str) else str(t) for t in targets]
    names = []
    for axis, default, target in zip(parsed.axes, defaults, targets, strict=True):
        clash = defaults.count(default) > 1 or any(a.name == default for a in parsed.axes)
        names.append(axis.name or (str(target) if clash else default))
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise InputError(
                f"axes {names.index(name)} and {i} are both named '{name}'",
                doc.location(("axes", i)),
                "give each axis a distinct 'name'",
            )
    return names


def _check_count(sweep: Sweep, doc: YamlDocument) -> None:
    lengths = [len(a.values) for a in sweep.axes]
    if sweep.combine == "zip" and len(set(lengths)) > 1:
        odd = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise InputError(
            f"combine: zip needs axes of one length; they have {', '.join(map(str, lengths))} values",
            doc.location(("axes", odd)),
            "give every axis as many values, or use combine: product",
        )
    if sweep.count > MAX_SCENARIOS:
        raise InputError(
            f"the sweep expands to {sweep.count:,} scenarios, more than the limit of {MAX_SCENARIOS:,}",
            Location(doc.file, "axes", doc.line_of(("axes",))),
            "split it into several sweeps or take fewer values",
        )
