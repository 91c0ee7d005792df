"""The spec's money and time sections: `finance` (TCO horizon, utilisation, support, colocation, rental prices for
build against rent) and `schedule` (order date, whether the facility's power plant exists, installation, burn-in,
power arriving in stages). Every field is optional; the defaults and their sources are in `FINANCE_DEFAULTS` and
`SCHEDULE_DEFAULTS`, which the plan lists as assumptions when the user left a field out."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from refarch.inputs.quantities import CapacityPrice, Duration, HourlyPrice, Power
from refarch.types import Confidence

__all__ = ["FINANCE_DEFAULTS", "SCHEDULE_DEFAULTS", "Default", "Finance", "PowerPhase", "Schedule"]

SECONDS_PER_YEAR = 365.25 * 86400
SECONDS_PER_WEEK = 7 * 86400


class Default(BaseModel):
    """A default with the words the plan's assumption uses and where the figure comes from."""

    model_config = ConfigDict(frozen=True)

    text: str
    confidence: Confidence
    source: str


FINANCE_DEFAULTS: dict[str, Default] = {
    "horizon": Default(
        text="capex spread over 5 years (servers' useful life at the hyperscalers: Amazon cut part of its fleet "
        "back from 6 to 5 years in 2025 for AI hardware turnover; Meta 5; Microsoft and Alphabet 6)",
        confidence="secondary",
        source="10-K filings of Amazon (2022, 2025), Meta (2022), Microsoft (FY2023), Alphabet (2022)",
    ),
    "utilisation": Default(
        text="90% of accelerator-hours do useful work (Llama 3 405B pre-training kept more than 90% effective "
        "training time over 54 days)",
        confidence="estimate",
        source="Llama 3 paper section 3.3.4 via shared/reference/performance.md, applied to a whole cluster's year",
    ),
    "support": Default(
        text="support contracts cost 20% of capex per year (DGX H100: about $40k one-year support on a $199k base, "
        "applied to every part)",
        confidence="derived",
        source="press reports via shared/reference/hardware.md (DGX H100 price and support)",
    ),
    "colocation": Default(
        text="no colocation fee: the site is owned (its building cost is not in the TCO)",
        confidence="estimate",
        source="refarch default",
    ),
    "rental": Default(
        text="no rental price given: build against rent is not compared",
        confidence="estimate",
        source="refarch default",
    ),
}

SCHEDULE_DEFAULTS: dict[str, Default] = {
    "facility": Default(
        text="the facility's power and cooling plant exists (no transformer, switchgear or UPS on the critical path)",
        confidence="estimate",
        source="refarch default",
    ),
    "install": Default(
        text="6 weeks to install, cable and power on the racks once the last item arrives",
        confidence="estimate",
        source="refarch default; NVIDIA's DGX SuperPOD FAQ promises results 'in weeks instead of months' with its "
        "white-glove deployment",
    ),
    "burn_in": Default(
        text="2 weeks of burn-in and acceptance tests (sustained load to surface early failures)",
        confidence="estimate",
        source="refarch default",
    ),
    "start": Default(
        text="no order date: time to ready is in weeks, not a date",
        confidence="estimate",
        source="refarch default",
    ),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finance(_Strict):
    """How the plan turns capex and power into a total cost of ownership and unit costs."""

    horizon: Duration = Field(5 * SECONDS_PER_YEAR, description="depreciation horizon, e.g. '5 years'; stored in s")
    utilisation: float = Field(0.9, gt=0, le=1, description="share of accelerator-hours doing useful work")
    support: float = Field(0.2, ge=0, le=1, description="support contracts per year as a share of capex")
    colocation: CapacityPrice | None = Field(None, description="per kW of IT power and month; stored in USD/kW/month")
    rental: dict[str, HourlyPrice] = Field(
        default_factory=dict,
        description="rental price per accelerator-hour by catalog accelerator id, e.g. {h100-sxm: '2.50 USD/hour'}",
    )

    @property
    def horizon_years(self) -> float:
        """The horizon in years (365.25 days)."""
        return self.horizon / SECONDS_PER_YEAR


class PowerPhase(_Strict):
    """A stage of the site's power: the facility power available from a number of weeks after the order."""

    power_budget: Power = Field(description="facility power available from then on; stored in W")
    available: Duration | None = Field(None, description="weeks after the order, e.g. '26 weeks'; none: at once")

    @property
    def weeks(self) -> float:
        """When the stage arrives, in weeks after the order."""
        return 0.0 if self.available is None else self.available / SECONDS_PER_WEEK


class Schedule(_Strict):
    """When the cluster can be ready: lead times (from the catalog) plus installation and burn-in."""

    start: datetime.date | None = Field(None, description="order date (ISO), e.g. 2027-01-15")
    facility: Literal["ready", "new"] = Field(
        "ready", description="new: the transformer, switchgear and UPS are ordered too and join the critical path"
    )
    install: Duration = Field(6 * SECONDS_PER_WEEK, description="installation after the last delivery; stored in s")
    burn_in: Duration = Field(2 * SECONDS_PER_WEEK, description="burn-in and acceptance; stored in s")
    power_phases: list[PowerPhase] = Field(
        default_factory=list, description="the site's power in stages, earliest first; the last is the full budget"
    )

    @model_validator(mode="after")
    def _phases_in_order(self) -> Schedule:
        weeks = [p.weeks for p in self.power_phases]
        powers = [p.power_budget for p in self.power_phases]
        if weeks != sorted(weeks) or len(set(weeks)) != len(weeks):
            raise ValueError("power_phases must be in order of `available`, each stage later than the one before")
        if powers != sorted(powers):
            raise ValueError("power_phases must not lose power: each stage's power_budget at least the one before")
        return self

    @property
    def install_weeks(self) -> float:
        """Installation in weeks."""
        return self.install / SECONDS_PER_WEEK

    @property
    def burn_in_weeks(self) -> float:
        """Burn-in in weeks."""
        return self.burn_in / SECONDS_PER_WEEK
