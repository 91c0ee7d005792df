"""The outputs a bundle can hold, in the order they are listed and rendered, and how a selection is checked.

Adding an output is one module defining `OUTPUT = Output(name, description, build)` and one line in `OUTPUTS`.
Names are stable: users select them with `refarch plan --outputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from refarch.errors import InputError, Location
from refarch.inputs.messages import closest
from refarch.render import (
    ansible,
    bom,
    cabling_files,
    diagrams,
    netbox,
    plan_json,
    review,
    summary,
    validation_files,
    workbook,
)
from refarch.render.context import Output

__all__ = ["OUTPUTS", "output_names", "select_outputs"]

OUTPUTS: Final[tuple[Output, ...]] = (
    plan_json.OUTPUT,
    summary.OUTPUT,
    bom.OUTPUT,
    workbook.OUTPUT,
    cabling_files.OUTPUT,
    diagrams.OUTPUT,
    validation_files.OUTPUT,
    ansible.OUTPUT,
    netbox.OUTPUT,
    review.OUTPUT,
)


def output_names() -> tuple[str, ...]:
    """Every registered output's name, in registry order."""
    return tuple(o.name for o in OUTPUTS)


def select_outputs(names: Sequence[str] | None, where: Location | None = None) -> tuple[Output, ...]:
    """The outputs called `names`, in registry order; None selects them all.

    Args:
        names: output names as the user gave them (surrounding blanks ignored).
        where: where the names came from, for the message (e.g. the `--outputs` option).

    Raises:
        InputError: no name, an empty name, a name given twice, or a name no output has (with the closest ones and
            every valid name).
    """
    if names is None:
        return OUTPUTS
    valid = output_names()
    hint = f"valid outputs: {', '.join(valid)} (comma-separated; `refarch plan --list-outputs` describes them)"
    wanted = [name.strip() for name in names]
    if not any(wanted):
        raise InputError("no output given", where, hint)
    if "" in wanted:
        raise InputError(
            f"an empty output name in {','.join(wanted)!r} (two commas in a row, or one at an end)", where, hint
        )
    repeated = sorted({name for name in wanted if wanted.count(name) > 1})
    if repeated:
        raise InputError(f"output {', '.join(repeated)} given more than once", where, hint)
    for name in wanted:
        if name not in valid:
            suggestions = closest(name, valid)
            did_you_mean = f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
            raise InputError(f"unknown output {name!r}{did_you_mean}", where, hint)
    return tuple(o for o in OUTPUTS if o.name in wanted)
