"""Calibration: the reference points, the leave-one-source-out error, the shipped file and the sanity bands."""

from __future__ import annotations

from pathlib import Path

import pytest

from refarch.catalog.loader import Catalog
from refarch.cli.perf import reference_measurements
from refarch.perf.calibration.checks import consistency_checks
from refarch.perf.calibration.file import default_calibration, load_calibration
from refarch.perf.calibration.fit import CalibrationRun, calibrate
from refarch.perf.calibration.measurements import load_measurements
from refarch.perf.transformer import model_flops_per_token

# The accuracy goal for the leave-one-source-out error (README "Accuracy" publishes today's figures,
# 9.2% mean and 22.3% worst): a change that pushes the model past it fails.
LOSO_MAPE_PCT_AT_MOST = 15.0
LOSO_WORST_PCT_AT_MOST = 25.0
# Sanity bands the model misses today (see README "Accuracy"); a test fails if one more leaves its band.
KNOWN_OUT_OF_BAND = {"GB200 over H100 per GPU, llama3-70b on 576 GPUs"}


@pytest.fixture(scope="module")
def run(catalog: Catalog) -> CalibrationRun:
    points = load_measurements(reference_measurements(), catalog)
    return calibrate(points.points, fitted_on="calibration.csv")


def test_every_gpu_row_of_the_reference_is_a_point_or_says_why(catalog: Catalog) -> None:
    points = load_measurements(reference_measurements(), catalog)
    assert len(points.points) == 39
    assert {s.id for s in points.skipped} == {"mcore_h100_weak", "palm540b"}
    assert all(s.reason for s in points.skipped)


def test_presets_match_each_measurements_own_flops_per_token(catalog: Catalog) -> None:
    """NeMo rows give model TFLOP/s and tokens/s: their ratio checks the preset dimensions we transcribed."""
    import csv

    rows = {r["id"]: r for r in csv.DictReader(reference_measurements().open())}
    for point in load_measurements(reference_measurements(), catalog).points:
        note = rows[point.id]["confidence"]
        if "model TFLOP/s/GPU=" not in note:
            continue
        tflops = float(note.split("model TFLOP/s/GPU=")[1].split(";")[0])
        implied = tflops * 1e12 / point.value
        # NeMo counts non-causal attention (12 L s h): allow for that difference.
        assert model_flops_per_token(point.shape) == pytest.approx(implied, rel=0.12), point.id


def test_leave_one_source_out_error_is_pinned(run: CalibrationRun) -> None:
    errors = [abs(r.error) * 100 for r in run.loso]
    assert len(errors) == 39
    assert sum(errors) / len(errors) <= LOSO_MAPE_PCT_AT_MOST
    assert max(errors) <= LOSO_WORST_PCT_AT_MOST
    in_sample = [abs(r.error) * 100 for r in run.in_sample]
    assert sum(in_sample) / len(in_sample) < sum(errors) / len(errors)  # held-out error is the honest, larger one


def test_shipped_calibration_is_the_fit_of_the_reference(run: CalibrationRun) -> None:
    shipped = default_calibration()
    assert shipped.points == run.calibration.points
    for name, fitted in run.calibration.families.items():
        assert shipped.families[name].gemm == pytest.approx(fitted.gemm, rel=1e-3), "run `make calibration`"
    assert shipped.loso_mape_pct == pytest.approx(run.calibration.loso_mape_pct, rel=1e-3)


def test_calibration_file_round_trips_byte_identically(run: CalibrationRun, tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    run.calibration.write(first, "header")
    load_calibration(first).write(second, "header")
    assert first.read_bytes() == second.read_bytes()


def test_unfitted_family_borrows_its_parent_with_a_wider_band() -> None:
    calibration = default_calibration()
    assert calibration.nearest_family("cdna3") == "hopper"
    assert calibration.band_for("cdna3") == pytest.approx(2 * calibration.band_for("hopper"))
    assert "no cdna3 measurements" in calibration.calibrated_on("cdna3")


@pytest.mark.parametrize("index", range(5), ids=lambda i: f"check-{i}")
def test_reference_sanity_bands(catalog: Catalog, index: int) -> None:
    check = consistency_checks(catalog, default_calibration())[index]
    assert check.passed == (check.name not in KNOWN_OUT_OF_BAND), (check.name, check.value, check.low, check.high)
