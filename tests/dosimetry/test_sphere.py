"""Sphere model: self-absorbed fractions and S-values against the reference table."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.dosimetry.sphere import (
    sphere_absorbed_fractions,
    sphere_radius_cm,
    sphere_s_value_mgy_per_mbq_h,
)
from theratrial.errors import ParameterError
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h

# Lu-177 unit-density spheres, mGy MBq^-1 h^-1 (reference sheet, section 2).
REFERENCE_SPHERES = [(0.539, 153.7), (4.31, 19.66), (34.5, 2.495), (116.0, 0.7452), (932.0, 0.0954)]
K_LU = dose_rate_constant_mgy_g_per_mbq_h(0.14792)


@pytest.mark.parametrize(("mass_g", "s_ref"), REFERENCE_SPHERES)
def test_sphere_s_values_match_reference_within_3_percent(mass_g: float, s_ref: float) -> None:
    s = sphere_s_value_mgy_per_mbq_h(mass_g)
    assert isinstance(s, float)
    assert s == pytest.approx(s_ref, rel=0.03)


def test_s_times_mass_follows_the_physical_trend() -> None:
    ratios = [sphere_s_value_mgy_per_mbq_h(m) * m / K_LU for m, _ in REFERENCE_SPHERES]
    assert all(b > a for a, b in itertools.pairwise(ratios))
    assert 0.95 < ratios[0] < 0.99  # electrons escape small spheres
    assert 1.02 < ratios[-1] < 1.06  # photons absorbed in large ones
    tiny = sphere_s_value_mgy_per_mbq_h(0.01) * 0.01 / K_LU
    assert 0.8 < tiny < 0.9


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.05, max_value=5000.0), st.floats(min_value=1.01, max_value=3.0))
def test_absorbed_energy_grows_with_mass(mass_g: float, factor: float) -> None:
    small = sphere_absorbed_fractions(mass_g)
    large = sphere_absorbed_fractions(mass_g * factor)
    assert large.absorbed_energy_mev >= small.absorbed_energy_mev - 1e-12
    assert 0 < small.electron_fraction <= 1
    assert 0 <= small.photon_fraction <= 1


def test_vectorised_call_and_radius() -> None:
    values = sphere_s_value_mgy_per_mbq_h([0.539, 932.0])
    assert not isinstance(values, float)
    assert values.shape == (2,)
    assert sphere_radius_cm(4.0 / 3.0 * math.pi) == pytest.approx(1.0)
    with pytest.raises(ParameterError):
        sphere_radius_cm(-1.0)
