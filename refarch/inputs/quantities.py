"""Spec field types for quantities with units: a string such as '40 kW' parsed into a float in the dimension's
base unit, with the JSON schema saying what to write."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from refarch.units import DIMENSIONS, parse_quantity

__all__ = ["CapacityPrice", "Current", "Duration", "EnergyPrice", "HourlyPrice", "Money", "Power", "Voltage"]


def _parser(dimension: str) -> BeforeValidator:
    return BeforeValidator(lambda value: parse_quantity(value, dimension))


def _schema(dimension: str) -> WithJsonSchema:
    dim = DIMENSIONS[dimension]
    text = f"{dim.name} with a unit, e.g. {dim.example}; stored in {dim.base_unit}"
    return WithJsonSchema({"type": "string", "description": text})


Power = Annotated[float, _parser("power"), _schema("power")]
Voltage = Annotated[float, _parser("voltage"), _schema("voltage")]
Current = Annotated[float, _parser("current"), _schema("current")]
Duration = Annotated[float, _parser("duration"), _schema("duration")]
Money = Annotated[float, _parser("money"), _schema("money")]
EnergyPrice = Annotated[float, _parser("energy_price"), _schema("energy_price")]
HourlyPrice = Annotated[float, _parser("hourly_price"), _schema("hourly_price")]
CapacityPrice = Annotated[float, _parser("capacity_price"), _schema("capacity_price")]
