"""Voxel dose: local deposition, kernel convolution, their agreement and invariants."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import fftconvolve

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


@pytest.mark.parametrize(("precision", "rtol"), [("double", 1e-9), ("single", 1e-6)])
@settings(max_examples=10, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e4))
def test_dose_scales_linearly_with_activity(precision: str, rtol: float, scale: float) -> None:
    """Exact in float64; to float32 round-off (the cross-voxel part) in single precision."""
    rng = np.random.default_rng(0)
    tia = rng.uniform(0.0, 1.0, (12, 12, 12))
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), radius_mm=8.0)
    base = kernel_dose_gy(tia, kernel, precision=precision)  # type: ignore[arg-type]
    scaled = kernel_dose_gy(scale * tia, kernel, precision=precision)  # type: ignore[arg-type]
    assert np.allclose(scaled, scale * base, rtol=rtol, atol=1e-12)


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


def _patient_like_map(n: int, voxel_mm: float, seed: int = 0) -> np.ndarray:
    """Ã map of a torso: low background, liver, spleen, kidneys, hot lesions, 22 % noise."""
    rng = np.random.default_rng(seed)
    half = n * voxel_mm / 2
    c = (np.arange(n) + 0.5) * voxel_mm - half
    z, y, x = np.meshgrid(c, c, c, indexing="ij", sparse=True)

    def ellipsoid(centre: np.ndarray, radii: np.ndarray) -> np.ndarray:
        d = ((z - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2
        return np.asarray(d + ((x - centre[2]) / radii[2]) ** 2 <= 1.0)

    tia = np.where(ellipsoid(np.zeros(3), half * np.array([0.95, 0.45, 0.7])), 0.02, 0.0)
    organs = [  # centre, radii (fractions of the half-width), Ã per voxel (MBq h)
        ((0.1, 0.0, -0.25), (0.2, 0.15, 0.25), 0.3),
        ((0.1, 0.05, 0.3), (0.08, 0.06, 0.06), 0.6),
        ((-0.1, 0.15, -0.15), (0.09, 0.04, 0.04), 1.0),
        ((-0.1, 0.15, 0.15), (0.09, 0.04, 0.04), 1.0),
    ]
    for centre, radii, value in organs:
        tia[ellipsoid(half * np.array(centre), half * np.array(radii))] = value
    for _ in range(8):  # lesions 8-25 mm in radius, 3-10 x the kidneys
        radius = rng.uniform(8.0, 25.0)
        tia[ellipsoid(rng.uniform(-0.4, 0.4, 3) * half, np.full(3, radius))] = rng.uniform(3, 10)
    return tia * rng.gamma(20.0, 1 / 20.0, tia.shape)


@pytest.mark.parametrize(("n", "voxel_mm"), [(96, 4.8), (96, 3.9)])
@pytest.mark.parametrize("with_density", [False, True])
def test_single_precision_matches_double_on_a_patient_like_map(
    n: int, voxel_mm: float, with_density: bool
) -> None:
    """Issue check: float32 FFTs within 1e-5 relative of float64 above 1e-3 of the maximum.

    Plain float32 FFTs miss this by ~10x (error floor ~1e-7 of the maximum dose); applying
    the self-voxel term in float64 is what brings it under.
    """
    tia = _patient_like_map(n, voxel_mm)
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(voxel_mm,) * 3)
    rho = np.random.default_rng(1).uniform(0.9, 1.1, tia.shape) if with_density else None
    single = kernel_dose_gy(tia, kernel, density_g_per_ml=rho)
    double = kernel_dose_gy(tia, kernel, density_g_per_ml=rho, precision="double")
    assert single.dtype == double.dtype == np.float64
    above = double > 1e-3 * double.max()
    assert above.sum() > 0.1 * above.size  # the test covers the low-dose body, not just lesions
    assert np.max(np.abs(single[above] - double[above]) / double[above]) < 1e-5


@pytest.mark.parametrize(
    "kernel_shape", [(11, 11, 11), (3, 5, 7), (4, 4, 4), (2, 6, 1), (31, 3, 9)]
)
def test_fft_backend_is_same_mode_convolution(kernel_shape: tuple[int, int, int]) -> None:
    """Even, odd and larger-than-image kernels give scipy's 'same' convolution exactly."""
    rng = np.random.default_rng(2)
    image = rng.uniform(0.0, 1.0, (9, 12, 10))
    kernel = rng.uniform(0.0, 1.0, kernel_shape)
    expected = fftconvolve(image, kernel, mode="same")
    for name in ("fft", "overlap-add"):
        got = BACKENDS[name].convolve(image, kernel, np.float64, 2)
        assert got.shape == image.shape
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_kernel_dose_has_no_full_size_temporaries() -> None:
    """Traced peak (NumPy buffers) below 2x the map: FFT buffers in float32 and the dose.

    The float64 fftconvolve path with out-of-place scaling peaked at 5.8x the map.
    """
    tia = np.random.default_rng(3).gamma(2.0, 0.5, (64, 64, 64))
    rho = np.full(tia.shape, 1.05)
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.8, 4.8, 4.8))
    kernel_dose_gy(tia, kernel, density_g_per_ml=rho)  # warm caches outside the trace
    tracemalloc.start()
    try:
        kernel_dose_gy(tia, kernel, density_g_per_ml=rho)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.0 * tia.nbytes


def test_float32_maps_and_threads() -> None:
    tia = np.random.default_rng(4).uniform(0.0, 1.0, (10, 11, 12))
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0))
    reference = kernel_dose_gy(tia, kernel, precision="double")
    for dose in (
        kernel_dose_gy(tia.astype(np.float32), kernel),
        kernel_dose_gy(tia, kernel, workers=1),
        kernel_dose_gy(tia, kernel, backend="overlap-add", workers=3),
    ):
        assert dose.dtype == np.float64
        assert np.allclose(dose, reference, rtol=1e-5, atol=0.0)


def test_kernel_dose_refuses_bad_values_and_options() -> None:
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), radius_mm=4.0)
    tia = np.ones((4, 4, 4))
    for bad in (np.nan, np.inf, -np.inf):
        broken = tia.copy()
        broken[1, 2, 3] = bad
        with pytest.raises(ParameterError, match="NaN or infinite") as err:
            kernel_dose_gy(broken, kernel)
        assert err.value.field == "tia_mbq_h"
    with pytest.raises(ParameterError, match="overflow float32"):
        kernel_dose_gy(np.full((4, 4, 4), 1e39), kernel)
    assert np.isfinite(kernel_dose_gy(np.full((4, 4, 4), 1e39), kernel, precision="double")).all()
    with pytest.raises(ParameterError, match="precision"):
        kernel_dose_gy(tia, kernel, precision="half")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="workers"):
        kernel_dose_gy(tia, kernel, workers=0)
    with pytest.raises(ParameterError, match="real numbers"):
        kernel_dose_gy(tia.astype(complex), kernel)
    with pytest.raises(ParameterError, match="density"):
        kernel_dose_gy(tia, kernel, density_g_per_ml=np.full((4, 4, 4), np.nan))
