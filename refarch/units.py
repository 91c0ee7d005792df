"""Unit parsing with pint. Spec strings such as "30 days", "5 MW", "415 V" become floats in one base unit.

Every parsed quantity is converted to the unit named by its `Dimension`, so downstream code never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pint

__all__ = ["DIMENSIONS", "Dimension", "UnitParseError", "parse_quantity", "registry"]


class UnitParseError(ValueError):
    """A value is not a quantity of the expected dimension. Raised inside pydantic validators."""


@dataclass(frozen=True)
class Dimension:
    """A physical dimension with the unit values are stored in and an example for error messages."""

    name: str
    base_unit: str
    example: str


DIMENSIONS: dict[str, Dimension] = {
    "power": Dimension("power", "W", "'40 kW' or '5 MW'"),
    "voltage": Dimension("voltage", "V", "'415 V'"),
    "current": Dimension("current", "A", "'60 A'"),
    "duration": Dimension("duration", "s", "'30 days' or '500 ms'"),
    "money": Dimension("money", "USD", "'25 MUSD' or '1500000 USD'"),
    "energy_price": Dimension("energy price", "USD/kWh", "'0.10 USD/kWh'"),
    "hourly_price": Dimension("price per hour", "USD/hour", "'2.50 USD/hour'"),
    "capacity_price": Dimension("price per kW-month", "USD/kW/month", "'150 USD/kW/month'"),
}


@cache
def registry() -> Any:
    """The shared unit registry, with US dollars defined as a base currency."""
    ureg: Any = pint.UnitRegistry()
    ureg.define("USD = [currency] = usd = dollar")
    return ureg


def parse_quantity(value: Any, dimension: str) -> float:
    """Parse `value` (a string with a unit) and return its magnitude in the dimension's base unit.

    Raises:
        UnitParseError: the value has no unit, an unknown unit, the wrong dimension, or is not positive.
    """
    dim = DIMENSIONS[dimension]
    if isinstance(value, bool) or not isinstance(value, str):
        raise UnitParseError(f"expected a {dim.name} with a unit, e.g. {dim.example}; got {value!r}")
    ureg: Any = registry()
    try:
        quantity: Any = ureg.Quantity(value.strip())
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError) as exc:
        raise UnitParseError(f"cannot parse {value!r} as a {dim.name}, e.g. {dim.example} ({exc})") from None
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise UnitParseError(f"{value!r} has no unit; expected a {dim.name}, e.g. {dim.example}")
    try:
        magnitude = float(quantity.to(dim.base_unit).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitParseError(
            f"{value!r} is not a {dim.name} (it is in {quantity.units:~}); expected e.g. {dim.example}"
        ) from None
    if not magnitude > 0:
        raise UnitParseError(f"{value!r} must be greater than zero")
    return magnitude
