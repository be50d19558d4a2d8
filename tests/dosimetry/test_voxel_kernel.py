"""Voxel S-value kernels generated from the point kernel for any voxel size."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.dosimetry.voxel_kernel import voxel_kernel
from theratrial.errors import ParameterError
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h


@pytest.mark.parametrize("side_mm", [1.0, 2.21, 3.0, 4.42, 4.8])
def test_electron_kernel_deposits_all_electron_energy(side_mm: float) -> None:
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(side_mm,) * 3, include_photons=False)
    assert kernel.captured_fraction == pytest.approx(1.0, abs=2e-3)
    energy_mev = float(kernel.s_values_mgy_per_mbq_h.sum()) * kernel.voxel_mass_g
    energy_mev /= dose_rate_constant_mgy_g_per_mbq_h(1.0)
    assert energy_mev == pytest.approx(0.14801, rel=2e-3)


def test_kernel_is_symmetric_and_peaks_at_the_source() -> None:
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0))
    s = kernel.s_values_mgy_per_mbq_h
    assert s.shape == (11, 11, 11)
    assert np.allclose(s, s[::-1, :, :])
    assert np.allclose(s, s.transpose(1, 0, 2))
    assert np.unravel_index(np.argmax(s), s.shape) == (5, 5, 5)
    assert not s.flags.writeable
    assert 0.75 < kernel.captured_fraction < 0.9  # photons leave an 11-voxel kernel


def test_self_voxel_s_value_scales_roughly_inversely_with_voxel_mass() -> None:
    small = voxel_kernel("Lu-177", voxel_size_mm=(3.0,) * 3, include_photons=False)
    large = voxel_kernel("Lu-177", voxel_size_mm=(6.0,) * 3, include_photons=False)
    ratio = small.s_values_mgy_per_mbq_h[5, 5, 5] / large.s_values_mgy_per_mbq_h[5, 5, 5]
    assert 7.0 < ratio < 8.0  # 8 x the mass, a little more electron escape from the small one


def test_anisotropic_voxels_give_a_matching_kernel_shape() -> None:
    kernel = voxel_kernel("Lu-177", voxel_size_mm=(4.8, 4.8, 2.4), radius_mm=9.6)
    assert kernel.s_values_mgy_per_mbq_h.shape == (5, 5, 9)
    s = kernel.s_values_mgy_per_mbq_h
    # the neighbour across the thin side receives more than the one across the thick side
    assert s[2, 2, 5] > s[2, 3, 4]


def test_bad_voxel_sizes() -> None:
    with pytest.raises(ParameterError):
        voxel_kernel("Lu-177", voxel_size_mm=(0.0, 1.0, 1.0))
    with pytest.raises(ParameterError):
        voxel_kernel("Lu-177", voxel_size_mm=(1.0, 1.0, 1.0), radius_mm=-2.0)
