"""Voxel dose: local deposition, kernel convolution, their agreement and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.dosimetry.sphere import sphere_s_value_mgy_per_mbq_h
from theratrial.dosimetry.voxel import (
    BACKENDS,
    kernel_dose_gy,
    local_deposition_dose_gy,
    local_energy_mev,
    mean_in_mask,
)
from theratrial.dosimetry.voxel_kernel import voxel_kernel
from theratrial.errors import ParameterError
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h


def _sphere(n: int, radius_vox: float) -> np.ndarray:
    c = (n - 1) / 2
    z, y, x = np.indices((n, n, n))
    return np.sqrt((z - c) ** 2 + (y - c) ** 2 + (x - c) ** 2) <= radius_vox


def test_local_deposition_formula() -> None:
    tia = np.zeros((3, 3, 3))
    tia[1, 1, 1] = 50.0
    dose = local_deposition_dose_gy(tia, voxel_size_mm=(2.0, 2.0, 2.0))
    expected = dose_rate_constant_mgy_g_per_mbq_h(0.14793) * 50.0 / 0.008 / 1000.0
    assert dose[1, 1, 1] == pytest.approx(expected, rel=1e-4)
    assert dose.sum() == pytest.approx(dose[1, 1, 1])


def test_led_and_kernel_agree_in_a_large_organ() -> None:
    """Issue check: the two voxel methods agree within 5 % in a large organ's mean dose."""
    mask = _sphere(56, 16.0)  # radius 64 mm at 4 mm voxels, about 1.1 kg
    tia = np.where(mask, 2.0, 0.0)
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0))
    led = mean_in_mask(local_deposition_dose_gy(tia, voxel_size_mm=(4.0, 4.0, 4.0)), mask)
    conv = mean_in_mask(kernel_dose_gy(tia, kernel), mask)
    assert conv == pytest.approx(led, rel=0.05)
    assert conv > led  # the kernel adds photon self-dose


def test_kernel_convolution_reproduces_the_sphere_model() -> None:
    mask = _sphere(48, 10.0)  # 3 mm voxels, radius 30 mm
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(3.0, 3.0, 3.0), radius_mm=63.0)
    tia = np.where(mask, 100.0 / mask.sum(), 0.0)
    mean = mean_in_mask(kernel_dose_gy(tia, kernel, voxel_size_mm=(3.0, 3.0, 3.0)), mask)
    mass_g = mask.sum() * 0.027
    assert mean == pytest.approx(100.0 * sphere_s_value_mgy_per_mbq_h(mass_g) / 1000.0, rel=0.02)


@settings(max_examples=10, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e4))
def test_dose_scales_linearly_with_activity(scale: float) -> None:
    rng = np.random.default_rng(0)
    tia = rng.uniform(0.0, 1.0, (12, 12, 12))
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), radius_mm=8.0)
    base = kernel_dose_gy(tia, kernel)
    assert np.allclose(kernel_dose_gy(scale * tia, kernel), scale * base, rtol=1e-9, atol=1e-12)


def test_backends_agree_and_density_divides() -> None:
    rng = np.random.default_rng(1)
    tia = rng.uniform(0.0, 1.0, (20, 18, 16))
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0))
    fft = kernel_dose_gy(tia, kernel, backend="fft")
    assert set(BACKENDS) >= {"fft", "overlap-add"}
    assert np.allclose(kernel_dose_gy(tia, kernel, backend="overlap-add"), fft, atol=1e-12)
    assert np.allclose(kernel_dose_gy(tia, kernel, density_g_per_ml=2.0), fft / 2.0)
    density = np.full(tia.shape, 1.0)
    density[0] = 0.5
    led = local_deposition_dose_gy(tia, voxel_size_mm=(4.0, 4.0, 4.0), density_g_per_ml=density)
    plain = local_deposition_dose_gy(tia, voxel_size_mm=(4.0, 4.0, 4.0))
    assert np.allclose(led[0], 2.0 * plain[0])
    assert np.allclose(led[1:], plain[1:])


def test_alpha_emitter_local_energy_is_the_chain_in_situ() -> None:
    assert local_energy_mev("Ac-225") == pytest.approx(27.48 + 0.689, abs=0.01)
    assert local_energy_mev("Lu-177", include_photons=True) == pytest.approx(0.14793 + 0.03514)


def test_bad_inputs_are_refused() -> None:
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), radius_mm=4.0)
    tia = np.ones((4, 4, 4))
    with pytest.raises(ParameterError, match="kernel made for voxels"):
        kernel_dose_gy(tia, kernel, voxel_size_mm=(2.0, 2.0, 2.0))
    with pytest.raises(ParameterError, match="backend"):
        kernel_dose_gy(tia, kernel, backend="cuda")
    with pytest.raises(ParameterError):
        kernel_dose_gy(np.ones((4, 4)), kernel)
    with pytest.raises(ParameterError):
        local_deposition_dose_gy(tia, voxel_size_mm=(4.0, 4.0, 4.0), density_g_per_ml=0.0)
    with pytest.raises(ParameterError):
        local_deposition_dose_gy(np.full((2, 2, 2), np.nan), voxel_size_mm=(1.0, 1.0, 1.0))
    with pytest.raises(ParameterError):
        mean_in_mask(tia, np.zeros((4, 4, 4), dtype=bool))
