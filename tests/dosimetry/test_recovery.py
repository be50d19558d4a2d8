"""Partial-volume recovery: analytic sphere curve, measured curves, small-VOI flags."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, ndimage

from theratrial.dosimetry.recovery import (
    SMALL_VOI_FACTOR,
    correction_curve,
    gaussian_recovery_curve,
    read_recovery_csv,
    recovery_curve,
    region_recoveries,
    resolution_volume_ml,
    sphere_recovery_coefficient,
)
from theratrial.errors import ParameterError, TableError

SIGMA_PER_FWHM = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def _radial_profile_rc(radius_mm: float, fwhm_mm: float) -> float:
    """Mean over the sphere of the blurred sphere's radial profile (independent route)."""
    s = fwhm_mm * SIGMA_PER_FWHM

    def profile(r: float) -> float:
        k = math.sqrt(2.0) * s
        near = math.exp(-((radius_mm - r) ** 2) / (2 * s * s))
        far = math.exp(-((radius_mm + r) ** 2) / (2 * s * s))
        return 0.5 * (math.erf((radius_mm - r) / k) + math.erf((radius_mm + r) / k)) + s / (
            r * math.sqrt(2.0 * math.pi)
        ) * (far - near)

    value, _ = integrate.quad(lambda r: profile(r) * r * r, 1e-9, radius_mm, epsrel=1e-11)
    return 3.0 * value / radius_mm**3


@pytest.mark.parametrize("volume_ml", [0.5, 2.0, 11.5, 100.0, 1000.0])
@pytest.mark.parametrize("fwhm_mm", [6.0, 12.0, 20.0])
def test_closed_form_matches_the_radial_profile_integral(volume_ml: float, fwhm_mm: float) -> None:
    radius = (3.0 * volume_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
    expected = _radial_profile_rc(radius, fwhm_mm)
    assert sphere_recovery_coefficient(volume_ml, fwhm_mm=fwhm_mm) == pytest.approx(
        expected, rel=1e-7
    )


@pytest.mark.parametrize("radius_mm", [6.0, 10.0, 18.0])
def test_closed_form_matches_numerical_convolution(radius_mm: float) -> None:
    """Voxelised sphere (0.5 mm voxels) blurred by a 12 mm FWHM Gaussian (scipy)."""
    voxel, fwhm = 0.5, 12.0
    half = math.ceil((radius_mm + 4 * fwhm * SIGMA_PER_FWHM) / voxel)
    axis = (np.arange(-half, half + 1)) * voxel
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij", sparse=True)
    sphere = (x * x + y * y + z * z) <= radius_mm**2
    blurred = ndimage.gaussian_filter(sphere.astype(np.float64), fwhm * SIGMA_PER_FWHM / voxel)
    numerical = float(blurred[sphere].mean())
    volume_ml = float(sphere.sum()) * voxel**3 / 1000.0
    assert sphere_recovery_coefficient(volume_ml, fwhm_mm=fwhm) == pytest.approx(
        numerical, abs=0.01
    )


def test_limits_of_the_sphere_curve() -> None:
    assert sphere_recovery_coefficient(1e6, fwhm_mm=12.0) == pytest.approx(1.0, abs=0.02)
    s = 12.0 * SIGMA_PER_FWHM
    tiny = 1e-6  # mL: the sphere only samples the PSF peak, RC = V g(0)
    peak = tiny * 1000.0 * (2.0 * math.pi * s * s) ** -1.5
    assert sphere_recovery_coefficient(tiny, fwhm_mm=12.0) == pytest.approx(peak, rel=1e-4)
    values = [sphere_recovery_coefficient(v, fwhm_mm=12.0) for v in np.geomspace(1e-4, 1e4, 60)]
    assert all(b > a for a, b in itertools.pairwise(values))
    # scale invariance: the curve depends on radius / FWHM only
    assert sphere_recovery_coefficient(8.0, fwhm_mm=20.0) == pytest.approx(
        sphere_recovery_coefficient(1.0, fwhm_mm=10.0)
    )


def test_measured_curve_interpolates_monotonically_and_clamps() -> None:
    # NEMA IEC sphere volumes (10-37 mm) with illustrative recoveries
    volumes = [0.52, 1.15, 2.57, 5.58, 11.49, 26.52]
    recoveries = [0.25, 0.36, 0.48, 0.60, 0.70, 0.80]
    curve = recovery_curve(volumes, recoveries, resolution_mm=12.0)
    for v, r in zip(volumes, recoveries, strict=True):
        assert curve.coefficient(v).recovery_coefficient == pytest.approx(r)
    between = [curve.coefficient(v).recovery_coefficient for v in np.geomspace(0.52, 26.52, 50)]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(between))
    small, large = curve.coefficient(0.1), curve.coefficient(500.0)
    assert small.clamped
    assert small.recovery_coefficient == 0.25
    assert "smallest" in str(small.note)
    assert large.clamped
    assert large.recovery_coefficient == 0.80


@pytest.mark.parametrize(
    ("volumes", "recoveries"),
    [([1.0], [0.5]), ([2.0, 1.0], [0.5, 0.4]), ([1.0, 2.0], [0.5, 0.0]), ([1.0, 2.0], [0.5])],
)
def test_bad_measured_curves_are_refused(volumes: list[float], recoveries: list[float]) -> None:
    with pytest.raises(ParameterError):
        recovery_curve(volumes, recoveries)


def test_recovery_csv_is_read_and_bad_rows_named(tmp_path: Path) -> None:
    good = tmp_path / "rc.csv"
    good.write_text("volume_ml,recovery\n26.5,0.8\n0.52,0.25\n2.57,0.48\n", encoding="utf-8")
    curve = read_recovery_csv(good)
    assert curve.method == "measured"
    assert curve.volumes_ml == (0.52, 2.57, 26.5)
    bad = tmp_path / "bad.csv"
    bad.write_text("volume_ml,recovery\n0.52,0.25\n2.57,high\n", encoding="utf-8")
    with pytest.raises(TableError) as err:
        read_recovery_csv(bad)
    assert err.value.line == 3
    assert err.value.field == "recovery"
    assert "bad.csv" in str(err.value)
    missing = tmp_path / "missing.csv"
    missing.write_text("diameter_mm,recovery\n10,0.25\n", encoding="utf-8")
    with pytest.raises(TableError, match="volume_ml"):
        read_recovery_csv(missing)


def test_small_vois_are_flagged_below_three_resolution_volumes() -> None:
    fwhm = 12.0
    limit = SMALL_VOI_FACTOR * resolution_volume_ml(fwhm)
    assert limit == pytest.approx(5.184)
    found, warnings = region_recoveries(
        {"lesion_a": 0.99 * limit, "lesion_b": 1.01 * limit, "kidney": 150.0},
        curve=None,
        resolution_mm=fwhm,
    )
    assert found["lesion_a"].small_voi
    assert not found["lesion_b"].small_voi
    assert found["kidney"].recovery_coefficient == 1.0
    assert found["kidney"].method == "none"
    assert len(warnings) == 1
    assert warnings[0].startswith("lesion_a: VOI")
    applied, _ = region_recoveries(
        {"kidney": 150.0}, curve=gaussian_recovery_curve(fwhm), resolution_mm=fwhm
    )
    assert applied["kidney"].recovery_coefficient == pytest.approx(
        sphere_recovery_coefficient(150.0, fwhm_mm=fwhm)
    )
    assert applied["kidney"].as_record()["method"] == "sphere"


def test_correction_options_are_checked() -> None:
    assert correction_curve("none") is None
    with pytest.raises(ParameterError, match="resolution"):
        correction_curve("sphere")
    with pytest.raises(ParameterError, match="pvc"):
        correction_curve("gtm", resolution_mm=12.0)
    with pytest.raises(ParameterError, match="not both"):
        correction_curve("sphere", resolution_mm=12.0, margin_mm=10.0)
    with pytest.raises(ParameterError, match="--pvc sphere"):
        correction_curve("none", recovery=gaussian_recovery_curve(12.0))
    with pytest.raises(ParameterError, match="FWHM"):
        gaussian_recovery_curve(0.0)
