"""The calibration: fitted parameters, where they came from and how wrong they were, read from and written to YAML.

The shipped default (`refarch/perf/data/calibration.yaml`) is fitted on the reference measurements and
regenerated with `make calibration`; `--calibration FILE` on `plan`/`estimate`/`compare` uses another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from refarch.errors import InputError, Location, OutputError
from refarch.inputs.files import write_atomically
from refarch.perf.platform import FAMILIES
from refarch.perf.training.step import SHARED_PARAMETERS, Efficiency

__all__ = ["DEFAULT_CALIBRATION", "Calibration", "FamilyFit", "default_calibration", "load_calibration"]

DEFAULT_CALIBRATION = "calibration.yaml"
FORMAT_VERSION = 1
# A family with no measurements borrows its parent's parameters; its band widens by this factor.
BORROWED_BAND_FACTOR = 2.0
_DIGITS = 6


@dataclass(frozen=True)
class FamilyFit:
    """Per-family parameters and how many points pinned them."""

    gemm: float
    comm_exposed: float
    points: int


@dataclass(frozen=True)
class Calibration:
    """Everything the GPU training model takes from measurements, plus its measured error.

    `band_pct` is the half-width of the confidence band for a calibrated family: the 90th percentile of the
    leave-one-source-out errors (0 until `with_error` fills it).
    """

    families: dict[str, FamilyFit]
    shared: dict[str, float]
    fitted_on: str
    points: int
    sources: list[str]
    loso_mape_pct: float = 0.0
    loso_max_pct: float = 0.0
    band_pct: float = 0.0
    per_source_mape_pct: dict[str, float] = field(default_factory=dict)

    def efficiency(self, family: str) -> tuple[Efficiency, str]:
        """The `Efficiency` for `family` and the family whose fit it is (a parent's when `family` has no data)."""
        used = self.nearest_family(family)
        fitted = self.families[used]
        return (
            Efficiency(gemm=fitted.gemm, comm_exposed=fitted.comm_exposed, **self.shared),
            used,
        )

    def nearest_family(self, family: str) -> str:
        """`family` if it was fitted, else its nearest fitted ancestor, else the best-supported family."""
        current: str | None = family
        while current is not None:
            if current in self.families:
                return current
            current = FAMILIES.get(current)
        return max(sorted(self.families), key=lambda name: self.families[name].points)

    def band_for(self, family: str) -> float:
        """Confidence half-width (fraction) for `family`: wider when its parameters are borrowed."""
        band = self.band_pct / 100
        return band if self.nearest_family(family) == family else band * BORROWED_BAND_FACTOR

    def calibrated_on(self, family: str) -> str:
        """Words for `calibrated_on`: which data the family's parameters rest on."""
        used = self.nearest_family(family)
        fitted = self.families[used]
        borrowed = "" if used == family else f" (no {family} measurements: {used}'s parameters, band widened)"
        return (
            f"{fitted.points} {used} points of {self.points} ({self.fitted_on}); leave-one-source-out MAPE "
            f"{self.loso_mape_pct:.1f}%{borrowed}"
        )

    def with_error(self, mape_pct: float, max_pct: float, band_pct: float, per_source: dict[str, float]) -> Calibration:
        """A copy carrying its leave-one-source-out error figures."""
        return replace(
            self, loso_mape_pct=mape_pct, loso_max_pct=max_pct, band_pct=band_pct, per_source_mape_pct=per_source
        )

    def to_yaml(self, header: str) -> str:
        """Deterministic YAML text (rounded floats, sorted keys) with a comment header."""
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        return comment + yaml.safe_dump(_rounded(self._as_dict()), sort_keys=True, width=120)

    def write(self, path: Path, header: str) -> None:
        """Write atomically (temporary file, then rename).

        Raises:
            OutputError: the file cannot be written.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, self.to_yaml(header).encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write the calibration: {exc.strerror}", Location(path)) from exc

    def _as_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "fitted_on": self.fitted_on,
            "points": self.points,
            "sources": self.sources,
            "families": {
                name: {"gemm": f.gemm, "comm_exposed": f.comm_exposed, "points": f.points}
                for name, f in self.families.items()
            },
            "shared": dict(self.shared),
            "error": {
                "loso_mape_pct": self.loso_mape_pct,
                "loso_max_pct": self.loso_max_pct,
                "band_pct": self.band_pct,
                "per_source_mape_pct": self.per_source_mape_pct,
            },
        }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def load_calibration(path: Path) -> Calibration:
    """Read a calibration file written by `refarch calibrate`.

    Raises:
        InputError: missing file, not YAML, or missing/invalid fields (named with their path).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the calibration: {exc.strerror}", Location(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (UTF-8)", Location(path)) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", Location(path)) from exc
    try:
        return _from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"not a refarch calibration ({exc!s})",
            Location(path),
            "write one with `refarch calibrate MEASUREMENTS.csv -o calibration.yaml`",
        ) from exc


# What each parameter may be: (low, low included, high, high included). Shares of the peak or of the communication
# lie in (0, 1] or [0, 1]; the others are non-negative; a band of 100% would put an estimate's low end at zero.
_RANGES: dict[str, tuple[float, bool, float, bool]] = {
    "gemm": (0.0, False, 1.0, True),
    "comm_exposed": (0.0, True, 1.0, True),
    "dp_overlap": (0.0, True, 1.0, True),
    "memory_traffic": (0.0, True, math.inf, False),
    "gemm_half_width": (0.0, True, math.inf, False),
    "band_pct": (0.0, True, 100.0, False),
}


def _checked(path: str, value: Any) -> float:
    """`value` as a float within the range its parameter allows (the last part of `path` names it)."""
    number = float(value)
    low, low_in, high, high_in = _RANGES[path.rsplit(".", 1)[-1]]
    above = number >= low if low_in else number > low
    below = number <= high if high_in else number < high
    if not (math.isfinite(number) and above and below):
        interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
        raise ValueError(f"{path} is {value}; it must lie in {interval}")
    return number


def _from_dict(data: Any) -> Calibration:
    if not isinstance(data, dict):
        raise ValueError("the file must hold a mapping (version, families, shared, error, ...)")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"version must be {FORMAT_VERSION}")
    shared, error = data["shared"], data["error"]
    families = {
        str(name): FamilyFit(
            _checked(f"families.{name}.gemm", f["gemm"]),
            _checked(f"families.{name}.comm_exposed", f["comm_exposed"]),
            int(f["points"]),
        )
        for name, f in data["families"].items()
    }
    if not families:
        raise ValueError("no families")
    return Calibration(
        families=families,
        shared=_shared(shared),
        fitted_on=str(data["fitted_on"]),
        points=int(data["points"]),
        sources=[str(s) for s in data["sources"]],
        loso_mape_pct=float(error["loso_mape_pct"]),
        loso_max_pct=float(error["loso_max_pct"]),
        band_pct=_checked("error.band_pct", error["band_pct"]),
        per_source_mape_pct={str(k): float(v) for k, v in error["per_source_mape_pct"].items()},
    )


def _shared(values: dict[str, Any]) -> dict[str, float]:
    missing = [name for name in SHARED_PARAMETERS if name not in values]
    unknown = [name for name in values if name not in SHARED_PARAMETERS]
    if missing or unknown:
        expected = ", ".join(SHARED_PARAMETERS)
        raise ValueError(f"shared parameters must be {expected} (missing {missing}, unknown {unknown})")
    return {name: _checked(f"shared.{name}", values[name]) for name in SHARED_PARAMETERS}


def default_calibration() -> Calibration:
    """The shipped calibration (fitted on the reference measurements)."""
    text = resources.files("refarch.perf").joinpath("data", DEFAULT_CALIBRATION).read_text(encoding="utf-8")
    return _from_dict(yaml.safe_load(text))
