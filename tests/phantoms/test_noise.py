"""PSF and Poisson noise."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms.noise import (
    counts_per_bq_per_ml,
    fwhm_to_sigma_mm,
    gaussian_psf,
    poisson_noise,
    sphere_centre_recovery,
)


def test_psf_conserves_activity_inside_the_field_of_view() -> None:
    img = np.zeros((30, 30, 30), dtype=np.float32)
    img[10:20, 12:18, 14:16] = 5.0
    out = gaussian_psf(img, fwhm_mm=8.0, spacing_zyx_mm=(3.0, 2.0, 2.0))
    assert float(out.sum()) == pytest.approx(float(img.sum()), rel=1e-4)


def test_psf_has_the_stated_fwhm() -> None:
    img = np.zeros((1, 1, 201), dtype=np.float32)
    img[0, 0, 100] = 1.0
    out = gaussian_psf(img, fwhm_mm=10.0, spacing_zyx_mm=(1.0, 1.0, 0.1))[0, 0]
    above = np.nonzero(out >= out.max() / 2)[0]
    width_mm = (above[-1] - above[0] + 1) * 0.1
    assert width_mm == pytest.approx(10.0, abs=0.2)
    assert fwhm_to_sigma_mm(10.0) == pytest.approx(4.2466, abs=1e-4)


@pytest.mark.parametrize("radius_mm", [6.0, 10.0, 20.0])
def test_sphere_centre_recovery_matches_a_voxelised_sphere(radius_mm: float) -> None:
    # fine grid: 0.5 mm voxels, sphere sampled 3x3x3 per voxel
    n, h = 121, 0.5
    c = (np.arange(n) - n // 2) * h
    sub = np.array([-1 / 3, 0.0, 1 / 3]) * h
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    frac = np.zeros((n, n, n), dtype=np.float32)
    for dz in sub:
        for dy in sub:
            for dx in sub:
                frac += (x + dx) ** 2 + (y + dy) ** 2 + (z + dz) ** 2 <= radius_mm**2
    frac /= 27.0
    out = gaussian_psf(frac, fwhm_mm=12.0, spacing_zyx_mm=(h, h, h))
    expected = sphere_centre_recovery(radius_mm=radius_mm, fwhm_mm=12.0)
    assert float(out[n // 2, n // 2, n // 2]) == pytest.approx(expected, abs=0.01)


def test_poisson_noise_is_unbiased_with_the_stated_count_level() -> None:
    img = np.full((40, 40, 40), 2000.0, dtype=np.float32)
    noisy, counts = poisson_noise(img, np.random.default_rng(3), counts_per_unit=0.05)
    assert float(counts.mean()) == pytest.approx(100.0, rel=0.01)
    assert float(noisy.mean()) == pytest.approx(2000.0, rel=0.01)
    assert float(noisy.std() / noisy.mean()) == pytest.approx(0.1, rel=0.03)


def test_counts_include_decay_during_the_acquisition() -> None:
    stable = counts_per_bq_per_ml(
        voxel_volume_ml=0.1,
        sensitivity_cps_per_mbq=8.0,
        duration_s=1800.0,
        half_life_s=float("inf"),
    )
    assert stable == pytest.approx(0.1 * 1e-6 * 8.0 * 1800.0)
    ga = counts_per_bq_per_ml(
        voxel_volume_ml=0.1, sensitivity_cps_per_mbq=8.0, duration_s=4062.6, half_life_s=4062.6
    )
    assert ga == pytest.approx(0.1 * 1e-6 * 8.0 * 4062.6 / 2 / np.log(2.0), rel=1e-9)


def test_bad_settings_are_refused() -> None:
    img = np.ones((2, 2, 2), dtype=np.float32)
    with pytest.raises(ParameterError):
        gaussian_psf(img, fwhm_mm=-1.0, spacing_zyx_mm=(1.0, 1.0, 1.0))
    with pytest.raises(ParameterError):
        poisson_noise(img, np.random.default_rng(0), counts_per_unit=0.0)
    with pytest.raises(ParameterError):
        counts_per_bq_per_ml(
            voxel_volume_ml=0.0, sensitivity_cps_per_mbq=1.0, duration_s=1.0, half_life_s=1.0
        )
